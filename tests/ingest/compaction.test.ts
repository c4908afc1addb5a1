// Compaction of the kept log files (ingest/originals.ts): many small batches, and a first load's batch of several
// days, become one Parquet file per finished day; every event's original record reads the same before and after, and
// after a compaction interrupted before its commit or before its deletions. Real DuckDB, real files.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { ROW_GROUP_BYTES } from '../../src/service/ingest/keptRowGroups';
import { compactOriginals, describeCompaction } from '../../src/service/ingest/originals';
import { KEY_DAY_SQL, parseKey } from '../../src/service/ingest/keys';
import { prune } from '../../src/service/ingest/retention';
import { originalFiles, type StatementGuard } from '../../src/service/reports/records';
import { startService } from '../../src/service/service';
import { runCli } from '../support/cli';
import { keepRandomLogFiles } from '../support/oldRowGroups';
import { logFile } from '../support/stratus';
import { memoryLogger, waitFor } from '../support/watch';
import { dayPrefix, storedFile, storedRecords, tempDir, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');
// Finished days (before yesterday), yesterday and today: only the first are compacted.
const OLD_DAYS = ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17'];
const YESTERDAY = '2026-11-19';
const TODAY = '2026-11-20';

let fileNo = 0;
/** A log file of `day`, with three events (and a long field, so the files are not all alike). */
function addFile(logs: string, day: string): string {
  const n = fileNo++;
  const records = [0, 1, 2].map((i) => ({
    eventID: `e-${n}-${i}`, eventTime: `${day}T10:${String(n % 60).padStart(2, '0')}:0${i}Z`, eventName: 'GetObject', eventSource: 's3.amazonaws.com',
    awsRegion: 'eu-west-1', requestParameters: { key: `object-${n}-${i}-${'x'.repeat(n * 7)}` },
  }));
  const key = `${dayPrefix('111122223333', 'eu-west-1', day)}111122223333_CloudTrail_eu-west-1_f${String(n).padStart(4, '0')}.json.gz`;
  writeFiles(logs, { [key]: logFile(records) });
  return key;
}

/**
 * A database (its file returned) of one old day of 500 log files of 180 kB (gzip) that do not compress further, 90 MB,
 * loaded in several batches (a batch holds at most 256 MB unpacked, as estimated).
 */
async function bigDay(dir: string): Promise<string> {
  const logs = path.join(dir, 'logs');
  for (let n = 0; n < 500; n++) {
    const records = [{ eventID: `big-${n}`, eventTime: `${OLD_DAYS[0]}T10:00:00Z`, eventName: 'PutObject', eventSource: 's3.amazonaws.com',
      awsRegion: 'eu-west-1', requestParameters: { blob: crypto.randomBytes(180_000).toString('base64') } }];
    writeFiles(logs, { [`${dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[0])}111122223333_CloudTrail_eu-west-1_b${n}.json.gz`]: logFile(records) });
  }
  const file = path.join(dir, 'db.duckdb');
  const loading = await Database.open(file);
  await ingest({ source: logs, db: loading, days: 14, now: NOW });
  loading.close();
  return file;
}

const parquetFiles = (db: Database) => fs.readdirSync(db.originalsDir).filter((f) => f.endsWith('.parquet')).sort();
const referenced = async (db: Database) => (await db.all<{ a: string }>('SELECT DISTINCT archive AS a FROM log_objects ORDER BY 1')).map((r) => r.a);
/** A new database (`setup`, open) and its empty originals folder, for kept Parquet files written straight into it. */
async function emptyDatabase(dir: string): Promise<{ file: string; setup: Database }> {
  const file = path.join(dir, 'db.duckdb');
  const setup = await Database.open(file);
  fs.mkdirSync(setup.originalsDir, { recursive: true });
  return { file, setup };
}

/** Each kept log file in the database's Parquet files, by key: its content's md5. */
const digests = (db: Database) =>
  db.all<{ key: string; digest: string }>(`SELECT key, md5(content) AS digest FROM read_parquet($files) ORDER BY key`, {
    files: listValue(parquetFiles(db).map((f) => path.join(db.originalsDir, f))),
  });
const asJson = (m: Map<string, unknown>) => JSON.stringify([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));

/**
 * A database of 12 batches: a first load of two old days together (one Parquet file of both), then one file per run:
 * 4 for the third old day, 3 for the fourth, 2 for yesterday, 1 for today.
 */
async function scenario(dir: string): Promise<{ db: Database; file: string; logs: string; keys: string[] }> {
  const logs = path.join(dir, 'logs');
  const file = path.join(dir, 'db.duckdb');
  const db = await Database.open(file);
  const keys: string[] = [];
  keys.push(addFile(logs, OLD_DAYS[0]), addFile(logs, OLD_DAYS[0]), addFile(logs, OLD_DAYS[1]), addFile(logs, OLD_DAYS[1]));
  await ingest({ source: logs, db, days: 14, now: NOW });
  for (const day of [...Array(4).fill(OLD_DAYS[2]), ...Array(3).fill(OLD_DAYS[3]), YESTERDAY, YESTERDAY, TODAY]) {
    keys.push(addFile(logs, day));
    await ingest({ source: logs, db, days: 14, now: NOW });
  }
  return { db, file, logs, keys };
}

test("a key's day in SQL (KEY_DAY_SQL) is parseKey's", async () => {
  const keys = [
    'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/14/111122223333_CloudTrail_eu-west-1_f.json.gz',
    'trails/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2025/01/31/f.json.gz#0123abcd-2',
    'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/02/01/d.json.gz',
    'AWSLogs/111122223333/CloudTrail/us-east-1/2025/02/01/',
    'AWSLogs/111122223333/CloudTrail/us-east-1/2025/2/01/f.json.gz',
    'logs/2026/11/14/f.json.gz',
    'plain.json',
  ];
  const db = await Database.open(':memory:');
  try {
    const rows = await db.all<{ key: string; day: string | null }>(`SELECT key, ${KEY_DAY_SQL('key')} AS day FROM (SELECT unnest($keys) AS key)`, {
      keys: listValue(keys),
    });
    expect(new Map(rows.map((r) => [r.key, r.day ?? undefined]))).toEqual(new Map(keys.map((k) => [k, parseKey(k).day])));
  } finally {
    db.close();
  }
});

test("a compaction's line: what it read, wrote and removed, each with its size; a first load split by day removed none", () => {
  const split = { days: 12, filesRead: 1, filesWritten: 12, filesRemoved: 0, bytesRemoved: 0, bytesWritten: 6_096_116, daysLeft: 0, failed: [] };
  expect(describeCompaction(split)).toBe('Compacted the kept log files of 12 days: read 1 Parquet file, wrote 12 (6.1 MB), removed none');
  const day = { ...split, days: 1, filesWritten: 1, filesRemoved: 1, bytesRemoved: 1_100_000, bytesWritten: 400_000, daysLeft: 2 };
  expect(describeCompaction(day)).toBe(
    'Compacted the kept log files of 1 day: read 1 Parquet file, wrote 1 (0.4 MB), removed 1 (1.1 MB); 2 days left for the next compaction'
  );
});

describe('compactOriginals', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('one Parquet file per finished day; every record and kept file reads the same; a second run does nothing', async () => {
    const { db, keys } = await scenario(dir);
    try {
      expect(parquetFiles(db)).toHaveLength(11);
      const before = await storedRecords(db);
      expect(before.size).toBe(keys.length * 3);
      const filesBefore = new Map<string, Buffer | undefined>();
      for (const key of keys) filesBefore.set(key, await storedFile(db, key));

      const summary = await compactOriginals(db, { now: NOW });
      expect(summary).toMatchObject({ days: 4, filesRead: 1 + 4 + 3, filesWritten: 4, filesRemoved: 8, daysLeft: 0, failed: [] });
      const said = /^Compacted the kept log files of 4 days: read 8 Parquet files, wrote 4 \(\d+\.\d MB\), removed 8 \(\d+\.\d MB\)$/;
      expect(describeCompaction(summary)).toMatch(said);
      // 4 day files, yesterday's 2 and today's 1; nothing on disk that no row refers to.
      expect(parquetFiles(db)).toHaveLength(7);
      expect(parquetFiles(db)).toEqual(await referenced(db));
      // Each finished day in a file of its own.
      const perDay = await db.all<{ n: bigint }>(
        `SELECT count(DISTINCT archive) AS n FROM log_objects WHERE key SIMILAR TO '.*/2026/11/1[4-7]/.*' GROUP BY substr(key, 1, 60)`
      );
      expect(perDay.every((r) => Number(r.n) === 1)).toBe(true);

      expect(asJson(await storedRecords(db))).toBe(asJson(before));
      for (const key of keys) expect((await storedFile(db, key))?.equals(filesBefore.get(key)!)).toBe(true);

      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 0, filesRemoved: 0 });
      expect(describeCompaction(await compactOriginals(db, { now: NOW }))).toBeUndefined();
    } finally {
      db.close();
    }
  });

  test('after a prune, a first load file of two days keeps only the day that stays', async () => {
    const { db } = await scenario(dir);
    try {
      const mixed = (await db.one<{ a: string }>(`SELECT archive AS a FROM log_objects WHERE key LIKE '%/2026/11/14/%'`))!.a;
      const mixedBytes = fs.statSync(path.join(db.originalsDir, mixed)).size;
      // The cutoff at 2026-11-15T00:00: the 14th goes, the 15th stays, and so does the file of both.
      await prune(db, 5, new Date('2026-11-20T00:00:00Z'));
      expect(fs.existsSync(path.join(db.originalsDir, mixed))).toBe(true);
      const before = await storedRecords(db);
      const summary = await compactOriginals(db, { now: NOW });
      expect(fs.existsSync(path.join(db.originalsDir, mixed))).toBe(false);
      const day15 = (await db.one<{ a: string }>(`SELECT DISTINCT archive AS a FROM log_objects WHERE key LIKE '%/2026/11/15/%'`))!.a;
      expect(fs.statSync(path.join(db.originalsDir, day15)).size).toBeLessThan(mixedBytes);
      expect(summary.days).toBe(3);
      expect(asJson(await storedRecords(db))).toBe(asJson(before));
      expect(parquetFiles(db)).toEqual(await referenced(db));
    } finally {
      db.close();
    }
  });

  test('interrupted before its commit: the day is left as it was, the new file gone, everything readable; the next run does it', async () => {
    const { db } = await scenario(dir);
    try {
      const before = await storedRecords(db);
      const filesBefore = parquetFiles(db);
      let written = '';
      const summary = await compactOriginals(db, {
        now: NOW,
        onStep: (step, file) => {
          if (step !== 'written') return;
          written = file;
          // The written file is complete and in the folder, and no row points at it yet.
          expect(fs.existsSync(file)).toBe(true);
          throw new Error('simulated crash before the commit');
        },
      });
      expect(summary).toMatchObject({ days: 0, filesWritten: 0, filesRemoved: 0 });
      expect(summary.failed).toHaveLength(4);
      expect(summary.failed[0]).toEqual({ day: OLD_DAYS[0], error: 'simulated crash before the commit' });
      expect(fs.existsSync(written)).toBe(false);
      expect(parquetFiles(db)).toEqual(filesBefore);
      expect(asJson(await storedRecords(db))).toBe(asJson(before));

      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 4, failed: [] });
      expect(asJson(await storedRecords(db))).toBe(asJson(before));
      expect(parquetFiles(db)).toHaveLength(7);
    } finally {
      db.close();
    }
  });

  test('a new file left by a killed compaction is removed at the next open, and nothing is lost', async () => {
    const { db, file } = await scenario(dir);
    const before = await storedRecords(db);
    const filesBefore = parquetFiles(db);
    const leftover = path.join(dir, 'leftover.parquet');
    // As a process killed right after the COPY leaves it: a complete file, which no row refers to.
    await compactOriginals(db, {
      now: NOW,
      onStep: (step, written) => {
        if (step !== 'written') return;
        fs.copyFileSync(written, leftover);
        throw new Error('killed');
      },
    });
    db.close();
    fs.renameSync(leftover, path.join(`${file}.originals`, 'leftover.parquet'));
    const reopened = await Database.open(file);
    try {
      expect(parquetFiles(reopened)).toEqual(filesBefore);
      expect(asJson(await storedRecords(reopened))).toBe(asJson(before));
    } finally {
      reopened.close();
    }
  });

  test('interrupted after its commit: the old files are left over, every record reads from the new one; the next open removes them', async () => {
    const { db, file } = await scenario(dir);
    const before = await storedRecords(db);
    const summary = await compactOriginals(db, {
      now: NOW,
      onStep: (step) => {
        if (step === 'committed') throw new Error('simulated crash before the deletion');
      },
    });
    // Every day switched, no old file deleted.
    expect(summary).toMatchObject({ days: 4, filesWritten: 4, filesRemoved: 0 });
    expect(parquetFiles(db)).toHaveLength(11 + 4);
    expect(await referenced(db)).toHaveLength(7);
    expect(asJson(await storedRecords(db))).toBe(asJson(before));
    // Nothing more to do: the days are done.
    expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 0 });
    db.close();
    const reopened = await Database.open(file);
    try {
      expect(parquetFiles(reopened)).toHaveLength(7);
      expect(parquetFiles(reopened)).toEqual(await referenced(reopened));
      expect(asJson(await storedRecords(reopened))).toBe(asJson(before));
    } finally {
      reopened.close();
    }
  });

  test('a time budget stops between days, and the next run does the rest', async () => {
    const { db } = await scenario(dir);
    try {
      expect(await compactOriginals(db, { now: NOW, budgetMs: 0 })).toMatchObject({ days: 0, daysLeft: 4 });
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 4, daysLeft: 0, failed: [] });
    } finally {
      db.close();
    }
  });

  // A file cut short (its footer gone), or with a damaged page (its footer intact: only reading it says so).
  for (const damage of ['cut short', 'a damaged page'] as const) {
    test(`a kept Parquet file ${damage}: its log files stay in it, the rest of its day is compacted, and it is named once`, async () => {
      const { db } = await scenario(dir);
      try {
        const before = await storedRecords(db);
        // One of the 17th's 3 files (one batch each).
        const damaged = (await db.one<{ a: string }>(`SELECT archive AS a FROM log_objects WHERE key LIKE '%/2026/11/17/%' ORDER BY key LIMIT 1`))!.a;
        const damagedPath = path.join(db.originalsDir, damaged);
        const damagedKey = (await db.one<{ k: string }>(`SELECT key AS k FROM log_objects WHERE archive = $a`, { a: damaged }))!.k;
        const original = fs.readFileSync(damagedPath);
        if (damage === 'cut short') fs.truncateSync(damagedPath, 20);
        else {
          // Past the magic number, the first page's header and data: the footer still reads.
          const fd = fs.openSync(damagedPath, 'r+');
          fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4);
          fs.closeSync(fd);
          await expect(db.all(`SELECT num_rows FROM parquet_file_metadata($f)`, { f: damagedPath })).resolves.toHaveLength(1);
        }
        const bytes = fs.readFileSync(damagedPath);

        const summary = await compactOriginals(db, { now: NOW });
        expect(summary).toMatchObject({ days: 4, filesWritten: 4, filesRemoved: 7 });
        expect(summary.failed).toEqual([
          { day: OLD_DAYS[3], file: damaged, error: expect.stringContaining(`the kept Parquet file ${damagedPath} cannot be read (`) },
        ]);
        expect(summary.failed[0].error).toMatch(
          /the day's log files in it \(1\) were left there, the rest of the day compacted.*restore the file from a backup of the data folder/
        );
        expect(describeCompaction(summary)).toContain(`; ${OLD_DAYS[3]}: the kept Parquet file ${damagedPath} cannot be read`);
        // Left as it was, its log file still pointing at it; the day's two others in one new file.
        expect(fs.readFileSync(damagedPath).equals(bytes)).toBe(true);
        expect((await db.one<{ a: string }>(`SELECT archive AS a FROM log_objects WHERE key = $k`, { k: damagedKey }))!.a).toBe(damaged);
        expect(await db.one<{ n: bigint }>(`SELECT count(DISTINCT archive) AS n FROM log_objects WHERE key LIKE '%/2026/11/17/%'`)).toEqual({ n: 2n });
        expect(parquetFiles(db)).toEqual(await referenced(db));
        // Every other event's record reads as before.
        const ids = (await db.all<{ id: string }>(`SELECT event_id AS id FROM events WHERE object_key <> $k`, { k: damagedKey })).map((r) => r.id);
        const after = await storedRecords(db, ids);
        for (const id of ids) expect(after.get(id)).toEqual(before.get(id));

        // The next runs: nothing else to do for its day, nothing said, and the file not read again (a damaged page
        // showed only when a copy of it failed, each hour).
        const steps: string[] = [];
        expect(await compactOriginals(db, { now: NOW, onStep: (step) => steps.push(step) })).toMatchObject({ days: 0, failed: [] });
        expect(steps).toEqual([]);
        expect(describeCompaction(await compactOriginals(db, { now: NOW }))).toBeUndefined();
        expect(await db.all(`SELECT archive FROM unreadable_originals`)).toEqual([{ archive: damaged }]);

        // Restored from a backup, it is read again: its day becomes one file, and every record reads as before.
        fs.writeFileSync(damagedPath, original);
        // A minute after it was read, as a restore would be: nothing may take it for the bytes read before.
        const later = new Date(Date.now() + 60_000);
        fs.utimesSync(damagedPath, later, later);
        expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 1, filesRead: 2, filesRemoved: 2, failed: [] });
        expect(fs.existsSync(damagedPath)).toBe(false);
        expect(await db.one<{ n: bigint }>(`SELECT count(DISTINCT archive) AS n FROM log_objects WHERE key LIKE '%/2026/11/17/%'`)).toEqual({ n: 1n });
        expect(asJson(await storedRecords(db))).toBe(asJson(before));
        expect(await db.all(`SELECT archive FROM unreadable_originals`)).toEqual([]);
      } finally {
        db.close();
      }
    });
  }

  test("a day's one kept Parquet file cut short, with nothing else of its day to rewrite, is named once", async () => {
    const { db } = await scenario(dir);
    try {
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 4, failed: [] });
      // The 17th's one file (3 log files), cut short after it was compacted.
      const damaged = (await db.one<{ a: string }>(`SELECT DISTINCT archive AS a FROM log_objects WHERE key LIKE '%/2026/11/17/%'`))!.a;
      const damagedPath = path.join(db.originalsDir, damaged);
      fs.truncateSync(damagedPath, 20);

      const summary = await compactOriginals(db, { now: NOW });
      expect(summary).toMatchObject({ days: 0, filesWritten: 0 });
      expect(summary.failed).toEqual([
        { day: OLD_DAYS[3], file: damaged, error: expect.stringContaining(`the kept Parquet file ${damagedPath} cannot be read (`) },
      ]);
      expect(summary.failed[0].error).toContain("the day's log files in it (3) were left there");
      expect(fs.statSync(damagedPath).size).toBe(20);
      // Once: the next runs say nothing of it.
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 0, failed: [] });
      expect(describeCompaction(await compactOriginals(db, { now: NOW }))).toBeUndefined();
    } finally {
      db.close();
    }
  });

  test('a log file rewritten in S3, kept again as key#etag beside its first version, is compacted with its day', async () => {
    const logs = path.join(dir, 'logs');
    const db = await Database.open(path.join(dir, 'db.duckdb'));
    try {
      const key = addFile(logs, OLD_DAYS[2]);
      addFile(logs, OLD_DAYS[2]);
      await ingest({ source: logs, db, days: 14, now: NOW });
      // The same key with other content (another size, so the folder source sees another ETag), and one more event.
      const records = [
        { eventID: 'rewritten-0', eventTime: `${OLD_DAYS[2]}T11:00:00Z`, eventName: 'PutObject', eventSource: 's3.amazonaws.com', awsRegion: 'eu-west-1' },
      ];
      writeFiles(logs, { [key]: logFile(records) });
      await ingest({ source: logs, db, days: 14, now: NOW });
      const versions = await db.all<{ key: string; archive: string }>(`SELECT key, archive FROM log_objects WHERE starts_with(key, $k) ORDER BY key`, {
        k: key,
      });
      expect(versions.map((v) => v.key)).toEqual([key, expect.stringMatching(new RegExp(`^${key.replace(/\./g, '\\.')}#.+`))]);
      expect(versions[0].archive).not.toBe(versions[1].archive);
      const before = await storedRecords(db);
      expect(before.has('rewritten-0')).toBe(true);
      const filesBefore = new Map<string, Buffer | undefined>();
      for (const v of versions) filesBefore.set(v.key, await storedFile(db, v.key));

      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 1, filesRead: 2, filesWritten: 1, filesRemoved: 2, failed: [] });
      expect(parquetFiles(db)).toHaveLength(1);
      expect(await referenced(db)).toEqual(parquetFiles(db));
      for (const v of versions) expect((await storedFile(db, v.key))?.equals(filesBefore.get(v.key)!)).toBe(true);
      expect(asJson(await storedRecords(db))).toBe(asJson(before));
    } finally {
      db.close();
    }
  });

  test('serve compacts after its poll; prune compacts after its prune, and says so', async () => {
    const { db, file, logs } = await scenario(dir);
    const before = await storedRecords(db);
    const { logger, lines } = memoryLogger();
    const service = startService({ db, sources: [logs], logger, pollIntervalMs: 3_600_000, days: 14, now: () => NOW });
    try {
      const line = await waitFor('the compaction', async () => lines.find((l) => l.job === 'compaction'));
      expect(line).toMatchObject({ level: 30, days: 4, filesWritten: 4, msg: expect.stringMatching(/^Compacted the kept log files of 4 days/) });
      expect(line.ms).toEqual(expect.any(Number));
      // After the poll's line, whose ms is the ingestion's own.
      expect(lines.slice(0, lines.indexOf(line)).map((l) => l.msg)).toContain('ingest finished');
      expect(parquetFiles(db)).toHaveLength(7);
      expect(asJson(await storedRecords(db))).toBe(asJson(before));
    } finally {
      await service.stop();
      db.close();
    }
    // The CLI's clock is today's: the scenario's yesterday is finished too (its 2 files become 1; its today has 1 file already).
    const res = await runCli(['prune', '--db', file, '--retention-days', '3650', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ events: 0, compaction: { days: 1, filesRead: 2, filesWritten: 1, filesRemoved: 2, failed: [] } });
    const reopened = await Database.open(file);
    try {
      expect(parquetFiles(reopened)).toHaveLength(6);
      expect(asJson(await storedRecords(reopened))).toBe(asJson(before));
    } finally {
      reopened.close();
    }
  }, 60_000);

  test('a reader that looked a file up just before a compaction removed it finds it in the new one', async () => {
    const { db, keys } = await scenario(dir);
    const conn = await db.connect();
    try {
      const filesBefore = new Map<string, Buffer | undefined>();
      for (const key of keys) filesBefore.set(key, await storedFile(db, key));
      // The compaction commits and deletes the old files right after the reader's look-up, before it opens them.
      let statements = 0;
      const guard: StatementGuard = async (run) => {
        const result = await run();
        if (statements++ === 0) expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 4, filesRemoved: 8 });
        return result;
      };
      const files = await originalFiles(conn, db.originalsDir, keys, guard);
      expect(files.size).toBe(keys.length);
      for (const key of keys) expect(Buffer.from(files.get(key) as Uint8Array).equals(filesBefore.get(key)!)).toBe(true);
    } finally {
      conn.closeSync();
      db.close();
    }
  });

  test('a kept Parquet file that lacks some of its log files: those stay pointing at it, the rest of the day is compacted', async () => {
    const { db } = await scenario(dir);
    try {
      const before = await storedRecords(db);
      // One of the 16th's 4 files (one batch each) is said to hold one more log file than it does.
      const lacking = (await db.one<{ a: string }>(`SELECT archive AS a FROM log_objects WHERE key LIKE '%/2026/11/16/%' ORDER BY key LIMIT 1`))!.a;
      const lost = `${dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[2])}111122223333_CloudTrail_eu-west-1_lost.json.gz`;
      await db.run(`INSERT INTO log_objects VALUES ($lost, 'x', 'etag', $lacking, $day::DATE)`, { lost, lacking, day: OLD_DAYS[2] });

      const summary = await compactOriginals(db, { now: NOW });
      expect(summary).toMatchObject({ days: 4, filesWritten: 4, filesRemoved: 7 });
      expect(summary.failed).toEqual([
        {
          day: OLD_DAYS[2],
          file: lacking,
          error: `1 log file of the day that log_objects says are kept in ${path.join(db.originalsDir, lacking)} are not in it, and were left ` +
            "pointing at it: their events' original records cannot be read. Restore the file from a backup of the data folder if there is one",
        },
      ]);
      // The day's 4 log files in one new file, the lost one where it was said to be.
      const day16 = await db.all<{ a: string; n: bigint }>(
        `SELECT archive AS a, count(*) AS n FROM log_objects WHERE day = $day::DATE GROUP BY archive ORDER BY n`, { day: OLD_DAYS[2] });
      expect(day16).toEqual([{ a: lacking, n: 1n }, { a: expect.not.stringMatching(lacking), n: 4n }]);
      expect(parquetFiles(db)).toEqual(await referenced(db));
      expect(asJson(await storedRecords(db))).toBe(asJson(before));
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 0, failed: [] });
    } finally {
      db.close();
    }
  });

  // A day spread over thousands of Parquet files went further past the memory limit with it (bench/compaction.ts).
  test("DuckDB keeps no cache of the kept files' bytes, which lay outside its memory limit", async () => {
    const db = await Database.open(path.join(dir, 'db.duckdb'), { memoryLimit: '128MB' });
    try {
      expect(await db.all(`SELECT current_setting('enable_external_file_cache') AS cached`)).toEqual([{ cached: false }]);
    } finally {
      db.close();
    }
  });

  // The selection held every key of the day at once (two temporary tables, joined whole), and so did the commit's
  // UPDATE (a join with the new file's keys): this day ran out of a 48 MB memory limit, with either alone out of 44 MB,
  // and 300 000 kept files out of 64 MB even with spilling (bench/compaction.ts). Now the selection joins a few files'
  // keys at a time, and the commit names the files: within 34 MB. Two threads, as what a query holds grows with them.
  test('a day of 120 000 kept log files in 500 Parquet files is compacted within a 40 MB memory limit, nothing spilled to disk', async () => {
    const file = path.join(dir, 'db.duckdb');
    const prefix = `${dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[0])}111122223333_CloudTrail_eu-west-1_`;
    const perFile = 240;
    const setup = await Database.open(file);
    fs.mkdirSync(setup.originalsDir, { recursive: true });
    for (let first = 0; first < 120_000; first += perFile) {
      const archive = `${crypto.randomUUID()}.parquet`;
      // A log file's bytes are its key's md5: a few bytes, as what matters here is how many there are.
      await setup.run(
        `COPY (SELECT $prefix || i || '.json.gz' AS key, unhex(md5($prefix || i || '.json.gz'))::BLOB AS content FROM range($first, $first + $n) t(i))
         TO $target (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 64)`,
        { prefix, first, n: perFile, target: path.join(setup.originalsDir, archive) }
      );
      await setup.run(
        `INSERT INTO log_objects SELECT $prefix || i || '.json.gz', 'logs', 'etag', $archive, $day::DATE FROM range($first, $first + $n) t(i)`,
        { prefix, first, n: perFile, archive, day: OLD_DAYS[0] }
      );
    }
    setup.close();
    const limited = await Database.open(file, { memoryLimit: '40MB', threads: 2 });
    try {
      // Nothing spilled to disk: what it holds must fit (the temporary tables spilled, at 128 MB too).
      await limited.run(`SET temp_directory = ''`);
      expect(await compactOriginals(limited, { now: NOW })).toMatchObject({ days: 1, filesRead: 500, filesWritten: 1, filesRemoved: 500, failed: [] });
    } finally {
      limited.close();
    }
    // Every log file in the new file, under its own key (read back without the limit: that join is a test's).
    const db = await Database.open(file);
    try {
      expect(parquetFiles(db)).toEqual(await referenced(db));
      const [compacted] = parquetFiles(db);
      expect(
        await db.one(
          `SELECT count(*) AS n, count(*) FILTER (WHERE content = unhex(md5(key))::BLOB) AS same FROM read_parquet($f) JOIN log_objects USING (key)`,
          { f: path.join(db.originalsDir, compacted) }
        )
      ).toEqual({ n: 120_000n, same: 120_000n });
    } finally {
      db.close();
    }
  }, 120_000);

  // In row groups of 64 files (12 MB here) this day's copy ran out of the limit now and then (1 run in 8), its row groups
  // written 20 to 120 files (22 MB), and its records needed 36 MB to read back. In row groups of about 4 MB the copy
  // peaks at 16-23 MB.
  test('a day of 90 MB is compacted within an 80 MB memory limit on 4 threads, in row groups of about 4 MB, and read back within 16 MB', async () => {
    const file = await bigDay(dir);
    const groupBytes = async (db: Database) =>
      (await db.all<{ bytes: bigint }>(`SELECT row_group_bytes AS bytes FROM parquet_metadata($files) WHERE column_id = 0`, {
        files: listValue(parquetFiles(db).map((f) => path.join(db.originalsDir, f))),
      })).map((r) => Number(r.bytes));
    const db = await Database.open(file, { memoryLimit: '80MB', threads: 4 });
    try {
      // As ingestion wrote them: a row group ends once it holds 4 MB, at most one file (185 kB) past it.
      const read = await groupBytes(db);
      expect(Math.max(...read)).toBeLessThan(ROW_GROUP_BYTES + 200_000);
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 1, filesWritten: 1, failed: [] });
      expect(parquetFiles(db)).toHaveLength(1);
      // A row group written is fewer files than make 4 MB, then one row group read.
      const written = await groupBytes(db);
      expect(written.length).toBeGreaterThan(10);
      expect(Math.max(...written)).toBeLessThan(ROW_GROUP_BYTES + Math.max(...read));
    } finally {
      db.close();
    }
    const reading = await Database.open(file, { memoryLimit: '16MB', threads: 4 });
    try {
      const ids = [...Array.from({ length: 10 }, (_, i) => `big-${i * 50}`), 'big-499'];
      expect([...(await storedRecords(reading, ids)).values()].map((r) => r.eventID).sort()).toEqual([...ids].sort());
    } finally {
      reading.close();
    }
  }, 120_000);

  // What a copy holds follows its row groups (64 log files each, read and written, before they were bounded by bytes:
  // here 12 MB), not the day's size; without insertion order this day ran out of the limit. The copy runs on one thread:
  // the database's 4 here each read row groups of their own, and ran out of 128 MB now and then (2 came within 6 MB of
  // it); on one it peaked at 55-76 MB, as the row groups it writes end where a chunk read ends (64 to 127 log files then).
  // Its records read back within the same limit (records.ts keptIn).
  test('a day of 90 MB is compacted and read back within a 128 MB memory limit on 4 threads: the copy streams; a stop interrupts it', async () => {
    const file = await bigDay(dir);
    const db = await Database.open(file, { memoryLimit: '128MB', threads: 4 });
    const threads = async () => (await db.one<{ n: bigint }>(`SELECT current_setting('threads')::BIGINT AS n`))!.n;
    try {
      const archives = parquetFiles(db).length;
      expect(archives).toBeGreaterThan(1);
      const bytes = parquetFiles(db).reduce((sum, f) => sum + fs.statSync(path.join(db.originalsDir, f)).size, 0);
      expect(bytes).toBeGreaterThan(85e6);
      // A stop during the copy interrupts it (it takes about a second here): the day is left as it was, for the next run.
      const stop = new AbortController();
      let written = '';
      const stopped = await compactOriginals(db, {
        now: NOW,
        signal: stop.signal,
        onStep: (step, file) => {
          written = file;
          if (step === 'copying') setTimeout(() => stop.abort(), 20);
        },
      });
      expect(stopped).toMatchObject({ days: 0, filesWritten: 0, daysLeft: 1, failed: [] });
      expect(fs.existsSync(written)).toBe(false);
      // The copy's one thread is given back, after a stop too.
      expect(await threads()).toBe(4n);
      expect(parquetFiles(db)).toHaveLength(archives);
      expect(await referenced(db)).toEqual(parquetFiles(db));

      const summary = await compactOriginals(db, { now: NOW });
      expect(summary).toMatchObject({ days: 1, filesRead: archives, filesWritten: 1, failed: [] });
      expect(parquetFiles(db)).toHaveLength(1);
      expect(await threads()).toBe(4n);

      // Read back within the same limit, on the 4 threads: records spread over the day's row groups. One statement for
      // all read every row group between the smallest and the largest key, one of 12-22 MB on each thread, and ran
      // out of it (it needed 128 MB); with the key filter alone, 4 row groups at once needed 96 MB. A row group at a
      // time needs 35 MB.
      const ids = [...Array.from({ length: 10 }, (_, i) => `big-${i * 50}`), 'big-499'];
      const records = await storedRecords(db, ids);
      expect([...records.keys()].sort()).toEqual([...ids].sort());
      expect([...records.values()].map((r) => r.eventID).sort()).toEqual([...ids].sort());
    } finally {
      db.close();
    }
  }, 120_000);

  // A first load of small batches leaves many small files that each hold several days: such files are copied some
  // together (a filter of each row's bit among the group's), the others as before (a file of 9 MB that holds both days
  // alone, and a file of one day whole). Each day's log files, and only they, land in its file, byte for byte.
  test("300 small Parquet files that each hold two days' log files, and a big one, are compacted day by day, every log file the same", async () => {
    const { file, setup } = await emptyDatabase(dir);
    const prefixes = { first: dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[0]), second: dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[1]) };
    // Rows alternate between the two days (`mixed`), or are all of the first; `bytes` of random bytes each.
    const key = (mixed: boolean) => `CASE WHEN ${mixed ? 'r % 2 = 0' : 'true'} THEN $first ELSE $second END || 'f' || $n || '-' || r || '.json.gz'`;
    const keep = async (n: number, files: number, bytes: number, mixed: boolean) => {
      const archive = `${crypto.randomUUID()}.parquet`;
      await setup.run(
        `COPY (SELECT ${key(mixed)} AS key, unhex(string_agg(md5(random()::VARCHAR || r || '-' || j), '')) AS content
               FROM range($files) t(r), range($chunks) u(j) GROUP BY r ORDER BY r)
         TO $target (FORMAT parquet, COMPRESSION uncompressed)`,
        { ...prefixes, n, files, chunks: bytes / 16, target: path.join(setup.originalsDir, archive) }
      );
      await setup.run(
        `INSERT INTO log_objects SELECT ${key(mixed)}, 'logs', 'etag', $archive, CASE WHEN ${mixed ? 'r % 2 = 0' : 'true'} THEN $d0 ELSE $d1 END::DATE
         FROM range($files) t(r)`,
        { ...prefixes, n, files, archive, d0: OLD_DAYS[0], d1: OLD_DAYS[1] }
      );
    };
    for (let n = 0; n < 300; n++) await keep(n, 3 + (n % 3), 4096, true);
    await keep(300, 50, 185_600, true);
    await keep(301, 5, 4096, false);
    const before = await digests(setup);
    expect(before).toHaveLength(1255);
    setup.close();
    const db = await Database.open(file, { memoryLimit: '128MB', threads: 4 });
    try {
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 2, filesRead: 302, filesWritten: 2, filesRemoved: 302, failed: [] });
      expect(parquetFiles(db)).toEqual(await referenced(db));
      // Each day's file holds its day's log files alone, as log_objects says.
      for (const day of OLD_DAYS.slice(0, 2)) {
        const { archive, n } = (await db.one<{ archive: string; n: bigint }>(
          `SELECT any_value(archive) AS archive, count(DISTINCT archive) AS n FROM log_objects WHERE day = $day::DATE`, { day }
        ))!;
        expect(n).toBe(1n);
        const keys = await db.all<{ key: string }>(`SELECT key FROM read_parquet($file) ORDER BY key`, { file: path.join(db.originalsDir, archive) });
        const expected = await db.all<{ key: string }>(`SELECT key FROM log_objects WHERE day = $day::DATE ORDER BY key`, { day });
        expect(keys).toEqual(expected);
      }
      expect(await digests(db)).toEqual(before);
    } finally {
      db.close();
    }
  }, 120_000);

  // A day compacted before row groups were bounded by bytes kept row groups of up to 127 files (23 MB here). Compacting
  // it again (new files of the day, or a prune) read such a row group in one chunk, and the copy wrote it whole again:
  // out of an 80 MB limit each time, 102 MB at peak within 128 MB. Read in slices of as many files as make 4 MB, it
  // peaks near 48 MB, and its row groups are written as small as ingestion's.
  test('a day kept in row groups of 127 files of 185 kB, compacted again, fits a 64 MB memory limit on 4 threads and is re-split', async () => {
    const { file, setup } = await emptyDatabase(dir);
    const prefix = dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[0]);
    const keep = (first: number, count: number, groupFiles: number) =>
      keepRandomLogFiles(setup, { prefix, day: OLD_DAYS[0], first, count, groupFiles });
    await keep(0, 500, 127);
    await keep(500, 10, 10);
    const groups = async (db: Database) =>
      db.all<{ files: bigint; bytes: bigint }>(
        `SELECT row_group_num_rows AS files, row_group_bytes AS bytes FROM parquet_metadata($files) WHERE column_id = 0`, {
        files: listValue(parquetFiles(db).map((f) => path.join(db.originalsDir, f))),
      });
    expect(Math.max(...(await groups(setup)).map((g) => Number(g.files)))).toBe(127);
    const before = await digests(setup);
    expect(before).toHaveLength(510);
    setup.close();
    const db = await Database.open(file, { memoryLimit: '64MB', threads: 4 });
    try {
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 1, filesRead: 2, filesWritten: 1, filesRemoved: 2, failed: [] });
      expect(parquetFiles(db)).toEqual(await referenced(db));
      const written = await groups(db);
      expect(Math.max(...written.map((g) => Number(g.bytes)))).toBeLessThan(2 * ROW_GROUP_BYTES);
      expect(await digests(db)).toEqual(before);
    } finally {
      db.close();
    }
  }, 120_000);

  // A file that holds two days' log files (a batch across midnight, a first load) is copied with a filter of its rows,
  // which its Parquet scan applies as it reads: each day is bigger than the limit. The copy on the database's 4 threads,
  // one filter over every file's rows, ran out of it in each of 3 runs.
  test('two days of 110 MB sharing their Parquet files are compacted within a 128 MB memory limit on 4 threads, every log file the same', async () => {
    const { file, setup } = await emptyDatabase(dir);
    // 8 files of 148 log files of 185 kB (random bytes), alternately of the two days, one row group each (27 MB: bigger than ingestion's).
    const key = `CASE WHEN r % 2 = 0 THEN $first ELSE $second END || 'f' || $n || '-' || r || '.json.gz'`;
    for (let n = 0; n < 8; n++) {
      const archive = path.join(setup.originalsDir, `${crypto.randomUUID()}.parquet`);
      const days = { first: dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[0]), second: dayPrefix('111122223333', 'eu-west-1', OLD_DAYS[1]), n };
      await setup.run(
        `COPY (SELECT ${key} AS key, unhex(string_agg(md5(random()::VARCHAR || r || '-' || j), '')) AS content
               FROM range(148) t(r), range(11600) u(j) GROUP BY r ORDER BY r)
         TO $archive (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 64)`,
        { ...days, archive }
      );
      await setup.run(
        `INSERT INTO log_objects SELECT ${key}, 'logs', 'etag', $name, CASE WHEN r % 2 = 0 THEN $d0 ELSE $d1 END::DATE FROM range(148) t(r)`,
        { ...days, name: path.basename(archive), d0: OLD_DAYS[0], d1: OLD_DAYS[1] }
      );
    }
    const before = await digests(setup);
    expect(before).toHaveLength(1184);
    setup.close();
    const db = await Database.open(file, { memoryLimit: '128MB', threads: 4 });
    try {
      expect(await compactOriginals(db, { now: NOW })).toMatchObject({ days: 2, filesWritten: 2, filesRemoved: 8, failed: [] });
    } finally {
      db.close();
    }
    const after = await Database.open(file);
    try {
      expect(parquetFiles(after)).toHaveLength(2);
      expect(parquetFiles(after)).toEqual(await referenced(after));
      const perFile = await after.all<{ day: string; n: bigint }>(
        `SELECT day::VARCHAR AS day, count(*) AS n FROM log_objects GROUP BY day, archive ORDER BY day`
      );
      expect(perFile).toEqual([{ day: OLD_DAYS[0], n: 592n }, { day: OLD_DAYS[1], n: 592n }]);
      expect(await digests(after)).toEqual(before);
    } finally {
      after.close();
    }
  }, 120_000);
});
