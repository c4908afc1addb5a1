// Bad input loses nothing, tried at random: the real Stratus Red Team records with fields dropped, renamed or given
// values of the wrong type, broken strings and hostile text, seeded so that a failure names its seed and comes again.
// Every record is stored, found a duplicate, or kept aside; no file is lost; every stored event reads its record back.
import path from 'node:path';
import zlib from 'node:zlib';
import { Rng } from '../../src/generator/rng';
import { ingest } from '../../src/service/ingest';
import { BIG_FILE_BYTES } from '../../src/service/ingest/fileSizes';
import type { Database } from '../../src/service/db/database';
import { logFile, stratusRecords, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, storedRecords, withTempDatabase, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');
const TIME = '2026-11-20T08:00:00Z';

/** Values of the wrong type or shape, and text that has broken an ingestion before (see bad-input.test.ts). */
const ODD: unknown[] = [
  null, 0, -1, 1e308, 2 ** 53 + 1, true, false, '', '   ', '\u0000', '\u0007\u001b[31m', 'a\ud800b', '\udc00', '\udfff\ud83d', '\\ud800',
  'x'.repeat(20_000), [], {}, [1, 'a', null], { a: { b: [null, { c: '\u202e' }] } }, "'; DROP TABLE events; --", '%_*?[',
  '2026-11-20T08:00:00+02:00', '2026-13-45T99:99:99Z', 'arn:aws:iam::111122223333:user/', 'ec2.amazonaws.com', '999.1.1.1', '::1',
  { type: 'Root' }, 'NaN',
];
const FIELDS = ['eventID', 'eventTime', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userIdentity', 'errorCode', 'errorMessage',
  'resources', 'requestParameters', 'responseElements', 'readOnly', 'recipientAccountId', 'eventCategory', 'additionalEventData'];

/** An ODD value of its own: a record it goes into may be changed after. */
const odd = (rng: Rng) => structuredClone(rng.pick(ODD));

/** `value` with some of its fields (at any depth) dropped, renamed or replaced by ODD values; the original is left as it was. */
function mutated(rng: Rng, value: unknown): unknown {
  if (rng.chance(0.04)) return odd(rng);
  if (Array.isArray(value)) return value.map((item) => mutated(rng, item));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (rng.chance(0.03)) continue;
    copy[rng.chance(0.01) ? rng.pick(['', ' ', 'EventID', 'a.b', '$', '\u0000k', '__proto__']) : key] = mutated(rng, item);
  }
  return copy;
}

function mutatedRecord(rng: Rng, original: CloudTrailRecord, n: number): unknown {
  // Most keep a time in the window and an id of their own, so that most are stored; the rest are whatever came.
  const record = mutated(rng, { ...original, eventID: `${original.eventID}-${n}`, eventTime: TIME });
  if (record !== null && typeof record === 'object' && !Array.isArray(record) && rng.chance(0.15)) {
    (record as Record<string, unknown>)[rng.pick(FIELDS)] = odd(rng);
  }
  return record;
}

test.each([1, 2, 3])('seed %i: every mutated record is stored, a duplicate or kept aside, no file is lost, and each event reads back', (seed) =>
  withTempDatabase(async (dir, db) => {
    const rng = new Rng(seed);
    const originals = stratusRecords().map((r) => r.record);
    const files: Record<string, Buffer> = {};
    let records = 0;
    let n = 0;
    for (let f = 0; f < 25; f++) {
      const body = Array.from({ length: rng.int(1, 40) }, () => mutatedRecord(rng, rng.pick(originals), n++));
      records += body.length;
      files[`${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}f${f}.json.gz`] = logFile(body as CloudTrailRecord[]);
    }
    writeFiles(path.join(dir, 'logs'), files);
    const run = () => ingest({ source: path.join(dir, 'logs'), db, days: 2, now: NOW });

    const summary = await run();
    expect(summary).toMatchObject({ objects: 25, errors: 0 });
    expect(summary.events + summary.duplicates + summary.rejected).toBe(records);
    expect(await db.all('SELECT key, reason FROM ingest_errors')).toEqual([]);
    // Every stored event has what each report groups by: a name for each dimension, never NULL or blank.
    const incomplete = await db.all(
      `SELECT event_id FROM events WHERE event_time IS NULL OR trim(user_name) = '' OR user_name IS NULL OR service IS NULL OR region IS NULL
         OR account IS NULL OR identity_type IS NULL OR source_ip IS NULL OR event_name IS NULL OR is_error IS NULL OR read_only IS NULL`
    );
    expect(incomplete).toEqual([]);
    expect(await db.all('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: summary.events }]);
    // Each id reads its record back. Not one per row: records that share an id but not a time (a mutated eventTime)
    // are not one delivery twice, and each is stored (DESIGN, Dedupe across runs).
    const ids = (await db.all<{ id: string }>('SELECT DISTINCT event_id AS id FROM events')).map((r) => r.id);
    expect((await storedRecords(db, ids)).size).toBe(ids.length);
    // Run again: nothing is read twice.
    expect(await run()).toMatchObject({ objects: 0, events: 0, errors: 0, unchanged: 25 });
  }));

/** A record's JSON with, at times, what JSON.stringify never writes but DuckDB reads: a key twice, NaN, a comma before `}`. */
function rawRecord(rng: Rng, record: unknown): string {
  let text = JSON.stringify(record);
  if (record === null || typeof record !== 'object' || Array.isArray(record) || text === '{}') return text;
  if (rng.chance(0.1)) text = `{"eventID": "first-of-two", ${text.slice(1)}`;
  if (rng.chance(0.05)) text = `${text.slice(0, -1)}, "awsRegion": NaN}`;
  if (rng.chance(0.05)) text = `${text.slice(0, -1)},}`;
  return text;
}

/** What ingestion made of the records of a file: each event's columns (where in its file aside), each record set aside, each record read back. */
async function stored(db: Database) {
  const events = await db.all(`SELECT * EXCLUDE (object_key, record_index, arrived_at) FROM events WHERE NOT starts_with(event_id, 'filler-') ORDER BY ALL`);
  const ids = (events as Array<{ event_id: string }>).map((e) => e.event_id);
  const kept = await db.all(`SELECT reason, record::VARCHAR AS record FROM rejected_records ORDER BY ALL`);
  return { events, kept, records: Object.fromEntries(await storedRecords(db, ids)) };
}

// A file over BIG_FILE_BYTES is staged and read record by record (recordsArray.ts), a small one whole: two ways through
// DuckDB's reader for the same bytes, which must agree on every record, odd ones most of all.
test('odd records are stored alike from a small file, read whole, and from a big one, read record by record', async () => {
  const rng = new Rng(7);
  const originals = stratusRecords().map((r) => r.record);
  const odd = Array.from({ length: 300 }, (_, n) => rawRecord(rng, mutatedRecord(rng, rng.pick(originals), n)));
  // Plain records after them make the big file big; they are left out of the comparison.
  const filler = Array.from({ length: Math.ceil(BIG_FILE_BYTES / 10_000) }, (_, i) =>
    JSON.stringify({ ...originals[0], eventID: `filler-${i}`, eventTime: TIME, requestParameters: { pad: 'p'.repeat(10_000) } }));
  const load = (records: string[]) =>
    withTempDatabase(async (dir, db) => {
      const body = `{"Records": [${records.join(',')}]}`;
      const logs = writeFiles(path.join(dir, 'logs'), { [`${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}f.json.gz`]: zlib.gzipSync(body) });
      const summary = await ingest({ source: logs, db, days: 2, now: NOW });
      return { size: Buffer.byteLength(body), summary, ...(await stored(db)) };
    });
  const small = await load(odd);
  const big = await load([...odd, ...filler]);
  expect([small.size <= BIG_FILE_BYTES, big.size > BIG_FILE_BYTES]).toEqual([true, true]);
  expect(big.summary).toMatchObject({ events: small.summary.events + filler.length, duplicates: small.summary.duplicates, rejected: small.summary.rejected });
  // Not a comparison of nothing: most are stored, some set aside, some duplicates (a key given twice names one id).
  expect([small.events.length > 150, small.kept.length > 10, small.summary.duplicates > 5]).toEqual([true, true, true]);
  expect(Object.keys(small.records)).toHaveLength(new Set((small.events as Array<{ event_id: string }>).map((e) => e.event_id)).size);
  expect(big.events).toEqual(small.events);
  expect(big.kept).toEqual(small.kept);
  expect(big.records).toEqual(small.records);
});
