// Data and source folders whose paths hold glob characters (* ? [ ]), braces, quotes, spaces, accents and $, through the
// commands as a user runs them: DuckDB's file readers take such a path for a pattern (src/service/db/filePaths.ts). A
// sibling the pattern matches (a "decoy", as a copy of the folder beside it would be) is what would be read instead.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { blobValue, DuckDBInstance } from '@duckdb/node-api';
import { Database } from '../../src/service/db/database';
import { literalPath } from '../../src/service/db/filePaths';
import { compactOriginals } from '../../src/service/ingest/originals';
import { runCli, spawnServe } from '../support/cli';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, storedRecords, tempDir, writeFiles } from '../support/temp';
import { waitFor } from '../support/watch';

const DAY_MS = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);

// Read as patterns, each name matches its decoy and not itself: `[prod]` is one of p r o d, `*` any text, `?` one character.
const SOURCES = [
  { name: `trail [prod] *{a,b} 'q' é $x`, decoy: `trail p x{a,b} 'q' é $x` },
  // A '?' too: read_json stops looking for a file's .gz at one.
  { name: `trail [prod] *?{a,b} 'q' é $x`, decoy: `trail p xy{a,b} 'q' é $x` },
];
const DATA_NAME = `data [prod] *{a,b} 'q' "d" é $x`;
const DATA_DECOY = `data p x{a,b} 'q' "d" é $x`;

const record = (id: string, day: string): CloudTrailRecord => ({
  eventVersion: '1.08', eventID: id, eventTime: `${day}T10:00:00Z`, eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', awsRegion: 'eu-west-1',
  recipientAccountId: '111122223333', eventCategory: 'Management', managementEvent: true,
  userIdentity: { type: 'IAMUser', userName: `user-${id}`, accountId: '111122223333' },
});

/**
 * A source's log files (of its own `account`), by key: names that are patterns too, each beside a file it matches, a
 * name DuckDB cannot be given, and a file not gzipped.
 */
function sourceFiles(account: string, prefix: string): Record<string, Buffer | string> {
  const [old, now] = [dayPrefix(account, 'eu-west-1', yesterday), dayPrefix(account, 'eu-west-1', today)];
  const records = (key: string, day: string) => [0, 1].map((i) => record(`${prefix}${account}-${key.split('/').pop()}-${i}`, day));
  const file = (key: string, day: string) => [key, key.endsWith('.gz') ? logFile(records(key, day)) : JSON.stringify({ Records: records(key, day) })];
  return Object.fromEntries([
    file(`${old}${account}_CloudTrail_eu-west-1_plain.json.gz`, yesterday),
    file(`${old}${account}_CloudTrail_eu-west-1_f [1].json.gz`, yesterday),
    file(`${old}${account}_CloudTrail_eu-west-1_f 1.json.gz`, yesterday),
    file(`${now}${account}_CloudTrail_eu-west-1_g*.json.gz`, today),
    file(`${now}${account}_CloudTrail_eu-west-1_gx.json.gz`, today),
    file(`${now}${account}_CloudTrail_eu-west-1_text.json`, today),
    // DuckDB splits a pattern at a backslash: read as a.../b[2]... it would be a/b2.json.gz.
    file(`${now}a\\b[2].json.gz`, today),
    file(`${now}a/b2.json.gz`, today),
  ]);
}
const FILES_PER_SOURCE = 8;

let root: string;
let sources: string[];
let dbFile: string;
let expected: Map<string, CloudTrailRecord>;
beforeAll(() => {
  root = tempDir();
  dbFile = path.join(root, DATA_NAME, 'trailhound.duckdb');
  expected = new Map();
  sources = SOURCES.map(({ name, decoy }, i) => {
    const account = `11112222333${i}`;
    const real = sourceFiles(account, 'real-');
    writeFiles(path.join(root, name, 'logs'), real);
    writeFiles(path.join(root, decoy, 'logs'), sourceFiles(account, 'decoy-'));
    for (const body of Object.values(real)) {
      const text = Buffer.isBuffer(body) ? zlib.gunzipSync(body).toString() : body;
      for (const r of JSON.parse(text).Records as CloudTrailRecord[]) expected.set(r.eventID, r);
    }
    return path.join(root, name, 'logs');
  });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * Beside the data folder `dataName`, a decoy of each Parquet file kept in it: the same name and keys, and log files of
 * other events. Read as a pattern, the data folder's path reads these instead.
 */
async function decoyOriginals(dataName: string, decoyName: string): Promise<void> {
  const [kept, decoys] = [dataName, decoyName].map((name) => path.join(root, name, 'trailhound.duckdb.originals'));
  fs.mkdirSync(decoys, { recursive: true });
  const other = zlib.gzipSync(JSON.stringify({ Records: [0, 1].map((i) => ({ ...record(`decoy-${i}`, today), eventCategory: 'Data' })) }));
  const duckdb = await DuckDBInstance.create(':memory:');
  const conn = await duckdb.connect();
  try {
    for (const name of fs.readdirSync(kept).filter((f) => f.endsWith('.parquet'))) {
      await conn.run(`COPY (SELECT key, $other AS content FROM read_parquet($kept)) TO $decoy (FORMAT parquet)`, {
        other: blobValue(other),
        kept: literalPath(path.join(kept, name)),
        decoy: path.join(decoys, name),
      });
    }
  } finally {
    conn.closeSync();
    duckdb.closeSync();
  }
}

test('ingest, the records read back, compaction and the category backfill all read the files their paths name', async () => {
  for (const source of sources) {
    const ingested = await runCli(['ingest', '--source', source, '--db', dbFile, '--days', '3', '--json']);
    expect(ingested.stderr).toBe('');
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ objects: FILES_PER_SOURCE, events: FILES_PER_SOURCE * 2, errors: 0 });
  }

  let db = await Database.open(dbFile);
  try {
    const ids = (await db.all<{ id: string }>('SELECT event_id AS id FROM events ORDER BY 1')).map((r) => r.id);
    expect(ids).toEqual([...expected.keys()].sort());
    await decoyOriginals(DATA_NAME, DATA_DECOY);
    // Each event's original record, as the drill-down reads it.
    expect(await storedRecords(db)).toEqual(expected);
    // Two days later both days are done: each first load's one Parquet file of two days becomes one file per day.
    const compaction = await compactOriginals(db, { now: new Date(Date.now() + 2 * DAY_MS) });
    expect(compaction).toMatchObject({ days: 2, failed: [] });
    await decoyOriginals(DATA_NAME, DATA_DECOY);
    expect(await storedRecords(db)).toEqual(expected);
    // As a version 12 database, whose events' categories are read back from the kept files when it is opened.
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
  } finally {
    db.close();
  }
  db = await Database.open(dbFile);
  try {
    expect(await db.all(`SELECT event_category AS category, count(*)::INTEGER AS n FROM events GROUP BY ALL`)).toEqual([
      { category: 'Management', n: expected.size },
    ]);
  } finally {
    db.close();
  }
}, 60_000);

test('serve on a database in such a folder (TRAILHOUND_DB) reads both sources, and its API gives back each original record', async () => {
  const [dataName, decoyName] = [`serve [prod] *{a,b} 'q' é $x`, `serve p x{a,b} 'q' é $x`];
  const env = { TRAILHOUND_DB: path.join(root, dataName, 'trailhound.duckdb'), TRAILHOUND_TOKEN: 'odd-paths-token' };
  const serve = await spawnServe(['--source', sources[0], '--source', sources[1], '--days', '3', '--listen', '127.0.0.1:0'], env);
  try {
    const get = async (route: string) => (await fetch(`${serve.url}${route}`, { headers: { authorization: `Bearer ${env.TRAILHOUND_TOKEN}` } })).json();
    await waitFor('both sources ingested', async () => ((await get('/api/ingest/status')).events === expected.size ? true : undefined), 60_000);
    await decoyOriginals(dataName, decoyName);
    for (const [id, original] of expected) expect(await get(`/api/events/${encodeURIComponent(id)}`)).toEqual({ eventId: id, record: original });
    expect(serve.output()).not.toMatch(/"level":(40|50|60)/);
  } finally {
    await serve.stop();
  }
}, 90_000);

test("a database path DuckDB cannot keep (a '?', a backslash with a [) is refused before anything is written", async () => {
  const asked = path.join(root, 'asked?', 'trailhound.duckdb');
  const refused = await runCli(['ingest', '--source', sources[0], '--db', asked, '--days', '3']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(
    `trailhound: cannot open the database ${asked} (--db, or TRAILHOUND_DB): DuckDB cannot keep a database there, as its path holds a '?', ` +
      "before which DuckDB puts the .wal of the database's write-ahead log. Rename the folder, or keep the database in another one\n"
  );
  expect(fs.existsSync(path.dirname(asked))).toBe(false);

  // serve says so before it writes its token file or its sample there.
  const windowsy = path.join(root, 'C:\\trail [prod]', 'trailhound.duckdb');
  const serve = await runCli(['serve', '--listen', '127.0.0.1:0'], { TRAILHOUND_DB: windowsy, TRAILHOUND_TOKEN: '' });
  expect(serve.code).toBe(1);
  expect(serve.stderr).toMatch(/^trailhound: cannot open the database .*C:\\trail \[prod\]\/trailhound\.duckdb \(--db, or TRAILHOUND_DB\): DuckDB /);
  expect(serve.stderr).toMatch(/its path holds a backslash and one of \* \[, and DuckDB takes the backslash for a folder separator there\. Rename/);
  expect(fs.existsSync(path.dirname(windowsy))).toBe(false);
}, 60_000);

test('a temporary folder DuckDB cannot read from is refused at the start, saying to set TMPDIR', async () => {
  const tmp = path.join(root, 'tmp \\ [x]');
  fs.mkdirSync(tmp);
  const r = await runCli(['ingest', '--source', sources[0], '--db', path.join(root, 'tmp.duckdb')], { TMPDIR: tmp });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    `trailhound: DuckDB cannot read the log files put in the temporary folder ${tmp}: its path holds a backslash and one of * [, and DuckDB ` +
      'takes the backslash for a folder separator there. Set TMPDIR to another folder\n'
  );
});

test('file and folder names that are not UTF-8 are not read, and said so once a run; the rest is read, and the run does not fail', async () => {
  const root = tempDir();
  try {
    const day = path.join(root, dayPrefix('111122223333', 'eu-west-1', today));
    // Latin-1 names: é is one byte (0xe9), not UTF-8's two. Read as text, such a file was never read, and nothing said;
    // such a folder failed every run (ENOENT on its scandir).
    const write = (file: Buffer, body: Buffer) => {
      fs.mkdirSync(file.subarray(0, file.lastIndexOf('/')), { recursive: true });
      fs.writeFileSync(file, body);
    };
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    write(latin1(`${day}café.json.gz`), logFile([record('latin-file', today)]));
    write(latin1(`${day}déc/a.json.gz`), logFile([record('latin-folder', today)]));
    write(Buffer.from(`${day}ok.json.gz`), logFile([record('utf8', today)]));
    // Not a log file's name: skipped whatever its name, and not said.
    write(latin1(`${day}notes-é.txt`), Buffer.from('notes'));
    const file = path.join(root, 'db.duckdb');
    const run = await runCli(['ingest', '--source', root, '--db', file, '--days', '1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Ingested 1 log file /);
    // One warning for both, naming the first (its odd byte as U+FFFD), how many others, and what to do.
    const said = /^trailhound: warning: AWSLogs\/.*\/caf\uFFFD\.json\.gz is a name that is not UTF-8 .*: not read, nor 1 other file or folder so named\. /;
    expect(run.stderr.split('\n').filter((line) => line.includes('UTF-8'))).toEqual([expect.stringMatching(said)]);
    const db = await Database.open(file);
    try {
      expect(await db.all(`SELECT event_id FROM events`)).toEqual([{ event_id: 'utf8' }]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
