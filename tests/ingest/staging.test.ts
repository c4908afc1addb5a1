// The big temporary copies ingestion reads a file through (a big file's records array, a file's copy with invalid UTF-8
// replaced) go in a folder beside the database (Database.stagingDir), on its disk, not in the temporary folder, which a
// container keeps small: nothing of them is left after a load, a failed load, or a killed run's next start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database, databaseFiles } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { spawnCli } from '../support/cli';
import { tempDir, writeFiles } from '../support/temp';

const pad = 'x'.repeat(1200);
const record = (id: string, extra: Record<string, unknown> = {}) => ({
  eventID: id, eventTime: '2026-11-20T10:00:00Z', eventName: 'PutObject', eventSource: 's3.amazonaws.com', awsRegion: 'eu-west-1',
  userIdentity: { type: 'IAMUser', userName: 'alice' }, requestParameters: { bucketName: 'b', key: `${pad}-${id}` }, ...extra,
});
/** A log file over BIG_FILE_BYTES (8 MB) unpacked, read record by record through a staged copy: about 12 MB. */
const bigRecords = (prefix: string) => Array.from({ length: 9_000 }, (_, i) => record(`${prefix}-${i}`));
/** `{"Records": [...]}` with a user agent of invalid UTF-8 in its first record (café in Latin-1, and a byte no encoding has). */
const withBadBytes = (records: object[], tail = '') => {
  const [first, ...rest] = records.map((r) => JSON.stringify(r));
  const head = `{"Records": [${first.replace(/}$/, ',"userAgent":"caf')}`;
  return Buffer.concat([Buffer.from(head), Buffer.from([0xe9, 0xff]), Buffer.from(`"}${rest.map((r) => `,${r}`).join('')}${tail}]}`)]);
};

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `body` with a temporary folder that does not exist (a copy made there fails), and gives the folders made with
 * mkdtemp meanwhile, each with the mode of the folder it was made in, as it was then.
 */
async function copiesMadeDuring(body: () => Promise<void>): Promise<Array<{ copy: string; parentMode: number }>> {
  const made: Array<{ copy: string; parentMode: number }> = [];
  const mkdtemp = fs.mkdtempSync.bind(fs) as (prefix: string) => string;
  const spy = jest.spyOn(fs, 'mkdtempSync').mockImplementation(((prefix: string) => {
    const copy = mkdtemp(prefix);
    made.push({ copy, parentMode: fs.statSync(path.dirname(copy)).mode & 0o777 });
    return copy;
  }) as typeof fs.mkdtempSync);
  const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(path.join(dir, 'no-temporary-folder'));
  try {
    await body();
  } finally {
    tmpdir.mockRestore();
    spy.mockRestore();
  }
  return made;
}

test('a big file and files with invalid UTF-8 are read through copies beside the database, not in the temporary folder; none is left', async () => {
  const logs = writeFiles(path.join(dir, 'logs'), {
    'big.json.gz': zlib.gzipSync(JSON.stringify({ Records: bigRecords('big') })),
    // Cleaned (each bad byte becomes 3), then staged: two copies at once.
    'big-latin1.json.gz': zlib.gzipSync(withBadBytes(bigRecords('latin'))),
    'small-latin1.json': withBadBytes([record('small')]),
  });
  const file = path.join(dir, 'db', 'trail.duckdb');
  const db = await Database.open(file);
  const staging = databaseFiles(file).staging;
  try {
    let summary: Awaited<ReturnType<typeof ingest>> | undefined;
    const made = await copiesMadeDuring(async () => {
      summary = await ingest({ source: logs, db });
    });
    expect(summary).toMatchObject({ objects: 3, events: 18_001, errors: 0 });
    expect(await db.all(`SELECT user_agent FROM events WHERE event_id IN ('latin-0', 'small')`)).toEqual([
      { user_agent: 'caf\uFFFD\uFFFD' }, { user_agent: 'caf\uFFFD\uFFFD' },
    ]);
    // Staged three times (the big file; the big one with bad bytes, which fails, then its cleaned copy), cleaned twice:
    // each in the database's staging folder, its owner's only.
    const copies = made.map(({ copy, parentMode }) => ({ folder: path.dirname(copy), name: path.basename(copy).replace(/-\w+$/, '-'), parentMode }));
    expect(copies.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      ...Array(3).fill({ folder: staging, name: 'trailhound-records-', parentMode: 0o700 }),
      ...Array(2).fill({ folder: staging, name: 'trailhound-utf8-', parentMode: 0o700 }),
    ]);
    expect(path.dirname(staging)).toBe(path.dirname(db.file));
    expect(fs.existsSync(staging)).toBe(false);
  } finally {
    db.close();
  }
}, 120_000);

test('a file that fails through its copies leaves none of them', async () => {
  // Invalid UTF-8 first, then a record DuckDB cannot parse: cleaned, staged, and refused.
  const logs = writeFiles(path.join(dir, 'logs'), { 'broken.json.gz': zlib.gzipSync(withBadBytes(bigRecords('broken'), ',{"eventID": tru}')) });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  try {
    let summary: Awaited<ReturnType<typeof ingest>> | undefined;
    const made = await copiesMadeDuring(async () => {
      summary = await ingest({ source: logs, db });
    });
    expect(summary).toMatchObject({ objects: 0, errors: 1 });
    expect(await db.all('SELECT key, kind FROM ingest_errors')).toEqual([{ key: 'broken.json.gz', kind: 'bad-json' }]);
    const copies = made.map(({ copy }) => path.basename(copy).replace(/-\w+$/, '-')).sort();
    expect(copies).toEqual(['trailhound-records-', 'trailhound-records-', 'trailhound-utf8-']);
    expect(fs.existsSync(db.stagingDir)).toBe(false);
  } finally {
    db.close();
  }
}, 120_000);

test('a killed run\'s copies are removed when the database is next opened for writing', async () => {
  const logs = writeFiles(path.join(dir, 'logs'), { 'big.json': JSON.stringify({ Records: [...bigRecords('a'), ...bigRecords('b')] }) });
  const file = path.join(dir, 'killed.duckdb');
  const staging = databaseFiles(file).staging;
  const child = spawnCli(['ingest', '--source', logs, '--db', file]);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Killed while it reads the big file through its copy.
  const copying = await new Promise<boolean>((resolve) => {
    const look = setInterval(() => {
      if (fs.existsSync(staging) && fs.readdirSync(staging).some((f) => f.startsWith('trailhound-records-'))) {
        clearInterval(look);
        child.kill('SIGKILL');
        resolve(true);
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(look);
      resolve(false);
    });
  });
  await exited;
  expect(copying).toBe(true);
  expect(fs.readdirSync(staging)).toEqual([expect.stringMatching(/^trailhound-records-/)]);
  // A read-only open (a report) changes nothing of the database's files.
  (await Database.open(file, { readOnly: true })).close();
  expect(fs.existsSync(staging)).toBe(true);
  const db = await Database.open(file);
  try {
    expect(fs.existsSync(staging)).toBe(false);
    // And the next run reads the file whole.
    expect(await ingest({ source: logs, db })).toMatchObject({ objects: 1, events: 18_000, errors: 0 });
    expect(fs.existsSync(staging)).toBe(false);
  } finally {
    db.close();
  }
}, 120_000);
