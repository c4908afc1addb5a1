// A process killed (SIGKILL) in the middle of an ingestion, then run again, gives exactly the expected events:
// no half file, no duplicate. Real process, real S3-compatible server, real DuckDB file.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SIGNAL_ECHO_MS } from '../../src/service/commands/signals';
import { Database } from '../../src/service/db/database';
import { startTestS3, type TestS3 } from '../support/s3';
import { logFile } from '../support/stratus';
import { ROOT, runCli, spawnCli } from '../support/cli';
import { dayPrefix, storedRecords, tempDir } from '../support/temp';

const FILES = 400;
const PER_FILE = 250;
const DUPLICATED_PER_FILE = 10; // each file repeats 10 events of the previous file, as a second trail would

let s3: TestS3;
let dir: string;

beforeAll(async () => {
  s3 = await startTestS3();
  dir = tempDir();
  await s3.createBucket('crash');
  const today = new Date().toISOString().slice(0, 10);
  const prefix = dayPrefix('111122223333', 'us-east-1', today);
  const event = (i: number) => ({
    eventID: `crash-${i}`, eventTime: `${today}T00:00:00Z`, eventName: 'PutObject', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1',
    // Hard-to-compress keys make each file heavy enough that the 400 files load in several batches (transactions).
    requestParameters: {
      bucketName: `bucket-${i % 7}`,
      key: Array.from({ length: 10 }, (_, k) => createHash('sha512').update(`${i}:${k}`).digest('hex')).join(''),
    },
  });
  for (let f = 0; f < FILES; f += 40) {
    await Promise.all(
      Array.from({ length: 40 }, (_, j) => f + j).map((file) => {
        const first = file * PER_FILE;
        const records = Array.from({ length: PER_FILE }, (_, i) => event(first + i));
        if (file > 0) records.push(...Array.from({ length: DUPLICATED_PER_FILE }, (_, i) => event(first - 1 - i)));
        return s3.put('crash', `${prefix}f${String(file).padStart(4, '0')}.json.gz`, logFile(records));
      })
    );
  }
}, 120_000);

afterAll(async () => {
  await s3.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function stored(db: string): Promise<{ events: number; objects: number; ids: number }> {
  const d = await Database.open(db);
  try {
    const row = await d.one<{ e: bigint; o: bigint; i: bigint }>(
      `SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM ingested_objects) AS o, (SELECT count(DISTINCT event_id) FROM events) AS i`
    );
    return { events: Number(row!.e), objects: Number(row!.o), ids: Number(row!.i) };
  } finally {
    d.close();
  }
}

test('killed mid-ingest, then re-run: exact count', async () => {
  const db = path.join(dir, 'crash.duckdb');
  const args = ['ingest', '--source', 's3://crash', '--s3-endpoint', s3.endpoint, '--db', db, '--days', '1'];
  const child = spawnCli(args);
  // Kill as soon as a progress line shows some, but not all, files committed.
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      const m = /ingesting: (\d+)\/(\d+) files/.exec(chunk.toString());
      if (m && Number(m[1]) > 0 && Number(m[1]) < FILES) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error('ingestion ended before it could be killed mid-way')));
  });
  await new Promise((resolve) => child.on('exit', resolve));

  const partial = await stored(db);
  expect(partial.objects).toBeGreaterThan(0);
  expect(partial.objects).toBeLessThan(FILES);
  expect(partial.ids).toBe(partial.events);

  const rerun = await runCli([...args, '--json']);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toBe(''); // no AWS SDK Node-version warning in users' output
  const summary = JSON.parse(rerun.stdout);
  expect(summary.objects).toBe(FILES - partial.objects);
  expect(summary.errors).toBe(0);

  const final = await stored(db);
  expect(final).toEqual({ events: FILES * PER_FILE, objects: FILES, ids: FILES * PER_FILE });

  // The kept originals: exactly the Parquet files the database refers to (a killed batch's file is gone), and
  // records read back from them.
  const d = await Database.open(db);
  try {
    const archives = await d.all<{ archive: string }>('SELECT DISTINCT archive FROM log_objects ORDER BY 1');
    expect(fs.readdirSync(d.originalsDir).sort()).toEqual(archives.map((a) => a.archive));
    const sample = ['crash-0', `crash-${FILES * PER_FILE - 1}`];
    expect([...(await storedRecords(d, sample)).keys()].sort()).toEqual(sample.sort());
  } finally {
    d.close();
  }
}, 180_000);

test('Ctrl-C stops after the batch being loaded, says so, and the next run reads the rest', async () => {
  const db = path.join(dir, 'interrupted.duckdb');
  const args = ['ingest', '--source', 's3://crash', '--s3-endpoint', s3.endpoint, '--db', db, '--days', '1'];
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
      const m = /ingesting: (\d+)\/(\d+) files/.exec(chunk.toString());
      if (m && Number(m[1]) > 0 && Number(m[1]) < FILES && !child.killed) {
        child.kill('SIGINT');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error('ingestion ended before it could be interrupted')));
  });
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/SIGINT: stopping after the batch being loaded \(Ctrl-C again to quit at once\)/);
  expect(stdout).toMatch(/stopped before the end: run the same command again/);

  // What it says it stored is stored, whole; the rest is not.
  const said = Number(/Ingested (\d+) log files/.exec(stdout)![1]);
  const partial = await stored(db);
  expect(partial.objects).toBe(said);
  expect(said).toBeGreaterThan(0);
  expect(said).toBeLessThan(FILES);

  const rerun = await runCli([...args, '--json']);
  expect(rerun.code).toBe(0);
  expect(JSON.parse(rerun.stdout)).toMatchObject({ objects: FILES - said, errors: 0 });
  expect(await stored(db)).toEqual({ events: FILES * PER_FILE, objects: FILES, ids: FILES * PER_FILE });
}, 180_000);

// The progress bar needs a terminal: `script` (util-linux) gives the run one, and a Ctrl-C typed into it is a real
// SIGINT from the terminal.
const hasScript = spawnSync('script', ['--version']).status === 0;

(hasScript ? test : test.skip)('a second Ctrl-C quits at once, and gives the terminal its cursor back and leaves no download behind', async () => {
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const args = ['ingest', '--source', 's3://crash', '--s3-endpoint', s3.endpoint, '--db', path.join(dir, 'twice.duckdb'), '--days', '1'];
  const command = `exec ${[process.execPath, '--require', 'tsx/cjs', path.join(ROOT, 'src/service/main.ts'), ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    let typed = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const m = /(\d+)\/(\d+) files/.exec(chunk.toString());
      // Once a batch has committed (the next one is loading), Ctrl-C; once it says it is stopping, Ctrl-C again, as a
      // person does: later than an echo of the first (npm passing its own on, signals.ts), which does not count.
      if (typed === 0 && m && Number(m[1]) > 0 && Number(m[1]) < FILES) {
        child.stdin!.write('\x03');
        typed = 1;
      } else if (typed === 1 && /SIGINT: stopping/.test(out)) {
        typed = 2;
        setTimeout(() => {
          child.stdin!.write('\x03');
          resolve();
        }, SIGNAL_ECHO_MS + 100);
      }
    });
    child.on('exit', () => reject(new Error(`ingestion ended before it could be interrupted twice:\n${out}`)));
  });
  expect(await exited).toBe(130);
  // At once: no summary.
  expect(out).not.toMatch(/Ingested \d+ log files/);
  // The bar hid the cursor and turned line wrapping off: both are back.
  expect(out.lastIndexOf('\x1b[?25h')).toBeGreaterThan(out.lastIndexOf('\x1b[?25l'));
  expect(out.lastIndexOf('\x1b[?7h')).toBeGreaterThan(out.lastIndexOf('\x1b[?7l'));
  // The downloads waiting for their batch went with it.
  expect(fs.readdirSync(tmp).filter((f) => f.startsWith('trailhound-'))).toEqual([]);
}, 180_000);
