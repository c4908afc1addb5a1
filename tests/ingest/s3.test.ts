// Ingestion from S3, against fauxqs (a real S3-compatible server) on loopback, through @aws-sdk/client-s3.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { startTestS3, type TestS3 } from '../support/s3';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, tempDir } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');
let s3: TestS3;
let dir: string;
let db: Database;
let n = 0;
const rec = (day: string, over: CloudTrailRecord = {}): CloudTrailRecord => ({
  eventTime: `${day}T08:00:00Z`, eventID: `s3-${++n}`, eventName: 'DescribeInstances', eventSource: 'ec2.amazonaws.com', awsRegion: 'us-east-1', ...over,
});
const run = (bucketUrl: string, days = 3) => ingest({ source: bucketUrl, db, days, now: NOW, s3Endpoint: s3.endpoint });
const count = async (sql: string) => Number((await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${sql}`))!.n);

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  dir = tempDir();
  db = await Database.open(path.join(dir, 'db.duckdb'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('discovers accounts (organization trails too) and regions, and reads only the window', async () => {
  await s3.createBucket('layout');
  const put = (prefix: string, name: string, records: CloudTrailRecord[]) => s3.put('layout', `logs/${prefix}${name}`, logFile(records));
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-20'), 'a.json.gz', [rec('2026-11-20'), rec('2026-11-20')]);
  await put(dayPrefix('111122223333', 'eu-west-3', '2026-11-19'), 'b.json.gz', [rec('2026-11-19')]);
  await put(dayPrefix('444455556666', 'ap-made-up-9', '2026-11-18', 'o-abcdef1234'), 'c.json.gz', [rec('2026-11-18')]);
  await put(dayPrefix('777788889999', 'us-east-1', '2026-11-20', 'o-abcdef1234'), 'd.json.gz', [rec('2026-11-20')]);
  // Outside the 3-day window (and one in the future): never listed.
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-17'), 'old.json.gz', [rec('2026-11-17')]);
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-21'), 'future.json.gz', [rec('2026-11-21')]);
  await s3.put('layout', 'logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/d.json.gz', zlib.gzipSync('{}'));
  // Outside the prefix: another trail's logs.
  await s3.put('layout', `other/${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}x.json.gz`, logFile([rec('2026-11-20')]));

  const summary = await run('s3://layout/logs');
  expect(summary).toMatchObject({ objects: 4, events: 5, errors: 0, source: 's3://layout/logs/' });
  const accounts = await db.all<{ k: string }>(`SELECT DISTINCT regexp_extract(object_key, '([0-9]{12})', 1) AS k FROM events ORDER BY 1`);
  expect(accounts.map((a) => a.k)).toEqual(['111122223333', '444455556666', '777788889999']);
});

test('pages past 1000 keys in one day prefix', async () => {
  await s3.createBucket('paging');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const keys = Array.from({ length: 1203 }, (_, i) => `${prefix}f${String(i).padStart(5, '0')}.json.gz`);
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((k) => s3.put('paging', k, logFile([rec('2026-11-20')]))));
  }
  expect(await run('s3://paging')).toMatchObject({ objects: 1203, events: 1203, errors: 0 });
  expect(await count('ingested_objects')).toBe(1203);
});

test('the ETag ledger: unchanged objects are skipped, a rewritten object is read again without duplicates', async () => {
  await s3.createBucket('ledger');
  const key = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}x.json.gz`;
  const first = [rec('2026-11-20'), rec('2026-11-20')];
  await s3.put('ledger', key, logFile(first));
  expect(await run('s3://ledger')).toMatchObject({ objects: 1, events: 2 });
  expect(await run('s3://ledger')).toMatchObject({ objects: 0, events: 0, unchanged: 1 });
  // The same key with new content (a new ETag): read again, only the new event stored.
  await s3.put('ledger', key, logFile([...first, rec('2026-11-20')]));
  expect(await run('s3://ledger')).toMatchObject({ objects: 1, events: 1, duplicates: 2 });
  expect(await count('events')).toBe(3);
  const etags = await db.all<{ etag: string }>(`SELECT etag FROM ingested_objects ORDER BY ingested_at`);
  expect(etags).toHaveLength(2);
  expect(etags[0].etag).not.toBe(etags[1].etag);
  expect(etags[0].etag).toMatch(/^[0-9a-f]{32}$/);
});

test('a bucket that does not exist is a clear error', async () => {
  await expect(run('s3://no-such-bucket')).rejects.toThrow(/no-such-bucket/);
});
