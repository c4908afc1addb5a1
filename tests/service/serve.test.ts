// The service keeps the database up to date: it backfills, polls, survives a failing source, and stops cleanly.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { SCHEMA_VERSION } from '../../src/service/db/schema';
import { writeLogFolder } from '../../src/generator';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import { sampleLogsMade } from '../../src/service/sample';
import { CLOUDTRAIL_BEGAN, cloudTrailDays } from '../../src/service/ingest/keys';
import { startService, type RunTotals, type Service, type ServiceOptions } from '../../src/service/service';
import { CLOUDTRAIL_ENDPOINT_HINT } from '../../src/service/trails';
import { logFile } from '../support/stratus';
import { dayPrefix, eventFiles, rowCount, tempDir, withTempDatabase, writeFiles } from '../support/temp';
import { ROOT, spawnCli } from '../support/cli';
import { memoryLogger, waitFor } from '../support/watch';
import { hungServer, refusedUrl } from '../support/net';

const today = new Date().toISOString().slice(0, 10);
let n = 0;
const rec = () =>
  ({ eventID: `svc-${++n}`, eventTime: `${today}T00:00:01Z`, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1' });

test('backfills, picks up new files on the next poll, and keeps going when a poll fails', async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  const prefix = dayPrefix('111122223333', 'us-east-1', today);
  writeFiles(logs, { [`${prefix}a.json.gz`]: logFile([rec(), rec()]) });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: [logs], logger, pollIntervalMs: 100 });
  const count = () => rowCount(db, 'events');
  try {
    await waitFor('the backfill', async () => ((await count()) === 2 ? true : undefined));
    writeFiles(logs, { [`${prefix}b.json.gz`]: logFile([rec()]) });
    await waitFor('the new file', async () => ((await count()) === 3 ? true : undefined));

    // The source disappears: polls fail, are logged and retried; when it is back, polling recovers.
    fs.renameSync(logs, `${logs}.away`);
    await waitFor('a failed poll', async () => (lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    expect(service.lastPollError).toMatch(/is not a folder/);
    // The ingestion status says so too (one source: not named).
    expect((await new Reports(db).ingestStatus()).lastPollError).toBe(service.lastPollError);
    fs.renameSync(`${logs}.away`, logs);
    writeFiles(logs, { [`${prefix}c.json.gz`]: logFile([rec()]) });
    // The poller records its success just after the events commit: wait for both.
    await waitFor('recovery', async () => ((await count()) === 4 && service.lastPollError === null ? true : undefined));

    // A backfill waits for the poll in progress and then runs; nothing is ingested twice.
    const summary = await service.backfill(30);
    expect(summary).toMatchObject({ objects: 0, unchanged: 3 });
    const finished = lines.find((l) => l.msg === 'ingest finished');
    expect(finished).toMatchObject({ job: 'ingest', objects: 1, events: 2, errors: 0 });
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('several sources: each is read on its own days, one that fails does not stop the others, and the status names it', async () => {
  const dir = tempDir();
  const [first, second] = [path.join(dir, 'first'), path.join(dir, 'second')];
  const prefix = dayPrefix('111122223333', 'us-east-1', today);
  // Each with a digest file, skipped: the status counts what the last poll skipped across both.
  const digest = { [`${prefix.replace('/CloudTrail/', '/CloudTrail-Digest/')}digest.json.gz`]: logFile([]) };
  writeFiles(first, { [`${prefix}a.json.gz`]: logFile([rec(), rec()]), ...digest });
  writeFiles(second, { [`${prefix}a.json.gz`]: logFile([rec()]), ...digest });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: [first, second], logger, pollIntervalMs: 100 });
  const status = () => new Reports(db).ingestStatus();
  // What Prometheus scrapes: each source's failing gauge, and when a run last did not fail.
  const api = await buildApi({ db, token: 'metrics-token-0123456789' });
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  const scrape = async () => {
    const text = await (await fetch(`${apiUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text();
    const value = (series: string) => text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1];
    const failing = (source: string) => value(`trailhound_ingest_source_failing{source="${source}"}`);
    return { first: failing(first), second: failing(second), lastSuccess: Number(value('trailhound_ingest_last_success_timestamp_seconds')) };
  };
  try {
    // The poll's end, not the events' count: the second source's events commit before its "source read" line is logged.
    await waitFor('both sources', async () => (lines.some((l) => l.msg === 'ingest finished') ? true : undefined));
    expect(await rowCount(db, 'events')).toBe(3);
    expect(lines.filter((l) => l.msg === 'source read').map((l) => [l.source, l.events])).toEqual([[first, 2], [second, 1]]);
    expect(lines.find((l) => l.msg === 'ingest finished')).toMatchObject({ objects: 2, events: 3, skipped: 2 });
    expect(await status()).toMatchObject({ skipped: 2, lastPollError: null });
    const read = await scrape();
    expect(read).toEqual({ first: '0', second: '0', lastSuccess: expect.any(Number) });
    expect(Math.abs(read.lastSuccess * 1000 - Date.now())).toBeLessThan(30_000);

    // The first source goes away: the second is still read at every poll, and the failure names the source.
    fs.renameSync(first, `${first}.away`);
    // A poll listing the folder as it went may fail on a vanished sub-folder instead; the polls after it find it gone.
    await waitFor('a failed poll', async () => (/is not a folder/.test(service.lastPollError ?? '') ? true : undefined));
    expect(lines.some((l) => l.msg === 'ingest failed; retrying')).toBe(true);
    expect(service.lastPollError).toMatch(new RegExp(`^${first}: .*is not a folder`));
    writeFiles(second, { [`${prefix}b.json.gz`]: logFile([rec()]) });
    await waitFor('the other source', async () => ((await rowCount(db, 'events')) === 4 ? true : undefined));
    // The second source's later success does not hide the first one's failure from the ingestion status.
    expect((await status()).lastPollError).toMatch(new RegExp(`^${first}: [^;]*is not a folder[^;]*$`));
    expect((await status()).lastPollErrorKinds).toEqual(['no-folder']);
    // Each source's own state, in the order the service reads them.
    expect((await status()).sources).toEqual([
      { source: first, objects: 1, lastRun: expect.any(String), lastError: expect.stringMatching(/is not a folder/), lastErrorKind: 'no-folder' },
      { source: second, objects: 2, lastRun: expect.any(String), lastError: null, lastErrorKind: null },
    ]);
    // Prometheus can alert on it: the source that fails, by name, and not the one read.
    expect(await scrape()).toMatchObject({ first: '1', second: '0' });

    fs.renameSync(`${first}.away`, first);
    await waitFor('recovery', async () => (service.lastPollError === null ? true : undefined));
    expect((await status()).lastPollError).toBeNull();
    expect(await scrape()).toMatchObject({ first: '0', second: '0' });
    // A backfill reads every source.
    expect(await service.backfill(3)).toMatchObject({ objects: 0, unchanged: 3, events: 0 });
  } finally {
    await api.close();
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('several sources: the status names each as it was configured, not by the id its runs carry', async () => {
  const dir = tempDir();
  const [first, second] = [path.join(dir, 'first'), path.join(dir, 'second')];
  writeFiles(second, { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]) });
  // As a user writes them: relative to where serve runs (this one never opens), and with a trailing slash.
  const configured = [path.relative(process.cwd(), first), `${second}/`];
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const service = startService({ db, sources: configured, logger: memoryLogger().logger, pollIntervalMs: 3_600_000 });
  try {
    await waitFor('the first poll', async () => (service.lastPollError ? true : undefined));
    const status = await new Reports(db).ingestStatus();
    expect(status.sources).toEqual([
      { source: configured[0], objects: 0, lastRun: expect.any(String), lastError: expect.stringMatching(/is not a folder/), lastErrorKind: 'no-folder' },
      { source: configured[1], objects: 1, lastRun: expect.any(String), lastError: null, lastErrorKind: null },
    ]);
    // The failure is named as in the service's own message (and its log lines).
    expect(status.lastPollError).toBe(service.lastPollError);
    expect(status.lastPollError).toMatch(new RegExp(`^${configured[0]}: `));
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A service polling a folder of one log file of today every `pollIntervalMs`; `run` gets it, its database, log and folder. */
async function withOneFileService(
  pollIntervalMs: number,
  run: (service: Service, db: Database, lines: ReturnType<typeof memoryLogger>['lines'], logs: string) => Promise<void>
): Promise<void> {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  writeFiles(logs, { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]) });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: [logs], logger, pollIntervalMs });
  try {
    await run(service, db, lines, logs);
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the service records its sources once: a later poll does not write them again', () =>
  withOneFileService(50, async (_service, db, lines, logs) => {
    const polls = () => lines.filter((l) => l.msg === 'ingest finished').length;
    const names = async () => (await db.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'source_names'`))?.value;
    await waitFor('the first poll', async () => (polls() >= 1 ? true : undefined));
    expect(await names()).toBe(JSON.stringify([logs]));
    // Changed behind the service's back: a poll that wrote the list again would put it back.
    await db.run(`UPDATE meta SET value = $value WHERE key = 'source_names'`, { value: '["changed here"]' });
    const after = polls();
    await waitFor('two more polls', async () => (polls() >= after + 2 ? true : undefined));
    expect(await names()).toBe('["changed here"]');
  }));

test('a backfill reaching back before CloudTrail began reads from its first day, and logs so', () =>
  withOneFileService(3_600_000, async (service, db, lines) => {
    expect(await service.backfill(1_000_000_000)).toMatchObject({ unchanged: 1 });
    expect(lines.find((l) => / of the backfill /.test(l.msg))).toMatchObject({
      days: 1_000_000_000,
      from: CLOUDTRAIL_BEGAN,
      msg: `the 1000000000 days of the backfill reach back to 0001-01-01 or earlier, before CloudTrail began: reading from ${CLOUDTRAIL_BEGAN}`,
    });
    expect(lines.find((l) => l.msg === 'backfill finished')).toMatchObject({ days: cloudTrailDays() });
    const [run] = await db.all<{ window_from: string }>(`SELECT window_from FROM ingest_runs ORDER BY started_at DESC LIMIT 1`);
    expect(run.window_from).toBe(CLOUDTRAIL_BEGAN);
  }));

test('a run in progress logs how far it is now and then, and a short run logs nothing of it', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    // Small files: many batches, long enough for a few lines at this interval.
    await writeLogFolder(logs, { events: 6_000, days: 2, eventsPerFile: 10, seed: 5 });
    const { lines, logger } = memoryLogger();
    const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, progressLogMs: 20 });
    try {
      await waitFor('the backfill', async () => lines.find((l) => l.msg === 'ingest finished'), 60_000);
    } finally {
      await service.stop();
    }
    const progress = lines.filter((l) => /^reading /.test(l.msg));
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ job: 'ingest', source: logs });
    const { objectsDone, objectsFound, events, unitsDone, units } = last;
    expect(last.msg).toBe(
      `reading ${logs}: ${objectsDone} of ${objectsFound} log files found so far, ${events} new events, ${unitsDone} of ${units} folders listed`
    );
    expect(last.objectsDone).toBeLessThanOrEqual(last.objectsFound);
    // None after the run: its timer is gone with it.
    expect(lines.findIndex((l) => l.msg === 'ingest finished')).toBeGreaterThan(lines.lastIndexOf(last));

    // At the default interval (30 s), a poll of seconds says only that it finished.
    const quiet = memoryLogger();
    const again = startService({ db, sources: [logs], logger: quiet.logger, pollIntervalMs: 3_600_000 });
    try {
      await waitFor('the poll', async () => quiet.lines.find((l) => l.msg === 'ingest finished'));
    } finally {
      await again.stop();
    }
    expect(quiet.lines.filter((l) => /^reading /.test(l.msg))).toEqual([]);
  }), 90_000);

/** A log file in `day`'s folder holding one event of that day. */
const dayFile = (day: string, name: string) => ({
  [`${dayPrefix('111122223333', 'us-east-1', day)}${name}`]: logFile([{ ...rec(), eventTime: `${day}T06:00:00Z` }]),
});

/** The days that have events stored, oldest first. */
async function eventDays(db: Database): Promise<string[]> {
  return (await db.all<{ d: string }>(`SELECT DISTINCT strftime(event_time, '%Y-%m-%d') AS d FROM events ORDER BY 1`)).map((r) => r.d);
}

test("several sources: an account's folder of a trail counts its own files in the status, though the trail's ledger rows hold them", async () => {
  const dir = tempDir();
  const trail = writeFiles(path.join(dir, 'trail'), {
    [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]),
    [`${dayPrefix('111122223333', 'eu-west-1', today)}b.json.gz`]: logFile([rec()]),
    [`${dayPrefix('444455556666', 'us-east-1', today)}c.json.gz`]: logFile([rec()]),
    [`${dayPrefix('444455556666', 'us-east-1', today)}d.json.gz`]: 'not gzip',
  });
  const sources = [path.join(trail, 'AWSLogs', '111122223333'), path.join(trail, 'AWSLogs', '444455556666', 'CloudTrail'), trail];
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const service = startService({ db, sources, logger: memoryLogger().logger, pollIntervalMs: 3_600_000 });
  try {
    await waitFor('the first poll', async () => (service.lastPoll ? true : undefined));
    // Each file read once, by the account's folder that comes first; the trail's folder found them in the ledger.
    expect([await rowCount(db, 'ingested_objects'), await rowCount(db, 'events')]).toEqual([3, 3]);
    expect((await new Reports(db).ingestStatus()).sources).toEqual([
      { source: sources[0], objects: 2, lastRun: expect.any(String), lastError: null, lastErrorKind: null },
      { source: sources[1], objects: 1, lastRun: expect.any(String), lastError: null, lastErrorKind: null },
      { source: sources[2], objects: 3, lastRun: expect.any(String), lastError: null, lastErrorKind: null },
    ]);
    // A file it could not read is named with the source that names its folder most closely.
    const { errors } = await new Reports(db).ingestErrors(10);
    expect(errors.map((e) => [e.source, e.key])).toEqual([[sources[1], `${dayPrefix('444455556666', 'us-east-1', today)}d.json.gz`]]);
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('several sources: a source read after midnight counts its days to its own day, not to the poll’s', () =>
  withTempDatabase(async (dir, db) => {
    const [first, second] = [path.join(dir, 'first'), path.join(dir, 'second')];
    writeFiles(first, dayFile('2026-11-20', 'a.json.gz'));
    // The second source got a late file of the 19th after its last good run.
    writeFiles(second, { ...dayFile('2026-11-19', 'late.json.gz'), ...dayFile('2026-11-20', 'b.json.gz') });
    for (const source of [first, second]) {
      await db.run(
        `INSERT INTO ingest_runs (source, started_at, finished_at)
         VALUES ($source, TIMESTAMP '2026-11-19 23:50:00', TIMESTAMP '2026-11-19 23:51:00')`,
        { source }
      );
    }
    // The poll starts at 23:50; the first source's read takes it past midnight.
    let clock = new Date('2026-11-20T23:50:00Z');
    const { lines, logger } = memoryLogger((line) => {
      if (line.msg === 'source read' && line.source === first) clock = new Date('2026-11-21T00:10:00Z');
    });
    const service = startService({ db, sources: [first, second], logger, days: 1, pollIntervalMs: 3_600_000, now: () => clock });
    try {
      await waitFor('both sources', async () => (lines.filter((l) => l.msg === 'source read').length === 2 ? true : undefined));
      expect(await eventDays(db)).toEqual(['2026-11-19', '2026-11-20']);
      expect(lines.find((l) => l.msg === 'source read' && l.source === second)).toMatchObject({ objects: 2 });
      // Which source catches up is said after the reason, which can end in its own parenthesis (the retention's).
      expect(lines.filter((l) => l.msg.startsWith('catching up')).map((l) => l.msg)).toEqual([
        `catching up: reading the 2 days since the last good run (${first})`,
        `catching up: reading the 3 days since the last good run (${second})`,
      ]);
    } finally {
      await service.stop();
    }
  }), 60_000);

test('after days of failed polls, the first poll that works reads every day folder since the last good one', async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  writeFiles(logs, dayFile('2026-11-20', 'a.json.gz'));
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const { lines, logger } = memoryLogger();
  let clock = new Date('2026-11-20T12:00:00Z');
  const service = startService({ db, sources: [logs], logger, pollIntervalMs: 100, now: () => clock });
  const days = () => eventDays(db);
  try {
    await waitFor('the backfill', async () => ((await days()).length === 1 ? true : undefined));
    // The source is unreadable for three days (polls fail); meanwhile CloudTrail kept delivering.
    fs.renameSync(logs, `${logs}.away`);
    const failures = lines.length;
    await waitFor('a failed poll', async () => (lines.slice(failures).some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    clock = new Date('2026-11-23T12:00:00Z');
    writeFiles(`${logs}.away`, { ...dayFile('2026-11-21', 'b.json.gz'), ...dayFile('2026-11-22', 'c.json.gz'), ...dayFile('2026-11-23', 'd.json.gz') });
    fs.renameSync(`${logs}.away`, logs);
    await waitFor('recovery', async () => ((await days()).length === 4 ? true : undefined));
    expect(await days()).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23']);
  } finally {
    await service.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('started again after weeks away, the service reads every day since its last good run, beyond --days', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    writeFiles(logs, { ...dayFile('2026-11-01', 'old.json.gz'), ...dayFile('2026-11-20', 'new.json.gz') });
    // The last good run of this source, 20 days before "now"; the default backfill would cover 14.
    await db.run(
      `INSERT INTO ingest_runs (source, started_at, finished_at)
       VALUES ($source, TIMESTAMP '2026-10-31 12:00:00', TIMESTAMP '2026-10-31 12:01:00')`,
      { source: logs }
    );
    // A run stopped at shutdown since then (after a batch) is not a complete read: the catch-up still starts at the good one.
    await db.run(
      `INSERT INTO ingest_runs (source, started_at, finished_at, stopped)
       VALUES ($source, TIMESTAMP '2026-11-19 12:00:00', TIMESTAMP '2026-11-19 12:01:00', true)`,
      { source: logs }
    );
    const { lines, logger } = memoryLogger();
    const service = startService({ db, sources: [logs], logger, pollIntervalMs: 60_000, now: () => new Date('2026-11-20T12:00:00Z') });
    const days = () => eventDays(db);
    try {
      await waitFor('the first run', async () => ((await days()).length === 2 ? true : undefined));
      expect(await days()).toEqual(['2026-11-01', '2026-11-20']);
      expect(lines.find((l) => l.msg.startsWith('catching up'))).toMatchObject({ msg: 'catching up: reading the 21 days since the last good run', days: 21 });
    } finally {
      await service.stop();
    }
  }), 60_000);

/** Noon of the last day of the generated logs below: the service's clock in the tests that use them. */
const GENERATED_END = new Date('2026-11-20T12:00:00Z');

/**
 * Generated logs of `days` days in small files (so that a long read takes several batches), a database and a
 * logger for a test body; removed afterwards.
 */
async function withGeneratedLogs(
  generate: { events: number; days: number; seed: number },
  body: (bed: { logs: string; db: Database } & ReturnType<typeof memoryLogger>) => Promise<void>
): Promise<void> {
  await withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { ...generate, end: GENERATED_END, eventsPerFile: 10 });
    await body({ logs, db, ...memoryLogger() });
  });
}

type StartOptions = Pick<ServiceOptions, 'db' | 'sources' | 'logger'>;

/**
 * Starts the service (--days 2), lets its first poll finish, asks for a 20-day backfill and stops the service once
 * the backfill has loaded a batch; gives what the stopped backfill did.
 */
async function stopDuringBackfill(options: StartOptions): Promise<RunTotals> {
  const ledger = () => rowCount(options.db, 'ingested_objects');
  const service = startService({ ...options, days: 2, pollIntervalMs: 3_600_000, now: () => GENERATED_END });
  await waitFor('the first poll', async () => (service.lastPoll ? true : undefined));
  const afterFirstPoll = await ledger();
  const backfill = service.backfill(20);
  await waitFor('a batch of the backfill', async () => ((await ledger()) > afterFirstPoll ? true : undefined));
  await service.stop();
  return backfill;
}

/** Starts the service again a few minutes later, still with --days 2, and stops it after its first poll. */
async function startAgain(options: StartOptions): Promise<void> {
  const service = startService({ ...options, days: 2, pollIntervalMs: 3_600_000, now: () => new Date(GENERATED_END.getTime() + 300_000) });
  await waitFor('the next start', async () => (service.lastPoll ? true : undefined));
  await service.stop();
}

test('a backfill of older logs that shutdown stopped is read again by the next start, to its first day', async () => {
  // 20 days: a 20-day backfill takes several batches, and serve itself reads only 2.
  await withGeneratedLogs({ events: 40_000, days: 20, seed: 5 }, async ({ logs, db, lines, logger }) => {
    const expected = eventFiles(logs);
    const ledger = () => rowCount(db, 'ingested_objects');
    const options = { db, sources: [logs], logger };
    expect(await stopDuringBackfill(options)).toMatchObject({ stopped: true });
    expect(await ledger()).toBeLessThan(expected.files);
    expect(lines.find((l) => l.job === 'backfill')).toMatchObject({ msg: 'backfill stopped', stopped: true });

    await startAgain(options);
    expect(await ledger()).toBe(expected.files);
    expect(lines.map((l) => l.msg)).toContain('catching up: reading the 20 days since a run that did not complete');
  });
}, 180_000);

test('a first load that shutdown stopped is no success: no last poll, no last-success gauge, and the next start reads the rest', async () => {
  await withGeneratedLogs({ events: 40_000, days: 2, seed: 9 }, async ({ logs, db, lines, logger }) => {
    const expected = eventFiles(logs);
    const ledger = () => rowCount(db, 'ingested_objects');
    const api = await buildApi({ db, token: 'metrics-token-0123456789' });
    const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    const scrape = async () => (await fetch(`${apiUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).text();
    try {
      const service = startService({ db, sources: [logs], logger, days: 2, pollIntervalMs: 3_600_000, now: () => GENERATED_END });
      await waitFor('a batch of the first load', async () => ((await ledger()) > 0 ? true : undefined));
      await service.stop();
      expect(await ledger()).toBeLessThan(expected.files);
      expect(lines.find((l) => l.job === 'ingest')).toMatchObject({ msg: 'ingest stopped', stopped: true });
      // Part of its days only: what Prometheus and the status read as the last success must not say it was one.
      expect(service.lastPoll).toBeNull();
      expect((await new Reports(db).ingestStatus()).lastPoll).toBeNull();
      const text = await scrape();
      expect(text).toMatch(/^trailhound_ingest_events \d+$/m);
      expect(text).not.toMatch(/^trailhound_ingest_last_success_timestamp_seconds /m);

      await startAgain({ db, sources: [logs], logger });
      expect(await ledger()).toBe(expected.files);
      expect((await new Reports(db).ingestStatus()).lastPoll).not.toBeNull();
      expect(await scrape()).toMatch(/^trailhound_ingest_last_success_timestamp_seconds \d/m);
    } finally {
      await api.close();
    }
  });
}, 180_000);

test('several sources: a backfill that shutdown stopped before it reached a source is read for that source by the next start too', async () => {
  await withGeneratedLogs({ events: 40_000, days: 20, seed: 6 }, async ({ logs, db, lines, logger }) => {
    // A second source, after the long one, with a file older than the polls read.
    const other = path.join(path.dirname(logs), 'other');
    writeFiles(other, dayFile('2026-11-05', 'old.json.gz'));
    const options = { db, sources: [logs, other], logger };
    expect(await stopDuringBackfill(options)).toMatchObject({ stopped: true });
    expect(lines.filter((l) => l.msg === 'source read' && l.source === other)).toHaveLength(1);

    await startAgain(options);
    expect(await db.all(`SELECT key FROM ingested_objects WHERE source = $other`, { other })).toEqual([{ key: expect.stringMatching(/old\.json\.gz$/) }]);
  });
}, 180_000);

test('a poll that waits behind a backfill does not take the running backfill for an unfinished run', async () => {
  await withGeneratedLogs({ events: 20_000, days: 30, seed: 7 }, async ({ logs, db, lines, logger }) => {
    // Polls every 100 ms: one is always queued behind the backfill.
    const service = startService({ db, sources: [logs], logger, days: 2, pollIntervalMs: 100, now: () => GENERATED_END });
    try {
      await waitFor('the first poll', async () => (service.lastPoll ? true : undefined));
      await service.backfill(30);
      const after = lines.length;
      await waitFor('a poll after the backfill', async () => (lines.slice(after).some((l) => l.msg === 'ingest finished') ? true : undefined));
      expect(lines.filter((l) => /^catching up/.test(l.msg))).toEqual([]);
    } finally {
      await service.stop();
    }
  });
}, 120_000);

test('a poll whose turn comes after stop() does nothing: no delivery, no catch-up, no run', async () => {
  await withGeneratedLogs({ events: 20_000, days: 30, seed: 8 }, async ({ logs, db, lines, logger }) => {
    let deliveries = 0;
    const service = startService({
      db, sources: [logs], logger, days: 2, pollIntervalMs: 100, now: () => GENERATED_END, beforePoll: async () => void deliveries++,
    });
    await waitFor('the first poll', async () => (service.lastPoll ? true : undefined));
    const runsBefore = await rowCount(db, 'ingest_runs');
    const deliveriesBefore = deliveries;
    // A backfill, a poll queued behind it, and the stop while the backfill loads.
    const backfill = service.backfill(30);
    await new Promise((r) => setTimeout(r, 300));
    await service.stop();
    await backfill;
    expect(deliveries).toBe(deliveriesBefore);
    expect(lines.filter((l) => /^catching up/.test(l.msg))).toEqual([]);
    // Only the backfill's own row was added.
    expect(await rowCount(db, 'ingest_runs')).toBe(runsBefore + 1);
  });
}, 120_000);

test('stop() ends a trails sync waiting on a CloudTrail endpoint that does not answer, at once and without logging a failure', async () => {
  const dir = tempDir();
  const hung = await hungServer();
  const cloudtrailEndpoint = hung.url;
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  const { lines, logger } = memoryLogger();
  const env = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  const service = startService({ db, sources: [path.join(dir, 'logs')], logger, pollIntervalMs: 3_600_000, syncTrails: true, cloudtrailEndpoint });
  try {
    await waitFor('the sync to ask the endpoint', async () => (hung.connections() > 0 ? true : undefined));
    const started = Date.now();
    await service.stop();
    // The SDK would wait 60 s without a byte, three times.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lines.filter((l) => l.job === 'trails sync')).toEqual([]);
  } finally {
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
    db.close();
    await hung.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('a folder with no log files in its window is warned of, as ingest warns: once, and again only after it had files', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const { lines, logger } = memoryLogger();
    const service = startService({ db, sources: [logs], logger, pollIntervalMs: 100, days: 3 });
    const polls = () => lines.filter((l) => l.msg === 'ingest finished').length;
    const empty = () => lines.filter((l) => /^found no log files/.test(l.msg));
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const saying = (hint: string) => new RegExp(`^found no log files under ${escaped(logs)} from \\d{4}-\\d\\d-\\d\\d to ${today}: ${escaped(hint)}$`);
    try {
      await waitFor('three polls', async () => (polls() >= 3 ? true : undefined));
      // The backfill's: its days, and what to give for older logs. The polls after it, as empty, say nothing new.
      expect(empty()).toEqual([
        expect.objectContaining({
          level: 40, source: logs, days: 3,
          msg: expect.stringMatching(saying('check --source (or TRAILHOUND_SOURCE), or give --days for older logs')),
        }),
      ]);
      // Files come, and go again: said again, with the days of a poll.
      const file = `${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`;
      writeFiles(logs, { [file]: logFile([rec()]) });
      await waitFor('the file', async () => ((await rowCount(db, 'events')) === 1 ? true : undefined));
      fs.rmSync(path.join(logs, file));
      await waitFor('a second warning', async () => (empty().length === 2 ? true : undefined));
      expect(empty()[1].msg).toMatch(saying('check --source (or TRAILHOUND_SOURCE)'));
      const after = polls();
      await waitFor('two more polls', async () => (polls() >= after + 2 ? true : undefined));
      expect(empty()).toHaveLength(2);
    } finally {
      await service.stop();
    }
  }));

test('with --s3-endpoint and no --cloudtrail-endpoint, a failed trails sync says to set --cloudtrail-endpoint; with one, it does not', () =>
  withTempDatabase(async (dir, db) => {
    // The sync fails at once, on no network: a profile that is in no config file (these, not this machine's), and no
    // instance role. MinIO's keys, which AWS refuses, fail it as surely.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_PROFILE: 'trailhound-test-no-such-profile', AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const failure = async (options: Partial<ServiceOptions>) => {
      const { lines, logger } = memoryLogger();
      const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, syncTrails: true, ...options });
      try {
        return await waitFor('the failed sync', async () => lines.find((l) => l.msg === 'trails sync failed; retrying')?.err as string | undefined);
      } finally {
        await service.stop();
      }
    };
    try {
      const s3Endpoint = await refusedUrl();
      const noCredentials = 'AWS profile "trailhound-test-no-such-profile" gave no credentials';
      const hinted = await failure({ s3Endpoint });
      expect([hinted.startsWith(noCredentials), hinted.endsWith(`; ${CLOUDTRAIL_ENDPOINT_HINT}`)]).toEqual([true, true]);
      expect(CLOUDTRAIL_ENDPOINT_HINT).toMatch(/set --cloudtrail-endpoint \(or TRAILHOUND_CLOUDTRAIL_ENDPOINT\)/);
      // CloudTrail's own endpoint given (right or wrong), or S3 from AWS too: the error alone, as before.
      for (const options of [{ s3Endpoint, cloudtrailEndpoint: await refusedUrl() }, {}]) {
        const err = await failure(options);
        expect([err.startsWith(noCredentials), err.includes('--cloudtrail-endpoint')]).toEqual([true, false]);
      }
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  }));

test('what beforePoll delivers is read by that same poll', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    const prefix = dayPrefix('111122223333', 'us-east-1', today);
    writeFiles(logs, { [`${prefix}a.json.gz`]: logFile([rec()]) });
    const { logger } = memoryLogger();
    let polls = 0;
    const beforePoll = async () => {
      polls++;
      writeFiles(logs, { [`${prefix}delivered-${polls}.json.gz`]: logFile([rec()]) });
    };
    const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, beforePoll });
    try {
      // The first poll (the backfill) reads the file that was there and the one delivered just before it.
      await waitFor('the first poll', async () => (service.lastPoll ? true : undefined));
      expect(polls).toBe(1);
      expect(await rowCount(db, 'events')).toBe(2);
    } finally {
      await service.stop();
    }
  }));

test('serve with no source ingests the bundled sample, and SIGTERM stops it cleanly', async () => {
  const dir = tempDir();
  let child: ReturnType<typeof spawnCli> | undefined;
  try {
    const umask = process.umask(0o022);
    const args = ['serve', '--db', path.join(dir, 'data', 'trailhound.duckdb'), '--poll-interval', '3600', '--listen', '127.0.0.1:0'];
    const proc = (child = spawnCli(args, { TRAILHOUND_TOKEN: '' }));
    process.umask(umask);
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    await waitFor('the sample backfill', async () => (out.includes('ingest finished') ? true : undefined), 120_000);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => /bundled sample/.test(l.msg))).toBeDefined();
    // The seconds of making the sample are said before they pass, not left silent.
    expect(lines.findIndex((l) => /^no --source given: making the bundled sample logs, 50000 events/.test(l.msg))).toBe(0);
    expect(lines.filter((l) => ['warn', 'error', 'fatal'].includes(l.level))).toEqual([]);
    expect(lines[0]).toMatchObject({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const finished = lines.find((l) => l.msg === 'ingest finished');
    expect(finished.events).toBeGreaterThan(40_000);
    expect(finished.errors).toBe(0);
    expect(fs.existsSync(path.join(dir, 'data', 'sample-logs'))).toBe(true);

    // The API answers on loopback with the token written to the data folder, and only with it.
    const listening = lines.find((l) => l.msg.startsWith('API listening'));
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = fs.readFileSync(path.join(dir, 'data', 'token'), 'utf8').trim();
    expect((fs.statSync(path.join(dir, 'data', 'token')).mode & 0o777).toString(8)).toBe('600');
    // The database too, and the folder serve made for them (whatever the umask it was started with: 022 here).
    const mode = (p: string) => (fs.statSync(path.join(dir, 'data', ...p.split('/'))).mode & 0o777).toString(8);
    const parquet = fs.readdirSync(path.join(dir, 'data', 'trailhound.duckdb.originals'))[0];
    expect(['', 'trailhound.duckdb', 'trailhound.duckdb.originals', `trailhound.duckdb.originals/${parquet}`].map(mode)).toEqual(['700', '600', '700', '600']);
    expect((await fetch(`${listening.url}/api/ingest/status`)).status).toBe(401);
    const status = await (await fetch(`${listening.url}/api/ingest/status`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(status.events).toBe(finished.events);
    // The sample comes with its trails, so the List of Trails is not empty either.
    const trails = await (
      await fetch(`${listening.url}/api/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ range: { from: Date.now() - 86_400_000, to: Date.now() }, queries: [{ refId: 'T', queryType: 'trails' }] }),
      })
    ).json();
    expect(trails.results.T.frames[0].fields[0].values).toEqual(['acme-org-trail', 'legacy-dev-trail', 'security-audit']);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  } finally {
    child?.kill('SIGKILL'); // a failed expectation must not leave the service running
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 150_000);

test('SIGTERM before the API listens (the sample being made) stops serve cleanly: exit 0, the step finished, no database opened', async () => {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  let child: ReturnType<typeof spawnCli> | undefined;
  try {
    const args = ['serve', '--db', path.join(data, 'trailhound.duckdb'), '--poll-interval', '3600', '--listen', '127.0.0.1:0'];
    const proc = (child = spawnCli(args, { TRAILHOUND_TOKEN: 'a-long-enough-test-token' }));
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // As PID 1 in a container, a signal no handler takes is ignored: serve waited for SIGKILL until the API listened.
    await waitFor('the sample being made', async () => lines().find((l) => /^no --source given: making the bundled sample logs/.test(l.msg)), 60_000);
    const sent = Date.now();
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const messages = lines().map((l) => l.msg);
    expect(messages.filter((m) => ['stopping', 'stopped'].includes(m))).toEqual(['stopping', 'stopped']);
    expect(messages).not.toContain('API listening');
    expect(lines().filter((l) => ['warn', 'error', 'fatal'].includes(l.level))).toEqual([]);
    // The sample it was making is whole (the next start uses it), and the database was never opened.
    expect(sampleLogsMade(data)).toBe(true);
    expect(fs.existsSync(path.join(data, 'trailhound.duckdb'))).toBe(false);
    expect(Date.now() - sent).toBeLessThan(20_000);
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

test('SIGTERM during a long backfill stops serve after the batch it is loading; a second signal quits at once; ' +
  'the next run ingests exactly the rest', async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  const file = path.join(dir, 'data', 'db.duckdb');
  let child: ReturnType<typeof spawnCli> | undefined;
  /** serve on the file, once its API listens; its log lines, its exit, and the objects its ingest status counts. */
  const serve = async () => {
    const args = ['serve', '--db', file, '--source', logs, '--poll-interval', '3600', '--listen', '127.0.0.1:0'];
    const proc = (child = spawnCli(args, { TRAILHOUND_TOKEN: 'secret' }));
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const listening = await waitFor('the API', async () => lines().find((l) => l.msg === 'API listening'));
    const objects = async () => (await (await fetch(`${listening.url}/api/ingest/status`, { headers: { authorization: 'Bearer secret' } })).json()).objects;
    return { proc, exited, lines, objects };
  };
  /** What is in the database: the files in the ledger, the events their batches stored, and the runs. */
  const stored = async () => {
    const db = await Database.open(file);
    try {
      const ledger = await db.one<{ files: bigint; inserted: bigint }>(`SELECT count(*) AS files, sum(inserted) AS inserted FROM ingested_objects`);
      return {
        files: Number(ledger!.files),
        inserted: Number(ledger!.inserted),
        events: await rowCount(db, 'events'),
        runs: await db.all<{ finished: boolean; error: string | null; stopped: boolean | null; objects: number | null }>(
          `SELECT finished_at IS NOT NULL AS finished, error, stopped, objects FROM ingest_runs ORDER BY started_at`
        ),
      };
    } finally {
      db.close();
    }
  };
  try {
    // Small files: the backfill takes many batches (at most 1000 files each).
    await writeLogFolder(logs, { events: 80_000, days: 3, eventsPerFile: 10, seed: 21 });
    const expected = eventFiles(logs);

    const first = await serve();
    await waitFor('the first batch', async () => ((await first.objects()) > 0 ? true : undefined), 60_000);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // Stopped well before the end: whole batches only, recorded as a stopped run (not a failed one).
    const afterStop = await stored();
    expect(afterStop.files).toBeGreaterThan(0);
    expect(afterStop.files).toBeLessThan(expected.files);
    expect(afterStop.runs).toEqual([{ finished: true, error: null, stopped: true, objects: afterStop.files }]);
    const lines = first.lines();
    expect(lines.map((l) => l.msg))
      .toEqual(expect.arrayContaining(['stopping', 'stopping after the current batch: the next start reads the rest of its days', 'stopped']));
    expect(lines.filter((l) => ['stopping', 'stopped'].includes(l.msg)).map((l) => l.msg)).toEqual(['stopping', 'stopped']);
    // Said in words: a stopped run is no finished one.
    expect(lines.find((l) => l.job === 'ingest' && l.stopped)).toMatchObject({ msg: 'ingest stopped', errors: 0 });
    expect(lines.map((l) => l.msg)).not.toContain('ingest finished');
    expect(lines.some((l) => /failed/.test(l.msg))).toBe(false);

    // An impatient second signal while it stops: it quits at once, as ingest does, with the shell's code for SIGINT.
    const second = await serve();
    await waitFor('a batch of the next start', async () => ((await second.objects()) > afterStop.files ? true : undefined), 60_000);
    second.proc.kill('SIGTERM');
    await waitFor('stopping', async () => second.lines().find((l) => l.msg === 'stopping'));
    const sent = Date.now();
    second.proc.kill('SIGINT');
    expect(await second.exited).toBe(130);
    // At once: the statement running is interrupted (Node's exit waited for it, ~2 s of this batch's first one).
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(second.lines().find((l) => l.signal === 'SIGINT')).toMatchObject({
      level: 'warn',
      msg: 'SIGINT while stopping: quitting at once; the batch being loaded (or the prune) is rolled back, and the next start loads it again',
    });
    expect(second.lines().map((l) => l.msg)).not.toContain('stopped');
    // No part of a batch is stored: every event stored came with its file's ledger row, in one transaction. The run
    // never finished, so the next start reads its days again.
    const afterQuit = await stored();
    expect(afterQuit.files).toBeGreaterThan(afterStop.files);
    expect(afterQuit.files).toBeLessThan(expected.files);
    expect(afterQuit.events).toBe(afterQuit.inserted);
    expect(afterQuit.runs).toEqual([afterStop.runs[0], { finished: false, error: null, stopped: null, objects: null }]);

    const db = await Database.open(file);
    try {
      const rest = await ingest({ source: logs, db, days: 3 });
      expect(rest).toMatchObject({ objects: expected.files - afterQuit.files, unchanged: afterQuit.files, errors: 0, stopped: false });
      expect(await rowCount(db, 'ingested_objects')).toBe(expected.files);
      const events = await db.one<{ n: bigint; ids: bigint }>(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events`);
      expect({ n: Number(events!.n), ids: Number(events!.ids) }).toEqual({ n: expected.unique, ids: expected.unique });
    } finally {
      db.close();
    }
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

/** `npm start`'s environment: a database in `dir`, `logs` its source, any free port, and no second poll while it runs. */
const npmStartEnv = (dir: string, logs: string) => ({
  ...process.env, TRAILHOUND_DB: path.join(dir, 'data', 'db.duckdb'), TRAILHOUND_SOURCE: logs, TRAILHOUND_LISTEN: '127.0.0.1:0',
  TRAILHOUND_TOKEN: 'a-long-enough-test-token', TRAILHOUND_POLL_INTERVAL: '3600',
});

test('npm start stopped by a SIGTERM to npm alone (a supervisor, kill %1) stops the service too, not only npm and its shell', async () => {
  const dir = tempDir();
  const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]) });
  const env = npmStartEnv(dir, logs);
  const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  npm.stdout.on('data', (d) => (out += d));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let pid: number | undefined;
  try {
    pid = await waitFor('serve to listen', async () => Number(/"pid":(\d+)[^\n]*API listening/.exec(out)?.[1]) || undefined, 60_000);
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    npm.kill('SIGTERM');
    await npmExited;
    // Left running, it would hold the port and the database: the next npm start would find both taken.
    await waitFor('serve to stop', async () => (alive(pid!) ? undefined : true), 15_000);
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    if (npm.exitCode === null) npm.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

test("npm start stopped by a terminal's Ctrl-C stops once, after the batch it is loading: npm's own SIGINT, passed on, is no second Ctrl-C", async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  // Small files: several batches, so that the Ctrl-C comes while one loads (seconds), long after npm passes its SIGINT on.
  await writeLogFolder(logs, { events: 30_000, days: 2, eventsPerFile: 10, seed: 7 });
  const env = npmStartEnv(dir, logs);
  // A group of its own, as a terminal's foreground job is: the terminal's Ctrl-C is a SIGINT to each process of it.
  const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let out = '';
  npm.stdout.on('data', (d) => (out += d));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const exited = new Promise((resolve) => npm.once('exit', resolve));
  try {
    const { url } = await waitFor('serve to listen', async () => lines().find((l) => l.msg === 'API listening'), 60_000);
    const authorization = `Bearer ${env.TRAILHOUND_TOKEN}`;
    const objects = async () => (await (await fetch(`${url}/api/ingest/status`, { headers: { authorization } })).json()).objects;
    await waitFor('a first batch', async () => ((await objects()) > 0 ? true : undefined), 60_000);
    process.kill(-npm.pid!, 'SIGINT');
    await exited;
    const messages = lines().map((l) => l.msg);
    // It took npm's SIGINT for a second Ctrl-C: "SIGINT while stopping: quitting at once", the batch rolled back, exit 130.
    expect(messages.filter((m) => /^(stopping|stopped)$|quitting at once/.test(m))).toEqual(['stopping', 'stopped']);
    expect(messages).toContain('stopping after the current batch: the next start reads the rest of its days');
  } finally {
    if (npm.exitCode === null) process.kill(-npm.pid!, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

/** Runs the CLI; a run still going after `ms` is killed and reported as such (a service that did not stop). */
async function runWithin(args: string[], env: NodeJS.ProcessEnv, ms = 30_000, user: Parameters<typeof spawnCli>[2] = {}) {
  const proc = spawnCli(args, env, user);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | null>((resolve) => proc.on('exit', resolve)),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
  clearTimeout(timer);
  if (code === 'still running') proc.kill('SIGKILL');
  return { code, stdout, stderr };
}

test('serve refuses to start without its API: a bad listen address, a port in use or a bad poll interval stop it at once, saying what to do', async () => {
  const dir = tempDir();
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const busyPort = (busy.address() as net.AddressInfo).port;
  const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]) });
  const serve = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    runWithin(['serve', '--db', path.join(dir, name, 'db.duckdb'), '--source', logs, ...args], { TRAILHOUND_TOKEN: 'a-long-enough-test-token', ...env });
  const configFile = path.join(dir, 'aws-config');
  fs.writeFileSync(configFile, '[default]\nendpoint_url = localhost:4566\n');
  try {
    const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
      ['flag', ['--listen', 'foo'], {}, /^trailhound: --listen \(or TRAILHOUND_LISTEN\) "foo": expected host:port, e\.g\. 127\.0\.0\.1:7480/],
      ['variable', [], { TRAILHOUND_LISTEN: 'foo' }, /^trailhound: --listen \(or TRAILHOUND_LISTEN\) "foo": expected host:port/],
      ['zero', ['--listen', '127.0.0.1:0'], { TRAILHOUND_POLL_INTERVAL: '0' }, /^trailhound: TRAILHOUND_POLL_INTERVAL=0: expected a whole number, 1 or more/],
      [
        'negative',
        ['--listen', '127.0.0.1:0'],
        { TRAILHOUND_POLL_INTERVAL: '-60' },
        /^trailhound: TRAILHOUND_POLL_INTERVAL=-60: expected a whole number, 1 or more/,
      ],
      ['blank-token', ['--listen', '127.0.0.1:0'], { TRAILHOUND_TOKEN: ' \n' }, /^trailhound: TRAILHOUND_TOKEN is only white space/],
      // Guessable by anyone who reaches the port: refused there (on loopback only warned of, as the sample's start below).
      [
        'short-token-public',
        ['--listen', '0.0.0.0:0'],
        { TRAILHOUND_TOKEN: 'secret' },
        /^trailhound: the bearer token is only 6 characters, .*The API listens beyond this machine \(--listen 0\.0\.0\.0:0\), so serve does not start/,
      ],
      [
        'too-long',
        ['--listen', '127.0.0.1:0', '--poll-interval', '2592000'],
        {},
        /^trailhound: option '--poll-interval <seconds>' argument '2592000' is invalid\. expected a whole number from 1 to 86400 \(a day\)/,
      ],
      [
        'too-long-variable',
        ['--listen', '127.0.0.1:0'],
        { TRAILHOUND_POLL_INTERVAL: '99999999999999999999' },
        /^trailhound: TRAILHOUND_POLL_INTERVAL=99999999999999999999: expected a whole number from 1 to 86400 \(a day\)/,
      ],
      [
        'retention-variable',
        ['--listen', '127.0.0.1:0'],
        { TRAILHOUND_RETENTION_DAYS: '36501' },
        /^trailhound: TRAILHOUND_RETENTION_DAYS=36501: expected a whole number from 1 to 36500 \(a hundred years\) \(or unset it to keep every event\)/,
      ],
      // A mistyped source (beside a good one): said at once, not a poll retried for ever.
      // Without TRAILHOUND_TOKEN, which would write a token file if the source were checked too late.
      ['mistyped-folder', ['--listen', '127.0.0.1:0', '--source', path.join(dir, 'lgos')], { TRAILHOUND_TOKEN: '' }, /^trailhound: .*lgos is not a folder/],
      ['s3-url', ['--listen', '127.0.0.1:0', '--source', 's3://'], { TRAILHOUND_TOKEN: '' }, /^trailhound: s3:\/\/ is not an S3 URL: expected s3:\/\/bucket/],
      // Without the scheme: the AWS SDK's own "Invalid URL", or "Unknown: UnknownError", at every poll.
      [
        's3-endpoint',
        ['--listen', '127.0.0.1:0'],
        { TRAILHOUND_S3_ENDPOINT: '127.0.0.1:9000' },
        /^trailhound: --s3-endpoint \(or TRAILHOUND_S3_ENDPOINT\) 127\.0\.0\.1:9000: expected an http/,
      ],
      [
        'cloudtrail-endpoint',
        ['--listen', '127.0.0.1:0', '--cloudtrail-endpoint', 'localhost:4566'],
        {},
        /^trailhound: --cloudtrail-endpoint \(or TRAILHOUND_CLOUDTRAIL_ENDPOINT\) localhost:4566: expected an http/,
      ],
      // The AWS SDK's own variables, with an S3 source (which asks S3, and the trail inventory CloudTrail): the SDK's
      // "Invalid URL" at every poll and every hourly sync.
      [
        'sdk-s3-endpoint',
        ['--listen', '127.0.0.1:0', '--source', 's3://logs'],
        { AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' },
        /^trailhound: AWS_ENDPOINT_URL_S3 127\.0\.0\.1:9000: expected an http/,
      ],
      [
        'sdk-cloudtrail-endpoint',
        ['--listen', '127.0.0.1:0', '--source', 's3://logs'],
        { AWS_ENDPOINT_URL_CLOUDTRAIL: 'localhost:4566' },
        /^trailhound: AWS_ENDPOINT_URL_CLOUDTRAIL localhost:4566: expected an http/,
      ],
      // The config file's, and a credential service's.
      [
        'sdk-config-endpoint',
        ['--listen', '127.0.0.1:0', '--source', 's3://logs'],
        { AWS_CONFIG_FILE: configFile },
        /^trailhound: \S+'s \[default\] endpoint_url localhost:4566: expected an http/,
      ],
      [
        'sdk-sts-endpoint',
        ['--listen', '127.0.0.1:0', '--source', 's3://logs'],
        { AWS_ENDPOINT_URL_STS: 'sts.local' },
        /^trailhound: AWS_ENDPOINT_URL_STS sts\.local: expected an http/,
      ],
    ];
    const runs = await Promise.all(cases.map(([name, args, env]) => serve(name, args, env)));
    runs.forEach((r, i) => {
      const [name, , , message] = cases[i];
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 1, stderr: expect.stringMatching(message) });
      // Refused before anything was opened or scheduled.
      expect(r.stdout).toBe('');
      expect(fs.existsSync(path.join(dir, name, 'db.duckdb'))).toBe(false);
      // Nor written: no data folder, token file or database.
      expect(fs.existsSync(path.join(dir, name))).toBe(false);
    });
    // The (poll interval) flag itself was already held to the rule.
    const flag = await serve('flag-zero', ['--listen', '127.0.0.1:0', '--poll-interval', '0']);
    expect(flag.code).not.toBe(0);

    // The sample cannot be written (its folder is a file): it stops before the API answers with nothing behind it.
    fs.mkdirSync(path.join(dir, 'nosample'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'nosample', 'sample-logs'), 'not a folder');
    const noSample = await runWithin(['serve', '--db', path.join(dir, 'nosample', 'db.duckdb'), '--listen', '127.0.0.1:0'], { TRAILHOUND_TOKEN: 'secret' });
    expect(noSample.code).toBe(1);
    expect(noSample.stderr).toMatch(/^trailhound: .*sample-logs is in the way of the sample logs: it is not a folder/);
    expect(noSample.stdout).not.toMatch(/API listening/);

    // The port is taken: it stops instead of polling without an API, before writing anything (no token file, sample
    // logs or database left behind).
    const taken = await runWithin(['serve', '--db', path.join(dir, 'taken', 'db.duckdb'), '--listen', `127.0.0.1:${busyPort}`], { TRAILHOUND_TOKEN: '' });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      new RegExp(
        `^trailhound: cannot listen on 127\\.0\\.0\\.1:${busyPort}: the port is in use .*` +
          'choose another address with --listen host:port \\(or TRAILHOUND_LISTEN\\)'
      )
    );
    expect(taken.stdout).toBe('');
    expect(fs.existsSync(path.join(dir, 'taken'))).toBe(false);
  } finally {
    busy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

test('serve with no source on a data folder it cannot write says to give a writable --db or a --source', async () => {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  // Not this user's to write: as root, which writes anywhere, serve runs as nobody in a folder root owns.
  const root = process.getuid?.() === 0;
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(data, root ? 0o755 : 0o555);
  try {
    // With TRAILHOUND_TOKEN (as in Docker): no token file to write, so the sample is the first thing written.
    const run = await runWithin(
      ['serve', '--db', path.join(data, 'trailhound.duckdb'), '--listen', '127.0.0.1:0'],
      { TRAILHOUND_TOKEN: 'a-long-enough-test-token' },
      30_000,
      root ? { uid: 65534, gid: 65534 } : {}
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^trailhound: cannot write the bundled sample logs into ${data}/sample-logs \\(EACCES: permission denied, .*\\): ` +
          'with no --source, serve writes them in the database\'s folder; ' +
          'give a --db \\(or TRAILHOUND_DB\\) in a folder this user can write, or a --source \\(or TRAILHOUND_SOURCE\\) of your own logs\n$'
      )
    );
    expect(run.stdout).not.toMatch(/API listening/);
  } finally {
    fs.chmodSync(data, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('serve: a TRAILHOUND_TOKEN ending in a newline works; a backfill’s state shows in the ingest status', async () => {
  const dir = tempDir();
  const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec(), rec()]) });
  let child: ReturnType<typeof spawnCli> | undefined;
  try {
    const args = ['serve', '--db', path.join(dir, 'data', 'db.duckdb'), '--source', logs, '--poll-interval', '3600', '--listen', '127.0.0.1:0'];
    const proc = (child = spawnCli(args, { TRAILHOUND_TOKEN: 'secret\n' }));
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    const listening = await waitFor('the API', async () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'API listening'));
    expect(listening.token).toBe('TRAILHOUND_TOKEN');
    // Six characters work, and the log says they are too few.
    expect(out).toContain('"token":"TRAILHOUND_TOKEN","msg":"the bearer token is only 6 characters');
    const call = (route: string, init: RequestInit = {}) =>
      fetch(`${listening.url}${route}`, { ...init, headers: { authorization: 'bearer secret', 'content-type': 'application/json' } });

    const status = async () => (await call('/api/ingest/status')).json();
    const before = await status();
    expect(before.backfill).toBeNull();
    const started = await call('/api/backfill', { method: 'POST', body: '{"days":3}' });
    expect(started.status).toBe(202);
    const done = await waitFor('the backfill', async () => {
      const s = await status();
      return s.backfill?.state === 'done' ? s : undefined;
    });
    expect(done).toMatchObject({ events: 2, backfill: { days: 3, state: 'done', startedAt: expect.any(String), finishedAt: expect.any(String) } });
    expect(out).toContain('"msg":"backfill finished"');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('serve on a database an older version wrote: the API answers while it upgrades, SIGTERM stops the upgrade, the next start finishes it', async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  const file = path.join(dir, 'data', 'db.duckdb');
  const token = 'a-long-enough-test-token';
  let child: ReturnType<typeof spawnCli> | undefined;
  /** serve on the file; its log lines as they come, and its exit. */
  const serve = () => {
    const args = ['serve', '--db', file, '--source', logs, '--poll-interval', '3600', '--listen', '127.0.0.1:0'];
    const proc = (child = spawnCli(args, { TRAILHOUND_TOKEN: token }));
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    return { proc, exited, lines };
  };
  const version = async () => {
    const db = await Database.open(file, { readOnly: true });
    try {
      return (await db.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`))?.value;
    } finally {
      db.close();
    }
  };
  try {
    // Enough events for a migration of seconds (~4 s on two shared cores), as version 12 left them.
    const generated = await writeLogFolder(logs, { events: 200_000, days: 2, eventsPerFile: 1000, seed: 8 });
    const db = await Database.open(file);
    await ingest({ source: logs, db, days: 3 });
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    db.close();

    const first = serve();
    const said = await waitFor('the upgrade', async () => first.lines().find((l) => /^updating the database from schema version 12/.test(l.msg)), 60_000);
    expect(said.msg).toMatch(/; meanwhile \/api\/health says how far it is, and the other endpoints answer 503 until it is done$/);
    const health = await fetch(said.health);
    expect(health.status).toBe(200);
    const message = expect.stringMatching(/^the service is upgrading its database/);
    const upgrading = { status: 'ok', database: 'upgrading', upgrade: { fromVersion: 12 }, message };
    expect(await health.json()).toMatchObject(upgrading);
    const base = said.health.replace(/\/api\/health$/, '');
    expect((await fetch(`${base}/api/trails`)).status).toBe(401);
    const refused = await fetch(`${base}/api/trails`, { headers: { authorization: `Bearer ${token}` } });
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '10' });
    const upgradingNow = expect.stringMatching(/^the service is upgrading its database .* Try again in a moment/);
    expect(await refused.json()).toEqual({ error: upgradingNow, code: 'upgrading' });

    // Stopped mid-way: said once, exits 0, and the database is as it was (the migration rolled back).
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const messages = first.lines().map((l) => l.msg);
    expect(messages.filter((m) => ['stopping', 'stopped'].includes(m))).toEqual(['stopping', 'stopped']);
    expect(messages).not.toContain('API listening');
    // (The test made the database with its own umask: serve warns that others can read it, and nothing else.)
    expect(first.lines().filter((l) => ['error', 'fatal'].includes(l.level) || (l.level === 'warn' && !/can be read by other users/.test(l.msg)))).toEqual([]);
    expect(await version()).toBe('12');

    // The next start does it all again, and then serves as usual.
    const second = serve();
    const listening = await waitFor('the API', async () => second.lines().find((l) => l.msg === 'API listening'), 120_000);
    expect(await (await fetch(`${listening.url}/api/health`)).json()).toMatchObject({ status: 'ok', database: 'open' });
    const status = await (await fetch(`${listening.url}/api/ingest/status`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(status.objects).toBe(generated.files);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await version()).toBe(String(SCHEMA_VERSION));
  } finally {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);

test('serve whose database cannot be opened (another process holds it) exits 1 with the reason, its API closed', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'db.duckdb');
  const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`]: logFile([rec()]) });
  const held = await Database.open(file);
  try {
    const run = await runWithin(['serve', '--db', file, '--source', logs, '--listen', '127.0.0.1:0'], { TRAILHOUND_TOKEN: 'a-long-enough-test-token' });
    // Exited by itself: a listener left open would have kept it running.
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^trailhound: The database .*db\.duckdb is in use by another process, most likely a running 'trailhound serve'/);
    expect(run.stdout).not.toMatch(/API listening|trailhound started/);
  } finally {
    held.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
