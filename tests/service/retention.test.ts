// Retention: events older than the cutoff leave the database with what only they needed, nothing a kept event needs
// goes, runs under a retention read no further back than it keeps, and a second prune finds nothing.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { DuckDBValue } from '@duckdb/node-api';
import { resolveQuery, type TrailhoundQuery } from '../../src/model/query';
import { writeLogFolder } from '../../src/generator';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest, sourceId } from '../../src/service/ingest';
import { parseKey } from '../../src/service/ingest/keys';
import { daysWithin, describePrune, prune, retentionCutoff } from '../../src/service/ingest/retention';
import { Reports } from '../../src/service/reports';
import { startService } from '../../src/service/service';
import { runCli } from '../support/cli';
import { memoryLogger, waitFor } from '../support/watch';
import { logFile } from '../support/stratus';
import { dayPrefix, rowCount, storedRecords, storedState, tempDir, withTempDatabase, writeFiles } from '../support/temp';

const DAY = 86_400_000;
// Mid-afternoon, so that the cutoff falls inside some log file's five minutes.
const NOW = new Date('2026-11-20T15:02:30Z');
const RETENTION = 4;
const { before, firstDay } = retentionCutoff(RETENTION, NOW);

/** A time as CloudTrail writes it, to the second. */
const cloudTrailTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
/** The UTC day of a time, as YYYY-MM-DD. */
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The smallest record that is an event of that time. */
const event = (id: string, time: string) =>
  ({ eventID: id, eventTime: time, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1' });

/** Every record in the generated event files: eventID → eventTime (ms). */
function recordTimes(root: string): Map<string, number> {
  const times = new Map<string, number>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (parseKey(path.relative(root, p)).kind === 'events') {
        for (const r of JSON.parse(zlib.gunzipSync(fs.readFileSync(p)).toString()).Records) times.set(r.eventID, Date.parse(r.eventTime));
      }
    }
  };
  walk(root);
  return times;
}

const TOKEN = 'retention-test-token';
/** The API's JSON answer, over HTTP. */
async function call(url: string, method: string, route: string, body?: object) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });
  return res.json();
}

const ids = async (db: Database) => new Set((await db.all<{ id: string }>('SELECT event_id AS id FROM events')).map((r) => r.id));
const column = async (db: Database, sql: string) => (await db.all<{ v: string }>(sql)).map((r) => r.v).sort();
const keptFiles = (db: Database) => fs.readdirSync(db.originalsDir).filter((f) => f.endsWith('.parquet')).sort();

describe('prune', () => {
  let dir: string;
  let logs: string;
  let db: Database;
  let times: Map<string, number>;

  beforeAll(async () => {
    dir = tempDir();
    logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 4000, days: 10, seed: 11, end: NOW });
    // A late delivery in the cutoff's day folder: one event from before the cutoff, one from after.
    const at = (ms: number) => cloudTrailTime(before.getTime() + ms);
    writeFiles(logs, {
      [`${dayPrefix('111122223333', 'eu-west-1', firstDay)}straddling.json.gz`]: logFile([event('late-old', at(-60_000)), event('late-new', at(60_000))]),
    });
    times = recordTimes(logs);
    db = await Database.open(path.join(dir, 'db.duckdb'));
    // Three runs, as a service's days go by: three batches, each kept in its own Parquet file.
    for (const daysAgo of [6, 3, 0]) await ingest({ source: logs, db, days: 14, now: new Date(NOW.getTime() - daysAgo * DAY) });
  }, 60_000);

  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('removes exactly the events before the cutoff, and what only they needed', async () => {
    const expected = [...times].filter(([, t]) => t >= before.getTime()).map(([id]) => id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(times.size);
    const storedBefore = await rowCount(db, 'events');
    const keptResources = await rowCount(db, `event_resources WHERE event_time >= '${before.toISOString()}'::TIMESTAMPTZ::TIMESTAMP`);
    const ledgerBefore = await column(db, 'SELECT key AS v FROM ingested_objects');
    const archivesBefore = keptFiles(db);
    expect(archivesBefore).toHaveLength(3);
    // The first run's files are all older than the cutoff; one file holds events from both sides of it.
    const firstArchive = (await db.one<{ archive: string }>(
      `SELECT archive FROM log_objects JOIN events ON key = object_key GROUP BY archive ORDER BY max(event_time) LIMIT 1`
    ))!.archive;
    const straddling = (await column(db, `SELECT object_key AS v FROM events WHERE event_id = 'late-old'`))[0];
    expect(straddling).toMatch(/straddling\.json\.gz$/);

    const summary = await prune(db, RETENTION, NOW);

    expect(await ids(db)).toEqual(new Set(expected));
    expect(summary).toMatchObject({ retentionDays: RETENTION, before: before.toISOString(), events: storedBefore - expected.length });
    expect(await rowCount(db, `event_resources WHERE event_time < '${before.toISOString()}'::TIMESTAMPTZ::TIMESTAMP`)).toBe(0);
    expect(await rowCount(db, 'event_resources')).toBe(keptResources);
    // A kept copy for every file that still has events, and for no other; the straddling file keeps its copy.
    expect(await column(db, 'SELECT key AS v FROM log_objects')).toEqual(await column(db, 'SELECT DISTINCT object_key AS v FROM events'));
    expect(await column(db, 'SELECT key AS v FROM log_objects')).toContain(straddling);
    expect([...(await ids(db))].filter((id) => id.startsWith('late-'))).toEqual(['late-new']);
    expect(summary.logFiles).toBeGreaterThan(0);
    // The first run's Parquet file is gone from disk; the others, which kept events still need, stay.
    expect(keptFiles(db)).toEqual(archivesBefore.filter((f) => f !== firstArchive));
    expect(keptFiles(db)).toEqual(await column(db, 'SELECT DISTINCT archive AS v FROM log_objects'));
    // Every kept event's original record still reads back.
    const records = await storedRecords(db);
    expect(records.size).toBe(expected.length);
    for (const [id, record] of records) expect(record.eventID).toBe(id);
    // The ledger forgets only the day folders before the cutoff's day, which no run under the retention lists again.
    expect(await column(db, 'SELECT key AS v FROM ingested_objects')).toEqual(ledgerBefore.filter((key) => parseKey(key).day! >= firstDay));
    expect(summary.ledgerRows).toBe(ledgerBefore.length - (await rowCount(db, 'ingested_objects')));
  });

  test('a run under the retention then reads nothing again, and a second prune removes nothing', async () => {
    const again = await ingest({ source: logs, db, days: daysWithin(RETENTION), now: NOW, retentionDays: RETENTION });
    expect(again).toMatchObject({ objects: 0, events: 0, window: { from: firstDay } });
    // Nor an hour later, when the files the prune took from hold events from before the run's own cutoff only.
    const later = new Date(NOW.getTime() + 3_600_000);
    expect(await ingest({ source: logs, db, days: daysWithin(RETENTION), now: later, retentionDays: RETENTION })).toMatchObject({ objects: 0, events: 0 });
    expect(await prune(db, RETENTION, NOW)).toMatchObject({ events: 0, logFiles: 0, ledgerRows: 0, records: 0 });
  });

  test("a run without a retention whose window starts on the cutoff's day reads again that day's files the prune took from", async () => {
    const partly = await column(db, `SELECT key AS v FROM ingested_objects WHERE events_pruned_before IS NOT NULL`);
    expect(partly.length).toBeGreaterThan(0);
    // The same window as a run under the retention, but this run keeps everything it reads: the cutoff's day from
    // midnight to the cutoff is inside it, and the prune removed those events.
    const missing = [...times].filter(([, t]) => t < before.getTime() && isoDay(t) === firstDay).map(([id]) => id);
    expect(missing.length).toBeGreaterThan(0);
    const run = await ingest({ source: logs, db, days: daysWithin(RETENTION), now: NOW });
    expect(run).toMatchObject({ objects: partly.length, window: { from: firstDay } });
    const stored = await ids(db);
    expect(missing.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.has('late-old')).toBe(true);
    // Read whole again: a later run reads them no more, and the prune takes the events back out (and marks them again).
    expect(await ingest({ source: logs, db, days: daysWithin(RETENTION), now: NOW })).toMatchObject({ objects: 0, events: 0 });
    expect(await prune(db, RETENTION, NOW)).toMatchObject({ events: run.events });
    expect(await column(db, `SELECT key AS v FROM ingested_objects WHERE events_pruned_before IS NOT NULL`)).toEqual(partly);
  });

  test('a run that reads days before the cutoff reads again the files the prune took events from: every event is back, once', async () => {
    // The cutoff's day folder: files whose events before the cutoff went, and the ledger rows that skip them under the retention.
    const partly = await column(db, `SELECT key AS v FROM ingested_objects WHERE events_pruned_before IS NOT NULL`);
    expect(partly.length).toBeGreaterThan(0);
    expect(partly.every((key) => parseKey(key).day === firstDay)).toBe(true);
    expect(partly.some((key) => key.endsWith('straddling.json.gz'))).toBe(true);
    // No retention, 14 days: the days before the cutoff's are listed again (their ledger rows went), and so is its day's
    // files the prune took from. Without them, the cutoff's day before its time stayed empty.
    const missing = times.size - (await ids(db)).size;
    const restored = await ingest({ source: logs, db, days: 14, now: NOW });
    expect(await ids(db)).toEqual(new Set(times.keys()));
    expect(restored.events).toBe(missing);
    expect(await column(db, `SELECT key AS v FROM ingested_objects WHERE events_pruned_before IS NOT NULL`)).toEqual([]);
    expect(await ingest({ source: logs, db, days: 14, now: NOW })).toMatchObject({ objects: 0, events: 0 });
  });

  test('records the prune for the ingestion status', async () => {
    const api = await buildApi({ db, token: TOKEN });
    try {
      const url = await api.listen({ host: '127.0.0.1', port: 0 });
      const status = await call(url, 'GET', '/api/ingest/status');
      expect(status.retention).toEqual({ days: RETENTION, before: before.toISOString(), prunedAt: NOW.toISOString() });
      const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      expect(metrics).toMatch(new RegExp(`^trailhound_ingest_retention_days ${RETENTION}$`, 'm'));
    } finally {
      await api.close();
    }
  });
});

test('a retention shorter than everything stored empties the tables but keeps what runs still need', () =>
  withTempDatabase(async (dir, db) => {
    const day = new Date().toISOString().slice(0, 10);
    const time = `${day}T00:00:01Z`;
    const logs = writeFiles(path.join(dir, 'logs'), {
      [`${dayPrefix('111122223333', 'us-east-1', day)}a.json.gz`]: logFile([event('in-layout', time)]),
      // A plain export has no day folder: a folder source lists it on every run, so its ledger row must stay.
      'exports/plain.json.gz': logFile([event('plain', time), event('no-time', 'yesterday')]),
    });
    await ingest({ source: logs, db, days: 2 });
    await ingest({ source: logs, db, days: 2 });
    expect(await rowCount(db, 'rejected_records')).toBe(1);
    await expect(ingest({ source: path.join(dir, 'mistyped'), db, days: 2 })).rejects.toThrow(/is not a folder/);
    expect(await rowCount(db, 'ingest_runs')).toBe(3);

    const later = new Date(Date.now() + 3 * DAY);
    const summary = await prune(db, 1, later);

    expect(summary).toMatchObject({ events: 2, logFiles: 2, ledgerRows: 1, records: 3 });
    for (const table of ['events', 'event_resources', 'log_objects', 'rejected_records']) expect(await rowCount(db, table)).toBe(0);
    expect(keptFiles(db)).toEqual([]);
    expect(await column(db, 'SELECT key AS v FROM ingested_objects')).toEqual(['exports/plain.json.gz']);
    // The last completed run stays: the next poll reads on from it, and the source is not taken for a new one.
    // The failures of a source that never opened go.
    expect(await db.all('SELECT source FROM ingest_runs')).toEqual([{ source: logs }]);
    // The prune took the plain file's event: marked, as the cutoff's day's files are.
    expect(await column(db, 'SELECT key AS v FROM ingested_objects WHERE events_pruned_before IS NOT NULL')).toEqual(['exports/plain.json.gz']);
    // A run under the retention does not read it again, as it would remove its event again.
    expect(await ingest({ source: logs, db, days: 2, now: later, retentionDays: 1 })).toMatchObject({ objects: 0, events: 0 });
    // Read again without a retention: the layout file comes back, and so does the plain one's event, once.
    expect(await ingest({ source: logs, db, days: 2 })).toMatchObject({ objects: 2, events: 2 });
    expect(await ids(db)).toEqual(new Set(['in-layout', 'plain']));
    expect(await rowCount(db, 'rejected_records')).toBe(1);
    expect(await ingest({ source: logs, db, days: 2 })).toMatchObject({ objects: 0, events: 0 });
  }));

/** The Summary's totals, the events per user and the hourly series per service of the last 20 days. */
async function reportsOf(db: Database) {
  const reports = new Reports(db);
  try {
    const range = { from: NOW.getTime() - 20 * DAY, to: NOW.getTime() };
    const queries: TrailhoundQuery[] = [{ queryType: 'totals' }, { format: 'table', groupBy: 'user' }, { groupBy: 'service', aggregate: 'hour' }];
    return await Promise.all(queries.map((q) => reports.frames(resolveQuery(q), range)));
  } finally {
    reports.close();
  }
}

// Two ways to the same days: a fortnight ingested then pruned, and only the retention's days ingested, then pruned. The
// same database both ways: a prune leaves no trace of the days before its cutoff, however many were stored.
test.each([['a day', 1], [`${RETENTION} days`, RETENTION], ['13 days', 13]])(
  'a retention of %s leaves the same events, resources, ledger and reports however it was reached',
  (_, days) =>
  withTempDatabase(async (dir, whole) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 8000, days: 14, seed: 9, end: NOW });
    const kept = await Database.open(path.join(dir, 'kept.duckdb'));
    try {
      await ingest({ source: logs, db: whole, days: 14, now: NOW });
      const removed = await prune(whole, days, NOW);
      await ingest({ source: logs, db: kept, days: daysWithin(days), now: NOW, retentionDays: days });
      await prune(kept, days, NOW);
      const state = async (db: Database) => ({ ...(await storedState(db)), reports: await reportsOf(db) });
      const [a, b] = [await state(whole), await state(kept)];
      expect(b).toEqual(a);
      // Not the same because both are empty, nor because the prune took nothing.
      expect([a.events.length > 500, removed.events > 0]).toEqual([true, true]);
    } finally {
      kept.close();
    }
  }),
  120_000
);

test('a prune keeps the run that ended the first load, though runs from cron read one day', () =>
  withTempDatabase(async (dir, db) => {
    const today = new Date().toISOString().slice(0, 10);
    const logs = writeFiles(path.join(dir, 'logs'), {
      [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([event('first', cloudTrailTime(Date.now() - 60_000))]),
    });
    // The first load, then runs of one day (ingest --days 1 from cron), which end no first load of their own.
    await ingest({ source: logs, db, days: 8 });
    await ingest({ source: logs, db, days: 1 });
    // Days later both runs are older than the cutoff.
    await prune(db, 1, new Date(Date.now() + 3 * DAY));
    const made = Date.now() - 60_000;
    writeFiles(logs, { [`${dayPrefix('111122223333', 'us-east-1', today)}b.json.gz`]: logFile([event('news', cloudTrailTime(made))]) });
    await ingest({ source: logs, db, days: 1 });
    // News, stored when it arrived: as history (arrived when it happened), no alert rule would count it.
    const arrived = await db.one<{ ms: bigint }>(`SELECT epoch_ms(arrived_at) AS ms FROM events WHERE event_id = 'news'`);
    expect(Number(arrived!.ms)).toBeGreaterThan(made + 30_000);
  }));

test('the service reads no further back than its retention, and prunes after its poll', async () => {
  const dir = tempDir();
  const { lines, logger } = memoryLogger();
  const logs = path.join(dir, 'logs');
  const now = new Date();
  // Files of 100 events: some fall on every day, whatever the time of day (with ~500 a file, three files spread over six
  // days left none before the cutoff's day when the test ran just after midnight).
  await writeLogFolder(logs, { events: 1500, days: 6, seed: 3, end: now, eventsPerFile: 100 });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  // Its last good run was ten days ago: the catch-up would read eleven days.
  await db.run(
    `INSERT INTO ingest_runs (source, started_at, finished_at, objects, events, duplicates, skipped, errors)
     VALUES ($source, $at::TIMESTAMP, $at::TIMESTAMP, 0, 0, 0, 0, 0)`,
    { source: sourceId(logs), at: new Date(now.getTime() - 10 * DAY).toISOString() }
  );
  const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, days: 1, retentionDays: 2, now: () => now });
  try {
    // The prune follows the poll's line, whose ms so counts the ingestion alone; its own line has its own.
    await waitFor('the prune', async () => (lines.some((l) => l.job === 'retention') ? true : undefined));
    const jobs = lines.filter((l) => ['ingest', 'retention'].includes(l.job));
    expect(jobs.map((l) => [l.job, l.msg.split(' ')[0], typeof l.ms])).toEqual([['ingest', 'ingest', 'number'], ['retention', 'removed', 'number']]);
    const { before: cutoff, firstDay: first } = retentionCutoff(2, now);
    // It read 3 days: the cutoff's day and the two since. The old run went with the prune.
    expect(lines.find((l) => l.msg.startsWith('catching up'))).toMatchObject({
      days: 3,
      msg: 'catching up: reading the 3 days the retention keeps (the last good run was 10 days ago)',
    });
    expect(await db.all('SELECT window_from FROM ingest_runs')).toEqual([{ window_from: first }]);
    // What it keeps is every event since the cutoff, and only those: older ones were read (the cutoff's day) and pruned.
    const times = [...recordTimes(logs)];
    expect(times.some(([, t]) => t < cutoff.getTime() - DAY)).toBe(true);
    expect(await ids(db)).toEqual(new Set(times.filter(([, t]) => t >= cutoff.getTime()).map(([id]) => id)));
    expect(lines.find((l) => l.job === 'retention')).toMatchObject({
      retentionDays: 2, before: cutoff.toISOString(), msg: expect.stringMatching(/^removed \d+ events from before .* \(retention: 2 days\)$/),
    });
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

/** A log folder whose one file lies in the cutoff's day folder of a retention of a day at `now`, one event either side of the cutoff. */
function straddlingFolder(dir: string, now: Date) {
  const cutoff = now.getTime() - DAY;
  const records = [event('old', cloudTrailTime(cutoff - 60_000)), event('new', cloudTrailTime(cutoff + 60_000))];
  return writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', isoDay(cutoff))}a.json.gz`]: logFile(records) });
}

test("the service's later polls under its retention do not read again the files its prune took events from", async () => {
  const dir = tempDir();
  const { lines, logger } = memoryLogger();
  // A fixed now: each poll's window (today and yesterday) holds the cutoff's day, and its cutoff is the prune's.
  const now = new Date();
  const logs = straddlingFolder(dir, now);
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const service = startService({ db, sources: [logs], logger, pollIntervalMs: 50, days: 2, retentionDays: 1, now: () => now });
  try {
    const polls = () => lines.filter((l) => l.job === 'ingest' && l.msg === 'ingest finished');
    await waitFor('three polls', async () => (polls().length >= 3 ? true : undefined));
    expect(polls().slice(0, 3).map((l) => l.objects)).toEqual([1, 0, 0]);
    expect(await ids(db)).toEqual(new Set(['new']));
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('a prune that fails is said as such, not as a failed poll', async () => {
  const dir = tempDir();
  const { lines, logger } = memoryLogger();
  const logs = path.join(dir, 'logs');
  await writeLogFolder(logs, { events: 200, days: 2, seed: 5, end: new Date() });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  // Ingestion never touches this table when no record is rejected; the prune deletes from it.
  await db.run('DROP TABLE rejected_records');
  const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, retentionDays: 1 });
  try {
    await waitFor('the first poll', async () => (lines.some((l) => l.job === 'ingest' && /finished|failed/.test(l.msg)) ? true : undefined));
    expect(lines.find((l) => l.job === 'ingest')).toMatchObject({ msg: 'ingest finished' });
    // The first load of 14 days (the default) is shortened to what the retention keeps, and the log says so.
    expect(lines.find((l) => l.msg.startsWith('reading the')))
      .toMatchObject({ days: 2, msg: 'reading the 2 days the retention keeps, not the 14 days of the backfill' });
    expect(service.lastPollError).toBeNull();
    expect(service.lastPoll).not.toBeNull();
    // The prune runs after the poll's line.
    await waitFor('the prune', async () => (lines.some((l) => l.job === 'retention') ? true : undefined));
    expect(lines.find((l) => l.job === 'retention'))
      .toMatchObject({ level: 40, msg: 'prune failed; trying again after the next poll', err: expect.stringMatching(/rejected_records/) });
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

/**
 * GET /api/events/old-1 of an event stored from a log file of `records`, the prune run right after the read's statement
 * that holds `after` (`prunes` runs it, for a test that needs more around it); the answer, and the Parquet files kept.
 */
async function readAsPruned(records: object[], after: string, prunes = (_db: Database, run: () => Promise<void>) => run()) {
  const dir = tempDir();
  const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', '2026-11-10')}old.json.gz`]: logFile(records) });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const api = await buildApi({ db, token: TOKEN });
  try {
    await ingest({ source: logs, db, days: 14, now: NOW });
    const connect = db.connect.bind(db);
    jest.spyOn(db, 'connect').mockImplementationOnce(async () => {
      const conn = await connect();
      const read = conn.runAndReadAll.bind(conn);
      let pruned = false;
      conn.runAndReadAll = (async (sql: string, params?: Record<string, DuckDBValue>) => {
        const result = await read(sql, params);
        if (!pruned && sql.includes(after)) {
          pruned = true;
          await prunes(db, async () => expect(await prune(db, RETENTION, NOW)).toMatchObject({ events: records.length, logFiles: 1 }));
        }
        return result;
      }) as typeof conn.runAndReadAll;
      return conn;
    });
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/api/events/old-1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, json: await res.json(), kept: keptFiles(db) };
  } finally {
    jest.restoreAllMocks();
    await api.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const REMOVED_AS_READ = {
  status: 404,
  json: { error: 'the event "old-1" is no longer stored: the retention removed it, with its original record, as it was being read', code: 'not-found' },
};

// The prune commits, and removes the event's Parquet file, right after that step of the read: its lookup in events, or
// of its kept file in log_objects.
test.each([['its event is found', 'WHERE event_id IN'], ['its kept file is found', 'FROM log_objects WHERE key IN']])(
  'an event the retention removes as GET /api/events reads it (once %s) is a 404 that says so',
  async (_step, after) => {
    expect(await readAsPruned([event('old-1', '2026-11-10T08:00:00Z')], after)).toEqual({ ...REMOVED_AS_READ, kept: [] });
  }
);

// A big file (over 8 MB unpacked) is kept as a file of its own, opened after its look-up. The prune removes a kept file
// after its commit: a read that saw the file still there between the two opens it once it is gone.
test('an event whose big kept file the retention removes as GET /api/events opens it is a 404 that says so', async () => {
  const padding = Array.from({ length: 9 }, (_, i) => ({ ...event(`pad-${i}`, '2026-11-10T08:00:00Z'), requestParameters: { pad: 'x'.repeat(1 << 20) } }));
  const answer = await readAsPruned([event('old-1', '2026-11-10T08:00:00Z'), ...padding], 'FROM log_objects WHERE key IN', async (db, run) => {
    const [kept] = fs.readdirSync(db.originalsDir);
    expect(kept).toMatch(/\.json\.gz$/);
    const file = path.join(db.originalsDir, kept);
    // The prune commits; its removal of the file comes only as the file is opened.
    const copy = fs.readFileSync(file);
    await run();
    fs.writeFileSync(file, copy);
    const open = fs.openSync;
    jest.spyOn(fs, 'openSync').mockImplementation((at, ...rest) => {
      if (at === file) fs.rmSync(file);
      return open(at, ...rest);
    });
  });
  expect(answer).toEqual({ ...REMOVED_AS_READ, kept: [] });
});

test('a backfill asked for beyond the retention reads what the retention keeps, and says so', async () => {
  const dir = tempDir();
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const asked: number[] = [];
  const api = await buildApi({ db, token: TOKEN, retentionDays: 7, backfill: async (days) => (asked.push(days), {} as never) });
  try {
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    expect(await call(url, 'POST', '/api/backfill', { days: 30 })).toEqual({ status: 'started', days: 8, retentionDays: 7 });
    // Wait for the first to finish: one backfill at a time.
    await new Promise((r) => setTimeout(r, 20));
    expect(await call(url, 'POST', '/api/backfill', { days: 5 })).toEqual({ status: 'started', days: 5 });
    expect(asked).toEqual([8, 5]);
  } finally {
    await api.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a report whose range reaches before the retention's cutoff says that the retention removed those events", () =>
  withTempDatabase(async (dir, db) => {
    const HOUR = DAY / 24;
    const records = [event('old', cloudTrailTime(before.getTime() - DAY)), event('kept', cloudTrailTime(before.getTime() + 2 * HOUR))];
    writeFiles(path.join(dir, 'logs'), { 'events.json.gz': logFile(records) });
    await ingest({ source: path.join(dir, 'logs'), db, days: 3650, now: NOW });
    const reports = new Reports(db);
    const notices = async (query: TrailhoundQuery, from: number) => {
      const frames = await reports.frames(resolveQuery(query), { from, to: NOW.getTime() });
      return frames.flatMap((f) => ((f.meta?.notices ?? []) as Array<{ text: string }>).map((n) => n.text));
    };
    const cutoff = before.toISOString().slice(0, 16).replace('T', ' ');
    const removed = `the retention (${RETENTION} days) removed the events before ${cutoff} UTC, which this range reaches: they are left out`;
    const QUERIES: TrailhoundQuery[] = [
      { queryType: 'totals' }, { format: 'table' }, { format: 'list' }, { format: 'timeseries' }, { format: 'timeseries', groupBy: 'none' },
    ];
    // Not pruned yet: the old event is there, and nothing is said.
    for (const query of QUERIES) expect([query, await notices(query, before.getTime() - 2 * DAY)]).toEqual([query, []]);
    await prune(db, RETENTION, NOW);
    for (const query of QUERIES) {
      expect([query, await notices(query, before.getTime() - 2 * DAY)]).toEqual([query, [removed]]);
      expect([query, await notices(query, before.getTime())]).toEqual([query, []]);
    }
    // A range before the cutoff alone has no events: a grouped time series has no series, but a frame for the notice.
    const removedOnly = await reports.frames(resolveQuery({ format: 'timeseries' }), { from: before.getTime() - 3 * DAY, to: before.getTime() - DAY });
    expect(removedOnly).toEqual([
      {
        name: 'events',
        meta: { notices: [{ severity: 'info', text: removed }] },
        fields: [{ name: 'time', type: 'time', values: [] }, { name: 'events', type: 'number', values: [] }],
      },
    ]);
    // A peak's window reaches back before its range, and an arrival's events may have happened a day before it.
    expect(await notices({ format: 'table', peakWindow: 60 }, before.getTime() + 30 * 60_000)).toEqual([removed]);
    expect(await notices({ format: 'table', timeField: 'arrival' }, before.getTime() + HOUR)).toEqual([removed]);
    // A retention row without its cutoff (written by hand, or by a version to come) says nothing, and fails no report.
    await db.run(`UPDATE meta SET value = '{"days": 4}' WHERE key = 'retention'`);
    expect(await notices({ queryType: 'totals' }, before.getTime() - 2 * DAY)).toEqual([]);
    // Read back by a run without the retention, the old event is stored again: nothing is said.
    await ingest({ source: path.join(dir, 'logs'), db, days: 3650, now: NOW });
    expect(await rowCount(db, 'events')).toBe(2);
    expect(await notices({ queryType: 'totals' }, before.getTime() - 2 * DAY)).toEqual([]);
  }));

describe('the command line', () => {
  test("prune's line says its cutoff as reports do, to the minute in UTC, not as the JSON's ISO instant", () => {
    const summary = { retentionDays: 90, before: '2026-08-30T13:41:49.857Z', events: 1, logFiles: 2, ledgerRows: 1, records: 2 };
    expect(describePrune(summary)).toBe(
      'Removed 1 event from before 2026-08-30 13:41 UTC (retention: 90 days), 2 kept log files no event needs, and 3 bookkeeping rows'
    );
  });

  test('prune wants to know how many days to keep, and checks it', async () => {
    const dir = tempDir();
    try {
      const db = path.join(dir, 'db.duckdb');
      const none = await runCli(['prune', '--db', db]);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/how many days to keep\? Give --retention-days N \(or set TRAILHOUND_RETENTION_DAYS\)/);
      const typo = await runCli(['prune', '--db', db], { TRAILHOUND_RETENTION_DAYS: '90d' });
      expect(typo.stderr).toMatch(/TRAILHOUND_RETENTION_DAYS=90d: expected a whole number/);
      const huge = await runCli(['prune', '--db', db, '--retention-days', '40000']);
      const refusal = "option '--retention-days <n>' argument '40000' is invalid. expected a whole number from 1 to 36500 (a hundred years)";
      expect(huge.stderr.startsWith(`trailhound: ${refusal}`)).toBe(true);
      // No database there (a mistyped --db, or ./data run from another folder): said, not a new empty one "pruned".
      const absent = await runCli(['prune', '--db', db, '--retention-days', '30']);
      expect([absent.code, absent.stdout]).toEqual([1, '']);
      const checkDb = /^trailhound: there is no database at .*db\.duckdb: check --db, or run 'trailhound ingest' \(or 'trailhound serve'\) with that --db/;
      expect(absent.stderr).toMatch(checkDb);
      // Nothing was created by the mistakes.
      expect(fs.existsSync(db)).toBe(false);
      (await Database.open(db)).close();
      const ok = await runCli(['prune', '--db', db, '--json'], { TRAILHOUND_RETENTION_DAYS: '30' });
      expect(JSON.parse(ok.stdout)).toMatchObject({ retentionDays: 30, events: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('ingest --retention-days does not read again the files its last prune took events from; ingest without one does', async () => {
    const dir = tempDir();
    try {
      const logs = straddlingFolder(dir, new Date());
      const args = ['ingest', '--source', logs, '--db', path.join(dir, 'db.duckdb'), '--json'];
      const summary = async (more: string[]) => JSON.parse((await runCli([...args, ...more])).stdout);
      expect(await summary(['--retention-days', '1'])).toMatchObject({ objects: 1, events: 2, pruned: 1 });
      expect(await summary(['--retention-days', '1'])).toMatchObject({ objects: 0, events: 0, pruned: 0 });
      // Without a retention, the same two days: the event the prune took comes back.
      expect(await summary(['--days', '2'])).toMatchObject({ objects: 1, events: 1, duplicates: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('ingest --retention-days reads no further back and prunes after, saying both', async () => {
    const dir = tempDir();
    try {
      const daysAgo = (n: number) => cloudTrailTime(Date.now() - n * DAY);
      const logs = writeFiles(path.join(dir, 'logs'), Object.fromEntries([0, 3].map((n) => [
        `${dayPrefix('111122223333', 'us-east-1', daysAgo(n).slice(0, 10))}a.json.gz`,
        logFile([event(`${n}-days-ago`, daysAgo(n))]),
      ])));
      const db = path.join(dir, 'db.duckdb');
      expect(JSON.parse((await runCli(['ingest', '--source', logs, '--db', db, '--json'])).stdout).events).toBe(2);
      const pruned = await runCli(['ingest', '--source', logs, '--db', db, '--json', '--days', '30', '--retention-days', '1']);
      expect(pruned.stderr).toMatch(/^trailhound: warning: --days 30 reaches past what a retention of 1 day keeps: reading 2 days$/m);
      expect(JSON.parse(pruned.stdout)).toMatchObject({ objects: 0, events: 0, pruned: 1 });
      const since = await runCli(['ingest', '--source', logs, '--db', db, '--since', '2026-01-01', '--retention-days', '1']);
      expect(since.stderr).toMatch(/^trailhound: warning: --since 2026-01-01 is before what a retention of 1 day keeps: reading from \d{4}-\d{2}-\d{2}$/m);
      expect(since.stdout).toMatch(/^Removed 0 events from before \d{4}-\d\d-\d\d \d\d:\d\d UTC \(retention: 1 day\), 0 kept log files/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
