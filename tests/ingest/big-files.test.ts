// Log files too big to read whole in DuckDB's memory limit are staged record by record (src/service/ingest/
// recordsArray.ts). Counts stay exact: duplicates inside the file, rejected records, a re-run.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { resolveQuery } from '../../src/model/query';
import { DEFAULTS } from '../../src/service/config';
import { sizeText } from '../../src/service/counted';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { OUT_OF_MEMORY } from '../../src/service/ingest/fileFailures';
import type { HalvedBatch } from '../../src/service/ingest/loader';
import { recordsArrayCopy, removeRecordsArrayCopy } from '../../src/service/ingest/recordsArray';
import { Reports } from '../../src/service/reports';
import { dayPrefix, storedFile, storedRecords, tempDir, writeFiles } from '../support/temp';

const pad = 'x'.repeat(1200);
const record = (i: number, extra: Record<string, unknown> = {}) => ({
  eventID: `big-${i}`, eventTime: '2026-11-20T10:00:00Z', eventName: 'PutObject', eventSource: 's3.amazonaws.com', awsRegion: 'eu-west-1',
  userIdentity: { type: 'IAMUser', userName: `user-${i % 7}` }, sourceIPAddress: '203.0.113.9',
  requestParameters: { bucketName: `bucket-${i % 3}`, key: `${pad}-${i}` }, ...extra,
});

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('recordsArrayCopy', () => {
  /** The copy's pieces, each parsed, with the index of its first record; undefined when there is no copy. */
  const copy = async (name: string, body: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, body);
    const out = await recordsArrayCopy(file, path.join(dir, 'staging'));
    const pieces = out?.pieces.map((p) =>
      ({ first: p.first, records: JSON.parse(fs.readFileSync(p.path, 'utf8')) as unknown[], bytes: fs.statSync(p.path).size }));
    if (out) removeRecordsArrayCopy(out);
    return pieces;
  };

  test('keeps exactly the Records array, across gzip and chunk boundaries, in pieces of whole records of about 4 MB', async () => {
    // Brackets, commas and escaped quotes inside strings are no record boundaries.
    const records: unknown[] = Array.from({ length: 20_000 }, (_, i) => record(i, { note: 'é€😀 ],{"x": [1, 2]}, \\"\\\\', n: [i, { i }] }));
    records.splice(5, 0, 'a string record, with a comma', 42, null, ['a', 'list']);
    const pieces = await copy('many.json.gz', zlib.gzipSync(` \n{ "Records" :\n${JSON.stringify(records, null, 1)}\n}\n`));
    expect(pieces!.length).toBeGreaterThan(5);
    expect(pieces!.flatMap((p) => p.records)).toEqual(records);
    // Each piece knows where its records sit in the file; every piece but the last holds ~4 MB (cut at the first record boundary after it).
    expect(pieces!.map((p) => p.first)).toEqual(pieces!.map((_, i) => pieces!.slice(0, i).reduce((n, p) => n + p.records.length, 0)));
    for (const p of pieces!.slice(0, -1)) expect(p.bytes).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    for (const p of pieces!) expect(p.bytes).toBeLessThan(4 * 1024 * 1024 + 4096);
  });

  test('an empty Records array is one piece of no records', async () => {
    expect(await copy('empty.json', '{"Records": [ ]}')).toEqual([{ first: 0, records: [], bytes: 3 }]);
  });

  test.each([
    ['another key first', '{"foo": 1, "Records": []}'],
    ['no Records', '{"foo": []}'],
    ['something after the array', '{"Records": [], "x": 1}'],
    ['a bare array', '[]'],
  ])('%s: undefined, so the regular path decides', async (_name, body) => {
    expect(await copy('shape.json', body)).toBeUndefined();
  });

  test('a corrupt gzip is left to the regular path too, whatever zlib finds wrong', async () => {
    expect(await copy('corrupt.json.gz', Buffer.from('not gzip at all'))).toBeUndefined();
    // A gzip header with an unknown compression method.
    expect(await copy('method.json.gz', Buffer.from('\x1f\x8bnot really gzip at all'.repeat(10), 'latin1'))).toBeUndefined();
    // A whole file whose checksum does not match its content.
    const badCrc = zlib.gzipSync('{"Records": []}');
    badCrc[badCrc.length - 8] ^= 0xff;
    expect(await copy('checksum.json.gz', badCrc)).toBeUndefined();
  });
});

test('a 12 MB log file loads in bounded memory with exact counts, and a re-run adds nothing', async () => {
  const records = Array.from({ length: 9_000 }, (_, i) => record(i));
  records.push(record(5)); // the same event twice in one file
  records.push({ ...record(9_001), eventTime: 'not a time' }); // kept aside in rejected_records
  const logs = writeFiles(path.join(dir, 'logs'), { 'big.json.gz': zlib.gzipSync(JSON.stringify({ Records: records })) });
  expect(zlib.gunzipSync(fs.readFileSync(path.join(logs, 'big.json.gz'))).length).toBeGreaterThan(8 * 1024 * 1024);
  // Read whole, this file needs more than 192 MB. Read record by record, DuckDB peaks at 117–121 MiB: ~115 MiB to read and
  // normalise one chunk of 2048 of these records (the same for 3,000 records or 36,000), and the batch's table as it fills.
  // 128 MB (122 MiB) left 1–5 MiB, and the file ran out of memory in about one run in ten.
  const db = await Database.open(path.join(dir, 'big.duckdb'), { memoryLimit: '160MB' });
  try {
    const first = await ingest({ source: logs, db });
    // The stored reason beside the counts: a failure says why the file went to ingest_errors.
    const reasons = await db.all<{ reason: string }>('SELECT reason FROM ingest_errors');
    expect({ ...first, reasons }).toMatchObject({ objects: 1, events: 9_000, duplicates: 1, rejected: 1, errors: 0, reasons: [] });
    const row = await db.one<{ n: bigint; users: bigint; idx: bigint }>(
      `SELECT (SELECT count(*) FROM events) AS n, (SELECT count(DISTINCT user_name) FROM events) AS users,
              (SELECT count(*) FROM event_resources WHERE key_hash = hash('bucket-1')) AS idx`
    );
    expect({ n: Number(row!.n), users: Number(row!.users), idx: Number(row!.idx) }).toEqual({ n: 9_000, users: 7, idx: 3_000 });
    // Each event points at its own record in the file (record i sits at index i), and reads back whole.
    const misplaced = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE event_id <> 'big-' || record_index`);
    expect(Number(misplaced!.n)).toBe(0);
    expect(Object.fromEntries(await storedRecords(db, ['big-0', 'big-8999']))).toEqual({ 'big-0': record(0), 'big-8999': record(8999) });
    // Kept as a file of its own, as delivered, not as one Parquet value (which DuckDB holds whole).
    const kept = await db.all<{ archive: string }>('SELECT archive FROM log_objects');
    expect(kept).toEqual([{ archive: expect.stringMatching(/^[0-9a-f-]{36}\.json\.gz$/) }]);
    expect((await storedFile(db, 'big.json.gz'))!.equals(fs.readFileSync(path.join(logs, 'big.json.gz')))).toBe(true);
    const again = await ingest({ source: logs, db });
    expect(again).toMatchObject({ objects: 0, events: 0, unchanged: 1 });
  } finally {
    db.close();
  }
});

// CloudTrail records of 5-10 KB are common (RunInstances' responseElements, a policy document in requestParameters).
test('a 10 MB log file of 5 KB records loads at the default memory limit, each record whole', async () => {
  const padded = 'p'.repeat(5_000);
  const records = Array.from({ length: 2_000 }, (_, i) => record(i, { responseElements: { policy: `${padded}-${i}` } }));
  const logs = writeFiles(path.join(dir, 'wide-logs'), { 'wide.json.gz': zlib.gzipSync(JSON.stringify({ Records: records })) });
  expect(zlib.gunzipSync(fs.readFileSync(path.join(logs, 'wide.json.gz'))).length).toBeGreaterThan(8 * 1024 * 1024); // staged, as above
  const db = await Database.open(path.join(dir, 'wide.duckdb'), { memoryLimit: DEFAULTS.memoryLimit });
  try {
    const result = await ingest({ source: logs, db });
    const reasons = await db.all<{ reason: string }>('SELECT reason FROM ingest_errors');
    expect({ ...result, reasons }).toMatchObject({ objects: 1, events: 2_000, errors: 0, reasons: [] });
    expect(Object.fromEntries(await storedRecords(db, ['big-1999']))).toEqual({ 'big-1999': records[1999] });
  } finally {
    db.close();
  }
});

// Records of 20 KB: RunInstances' answer for many instances, a policy document. DuckDB parses and normalises a chunk of
// up to 2048 records at a time and takes ~10× the chunk's bytes for records of long strings: read as one array, these
// 1000 records (one 20 MB chunk) ran out of the default 224 MB; the staged copy's 4 MB pieces are read one by one.
test('a 20 MB log file of 20 KB records loads at the default memory limit, each record whole and in its place', async () => {
  const padded = 'q'.repeat(20_000);
  const records = Array.from({ length: 1_000 }, (_, i) => record(i, { responseElements: { policy: `${padded}-${i}` } }));
  records.push({ ...record(1_000), eventTime: 'not a time' }); // kept aside, read again from its piece
  const logs = writeFiles(path.join(dir, 'wider-logs'), { 'wider.json.gz': zlib.gzipSync(JSON.stringify({ Records: records })) });
  const db = await Database.open(path.join(dir, 'wider.duckdb'), { memoryLimit: DEFAULTS.memoryLimit });
  try {
    const result = await ingest({ source: logs, db });
    const reasons = await db.all<{ reason: string }>('SELECT reason FROM ingest_errors');
    expect({ ...result, reasons }).toMatchObject({ objects: 1, events: 1_000, rejected: 1, errors: 0, reasons: [] });
    const misplaced = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE event_id <> 'big-' || record_index`);
    expect(Number(misplaced!.n)).toBe(0);
    expect(Object.fromEntries(await storedRecords(db, ['big-0', 'big-999']))).toEqual({ 'big-0': records[0], 'big-999': records[999] });
    const rejected = await db.all<{ record: string }>('SELECT record::VARCHAR AS record FROM rejected_records');
    expect(rejected.map((r) => JSON.parse(r.record))).toEqual([records[1_000]]);
  } finally {
    db.close();
  }
});

test('a 10 MB log file with records that are no objects: those kept aside, every other record stored', async () => {
  const records: unknown[] = Array.from({ length: 7_000 }, (_, i) => record(i));
  records.splice(10, 0, 'not a record', 42, ['a', 'list'], null);
  const logs = writeFiles(path.join(dir, 'odd-logs'), { 'odd.json.gz': zlib.gzipSync(JSON.stringify({ Records: records })) });
  expect(zlib.gunzipSync(fs.readFileSync(path.join(logs, 'odd.json.gz'))).length).toBeGreaterThan(8 * 1024 * 1024); // staged
  const db = await Database.open(path.join(dir, 'odd.duckdb'), { memoryLimit: DEFAULTS.memoryLimit });
  try {
    const result = await ingest({ source: logs, db });
    const reasons = await db.all<{ reason: string }>('SELECT reason FROM ingest_errors');
    expect({ ...result, reasons }).toMatchObject({ objects: 1, events: 7_000, rejected: 4, errors: 0, reasons: [] });
    // Each event still points at its own record, past the ones kept aside.
    expect(Object.fromEntries(await storedRecords(db, ['big-6999']))).toEqual({ 'big-6999': record(6999) });
  } finally {
    db.close();
  }
});

// A big file is read as pieces of its Records (records-N.json, temporary files): DuckDB's error about one named the
// piece and counted within it, which told the user of a file they never had.
test('a big file whose record DuckDB cannot read: the reason says which of its Records, not the temporary piece', async () => {
  const records = Array.from({ length: 7_000 }, (_, i) => JSON.stringify(record(i)));
  records[6_000] = '{"eventID": "big-6000", "eventTime": nope}'; // in the second or a later piece
  const hugeRecords = [...Array.from({ length: 100 }, (_, i) => record(i)), record(100, { requestParameters: { key: 'h'.repeat(48 * 1024 * 1024) } })];
  // Each alone in its source: they gzip so well that the batching's estimate would put them in one batch, not staged.
  const malformed = writeFiles(path.join(dir, 'piece-logs', 'a'), { 'malformed.json.gz': zlib.gzipSync(`{"Records": [${records.join(',')}]}`) });
  const huge = writeFiles(path.join(dir, 'piece-logs', 'b'), { 'huge-record.json.gz': zlib.gzipSync(JSON.stringify({ Records: hugeRecords })) });
  expect(zlib.gunzipSync(fs.readFileSync(path.join(malformed, 'malformed.json.gz'))).length).toBeGreaterThan(8 * 1024 * 1024); // staged
  const db = await Database.open(path.join(dir, 'piece.duckdb'), { memoryLimit: DEFAULTS.memoryLimit });
  try {
    const warned: string[] = [];
    for (const source of [malformed, huge]) {
      expect(await ingest({ source, db, onFileError: (key, reason) => warned.push(`${key}: ${reason}`) })).toMatchObject({ objects: 0, errors: 1 });
    }
    const errors = await db.all<{ key: string; reason: string; kind: string }>('SELECT key, reason, kind FROM ingest_errors ORDER BY key');
    expect(errors).toEqual([
      // No record counted: the piece's records (the first piece ends with the first record after its 4 MB).
      {
        key: 'huge-record.json.gz',
        reason: expect.stringMatching(/^a JSON value over 32 MB \(reading Records\[0\] to Records\[100\]\): a file over 8 MB.* no record may be over 32 MB /),
        kind: 'too-big',
      },
      // DuckDB's words, its count within the piece made the record's index in the file (record i is big-i).
      { key: 'malformed.json.gz', reason: expect.stringMatching(/^Malformed JSON at byte \d+ in Records\[6000\]: invalid literal\.$/), kind: 'bad-json' },
    ]);
    // What the log and the CLI's warning say: the same.
    expect(warned.sort()).toEqual(errors.map((e) => `${e.key}: ${e.reason}`));
  } finally {
    db.close();
  }
});

// A file that gzips so well that the batching's estimate puts it in a batch with others fails the batch's whole-file
// read, whose error gives a byte of the whole file (and "record/value 2", the file's own object): read in pieces
// alone, as a big file that came alone is, it names the record.
test('a big file that came in a batch and cannot be read: the reason says which of its Records, as for one that came alone', async () => {
  const records = Array.from({ length: 7_000 }, (_, i) => JSON.stringify(record(i)));
  records[6_000] = '{"eventID": "big-6000", "eventTime": nope}';
  const malformed = zlib.gzipSync(`{"Records": [${records.join(',')}]}`);
  expect(malformed.length * 10).toBeLessThan(8 * 1024 * 1024); // batched with the good file
  expect(zlib.gunzipSync(malformed).length).toBeGreaterThan(8 * 1024 * 1024); // yet big
  const logs = writeFiles(path.join(dir, 'batched-logs'), {
    'a-good.json.gz': zlib.gzipSync(JSON.stringify({ Records: [record(100_000)] })),
    'b-malformed.json.gz': malformed,
  });
  const db = await Database.open(path.join(dir, 'batched.duckdb'), { memoryLimit: DEFAULTS.memoryLimit });
  try {
    expect(await ingest({ source: logs, db })).toMatchObject({ objects: 1, events: 1, errors: 1 });
    expect(await db.all('SELECT key, reason, kind FROM ingest_errors')).toEqual([
      { key: 'b-malformed.json.gz', reason: expect.stringMatching(/^Malformed JSON at byte \d+ in Records\[6000\]: invalid literal\.$/), kind: 'bad-json' },
    ]);
  } finally {
    db.close();
  }
});

test('a big file with a broken gzip checksum, or a gzip that is not one, never stops the run: the good file beside it is stored', async () => {
  const records = Array.from({ length: 7_000 }, (_, i) => record(i));
  const badCrc = zlib.gzipSync(JSON.stringify({ Records: records }));
  badCrc[badCrc.length - 8] ^= 0xff; // the CRC; the size after it still says > 8 MB
  expect(badCrc.readUInt32LE(badCrc.length - 4)).toBeGreaterThan(8 * 1024 * 1024);
  const logs = writeFiles(path.join(dir, 'broken-logs'), {
    'a-good.json.gz': zlib.gzipSync(JSON.stringify({ Records: [record(100_000)] })),
    'b-checksum.json.gz': badCrc,
    // Its last four bytes read as a size of 1.8 GB.
    'c-method.json.gz': Buffer.from('\x1f\x8bnot really gzip at all'.repeat(10), 'latin1'),
  });
  const db = await Database.open(path.join(dir, 'broken.duckdb'), { memoryLimit: '224MB' });
  try {
    const summary = await ingest({ source: logs, db });
    // The checksum file's content is whole: DuckDB may read it, or record it as broken; either way nothing is lost
    // silently and the run goes on.
    const errors = await db.all<{ key: string; reason: string }>('SELECT key, reason FROM ingest_errors ORDER BY key');
    expect(errors.map((e) => path.basename(e.key))).toContain('c-method.json.gz');
    expect(summary.objects + summary.errors).toBe(3);
    expect(Object.keys(Object.fromEntries(await storedRecords(db, ['big-100000'])))).toEqual(['big-100000']);
  } finally {
    db.close();
  }
});

test('a batch that unpacks bigger than DuckDB’s memory limit allows is loaded in halves: nothing lost', async () => {
  // 40 files of 5 MB JSON that gzip to almost nothing, so the batching estimate (gzip × 10) puts them together.
  const files = gzippedLogFiles(40, 4000, 100_000);
  const logs = writeFiles(path.join(dir, 'halves'), files);
  // Together these need more than 144 MB (DuckDB: "Out of Memory"); threads pinned, as memory grows with them.
  const db = await Database.open(path.join(dir, 'halves.duckdb'), { memoryLimit: '144MB', threads: 2 });
  try {
    const said: HalvedBatch[] = [];
    const summary = await ingest({ source: logs, db, onHalved: (batch) => said.push(batch) });
    expect(summary).toMatchObject({ objects: 40, events: 160_000, errors: 0 });
    // Each reload is said, with the batch's files, bytes and the limit, and counted; the first is the whole batch.
    const gzipBytes = Object.values(files).reduce((n, f) => n + f.length, 0);
    expect(said[0]).toEqual({
      files: 40, bytes: gzipBytes, unpackedBytes: expect.any(Number), memoryLimit: expect.stringMatching(/MiB$/), said: expect.any(String),
    });
    expect(said[0].unpackedBytes).toBeGreaterThan(40 * 4_000_000);
    expect(said[0].said).toBe(
      `a batch of 40 log files, ${sizeText(gzipBytes)} (${sizeText(said[0].unpackedBytes)} unpacked), ran out of DuckDB's memory ` +
        `(limit ${said[0].memoryLimit}): loading it again in two parts, of 20 files and 20`
    );
    expect(summary.halved).toBe(said.length);
    const row = await db.one<{ n: bigint; kept: bigint }>(`SELECT (SELECT count(*) FROM events) AS n, (SELECT count(*) FROM log_objects) AS kept`);
    expect({ n: Number(row!.n), kept: Number(row!.kept) }).toEqual({ n: 160_000, kept: 40 });
  } finally {
    db.close();
  }
}, 180_000); // a guard against a hang, not a speed goal: it takes 25–85 s on a loaded 2-core machine

test('a batch of small log files loads in one piece: DuckDB’s reader holds one 32 MiB buffer per thread, not one more per file', async () => {
  const logs = writeFiles(path.join(dir, 'buffers'), gzippedLogFiles(10, 50, 300_000));
  // One thread, so the reader's buffers do not depend on timing. Detecting each file's format took a second buffer
  // beside the thread's last one: the batch needed 72-80 MB and was loaded one file at a time; now it loads at 48 MB.
  const db = await Database.open(path.join(dir, 'buffers.duckdb'), { memoryLimit: '64MB', threads: 1 });
  try {
    expect(await ingest({ source: logs, db })).toMatchObject({ objects: 10, events: 500, errors: 0 });
    // A batch loaded in halves is kept as one Parquet file per part.
    expect(await db.all(`SELECT count(DISTINCT archive)::INTEGER AS archives FROM log_objects`)).toEqual([{ archives: 1 }]);
  } finally {
    db.close();
  }
});

/** `count` gzipped log files f0.json.gz … of `perFile` generated records each, their ids numbered from `first`. */
function gzippedLogFiles(count: number, perFile: number, first: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let f = 0; f < count; f++) {
    files[`f${f}.json.gz`] = zlib.gzipSync(JSON.stringify({ Records: Array.from({ length: perFile }, (_, i) => record(first + f * perFile + i)) }));
  }
  return files;
}

/** A gzip of `head`, `megabytes` of spaces and `tail`, written as a stream: a bomb that never sits in memory whole. */
async function spacesGzip(file: string, head: string, megabytes: number, tail: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const gzip = zlib.createGzip({ level: 9 });
  const done = pipeline(gzip, fs.createWriteStream(file));
  const spaces = Buffer.alloc(1024 * 1024, ' ');
  const write = (chunk: string | Buffer) => new Promise<void>((resolve) => (gzip.write(chunk) ? resolve() : gzip.once('drain', () => resolve())));
  await write(head);
  for (let i = 0; i < megabytes; i++) await write(spaces);
  gzip.end(tail);
  await done;
}

test('a gzip bomb is refused once it unpacks past 100× its size, with why, in ingest_errors; the run goes on and does not read it again', async () => {
  const logs = path.join(dir, 'bombs');
  writeFiles(logs, { 'a-good.json.gz': zlib.gzipSync(JSON.stringify({ Records: [record(200_000)] })) });
  // ~100 KB that unpack to 100 MB: in CloudTrail's layout, and not.
  await spacesGzip(path.join(logs, 'b-bomb.json.gz'), '{"Records": [', 100, ']}');
  await spacesGzip(path.join(logs, 'c-spaces.json.gz'), '', 100, '');
  // One whose trailer says it unpacks to 1 kB, as a gzip over 4 GB seems to (its size mod 2³²): batched as a small
  // file, DuckDB unpacked all of it before it failed.
  await spacesGzip(path.join(logs, 'd-lying.json.gz'), '{"Records": [', 100, ']}');
  const lying = fs.readFileSync(path.join(logs, 'd-lying.json.gz'));
  lying.writeUInt32LE(1024, lying.length - 4);
  fs.writeFileSync(path.join(logs, 'd-lying.json.gz'), lying);
  // Under the limit, but too big to read whole, and not in the layout that lets DuckDB read it record by record.
  await spacesGzip(path.join(logs, 'e-other.json.gz'), '{"Other": [', 20, ']}');
  const db = await Database.open(path.join(dir, 'bombs.duckdb'), { memoryLimit: '224MB' });
  try {
    expect(await ingest({ source: logs, db })).toMatchObject({ objects: 1, events: 1, errors: 4 });
    const errors = await db.all<{ key: string; reason: string; kind: string }>('SELECT key, reason, kind FROM ingest_errors ORDER BY key');
    const bomb = {
      reason: expect.stringMatching(/^it unpacks to more than 64 MB, over 100× its \d+(\.\d)? KB: .*gzip bomb\. Remove it from the source/),
      kind: 'too-big',
    };
    expect(errors).toEqual([
      { key: 'b-bomb.json.gz', ...bomb },
      { key: 'c-spaces.json.gz', ...bomb },
      { key: 'd-lying.json.gz', ...bomb },
      {
        key: 'e-other.json.gz',
        reason: expect.stringMatching(/^it is over 16 MB unpacked, and not in CloudTrail's layout .*split it into files/),
        kind: 'too-big',
      },
    ]);
    expect(Object.keys(Object.fromEntries(await storedRecords(db, ['big-200000'])))).toEqual(['big-200000']);
    expect(await ingest({ source: logs, db })).toMatchObject({ objects: 0, errors: 0, unreadable: 4, unchanged: 1 });
  } finally {
    db.close();
  }
}, 60_000);

test('a record of megabytes that DuckDB’s memory limit does not hold: recorded, the files after it stored, tried again after doubling waits', async () => {
  // In a day folder: a poll lists only its last days, and the file must still be tried once its day is no longer listed.
  const day = dayPrefix('111122223333', 'eu-west-1', '2026-11-20');
  const logs = writeFiles(path.join(dir, 'huge-record'), {
    [`${day}a-huge.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: [record(300_000, { responseElements: { document: 'y'.repeat(12 * 1024 * 1024) } })] })),
    [`${day}b-good.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: [record(300_001)] })),
  });
  const file = path.join(dir, 'huge-record.duckdb');
  const run = async (db: Database, now: string) => ingest({ source: logs, db, days: 1, now: new Date(now) });
  /** The file's error: its tries so far and how long it waits after its last failure, in minutes. */
  const error = async (db: Database) => {
    const rows = await db.all<{ reason: string; attempts: number; wait: bigint }>(
      `SELECT reason, attempts, (epoch_ms(retry_at) - epoch_ms(failed_at)) // 60000 AS wait FROM ingest_errors`
    );
    return rows.map((r) => ({ ...r, wait: Number(r.wait) }));
  };
  /** As if the wait were over: the next run tries it again. */
  const waitOver = (db: Database) => db.run(`UPDATE ingest_errors SET retry_at = failed_at - INTERVAL 1 SECOND`);
  let db = await Database.open(file, { memoryLimit: '128MB' });
  try {
    expect(await run(db, '2026-11-20T12:00:00Z')).toMatchObject({ objects: 1, events: 1, errors: 1 });
    const first = await error(db);
    expect(first).toEqual([{ reason: expect.stringMatching(/raise TRAILHOUND_MEMORY_LIMIT/), attempts: 1, wait: 5 }]);
    expect(first[0].reason.startsWith(OUT_OF_MEMORY)).toBe(true);
    const [listed] = (await new Reports(db).ingestErrors(10)).errors;
    expect(listed).toMatchObject({ kind: 'out-of-memory', retryAt: expect.stringMatching(/^2\d{3}-.*Z$/) });
    expect(Date.parse(listed.retryAt!) - Date.parse(listed.failedAt)).toBe(5 * 60_000);
    expect(first[0].reason).toContain(`the next try is after ${listed.retryAt}`);
    // The ingest query's table (the Ingestion dashboard's) says when too; the time range does not apply to it.
    const [table] = await new Reports(db).frames(resolveQuery({ queryType: 'ingest', ingestView: 'errors' }), { from: 0, to: 1 });
    expect(table.fields.find((f) => f.name === 'retry after')).toEqual({ name: 'retry after', type: 'time', values: [Date.parse(listed.retryAt!)] });
    // Not the file's fault, but not tried at every poll either: the next run, within the wait, leaves it.
    expect(await run(db, '2026-11-20T12:05:00Z')).toMatchObject({ objects: 0, errors: 0, unreadable: 0, waiting: 1, unchanged: 1 });
    expect(await error(db)).toEqual([{ ...first[0], reason: first[0].reason }]);
    // Its wait over, it is tried again, though its day is no longer listed (a poll days later), and waits twice as long.
    await waitOver(db);
    expect(await run(db, '2026-11-25T12:00:00Z')).toMatchObject({ objects: 0, errors: 1, waiting: 0 });
    expect(await error(db)).toEqual([{ reason: expect.stringContaining('failed 2 times with this memory limit'), attempts: 2, wait: 10 }]);
    await waitOver(db);
    await run(db, '2026-11-25T12:05:00Z');
    expect((await error(db))[0]).toMatchObject({ attempts: 3, wait: 20 });
    // Changed (another ETag), it is another file: tried at once, and its waits start again from the first.
    const huge = { responseElements: { document: 'z'.repeat(13 * 1024 * 1024) } };
    fs.writeFileSync(path.join(logs, `${day}a-huge.json.gz`), zlib.gzipSync(JSON.stringify({ Records: [record(300_000, huge)] })));
    expect(await run(db, '2026-11-20T12:30:00Z')).toMatchObject({ errors: 1, waiting: 0, unchanged: 1 });
    expect(await error(db)).toEqual([{ reason: expect.stringContaining('failed 1 time with this memory limit'), attempts: 1, wait: 5 }]);
  } finally {
    db.close();
  }
  // Restarted with more memory: tried at once, whatever its wait, and stored.
  db = await Database.open(file, { memoryLimit: '1GB' });
  try {
    expect(await run(db, '2026-11-25T12:10:00Z')).toMatchObject({ objects: 1, events: 1, errors: 0, waiting: 0 });
    expect(await error(db)).toEqual([]);
  } finally {
    db.close();
  }
}, 120_000);

test('a file that ran out of memory is retried as it is now: a rewrite is read and recorded as rewritten, a removed one is forgotten', async () => {
  const day = dayPrefix('111122223333', 'eu-west-1', '2026-11-20');
  const huge = (i: number) => zlib.gzipSync(JSON.stringify({ Records: [record(i, { responseElements: { document: 'y'.repeat(12 * 1024 * 1024) } })] }));
  const logs = writeFiles(path.join(dir, 'retried'), { [`${day}a.json.gz`]: huge(400_000), [`${day}b.json.gz`]: huge(400_001) });
  const db = await Database.open(path.join(dir, 'retried.duckdb'), { memoryLimit: '128MB' });
  const run = (now: string) => ingest({ source: logs, db, days: 1, now: new Date(now) });
  try {
    expect(await run('2026-11-20T12:00:00Z')).toMatchObject({ objects: 0, errors: 2 });
    // Before their next try (a poll days later, which no longer lists their day): a rewritten with records that fit, b removed.
    const a = path.join(logs, `${day}a.json.gz`);
    fs.writeFileSync(a, zlib.gzipSync(JSON.stringify({ Records: [record(400_002)] })));
    fs.rmSync(path.join(logs, `${day}b.json.gz`));
    await db.run(`UPDATE ingest_errors SET retry_at = failed_at - INTERVAL 1 SECOND`);
    expect(await run('2026-11-25T12:00:00Z')).toMatchObject({ objects: 1, events: 1, skipped: 1, errors: 0 });
    expect(await db.all(`SELECT key FROM ingest_errors`)).toEqual([]);
    // Its size and time as they are now stand in for its ETag: a run that lists its day finds it unchanged.
    const stat = fs.statSync(a);
    expect(await db.all(`SELECT etag, size FROM ingested_objects`)).toEqual([{ etag: `${stat.size}-${Math.trunc(stat.mtimeMs)}`, size: BigInt(stat.size) }]);
    expect(await run('2026-11-20T12:30:00Z')).toMatchObject({ objects: 0, unchanged: 1, errors: 0 });
  } finally {
    db.close();
  }
}, 120_000);
