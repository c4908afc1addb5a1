// Arrival time: when Trailhound stored an event. Counted by it (timeField: arrival), as the alert rules are, an
// event stored late is counted when it arrives instead of falling before the window; history stays history. The
// value lists (/api/values) follow it too.
import fs from 'node:fs';
import path from 'node:path';
import type { Frame } from '../../src/model/api';
import { resolveQuery, type TimeField, type TrailhoundQuery } from '../../src/model/query';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import type { Range } from '../../src/service/reports/sql';
import type { CloudTrailRecord } from '../support/stratus';
import { logFile } from '../support/stratus';
import { tempDir, withTempDatabase, writeFiles } from '../support/temp';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.now();

/** A call refused as not authorized, made `ago` ms before the test started by `user`, touching `resource`. */
const refused = (id: string, user: string, ago: number, resource = `i-${id}`): CloudTrailRecord => ({
  eventVersion: '1.08', eventID: id, eventTime: new Date(START - ago).toISOString(), eventSource: 'ec2.amazonaws.com', eventName: 'StopInstances',
  awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.7', recipientAccountId: '111122223333', errorCode: 'Client.UnauthorizedOperation',
  userIdentity: { type: 'IAMUser', userName: user, accountId: '111122223333', arn: `arn:aws:iam::111122223333:user/${user}` },
  resources: [{ ARN: `arn:aws:ec2:us-east-1:111122223333:instance/${resource}`, type: 'AWS::EC2::Instance' }],
  requestParameters: { instancesSet: { items: [{ instanceId: resource }] } },
});

let dir: string;
let db: Database;
let reports: Reports;
/** The span of each ingestion run, so the test knows which arrival window holds what. */
const runs: Range[] = [];

/** Delivers one more log file into the source folder and runs an ingestion of it; returns the run's span. */
async function ingestFile(name: string, records: CloudTrailRecord[]): Promise<Range> {
  writeFiles(path.join(dir, 'logs'), { [`${name}.json.gz`]: logFile(records) });
  const from = Date.now();
  expect(await ingest({ source: path.join(dir, 'logs'), db, days: 7 })).toMatchObject({ objects: 1, errors: 0 });
  const run = { from, to: Date.now() + 1 };
  // Two runs never share a millisecond.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return run;
}

let initial: Range;

beforeAll(async () => {
  dir = tempDir();
  db = await Database.open(path.join(dir, 'arrival.duckdb'));
  // The source's first run: the history a new installation reads, here a burst of refusals five hours ago.
  initial = await ingestFile('initial', [refused('old-1', 'old', 5 * HOUR), refused('old-2', 'old', 5 * HOUR), refused('old-3', 'old', 5 * HOUR)]);
  // The next finds a call made ten minutes ago, one made two hours ago (delivered late) and one made three days ago
  // (older logs delivered now).
  runs.push(await ingestFile('first', [refused('timely', 'tim', 10 * MINUTE), refused('late', 'lat', 2 * HOUR), refused('history', 'his', 72 * HOUR)]));
  // The last finds a new call, and the late one delivered again (another trail).
  runs.push(await ingestFile('second', [refused('next', 'nex', 5 * MINUTE), refused('late', 'lat', 2 * HOUR)]));
  reports = new Reports(db);
}, 60_000);

afterAll(() => {
  reports.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function frames(query: TrailhoundQuery, range: Range): Promise<Frame[]> {
  return reports.frames(resolveQuery({ status: 'unauthorized', ...query }), range, 5 * MINUTE, 43_200);
}

/** Events per user of a time series, summed over its buckets. */
async function perUser(query: TrailhoundQuery, range: Range): Promise<Record<string, number>> {
  const series = await frames({ format: 'timeseries', groupBy: 'user', ...query }, range);
  return Object.fromEntries(series.map((f) => [f.name!, (f.fields[1].values as number[]).reduce((a, b) => a + b, 0)]));
}

/** Events per user of a table. */
async function tablePerUser(query: TrailhoundQuery, range: Range): Promise<Record<string, unknown>> {
  const [t] = await frames({ format: 'table', groupBy: 'user', ...query }, range);
  return Object.fromEntries(t.fields[0].values.map((u, i) => [u, t.fields[1].values[i]]));
}

/** The 30 minutes before `at`, as an alert rule asks. */
const window30 = (at: number): Range => ({ from: at - 30 * MINUTE, to: at });

test('each event arrives with its run, and keeps its first arrival when delivered again', async () => {
  const rows = await db.all<{ event_id: string; arrived: number }>(`SELECT event_id, epoch_ms(arrived_at) AS arrived FROM events ORDER BY event_id`);
  const arrival = Object.fromEntries(rows.map((r) => [r.event_id, Number(r.arrived)]));
  const within = (t: number, run: Range) => t >= run.from && t < run.to;
  expect(Object.keys(arrival)).toEqual(['history', 'late', 'next', 'old-1', 'old-2', 'old-3', 'timely']);
  for (const id of ['history', 'late', 'timely']) expect(within(arrival[id], runs[0])).toBe(true);
  expect(within(arrival.next, runs[1])).toBe(true);
  // The ledger says the same of the files.
  const ledger = await db.all<{ key: string; at: number }>(
    `SELECT key, epoch_ms(ingested_at) AS at FROM ingested_objects WHERE key <> 'initial.json.gz' ORDER BY key`
  );
  expect(ledger.map((l) => [l.key, Number(l.at)])).toEqual([['first.json.gz', arrival.timely], ['second.json.gz', arrival.next]]);
});

test("a source's first load is history: its events arrive when they happened, not as a burst of news", async () => {
  const rows = await db.all<{ late: number }>(`SELECT epoch_ms(arrived_at) - epoch_ms(event_time) AS late FROM events WHERE user_name = 'old'`);
  expect(rows.map((r) => Number(r.late))).toEqual([0, 0, 0]);
  // An alert rule evaluated after the first load sees nothing of it; by event time, the history is all there.
  expect(await perUser({ timeField: 'arrival' }, window30(initial.to))).toEqual({});
  expect(await perUser({ timeField: 'event' }, { from: START - 6 * HOUR, to: START - 4 * HOUR })).toEqual({ old: 3 });
  expect(await perUser({ timeField: 'arrival' }, { from: START - 6 * HOUR, to: START - 4 * HOUR })).toEqual({ old: 3 });
});

test('by arrival, a late call counts when it is stored; by event time, only calls made in the window count', async () => {
  const afterFirst = window30(runs[0].to);
  // By event time: the calls made in the window (the one the second run found too), not the late one.
  expect(await perUser({ timeField: 'event' }, afterFirst)).toEqual({ nex: 1, tim: 1 });
  // The three-day-old call was stored then too, but is more than a day late: history, not news.
  expect(await perUser({ timeField: 'arrival' }, afterFirst)).toEqual({ lat: 1, tim: 1 });
  // The second run's window: the new call only; the late call's second delivery is not a second arrival.
  expect(await perUser({ timeField: 'arrival' }, { from: runs[1].from, to: runs[1].to })).toEqual({ nex: 1 });
  // The buckets are arrival times.
  const [series] = await frames({ format: 'timeseries', groupBy: 'none', timeField: 'arrival' }, { from: runs[1].from, to: runs[1].to + 10 * MINUTE });
  const [times, counts] = series.fields;
  const bucket = times.values[(counts.values as number[]).findIndex((n) => n > 0)] as number;
  expect(runs[1].from - bucket).toBeLessThan(5 * MINUTE);
  expect(bucket).toBeLessThanOrEqual(runs[1].to);
});

test('an arrival counts the same in any range: a call stored more than a day late is history, however wide the range', async () => {
  const narrow = await tablePerUser({ timeField: 'arrival' }, { from: runs[0].from, to: runs[1].to });
  expect(narrow).toEqual({ lat: 1, nex: 1, tim: 1 });
  // A range that starts before the three-day-old call happened: its arrival is still three days late. (It holds the
  // first load's history too, which arrived when it happened.)
  expect(await tablePerUser({ timeField: 'arrival' }, { from: START - 100 * HOUR, to: runs[1].to })).toEqual({ ...narrow, old: 3 });
});

test('every report takes the arrival window: table, list (latest arrival first), totals and a resource id', async () => {
  const both = { from: runs[0].from, to: runs[1].to };
  expect(await tablePerUser({ timeField: 'arrival' }, both)).toEqual({ lat: 1, nex: 1, tim: 1 });

  const [list] = await frames({ format: 'list', timeField: 'arrival' }, both);
  const ids = list.fields.find((f) => f.name === 'event id')!.values;
  // The second run's call first, then the first run's by when they happened.
  expect(ids).toEqual(['next', 'timely', 'late']);
  // Beside when each call was made, when it was stored: during its run. A list by event time has no such column.
  const [next, ...first] = list.fields.find((f) => f.name === 'arrived')!.values as number[];
  expect([next >= runs[1].from, next <= runs[1].to]).toEqual([true, true]);
  for (const t of first) expect([t >= runs[0].from, t <= runs[0].to]).toEqual([true, true]);
  expect((await frames({ format: 'list' }, both))[0].fields.map((f) => f.name)).not.toContain('arrived');

  const [totals] = await frames({ queryType: 'totals', timeField: 'arrival' }, both);
  expect(totals.fields.find((f) => f.name === 'unauthorized')!.values).toEqual([3]);

  // The resource index is by event time; by arrival, each event's resources are checked instead.
  expect(await perUser({ timeField: 'arrival', resourceId: 'i-late' }, both)).toEqual({ lat: 1 });
  expect(await perUser({ timeField: 'arrival', resourceId: 'i-history' }, both)).toEqual({});
  expect(await perUser({ timeField: 'event', resourceId: 'i-history' }, { from: START - 73 * HOUR, to: START })).toEqual({ his: 1 });
});

test('value lists follow the time field: by arrival, the users of the events stored in the range', async () => {
  const users = async (range: Range, timeField?: TimeField, search = '') => (await reports.values('user', range, search, 100, timeField)).map((v) => v.value);
  const afterFirst = window30(runs[0].to);
  // The late call was stored in the window, not made in it; the newest call was made in it, but stored after it. The
  // three-day-old call was stored in it too, but is history.
  expect(await users(afterFirst, 'event')).toEqual(['nex', 'tim']);
  expect(await users(afterFirst, 'arrival')).toEqual(['lat', 'tim']);
  expect(await users(afterFirst)).toEqual(['nex', 'tim']);
  // Around when the late call was made: there by event time, not yet stored.
  const whenMade = { from: START - 3 * HOUR, to: START - HOUR };
  expect(await users(whenMade, 'event')).toEqual(['lat']);
  expect(await users(whenMade, 'arrival')).toEqual([]);
  // A search narrows the list by arrival too.
  expect(await users(afterFirst, 'arrival', 'LA')).toEqual(['lat']);

  // The same through the API: timeField is a parameter of /api/values, event time when absent.
  const api = await buildApi({ db, token: 'arrival-token' });
  try {
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    const listed = async (params: string) => {
      const res = await fetch(`${url}/api/values/user?from=${afterFirst.from}&to=${afterFirst.to}${params}`, {
        headers: { authorization: 'Bearer arrival-token' },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { values: Array<{ value: string; count: number }> }).values;
    };
    expect(await listed('&timeField=arrival')).toEqual([{ value: 'lat', count: 1 }, { value: 'tim', count: 1 }]);
    expect(await listed('&timeField=event')).toEqual([{ value: 'nex', count: 1 }, { value: 'tim', count: 1 }]);
    expect(await listed('')).toEqual(await listed('&timeField=event'));
  } finally {
    await api.close();
  }
});

/** Runs `body` on a log folder and a database of their own, so that its first run is a first load. */
const withOwnSource = (body: (logs: string, ownDb: Database) => Promise<void>) =>
  withTempDatabase((own, ownDb) => body(path.join(own, 'logs'), ownDb));

/** Whether each event is history: arrived when it happened. */
const historic = (ownDb: Database) =>
  ownDb.all<{ event_id: string; historic: boolean }>(`SELECT event_id, arrived_at = event_time AS historic FROM events ORDER BY event_id`);

test("a first load's calls of the last 30 minutes reach the alert rules, as they would have had Trailhound been running", () =>
  withOwnSource(async (logs, ownDb) => {
    writeFiles(logs, { 'history.json.gz': logFile([refused('r-1', 'rec', 10 * MINUTE), refused('h-1', 'hal', 3 * HOUR)]) });
    expect(await ingest({ source: logs, db: ownDb })).toMatchObject({ objects: 1, errors: 0 });
    expect(await historic(ownDb)).toEqual([{ event_id: 'h-1', historic: true }, { event_id: 'r-1', historic: true }]);
    const ownReports = new Reports(ownDb);
    try {
      const query = resolveQuery({ status: 'unauthorized', format: 'table', groupBy: 'user', timeField: 'arrival' });
      const [table] = await ownReports.frames(query, window30(Date.now()));
      expect(table.fields[0].values).toEqual(['rec']);
    } finally {
      ownReports.close();
    }
  }));

test('a first run that was stopped has not finished the first load: the next run is history too', () =>
  withOwnSource(async (logs, ownDb) => {
    writeFiles(logs, { 'history.json.gz': logFile([refused('h-1', 'hal', 3 * HOUR)]) });
    const stop = new AbortController();
    stop.abort();
    expect(await ingest({ source: logs, db: ownDb, signal: stop.signal })).toMatchObject({ stopped: true, objects: 0 });
    expect(await ingest({ source: logs, db: ownDb })).toMatchObject({ stopped: false, objects: 1 });
    expect(await historic(ownDb)).toEqual([{ event_id: 'h-1', historic: true }]);
  }));

test('what happens while a first load runs is news: it arrives with its batch, only what happened before is history', () =>
  withOwnSource(async (logs, ownDb) => {
    writeFiles(logs, { 'history.json.gz': logFile([refused('h-1', 'hal', 3 * HOUR)]) });
    // A large organization's first load takes hours: CloudTrail delivers a call made after it started before it lists
    // that folder (here: once it has planned its folders).
    let delivered = false;
    const onProgress = () => {
      if (delivered) return;
      delivered = true;
      // A call made just now (after the run started).
      writeFiles(logs, { 'during.json.gz': logFile([refused('d-1', 'dur', START - Date.now())]) });
    };
    expect(await ingest({ source: logs, db: ownDb, onProgress })).toMatchObject({ objects: 2, errors: 0 });
    const rows = await ownDb.all<{ event_id: string; historic: boolean; with_batch: boolean }>(
      `SELECT event_id, arrived_at = event_time AS historic, arrived_at = ingested_at AS with_batch
       FROM events JOIN ingested_objects ON key = object_key ORDER BY event_id`
    );
    expect(rows).toEqual([
      { event_id: 'd-1', historic: false, with_batch: true },
      { event_id: 'h-1', historic: true, with_batch: false },
    ]);
  }));

test('a first run that reads less than a day back (--days 1) has not finished the first load: the rest of the day is history too', () =>
  withOwnSource(async (logs, ownDb) => {
    const now = new Date(START);
    const today = now.toISOString().slice(0, 10);
    const yesterday = new Date(START - 24 * HOUR).toISOString().slice(0, 10);
    const folder = (day: string) => `AWSLogs/111122223333/CloudTrail/us-east-1/${day.replace(/-/g, '/')}`;
    // A call made in the last minute of yesterday: less than a day before any run of this test.
    const lastOfYesterday = refused('y-1', 'yes', START - Date.parse(`${today}T00:00:00Z`) + MINUTE);
    writeFiles(logs, {
      [`${folder(yesterday)}/y.json.gz`]: logFile([lastOfYesterday]),
      [`${folder(today)}/t.json.gz`]: logFile([refused('t-1', 'tod', START - Date.parse(`${today}T00:00:00Z`))]),
    });
    expect(await ingest({ source: logs, db: ownDb, days: 1, now })).toMatchObject({ objects: 1, errors: 0 });
    // The next run (a poll reads two days) finds yesterday's file: still history, not a day of news at once.
    expect(await ingest({ source: logs, db: ownDb, days: 2, now })).toMatchObject({ objects: 1, errors: 0 });
    expect(await historic(ownDb)).toEqual([
      { event_id: 't-1', historic: true },
      { event_id: 'y-1', historic: true },
    ]);
  }));
