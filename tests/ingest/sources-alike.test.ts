// Two sources of the same bytes: one tree of log files (good, odd and broken, at random) ingested from a folder and from
// S3 (fauxqs on loopback) must make the same database: events, resources, unreadable files and their reasons, the
// ledger, and every record read back. Seeded: a failure names its seed and comes again.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Rng } from '../../src/generator/rng';
import { Database } from '../../src/service/db/database';
import { ingest, type IngestSummary } from '../../src/service/ingest';
import { BIG_FILE_BYTES } from '../../src/service/ingest/fileSizes';
import { startTestS3, type TestS3 } from '../support/s3';
import { logFile, stratusRecords, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, storedState, tempDir, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');

/** Files in the trail layout: most good, the others each a way a file can be odd or broken, and digests beside them. */
function logTree(rng: Rng): Record<string, Buffer | string> {
  const originals = stratusRecords().map((r) => r.record);
  // Ids drawn from a small pool: some records are duplicates, within a file and across files and sources' folders.
  const records = (): CloudTrailRecord[] =>
    Array.from({ length: rng.int(0, 30) }, () => ({
      ...rng.pick(originals), eventID: `e-${rng.int(0, 400)}`, eventTime: `2026-11-20T0${rng.int(0, 9)}:00:00Z`,
    }));
  const files: Record<string, Buffer | string> = {};
  for (let f = 0; f < 40; f++) {
    const day = dayPrefix(rng.pick(['111122223333', '444455556666']), rng.pick(['us-east-1', 'eu-west-1']), rng.pick(['2026-11-19', '2026-11-20']),
      rng.chance(0.3) ? 'o-abc123def4' : undefined);
    const name = `${day}f${f}`;
    const body = records();
    const odd: Array<() => void> = [
      () => (files[`${name}.json.gz`] = logFile(body).subarray(0, 30)),
      () => (files[`${name}.json.gz`] = 'not gzip at all'),
      () => (files[`${name}.json.gz`] = zlib.gzipSync('{"Records": [ {"eventID": ')),
      () => (files[`${name}.json.gz`] = zlib.gzipSync('{"Records": 3}')),
      () => (files[`${name}.json`] = JSON.stringify({ Records: body })),
      // Named for another encoding than their bytes.
      () => (files[`${name}.json`] = logFile(body)),
      () => (files[`${name}.json.gz`] = JSON.stringify({ Records: body })),
      // Not UTF-8 inside a string.
      () => {
        const start = `{"Records": [{"eventID": "bytes-${f}", "eventTime": "2026-11-20T01:00:00Z", "x": "`;
        files[`${name}.json.gz`] = zlib.gzipSync(Buffer.concat([Buffer.from(start), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}]}')]));
      },
      // Big: read record by record.
      () => (files[`${name}.json.gz`] = zlib.gzipSync(JSON.stringify({ Records: [...body, { eventID: `big-${f}`, eventTime: '2026-11-20T02:00:00Z',
        requestParameters: { pad: 'p'.repeat(BIG_FILE_BYTES) } }] }))),
      () => (files[`${day.replace('/CloudTrail/', '/CloudTrail-Digest/')}d${f}.json.gz`] = zlib.gzipSync('{"digestStartTime": "2026-11-20T00:00:00Z"}')),
    ];
    // Each odd kind once, then good files with an odd one now and then.
    if (f < odd.length) odd[f]();
    else if (rng.chance(0.2)) rng.pick(odd)();
    else files[`${name}.json.gz`] = logFile(body);
  }
  return files;
}

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.stop());
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each([1, 2])('seed %i: a tree of log files makes the same database from a folder as from S3', async (seed) => {
  const files = logTree(new Rng(seed));
  const logs = writeFiles(path.join(dir, 'logs'), files);
  const bucket = `alike-${seed}`;
  await s3.createBucket(bucket);
  for (const [key, body] of Object.entries(files)) await s3.put(bucket, key, body);

  const load = async (name: string, source: string): Promise<{ summary: IngestSummary; made: Awaited<ReturnType<typeof storedState>> }> => {
    const db = await Database.open(path.join(dir, `${name}.duckdb`));
    try {
      const summary = await ingest({ source, db, days: 3, now: NOW, s3Endpoint: s3.endpoint });
      return { summary, made: await storedState(db) };
    } finally {
      db.close();
    }
  };
  const folder = await load('folder', logs);
  const fromS3 = await load('s3', `s3://${bucket}`);

  const counts = ({ objects, events, duplicates, errors, rejected, unchanged }: IngestSummary) =>
    ({ objects, events, duplicates, errors, rejected, unchanged });
  expect(counts(fromS3.summary)).toEqual(counts(folder.summary));
  // Digests are counted where they are listed: a folder's walk finds them, S3's listings of CloudTrail/ never do.
  const digests = Object.keys(files).filter((key) => key.includes('/CloudTrail-Digest/')).length;
  expect([folder.summary.skipped, fromS3.summary.skipped]).toEqual([digests, 0]);
  expect(fromS3.made).toEqual(folder.made);
  // Not a comparison of nothing: events, duplicates and unreadable files of several kinds, a big file among the events.
  expect([folder.summary.events > 100, folder.summary.duplicates > 0, digests > 0]).toEqual([true, true, true]);
  expect(new Set(folder.made.errors.map((e) => e.kind))).toEqual(new Set(['bad-gzip', 'bad-json', 'no-records']));
  expect(folder.made.events.some((e) => e.event_id.startsWith('big-'))).toBe(true);
}, 60_000);
