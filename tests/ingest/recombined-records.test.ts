// The field rules in DuckDB (normalise.ts) against the same rules written plainly in tests/support/oracle.ts, on records
// no trail wrote but any could: the real identities (Stratus Red Team and generated ones, plus the odd ones AWS
// documents) recombined at random with outcomes, sign-in steps, read-only flags, MFA, categories and source addresses;
// and identifiers of every shape where the resource rules look. Seeded: a failure names its seed and comes again.
import { Rng } from '../../src/generator/rng';
import { RESOURCE_ID_KEYS, SERVICE_RESOURCE_ID_PATHS } from '../../src/model/fieldRules';
import {
  accountOf,
  generatedRecords,
  oracleEventCategory,
  oracleIsError,
  oracleIsIp,
  oracleMfa,
  oraclePermissionSet,
  oracleReadOnly,
  oracleResourceIds,
  oracleRole,
  oracleService,
  oracleUnauthorized,
  oracleUser,
} from '../support/oracle';
import { stratusRecords, type CloudTrailRecord } from '../support/stratus';
import { ingestRecords } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');

/** Identities CloudTrail writes that the real and generated records lack: each a whole, consistent userIdentity. */
const DOCUMENTED_IDENTITIES: CloudTrailRecord[] = [
  // A service calling for an identity of any type; an identity with nothing but its invoker.
  { type: 'IAMUser', invokedBy: 'cloudformation.amazonaws.com' },
  { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
  { type: 'AWSAccount', accountId: '444455556666', principalId: 'AIDA2' },
  { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/carol', principalId: '111122223333:carol', accountId: '111122223333' },
  {
    type: 'IdentityCenterUser',
    accountId: '111122223333',
    onBehalfOf: { userId: 'u-1234', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-1' },
  },
  { type: 'Unknown', principalId: '111122223333', accountId: '111122223333' },
  { type: 'SAMLUser', userName: 'jane@example.com', principalId: 'saml:jane', identityProvider: 'arn:aws:iam::111122223333:saml-provider/Okta' },
  // A role session without its issuer, of this account and of another one.
  { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Auditor/s-1', principalId: 'AROA1:s-1', accountId: '111122223333' },
  { type: 'AssumedRole', arn: 'arn:aws:sts::444455556666:assumed-role/Scanner/s-2', principalId: 'AROA2:s-2', accountId: '444455556666' },
  // An Identity Center session whose ARN lacks the session: the principal id names the person.
  {
    type: 'AssumedRole',
    principalId: 'AROA3:jo@example.com',
    accountId: '111122223333',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_0123456789abcdef',
        userName: 'AWSReservedSSO_ReadOnly_0123456789abcdef',
      },
      attributes: { mfaAuthenticated: 'true' },
    },
  },
  { type: 'Root', arn: 'arn:aws:iam::111122223333:root', principalId: '111122223333', accountId: '111122223333' },
];

const CODES = [
  'AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation', 'Client.DryRunOperation', 'ThrottlingException',
  'NoSuchEntity', 'Client.AuthFailure', 'ForbiddenException', 'AuthorizationError', 'NotAuthorizedException', 'UnauthorizedException',
  'VpceAccessDenied', 'accessdenied', 'Server.InternalError', 'InvalidClientTokenId',
];
const MESSAGES = ['User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:GetObject', 'Not Authorized', 'Rate exceeded', 'Access Denied'];
const NAMES = [
  'ConsoleLogin', 'CheckMfa', 'CredentialChallenge', 'CredentialVerification', 'UserAuthentication', 'DescribeInstances', 'GetObject', 'PutObject',
  'RunInstances', 'ListBuckets', 'BatchGetItem', 'HeadBucket', 'describeThing', 'AssumeRole', 'Invoke', 'SearchProducts',
];
const SOURCES = [
  'signin.amazonaws.com', 's3.amazonaws.com', 'ec2.amazonaws.com', 'lambda.amazonaws.com', 'sso.amazonaws.com', 'dynamodb.amazonaws.com', 'custom-source',
];

/** One of the fields the rules read, set at random to a value CloudTrail writes there (or removed). */
const CHANGES: Array<(rng: Rng, r: CloudTrailRecord) => void> = [
  (rng, r) => (r.errorCode = rng.pick(CODES)),
  (rng, r) => (r.errorMessage = rng.pick(MESSAGES)),
  (_, r) => (delete r.errorCode, delete r.errorMessage),
  (rng, r) => (r.eventName = rng.pick(NAMES)),
  (rng, r) => (r.eventSource = rng.pick(SOURCES)),
  (rng, r) => (r.responseElements = { [rng.pick(['ConsoleLogin', 'CheckMfa'])]: rng.pick(['Failure', 'Success']) }),
  (rng, r) => {
    r.serviceEventDetails = { [rng.pick(['CredentialChallenge', 'CredentialVerification', 'UserAuthentication'])]: rng.pick(['Failure', 'Success']) };
  },
  (rng, r) => (rng.chance(0.3) ? delete r.readOnly : (r.readOnly = rng.chance(0.5))),
  (rng, r) => (r.additionalEventData = { ...r.additionalEventData, MFAUsed: rng.pick(['Yes', 'No']) }),
  (rng, r) => (r.eventCategory = rng.pick(['Management', 'Data', 'NetworkActivity'])),
  (_, r) => delete r.eventCategory,
  (rng, r) => (rng.chance(0.3) ? delete r.managementEvent : (r.managementEvent = rng.chance(0.5))),
  (rng, r) => (r.eventType = rng.pick(['AwsApiCall', 'AwsServiceEvent', 'AwsConsoleSignIn'])),
  (rng, r) => (r.sourceIPAddress = rng.pick(['198.51.100.7', '2001:db8::1', '::ffff:192.0.2.1', 'ec2.amazonaws.com', 'AWS Internal', '999.1.1.1'])),
  (rng, r) => (r.recipientAccountId = rng.pick(['111122223333', '444455556666'])),
];

function recombined(rng: Rng, bases: CloudTrailRecord[], n: number): CloudTrailRecord {
  const r = structuredClone(rng.pick(bases));
  r.eventID = `recombined-${n}`;
  r.eventTime = '2026-11-20T08:00:00Z';
  r.recipientAccountId ??= '111122223333';
  // Its own identity, another real record's, or one of the documented ones.
  if (rng.chance(0.2)) r.userIdentity = structuredClone(rng.pick(DOCUMENTED_IDENTITIES));
  else if (rng.chance(0.4)) r.userIdentity = structuredClone(rng.pick(bases).userIdentity);
  for (let i = rng.int(1, 4); i > 0; i--) rng.pick(CHANGES)(rng, r);
  return r;
}

test.each([1, 2, 3])('seed %i: every derived column of recombined records is what the plain rules give', async (seed) => {
  const rng = new Rng(seed);
  const bases = [...stratusRecords().map((s) => s.record), ...generatedRecords({ events: 300, days: 1, seed, end: NOW })];
  const records = Array.from({ length: 2000 }, (_, n) => recombined(rng, bases, n));
  const { db, summary, cleanup } = await ingestRecords([records], { now: NOW, days: 2 });
  try {
    expect(summary).toMatchObject({ events: records.length, errors: 0, rejected: 0 });
    const rows = new Map((await db.all<Record<string, any>>('SELECT * FROM events')).map((row) => [row.event_id, row]));
    const expected = (r: CloudTrailRecord) => ({
      user: oracleUser(r),
      role: oracleRole(r),
      permissionSet: oraclePermissionSet(r),
      service: oracleService(r),
      account: accountOf(r),
      isError: oracleIsError(r),
      unauthorized: oracleUnauthorized(r),
      readOnly: oracleReadOnly(r),
      mfa: oracleMfa(r),
      category: oracleEventCategory(r),
      isIp: oracleIsIp(r),
    });
    const stored = (row: Record<string, any>) => ({
      user: row.user_name,
      role: row.role_name,
      permissionSet: row.permission_set,
      service: row.service,
      account: row.account,
      isError: row.is_error,
      unauthorized: row.is_unauthorized,
      readOnly: row.read_only,
      mfa: row.mfa_used,
      category: row.event_category,
      isIp: row.source_is_ip,
    });
    const differing = records.filter((r) => JSON.stringify(stored(rows.get(r.eventID)!)) !== JSON.stringify(expected(r)));
    // The first few, each with its record, so that a failure shows what to look at.
    expect(differing.slice(0, 3).map((r) => ({ record: r, stored: stored(rows.get(r.eventID)!), expected: expected(r) }))).toEqual([]);
    // Not a comparison of sameness: the recombinations reach each outcome of the rules.
    const all = [...rows.values()];
    for (const column of ['is_error', 'is_unauthorized', 'read_only', 'source_is_ip']) {
      expect([column, new Set(all.map((row) => row[column]))]).toEqual([column, new Set([true, false])]);
    }
    expect(new Set(all.map((row) => row.mfa_used))).toEqual(new Set([true, false, null]));
    expect([...new Set(all.map((row) => row.identity_type))]).toEqual(
      expect.arrayContaining(['IAMUser', 'AssumedRole', 'Root', 'FederatedUser', 'AWSService', 'AWSAccount', 'IdentityCenterUser', 'SAMLUser', 'Unknown'])
    );
    // Some users are the fallback a record without a name, ARN or principal id ends in: the service that called.
    expect(all.some((row) => row.user_name === 'cloudformation.amazonaws.com')).toBe(true);
  } finally {
    cleanup();
  }
});

/** Values an identifier key may hold in a hand-made or hostile record: no text, blank text, JSON documents, escapes. */
const ID_VALUES: unknown[] = [
  null, 1, 1.5, true, '', '  ', '\u00a0', 'i-0abc', { id: 'i-1' }, ['i-2'], 'arn:aws:s3:::bucket/', 'a\u0000b', 'é', 'a"b', 'a\\b', '{x', '[y',
];

/** One place an identifier can be, given one of ID_VALUES (or a document that is not an object). */
const ID_CHANGES: Array<(rng: Rng, r: CloudTrailRecord) => void> = [
  (rng, r) => (r.requestParameters = { ...r.requestParameters, [rng.pick(RESOURCE_ID_KEYS)]: rng.pick(ID_VALUES) }),
  (rng, r) => (r.responseElements = { ...r.responseElements, instancesSet: { items: [{ instanceId: rng.pick(ID_VALUES) }, { instanceId: 'i-1' }] } }),
  (rng, r) => (r.requestParameters = { ...r.requestParameters, resourcesSet: { items: [{ resourceId: rng.pick(ID_VALUES) }] } }),
  (rng, r) => (r.resources = rng.pick([[{ ARN: rng.pick(ID_VALUES) }], [{ ARN: 'arn:aws:iam::111122223333:user/x' }, null, 'y'], { ARN: 'z' }, null, []])),
  (rng, r) => {
    r.eventSource = rng.pick(Object.keys(SERVICE_RESOURCE_ID_PATHS));
    const pickId = () => rng.pick(ID_VALUES);
    r.requestParameters = { name: pickId(), instanceIds: [pickId(), 'i-2'], target: pickId(), distribution: { aRN: pickId() } };
  },
  (rng, r) => (r.responseElements = rng.pick([null, 'text', [1], 5])),
  // An identifier key below the top is not one the rules read.
  (_, r) => (r.requestParameters = { nested: { instanceId: 'i-deep' } }),
];

test.each([1, 2])('seed %i: the resources of records with identifiers of every shape are what the plain rules give', async (seed) => {
  const rng = new Rng(seed);
  const bases = [...stratusRecords().map((s) => s.record), ...generatedRecords({ events: 300, days: 1, seed, end: NOW })];
  const records = Array.from({ length: 2000 }, (_, n) => {
    const r = structuredClone(rng.pick(bases));
    Object.assign(r, { eventID: `identifiers-${n}`, eventTime: '2026-11-20T08:00:00Z' });
    for (let i = rng.int(0, 3); i > 0; i--) rng.pick(ID_CHANGES)(rng, r);
    return r;
  });
  const { db, summary, cleanup } = await ingestRecords([records], { now: NOW, days: 2 });
  try {
    expect(summary).toMatchObject({ events: records.length, errors: 0, rejected: 0 });
    const rows = await db.all<{ id: string; resources: Array<{ id: string }> | null }>('SELECT event_id AS id, resources FROM events');
    const stored = new Map(rows.map((row) => [row.id, (row.resources ?? []).map((x) => x.id).sort()]));
    const differing = records.filter((r) => JSON.stringify(stored.get(r.eventID)) !== JSON.stringify(oracleResourceIds(r).sort()));
    expect(differing.slice(0, 3).map((r) => ({ record: r, stored: stored.get(r.eventID), expected: oracleResourceIds(r) }))).toEqual([]);
    // Not a comparison of empty lists: most events have resources, some of them ids that were no text.
    const ids = [...stored.values()].flat();
    expect([...stored.values()].filter((list) => list.length > 0).length).toBeGreaterThan(records.length / 2);
    expect(ids).toEqual(expect.arrayContaining(['1.5', 'true', 'a\u0000b', 'a\\b']));
  } finally {
    cleanup();
  }
});
