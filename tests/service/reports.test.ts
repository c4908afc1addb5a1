// Every report and Common Search, checked against counts the test computes itself from the input records
// (the real Stratus Red Team records plus generated logs), never against the SQL's own output.
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from '../../src/model/api';
import { COMMON_SEARCHES, commonSearch } from '../../src/model/commonSearches';
import { resolveQuery, type TrailhoundQuery } from '../../src/model/query';
import { writeLogFolder } from '../../src/generator';
import { permissionSetRole } from '../../src/generator/catalog';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import {
  countBy,
  generatedRecords,
  oracleEventCategory,
  oracleIsError,
  oracleIsIp,
  oracleMfa,
  oraclePermissionSet,
  oracleReadOnly,
  oracleRole,
  oracleService,
  oracleServiceCall,
  oracleUnauthorized,
  oracleUser,
} from '../support/oracle';
import { CALLER, RECIPIENT, ROLE, roleReads } from '../support/crossAccount';
import { logFile, stratusRecords, writeStratusFolder, type CloudTrailRecord } from '../support/stratus';
import { tempDir } from '../support/temp';

const END = new Date('2026-11-20T18:00:00Z');
const GENERATED = { events: 12_000, days: 3, end: END, seed: 11, eventsPerFile: 300 };
const HOUR = 3_600_000;
/** The generator's AdministratorAccess permission set's role in its busiest account (an IAM Identity Center role, shared by its people). */
const ADMIN_ROLE = permissionSetRole('111122223333', 'AdministratorAccess');
/** A's bucket read by A's own DataPipeline role, and by account B's role of the same name (5 reads, one refused). */
const OWN_READS = roleReads('own-reads', RECIPIENT, 3, '2026-11-20T10:00:00Z', 60_000, false);
const FOREIGN_READS = [
  ...roleReads('foreign-reads', CALLER, 4, '2026-11-20T10:01:00Z', 60_000, false),
  ...roleReads('foreign-refused', CALLER, 1, '2026-11-20T10:09:00Z', 0, true),
];

let dir: string;
let db: Database;
let reports: Reports;
let records: CloudTrailRecord[];
let range: { from: number; to: number };

beforeAll(async () => {
  dir = tempDir();
  writeStratusFolder(path.join(dir, 'stratus'));
  await writeLogFolder(path.join(dir, 'generated'), GENERATED);
  db = await Database.open(path.join(dir, 'reports.duckdb'));
  await ingest({ source: path.join(dir, 'stratus'), db });
  await ingest({ source: path.join(dir, 'generated'), db, days: 3, now: END });
  fs.mkdirSync(path.join(dir, 'cross-account'));
  fs.writeFileSync(path.join(dir, 'cross-account', 'reads.json.gz'), logFile([...OWN_READS, ...FOREIGN_READS]));
  await ingest({ source: path.join(dir, 'cross-account'), db, days: 3, now: END });
  records = [...stratusRecords().map((x) => x.record), ...generatedRecords(GENERATED), ...OWN_READS, ...FOREIGN_READS];
  const times = records.map((r) => Date.parse(r.eventTime));
  // Whole hours around every record, so hourly buckets line up with the range.
  range = { from: Math.floor(Math.min(...times) / HOUR) * HOUR, to: Math.ceil((Math.max(...times) + 1) / HOUR) * HOUR };
  reports = new Reports(db);
}, 120_000);

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(query: TrailhoundQuery, r = range, maxDataPoints?: number): Promise<Frame[]> {
  return reports.frames(resolveQuery(query), r, undefined, maxDataPoints);
}

/** A table frame as {group: count}. */
function table(frame: Frame): Record<string, number> {
  const [groups, counts] = frame.fields;
  return Object.fromEntries(groups.values.map((g, i) => [String(g), Number(counts.values[i])]));
}

/** The top `n` of expected counts, ordered as the service orders them (count desc, then name). */
function top(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, n));
}

test('the data is what the test thinks it is: every unique record stored', async () => {
  const row = await db.one<{ n: bigint }>('SELECT count(*) AS n FROM events');
  expect(Number(row!.n)).toBe(records.length);
  expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
});

test('Summary totals', async () => {
  const [frame] = await run({ queryType: 'totals' });
  const got = Object.fromEntries(frame.fields.map((f) => [f.name, f.values[0]]));
  const distinct = (key: (r: CloudTrailRecord) => unknown) => new Set(records.map(key)).size;
  expect(got).toEqual({
    trails: 0,
    events: records.length,
    success: records.filter((r) => !oracleIsError(r)).length,
    errors: records.filter(oracleIsError).length,
    unauthorized: records.filter(oracleUnauthorized).length,
    users: distinct(oracleUser),
    ips: new Set(records.filter(oracleIsIp).map((r) => r.sourceIPAddress)).size,
    services: distinct(oracleService),
    regions: distinct((r) => r.awsRegion),
    accounts: distinct((r) => r.recipientAccountId),
  });
  expect(got.unauthorized).toBeGreaterThan(0);
});

test.each([
  ['user', oracleUser],
  ['eventName', (r: CloudTrailRecord) => r.eventName],
  ['sourceIp', (r: CloudTrailRecord) => r.sourceIPAddress],
  ['service', oracleService],
  ['region', (r: CloudTrailRecord) => r.awsRegion],
  ['account', (r: CloudTrailRecord) => r.recipientAccountId],
  ['errorCode', (r: CloudTrailRecord) => r.errorCode ?? (oracleIsError(r) ? '(error without code)' : '(none)')],
  ['identityType', (r: CloudTrailRecord) => r.userIdentity?.type ?? 'Unknown'],
  // Calls made through no role are one group, named as successes' error codes are.
  ['role', (r: CloudTrailRecord) => oracleRole(r) ?? '(none)'],
  // An Identity Center role's permission set, one group for its roles in every account; every other call "(none)".
  ['permissionSet', (r: CloudTrailRecord) => oraclePermissionSet(r) ?? '(none)'],
  // Management and data events (the generated S3 object calls and Lambda Invoke).
  ['eventCategory', oracleEventCategory],
] as const)('table grouped by %s: the top 15 with their counts', async (groupBy, key) => {
  const [frame] = await run({ format: 'table', groupBy, limit: 15 });
  expect(frame.fields.map((f) => f.name)).toEqual([groupBy, 'events']);
  expect(table(frame)).toEqual(top(countBy(records, key), 15));
  expect(Object.keys(table(frame))).toEqual(Object.keys(top(countBy(records, key), 15)));
});

/** Events per (user, account) from the records, the busiest first, ties by user then account (as the SQL orders structs). */
function pairCounts(): Array<{ user: string; account: string; n: number }> {
  const counts = countBy(records, (r) => JSON.stringify([oracleUser(r), r.recipientAccountId]));
  const pairs = Object.entries(counts).map(([key, n]) => {
    const [user, account] = JSON.parse(key) as [string, string];
    return { user, account, n };
  });
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return pairs.sort((a, b) => b.n - a.n || byText(a.user, b.user) || byText(a.account, b.account));
}

test('table grouped by userAndAccount: a user and an account column, a row per pair in order, a user of two accounts in two rows', async () => {
  // Every pair, so that equal counts show the order of ties: by user, then account.
  const expected = pairCounts();
  // The test means something only if one name acts in several accounts, as an organization's roles do, and if some
  // of its pairs tie.
  const accountsOf = (user: string) => new Set(expected.filter((p) => p.user === user).map((p) => p.account));
  expect(expected.slice(0, 15).some((p) => accountsOf(p.user).size > 1)).toBe(true);
  expect(expected.some((p, i) => i > 0 && p.n === expected[i - 1].n && p.user === expected[i - 1].user)).toBe(true);
  const [frame] = await run({ format: 'table', groupBy: 'userAndAccount', limit: 1000 });
  expect(frame.fields.map((f) => [f.name, f.type])).toEqual([['user', 'string'], ['account', 'string'], ['events', 'number']]);
  const [users, accounts, counts] = frame.fields;
  expect(users.values.map((user, i) => ({ user, account: accounts.values[i], n: counts.values[i] }))).toEqual(expected);
});

test('hourly timeseries by userAndAccount: a frame per pair labelled with both, shown as "user (account)"', async () => {
  const expected = pairCounts().slice(0, 6);
  expect(new Set(expected.map((p) => p.user)).size).toBeLessThan(expected.length);
  const frames = await run({ groupBy: 'userAndAccount', aggregate: 'hour', limit: 6 });
  expect(frames.map((f) => f.fields[1].labels)).toEqual(expected.map(({ user, account }) => ({ user, account })));
  frames.forEach((frame, i) => {
    const { user, account, n } = expected[i];
    const events = frame.fields[1];
    expect([frame.name, events.config?.displayNameFromDS]).toEqual([`${user} (${account})`, `${user} (${account})`]);
    expect(events.values.reduce((a, b) => (a as number) + (b as number), 0)).toBe(n);
    // Per hour, only that account's calls of that user.
    const theirs = records.filter((r) => oracleUser(r) === user && r.recipientAccountId === account);
    const perHour = countBy(theirs, (r) => String(Math.floor(Date.parse(r.eventTime) / HOUR) * HOUR));
    expect(events.values).toEqual(frame.fields[0].values.map((t) => perHour[String(t)] ?? 0));
  });
});

test('hourly timeseries by user: one labelled frame per user, zero-filled, summing to the user total', async () => {
  const frames = await run({ groupBy: 'user', aggregate: 'hour', limit: 5 });
  const expected = top(countBy(records, oracleUser), 5);
  expect(frames.map((f) => f.name)).toEqual(Object.keys(expected));
  const buckets = (range.to - range.from) / HOUR;
  for (const frame of frames) {
    const [time, events] = frame.fields;
    expect(time.type).toBe('time');
    expect(time.values).toHaveLength(buckets);
    expect(time.values[1] as number).toBe((time.values[0] as number) + HOUR);
    expect(events.labels).toEqual({ user: frame.name });
    expect(events.values.some((v) => v === 0)).toBe(true); // quiet hours are 0, not missing
    expect(events.values.reduce((a, b) => (a as number) + (b as number), 0)).toBe(expected[frame.name!]);
  }
  // Per-hour counts of the busiest user, from the records.
  const [busiest] = frames;
  const perHour = countBy(records.filter((r) => oracleUser(r) === busiest.name), (r) => String(Math.floor(Date.parse(r.eventTime) / HOUR) * HOUR));
  busiest.fields[0].values.forEach((t, i) => expect(busiest.fields[1].values[i]).toBe(perHour[String(t)] ?? 0));
});

test('aggregate auto follows max data points; day buckets when asked', async () => {
  const auto = await run({ groupBy: 'none' }, range, 50);
  expect(auto).toHaveLength(1);
  expect(auto[0].fields[0].values.length).toBeLessThanOrEqual(50);
  const day = await run({ groupBy: 'none', aggregate: 'day' });
  const [time, events] = day[0].fields;
  expect((time.values[1] as number) - (time.values[0] as number)).toBe(86_400_000);
  expect(events.values.reduce((a, b) => (a as number) + (b as number), 0)).toBe(records.length);
});

test('a timeseries with no match is empty, and with groupBy none a single zero series', async () => {
  expect(await run({ filters: { user: ['nobody-at-all'] } })).toEqual([]);
  const [none] = await run({ groupBy: 'none', filters: { user: ['nobody-at-all'] }, aggregate: 'day' });
  expect(none.fields[1].values.every((v) => v === 0)).toBe(true);
});

test.each([
  [{ status: 'success' }, (r: CloudTrailRecord) => !oracleIsError(r)],
  [{ status: 'error' }, oracleIsError],
  [{ status: 'unauthorized' }, oracleUnauthorized],
  [{ readOnly: 'read' }, oracleReadOnly],
  [{ readOnly: 'write' }, (r: CloudTrailRecord) => !oracleReadOnly(r)],
  [{ filters: { region: ['eu-west-1', 'apiso-northsouth-3r'] } }, (r: CloudTrailRecord) => ['eu-west-1', 'apiso-northsouth-3r'].includes(r.awsRegion)],
  [{ filters: { service: ['ec2'], eventName: ['RunInstances', 'DescribeInstances'] } },
    (r: CloudTrailRecord) => oracleService(r) === 'ec2' && ['RunInstances', 'DescribeInstances'].includes(r.eventName)],
  [{ status: 'error', filters: { account: ['111122223333'] } }, (r: CloudTrailRecord) => oracleIsError(r) && r.recipientAccountId === '111122223333'],
  [{ filters: { errorCode: ['AccessDenied', 'Client.UnauthorizedOperation'] } },
    (r: CloudTrailRecord) => ['AccessDenied', 'Client.UnauthorizedOperation'].includes(r.errorCode)],
  [{ mfa: 'used' }, (r: CloudTrailRecord) => oracleMfa(r) === true],
  [{ mfa: 'notUsed' }, (r: CloudTrailRecord) => oracleMfa(r) === false],
  [{ mfa: 'notUsed', status: 'success', filters: { eventName: ['ConsoleLogin'] } },
    (r: CloudTrailRecord) => r.eventName === 'ConsoleLogin' && oracleMfa(r) === false && !oracleIsError(r)],
  [{ filters: { identityType: ['Root', 'AWSService'] } }, (r: CloudTrailRecord) => ['Root', 'AWSService'].includes(r.userIdentity?.type ?? 'Unknown')],
  [{ serviceCalls: 'exclude' }, (r: CloudTrailRecord) => !oracleServiceCall(r)],
  [{ serviceCalls: 'exclude', filters: { identityType: ['Root'] } }, (r: CloudTrailRecord) => r.userIdentity?.type === 'Root' && !oracleServiceCall(r)],
  [{ filters: { role: ['Deployer'] } }, (r: CloudTrailRecord) => oracleRole(r) === 'Deployer'],
  // "Who used the AdministratorAccess permission set": its role, whoever signed in to it.
  [{ filters: { role: [ADMIN_ROLE] } }, (r: CloudTrailRecord) => oracleRole(r) === ADMIN_ROLE],
  // The group "(none)" is every call made through no role; beside a role, both.
  [{ filters: { role: ['(none)'] } }, (r: CloudTrailRecord) => oracleRole(r) === null],
  [{ status: 'error', filters: { role: ['(none)', 'Deployer'] } }, (r: CloudTrailRecord) => oracleIsError(r) && [null, 'Deployer'].includes(oracleRole(r))],
  // "Who used AdministratorAccess across the organization": one name for its roles in every account.
  [{ filters: { permissionSet: ['AdministratorAccess'] } }, (r: CloudTrailRecord) => oraclePermissionSet(r) === 'AdministratorAccess'],
  // The real Stratus detonation's permission set (AWSReservedSSO_account-admin_599c9e90e350d2ff).
  [{ filters: { permissionSet: ['account-admin'] } }, (r: CloudTrailRecord) => oraclePermissionSet(r) === 'account-admin'],
  [{ filters: { permissionSet: ['(none)'] } }, (r: CloudTrailRecord) => oraclePermissionSet(r) === null],
  // Management events only (the real Stratus records among them), data events only, the two.
  [{ filters: { eventCategory: ['Management'] } }, (r: CloudTrailRecord) => oracleEventCategory(r) === 'Management'],
  [{ status: 'unauthorized', filters: { eventCategory: ['Data'] } }, (r: CloudTrailRecord) => oracleUnauthorized(r) && oracleEventCategory(r) === 'Data'],
  [{ filters: { eventCategory: ['Data', 'Management'], service: ['s3'] } }, (r: CloudTrailRecord) => oracleService(r) === 's3'],
  [
    { status: 'error', filters: { permissionSet: ['(none)', 'ReadOnly'] } },
    (r: CloudTrailRecord) => oracleIsError(r) && [null, 'ReadOnly'].includes(oraclePermissionSet(r)),
  ],
] as Array<[TrailhoundQuery, (r: CloudTrailRecord) => boolean]>)('filter %j counts what the records say', async (query, match) => {
  const expected = records.filter(match).length;
  expect(expected).toBeGreaterThan(0);
  const [frame] = await run({ ...query, format: 'table', groupBy: 'none' });
  expect(table(frame)).toEqual({ all: expected });
});

test("who used a permission set: its role's events by user are its people, each with their own count", async () => {
  const readOnly = records.map(oracleRole).find((role) => role?.startsWith('AWSReservedSSO_ReadOnly_'))!;
  const expected = countBy(records.filter((r) => oracleRole(r) === readOnly), oracleUser);
  // The permission set is shared: more than one person, none of them the role.
  expect(Object.keys(expected).length).toBeGreaterThan(1);
  expect(Object.keys(expected)).not.toContain(readOnly);
  const [frame] = await run({ format: 'table', groupBy: 'user', filters: { role: [readOnly] }, limit: 100 });
  expect(table(frame)).toEqual(expected);
});

test('role values: each role with its count, the calls through none as "(none)", searchable', async () => {
  const counts = countBy(records, (r) => oracleRole(r) ?? '(none)');
  expect(await reports.values('role', range, '', 100)).toEqual(Object.entries(top(counts, 100)).map(([value, count]) => ({ value, count })));
  // A permission set is a role per account: searching its name finds them all.
  const admin = await reports.values('role', range, 'administratoraccess', 100);
  const adminRoles = Object.keys(top(counts, 100)).filter((role) => role.includes('_AdministratorAccess_'));
  expect(adminRoles.length).toBeGreaterThan(1);
  expect(admin).toEqual(adminRoles.map((value) => ({ value, count: counts[value] })));
  expect(await reports.values('role', range, '(no', 100)).toEqual([{ value: '(none)', count: counts['(none)'] }]);
});

test('permission set values: one per permission set, whatever its roles in each account, "(none)" among them, searchable', async () => {
  const counts = countBy(records, (r) => oraclePermissionSet(r) ?? '(none)');
  expect(Object.keys(counts)).toEqual(expect.arrayContaining(['AdministratorAccess', 'ReadOnly', 'account-admin', '(none)']));
  expect(await reports.values('permissionSet', range, '', 100)).toEqual(Object.entries(top(counts, 100)).map(([value, count]) => ({ value, count })));
  expect(await reports.values('permissionSet', range, 'admin', 100)).toEqual(
    ['AdministratorAccess', 'account-admin'].map((value) => ({ value, count: counts[value] })).sort((a, b) => b.count - a.count)
  );
  // Who used it: its people, across the accounts.
  const [frame] = await run({ format: 'table', groupBy: 'userAndAccount', filters: { permissionSet: ['ReadOnly'] }, limit: 100 });
  const people = countBy(records.filter((r) => oraclePermissionSet(r) === 'ReadOnly'), (r) => `${oracleUser(r)} ${r.recipientAccountId}`);
  expect(new Set(Object.keys(people).map((k) => k.split(' ')[1])).size).toBeGreaterThan(1);
  const [users, accounts, events] = frame.fields.map((f) => f.values);
  expect(Object.fromEntries(users.map((u, i) => [`${u} ${accounts[i]}`, events[i]]))).toEqual(people);
});

test('event category values: management and data events with their counts; the filter splits them', async () => {
  const counts = countBy(records, oracleEventCategory);
  expect(Object.keys(counts).sort()).toEqual(['Data', 'Management']);
  expect(await reports.values('eventCategory', range, '', 100)).toEqual(Object.entries(top(counts, 100)).map(([value, count]) => ({ value, count })));
  // S3's object calls are data events, its bucket calls management events.
  const [frame] = await run({ format: 'table', groupBy: 'eventName', filters: { service: ['s3'], eventCategory: ['Data'] }, limit: 100 });
  expect(Object.keys(table(frame)).sort()).toEqual(['GetObject', 'PutObject']);
});

test('the real console login without MFA (Stratus) is found as such', async () => {
  const [frame] = await run({ format: 'list', mfa: 'notUsed', filters: { eventName: ['ConsoleLogin'] }, limit: 10_000 });
  const ids = frame.fields.find((f) => f.name === 'event id')!.values;
  const stratus = stratusRecords().map((x) => x.record).filter((r) => r.eventName === 'ConsoleLogin' && r.additionalEventData?.MFAUsed === 'No');
  expect(stratus.length).toBeGreaterThan(0);
  for (const r of stratus) expect(ids).toContain(r.eventID);
  expect(frame.fields.find((f) => f.name === 'MFA')!.values.every((v) => v === false)).toBe(true);
});

test('resource id: an instance id finds the events that touched that instance, grouped by friendly name', async () => {
  const launch = records.find((r) => r.eventName === 'RunInstances' && r.responseElements?.instancesSet)!;
  const instanceId: string = launch.responseElements.instancesSet.items[0].instanceId;
  const touching = records.filter((r) => JSON.stringify([r.requestParameters, r.responseElements, r.resources]).includes(instanceId));
  const [frame] = await run({ format: 'table', groupBy: 'eventName', resourceId: instanceId });
  expect(table(frame)).toEqual(countBy(touching, (r) => r.eventName));

  const [byResource] = await run({ format: 'table', groupBy: 'resource', resourceId: instanceId, limit: 50 });
  expect(table(byResource)[instanceId]).toBe(touching.length);
});

test("resource id: an instance's id finds the commands run (SSM SendCommand) and the shells opened (StartSession) on it", async () => {
  // The real records (Stratus ssm-send-command, ssm-start-session) name the instances in instanceIds and target.
  const ssm = records.filter((r) => ['SendCommand', 'StartSession'].includes(r.eventName));
  const instances: string[] = ssm.flatMap((r) => r.requestParameters.instanceIds ?? [r.requestParameters.target]);
  expect(instances.length).toBeGreaterThan(3);
  for (const instanceId of instances) {
    const onIt = ssm.filter((r) => [...(r.requestParameters.instanceIds ?? []), r.requestParameters.target].includes(instanceId));
    const [frame] = await run({ format: 'table', groupBy: 'eventName', resourceId: instanceId });
    // Among what else names it (an instance's own calls, a DescribeInstanceInformation filtered by its id).
    expect([instanceId, table(frame)]).toMatchObject([instanceId, countBy(onIt, (r) => r.eventName)]);
  }
});

test('resource index: by id or friendly name, with few matches or many, always what the records say', async () => {
  // A bucket named in many events: found by its name and by its ARN, through the index with and without event ids.
  const named = records.filter((r) => typeof r.requestParameters?.bucketName === 'string');
  const bucket: string = Object.entries(countBy(named, (r) => r.requestParameters.bucketName)).sort((a, b) => b[1] - a[1])[0][0];
  const touching = records.filter((r) => JSON.stringify([r.requestParameters, r.responseElements, r.resources]).includes(bucket));
  expect(touching.length).toBeGreaterThan(3);
  const fewIds = new Reports(db, undefined, 2); // more matches than 2: the index gives only the time span
  for (const reports of [new Reports(db), fewIds]) {
    const [frame] = await reports.frames(resolveQuery({ format: 'table', groupBy: 'eventName', resourceId: bucket }), range);
    expect(table(frame)).toEqual(countBy(touching, (r) => r.eventName));
  }
  const [none] = await run({ format: 'table', groupBy: 'none', resourceId: 'i-0000000000nothere' });
  expect(table(none)).toEqual({});

  // Grouped by resource, an event that names the bucket twice (its ARN in resources, its name in the parameters)
  // counts once for it.
  expect(touching.some((r) => JSON.stringify(r.resources ?? []).includes(`arn:aws:s3:::${bucket}`))).toBe(true);
  const [byResource] = await run({ format: 'table', groupBy: 'resource', resourceId: bucket, limit: 50 });
  expect(table(byResource)[bucket]).toBe(touching.length);
});

test('event list: newest first, with the columns of the Events report', async () => {
  const [frame] = await run({ format: 'list', status: 'unauthorized', limit: 7 });
  const col = (name: string) => frame.fields.find((f) => f.name === name)!.values;
  const expected = records
    .filter(oracleUnauthorized)
    .sort((a, b) => Date.parse(b.eventTime) - Date.parse(a.eventTime) || (a.eventID < b.eventID ? -1 : 1))
    .slice(0, 7);
  expect(col('event id')).toEqual(expected.map((r) => r.eventID));
  expect(col('time')).toEqual(expected.map((r) => Date.parse(r.eventTime)));
  expect(col('user')).toEqual(expected.map(oracleUser));
  expect(col('source IP')).toEqual(expected.map((r) => r.sourceIPAddress));
  expect(col('error code')).toEqual(expected.map((r) => r.errorCode ?? null));
});

describe('Common Searches', () => {
  const byPreset = async (id: string, inputs = {}) => table((await run({ ...commonSearch(id)!.query(inputs), format: 'table', limit: 1000 }))[0]);

  test('all four are defined once, in the model', () => {
    expect(COMMON_SEARCHES.map((s) => s.id)).toEqual(['ec2-started-by', 'unauthorized', 'users-activity', 'ips-activity']);
  });

  test('who started an EC2 instance: launches and starts that happened, by user, for all instances or one', async () => {
    const calls = records.filter((r) => ['RunInstances', 'StartInstances'].includes(r.eventName));
    // Refused calls and dry runs (code Client.DryRunOperation) started nothing; the inputs have both, and a start.
    const started = calls.filter((r) => r.errorCode === undefined && !oracleIsError(r));
    expect(calls.filter((r) => r.errorCode === 'Client.DryRunOperation').length).toBeGreaterThan(0);
    expect(calls.filter(oracleUnauthorized).length).toBeGreaterThan(0);
    expect(started.filter((r) => r.eventName === 'StartInstances').length).toBeGreaterThan(0);
    expect(await byPreset('ec2-started-by')).toEqual(countBy(started, oracleUser));
    // One instance: whoever launched it or started it again (Stratus's StartInstances names it in both documents).
    const instances = (r: CloudTrailRecord): string[] =>
      [r.requestParameters, r.responseElements]
        .flatMap((doc) => (doc?.instancesSet?.items ?? []).map((i: { instanceId?: string }) => i.instanceId))
        .filter(Boolean);
    for (const one of [started.find((r) => r.eventName === 'RunInstances')!, started.find((r) => r.eventName === 'StartInstances')!]) {
      const id = instances(one)[0];
      expect(await byPreset('ec2-started-by', { instanceId: ` ${id} ` })).toEqual(countBy(started.filter((r) => instances(r).includes(id)), oracleUser));
    }
  });

  test('unauthorized access attempts by user (the real Stratus attempts among them)', async () => {
    const got = await byPreset('unauthorized');
    expect(got).toEqual(countBy(records.filter(oracleUnauthorized), oracleUser));
    const stratusUsers = new Set(stratusRecords().map((x) => x.record).filter(oracleUnauthorized).map(oracleUser));
    expect(stratusUsers.size).toBeGreaterThan(0);
    for (const u of stratusUsers) expect(got[u]).toBeGreaterThan(0);
  });

  test('all activity of chosen users', async () => {
    const users = ['root', oracleUser(records[0])];
    expect(await byPreset('users-activity', { users })).toEqual(countBy(records.filter((r) => users.includes(oracleUser(r))), oracleUser));
  });

  test('all activity of chosen IPs, grouped by IP — invalid addresses and service names included', async () => {
    const ips = ['255.090.254.5', 'ec2.amazonaws.com', records.find(oracleIsIp)!.sourceIPAddress];
    const expected = countBy(records.filter((r) => ips.includes(r.sourceIPAddress)), (r) => r.sourceIPAddress);
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(2);
    expect(await byPreset('ips-activity', { ips })).toEqual(expected);
  });
});

describe('a role of another account acting in this one (recipientAccountId A, the caller of account B)', () => {
  const foreign = `${ROLE} (account ${CALLER})`;
  const ids = (frame: Frame) => frame.fields.find((f) => f.name === 'event id')!.values.map(String).sort();

  test("is a user of its own, named with its account: not merged with A's role of the same name, nor said to be in A alone", async () => {
    const [byUser] = await run({ format: 'table', groupBy: 'user', filters: { account: [RECIPIENT] }, limit: 10_000 });
    expect(table(byUser)).toMatchObject({ [ROLE]: 3, [foreign]: 5 });
    const [pairs] = await run({ format: 'table', groupBy: 'userAndAccount', filters: { user: [ROLE, foreign] } });
    expect(pairs.fields.map((f) => f.values)).toEqual([[foreign, ROLE], [RECIPIENT, RECIPIENT], [5, 3]]);
    // Per user over time too, peaks included (as the alert rules count them).
    const series = await run({ format: 'timeseries', groupBy: 'userAndAccount', filters: { user: [ROLE, foreign] }, peakWindow: 30 });
    expect(series.map((f) => f.fields[1].labels).sort((a, b) => a!.user.localeCompare(b!.user))).toEqual([
      { user: ROLE, account: RECIPIENT },
      { user: foreign, account: RECIPIENT },
    ]);
  });

  test('listed under that name, which as a filter finds its events: in the events list, an exclusion and the users search', async () => {
    expect(await reports.values('user', range, CALLER, 10)).toEqual([{ value: foreign, count: 5 }]);
    const [list] = await run({ format: 'list', filters: { user: [foreign] } });
    expect(ids(list)).toEqual(FOREIGN_READS.map((r) => r.eventID).sort());
    expect(new Set(list.fields.find((f) => f.name === 'user')!.values)).toEqual(new Set([foreign]));
    const [own] = await run({ format: 'list', filters: { user: [ROLE] } });
    expect(ids(own)).toEqual(OWN_READS.map((r) => r.eventID).sort());
    const [rest] = await run({ format: 'list', filters: { user: [ROLE, foreign] }, exclude: { user: [ROLE] } });
    expect(ids(rest)).toEqual(FOREIGN_READS.map((r) => r.eventID).sort());
    const search = commonSearch('users-activity')!.query({ users: [foreign] });
    expect(table((await run({ ...search, format: 'table' }))[0])).toEqual({ [foreign]: 5 });
  });

  test("its role is apart from A's role of the same name, named as its user is: grouped, filtered, listed and searched", async () => {
    const [byRole] = await run({ format: 'table', groupBy: 'role', filters: { account: [RECIPIENT] }, limit: 10_000 });
    expect(table(byRole)).toMatchObject({ [ROLE]: 3, [foreign]: 5 });
    const [list] = await run({ format: 'list', filters: { role: [foreign] } });
    expect(ids(list)).toEqual(FOREIGN_READS.map((r) => r.eventID).sort());
    expect(new Set(list.fields.find((f) => f.name === 'role')!.values)).toEqual(new Set([foreign]));
    const [own] = await run({ format: 'list', filters: { role: [ROLE] } });
    expect(ids(own)).toEqual(OWN_READS.map((r) => r.eventID).sort());
    expect(await reports.values('role', range, ROLE, 10)).toEqual([
      { value: foreign, count: 5 },
      { value: ROLE, count: 3 },
    ]);
  });
});

test('dimension values: distinct values in the range, most frequent first, searchable', async () => {
  const values = await reports.values('region', range, '', 100);
  const expected = top(countBy(records, (r) => r.awsRegion), 100);
  expect(values).toEqual(Object.entries(expected).map(([value, count]) => ({ value, count })));
  const searched = await reports.values('user', range, 'ROOT', 10);
  expect(searched).toEqual([{ value: 'root', count: records.filter((r) => oracleUser(r) === 'root').length }]);
});

test('the range always applies: an empty hour has no events', async () => {
  const before = { from: range.from - 10 * HOUR, to: range.from };
  const [frame] = await run({ queryType: 'totals' }, before);
  expect(frame.fields.find((f) => f.name === 'events')!.values).toEqual([0]);
});
