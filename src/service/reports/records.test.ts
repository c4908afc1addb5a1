// Reading original records back from the kept log files: gzip or plain, and robust to a file whose records moved.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { listValue } from '@duckdb/node-api';
import { Database, databaseFiles, removeDatabase } from '../db/database';
import { ingest } from '../ingest';
import { originalFiles, originalRecords, UnreadableRecordError } from './records';
import { storedRecords, tempDir, withTempDatabase, writeFiles } from '../../../tests/support/temp';

const rec = (id: string, extra: Record<string, unknown> = {}) => ({ eventID: id, eventTime: '2026-11-20T10:00:00Z', eventName: 'GetObject', ...extra });

let dir: string;
let db: Database;

beforeAll(async () => {
  dir = tempDir();
  const logs = writeFiles(path.join(dir, 'logs'), {
    'a.json.gz': zlib.gzipSync(JSON.stringify({ Records: [rec('a1'), rec('a2', { requestParameters: { note: 'ünï 😀' } })] })),
    'b.json': JSON.stringify({ Records: [rec('b1'), rec('a1')] }), // plain JSON; a1 again is a duplicate
  });
  db = await Database.open(path.join(dir, 'db.duckdb'));
  expect(await ingest({ source: logs, db, days: 3650 })).toMatchObject({ events: 3, duplicates: 1, errors: 0 });
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('records come back as delivered, from gzip and plain files; unknown ids are absent', async () => {
  expect(Object.fromEntries(await storedRecords(db, ['a1', 'a2', 'b1', 'nope']))).toEqual({
    a1: rec('a1'),
    a2: rec('a2', { requestParameters: { note: 'ünï 😀' } }),
    b1: rec('b1'),
  });
  expect((await storedRecords(db, [])).size).toBe(0);
});

test('a file that starts with a byte-order mark, which ingestion accepts, gives its records back too', async () => {
  const bomDir = tempDir();
  const logs = writeFiles(path.join(bomDir, 'logs'), { 'bom.json.gz': zlib.gzipSync(`\uFEFF${JSON.stringify({ Records: [rec('c1')] })}`) });
  const bomDb = await Database.open(path.join(bomDir, 'db.duckdb'));
  try {
    expect(await ingest({ source: logs, db: bomDb, days: 3650 })).toMatchObject({ events: 1, errors: 0 });
    expect(Object.fromEntries(await storedRecords(bomDb, ['c1']))).toEqual({ c1: rec('c1') });
  } finally {
    bomDb.close();
    fs.rmSync(bomDir, { recursive: true, force: true });
  }
});

test('only files that gave events are kept, in one Parquet file per batch beside the database', async () => {
  const kept = await db.all<{ key: string; archive: string }>('SELECT key, archive FROM log_objects ORDER BY key');
  expect(kept.map((k) => k.key)).toEqual(['a.json.gz', 'b.json']);
  expect(new Set(kept.map((k) => k.archive)).size).toBe(1);
  expect(fs.readdirSync(db.originalsDir)).toEqual([kept[0].archive]);
  expect(db.originalsDir).toBe(path.join(dir, 'db.duckdb.originals'));
});

test('a file whose records moved is searched by eventID rather than trusted by position', async () => {
  // The same key delivered again with its records in another order (CloudTrail never does; a copy tool might).
  const moved = path.join(dir, 'moved.json.gz');
  fs.writeFileSync(moved, zlib.gzipSync(JSON.stringify({ Records: [rec('a2', { moved: true }), rec('a1', { moved: true })] })));
  await db.run(`COPY (SELECT 'a.json.gz' AS key, content FROM read_blob($moved)) TO $out (FORMAT parquet)`, {
    moved,
    out: path.join(db.originalsDir, 'moved.parquet'),
  });
  await db.run(`UPDATE log_objects SET archive = 'moved.parquet' WHERE key = 'a.json.gz'`);
  expect(Object.fromEntries(await storedRecords(db, ['a1', 'a2']))).toEqual({
    a1: rec('a1', { moved: true }),
    a2: rec('a2', { moved: true }),
  });
});

/** What originalRecords gives for `ids`, with `key`'s kept copy replaced by `kept` (a big file's own, or a Parquet file) meanwhile. */
async function withKeptCopy(key: string, kept: { name: string; content: Buffer }, ids: string[]) {
  const [{ archive }] = await db.all<{ archive: string }>('SELECT archive FROM log_objects WHERE key = $key', { key });
  const file = path.join(db.originalsDir, kept.name);
  if (kept.name.endsWith('.parquet')) {
    const raw = path.join(dir, 'raw');
    fs.writeFileSync(raw, kept.content);
    await db.run(`COPY (SELECT $key AS key, content FROM read_blob($raw)) TO $file (FORMAT parquet)`, { key, raw, file });
  } else fs.writeFileSync(file, kept.content);
  await db.run('UPDATE log_objects SET archive = $name WHERE key = $key', { name: kept.name, key });
  const conn = await db.connect();
  try {
    return await originalRecords(conn, db.originalsDir, ids);
  } finally {
    conn.closeSync();
    await db.run('UPDATE log_objects SET archive = $archive WHERE key = $key', { archive, key });
    fs.rmSync(file);
  }
}

test.each([
  ['a big file of its own, cut inside its Records', 'cut.json', Buffer.from('{"Records": [{"eventID": "b1"'), 'is damaged: it ends inside its Records array'],
  ['a big file of its own, not JSON', 'junk.json', Buffer.from('{"Records": '), 'is damaged: '],
  ['one in a Parquet file, its gzip cut short', 'cut.parquet', zlib.gzipSync(JSON.stringify({ Records: [rec('b1')] })).subarray(0, 20), 'is damaged: '],
  [
    'one that does not hold the event',
    'other.parquet',
    Buffer.from(JSON.stringify({ Records: [rec('x1'), rec('x2')] })),
    'does not hold it: not at its record index 0',
  ],
])('a stored event whose kept log file is %s is unreadable, with why and where: not absent as if never stored', async (_name, name, content, why) => {
  const { found, removed, unreadable } = await withKeptCopy('b.json', { name, content }, ['b1', 'nope']);
  expect([found.size, removed]).toEqual([0, []]);
  expect(unreadable).toEqual([{ id: 'b1', key: 'b.json', file: path.join(db.originalsDir, name), why: expect.stringContaining(why) }]);
  expect(new UnreadableRecordError(unreadable[0]).message).toMatch(
    /^the event "b1" is stored, but its original record cannot be read: the kept copy of its log file b\.json (is damaged|does not hold it)/
  );
  expect((await storedRecords(db, ['b1'])).get('b1')).toEqual(rec('b1'));
});

test('a big file of its own whose records moved is searched by eventID too, as it streams', async () => {
  const content = Buffer.from(JSON.stringify({ Records: [rec('x1'), rec('b1', { moved: true })] }));
  const { found, unreadable } = await withKeptCopy('b.json', { name: 'moved.json', content }, ['b1']);
  expect([Object.fromEntries(found), unreadable]).toEqual([{ b1: rec('b1', { moved: true }) }, []]);
});

test.each(['short.parquet', 'short.json'])('a record whose index is past the end of its file, rewritten shorter (%s), ' +
  'is searched by eventID too', async (name) => {
  // a2 was stored from index 1 of a.json.gz; the copy now holds it alone, at index 0.
  const content = Buffer.from(JSON.stringify({ Records: [rec('a2', { moved: true })] }));
  const { found, unreadable } = await withKeptCopy('a.json.gz', { name, content }, ['a2']);
  expect([Object.fromEntries(found), unreadable]).toEqual([{ a2: rec('a2', { moved: true }) }, []]);
});

test('a big file of its own with a record that is not JSON is damaged, as one in a Parquet file would be', async () => {
  const content = Buffer.from('{"Records": [{"eventID": "b1", oops}]}');
  const { unreadable } = await withKeptCopy('b.json', { name: 'broken-record.json', content }, ['b1']);
  expect(unreadable)
    .toEqual([{ id: 'b1', key: 'b.json', file: path.join(db.originalsDir, 'broken-record.json'), why: expect.stringMatching(/^is damaged: /) }]);
});

describe('events that share an eventID but not an eventTime (each stored, loader.ts findFresh)', () => {
  const early = rec('s1', { eventTime: '2026-11-20T08:00:00Z' });
  const late = rec('s1', { eventTime: '2026-11-20T09:00:00Z', userAgent: 'other' });

  /** originalRecords of s1 in a database of `files`, after `damage` changed the kept copies. */
  const lookUp = (files: Record<string, Buffer | string>, damage: (db: Database) => Promise<void> = async () => {}) =>
    withTempDatabase(async (tmp, shared) => {
      await ingest({ source: writeFiles(path.join(tmp, 'logs'), files), db: shared, days: 3650 });
      await damage(shared);
      const conn = await shared.connect();
      try {
        return await originalRecords(conn, shared.originalsDir, ['s1']);
      } finally {
        conn.closeSync();
      }
    });
  /** Keeps `key` as a big file of its own holding `content`, as if its kept copy had changed. */
  const keptAs = (key: string, content: string) => async (shared: Database) => {
    fs.writeFileSync(path.join(shared.originalsDir, 'changed.json'), content);
    await shared.run(`UPDATE log_objects SET archive = 'changed.json' WHERE key = $key`, { key });
  };

  test('both are read, the earliest first', async () => {
    const { found, alsoFound, unreadable } = await lookUp({ 'x.json': JSON.stringify({ Records: [late] }), 'y.json': JSON.stringify({ Records: [early] }) });
    expect([found.get('s1'), alsoFound.get('s1'), unreadable]).toEqual([early, [late], []]);
  });

  // As text, 08:00:00Z sorts before 09:00:00+02:00, which is 07:00 UTC; and without its Z a time is still UTC.
  test('the earliest is by eventTime as ingestion reads it, not as its text sorts', async () => {
    const inZone = rec('s1', { eventTime: '2026-11-20T09:00:00+02:00' });
    const plain = rec('s1', { eventTime: '2026-11-20 07:30:00' });
    const file = (record: object) => JSON.stringify({ Records: [record] });
    const { found, alsoFound } = await lookUp({ 'x.json': file(late), 'y.json': file(inZone), 'z.json': file(plain) });
    expect([found.get('s1'), alsoFound.get('s1')]).toEqual([inZone, [plain, late]]);
  });

  // Judged by its id, read once: the other event's damaged file went unsaid, and the one read was given alone.
  test("one whose kept file is damaged is unreadable, though the other's record is read", async () => {
    const files = { 'x.json': JSON.stringify({ Records: [early] }), 'y.json': JSON.stringify({ Records: [late] }) };
    const { found, unreadable } = await lookUp(files, keptAs('y.json', '{"Records": [{"eventID": "s1"'));
    expect(found.get('s1')).toEqual(early);
    expect(unreadable).toEqual([{ id: 's1', key: 'y.json', file: expect.stringMatching(/changed\.json$/), why: expect.stringMatching(/^is damaged: /) }]);
  });

  test('both in one file whose records moved are each found by eventID', async () => {
    const moved = JSON.stringify({ Records: [rec('x1'), { ...early, moved: 1 }, { ...late, moved: 2 }] });
    const { found, alsoFound, unreadable } = await lookUp({ 'x.json': JSON.stringify({ Records: [early, late] }) }, keptAs('x.json', moved));
    expect([found.get('s1'), alsoFound.get('s1'), unreadable]).toEqual([{ ...early, moved: 1 }, [{ ...late, moved: 2 }], []]);
  });
});

test('a missing originals folder is an error that says what is gone', async () => {
  fs.renameSync(db.originalsDir, `${db.originalsDir}.away`);
  try {
    await expect(storedRecords(db, ['b1'])).rejects.toThrow(/\.originals\/[^ ]+\.parquet is missing: the original log files kept there are gone/);
  } finally {
    fs.renameSync(`${db.originalsDir}.away`, db.originalsDir);
  }
});

test('a Parquet file left by a killed run is removed when the database is next opened; the others stay', async () => {
  const file = db.file;
  const leftover = path.join(db.originalsDir, '00000000-0000-4000-8000-000000000000.parquet');
  fs.writeFileSync(leftover, 'half written');
  const before = fs.readdirSync(db.originalsDir).length;
  db.close();
  db = await Database.open(file);
  expect(fs.existsSync(leftover)).toBe(false);
  expect(fs.readdirSync(db.originalsDir).length).toBe(before - 1);
  expect((await storedRecords(db, ['b1'])).get('b1')).toEqual(rec('b1'));
});

test('removeDatabase deletes a database with its WAL and its kept log files, and nothing beside it', async () => {
  const file = path.join(dir, 'gone.duckdb');
  const other = await Database.open(file);
  expect(await ingest({ source: path.join(dir, 'logs'), db: other, days: 3650 })).toMatchObject({ events: 3 });
  const parts = databaseFiles(file);
  other.close();
  fs.writeFileSync(parts.wal, ''); // as a killed process leaves it
  expect(fs.readdirSync(parts.originals)).toHaveLength(1);
  removeDatabase(file);
  expect(Object.values(parts).filter((p) => fs.existsSync(p))).toEqual([]);
  expect(fs.existsSync(db.file)).toBe(true);
});

// DuckDB reads a row group's contents in one piece (here 64 files of 180 kB: 12 MB, in a buffer of 16 MB). One statement
// for all keys read every row group between the smallest and the largest (a join of the keys), one on each thread:
// it needed 128 MB on 4 threads (40 MB on 1). The key filter alone in the scan read the 8 row groups 4 at a time: 64 MB.
// A row group at a time (records.ts keptIn) needs 20 MB, on 1, 2 or 4 threads.
test('a lookup reads one row group of a kept Parquet file at a time, in 32 MB on 4 threads, whatever rows it wants', async () => {
  const file = path.join(dir, 'groups.duckdb');
  const setup = await Database.open(file);
  fs.mkdirSync(setup.originalsDir, { recursive: true });
  const archive = 'groups.parquet';
  // 8 row groups of 64 log files of 180 kB that do not compress, as ingestion writes them (loader.ts keepOriginals).
  // DuckDB cuts a row group only between the chunks it writes: 8 files of 64 rows, read one after the other, are 8 chunks.
  const parts = Array.from({ length: 8 }, (_, g) => path.join(dir, `group-${g}.parquet`));
  for (const [g, part] of parts.entries()) {
    await setup.run(
      `COPY (SELECT 'k' || lpad(r::VARCHAR, 3, '0') AS key, unhex(string_agg(md5(random()::VARCHAR || r || '-' || j), '')) AS content
             FROM range($first, $first + 64) t(r), range(11250) u(j) GROUP BY r ORDER BY r) TO $part (FORMAT parquet, COMPRESSION uncompressed)`,
      { first: 64 * g, part }
    );
  }
  await setup.run(`SET preserve_insertion_order = true`);
  await setup.run(`COPY (SELECT key, content FROM read_parquet($parts)) TO $file (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 64)`, {
    parts: listValue(parts), file: path.join(setup.originalsDir, archive),
  });
  const groups = await setup.all<{ rows: bigint }>(`SELECT row_group_num_rows AS rows FROM parquet_metadata($file) WHERE column_id = 0`, {
    file: path.join(setup.originalsDir, archive),
  });
  expect(groups.map((g) => Number(g.rows))).toEqual(Array(8).fill(64));
  await setup.run(`INSERT INTO log_objects SELECT key, 'logs', 'etag', $archive, NULL FROM read_parquet($file)`, {
    archive, file: path.join(setup.originalsDir, archive),
  });
  // A key in each row group, two in the first; their digests, read without a limit.
  const keys = ['k000', 'k063', ...Array.from({ length: 7 }, (_, g) => `k${String(64 * (g + 1) + 9).padStart(3, '0')}`)];
  const digests = await setup.all<{ key: string; digest: string }>(
    `SELECT key, md5(content) AS digest FROM read_parquet($file) WHERE key IN (SELECT unnest($keys)) ORDER BY key`,
    { file: path.join(setup.originalsDir, archive), keys: listValue(keys) }
  );
  setup.close();
  const limited = await Database.open(file, { memoryLimit: '32MB', threads: 4 });
  const conn = await limited.connect();
  try {
    const files = await originalFiles(conn, limited.originalsDir, [...keys, 'k999']);
    const md5 = (content: unknown) => crypto.createHash('md5').update(content as Uint8Array).digest('hex');
    expect([...files].map(([key, content]) => ({ key, digest: md5(content) })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(digests);
    expect(digests.map((d) => d.key)).toEqual(keys);
  } finally {
    conn.closeSync();
    limited.close();
  }
}, 60_000);
