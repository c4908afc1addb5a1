// serviceCalls: exclude leaves out what AWS services did, and keeps what people did, IAM Identity Center's sign-in
// steps among them (AWS writes those as AwsServiceEvent). Real ingestion, real DuckDB, the report engine's own query.
import { resolveQuery } from '../../src/model/query';
import { Reports } from '../../src/service/reports';
import type { Frame } from '../../src/model/api';
import { ingestRecords } from '../support/temp';
import { oracleServiceCall } from '../support/oracle';
import type { CloudTrailRecord } from '../support/stratus';

const ACCOUNT = '111122223333';
let seq = 0;
const base = (over: CloudTrailRecord): CloudTrailRecord => ({
  eventVersion: '1.08', eventID: `svc-${++seq}`, eventTime: `2026-11-20T10:${String(seq).padStart(2, '0')}:00Z`, awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.0', recipientAccountId: ACCOUNT, requestParameters: null, responseElements: null, ...over,
});

/**
 * An IAM Identity Center sign-in step as its user guide shows one ("Understanding IAM Identity Center sign-in events",
 * https://docs.aws.amazon.com/singlesignon/latest/userguide/understanding-sign-in-events.html): signin.amazonaws.com,
 * eventType AwsServiceEvent, the Unknown identity with the name typed, the outcome in serviceEventDetails.
 */
const signInStep = (eventName: string, outcome: string, identity: CloudTrailRecord = { userName: 'user1', principalId: ACCOUNT, arn: '' }) =>
  base({
    eventSource: 'signin.amazonaws.com', eventName, eventType: 'AwsServiceEvent', readOnly: false, managementEvent: true,
    eventCategory: 'Management', userAgent: 'Mozilla/5.0', userIdentity: { type: 'Unknown', accountId: ACCOUNT, accessKeyId: '', ...identity },
    additionalEventData: { AuthWorkflowID: '9de74b32-8362-4a01-a524-de21df59fd83', CredentialType: 'PASSWORD' },
    serviceEventDetails: { [eventName]: outcome },
  });
const IDENTITY_STORE = `arn:aws:identitystore::${ACCOUNT}:identitystore/d-1`;

const PERSON = [
  signInStep('CredentialChallenge', 'Success'),
  signInStep('CredentialVerification', 'Failure'),
  signInStep('CredentialVerification', 'Success'),
  signInStep('UserAuthentication', 'Success'),
  // Since July 2025 a step names the Identity Center user by its id alone (onBehalfOf).
  signInStep('UserAuthentication', 'Success', { onBehalfOf: { userId: '544894e8-1234', identityStoreArn: IDENTITY_STORE } }),
  // The AWS access portal, as the user guide shows a ListApplications there ("Understanding CloudTrail events for IAM Identity Center").
  base({
    eventSource: 'sso.amazonaws.com', eventName: 'ListApplications', eventType: 'AwsApiCall', readOnly: true,
    userIdentity: { type: 'IdentityCenterUser', accountId: ACCOUNT, onBehalfOf: { userId: '544894e8-1234', identityStoreArn: IDENTITY_STORE } },
  }),
  base({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', eventType: 'AwsApiCall', userIdentity: { type: 'IAMUser', userName: 'alice' } }),
  // A console user's own call in an older record, as IAM's user guide shows one (GetUserPolicy): invoked by AWS sign-in.
  base({
    eventVersion: '1.05', eventSource: 'iam.amazonaws.com', eventName: 'GetUserPolicy',
    sourceIPAddress: 'signin.amazonaws.com', userAgent: 'signin.amazonaws.com',
    requestParameters: { userName: 'JaneDoe', policyName: 'ReadOnlyAccess-JaneDoe-201407151307' },
    userIdentity: {
      type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/JaneDoe`, accountId: ACCOUNT,
      accessKeyId: 'AKIAI44QH8DHBEXAMPLE', userName: 'JaneDoe', invokedBy: 'signin.amazonaws.com',
      sessionContext: { attributes: { mfaAuthenticated: 'false', creationDate: '2014-07-15T21:39:40Z' } },
    },
  }),
];
const SERVICES = [
  // A KMS key rotated by KMS, the CloudTrail user guide's example of an AWS service event ("AWS service events").
  base({
    eventSource: 'kms.amazonaws.com', eventName: 'RotateKey', eventType: 'AwsServiceEvent', userIdentity: { accountId: ACCOUNT, invokedBy: 'AWS Internal' },
  }),
  // The same without invokedBy: the event type alone says a service did it.
  base({ eventSource: 'health.amazonaws.com', eventName: 'AWSHealthEvent', eventType: 'AwsServiceEvent', userIdentity: { accountId: ACCOUNT } }),
  base({
    eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', eventType: 'AwsApiCall',
    userIdentity: { type: 'IAMUser', userName: 'alice', invokedBy: 'cloudformation.amazonaws.com' },
  }),
  base({
    eventSource: 's3.amazonaws.com', eventName: 'PutObject', eventType: 'AwsApiCall',
    userIdentity: { type: 'AWSService', invokedBy: 'delivery.logs.amazonaws.com' },
  }),
];

/** A table frame as {group: count}. */
const table = (frame: Frame): Record<string, number> =>
  Object.fromEntries(frame.fields[0].values.map((g, i) => [String(g), Number(frame.fields[1].values[i])]));

test('leaving out AWS service calls keeps IAM Identity Center sign-in steps and portal calls, a person\'s doing', async () => {
  const { db, cleanup } = await ingestRecords([[...PERSON, ...SERVICES]]);
  try {
    const reports = new Reports(db);
    const range = { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-21T00:00:00Z') };
    const byEvent = async (serviceCalls: 'include' | 'exclude') =>
      table((await reports.frames(resolveQuery({ format: 'table', groupBy: 'eventName', serviceCalls }), range))[0]);
    expect(await byEvent('include')).toEqual({
      CredentialChallenge: 1, CredentialVerification: 2, UserAuthentication: 2, ListApplications: 1, DescribeInstances: 1, GetUserPolicy: 1,
      RotateKey: 1, AWSHealthEvent: 1, RunInstances: 1, PutObject: 1,
    });
    expect(await byEvent('exclude')).toEqual({
      CredentialChallenge: 1, CredentialVerification: 2, UserAuthentication: 2, ListApplications: 1, DescribeInstances: 1, GetUserPolicy: 1,
    });
    // The refused password still counts as an unauthorized attempt of the person, service calls left out.
    const refused = (await reports.frames(resolveQuery({ format: 'table', groupBy: 'user', status: 'unauthorized', serviceCalls: 'exclude' }), range))[0];
    expect(table(refused)).toEqual({ user1: 1 });
  } finally {
    cleanup();
  }
});

test('the test oracle says the same of each record', () => {
  expect(PERSON.map(oracleServiceCall)).toEqual(PERSON.map(() => false));
  expect(SERVICES.map(oracleServiceCall)).toEqual(SERVICES.map(() => true));
});
