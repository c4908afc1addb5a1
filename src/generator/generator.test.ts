import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { parseKey } from '../service/ingest/keys';
import { generateLogObjects, writeLogFolder, type GenerateOptions, type LogObject } from '.';
import { countBy } from '../../tests/support/oracle';
import { UNMARKED_DATA_EVENTS } from '../model/fieldRules';

const END = new Date('2026-11-20T12:00:00Z');
const OPTIONS: GenerateOptions = { events: 20_000, days: 7, end: END, seed: 9 };

function records(objects: LogObject[]): Array<Record<string, any> & { key: string }> {
  return objects
    .filter((o) => o.records > 0)
    .flatMap((o) => (JSON.parse(zlib.gunzipSync(o.body).toString()).Records as Array<Record<string, any>>).map((r) => ({ ...r, key: o.key })));
}

let objects: LogObject[];
let all: ReturnType<typeof records>;
beforeAll(() => {
  objects = [...generateLogObjects(OPTIONS)];
  all = records(objects);
});

test('the same seed gives the same bytes; another seed does not', () => {
  const again = [...generateLogObjects(OPTIONS)];
  expect(again.map((o) => o.key)).toEqual(objects.map((o) => o.key));
  expect(Buffer.concat(again.map((o) => o.body)).equals(Buffer.concat(objects.map((o) => o.body)))).toBe(true);
  const other = [...generateLogObjects({ ...OPTIONS, seed: 10 })];
  expect(other[0].body.equals(objects[0].body)).toBe(false);
});

test('every key is in the CloudTrail layout, and each record agrees with its key', () => {
  for (const o of objects) {
    const parsed = parseKey(o.key);
    expect(parsed.kind).toBe(o.records > 0 ? 'events' : 'digest');
    if (o.records > 0) expect(o.key).toMatch(/\/\d{12}_CloudTrail_[^_]+_\d{8}T\d{4}Z_[a-z0-9]{16}\.json\.gz$/);
  }
  for (const r of all) {
    const parsed = parseKey(r.key);
    expect(r.awsRegion).toBe(parsed.region);
    expect(r.recipientAccountId).toBe(parsed.account);
    expect(r.eventTime.slice(0, 10)).toBe(parsed.day);
    expect(Date.parse(r.eventTime)).toBeLessThanOrEqual(END.getTime());
    expect(r.eventTime >= '2026-11-14').toBe(true); // 7 calendar days up to the 20th
  }
  expect(objects.some((o) => o.key.includes('/AWSLogs/o-') || o.key.startsWith('AWSLogs/o-'))).toBe(true);
});

test('the requested number of unique events, plus duplicate deliveries of global events', () => {
  const ids = new Set(all.map((r) => r.eventID));
  expect(ids.size).toBe(OPTIONS.events);
  const duplicated = all.length - ids.size;
  expect(duplicated).toBeGreaterThan(0);
  // Only global services are delivered twice.
  const seen = new Map<string, number>();
  for (const r of all) seen.set(r.eventID, (seen.get(r.eventID) ?? 0) + 1);
  const twice = all.filter((r) => seen.get(r.eventID)! > 1);
  expect(new Set(twice.map((r) => r.eventSource))).toEqual(new Set(['iam.amazonaws.com', 'sts.amazonaws.com', 'signin.amazonaws.com']));
});

test('a run of modest size holds every kind of case the reports must handle', () => {
  const types = new Set(all.map((r) => r.userIdentity.type));
  for (const t of ['IAMUser', 'AssumedRole', 'Root', 'AWSService', 'FederatedUser', 'SAMLUser', 'WebIdentityUser']) expect(types).toContain(t);
  const codes = new Set(all.map((r) => r.errorCode).filter(Boolean));
  for (const c of ['AccessDenied', 'Client.UnauthorizedOperation', 'ThrottlingException', 'Client.DryRunOperation']) expect(codes).toContain(c);
  const logins = all.filter((r) => r.eventName === 'ConsoleLogin');
  expect(logins.some((r) => r.responseElements.ConsoleLogin === 'Failure' && r.errorMessage === 'Failed authentication')).toBe(true);
  expect(logins.some((r) => r.additionalEventData.MFAUsed === 'No')).toBe(true);
  expect(all.some((r) => r.readOnly === true) && all.some((r) => r.readOnly === false)).toBe(true);
  expect(all.some((r) => r.sourceIPAddress === 'AWS Internal')).toBe(true);
  expect(all.some((r) => r.sourceIPAddress.includes(':'))).toBe(true);
  expect(all.some((r) => r.eventName === 'RunInstances' && r.responseElements?.instancesSet?.items?.[0]?.instanceId)).toBe(true);
  expect(new Set(all.map((r) => r.awsRegion))).toContain('mars-north-1');
  // IAM Identity Center: people share a permission set's role, and a person has more than one permission set.
  const sso = all.filter((r) => String(r.userIdentity.sessionContext?.sessionIssuer?.arn).includes(':role/aws-reserved/sso.amazonaws.com/'));
  const setOf = (role: string) => role.replace(/^AWSReservedSSO_(.+)_[0-9a-f]{16}$/, '$1');
  const pairs = [...new Set(sso.map((r) => `${setOf(r.userIdentity.sessionContext.sessionIssuer.userName)} ${r.userIdentity.arn.split('/')[2]}`))];
  const most = (side: 0 | 1) => Math.max(...Object.values(countBy(pairs, (p) => p.split(' ')[side])));
  expect({ peopleOfASet: most(0), setsOfAPerson: most(1) }).toEqual({ peopleOfASet: 2, setsOfAPerson: 2 });
  // A permission set's role is one per account, each with its own suffix, as Identity Center names them.
  const roles = [...new Set(sso.map((r) => `${r.recipientAccountId} ${r.userIdentity.sessionContext.sessionIssuer.userName}`))];
  const admin = roles.filter((r) => r.includes('_AdministratorAccess_'));
  expect(new Set(admin.map((r) => r.split(' ')[0])).size).toBe(admin.length);
  expect(new Set(admin.map((r) => r.split(' ')[1])).size).toBe(admin.length);
  expect(admin.length).toBeGreaterThan(1);
  expect(objects.filter((o) => o.records === 0).length).toBeGreaterThan(0);
});

test('its records say their category, and the rule for records that say none (eventVersion 1.05) would give the same', () => {
  const categories = new Set(all.map((r) => `${r.eventVersion} ${r.eventCategory} ${r.managementEvent}`));
  expect(categories).toEqual(new Set(['1.10 Management true', '1.10 Data false']));
  const unmarked = (r: Record<string, any>) =>
    Object.hasOwn(UNMARKED_DATA_EVENTS, r.eventSource) && UNMARKED_DATA_EVENTS[r.eventSource].includes(r.eventName) ? 'Data' : 'Management';
  const disagree = all.filter((r) => unmarked(r) !== r.eventCategory).map((r) => `${r.eventSource} ${r.eventName}`);
  expect([...new Set(disagree)]).toEqual([]);
});

test('a small run is spread over every day asked for, not held whole in one file of the last minutes', () => {
  const small = { events: 100, days: 30, end: END, seed: 3 };
  const objects = [...generateLogObjects(small)];
  const days = new Set(records(objects).map((r) => r.eventTime.slice(0, 10)));
  // The 30 calendar days up to the 20th, each with events, as `ingest --days 30` reads them.
  expect([...days].sort()).toEqual(Array.from({ length: 30 }, (_, i) => new Date(END.getTime() - (29 - i) * 86_400_000).toISOString().slice(0, 10)));
  expect(new Set(records(objects).map((r) => r.eventID)).size).toBe(100);
  // Still the same bytes for the same seed; a file size asked for is kept.
  expect(Buffer.concat([...generateLogObjects(small)].map((o) => o.body)).equals(Buffer.concat(objects.map((o) => o.body)))).toBe(true);
  expect([...generateLogObjects({ ...small, eventsPerFile: 500, digest: false })].filter((o) => o.records > 0)[0].records).toBe(100);
});

test('writeLogFolder writes the files in their layout; a large run streams in flat memory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-'));
  try {
    const summary = await writeLogFolder(dir, { events: 2_000, days: 2, end: END, seed: 1 });
    expect(summary.records).toBeGreaterThanOrEqual(2_000);
    expect(fs.existsSync(path.join(dir, 'AWSLogs'))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // 300 k events consumed without keeping them: what the generator holds live (heap and the gzip bodies' buffers)
  // must not grow with the input. Measured after a full collection: uncollected garbage made the test flaky.
  // (Holding every object it yielded reaches ~45 MB here.)
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const live = () => (gc(), process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
  const before = live();
  let count = 0;
  let objects = 0;
  let peak = 0;
  for (const o of generateLogObjects({ events: 300_000, days: 3, end: END })) {
    count += o.records;
    if (++objects % 100 === 0) peak = Math.max(peak, live() - before);
  }
  expect(count).toBeGreaterThanOrEqual(300_000);
  expect(objects).toBeGreaterThan(500); // so the heap was sampled while the generator ran
  expect(peak).toBeLessThan(32 * 1024 * 1024);
});
