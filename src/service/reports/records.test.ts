// Reading original records back from the kept log files: gzip or plain, and robust to a file whose records moved.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { blobValue } from '@duckdb/node-api';
import { Database } from '../db/database';
import { ingest } from '../ingest';
import { storedRecords, tempDir, writeFiles } from '../../../tests/support/temp';

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

test('only files that gave events are kept', async () => {
  const keys = await db.all<{ key: string }>('SELECT key FROM log_objects ORDER BY key');
  expect(keys.map((k) => k.key)).toEqual(['a.json.gz', 'b.json']);
});

test('a file whose records moved is searched by eventID rather than trusted by position', async () => {
  await db.run(`UPDATE log_objects SET content = $c WHERE key = 'a.json.gz'`, {
    c: blobValue(zlib.gzipSync(JSON.stringify({ Records: [rec('a2', { moved: true }), rec('a1', { moved: true })] }))),
  });
  expect(Object.fromEntries(await storedRecords(db, ['a1', 'a2']))).toEqual({
    a1: rec('a1', { moved: true }),
    a2: rec('a2', { moved: true }),
  });
});
