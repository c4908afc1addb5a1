// Peaks (peakWindow): a bucket's value is the most events of one group made within the window of each other, over the
// windows that end at an event of the bucket. Checked against peaks the test counts itself from the records, one event
// at a time (tests/support/oracle.ts), by event time and by arrival time, with events stored late and long before.
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import type { Frame } from '../../src/model/api';
import { resolveQuery, type ResolvedQuery, type TrailhoundQuery } from '../../src/model/query';
import { writeLogFolder } from '../../src/generator';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import * as SQL from '../../src/service/reports/sql';
import { BucketGrid } from '../../src/service/reports/buckets';
import { accountOf, countBy, generatedRecords, oracleDimension, oracleMatches, oraclePeaks, oracleUser } from '../support/oracle';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { tempDir, writeFiles } from '../support/temp';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const END = new Date('2026-11-20T18:00:00Z');
const GENERATED = { events: 8_000, days: 3, end: END, seed: 29, eventsPerFile: 400 };
const BUCKET = 15 * MINUTE;
// The middle day: windows reach back before it, and arrivals of a day late come from before it too.
const RANGE = { from: END.getTime() - 2 * DAY, to: END.getTime() - DAY };

/** How late each event was stored: most 5 minutes, one in ten three hours, one in forty more than a day (history). */
function delay(index: number): number {
  if (index % 40 === 0) return 30 * HOUR;
  if (index % 10 === 0) return 3 * HOUR;
  return 5 * MINUTE;
}

// Three calls touching one instance, two of them in the 20 minutes before the range: its peak at the third is 3.
const touching = (id: string, eventTime: number): CloudTrailRecord => ({
  eventVersion: '1.08', eventID: id, eventTime: new Date(eventTime).toISOString().replace('.000', ''),
  eventSource: 'ec2.amazonaws.com', eventName: 'StopInstances',
  awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.7', recipientAccountId: '111122223333', errorCode: 'Client.UnauthorizedOperation',
  userIdentity: { type: 'IAMUser', userName: 'pat', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/pat' },
  requestParameters: { instancesSet: { items: [{ instanceId: 'i-0peak' }] } },
});
const INSTANCE = [touching('peak-1', RANGE.from - 20 * MINUTE), touching('peak-2', RANGE.from - 10 * MINUTE), touching('peak-3', RANGE.from + 5 * MINUTE)];

let dir: string;
let db: Database;
let reports: Reports;
let records: CloudTrailRecord[];
const arrival = new Map<string, number>();
/** The resource names each event is grouped by, as stored (the oracle has no copy of the resource rules). */
const resourceNames = new Map<string, string[]>();

beforeAll(async () => {
  dir = tempDir();
  await writeLogFolder(path.join(dir, 'generated'), GENERATED);
  writeFiles(path.join(dir, 'instance'), { 'instance.json.gz': logFile(INSTANCE) });
  db = await Database.open(path.join(dir, 'peak.duckdb'));
  await ingest({ source: path.join(dir, 'generated'), db, days: 3, now: END });
  await ingest({ source: path.join(dir, 'instance'), db, days: 36500 });
  records = [...generatedRecords(GENERATED), ...INSTANCE];
  records.forEach((r, i) => arrival.set(r.eventID, Date.parse(r.eventTime) + delay(i)));
  // The arrival times of a service that was down now and then: set per delay, as the records say.
  for (const late of new Set(records.map((_, i) => delay(i)))) {
    await db.run(`UPDATE events SET arrived_at = event_time + to_milliseconds($late::BIGINT) WHERE event_id IN (SELECT unnest($ids))`, {
      late,
      ids: listValue(records.filter((_, i) => delay(i) === late).map((r) => r.eventID)),
    });
  }
  const rows = await db.all<{ id: string; names: string[] }>(
    `SELECT event_id AS id, list_distinct(list_transform(resources, r -> r.name)) AS names FROM events`
  );
  for (const r of rows) resourceNames.set(r.id, [...(r.names ?? [])]);
  reports = new Reports(db);
}, 120_000);

afterAll(() => {
  reports.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const timeOf = (r: CloudTrailRecord, q: ResolvedQuery) => (q.timeField === 'arrival' ? arrival.get(r.eventID)! : Date.parse(r.eventTime));

/** Whether a record is one of the range's, by the query's time field (by arrival, at most a day late). */
function inRange(r: CloudTrailRecord, q: ResolvedQuery, range = RANGE): boolean {
  const t = timeOf(r, q);
  return t >= range.from && t < range.to && (q.timeField === 'event' || Date.parse(r.eventTime) >= arrival.get(r.eventID)! - DAY);
}

function groupsOf(q: ResolvedQuery): (r: CloudTrailRecord) => string[] {
  if (q.groupBy === 'none') return () => ['all'];
  if (q.groupBy === 'resource') return (r) => resourceNames.get(r.eventID) ?? [];
  // A pair's group: its labels' values in order, as text (see groupName).
  if (q.groupBy === 'userAndAccount') return (r) => [JSON.stringify([oracleUser(r), accountOf(r)])];
  return (r) => [oracleDimension[q.groupBy]!(r)];
}

/** The expected peaks per group and bucket, counted from the records. */
function expectedPeaks(q: ResolvedQuery, range = RANGE): Map<string, Map<number, number>> {
  return oraclePeaks(
    records.filter((r) => oracleMatches(r, q) && (!q.resourceId || (resourceNames.get(r.eventID) ?? []).includes(q.resourceId))),
    { groups: groupsOf(q), inRange: (r) => inRange(r, q, range), bucket: (r) => Math.floor(timeOf(r, q) / BUCKET) * BUCKET, windowMs: q.peakWindow * MINUTE }
  );
}

async function run(query: TrailhoundQuery, range = RANGE): Promise<Frame[]> {
  return reports.frames(resolveQuery(query), range, BUCKET, 43_200);
}

/** A group's name in these tests: its one label's value, or a pair's values as JSON text. */
const groupName = (values: unknown[]): string => (values.length > 1 ? JSON.stringify(values.map(String)) : String(values[0]));

/** A group's label values, to order groups of equal peaks as the SQL does (a pair field by field). */
const labelValues = (group: string): string[] => (group.startsWith('[') ? JSON.parse(group) : [group]);

/** A time series' non-zero buckets per group. */
function seriesValues(frames: Frame[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const f of frames) {
    const [times, values] = f.fields;
    const group = values.labels ? groupName(Object.values(values.labels)) : 'all';
    const nonZero = times.values.map((t, i) => [Number(t), Number(values.values[i])] as const).filter(([, n]) => n > 0);
    if (nonZero.length > 0) out.set(group, new Map(nonZero));
  }
  return out;
}

/** A table frame as [group, value] rows, in its order: its group columns (a pair's two), then the count. */
function tableRows(frame: Frame): Array<[string, number]> {
  const columns = frame.fields.slice(0, -1);
  const counts = frame.fields[frame.fields.length - 1];
  return counts.values.map((n, i) => [groupName(columns.map((c) => c.values[i])), Number(n)]);
}

/** The table the service must give: each group's highest peak, highest first, then by name, up to the limit. */
function expectedTable(q: ResolvedQuery): Array<[string, number]> {
  const best = [...expectedPeaks(q)].map(([g, buckets]) => [g, Math.max(...buckets.values())] as [string, number]);
  const byLabels = (a: string, b: string) => {
    const [x, y] = [labelValues(a), labelValues(b)];
    const i = x.findIndex((v, k) => v !== y[k]);
    return i < 0 ? 0 : x[i] < y[i] ? -1 : 1;
  };
  return best.sort(([a, x], [b, y]) => y - x || byLabels(a, b)).slice(0, q.limit);
}

/** The busiest value of a dimension among the records, to filter on something that is there. */
function busiest(dimension: string, where: (r: CloudTrailRecord) => boolean = () => true): string {
  const counts = countBy(records.filter(where), oracleDimension[dimension]!);
  return Object.entries(counts).sort(([, a], [, b]) => b - a)[0][0];
}

const SERIES: Array<[string, () => TrailhoundQuery]> = [
  ['by event time, per user', () => ({ groupBy: 'user', peakWindow: 30 })],
  ['by arrival, per user, refused calls', () => ({ groupBy: 'user', timeField: 'arrival', status: 'unauthorized', peakWindow: 30 })],
  ['by arrival, ungrouped, a two-hour window', () => ({ groupBy: 'none', timeField: 'arrival', peakWindow: 120 })],
  // Ungrouped and per pair, the statement has no partition, or two columns (peakGroup): by event time too.
  ['by event time, ungrouped, write calls', () => ({ groupBy: 'none', readOnly: 'write', peakWindow: 15 })],
  ['by event time, per error code, one service, errors',
    () => ({ groupBy: 'errorCode', status: 'error', peakWindow: 60, filters: { service: [busiest('service', (r) => Boolean(r.errorCode))] } })],
  ['by arrival, per resource, write calls', () => ({ groupBy: 'resource', timeField: 'arrival', readOnly: 'write', peakWindow: 45 })],
  ['by event time, per IP, one user, a minute', () => ({ groupBy: 'sourceIp', peakWindow: 1, filters: { user: [busiest('user')] } })],
  // A user of one name in several accounts: a group, and a window, per account.
  ['by event time, per user and account', () => ({ groupBy: 'userAndAccount', peakWindow: 20 })],
  ['by arrival, per user and account, refused calls', () => ({ groupBy: 'userAndAccount', timeField: 'arrival', status: 'unauthorized', peakWindow: 30 })],
];

test('the data is what the test thinks: every record stored, with the arrival the test gave it', async () => {
  const rows = await db.all<{ id: string; at: number }>(`SELECT event_id AS id, epoch_ms(arrived_at) AS at FROM events`);
  expect(new Map(rows.map((r) => [r.id, Number(r.at)]))).toEqual(arrival);
  // Late events in the range, and windows reaching before it: the cases peaks are about.
  const late = records.filter((r) => inRange(r, resolveQuery({ timeField: 'arrival' })) && arrival.get(r.eventID)! - Date.parse(r.eventTime) === 3 * HOUR);
  expect(late.length).toBeGreaterThan(10);
});

test.each(SERIES)('timeseries, %s: each bucket holds its events’ highest peak', async (_name, query) => {
  const q = resolveQuery({ ...query(), limit: 1000 });
  const expected = expectedPeaks(q);
  // Something to compare, and peaks above one.
  expect(Math.max(0, ...[...expected.values()].flatMap((b) => [...b.values()]))).toBeGreaterThan(1);
  expect(seriesValues(await run(q))).toEqual(expected);
});

test.each(SERIES)('table, %s: each group’s highest peak in the range, highest first', async (_name, query) => {
  const q = resolveQuery({ ...query(), format: 'table', limit: 15 });
  const [frame] = await run(q);
  expect(tableRows(frame)).toEqual(expectedTable(q));
});

test('a peak counts the events of the window before the range: by event time, through the resource index too', async () => {
  for (const maxResourceIds of [10_000, 0]) {
    // With few events, the index lists their ids; with none allowed, it gives only their time span.
    const indexed = new Reports(db, undefined, maxResourceIds);
    try {
      const q = resolveQuery({ format: 'table', groupBy: 'user', resourceId: 'i-0peak', peakWindow: 30 });
      const [frame] = await indexed.frames(q, RANGE);
      expect(tableRows(frame)).toEqual([['pat', 3]]);
      expect(tableRows(frame)).toEqual(expectedTable(q));
      // Without a window, only the one call of the range counts.
      const [plain] = await indexed.frames({ ...q, peakWindow: 0 }, RANGE);
      expect(tableRows(plain)).toEqual([['pat', 1]]);
    } finally {
      indexed.close();
    }
  }
});

test('an event exactly a window after another does not count it (e - W < x <= e); a minute wider, it does', async () => {
  const first = INSTANCE[0];
  const at = Date.parse(first.eventTime);
  const q = { format: 'table' as const, groupBy: 'user' as const, filters: { user: ['pat'] } };
  // peak-1 at -20 min, peak-2 at -10 min: ten minutes apart.
  const range = { from: at + 1, to: at + 11 * MINUTE };
  expect(tableRows((await run({ ...q, peakWindow: 10 }, range))[0])).toEqual([['pat', 1]]);
  expect(tableRows((await run({ ...q, peakWindow: 11 }, range))[0])).toEqual([['pat', 2]]);
});

test('without a peak window, or with 0, the SQL and the answers are the plain counts', async () => {
  const range = RANGE;
  for (const [, query] of SERIES) {
    const { peakWindow: _w, ...plain } = query();
    for (const format of ['timeseries', 'table'] as const) {
      const q = resolveQuery({ ...plain, format });
      const zero = resolveQuery({ ...plain, format, peakWindow: 0 });
      const statement = format === 'table' ? SQL.topGroups : (x: ResolvedQuery) => SQL.timeseries(x, range, new BucketGrid(range, BUCKET));
      expect(statement(q, range)).toEqual(statement(zero, range));
      expect(statement(q, range).sql).not.toContain('OVER');
      expect(await run(zero)).toEqual(await run(q));
    }
    // Plain counts per bucket, as the records give them.
    const q = resolveQuery({ ...plain, limit: 1000 });
    const counts = new Map<string, Map<number, number>>();
    for (const r of records.filter((x) => inRange(x, q) && oracleMatches(x, q))) {
      for (const g of groupsOf(q)(r)) {
        const b = Math.floor(timeOf(r, q) / BUCKET) * BUCKET;
        if (!counts.has(g)) counts.set(g, new Map());
        counts.get(g)!.set(b, (counts.get(g)!.get(b) ?? 0) + 1);
      }
    }
    expect(seriesValues(await run(q))).toEqual(counts);
  }
});

test('an event list and the other reports ignore the peak window, as a table ignores aggregate', async () => {
  for (const query of [{ format: 'list' }, { queryType: 'totals' }] as TrailhoundQuery[]) {
    expect(await run({ ...query, peakWindow: 30 })).toEqual(await run(query));
  }
  const list = resolveQuery({ format: 'list', peakWindow: 30 });
  expect(SQL.eventList(list, RANGE)).toEqual(SQL.eventList({ ...list, peakWindow: 0 }, RANGE));
});
