// Resource ID and error-code drill-downs on small hand-written logs whose answers are known by construction: the
// trail a StopLogging names, a CloudFront distribution, an event time with microseconds, the error-code groups, and
// values with spaces.
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from '../../src/model/api';
import { resolveQuery, type TrailhoundQuery } from '../../src/model/query';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import { logFile } from '../support/stratus';
import { ingestRecords, tempDir, writeFiles } from '../support/temp';

const base = { eventVersion: '1.08', awsRegion: 'us-east-1', recipientAccountId: '111122223333', sourceIPAddress: '203.0.113.7' };
const user = (name: string) => ({ type: 'IAMUser', userName: name, accountId: '111122223333', arn: `arn:aws:iam::111122223333:user/${name}` });
const RECORDS = [
  { ...base, eventID: 'run-1', eventTime: '2026-11-20T11:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances',
    userIdentity: user('erin'), responseElements: { instancesSet: { items: [{ instanceId: 'i-0frac' }] } } },
  // Microseconds after the last whole millisecond: the newest event of the instance.
  { ...base, eventID: 'run-2', eventTime: '2026-11-20T12:00:00.999500Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances',
    userIdentity: user('dave'), responseElements: { instancesSet: { items: [{ instanceId: 'i-0frac' }] } } },
  { ...base, eventID: 'stop', eventTime: '2026-11-20T13:00:00Z', eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging', userIdentity: user('mallory'), requestParameters: { name: 'org-trail' } },
  {
    ...base,
    eventID: 'cdn',
    eventTime: '2026-11-20T14:00:00Z',
    eventSource: 'cloudfront.amazonaws.com',
    eventName: 'UpdateDistribution',
    userIdentity: user('erin'),
    requestParameters: { id: 'EDFDVBD6EXAMPLE', ifMatch: 'E2QWRUHEXAMPLE' },
    responseElements: { distribution: { id: 'EDFDVBD6EXAMPLE', aRN: 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE' } },
  },
  // A generic "name" elsewhere is not a resource.
  { ...base, eventID: 'tag', eventTime: '2026-11-20T15:00:00Z', eventSource: 'ssm.amazonaws.com',
    eventName: 'GetParameter', userIdentity: user('erin'), requestParameters: { name: 'org-trail' } },
  // A SAML user name that ends in a space, as identity providers sometimes send it.
  { ...base, eventID: 'saml', eventTime: '2026-11-20T15:30:00Z', eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRoleWithSAML', userIdentity: { type: 'SAMLUser', userName: 'bob ', principalId: 'p' } },
  { ...base, eventID: 'denied', eventTime: '2026-11-20T16:00:00Z', eventSource: 's3.amazonaws.com',
    eventName: 'GetObject', userIdentity: user('bob'), errorCode: 'AccessDenied', errorMessage: 'Access Denied' },
  {
    ...base,
    eventID: 'failed-login',
    eventTime: '2026-11-20T16:30:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    userIdentity: user('bob'),
    responseElements: { ConsoleLogin: 'Failure' },
  },
  // A day of refusals for the exclusions: the log delivery service's, a HeadBucket, a GetObject and a role session's.
  {
    ...base,
    eventID: 'delivery',
    eventTime: '2026-11-19T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetBucketAcl',
    sourceIPAddress: 'delivery.logs.amazonaws.com',
    userIdentity: { type: 'AWSService', invokedBy: 'delivery.logs.amazonaws.com' },
    errorCode: 'AccessDenied',
  },
  { ...base, eventID: 'head', eventTime: '2026-11-19T10:01:00Z', eventSource: 's3.amazonaws.com',
    eventName: 'HeadBucket', userIdentity: user('scout'), errorCode: 'AccessDenied' },
  { ...base, eventID: 'get', eventTime: '2026-11-19T10:02:00Z', eventSource: 's3.amazonaws.com',
    eventName: 'GetObject', userIdentity: user('scout'), errorCode: 'AccessDenied' },
  {
    ...base,
    eventID: 'role-put',
    eventTime: '2026-11-19T10:03:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'PutObject',
    userIdentity: {
      type: 'AssumedRole', principalId: 'AROADEPLOY:ci', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/ci', accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/Deployer', userName: 'Deployer' } },
    },
    errorCode: 'AccessDenied',
  },
];
const RANGE = { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-21T00:00:00Z') };
const REFUSALS_DAY = { from: Date.parse('2026-11-19T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') };

let dir: string;
let db: Database;

beforeAll(async () => {
  dir = tempDir();
  writeFiles(path.join(dir, 'logs'), { 'events.json.gz': logFile(RECORDS) });
  db = await Database.open(path.join(dir, 'resources.duckdb'));
  expect(await ingest({ source: path.join(dir, 'logs'), db, days: 3650 })).toMatchObject({ events: RECORDS.length, errors: 0 });
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A table frame as {group: count}. */
async function table(query: TrailhoundQuery, reports = new Reports(db), range = RANGE): Promise<Record<string, number>> {
  const [frame]: Frame[] = await reports.frames(resolveQuery({ format: 'table', ...query }), range);
  const [groups, counts] = frame.fields;
  return Object.fromEntries(groups.values.map((g, i) => [String(g), Number(counts.values[i])]));
}

test('an instance finds all its events, the newest with microseconds too, with or without the id list', async () => {
  // One id at most: the index then gives only the time span, which the query must not cut short.
  for (const reports of [new Reports(db), new Reports(db, undefined, 1)]) {
    expect(await table({ groupBy: 'user', resourceId: 'i-0frac' }, reports)).toEqual({ dave: 1, erin: 1 });
  }
});

test("a trail is found by the name CloudTrail's own calls give it; another service's 'name' is not a resource", async () => {
  expect(await table({ groupBy: 'eventName', resourceId: 'org-trail' })).toEqual({ StopLogging: 1 });
});

test('a CloudFront distribution is found by its id and its ARN', async () => {
  expect(await table({ groupBy: 'eventName', resourceId: 'EDFDVBD6EXAMPLE' })).toEqual({ UpdateDistribution: 1 });
  expect(await table({ groupBy: 'eventName', resourceId: 'arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE' })).toEqual({ UpdateDistribution: 1 });
});

test('each group of the error-code table can be drilled into with the error-code filter', async () => {
  const groups = await table({ groupBy: 'errorCode' });
  expect(groups).toEqual({ '(none)': 6, '(error without code)': 1, AccessDenied: 1 });
  for (const [code, count] of Object.entries(groups)) {
    expect(await table({ groupBy: 'errorCode', filters: { errorCode: [code] } })).toEqual({ [code]: count });
  }
  expect(await table({ groupBy: 'user', filters: { errorCode: ['(error without code)', 'AccessDenied'] } })).toEqual({ bob: 2 });
});

test('a listed value that ends in a space is found as listed, and only that one', async () => {
  const reports = new Reports(db);
  const users = (await reports.values('user', RANGE, '', 100)).map((v) => v.value);
  expect(users).toContain('bob ');
  expect(await table({ groupBy: 'eventName', filters: { user: ['bob '] } })).toEqual({ AssumeRoleWithSAML: 1 });
  expect(await table({ groupBy: 'eventName', filters: { user: ['bob'] } })).toEqual({ ConsoleLogin: 1, GetObject: 1 });
});

test('exclusions leave out the events with a listed value; an event without a value (no role) is not one of them', async () => {
  const refusals = (query: TrailhoundQuery) => table({ groupBy: 'user', status: 'unauthorized', ...query }, new Reports(db), REFUSALS_DAY);
  expect(await refusals({})).toEqual({ 'delivery.logs.amazonaws.com': 1, scout: 2, Deployer: 1 });
  // What the CIS benchmark's filter for unauthorized API calls leaves out.
  expect(await refusals({ exclude: { sourceIp: ['delivery.logs.amazonaws.com'], eventName: ['HeadBucket'] } })).toEqual({ scout: 1, Deployer: 1 });
  // Only the role session has a role: the others stay when a role is left out, and only it when "(none)" is.
  expect(await refusals({ exclude: { role: ['Deployer'] } })).toEqual({ 'delivery.logs.amazonaws.com': 1, scout: 2 });
  expect(await refusals({ exclude: { role: ['(none)'] } })).toEqual({ Deployer: 1 });
  // A filter and an exclusion of one dimension: the filter's values but those left out.
  expect(await refusals({ filters: { eventName: ['HeadBucket', 'GetObject'] }, exclude: { eventName: ['HeadBucket'] } })).toEqual({ scout: 1 });
  // The successes' group left out of every event is the errors.
  expect(await table({ groupBy: 'errorCode', exclude: { errorCode: ['(none)'] } })).toEqual(await table({ groupBy: 'errorCode', status: 'error' }));
});

test('exclusions are bound values, and hold for peaks and the category and permission set groups too', async () => {
  const refusals = (query: TrailhoundQuery) => table({ groupBy: 'user', status: 'unauthorized', ...query }, new Reports(db), REFUSALS_DAY);
  const all = await refusals({});
  // Quotes and SQL in a value are a value nobody has.
  expect(await refusals({ exclude: { user: ["scout' OR '1'='1"], eventName: ['x"); DROP TABLE events; --'] } })).toEqual(all);
  // Peaks count only the events left: scout's two refusals are gone from its window.
  expect(await refusals({ peakWindow: 60, exclude: { user: ['scout'] } })).toEqual({ 'delivery.logs.amazonaws.com': 1, Deployer: 1 });
  // Every event here has a category and none a permission set: their unknown and none groups are nothing to leave out.
  expect(await refusals({ exclude: { eventCategory: ['(unknown)'] } })).toEqual(all);
  expect(await refusals({ exclude: { permissionSet: ['(none)'] } })).toEqual({});
});

test('the events without a source IP address (Insight events) are the source IP group "(none)", listed, filtered and left out by that name', async () => {
  const insight = {
    eventVersion: '1.07', eventID: 'insight', eventTime: '2026-11-20T10:30:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances',
    awsRegion: 'us-east-1', recipientAccountId: '111122223333', eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight', insightDetails: { state: 'Start' },
  };
  const call = {
    ...base, eventID: 'call', eventTime: '2026-11-20T10:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', userIdentity: user('erin'),
  };
  const { db: own, cleanup } = await ingestRecords([[insight, call]], { days: 3650 });
  try {
    const reports = new Reports(own);
    expect(await table({ groupBy: 'sourceIp' }, reports)).toEqual({ '203.0.113.7': 1, '(none)': 1 });
    expect(await reports.values('sourceIp', RANGE, '', 100)).toEqual([
      { value: '(none)', count: 1 },
      { value: '203.0.113.7', count: 1 },
    ]);
    expect(await table({ groupBy: 'eventName', filters: { sourceIp: ['(none)'] } }, reports)).toEqual({ RunInstances: 1 });
    expect(await table({ groupBy: 'eventName', exclude: { sourceIp: ['(none)'] } }, reports)).toEqual({ DescribeInstances: 1 });
    expect(await table({ groupBy: 'sourceIp', peakWindow: 60 }, reports)).toEqual({ '203.0.113.7': 1, '(none)': 1 });
  } finally {
    cleanup();
  }
});

test('a blank field (whitespace only) is stored as absent: every group of every dimension can be drilled into, and a re-delivery is a duplicate', async () => {
  const call = { ...base, eventTime: '2026-11-20T10:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', userIdentity: user('erin') };
  const blanks = [
    { ...call, eventID: 'ok' },
    { ...call, eventID: 'region', awsRegion: '  ' },
    { ...call, eventID: 'source', eventSource: ' ' },
    // Blank before the suffix: a source, but no service.
    { ...call, eventID: 'service', eventSource: '  .amazonaws.com' },
    { ...call, eventID: 'service-wide', eventSource: '\u3000.amazonaws.com' },
    { ...call, eventID: 'name', eventName: '\u00a0' },
    { ...call, eventID: 'ip', sourceIPAddress: '   ' },
    { ...call, eventID: 'recipient', recipientAccountId: ' ' },
    { ...call, eventID: 'code', errorCode: '\t' },
    { ...call, eventID: 'type', userIdentity: { ...user('frank'), type: ' ' } },
    { ...call, eventID: 'user', userIdentity: { ...user('erin'), userName: '\t ', arn: 'arn:aws:iam::111122223333:user/eve' } },
    { ...call, eventID: 'role',
      userIdentity: { type: 'AssumedRole', principalId: 'AROA1:s', arn: ' ', sessionContext: { sessionIssuer: { userName: '  ' } } } },
    { ...call, eventID: 'category', eventCategory: ' ', managementEvent: false },
    // A blank eventID is none: each record is its own event, not one for both.
    { ...call, eventID: '  ', eventName: 'StartInstances' },
    { ...call, eventID: '  ', eventName: 'StopInstances' },
  ];
  const { db: own, summary, cleanup } = await ingestRecords([blanks, blanks], { days: 3650 });
  try {
    expect(summary).toMatchObject({ events: blanks.length, duplicates: blanks.length, errors: 0 });
    const reports = new Reports(own);
    const blank = /^\s*$/;
    for (const groupBy of ['region', 'service', 'eventName', 'user', 'sourceIp', 'account', 'errorCode', 'identityType', 'role', 'eventCategory'] as const) {
      const groups = await table({ groupBy }, reports);
      expect(Object.keys(groups).filter((g) => blank.test(g))).toEqual([]);
      for (const [value, count] of Object.entries(groups)) {
        expect([groupBy, value, await table({ groupBy, filters: { [groupBy]: [value] } }, reports)]).toEqual([groupBy, value, { [value]: count }]);
      }
      for (const { value } of await reports.values(groupBy, RANGE, '', 100)) expect([groupBy, value]).not.toEqual([groupBy, expect.stringMatching(blank)]);
    }
    const stored = await own.all<Record<string, unknown>>(
      `SELECT event_id, region, service, event_source, event_name, source_ip, account, error_code, is_error, identity_type, user_name, role_name,
         principal_arn, event_category FROM events ORDER BY event_id`
    );
    const byId = new Map(stored.map((r) => [r.event_id, r]));
    expect(byId.get('region')).toMatchObject({ region: 'unknown' });
    expect(byId.get('source')).toMatchObject({ service: 'unknown', event_source: '' });
    expect(byId.get('service')).toMatchObject({ service: 'unknown', event_source: '  .amazonaws.com' });
    expect(byId.get('service-wide')).toMatchObject({ service: 'unknown', event_source: '\u3000.amazonaws.com' });
    expect(byId.get('name')).toMatchObject({ event_name: 'unknown' });
    expect(byId.get('ip')).toMatchObject({ source_ip: '' });
    // No recipientAccountId: the caller's account, the file being outside the AWSLogs layout.
    expect(byId.get('recipient')).toMatchObject({ account: '111122223333' });
    // A blank errorCode still says the call failed.
    expect(byId.get('code')).toMatchObject({ error_code: null, is_error: true });
    expect(byId.get('type')).toMatchObject({ identity_type: 'Unknown', user_name: 'frank' });
    expect(byId.get('user')).toMatchObject({ user_name: 'arn:aws:iam::111122223333:user/eve' });
    expect(byId.get('role')).toMatchObject({ role_name: null, principal_arn: null, user_name: 'AROA1:s' });
    expect(byId.get('category')).toMatchObject({ event_category: 'Data' });
    expect(stored.filter((r) => String(r.event_id).startsWith('md5:'))).toHaveLength(2);
    expect(await table({ groupBy: 'sourceIp', filters: { sourceIp: ['(none)'] } }, reports)).toEqual({ '(none)': 1 });
  } finally {
    cleanup();
  }
});
