// The CloudTrail field rules (DESIGN.md), one case each, through the real ingestion path into DuckDB.
import net from 'node:net';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { Rng } from '../../generator/rng';
import { ingest } from '.';
import { dayPrefix, ingestRecords, storedRecords, withTempDatabase, writeFiles } from '../../../tests/support/temp';
import { logFile, type CloudTrailRecord } from '../../../tests/support/stratus';
import { BLANK_PATTERN, isIpSql } from '../../model/fieldRules';

let seq = 0;
function record(over: CloudTrailRecord): CloudTrailRecord {
  seq++;
  return {
    eventVersion: '1.09',
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'aws-cli/2',
    requestID: `req-${seq}`,
    eventID: `00000000-0000-0000-0000-${String(seq).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice', principalId: 'AIDA1', accountId: '111122223333' },
    ...over,
  };
}

type Row = Record<string, any>;

async function normalise(records: CloudTrailRecord[]): Promise<Map<string, Row>> {
  const { db, cleanup } = await ingestRecords([records]);
  try {
    const rows = await db.all<Row>(`SELECT * FROM events`);
    const originals = await storedRecords(db);
    return new Map(rows.map((r) => [r.event_id as string, { ...r, record: originals.get(r.event_id) }]));
  } finally {
    cleanup();
  }
}

/** A role session's identity as CloudTrail writes it, the role under `rolePath` ('' for none). */
const ssoSession = (role: string, rolePath: string, session: string) => ({
  type: 'AssumedRole',
  principalId: `AROAEXAMPLE:${session}`,
  arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
  accountId: '111122223333',
  sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::111122223333:role/${rolePath}${role}`, userName: role } },
});

describe('user, per identity type', () => {
  const cases: Array<[string, CloudTrailRecord, string, Partial<Row>?]> = [
    ['IAMUser → userName', { userIdentity: { type: 'IAMUser', userName: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' } }, 'bob', { role_name: null }],
    [
      'AssumedRole → role name, session kept',
      {
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-42',
          principalId: 'AROA1:ci-run-42',
          sessionContext: { sessionIssuer: { type: 'Role', userName: 'Deployer', arn: 'arn:aws:iam::111122223333:role/Deployer' } },
        },
      },
      'Deployer',
      { session_name: 'ci-run-42', role_name: 'Deployer' },
    ],
    // A role of another account acting in this one (the record's recipientAccountId): its own user, not this account's RoleX.
    // Its role too: grouped or filtered by role, it is not this account's Reader either.
    [
      'AssumedRole of another account → role name and its account, as its role',
      { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::444455556666:assumed-role/Reader/s1', accountId: '444455556666' } },
      'Reader (account 444455556666)',
      { role_name: 'Reader (account 444455556666)' },
    ],
    [
      'Identity Center role of another account → the person and the role with its account, the permission set one name',
      {
        recipientAccountId: '444455556666',
        userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', 'aws-reserved/sso.amazonaws.com/', 'grace@example.com'),
      },
      'grace@example.com (account 111122223333)',
      { role_name: 'AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d (account 111122223333)', permission_set: 'AdministratorAccess' },
    ],
    [
      'AssumedRole without issuer → role name from the ARN',
      { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Reader/s1' } },
      'Reader',
    ],
    [
      'AssumedRole of an Identity Center permission set → the person (session name), the permission set kept as its role',
      { userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', 'aws-reserved/sso.amazonaws.com/', 'dave@example.com') },
      'dave@example.com',
      { session_name: 'dave@example.com', role_name: 'AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', identity_type: 'AssumedRole' },
    ],
    [
      'the same permission set, another person → another user',
      { userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', 'aws-reserved/sso.amazonaws.com/', 'grace@example.com') },
      'grace@example.com',
      { role_name: 'AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b' },
    ],
    [
      'Identity Center outside us-east-1 (the region in the role path) → the person',
      { userIdentity: ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', 'aws-reserved/sso.amazonaws.com/eu-west-2/', 'erin') },
      'erin',
      { role_name: 'AWSReservedSSO_ReadOnly_1234567890abcdef' },
    ],
    [
      // Anyone may name a role so; only Identity Center's path says the session name is its user's.
      'a role named AWSReservedSSO_… outside the Identity Center path → the role, its session kept',
      { userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', '', 'dave@example.com') },
      'AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b',
      { session_name: 'dave@example.com' },
    ],
    [
      'Identity Center role whose ARN lacks the session (as Stratus anonymised it) → the session name after the principal id\'s colon',
      {
        userIdentity: {
          ...ssoSession('AWSReservedSSO_account-admin_599c9e90e350d2ff', 'aws-reserved/sso.amazonaws.com/', 'x'),
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSOrandom@example.com',
          principalId: 'AROAEXAMPLE:frank@example.com',
        },
      },
      'frank@example.com',
      { session_name: 'frank@example.com', role_name: 'AWSReservedSSO_account-admin_599c9e90e350d2ff' },
    ],
    [
      // CloudTrail names no session issuer in a federated console sign-in: the role's name is all there is.
      'a console sign-in through an Identity Center role (no session issuer) → the person',
      {
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        userIdentity: { ...ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', 'aws-reserved/sso.amazonaws.com/', 'erin'), sessionContext: undefined },
      },
      'erin',
      { role_name: 'AWSReservedSSO_ReadOnly_1234567890abcdef' },
    ],
    [
      'a console sign-in through another role (no session issuer) → the role',
      { eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', userIdentity: { ...ssoSession('Deployer', '', 'erin'), sessionContext: undefined } },
      'Deployer',
      { session_name: 'erin' },
    ],
    [
      'Identity Center role without any session name → the role',
      {
        userIdentity: {
          ...ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', 'aws-reserved/sso.amazonaws.com/', 'x'), arn: undefined, principalId: 'AROAEXAMPLE',
        },
      },
      'AWSReservedSSO_ReadOnly_1234567890abcdef',
      { session_name: null },
    ],
    // A blank part of an ARN or principal id names no one: the rules fall back as for a missing name.
    [
      'AssumedRole whose ARN has a blank role, no issuer → the principal ARN, no role',
      { userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/  /s1', principalId: 'AROA1:s1' } },
      'arn:aws:sts::111122223333:assumed-role/  /s1',
      { role_name: null, session_name: 's1' },
    ],
    [
      'Identity Center role whose ARN has a blank session → the session name after the principal id\'s colon',
      { userIdentity: { ...ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', 'aws-reserved/sso.amazonaws.com/', '\u00a0'), principalId: 'AROA1:gina' } },
      'gina',
      { session_name: 'gina', role_name: 'AWSReservedSSO_ReadOnly_1234567890abcdef' },
    ],
    [
      'Identity Center role with blank sessions in both ARN and principal id → the role, no session',
      { userIdentity: { ...ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', 'aws-reserved/sso.amazonaws.com/', ' '), principalId: 'AROAEXAMPLE:\t' } },
      'AWSReservedSSO_ReadOnly_1234567890abcdef',
      { session_name: null },
    ],
    [
      'FederatedUser whose ARN has a blank name → the principal ARN',
      { userIdentity: { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/ ', principalId: '111122223333: ' } },
      'arn:aws:sts::111122223333:federated-user/ ',
    ],
    ['Root → root', { userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', principalId: '111122223333' } }, 'root', { invoked_by: null }],
    // The bucket owner's copy of a call its bucket policy let another account make, with that account's root user.
    [
      'Root of another account → root and its account',
      { userIdentity: { type: 'Root', arn: 'arn:aws:iam::444455556666:root', principalId: '444455556666', accountId: '444455556666' } },
      'root (account 444455556666)',
      { identity_type: 'Root', role_name: null, account: '111122223333' },
    ],
    [
      'FederatedUser → name after federated-user/',
      { userIdentity: { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/carol', principalId: '111122223333:carol' } },
      'carol',
    ],
    [
      'AWSService → invokedBy',
      { userIdentity: { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' } },
      'autoscaling.amazonaws.com',
      { invoked_by: 'autoscaling.amazonaws.com' },
    ],
    [
      'Root, a call AWS Support made for it → root, the service kept',
      { userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', principalId: '111122223333', invokedBy: 'support.amazonaws.com' } },
      'root',
      { invoked_by: 'support.amazonaws.com', identity_type: 'Root' },
    ],
    ['IAMUser, invokedBy empty → no service', { userIdentity: { type: 'IAMUser', userName: 'erin', invokedBy: '' } }, 'erin', { invoked_by: null }],
    ['AWSAccount → accountId', { userIdentity: { type: 'AWSAccount', accountId: '999988887777', principalId: 'AIDAX' } }, '999988887777'],
    [
      'SAMLUser → userName, provider kept',
      { userIdentity: { type: 'SAMLUser', userName: 'dave@example.com', identityProvider: 'arn:aws:iam::1:saml-provider/Okta' } },
      'dave@example.com',
      { identity_provider: 'arn:aws:iam::1:saml-provider/Okta' },
    ],
    [
      'WebIdentityUser → userName, provider kept',
      { userIdentity: { type: 'WebIdentityUser', userName: 'app-user', identityProvider: 'accounts.google.com' } },
      'app-user',
      { identity_provider: 'accounts.google.com' },
    ],
    [
      'IdentityCenterUser → user id, identity store kept',
      {
        userIdentity: {
          type: 'IdentityCenterUser', accountId: '1', onBehalfOf: { userId: 'u-123', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' },
        },
      },
      'u-123',
      { identity_provider: 'arn:aws:identitystore::1:identitystore/d-1' },
    ],
    // Since July 2025 Identity Center writes no userName: an authenticated user's step says its user id, which its portal
    // calls say too (the name it typed, in additionalEventData, is not: AWS advises the id).
    [
      'Unknown (an Identity Center sign-in step) without userName → the Identity Center user id',
      {
        eventSource: 'signin.amazonaws.com',
        eventName: 'CredentialVerification',
        userIdentity: { type: 'Unknown', accountId: '1', onBehalfOf: { userId: 'u-123', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' } },
        additionalEventData: { CredentialType: 'PASSWORD', UserName: 'jane' },
      },
      'u-123',
      { identity_type: 'Unknown', identity_provider: 'arn:aws:identitystore::1:identitystore/d-1' },
    ],
    [
      'unknown type with no name → principal ARN',
      { userIdentity: { type: 'SomethingNew', arn: 'arn:aws:iam::1:thing/x', principalId: 'P1' } },
      'arn:aws:iam::1:thing/x',
    ],
    ['no name, no ARN → principal id', { userIdentity: { type: 'IAMUser', principalId: 'AIDAONLY' } }, 'AIDAONLY'],
    ['no userIdentity at all → unknown, never empty', { userIdentity: undefined }, 'unknown', { identity_type: 'Unknown' }],
    [
      'an empty type → Unknown, as a missing one (a filter on it finds it)',
      { userIdentity: { type: '', principalId: 'P2' } },
      'P2',
      { identity_type: 'Unknown' },
    ],
  ];
  const records = cases.map(([, over]) => record(over));
  let rows: Map<string, Row>;
  beforeAll(async () => {
    rows = await normalise(records);
  });
  test.each(cases.map((c, i) => [c[0], i] as const))('%s', (_name, i) => {
    const row = rows.get(records[i].eventID)!;
    expect(row.user_name).toBe(cases[i][2]);
    expect(row).toMatchObject(cases[i][3] ?? {});
  });
});

// An IAM Identity Center sign-in step for a name it does not know names nobody: no userName (gone since July 2025), no
// onBehalfOf. Its principalId is the account id, which would make the account itself the user; its
// additionalEventData.UserName is masked (user guide, "Username in sign-in CloudTrail events"), as a refused IAM console
// name is. Without even that, the principal id is all there is.
test('an Identity Center sign-in step for an unknown name is the masked name, not the account', async () => {
  const step = (additionalEventData?: object) =>
    record({
      eventSource: 'signin.amazonaws.com', eventName: 'CredentialChallenge', eventType: 'AwsServiceEvent',
      userIdentity: { type: 'Unknown', principalId: '111122223333', arn: '', accountId: '111122223333', accessKeyId: '' },
      serviceEventDetails: { CredentialChallenge: 'Failure' },
      ...(additionalEventData && { additionalEventData }),
    });
  const masked = step({ AuthWorkflowID: 'adbf67c4-8188-4e2b-8527-fe539e328fa7', CredentialType: 'PASSWORD', UserName: 'HIDDEN_DUE_TO_SECURITY_REASONS' });
  const bare = step();
  const rows = await normalise([masked, bare]);
  expect(rows.get(masked.eventID)!.user_name).toBe('HIDDEN_DUE_TO_SECURITY_REASONS');
  expect(rows.get(bare.eventID)!.user_name).toBe('111122223333');
});

/** An IAM Identity Center sign-in step (user guide, "Understanding IAM Identity Center sign-in events"), with its outcome. */
const identityCenterStep = (eventName: string, outcome: 'Success' | 'Failure', credentialType: string) =>
  record({
    eventSource: 'signin.amazonaws.com', eventName, eventType: 'AwsServiceEvent', requestParameters: null, responseElements: null,
    userIdentity: { type: 'Unknown', principalId: '111122223333', arn: '', accountId: '111122223333', accessKeyId: '', userName: 'user1' },
    additionalEventData: { AuthWorkflowID: 'adbf67c4-8188-4e2b-8527-fe539e328fa7', CredentialType: credentialType },
    serviceEventDetails: { [eventName]: outcome },
  });

/** A test per case: the column its record is stored with. */
function columnCases(column: string, cases: Array<[string, CloudTrailRecord, unknown]>): void {
  const records = cases.map(([, over]) => record(over));
  let rows: Map<string, Row>;
  beforeAll(async () => {
    rows = await normalise(records);
  });
  test.each(cases.map((c, i) => [c[0], i] as const))('%s', (_name, i) => {
    expect(rows.get(records[i].eventID)![column]).toBe(cases[i][2]);
  });
}

describe('permission set: only of a role Identity Center made, without its prefix and per-account suffix', () => {
  const IC = 'aws-reserved/sso.amazonaws.com/';
  const cases: Array<[string, CloudTrailRecord, string | null]> = [
    ['an Identity Center role', { userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', IC, 'dave') }, 'AdministratorAccess'],
    [
      'the same permission set in another account (another suffix) → the same name',
      { recipientAccountId: '444455556666', userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', IC, 'grace@example.com') },
      'AdministratorAccess',
    ],
    [
      'Identity Center outside us-east-1 (the region in the path)',
      { userIdentity: ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', `${IC}eu-west-2/`, 'erin') },
      'ReadOnly',
    ],
    ['a name with underscores and dots', { userIdentity: ssoSession('AWSReservedSSO_Billing_Read.v2_599c9e90e350d2ff', IC, 'erin') }, 'Billing_Read.v2'],
    ['a role name without the 16 hex digits → all after the prefix', { userIdentity: ssoSession('AWSReservedSSO_Custom', IC, 'erin') }, 'Custom'],
    // Anyone may name a role so; only Identity Center's path says it is a permission set's.
    [
      'a role named AWSReservedSSO_… outside the Identity Center path → none',
      { userIdentity: ssoSession('AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b', '', 'dave') },
      null,
    ],
    [
      'a console sign-in through an Identity Center role (no session issuer) → by its name',
      {
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        userIdentity: { ...ssoSession('AWSReservedSSO_ReadOnly_1234567890abcdef', IC, 'erin'), sessionContext: undefined },
      },
      'ReadOnly',
    ],
    ['another role → none', { userIdentity: ssoSession('Deployer', '', 'ci-run-42') }, null],
    ['an IAM user → none', {}, null],
    [
      'an Identity Center user in its portal (no role) → none',
      { userIdentity: { type: 'IdentityCenterUser', onBehalfOf: { userId: 'u-1', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' } } },
      null,
    ],
  ];
  columnCases('permission_set', cases);
});

/** An S3 call of eventVersion 1.05 (2016–2018) as CloudTrail wrote it: no managementEvent, no eventCategory. */
const s3Call105 = (eventName: string, requestParameters: Record<string, unknown>, resources?: unknown[]): CloudTrailRecord => ({
  eventVersion: '1.05',
  eventTime: '2017-06-14T08:41:03Z',
  eventSource: 's3.amazonaws.com',
  eventName,
  awsRegion: 'eu-west-1',
  userAgent: '[aws-sdk-java/1.11.132 Linux/4.9.32-15.41.amzn1.x86_64]',
  requestParameters,
  responseElements: null,
  additionalEventData: { 'x-amz-id-2': 'JnWYdlmHBpHv1lU8Hl3MkbVm0QW3rmQ6z8ZUA6zvuKkGkHMmkLKvbdvPLAyIOiRsDu6cFJFmfDo=' },
  ...(resources ? { resources } : {}),
  eventType: 'AwsApiCall',
});
const objectResources = (bucket: string, key: string) => [
  { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
  { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
];

describe('event category: eventCategory, else managementEvent, else what trails log by default', () => {
  const s3Get = { eventSource: 's3.amazonaws.com', eventName: 'GetObject' };
  const cases: Array<[string, CloudTrailRecord, string]> = [
    ['eventCategory Management', { eventCategory: 'Management', managementEvent: true }, 'Management'],
    ['eventCategory Data (an S3 object call)', { ...s3Get, eventCategory: 'Data', managementEvent: false }, 'Data'],
    ['eventCategory NetworkActivity (a VPC endpoint call)', { eventCategory: 'NetworkActivity', eventType: 'AwsVpceEvent' }, 'NetworkActivity'],
    ['eventCategory Insight', { eventCategory: 'Insight', eventType: 'AwsCloudTrailInsight' }, 'Insight'],
    // eventCategory decides where the two disagree.
    ['eventCategory before managementEvent', { eventCategory: 'Data', managementEvent: true }, 'Data'],
    // Records of eventVersion 1.06 carry managementEvent only.
    ['no eventCategory, managementEvent false → Data', { ...s3Get, eventVersion: '1.06', managementEvent: false }, 'Data'],
    ['no eventCategory, managementEvent true → Management', { eventVersion: '1.06', managementEvent: true }, 'Management'],
    ['an empty eventCategory is none', { eventCategory: '', managementEvent: false }, 'Data'],
    ['an Insights event without eventCategory', { eventType: 'AwsCloudTrailInsight' }, 'Insight'],
    ['neither (eventVersion 1.05 and before) → Management, the default of every trail', { eventVersion: '1.05' }, 'Management'],
  ];
  columnCases('event_category', cases);
});

describe('event category of a record that says none (eventVersion 1.05 and before): a data event where AWS documents one', () => {
  const cases: Array<[string, CloudTrailRecord, string]> = [
    ['S3 GetObject → Data', s3Call105('GetObject', { bucketName: 'acme', key: 'q2/orders.csv' }, objectResources('acme', 'q2/orders.csv')), 'Data'],
    ['S3 PutObject → Data', s3Call105('PutObject', { bucketName: 'acme', key: 'q3/orders.csv' }, objectResources('acme', 'q3/orders.csv')), 'Data'],
    ['S3 DeleteObjects (logged as an object-level call) → Data', s3Call105('DeleteObjects', { bucketName: 'acme', delete: '' }), 'Data'],
    ['S3 ListObjects (logged as an object-level call) → Data', s3Call105('ListObjects', { bucketName: 'acme', prefix: 'q2/', 'list-type': '2' }), 'Data'],
    ['S3 HeadBucket (logged as an object-level call) → Data', s3Call105('HeadBucket', { bucketName: 'acme' }), 'Data'],
    ['S3 ListBuckets (bucket-level) → Management', s3Call105('ListBuckets', { host: ['s3.amazonaws.com'] }), 'Management'],
    ['S3 CreateBucket (bucket-level) → Management', s3Call105('CreateBucket', { bucketName: 'acme-new', host: ['s3.amazonaws.com'] }), 'Management'],
    ['S3 PutBucketAcl (bucket-level) → Management', s3Call105('PutBucketAcl', { bucketName: 'acme', AccessControlPolicy: {} }), 'Management'],
    ['S3 GetObjectLockConfiguration (bucket-level) → Management', s3Call105('GetObjectLockConfiguration', { bucketName: 'acme' }), 'Management'],
    [
      'Lambda Invoke → Data',
      {
        eventVersion: '1.05', eventTime: '2018-02-07T16:20:11Z', eventSource: 'lambda.amazonaws.com', eventName: 'Invoke', readOnly: false,
        requestParameters: { functionName: 'arn:aws:lambda:us-east-1:111122223333:function:orders-1', invocationType: 'RequestResponse' },
        resources: [{ accountId: '111122223333', type: 'AWS::Lambda::Function', ARN: 'arn:aws:lambda:us-east-1:111122223333:function:orders-1' }],
      },
      'Data',
    ],
    [
      'a Lambda management call (GetFunction20150331) → Management',
      { eventVersion: '1.05', eventSource: 'lambda.amazonaws.com', eventName: 'GetFunction20150331' },
      'Management',
    ],
    // The names count with their own source only.
    ['GetObject of another service → Management', { eventVersion: '1.05', eventSource: 'mediastore.amazonaws.com', eventName: 'GetObject' }, 'Management'],
    // A record that says its category keeps it, whatever its name.
    ['S3 GetObject, managementEvent false → Data, as before', { ...s3Call105('GetObject', {}), eventVersion: '1.06', managementEvent: false }, 'Data'],
    ['S3 GetObject that says Management → Management', { ...s3Call105('GetObject', {}), eventVersion: '1.07', eventCategory: 'Management' }, 'Management'],
  ];
  columnCases('event_category', cases);
});

describe('service, source IP, status, read-only, resources', () => {
  const r = {
    s3: record({ eventSource: 's3.amazonaws.com', eventName: 'CreateBucket', readOnly: false, requestParameters: { bucketName: 'logs-bucket' } }),
    serviceIp: record({ sourceIPAddress: 'ec2.amazonaws.com' }),
    internal: record({ sourceIPAddress: 'AWS Internal' }),
    leadingZero: record({ sourceIPAddress: '255.090.254.5' }),
    ipv6: record({ sourceIPAddress: '2001:db8::8a2e:370:7334' }),
    notIpv6: record({ sourceIPAddress: '2001::db8::1' }),
    noIp: record({ sourceIPAddress: undefined }),
    accessDenied: record({ errorCode: 'AccessDenied', errorMessage: 'User: x is not authorized to perform: s3:GetObject' }),
    clientUnauthorized: record({ errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' }),
    notAuthorizedMessage: record({ errorCode: 'SomeError', errorMessage: 'Not authorized to perform sts:AssumeRole' }),
    messageInside: record({
      errorCode: 'InvalidClientTokenId', errorMessage: 'User: arn:aws:iam::111122223333:user/x is NOT AUTHORIZED to perform: iam:ListUsers',
    }),
    snsRefused: record({
      errorCode: 'AuthorizationError', errorMessage: 'User: arn:aws:iam::111122223333:user/bob is not authorized to perform: SNS:Subscribe',
    }),
    authFailure: record({ errorCode: 'AuthFailure' }),
    // EC2's, as CloudTrail writes its codes; no message saying "not authorized".
    ec2AuthFailure: record({
      eventSource: 'ec2.amazonaws.com', errorCode: 'Client.AuthFailure', errorMessage: 'AWS was not able to validate the provided access credentials',
    }),
    operationException: record({ eventSource: 'workdocs.amazonaws.com', errorCode: 'UnauthorizedOperationException', errorMessage: 'User lacks permission' }),
    throttled: record({ errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' }),
    // A network activity event refused by a VPC endpoint's policy, as the CloudTrail user guide shows one (logging network
    // activity events): its own code, and a message without "not authorized". The caller is of another account.
    vpceRefused: record({
      eventVersion: '1.09', eventSource: 'kms.amazonaws.com', eventName: 'ListKeys', eventType: 'AwsVpceEvent', eventCategory: 'NetworkActivity',
      userIdentity: { type: 'AWSAccount', principalId: 'AKIAIOSFODNN7EXAMPLE', accountId: '777788889999' },
      errorCode: 'VpceAccessDenied', errorMessage: 'The request was denied due to a VPC endpoint policy',
      recipientAccountId: '123456789012', sharedEventID: '702f74c4-f692-4bfd-8491-EXAMPLEb1ac4',
      vpcEndpointId: 'vpce-EXAMPLE08c1b6b9b7', vpcEndpointAccountId: '123456789012',
    }),
    dryRun: record({ errorCode: 'Client.DryRunOperation', errorMessage: 'Request would have succeeded, but DryRun flag is set.' }),
    consoleFailure: record({
      eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', responseElements: { ConsoleLogin: 'Failure' },
    }),
    consoleSuccess: record({
      eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', responseElements: { ConsoleLogin: 'Success' },
    }),
    // As older versions wrote a failed console login: with an errorMessage.
    consoleFailureMessage: record({
      eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', errorMessage: 'Failed authentication',
      responseElements: { ConsoleLogin: 'Failure' },
    }),
    // The console sign-in records AWS documents (CloudTrail user guide, "AWS Management Console sign-in events"): an IAM
    // user's failed sign-in, MFA asked (MFAUsed "Yes"), is a ConsoleLogin "Failure"; CheckMfa is shown as "Success" only.
    mfaLoginFailure: record({
      eventVersion: '1.05', eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn',
      userIdentity: { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', accountId: '111122223333', accessKeyId: '', userName: 'anaya' },
      errorMessage: 'Failed authentication', requestParameters: null, responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: 'Yes' },
    }),
    checkMfaSuccess: record({
      eventVersion: '1.05', eventSource: 'signin.amazonaws.com', eventName: 'CheckMfa', eventType: 'AwsConsoleSignIn',
      userIdentity: { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', accountId: '111122223333', accessKeyId: '', userName: 'anaya' },
      requestParameters: null, responseElements: { CheckMfa: 'Success' }, additionalEventData: { MfaType: 'U2F MFA' },
    }),
    // Not documented: a CheckMfa "Failure", read as ConsoleLogin's outcome is, should AWS write one.
    checkMfaFailure: record({
      eventSource: 'signin.amazonaws.com', eventName: 'CheckMfa', eventType: 'AwsConsoleSignIn', responseElements: { CheckMfa: 'Failure' },
    }),
    // A console role switch as records show it (no AWS page does): the role's session, no session issuer; not a sign-in outcome read.
    switchRole: record({
      eventVersion: '1.08', eventSource: 'signin.amazonaws.com', eventName: 'SwitchRole', eventType: 'AwsConsoleSignIn', requestParameters: null,
      userIdentity: {
        type: 'AssumedRole', principalId: 'AROAEXAMPLE:Alice', arn: 'arn:aws:sts::111122223333:assumed-role/developerAdmin/Alice', accountId: '111122223333',
      },
      responseElements: { SwitchRole: 'Success' },
      additionalEventData: { SwitchFrom: 'arn:aws:iam::999999999999:user/Alice', RedirectTo: 'https://console.aws.amazon.com/console/home' },
    }),
    // IAM Identity Center's sign-in steps, as its user guide shows them: no errorCode nor errorMessage, the outcome in serviceEventDetails.
    challenge: identityCenterStep('CredentialChallenge', 'Success', 'PASSWORD'),
    wrongPassword: identityCenterStep('CredentialVerification', 'Failure', 'PASSWORD'),
    wrongCode: identityCenterStep('CredentialVerification', 'Failure', 'TOTP'),
    rightPassword: identityCenterStep('CredentialVerification', 'Success', 'PASSWORD'),
    signedIn: identityCenterStep('UserAuthentication', 'Success', 'PASSWORD'),
    // Another step's outcome is not the event's own.
    otherOutcome: record({
      eventSource: 'signin.amazonaws.com', eventName: 'UserAuthentication',
      serviceEventDetails: { UserAuthentication: 'Success', CredentialVerification: 'Failure' },
    }),
    listNoFlag: record({ eventName: 'ListBuckets' }),
    writeNoFlag: record({
      eventName: 'TerminateInstances', requestParameters: { instancesSet: { items: [{ instanceId: 'i-0aaa' }, { instanceId: 'i-0bbb' }] } },
    }),
    runInstances: record({
      eventName: 'RunInstances',
      readOnly: false,
      requestParameters: { imageId: 'ami-123' },
      responseElements: { instancesSet: { items: [{ instanceId: 'i-0new' }] } },
      resources: [{ ARN: 'arn:aws:iam::111122223333:role/Deployer', accountId: '111122223333' }],
    }),
    // An ARN whose name part is blank names no one: the ARN itself is the name, as for one that ends in a colon.
    blankArnName: record({
      eventName: 'GetUser',
      resources: [{ ARN: 'arn:aws:iam::123456789012:user/ ' }, { ARN: 'arn:aws:iam::123456789012:role/\u3000/' }],
    }),
    // SSM's calls on instances, as Stratus Red Team recorded them (ssm-send-command, ssm-start-session): a list of instance
    // ids, and one instance as the session's target.
    sendCommand: record({
      eventSource: 'ssm.amazonaws.com', eventName: 'SendCommand', readOnly: false,
      requestParameters: {
        documentName: 'AWS-RunShellScript', instanceIds: ['i-00456A8D163f546Ff', 'i-cfE23b1a7ceba6f86'], interactive: false,
        parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      },
      responseElements: {
        command: {
          commandId: '4e973221-443e-4a56-a0b4-1cb3c7923fc3', documentName: 'AWS-RunShellScript', instanceIds: ['i-00456A8D163f546Ff', 'i-cfE23b1a7ceba6f86'],
        },
      },
    }),
    startSession: record({
      eventSource: 'ssm.amazonaws.com', eventName: 'StartSession', readOnly: false,
      requestParameters: { target: 'i-eA1d1296c1dE3Aa1f' },
      responseElements: { sessionId: 'christophe-wzleysigzmbd6fmkefjqvt5w4u', tokenValue: 'Value hidden due to security reasons.' },
    }),
    noRecipient: record({ recipientAccountId: undefined, userIdentity: { type: 'IAMUser', userName: 'x', accountId: '444455556666' } }),
  };
  let rows: Map<string, Row>;
  const get = (rec: CloudTrailRecord) => rows.get(rec.eventID)!;
  beforeAll(async () => {
    rows = await normalise(Object.values(r));
  });

  test('service is eventSource without .amazonaws.com', () => {
    expect(get(r.s3).service).toBe('s3');
    expect(get(r.consoleFailure).service).toBe('signin');
  });

  test('source IP is kept as it is, with a flag saying whether it is an address', () => {
    expect(get(r.s3)).toMatchObject({ source_ip: '203.0.113.7', source_is_ip: true });
    expect(get(r.serviceIp)).toMatchObject({ source_ip: 'ec2.amazonaws.com', source_is_ip: false });
    expect(get(r.internal)).toMatchObject({ source_ip: 'AWS Internal', source_is_ip: false });
    expect(get(r.leadingZero)).toMatchObject({ source_ip: '255.090.254.5', source_is_ip: false });
    expect(get(r.ipv6)).toMatchObject({ source_ip: '2001:db8::8a2e:370:7334', source_is_ip: true });
    expect(get(r.notIpv6)).toMatchObject({ source_ip: '2001::db8::1', source_is_ip: false });
    expect(get(r.noIp)).toMatchObject({ source_ip: '', source_is_ip: false });
  });

  test('errors and unauthorized attempts', () => {
    const status = (rec: CloudTrailRecord) => [get(rec).is_error, get(rec).is_unauthorized];
    expect(status(r.s3)).toEqual([false, false]);
    expect(status(r.accessDenied)).toEqual([true, true]);
    expect(status(r.clientUnauthorized)).toEqual([true, true]);
    expect(status(r.notAuthorizedMessage)).toEqual([true, true]);
    expect(status(r.messageInside)).toEqual([true, true]);
    expect(status(r.snsRefused)).toEqual([true, true]);
    expect(status(r.authFailure)).toEqual([true, true]);
    expect(status(r.ec2AuthFailure)).toEqual([true, true]);
    expect(status(r.operationException)).toEqual([true, true]);
    expect(status(r.throttled)).toEqual([true, false]);
    expect(status(r.vpceRefused)).toEqual([true, true]);
    expect(get(r.vpceRefused)).toMatchObject({ user_name: '777788889999', identity_type: 'AWSAccount', event_category: 'NetworkActivity' });
    expect(status(r.dryRun)).toEqual([false, false]);
    expect(status(r.consoleFailure)).toEqual([true, true]);
    expect(status(r.consoleSuccess)).toEqual([false, false]);
    expect(status(r.consoleFailureMessage)).toEqual([true, true]);
  });

  test('a failed sign-in step (CheckMfa, an IAM Identity Center password or MFA code) is a failed login: an error and an unauthorized attempt', () => {
    const status = (rec: CloudTrailRecord) => [rec.eventName, get(rec).is_error, get(rec).is_unauthorized];
    // A refused console MFA code, as AWS documents it: a failed ConsoleLogin of the user, MFA used.
    expect(status(r.mfaLoginFailure)).toEqual(['ConsoleLogin', true, true]);
    expect(get(r.mfaLoginFailure)).toMatchObject({ user_name: 'anaya', identity_type: 'IAMUser', mfa_used: true, error_code: null });
    expect(status(r.checkMfaSuccess)).toEqual(['CheckMfa', false, false]);
    expect(get(r.checkMfaSuccess)).toMatchObject({ user_name: 'anaya', identity_type: 'IAMUser', mfa_used: null });
    expect(status(r.checkMfaFailure)).toEqual(['CheckMfa', true, true]);
    expect(status(r.switchRole)).toEqual(['SwitchRole', false, false]);
    expect(get(r.switchRole)).toMatchObject({ user_name: 'developerAdmin', role_name: 'developerAdmin', session_name: 'Alice', permission_set: null });
    expect(status(r.wrongPassword)).toEqual(['CredentialVerification', true, true]);
    expect(status(r.wrongCode)).toEqual(['CredentialVerification', true, true]);
    expect(status(r.rightPassword)).toEqual(['CredentialVerification', false, false]);
    expect(status(r.challenge)).toEqual(['CredentialChallenge', false, false]);
    expect(status(r.signedIn)).toEqual(['UserAuthentication', false, false]);
    expect(status(r.otherOutcome)).toEqual(['UserAuthentication', false, false]);
    // The Identity Center user signing in, by the name they typed.
    expect(get(r.wrongPassword)).toMatchObject({ user_name: 'user1', identity_type: 'Unknown', error_code: null });
  });

  test('read-only from the record, else from the event name', () => {
    expect(get(r.s3).read_only).toBe(false);
    expect(get(r.listNoFlag).read_only).toBe(true);
    expect(get(r.writeNoFlag).read_only).toBe(false);
  });

  test('resources: ARNs and identifiers from request and response, with friendly names', () => {
    const ids = (rec: CloudTrailRecord) => (get(rec).resources as Array<{ id: string; name: string }>).map((x) => `${x.id}=${x.name}`).sort();
    expect(ids(r.s3)).toEqual(['logs-bucket=logs-bucket']);
    expect(ids(r.writeNoFlag)).toEqual(['i-0aaa=i-0aaa', 'i-0bbb=i-0bbb']);
    expect(ids(r.runInstances)).toEqual(['ami-123=ami-123', 'arn:aws:iam::111122223333:role/Deployer=Deployer', 'i-0new=i-0new']);
    expect(ids(r.listNoFlag)).toEqual([]);
    expect(ids(r.blankArnName)).toEqual([
      'arn:aws:iam::123456789012:role/\u3000/=arn:aws:iam::123456789012:role/\u3000/',
      'arn:aws:iam::123456789012:user/ =arn:aws:iam::123456789012:user/ ',
    ]);
    // An instance's id finds the commands run on it and the shells opened on it.
    expect(ids(r.sendCommand)).toEqual(['i-00456A8D163f546Ff=i-00456A8D163f546Ff', 'i-cfE23b1a7ceba6f86=i-cfE23b1a7ceba6f86']);
    expect(ids(r.startSession)).toEqual(['i-eA1d1296c1dE3Aa1f=i-eA1d1296c1dE3Aa1f']);
  });

  test('account is recipientAccountId, else (outside the AWSLogs layout) the identity account', () => {
    expect(get(r.s3).account).toBe('111122223333');
    expect(get(r.noRecipient).account).toBe('444455556666');
  });

  test('without recipientAccountId, the account in the key comes before the caller\'s', async () => {
    await withTempDatabase(async (dir, db) => {
      const { noRecipient } = r;
      writeFiles(dir, { [`logs/${dayPrefix('555566667777', 'us-east-1', '2026-11-20')}file.json.gz`]: logFile([noRecipient]) });
      await ingest({ source: path.join(dir, 'logs'), db, now: new Date('2026-11-21T00:00:00Z') });
      expect(await db.all('SELECT event_id, account FROM events')).toEqual([{ event_id: noRecipient.eventID, account: '555566667777' }]);
    });
  });

  test('the full original record is kept', () => {
    expect(get(r.runInstances).record).toEqual(r.runInstances);
  });
});

describe('MFA', () => {
  const signIn = (userIdentity: CloudTrailRecord['userIdentity'], mfaUsed: string) =>
    record({
      eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', userIdentity,
      responseElements: { ConsoleLogin: 'Success' }, additionalEventData: { MFAUsed: mfaUsed },
    });
  const role = (mfaAuthenticated: string) => ({
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b/dave@example.com',
    sessionContext: { sessionIssuer: { type: 'Role', userName: 'AWSReservedSSO_Admin_0a1b' }, attributes: { mfaAuthenticated } },
  });
  const r = {
    userWith: signIn({ type: 'IAMUser', userName: 'alice' }, 'Yes'),
    userWithout: signIn({ type: 'IAMUser', userName: 'alice' }, 'No'),
    rootWithout: signIn({ type: 'Root', arn: 'arn:aws:iam::111122223333:root' }, 'No'),
    // What CloudTrail writes for an IAM Identity Center (SSO) sign-in, whatever the identity provider checked.
    federated: signIn(role('false'), 'No'),
    federatedSessionSaysYes: signIn(role('true'), 'No'),
    // MFAUsed outside a console sign-in is taken as it is.
    otherEvent: record({ userIdentity: role('false'), additionalEventData: { MFAUsed: 'Yes' } }),
    sessionWith: record({ userIdentity: role('true') }),
    sessionWithout: record({ userIdentity: role('false') }),
    unknown: record({}),
  };
  let rows: Map<string, Row>;
  beforeAll(async () => {
    rows = await normalise(Object.values(r));
  });

  test("a console login's MFAUsed for IAM users and root, a session's mfaAuthenticated, else unknown", () => {
    const mfa = Object.fromEntries(Object.entries(r).map(([name, rec]) => [name, rows.get(rec.eventID)!.mfa_used]));
    expect(mfa).toEqual({
      userWith: true,
      userWithout: false,
      rootWithout: false,
      federated: null,
      federatedSessionSaysYes: null,
      otherEvent: true,
      sessionWith: true,
      sessionWithout: false,
      unknown: null,
    });
  });
});

test("a blank value is one of only the characters JavaScript's trim() removes, as the query model drops a blank filter value", async () => {
  await withTempDatabase(async (_dir, db) => {
    // Every code point but the surrogates (chr refuses those) and NUL.
    const matched = await db.all<{ c: number }>(
      `SELECT i::INTEGER AS c FROM range(1, 1114112) t(i)
       WHERE CASE WHEN i BETWEEN 55296 AND 57343 THEN false
         ELSE regexp_full_match(chr(CASE WHEN i BETWEEN 55296 AND 57343 THEN 32 ELSE i END::INTEGER), $blank) END
       ORDER BY i`,
      { blank: BLANK_PATTERN }
    );
    const trimmed = [...Array(0x110000).keys()].filter((i) => i > 0 && (i < 0xd800 || i > 0xdfff) && String.fromCodePoint(i).trim() === '');
    expect(matched.map((m) => m.c)).toEqual(trimmed);
  });
});

// The Summary counts distinct addresses by it; the tests' oracle (tests/support/oracle.ts) by Node's net.isIP.
test("an address is what Node's net.isIP takes for one: IPv4 without leading zeros, IPv6 by its grammar, tried at random too", async () => {
  const listed = [
    '203.0.113.7', '255.090.254.5', '256.1.1.1', '1.2.3', '::', '::1', '2001:db8::', '2001:db8:0:0:0:0:2:1', '1:2:3:4:5:6:7::', '::0:0:0:0:0:0:0',
    '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', 'fe80::1%eth0', ':::', ':::::::', '1::2::3', '1:2:3', '1:2:3:', ':1:2:3', '1:2:3:4:5:6:7:1.2.3.4',
    '::999.1.1.1', '1::1.2.3.04', '12345::1', 'g::1', 'ec2.amazonaws.com', 'AWS Internal', '',
  ];
  // Strings of the pieces addresses are made of, mostly not addresses, some of them near ones.
  const rng = new Rng(22);
  const pieces = ['0', '1', 'f', 'FF', 'ffff', '12345', ':', ':', '::', '.', '.', '255', '256', '01', 'g', '%', 'eth0', '192.0.2.1'];
  const random = Array.from({ length: 20_000 }, () => Array.from({ length: rng.int(0, 15) }, () => rng.pick(pieces)).join(''));
  await withTempDatabase(async (_dir, db) => {
    for (const texts of [listed, random]) {
      const rows = await db.all<{ text: string; ip: boolean }>(`SELECT text, ${isIpSql('text')} AS ip FROM (SELECT unnest($texts) AS text)`, {
        texts: listValue(texts),
      });
      expect(rows.filter((row) => row.ip !== (net.isIP(row.text) !== 0))).toEqual([]);
      expect(rows.filter((row) => row.ip).length).toBeGreaterThanOrEqual(texts === listed ? 10 : 100);
    }
  });
});
