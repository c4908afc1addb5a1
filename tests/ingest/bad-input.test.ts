// Bad input gets a clear error and loses nothing; re-running never duplicates an event.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { BatchLoader } from '../../src/service/ingest/loader';
import { Reports } from '../../src/service/reports';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, rowCount, storedFile, storedRecords, tempDir, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');
const DAY = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
let n = 0;
const rec = (over: CloudTrailRecord = {}): CloudTrailRecord => ({
  eventTime: '2026-11-20T08:00:00Z',
  eventID: `id-${++n}`,
  eventName: 'GetObject',
  eventSource: 's3.amazonaws.com',
  awsRegion: 'us-east-1',
  ...over,
});

let dir: string;
let db: Database;
const run = (days = 1) => ingest({ source: path.join(dir, 'logs'), db, days, now: NOW });
const count = (from: string) => rowCount(db, from);

beforeEach(async () => {
  dir = tempDir();
  db = await Database.open(path.join(dir, 'db.duckdb'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// A browser unpacks a download whose Content-Encoding is gzip and keeps its .json.gz name; a copy tool may keep a gzip
// under a .json name. Each was refused as a bad gzip or bad JSON, though its bytes say plainly what it is.
test('a log file whose name says another encoding than its bytes is read by its bytes, alone or in a batch, and reads back', async () => {
  const plain = [rec(), rec()];
  const packed = [rec()];
  const big = Array.from({ length: 1000 }, () => rec({ requestParameters: { pad: 'p'.repeat(10_000) } }));
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-unpacked.json.gz`]: `\uFEFF\n ${JSON.stringify({ Records: plain })}`,
    [`${DAY}b-packed.json`]: logFile(packed),
    // Over BIG_FILE_BYTES: read record by record, alone, and kept as a file of its own.
    [`${DAY}c-big-unpacked.json.gz`]: JSON.stringify({ Records: big }),
  });
  expect(await run()).toMatchObject({ objects: 3, events: 1003, errors: 0 });
  const all = [...plain, ...packed, ...big];
  const read = await storedRecords(db, all.map((r) => r.eventID as string));
  expect(all.filter((r) => JSON.stringify(read.get(r.eventID as string)) !== JSON.stringify(r))).toEqual([]);
  // Again: nothing new, nothing failed.
  expect(await run()).toMatchObject({ objects: 0, events: 0, errors: 0, unchanged: 3 });
});

test('each kind of broken file is recorded with a reason, and ingestion carries on', async () => {
  const good = [rec(), rec()];
  const gz = logFile([rec()]);
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-good.json.gz`]: logFile(good),
    [`${DAY}b-truncated.json.gz`]: gz.subarray(0, gz.length - 12),
    [`${DAY}c-not-gzip.json.gz`]: 'this is not gzip',
    [`${DAY}d-bad-json.json.gz`]: zlib.gzipSync('{"Records": [ {"eventID": '),
    [`${DAY}e-no-records.json.gz`]: zlib.gzipSync('{"something": "else"}'),
    [`${DAY}f-array.json.gz`]: zlib.gzipSync(JSON.stringify([rec()])),
    [`${DAY}g-records-object.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: rec() })),
    [`${DAY}h-empty.json`]: '',
    [`${DAY}i-blank.json.gz`]: zlib.gzipSync(' \n'),
    // A log file with an empty Records list is fine: no events in that delivery.
    [`${DAY}j-no-events.json.gz`]: zlib.gzipSync('{"Records": []}'),
  });
  const summary = await run();
  expect(summary).toMatchObject({ objects: 2, events: 2, errors: 8 });
  const errors = await db.all<{ key: string; reason: string }>(`SELECT key, reason FROM ingest_errors ORDER BY key`);
  expect(errors.map((e) => path.basename(e.key))).toEqual([
    'b-truncated.json.gz', 'c-not-gzip.json.gz', 'd-bad-json.json.gz', 'e-no-records.json.gz', 'f-array.json.gz', 'g-records-object.json.gz',
    'h-empty.json', 'i-blank.json.gz',
  ]);
  for (const e of errors) expect(e.reason.length).toBeGreaterThan(10);
  // DuckDB's advice on its reader's options is ours to follow, not the user's.
  for (const e of errors) expect(e.reason).not.toMatch(/auto_detect|ignore_errors/);
  expect(errors[3].reason).toMatch(/Records/);
  // The key is beside the reason wherever it is shown (report ingest --errors, the API, the log, ingest's warning): the
  // reason does not name the file again.
  for (const e of errors) expect(e.reason).not.toContain(path.basename(e.key));
  expect(errors[1].reason).toBe('Input is not a GZIP stream');
  expect(errors[2].reason).toMatch(/^Malformed JSON at byte \d+ in record\/value 2: unexpected end of data\.$/);
  // Each with its kind, found where it was caught (DuckDB's error type, what the loader saw).
  const kinds = await db.all<{ kind: string }>(`SELECT kind FROM ingest_errors ORDER BY key`);
  // A gzip cut short is a bad gzip, though DuckDB reads what it holds and says its JSON ends early; whole gzip of cut JSON is bad JSON.
  expect(kinds.map((k) => k.kind)).toEqual(['bad-gzip', 'bad-gzip', 'bad-json', 'no-records', 'no-records', 'no-records', 'no-records', 'no-records']);
  expect(errors[0].reason).toMatch(/the gzip itself is broken \(unexpected end of file\)$/);
  // Nothing of a broken file is half-stored.
  expect(await count(`events WHERE object_key NOT LIKE '%a-good%'`)).toBe(0);
  expect(await count(`log_objects`)).toBe(1);
});

test('a file whose Records is not a list: its reason says what Records is, in plain words, not DuckDB\'s', async () => {
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}number.json.gz`]: zlib.gzipSync('{"Records": 3}'),
    [`${DAY}fraction.json.gz`]: zlib.gzipSync('{"Records": -2.5}'),
    [`${DAY}string.json.gz`]: zlib.gzipSync('{"Records": "none today"}'),
    [`${DAY}boolean.json.gz`]: zlib.gzipSync('{"Records": true}'),
    [`${DAY}object.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: rec() })),
    [`${DAY}second-value.json`]: '{"Records": []}\n{"Records": 7}',
  });
  await run();
  const errors = await db.all<{ key: string; kind: string; reason: string }>(`SELECT key, kind, reason FROM ingest_errors ORDER BY key`);
  const not = 'not a list of records';
  expect(Object.fromEntries(errors.map((e) => [path.basename(e.key), [e.kind, e.reason]]))).toEqual({
    'boolean.json.gz': ['no-records', `\`Records\` is true or false (true), ${not}: not a CloudTrail log file`],
    'fraction.json.gz': ['no-records', `\`Records\` is a number (-2.5), ${not}: not a CloudTrail log file`],
    'number.json.gz': ['no-records', `\`Records\` is a number (3), ${not}: not a CloudTrail log file`],
    'object.json.gz': ['no-records', `\`Records\` is an object, ${not}: not a CloudTrail log file`],
    // Refused before DuckDB reads it: see "documents one after another" below.
    'second-value.json': ['bad-json', expect.stringMatching(/^it is not one JSON document but 2 lists or objects one after another/)],
    'string.json.gz': ['no-records', `\`Records\` is a string ("none today"), ${not}: not a CloudTrail log file`],
  });
});

test.each([
  ['a gzip cut short', (gz: Buffer) => gz.subarray(0, gz.length - 12), 'bad-gzip', /; the gzip itself is broken \(unexpected end of file\)$/],
  ['a whole gzip of JSON cut short', () => zlib.gzipSync('{"Records": [ {"eventID": '), 'bad-json', /Malformed JSON[^;]*$/],
])('%s, read on its own: its kind says whether the gzip or the JSON is broken', async (_name, make, kind, reason) => {
  writeFiles(path.join(dir, 'logs'), { [`${DAY}alone.json.gz`]: make(logFile([rec(), rec()])) });
  await run();
  const errors = await db.all<{ kind: string; reason: string }>(`SELECT kind, reason FROM ingest_errors`);
  expect(errors).toEqual([{ kind, reason: expect.stringMatching(reason) }]);
});

test('a batch with bad files: each found alone and recorded, the good ones stored together in one batch, and what DuckDB reads kept', async () => {
  const files: Record<string, string | Buffer> = {};
  for (let i = 0; i < 6; i++) files[`${DAY}good-${i}.json.gz`] = logFile([rec(), rec()]);
  const gz = logFile([rec()]);
  Object.assign(files, {
    [`${DAY}bad-1-not-gzip.json.gz`]: 'not gzip at all',
    [`${DAY}good-3b-truncated.json.gz`]: gz.subarray(0, gz.length / 2),
    [`${DAY}good-4b-bad-json.json.gz`]: zlib.gzipSync('{"Records": [{"eventID": "x", '),
    // Node's JSON.parse refuses a trailing comma, DuckDB's reader takes it: DuckDB judges, and the file is stored.
    [`${DAY}good-5b-trailing-comma.json.gz`]: zlib.gzipSync(`{"Records": [${JSON.stringify(rec())},]}`),
    // A record that is not an object: the file's other record is stored, it is kept aside.
    [`${DAY}good-2b-null-record.json.gz`]: zlib.gzipSync(`{"Records": [${JSON.stringify(rec())}, null]}`),
  });
  writeFiles(path.join(dir, 'logs'), files);
  const summary = await run();
  expect(summary).toMatchObject({ objects: 8, events: 14, errors: 3, rejected: 1 });
  const errors = await db.all<{ key: string; kind: string }>(`SELECT key, kind FROM ingest_errors ORDER BY key`);
  expect(errors.map((e) => [path.basename(e.key), e.kind])).toEqual([
    ['bad-1-not-gzip.json.gz', 'bad-gzip'], ['good-3b-truncated.json.gz', 'bad-gzip'], ['good-4b-bad-json.json.gz', 'bad-json'],
  ]);
  // The six good files went in as one batch: one Parquet file holds them (a file loaded on its own gets one of its own).
  const archives = await db.all<{ archive: string; n: bigint }>(
    `SELECT archive, count(*) AS n FROM log_objects WHERE regexp_matches(key, 'good-[0-9].json.gz$') GROUP BY 1`
  );
  expect(archives.map((a) => Number(a.n))).toEqual([6]);
  expect(await count(`events WHERE object_key LIKE '%trailing-comma%'`)).toBe(1);
  // Re-run: nothing new, the bad files passed by as unreadable.
  expect(await run()).toMatchObject({ objects: 0, events: 0, errors: 0, unchanged: 8, unreadable: 3 });
});

test('a batch with a file of JSON that is not an object: the file is set aside, not a good file DuckDB names instead', async () => {
  const files: Record<string, string | Buffer> = {};
  for (let i = 0; i < 6; i++) files[`${DAY}good-${i}.json.gz`] = logFile([rec(), rec()]);
  // A top-level list or number makes DuckDB's reader take the batch's files as lists: its error names a good file.
  Object.assign(files, { [`${DAY}list.json.gz`]: zlib.gzipSync('[1, 2]'), [`${DAY}number.json.gz`]: zlib.gzipSync('5') });
  writeFiles(path.join(dir, 'logs'), files);
  expect(await run()).toMatchObject({ objects: 6, events: 12, errors: 2 });
  const errors = await db.all<{ key: string; kind: string }>(`SELECT key, kind FROM ingest_errors ORDER BY key`);
  expect(errors.map((e) => [path.basename(e.key), e.kind])).toEqual([['list.json.gz', 'no-records'], ['number.json.gz', 'no-records']]);
  // The good files went in as one batch, none of them loaded alone (or in halves) for another file's fault.
  expect(await db.all(`SELECT count(DISTINCT archive)::INTEGER AS n FROM log_objects`)).toEqual([{ n: 1 }]);
});

test('a batch with a file only DuckDB refuses, whose name holds [ and *: DuckDB names it, it is read alone, the good ones go in as one batch', async () => {
  const files: Record<string, string | Buffer> = {};
  for (let i = 0; i < 6; i++) files[`${DAY}good [${i}].json.gz`] = logFile([rec(), rec()]);
  // Half a UTF-16 pair escaped alone: good to Node's JSON.parse, malformed to DuckDB, so only DuckDB's naming it makes
  // it a suspect. Its path is given to DuckDB escaped (literalPath); were it not found in DuckDB's words, the batch
  // would go in by halves. Read alone, the half is replaced and its record stored.
  files[`${DAY}odd [1]*.json.gz`] = zlib.gzipSync(`{"Records": [${JSON.stringify(rec()).replace(/"id-\d+"/, '"\\ud800"')}]}`);
  writeFiles(path.join(dir, 'logs'), files);
  expect(await run()).toMatchObject({ objects: 7, events: 13, errors: 0 });
  expect(await db.all(`SELECT event_id FROM events WHERE object_key LIKE '%odd%'`)).toEqual([{ event_id: '\uFFFD' }]);
  const archives = await db.all<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM log_objects GROUP BY archive ORDER BY n`
  );
  expect(archives).toEqual([{ n: 1 }, { n: 6 }]);
});

// DuckDB's error for a file it cannot open names the file (x.json.gz) and quotes its statement (read_json(…'JSON'…)):
// neither is what is wrong with a file's content. A file that cannot be opened (gone since it was listed; not readable
// by the service's user) is the machine's state: the run fails and is retried, the file never recorded as broken.
test('a batch with a file DuckDB cannot open fails the run; nothing is recorded as unreadable, nothing stored', async () => {
  const logs = writeFiles(path.join(dir, 'logs'), { [`${DAY}good.json.gz`]: logFile([rec()]) });
  const good = { path: path.join(logs, `${DAY}good.json.gz`), key: `${DAY}good.json.gz`, etag: 'e1', size: 100 };
  const gone = { path: path.join(logs, `${DAY}gone.json.gz`), key: `${DAY}gone.json.gz`, etag: 'e2', size: 100 };
  const loader = new BatchLoader(db, 'test-source');
  for (const files of [[good, gone], [gone]]) await expect(loader.load(files)).rejects.toThrow(/No files found|ENOENT/);
  expect(await count('ingest_errors')).toBe(0);
  expect(await count('events')).toBe(0);
});

test('a file that failed is not read again until it changes; fixed, it is ingested and its error cleared', async () => {
  writeFiles(path.join(dir, 'logs'), { [`${DAY}x.json.gz`]: 'garbage' });
  expect((await run()).errors).toBe(1);
  // Unchanged, it would fail again: the next poll passes it by, and its error stays on record.
  expect(await run()).toMatchObject({ objects: 0, errors: 0, unchanged: 0, unreadable: 1 });
  expect(await count('ingest_errors')).toBe(1);
  // Rewritten and still broken: read again, and still one error on record for the file.
  const broken = path.join(dir, 'logs', `${DAY}x.json.gz`);
  fs.writeFileSync(broken, 'still garbage');
  fs.utimesSync(broken, new Date(), new Date(Date.now() + 2000));
  expect((await run()).errors).toBe(1);
  expect(await count('ingest_errors')).toBe(1);
  const fixed = path.join(dir, 'logs', `${DAY}x.json.gz`);
  fs.writeFileSync(fixed, logFile([rec()]));
  fs.utimesSync(fixed, new Date(), new Date(Date.now() + 5000)); // a new modification time is a new version
  expect(await run()).toMatchObject({ objects: 1, events: 1, errors: 0 });
  expect(await count('ingest_errors')).toBe(0);
});

test('a file rewritten from not gzip to a file without Records keeps one error on record, with its new reason and kind', async () => {
  writeFiles(path.join(dir, 'logs'), { [`${DAY}x.json.gz`]: 'garbage' });
  expect((await run()).errors).toBe(1);
  const rewritten = path.join(dir, 'logs', `${DAY}x.json.gz`);
  fs.writeFileSync(rewritten, zlib.gzipSync('{"something": "else"}'));
  fs.utimesSync(rewritten, new Date(), new Date(Date.now() + 2000));
  expect((await run()).errors).toBe(1);
  // Found by the batch itself (no Records: the statement does not fail), not set aside: the earlier version's row goes too.
  expect(await db.all(`SELECT kind FROM ingest_errors`)).toEqual([{ kind: 'no-records' }]);
});

test('non-UTF-8 bytes: the events are kept, the bad bytes replaced', async () => {
  const body = Buffer.concat([
    Buffer.from('{"Records":[{"eventID":"utf","eventTime":"2026-11-20T01:00:00Z","eventName":"PutObject","eventSource":"s3.amazonaws.com","userAgent":"caf'),
    Buffer.from([0xe9, 0xff]),
    Buffer.from('"}]}'),
  ]);
  writeFiles(path.join(dir, 'logs'), { [`${DAY}latin1.json.gz`]: zlib.gzipSync(body) });
  expect(await run()).toMatchObject({ objects: 1, events: 1, errors: 0 });
  // The ledger has the file's size as delivered, not its cleaned copy's (unpacked).
  expect(await db.all(`SELECT size::INTEGER AS size FROM ingested_objects`)).toEqual([{ size: zlib.gzipSync(body).length }]);
  const row = await db.one<{ user_agent: string }>(`SELECT user_agent FROM events WHERE event_id = 'utf'`);
  expect(row!.user_agent).toBe('caf\uFFFD\uFFFD');
  // The original file is kept as delivered, bad bytes and all; read back, they decode the same way.
  const key = (await db.one<{ key: string }>(`SELECT key FROM log_objects WHERE key LIKE '%latin1.json.gz'`))!.key;
  expect((await storedFile(db, key))!.equals(zlib.gzipSync(body))).toBe(true);
  expect((await storedRecords(db, ['utf'])).get('utf')).toMatchObject({ userAgent: 'caf\uFFFD\uFFFD' });
});

test('half a UTF-16 pair escaped alone ("\\ud800", as JSON.stringify writes a broken string): the events are kept, the half replaced', async () => {
  // JSON's grammar allows such an escape and DuckDB refuses it ("no low surrogate in string"): the whole file, and the
  // batch beside it, failed, so one crafted string hid every other event of its file.
  const records = [
    rec({ eventID: 'high', userAgent: 'a\ud800b' }),
    rec({ eventID: 'low', userAgent: '\udc00', errorCode: 'AccessDenied', errorMessage: 'x\udfff' }),
    rec({ eventID: 'reversed', userAgent: '\udc00\ud800' }),
    rec({ eventID: 'pair', userAgent: 'PAIR' }),
    rec({ eventID: 'text', userAgent: '\\ud800' }),
    rec({ eventID: 'id\udbff', userAgent: 'own id' }),
  ];
  // A pair written as escapes, as Java's and Python's ASCII-only writers do: kept whole.
  const body = JSON.stringify({ Records: records }).replace('PAIR', '\\ud83d\\ude00');
  expect(body).toContain('"a\\ud800b"');
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-good.json.gz`]: logFile([rec({ eventID: 'beside' })]),
    [`${DAY}b-halves.json.gz`]: zlib.gzipSync(body),
  });
  expect(await run()).toMatchObject({ objects: 2, events: 7, errors: 0, rejected: 0 });
  const rows = await db.all<{ event_id: string; user_agent: string; error_message: string | null; is_unauthorized: boolean }>(
    `SELECT event_id, user_agent, error_message, is_unauthorized FROM events WHERE event_id <> 'beside' ORDER BY event_id`
  );
  expect(rows).toEqual([
    { event_id: 'high', user_agent: 'a\uFFFDb', error_message: null, is_unauthorized: false },
    { event_id: 'id\uFFFD', user_agent: 'own id', error_message: null, is_unauthorized: false },
    { event_id: 'low', user_agent: '\uFFFD', error_message: 'x\uFFFD', is_unauthorized: true },
    { event_id: 'pair', user_agent: '\u{1F600}', error_message: null, is_unauthorized: false },
    { event_id: 'reversed', user_agent: '\uFFFD\uFFFD', error_message: null, is_unauthorized: false },
    { event_id: 'text', user_agent: '\\ud800', error_message: null, is_unauthorized: false },
  ]);
  // The original file is kept as delivered, escapes and all, and a record reads back as written (the API's JSON
  // writes the half as the same escape).
  const key = (await db.one<{ key: string }>(`SELECT key FROM log_objects WHERE key LIKE '%b-halves.json.gz'`))!.key;
  expect((await storedFile(db, key))!.equals(zlib.gzipSync(body))).toBe(true);
  expect((await storedRecords(db, ['high'])).get('high')).toMatchObject({ userAgent: 'a\ud800b' });
  // An eventID with such a half is stored with U+FFFD too: its record is found by it.
  expect((await storedRecords(db, ['id\uFFFD'])).get('id\uFFFD')).toMatchObject({ eventID: 'id\udbff', userAgent: 'own id' });
  expect((await storedRecords(db, ['pair'])).get('pair')).toMatchObject({ userAgent: '\u{1F600}' });
});

test('records missing optional fields, or with huge parameters, are stored; records without a usable time are kept aside', async () => {
  const huge = rec({ eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'big', policy: 'x'.repeat(20 * 1024 * 1024) } });
  const bare = { eventID: 'bare', eventTime: '2026-11-20T02:00:00Z' };
  const timeless = { eventID: 'timeless', eventName: 'Mystery' };
  const badTime = { eventID: 'bad-time', eventTime: 'yesterday' };
  // Times no report can reach, and that would freeze the lag at 0 as the newest event.
  const farFuture = { eventID: 'far-future', eventTime: '99999-01-01T00:00:00Z' };
  const nextYear = { eventID: 'next-year', eventTime: new Date(Date.now() + 366 * 86_400_000).toISOString() };
  const yearOne = { eventID: 'year-one', eventTime: '0001-01-01T00:00:00Z' };
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}mixed.json.gz`]: logFile([huge, bare, timeless, badTime, farFuture, nextYear, yearOne, rec({ eventID: undefined })]),
  });
  const summary = await run();
  expect(summary).toMatchObject({ objects: 1, events: 3, rejected: 5, errors: 0 });
  const reasons = await db.all<{ reason: string }>(`SELECT DISTINCT reason FROM rejected_records`);
  expect(reasons).toEqual([{ reason: 'eventTime is missing, not a time, before 1970 or after tomorrow' }]);
  const bareRow = await db.one<Record<string, unknown>>(`SELECT user_name, service, region, event_name, source_ip FROM events WHERE event_id = 'bare'`);
  expect(bareRow).toEqual({ user_name: 'unknown', service: 'unknown', region: 'unknown', event_name: 'unknown', source_ip: '' });
  const hugeRow = await db.one<{ id: string; res: unknown }>(`SELECT event_id AS id, resources AS res FROM events WHERE event_name = 'PutBucketPolicy'`);
  expect(hugeRow!.res).toEqual([{ id: 'big', name: 'big' }]);
  expect((await storedRecords(db, [hugeRow!.id])).get(hugeRow!.id)).toEqual(huge);
  // A record without an eventID gets a stable id from its content, so re-delivery still dedupes.
  expect(await count(`events WHERE event_id LIKE 'md5:%'`)).toBe(1);
  const rejected = await db.all<{ id: string }>(`SELECT record->>'eventID' AS id FROM rejected_records ORDER BY 1`);
  expect(rejected.map((r) => r.id)).toEqual(['bad-time', 'far-future', 'next-year', 'timeless', 'year-one']);
});

test('an eventID that is empty or not a string counts as missing: each record is stored, and its original reads back', async () => {
  const odd = [rec({ eventID: '' }), rec({ eventID: '', eventName: 'PutObject' }), rec({ eventID: 12345 }), rec({ eventID: { x: 1 } }), rec({ eventID: true })];
  writeFiles(path.join(dir, 'logs'), { [`${DAY}odd-ids.json.gz`]: logFile(odd) });
  // Two records with an empty eventID were one event (the second a "duplicate"), and a number's id read nothing back.
  expect(await run()).toMatchObject({ objects: 1, events: 5, duplicates: 0, rejected: 0 });
  const ids = (await db.all<{ id: string }>(`SELECT event_id AS id FROM events ORDER BY record_index`)).map((r) => r.id);
  expect(ids.every((id) => id.startsWith('md5:'))).toBe(true);
  expect(new Set(ids).size).toBe(5);
  const read = await storedRecords(db, ids);
  expect(ids.map((id) => read.get(id))).toEqual(odd);
  // Delivered again (another file), they are the same events.
  writeFiles(path.join(dir, 'logs'), { [`${DAY}odd-ids-again.json.gz`]: logFile(odd) });
  expect(await run()).toMatchObject({ events: 0, duplicates: 5 });
});

test('records that are not objects (null, a string, a list) are kept aside; their files\' other records are stored', async () => {
  const good = [rec({ eventID: 'kept-1' }), rec({ eventID: 'kept-2' })];
  const mixed = (records: unknown[]) => zlib.gzipSync(JSON.stringify({ Records: records }));
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-fine.json.gz`]: logFile([rec({ eventID: 'fine' })]),
    [`${DAY}b-null.json.gz`]: mixed([good[0], null]),
    [`${DAY}c-odd.json.gz`]: mixed(['a string', good[1], [1, 2], 42]),
  });
  expect(await run()).toMatchObject({ objects: 3, events: 3, rejected: 4, errors: 0 });
  expect((await db.all<{ id: string }>(`SELECT event_id AS id FROM events ORDER BY 1`)).map((r) => r.id)).toEqual(['fine', 'kept-1', 'kept-2']);
  const rejected = await db.all<{ key: string; reason: string; record: string }>(
    `SELECT regexp_extract(key, '[^/]+$') AS key, reason, record::VARCHAR AS record FROM rejected_records ORDER BY key, record`
  );
  expect(rejected).toEqual([
    { key: 'b-null.json.gz', reason: 'the record is not a JSON object', record: 'null' },
    { key: 'c-odd.json.gz', reason: 'the record is not a JSON object', record: '"a string"' },
    { key: 'c-odd.json.gz', reason: 'the record is not a JSON object', record: '42' },
    { key: 'c-odd.json.gz', reason: 'the record is not a JSON object', record: '[1,2]' },
  ]);
  // The good records keep their place in their files, so their originals read back.
  expect(Object.fromEntries(await storedRecords(db, ['kept-1', 'kept-2']))).toEqual({ 'kept-1': good[0], 'kept-2': good[1] });
  expect(await run()).toMatchObject({ objects: 0, unchanged: 3 });
  expect(await count('rejected_records')).toBe(4);
});

test('a log file delivered again (a new ETag, the same records) keeps its rejected records once; what the new version adds is kept', async () => {
  const file = path.join(dir, 'logs', `${DAY}again.json.gz`);
  // Rewritten at another time, so its stand-in ETag (size and time) is another: read again, as S3 reads a new ETag.
  const deliver = (records: unknown[], at: string) => {
    writeFiles(path.join(dir, 'logs'), { [`${DAY}again.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: records })) });
    fs.utimesSync(file, new Date(at), new Date(at));
  };
  const good = rec({ eventID: 'delivered' });
  const timeless = { eventID: 'timeless-again', eventName: 'Mystery' };
  deliver([good, timeless, null, null], '2026-11-20T09:00:00Z');
  expect(await run()).toMatchObject({ objects: 1, events: 1, rejected: 3 });
  // The same records: each is a duplicate now, the rejected ones as the event (a record that is null twice is kept twice).
  deliver([good, timeless, null, null], '2026-11-20T10:00:00Z');
  expect(await run()).toMatchObject({ objects: 1, events: 0, duplicates: 4, rejected: 0 });
  expect(await count('rejected_records')).toBe(3);
  // Once more, with a third null and a new record without eventTime: only those two are kept.
  const third = [good, null, timeless, null, { eventID: 'new-timeless' }, null];
  deliver(third, '2026-11-20T11:00:00Z');
  expect(await run()).toMatchObject({ objects: 1, events: 0, duplicates: 4, rejected: 2 });
  // Those two are kept under that version's key (key#etag): delivered again, they are found there.
  expect(await count(`rejected_records WHERE key LIKE '%#%'`)).toBe(2);
  deliver(third, '2026-11-20T12:00:00Z');
  expect(await run()).toMatchObject({ objects: 1, events: 0, duplicates: 6, rejected: 0 });
  const kept = await db.all<{ record: string; copies: bigint }>(
    `SELECT record::VARCHAR AS record, count(*) AS copies FROM rejected_records GROUP BY 1 ORDER BY 1`
  );
  expect(kept).toEqual([
    { record: 'null', copies: 3n },
    { record: JSON.stringify({ eventID: 'new-timeless' }), copies: 1n },
    { record: JSON.stringify(timeless), copies: 1n },
  ]);
  // Another file with the same records is another delivery point: its rejected records are its own.
  writeFiles(path.join(dir, 'logs'), { [`${DAY}other.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: [timeless, null] })) });
  expect(await run()).toMatchObject({ objects: 1, rejected: 2 });
});

test('a run row left unfinished by a killed run stays as it was; the next run records only its own', async () => {
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a.json.gz`]: logFile([rec()]),
    'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/digest.json.gz': zlib.gzipSync('{}'),
  });
  const source = path.resolve(dir, 'logs');
  await db.run(`INSERT INTO ingest_runs (source, started_at) VALUES ($source, TIMESTAMP '2026-11-20 09:00:00')`, { source });
  expect(await run()).toMatchObject({ objects: 1, skipped: 1 });
  const runs = await db.all<{ started: string; finished: boolean; skipped: number | null }>(
    `SELECT strftime(started_at, '%H:%M') AS started, finished_at IS NOT NULL AS finished, skipped FROM ingest_runs WHERE source = $source ORDER BY started_at`,
    { source }
  );
  expect(runs).toHaveLength(2);
  expect(runs[0]).toEqual({ started: '09:00', finished: false, skipped: null });
  expect(runs[1]).toMatchObject({ finished: true, skipped: 1 });
});

test('a folder that never opens keeps one failed run however often it is tried: the latest, with the earliest day to read', async () => {
  const source = path.resolve(dir, 'logs');
  const runs = () =>
    db.all<{ from: string; error: string; finished: number }>(
      `SELECT window_from AS "from", error, epoch_us(finished_at)::DOUBLE AS finished FROM ingest_runs WHERE source = $source ORDER BY started_at`,
      { source }
    );
  await expect(run(3)).rejects.toThrow(/is not a folder/);
  const [first] = await runs();
  for (let i = 0; i < 3; i++) await expect(run(1)).rejects.toThrow(/is not a folder/);
  const [last, ...more] = await runs();
  expect(more).toEqual([]);
  expect(last).toEqual({ from: '2026-11-18', error: first.error, finished: expect.any(Number) });
  expect(last.finished).toBeGreaterThan(first.finished);
  // The status still says the source fails, why, and when it last did.
  expect(await new Reports(db).ingestStatus()).toMatchObject({ lastPollError: first.error });

  // Another outcome in between: the failure after it is a row of its own.
  writeFiles(path.join(dir, 'logs'), { [`${DAY}a.json.gz`]: logFile([rec()]) });
  expect(await run()).toMatchObject({ objects: 1 });
  fs.rmSync(path.join(dir, 'logs'), { recursive: true });
  await expect(run()).rejects.toThrow(/is not a folder/);
  await expect(run()).rejects.toThrow(/is not a folder/);
  expect((await runs()).map((r) => r.error)).toEqual([first.error, null, first.error]);
});

test('digest and insight files are skipped and counted; plain .json files are read', async () => {
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}events.json.gz`]: logFile([rec()]),
    'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/digest.json.gz': zlib.gzipSync('{"digestStartTime":"x"}'),
    'AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/20/insight.json.gz': zlib.gzipSync('{"Records":[]}'),
    'exports/plain.json': JSON.stringify({ Records: [rec(), rec()] }),
    'exports/notes.txt': 'ignored: not a log file name',
  });
  expect(await run()).toMatchObject({ objects: 2, events: 3, skipped: 2, errors: 0 });
});

test('the same event in several files is stored once; re-running ingests nothing twice', async () => {
  const shared = rec({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' });
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}trail-a.json.gz`]: logFile([shared, rec()]),
    [dayPrefix('111122223333', 'eu-west-1', '2026-11-20') + 'trail-b.json.gz']: logFile([shared, rec()]),
    [`${DAY}trail-a-again.json.gz`]: logFile([shared]),
  });
  expect(await run()).toMatchObject({ objects: 3, events: 3, duplicates: 2 });
  expect(await run()).toMatchObject({ objects: 0, events: 0, unchanged: 3 });
  expect(await count('events')).toBe(3);
  const ledger = await db.all<{ inserted: number; duplicates: number }>(`SELECT inserted, duplicates FROM ingested_objects ORDER BY key`);
  expect(ledger.reduce((a, r) => a + r.inserted, 0)).toBe(3);
  expect(ledger.reduce((a, r) => a + r.duplicates, 0)).toBe(2);
});

test('a file of JSON documents one after another (files joined into one, plain or gzip members) is refused whole, with why', async () => {
  // DuckDB read each document, numbering each one's records from 0: the records of the second were stored, and the
  // lookup of any of them answered that its kept file did not hold it (a 500), or gave the first document's record.
  const doc = (id: string) => JSON.stringify({ Records: [rec({ eventID: id })] });
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-joined.json`]: `${doc('j1')}\n${doc('j2')}`,
    [`${DAY}b-members.json.gz`]: Buffer.concat([zlib.gzipSync(doc('m1')), zlib.gzipSync(doc('m2'))]),
    [`${DAY}c-arrays.json`]: `[${JSON.stringify(rec({ eventID: 'x1' }))}][${JSON.stringify(rec({ eventID: 'x2' }))}]`,
    // One document in two gzip members, as a tool that writes gzip in pieces makes it, is one document.
    [`${DAY}d-one-in-pieces.json.gz`]: Buffer.concat([zlib.gzipSync(doc('p1').slice(0, 30)), zlib.gzipSync(doc('p1').slice(30))]),
  });
  expect(await run()).toMatchObject({ objects: 1, events: 1, errors: 3 });
  expect(await db.all(`SELECT event_id FROM events`)).toEqual([{ event_id: 'p1' }]);
  const errors = await db.all<{ key: string; kind: string; reason: string }>(`SELECT key, kind, reason FROM ingest_errors ORDER BY key`);
  expect(errors.map((e) => [path.basename(e.key), e.kind])).toEqual([
    ['a-joined.json', 'bad-json'], ['b-members.json.gz', 'bad-json'], ['c-arrays.json', 'bad-json'],
  ]);
  expect(errors[0].reason).toBe(
    'it is not one JSON document but 2 lists or objects one after another (CloudTrail writes one {"Records": [...]} in each file): ' +
      'files joined into one? Give each its own file; it is read again once it changes'
  );
  expect(await run()).toMatchObject({ objects: 0, events: 0, errors: 0, unreadable: 3 });
});

test('a record is read back as DuckDB read it: a key given twice its first value (not the last), NaN and a comma after a last item accepted', async () => {
  // CloudTrail writes each key once: a file that does not is forged or damaged. JSON leaves the choice to the parser.
  // Read back with JSON.parse, the record had another eventID than the event stored from it: its lookup found no
  // record ("stored, but its original record cannot be read"), and its user was not the one the reports counted.
  const text = `{"Records": [{"eventVersion": "1.08", "eventID": "twice-1", "eventID": "twice-2", "eventTime": "2026-11-20T10:00:00Z",
    "eventName": "GetObject", "eventSource": "s3.amazonaws.com", "awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1",
    "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333", "userName": "mallory"}}]}`;
  // The same in a file of another layout (a key before Records), which is read back whole rather than scanned.
  const other = `{"source": "a copy tool", "Records": [{"eventID": "other-1", "eventTime": "2026-11-20T11:00:00Z", "eventID": "other-2"}]}`;
  // What DuckDB accepts beyond JSON, and JSON.parse refuses: NaN and Infinity, a comma after a last item.
  const lenient = `{"Records": [{"eventID": "nan-1", "eventTime": "2026-11-20T12:00:00Z", "requestParameters": {"ratio": NaN, "max": -Infinity,},},]}`;
  writeFiles(path.join(dir, 'logs'), { [`${DAY}twice.json.gz`]: zlib.gzipSync(text), [`${DAY}other.json`]: other, [`${DAY}lenient.json`]: lenient });
  expect(await run()).toMatchObject({ objects: 3, events: 3, errors: 0 });
  expect(await new Reports(db).record('nan-1')).toEqual({
    record: { eventID: 'nan-1', eventTime: '2026-11-20T12:00:00Z', requestParameters: { ratio: NaN, max: -Infinity } },
    alsoStored: [],
  });
  expect(await db.all(`SELECT event_id, user_name FROM events ORDER BY event_time`)).toEqual([
    { event_id: 'twice-1', user_name: 'alice' }, { event_id: 'other-1', user_name: 'unknown' }, { event_id: 'nan-1', user_name: 'unknown' },
  ]);
  expect(await new Reports(db).record('other-1')).toEqual({ record: { eventID: 'other-1', eventTime: '2026-11-20T11:00:00Z' }, alsoStored: [] });
  expect(await new Reports(db).record('twice-1')).toEqual({
    record: expect.objectContaining({ eventID: 'twice-1', userIdentity: { type: 'IAMUser', userName: 'alice', accountId: '111122223333' } }),
    alsoStored: [],
  });
  expect(await new Reports(db).record('twice-2')).toBeUndefined();
});

// The copy kept of an event twice in a batch is the first by key, not by the batch's order (loader.ts findFresh).
test('records that share an eventID but not an eventTime are each stored, in one batch or in two; the same id and time again is a duplicate', async () => {
  // A delivery of one event again carries its time (here written another way); a record with another time is not that
  // event (forged, or damaged), and is kept. Judged by the id alone, it was dropped when the two shared a batch, and
  // kept when they did not: the order the files were read in decided.
  const first = rec({ eventID: 'same-id', eventTime: '2026-11-20T08:00:00Z' });
  const files = {
    [`${DAY}a.json.gz`]: logFile([first]),
    [`${DAY}b.json.gz`]: logFile([{ ...first, eventTime: '2026-11-20T09:00:00Z', userAgent: 'other' }, rec()]),
    [`${DAY}c.json.gz`]: logFile([{ ...first, eventTime: '2026-11-20T10:00:00+02:00' }]),
  };
  const stored = () =>
    db.all(`SELECT event_time::VARCHAR AS t, object_key FROM events WHERE event_id = 'same-id' ORDER BY event_time`);
  const expected = [
    { t: '2026-11-20 08:00:00', object_key: `${DAY}a.json.gz` },
    { t: '2026-11-20 09:00:00', object_key: `${DAY}b.json.gz` },
  ];
  // The API's record of the id gives both, the earliest first, whichever file was read first: a link from either
  // event's row showed one of them alone, as if it were that row's.
  const answered = async () => {
    const api = await buildApi({ db, token: 'records-token-0123456789' });
    try {
      const url = await api.listen({ host: '127.0.0.1', port: 0 });
      return await (await fetch(`${url}/api/events/same-id`, { headers: { authorization: 'Bearer records-token-0123456789' } })).json();
    } finally {
      await api.close();
    }
  };
  const both = { eventId: 'same-id', record: first, alsoStored: [{ ...first, eventTime: '2026-11-20T09:00:00Z', userAgent: 'other' }] };
  // One run, one batch.
  writeFiles(path.join(dir, 'logs'), files);
  expect(await run()).toMatchObject({ objects: 3, events: 3, duplicates: 1 });
  expect(await stored()).toEqual(expected);
  expect(await answered()).toEqual(both);
  // Two runs: the first file alone, then the others.
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  dir = tempDir();
  db = await Database.open(path.join(dir, 'db.duckdb'));
  const { [`${DAY}a.json.gz`]: alone, ...others } = files;
  writeFiles(path.join(dir, 'logs'), { [`${DAY}a.json.gz`]: alone });
  expect(await run()).toMatchObject({ objects: 1, events: 1 });
  writeFiles(path.join(dir, 'logs'), others);
  expect(await run()).toMatchObject({ objects: 2, events: 2, duplicates: 1 });
  expect(await stored()).toEqual(expected);
  expect(await answered()).toEqual(both);
});

test('an event twice in one batch is stored from the file first by key, whatever the batch\'s order, and that file counts it', async () => {
  const shared = rec();
  const logs = writeFiles(path.join(dir, 'logs'), {
    [`${DAY}a-first.json.gz`]: logFile([rec(), shared]),
    [`${DAY}z-last.json.gz`]: logFile([shared]),
  });
  const file = (name: string) => ({ path: path.join(logs, `${DAY}${name}`), key: `${DAY}${name}`, etag: name, size: 100 });
  const outcomes = await new BatchLoader(db, 'test-source').load([file('z-last.json.gz'), file('a-first.json.gz')]);
  expect(outcomes.map(({ key, inserted, duplicates }) => [path.basename(key), inserted, duplicates])).toEqual([
    ['z-last.json.gz', 0, 1],
    ['a-first.json.gz', 2, 0],
  ]);
  expect(await db.all(`SELECT object_key, record_index FROM events WHERE event_id = $id`, { id: shared.eventID as string })).toEqual([
    { object_key: `${DAY}a-first.json.gz`, record_index: 1 },
  ]);
});

test('the window: day folders outside it are not read', async () => {
  writeFiles(path.join(dir, 'logs'), {
    [dayPrefix('111122223333', 'us-east-1', '2026-11-18') + 'old.json.gz']: logFile([rec({ eventTime: '2026-11-18T01:00:00Z' })]),
    [dayPrefix('111122223333', 'us-east-1', '2026-11-19') + 'in.json.gz']: logFile([rec({ eventTime: '2026-11-19T01:00:00Z' })]),
    [`${DAY}today.json.gz`]: logFile([rec()]),
  });
  expect(await run(2)).toMatchObject({ objects: 2, events: 2 });
  expect(await run(3)).toMatchObject({ objects: 1, events: 1, unchanged: 2 });
});

test('broken files beside good ones: every kept original is referenced once, nothing else is in the folder', async () => {
  writeFiles(path.join(dir, 'logs'), {
    [`${DAY}good-1.json.gz`]: logFile([rec({ eventID: 'kept-1' }), rec()]),
    [`${DAY}corrupt.json.gz`]: Buffer.from('not gzip'),
    [`${DAY}good-2.json.gz`]: logFile([rec()]),
    [`${DAY}no-records.json.gz`]: zlib.gzipSync('{"foo": 1}'),
    [`${DAY}z-duplicate.json.gz`]: logFile([rec({ eventID: 'kept-1' })]),
  });
  expect(await run()).toMatchObject({ events: 3, duplicates: 1, errors: 2 });
  const kept = await db.all<{ key: string; archive: string }>('SELECT key, archive FROM log_objects ORDER BY key');
  // Only files that gave events are kept; the failed first attempt at the batch left nothing behind.
  expect(kept.map((k) => path.basename(k.key))).toEqual(['good-1.json.gz', 'good-2.json.gz']);
  expect(fs.readdirSync(db.originalsDir).sort()).toEqual([...new Set(kept.map((k) => k.archive))].sort());
});
