// Ingestion from S3, against fauxqs (a real S3-compatible server) on loopback, through @aws-sdk/client-s3.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { COMPLETED_RUN, ingest, type IngestProgress } from '../../src/service/ingest';
import type { KindedError } from '../../src/service/errorKind';
import { BatchLoader } from '../../src/service/ingest/loader';
import { dayWindow, parseKey } from '../../src/service/ingest/keys';
import { BucketRegions, parseS3Url, S3Source, type ThrottleWaits } from '../../src/service/ingest/sources/s3';
import { Reports } from '../../src/service/reports';
import { daysWithin, prune, retentionCutoff } from '../../src/service/ingest/retention';
import { isGetObject, proxyS3, startTestS3, type ProxyHook, type TestS3 } from '../support/s3';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, rowCount, storedRecords, tempDir } from '../support/temp';
import { asAws, awsOnLoopback, withConfigFile } from '../support/aws-config';
import { hungServer, refusedUrl } from '../support/net';
import { runCli } from '../support/cli';
import { memoryLogger, waitFor } from '../support/watch';
import { startService, type Service } from '../../src/service/service';
import { buildApi } from '../../src/service/api/server';
import type { IngestStatus } from '../../src/model/api';

const NOW = new Date('2026-11-20T12:00:00Z');
let s3: TestS3;
let dir: string;
let db: Database;
let n = 0;
const rec = (day: string, over: CloudTrailRecord = {}): CloudTrailRecord => ({
  eventTime: `${day}T08:00:00Z`, eventID: `s3-${++n}`, eventName: 'DescribeInstances', eventSource: 'ec2.amazonaws.com', awsRegion: 'us-east-1', ...over,
});
const run = (bucketUrl: string, days = 3, retentionDays?: number) => ingest({ source: bucketUrl, db, days, now: NOW, s3Endpoint: s3.endpoint, retentionDays });
const count = (from: string) => rowCount(db, from);

/** As if every recorded file's wait were over (a denied download's, one that ran out of memory): the next run tries them. */
const waitsOver = () => db.run(`UPDATE ingest_errors SET retry_at = failed_at - INTERVAL 1 SECOND`);

/** A proxy in front of the test server; `hook` answers a request itself when it returns true. */
const proxyTo = (hook: ProxyHook) => proxyS3(s3, hook);

/**
 * A proxy that denies the GetObjects of the keys `denied` picks (all by default) as S3 does, in AWS's `message`, and
 * counts them: each would be an AccessDenied event in the bucket owner's CloudTrail.
 */
async function denyingProxy(message = 'Access Denied', denied: (key: string) => boolean = () => true) {
  let denials = 0;
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req) || !denied(decodeURIComponent(req.url!))) return false;
    denials++;
    // With the request ids S3 gives every answer, which the SDK reads into the error's $metadata.
    res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': `DENIED${denials}`, 'x-amz-id-2': `host-id-${denials}` })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`);
    return true;
  });
  return { ...proxy, denials: () => denials };
}

/**
 * S3's answer to a listing that asks for encoding-type=url, which fauxqs ignores (so a stand-in for what cannot run
 * here): each Key and Prefix percent-encoded, a space as "+", and EncodingType echoed. fauxqs writes a key's characters
 * into its XML as they are, as S3 does when the encoding is not asked for.
 */
async function urlEncodingProxy() {
  const unescaped = (xml: string) =>
    xml.replace(/&(#x?[0-9a-fA-F]+|amp|lt|gt|quot|apos);/g, (_m, ref: string) =>
      ref.startsWith('#') ? String.fromCodePoint(Number(ref.startsWith('#x') ? `0x${ref.slice(2)}` : ref.slice(1)))
        : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[ref]);
  const encoded = (key: string) => encodeURIComponent(key).replace(/%20/g, '+');
  return proxyTo((req, res) => {
    const url = new URL(req.url!, 'http://s3');
    if (req.method !== 'GET' || url.searchParams.get('list-type') !== '2' || url.searchParams.get('encoding-type') !== 'url') return false;
    void (async () => {
      const answer = await fetch(`${s3.endpoint}${req.url}`);
      const xml = (await answer.text())
        .replace(/<(Key|Prefix)>([^<]*)<\/\1>/g, (_m, tag: string, text: string) => `<${tag}>${encoded(unescaped(text))}</${tag}>`)
        .replace('</ListBucketResult>', '<EncodingType>url</EncodingType></ListBucketResult>');
      res.writeHead(answer.status, { 'content-type': 'application/xml' }).end(xml);
    })();
    return true;
  });
}

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

test("a server's listing that gives one continuation token twice fails the run in words: it listed the same page for ever", async () => {
  await s3.createBucket('looping');
  const day = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('looping', `${day}a.json.gz`, logFile([rec('2026-11-20')]));
  // A day's listing (no delimiter) answered as a server with that bug answers it: truncated, the same page and token
  // each time. (fauxqs has no such bug: a stand-in for one that does.)
  let dayListings = 0;
  const proxy = await proxyTo((req, res) => {
    const url = new URL(req.url!, 'http://s3');
    if (url.searchParams.get('list-type') !== '2' || url.searchParams.has('delimiter')) return false;
    dayListings++;
    res.writeHead(200, { 'content-type': 'application/xml' }).end(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>looping</Name><KeyCount>1</KeyCount><IsTruncated>true</IsTruncated>' +
        `<Contents><Key>${day}a.json.gz</Key><ETag>"e1"</ETag><Size>10</Size></Contents><NextContinuationToken>again</NextContinuationToken></ListBucketResult>`
    );
    return true;
  });
  try {
    await expect(ingest({ source: 's3://looping', db, days: 1, now: NOW, s3Endpoint: proxy.url })).rejects.toThrow(
      `the listing of s3://looping/${day} gave one continuation token twice: not as S3 does`
    );
    expect(dayListings).toBe(2);
  } finally {
    await proxy.close();
  }
});

test("a server's listing cut short without a token for the rest fails the run in words: the keys after it are not missed unsaid", async () => {
  await s3.createBucket('cut-short');
  const day = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('cut-short', `${day}a.json.gz`, logFile([rec('2026-11-20')]));
  // A stand-in for a server with that bug (fauxqs has none): truncated, and no NextContinuationToken.
  const proxy = await proxyTo((req, res) => {
    const url = new URL(req.url!, 'http://s3');
    if (url.searchParams.get('list-type') !== '2' || url.searchParams.has('delimiter')) return false;
    res.writeHead(200, { 'content-type': 'application/xml' }).end(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>cut-short</Name><KeyCount>1</KeyCount><IsTruncated>true</IsTruncated>' +
        `<Contents><Key>${day}a.json.gz</Key><ETag>"e1"</ETag><Size>10</Size></Contents></ListBucketResult>`
    );
    return true;
  });
  try {
    await expect(ingest({ source: 's3://cut-short', db, days: 1, now: NOW, s3Endpoint: proxy.url })).rejects.toThrow(
      `the listing of s3://cut-short/${day} was cut short (IsTruncated) without a continuation token for the rest: not as S3 does`
    );
  } finally {
    await proxy.close();
  }
});

test("an object whose key says another encoding than its bytes (a gzip under .json, plain JSON under .json.gz) is read by its bytes", async () => {
  await s3.createBucket('renamed');
  const day = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const packed = [rec('2026-11-20')];
  const plain = [rec('2026-11-20'), rec('2026-11-20')];
  await s3.put('renamed', `${day}packed.json`, logFile(packed));
  await s3.put('renamed', `${day}plain.json.gz`, Buffer.from(JSON.stringify({ Records: plain })));
  expect(await run('s3://renamed')).toMatchObject({ objects: 2, events: 3, errors: 0 });
  const read = await storedRecords(db, [...packed, ...plain].map((r) => r.eventID as string));
  expect([...read.values()]).toEqual(expect.arrayContaining([...packed, ...plain]));
  expect(read.size).toBe(3);
});

test('keys XML cannot hold (a carriage return) are listed URL-encoded, as S3 advises, and each file is read by its own key', async () => {
  await s3.createBucket('odd-keys');
  const day = `logs/${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}`;
  // In S3's XML a carriage return is read as a line feed: that key then downloads as one that does not exist.
  const names = ['a\rb.json.gz', 'c\r\nd.json.gz', 'e f+g.json.gz', 'h&<i>%20.json.gz', 'tab\tj.json.gz'];
  for (const name of names) await s3.put('odd-keys', `${day}${name}`, logFile([rec('2026-11-20')]));
  const proxy = await urlEncodingProxy();
  try {
    const summary = await ingest({ source: 's3://odd-keys/logs', db, days: 3, now: NOW, s3Endpoint: proxy.url });
    expect(summary).toMatchObject({ objects: 5, events: 5, errors: 0 });
    const keys = (await db.all<{ key: string }>('SELECT key FROM ingested_objects ORDER BY key')).map((r) => r.key);
    expect(keys).toEqual(names.map((name) => `${day}${name}`).sort());
  } finally {
    await proxy.close();
  }
  // Without the encoding (fauxqs alone ignores it) each key with a carriage return is listed as another key, which is
  // not there: passed over as deleted since the listing, its events never read. So it was with S3 before.
  expect(await run('s3://odd-keys/logs')).toMatchObject({ objects: 0, unchanged: 3, skipped: 2, errors: 0 });
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

test('under a retention, the ledger forgets the day folders before the cutoff (prefix and organization paths) and no run reads them again', async () => {
  await s3.createBucket('retention');
  const days = ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'];
  for (const day of days) {
    await s3.put('retention', `trail/${dayPrefix('111122223333', 'us-east-1', day)}a.json.gz`, logFile([rec(day)]));
    await s3.put('retention', `trail/${dayPrefix('444455556666', 'eu-west-1', day, 'o-abcdef1234')}b.json.gz`, logFile([rec(day)]));
  }
  expect(await run('s3://retention/trail', days.length)).toMatchObject({ objects: 14, events: 14 });
  const { firstDay } = retentionCutoff(2, NOW);
  expect(firstDay).toBe('2026-11-18');

  const summary = await prune(db, 2, NOW);

  // Four days of two files each: every one of their ledger rows, whichever account path, is gone.
  expect(summary.ledgerRows).toBe(8);
  const ledger = (await db.all<{ key: string }>('SELECT key FROM ingested_objects ORDER BY key')).map((r) => r.key);
  expect(ledger).toHaveLength(6);
  expect(ledger.every((key) => key.startsWith('trail/AWSLogs/') && parseKey(key).day! >= firstDay)).toBe(true);
  // The next run under the retention lists the kept days only, and reads none of their files again.
  expect(await run('s3://retention/trail', daysWithin(2), 2)).toMatchObject({ window: { from: firstDay }, objects: 0, events: 0, unchanged: 6 });
  expect(await prune(db, 2, NOW)).toMatchObject({ events: 0, logFiles: 0, ledgerRows: 0 });
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

test("a server whose listings give no ETags: a file read once is not downloaded again at every poll", async () => {
  await s3.createBucket('no-etags');
  const day = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('no-etags', `${day}a.json.gz`, logFile([rec('2026-11-20'), rec('2026-11-20')]));
  // A stand-in for such a server (fauxqs, as S3, lists ETags): its day listings without them; downloads give theirs.
  let downloads = 0;
  let stripped = 0;
  const target = new URL(s3.endpoint);
  const proxy = await proxyTo((req, res) => {
    if (isGetObject(req)) downloads++;
    const url = new URL(req.url!, 'http://s3');
    if (url.searchParams.get('list-type') !== '2' || url.searchParams.has('delimiter')) return false;
    http.get({ host: target.hostname, port: target.port, path: req.url, headers: req.headers }, async (up) => {
      let xml = '';
      for await (const chunk of up) xml += chunk;
      const without = xml.replace(/<ETag>[^<]*<\/ETag>/g, '');
      if (without !== xml) stripped++;
      res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/xml' }).end(without);
    });
    return true;
  });
  try {
    const poll = () => ingest({ source: 's3://no-etags', db, days: 1, now: NOW, s3Endpoint: proxy.url });
    expect(await poll()).toMatchObject({ objects: 1, events: 2, errors: 0 });
    // The ledger holds the download's ETag, as it always did; the listings give none.
    expect(await db.all(`SELECT key, etag FROM ingested_objects`)).toEqual([{ key: `${day}a.json.gz`, etag: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(await poll()).toMatchObject({ objects: 0, events: 0, duplicates: 0, unchanged: 1 });
    expect([downloads, stripped]).toEqual([1, 2]);
    expect(await count('ingested_objects')).toBe(1);
  } finally {
    await proxy.close();
  }
});

test('a rewritten object in another order: every event still reads back its own original record', async () => {
  await s3.createBucket('reorder');
  const key = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}x.json.gz`;
  const [r1, r2, r3] = [rec('2026-11-20'), rec('2026-11-20'), rec('2026-11-20')];
  await s3.put('reorder', key, logFile([r1, r2]));
  expect(await run('s3://reorder')).toMatchObject({ objects: 1, events: 2 });
  // The new version leads with a new event: r1's and r2's places are not what they were.
  await s3.put('reorder', key, logFile([r3, r1]));
  expect(await run('s3://reorder')).toMatchObject({ objects: 1, events: 1, duplicates: 1 });
  expect(Object.fromEntries(await storedRecords(db))).toEqual({ [r1.eventID]: r1, [r2.eventID]: r2, [r3.eventID]: r3 });
  // Both versions are kept: the first under its key, the rewrite beside it.
  const kept = await db.all<{ key: string }>(`SELECT key FROM log_objects ORDER BY key`);
  expect(kept.map((k) => k.key)).toEqual([key, expect.stringMatching(new RegExp(`^${key.replace(/\./g, '\\.')}#[0-9a-f]{32}$`))]);
});

test('a bucket that does not exist is a clear error, recorded once however often it is tried', async () => {
  await expect(run('s3://no-such-bucket')).rejects.toThrow(/no-such-bucket/);
  await expect(run('s3://no-such-bucket')).rejects.toThrow(/no-such-bucket/);
  expect(await db.all('SELECT source, error IS NOT NULL AS failed FROM ingest_runs')).toEqual([{ source: 's3://no-such-bucket/', failed: true }]);
});

test('an S3 endpoint that does not answer says which one and what to check', async () => {
  const url = await refusedUrl();
  await expect(ingest({ source: 's3://logs', db, days: 1, now: NOW, s3Endpoint: url })).rejects.toThrow(
    new RegExp(`^cannot reach the S3 endpoint ${url} \\(ECONNREFUSED, .*\\): check --s3-endpoint \\(or TRAILHOUND_S3_ENDPOINT\\) and that the server runs$`)
  );
});

test('an S3 endpoint that takes connections and never answers is unreachable too, named, with what to check', async () => {
  // A server that hangs (or a firewall's dead end): the SDK's socket timeout, a TimeoutError without a system code.
  const hung = await hungServer();
  const { url } = hung;
  try {
    const run = ingest({ source: 's3://logs', db, days: 1, now: NOW, s3Endpoint: url, s3IdleTimeoutMs: 200 });
    const err = await run.then(() => undefined, (e: unknown) => e as Error & { kind?: string });
    expect(err?.message).toBe(
      `cannot reach the S3 endpoint ${url} (ETIMEDOUT, the request socket timed out after 200 ms of inactivity): ` +
        'check --s3-endpoint (or TRAILHOUND_S3_ENDPOINT) and that the server runs'
    );
    expect(err?.kind).toBe('unreachable');
  } finally {
    await hung.close();
  }
}, 30_000);

test('a listing that gets no answer fails after the answer timeout, not three idle timeouts; a download slower than that to start is not cut', async () => {
  const hung = await hungServer();
  const { url } = hung;
  // The idle timeout as it ships (60 s, 3 tries: 3 minutes before the run failed); only the answer timeout shortened.
  const source = new S3Source(parseS3Url('s3://logs'), { endpoint: url, answerTimeoutMs: 300 });
  const started = Date.now();
  try {
    const err = await source.plan(dayWindow({ days: 1, now: NOW })).then(() => undefined, (e: unknown) => e as Error & { kind?: string });
    expect(err?.message).toBe(
      `cannot reach the S3 endpoint ${url} (ETIMEDOUT, no answer within 300 ms): check --s3-endpoint (or TRAILHOUND_S3_ENDPOINT) and that the server runs`
    );
    expect(err?.kind).toBe('unreachable');
    // Three tries of 300 ms, with the SDK's backoff between them.
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    source.close();
    await hung.close();
  }

  // A download whose answer starts later than a listing's may: its wait is the idle timeout's.
  await s3.createBucket('slowstart');
  const body = logFile([rec('2026-11-20')]);
  await s3.put('slowstart', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, body);
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    setTimeout(() => res.writeHead(200, { 'content-length': String(body.length), etag: '"slow"' }).end(body), 800);
    return true;
  });
  const slow = new S3Source(parseS3Url('s3://slowstart'), { endpoint: proxy.url, answerTimeoutMs: 300 });
  try {
    const [unit] = await slow.plan(dayWindow({ days: 1, now: NOW }));
    const [ref] = await slow.list(unit);
    const fetched = await slow.fetch(ref);
    expect(fetched).toMatchObject({ etag: 'slow', size: body.length });
    fetched.release();
  } finally {
    slow.close();
    await proxy.close();
  }
}, 30_000);

test('an --s3-endpoint that answers, but not as S3 does (another server at that address), says so, not the SDK\'s "UnknownError"', async () => {
  // An empty 404 (the SDK's "UnknownError"), and a web page (its "XML parse error … inspect the hidden field {error}.$response").
  for (const [status, body] of [[404, ''], [200, '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>Grafana</body></html>']] as const) {
    const other = http.createServer((req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(body));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
    try {
      await expect(ingest({ source: 's3://logs', db, days: 1, now: NOW, s3Endpoint: url })).rejects.toThrow(
        `the S3 endpoint ${url} answered HTTP ${status}, but not as S3 does: ` +
          'check that --s3-endpoint (or TRAILHOUND_S3_ENDPOINT) is the address of the S3-compatible server'
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  }
});

test('a --source that names the wrong place says where it looked and what to give instead', async () => {
  await s3.createBucket('misnamed');
  await s3.put('misnamed', `trail/${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  await expect(run('s3://misnamed/trial')).rejects.toThrow(
    "no CloudTrail logs under s3://misnamed/trial/AWSLogs/: check --source, the bucket and the trail's S3 key prefix"
  );
  // An account's folder is a source (below), but one that is not there has nothing to list.
  await expect(run('s3://misnamed/trail/AWSLogs/999999999999')).rejects.toThrow(
    'no CloudTrail logs under s3://misnamed/trail/AWSLogs/999999999999/CloudTrail/: check --source, the bucket, ' +
      "the trail's S3 key prefix and the folder below AWSLogs/ (an organization, account, CloudTrail/ or region folder, as the trail writes them)"
  );
  await expect(run('s3://misnamed/trail/AWSLogs/111122223333/CloudTrail/eu-west-1')).rejects.toThrow(
    'no CloudTrail logs under s3://misnamed/trail/AWSLogs/111122223333/CloudTrail/eu-west-1/: check --source'
  );
  // Inside the layout, but no folder discovery can start at: where it could.
  await expect(run('s3://misnamed/trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11')).rejects.toThrow(
    "s3://misnamed/trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11 is inside CloudTrail's layout, but not a folder a source can start at: " +
      "give the trail's prefix (s3://bucket/prefix, without AWSLogs/), or its organization, account, CloudTrail/ or region folder, " +
      'e.g. s3://misnamed/trail/AWSLogs/111122223333/CloudTrail/us-east-1/'
  );
  await expect(run('s3://misnamed/trail/AWSLogs/notes')).rejects.toThrow(/not a folder a source can start at: .*, e\.g\. s3:\/\/misnamed\/trail\/$/);
  expect(await run('s3://misnamed/trail')).toMatchObject({ objects: 1, events: 1, errors: 0 });
});

/**
 * A proxy that grants what an IAM policy with s3:prefix "<granted>*" grants: listings and downloads under `granted`
 * only (HeadBucket, which has no prefix, is denied as well). Every listing's prefix is kept in `listed`.
 */
async function grantedOnly(granted: { prefix: string }, listed: string[]) {
  const denied = (res: http.ServerResponse) => {
    res.writeHead(403, { 'content-type': 'application/xml' })
      .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    return true;
  };
  return proxyTo((req, res) => {
    const url = new URL(req.url!, 'http://s3');
    // "/bucket/" (the SDK's HeadBucket) gives a key of [''].
    const [, , ...key] = url.pathname.split('/');
    if (req.method === 'HEAD' && key.join('/') === '') return denied(res);
    if (url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      listed.push(prefix);
      return prefix.startsWith(granted.prefix) ? false : denied(res);
    }
    return decodeURIComponent(key.join('/')).startsWith(granted.prefix) ? false : denied(res);
  });
}

test("a source at an organization, account, CloudTrail/ or region folder lists only below it; its files have one ledger row with the trail's", async () => {
  await s3.createBucket('scoped');
  const put = (prefix: string, name: string, records: CloudTrailRecord[]) => s3.put('scoped', `trail/${prefix}${name}`, logFile(records));
  const org = 'o-abcdef1234';
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-20', org), 'a.json.gz', [rec('2026-11-20'), rec('2026-11-20')]);
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-19', org), 'b.json.gz', [rec('2026-11-19')]);
  await put(dayPrefix('111122223333', 'eu-west-1', '2026-11-18', org), 'c.json.gz', [rec('2026-11-18')]);
  // Outside the 3-day window: its account's folder as the source does not widen the window.
  await put(dayPrefix('111122223333', 'us-east-1', '2026-11-17', org), 'old.json.gz', [rec('2026-11-17')]);
  await put(dayPrefix('444455556666', 'us-east-1', '2026-11-20', org), 'd.json.gz', [rec('2026-11-20')]);
  await put(dayPrefix('444455556666', 'eu-west-1', '2026-11-20', org), 'e.json.gz', [rec('2026-11-20')]);
  await put(dayPrefix('777788889999', 'us-east-1', '2026-11-20'), 'f.json.gz', [rec('2026-11-20')]);

  const granted = { prefix: '' };
  const listed: string[] = [];
  const proxy = await grantedOnly(granted, listed);
  const from = async (folder: string, grant = folder) => {
    granted.prefix = `trail/${grant}`;
    listed.length = 0;
    return ingest({ source: `s3://scoped/trail/${folder}`, db, days: 3, now: NOW, s3Endpoint: proxy.url });
  };
  try {
    // One member account, as its reader is granted it: its regions are found below its folder, nothing above is listed.
    const account = `AWSLogs/${org}/111122223333/`;
    expect(await from(account)).toMatchObject({ source: `s3://scoped/trail/${account}`, objects: 3, events: 4, errors: 0, unchanged: 0 });
    expect(listed[0]).toBe(`trail/${account}CloudTrail/`);
    expect(listed.every((prefix) => prefix.startsWith(`trail/${account}`))).toBe(true);
    // The same account's CloudTrail/ folder: the same files, already read.
    expect(await from(`${account}CloudTrail/`)).toMatchObject({ objects: 0, unchanged: 3 });
    // One region of another account.
    const region = `AWSLogs/${org}/444455556666/CloudTrail/eu-west-1/`;
    expect(await from(region)).toMatchObject({ objects: 1, events: 1, unchanged: 0 });
    expect(listed[0]).toBe(`trail/${region}`);
    // The organization's folder: its accounts found there, the files read above not read again.
    expect(await from(`AWSLogs/${org}/`)).toMatchObject({ objects: 1, events: 1, unchanged: 4, duplicates: 0 });
    expect(listed[0]).toBe(`trail/AWSLogs/${org}/`);
    // The whole trail: only the account outside the organization is new. Nothing was read twice.
    expect(await from('', '')).toMatchObject({ source: 's3://scoped/trail/', objects: 1, events: 1, unchanged: 5, duplicates: 0 });
    expect(listed[0]).toBe('trail/AWSLogs/');
    expect(await count('events')).toBe(7);
    expect(await db.all('SELECT DISTINCT source FROM ingested_objects')).toEqual([{ source: 's3://scoped/trail/' }]);
    expect(await count('ingested_objects')).toBe(6);
    // And back to an account's folder: nothing new.
    expect(await from(account)).toMatchObject({ objects: 0, unchanged: 3 });
    // Its runs are its own, named as given.
    const runs = await db.all<{ source: string }>('SELECT DISTINCT source FROM ingest_runs ORDER BY source');
    expect(runs.map((r) => r.source)).toEqual([
      's3://scoped/trail/',
      `s3://scoped/trail/AWSLogs/${org}/`,
      `s3://scoped/trail/${account}`,
      `s3://scoped/trail/${account}CloudTrail/`,
      `s3://scoped/trail/${region}`,
    ]);
  } finally {
    await proxy.close();
  }
});

test("a source at an account's folder retries its own failed downloads, not another account's it may not read", async () => {
  await s3.createBucket('retries');
  const mine = `AWSLogs/111122223333/`;
  await s3.put('retries', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('retries', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}b.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('retries', `${dayPrefix('444455556666', 'us-east-1', '2026-11-20')}c.json.gz`, logFile([rec('2026-11-20')]));
  const failing = new Set(['b.json.gz', 'c.json.gz']);
  const gets: string[] = [];
  const granted = { prefix: '' };
  const listed: string[] = [];
  const grant = await grantedOnly(granted, listed);
  // Downloads of `failing` break off (a network error, retried by key by the next run); the rest go to the grant.
  const proxy = await proxyS3({ endpoint: grant.url }, (req, res) => {
    if (!isGetObject(req)) return false;
    const name = new URL(req.url!, 'http://s3').pathname.split('/').pop()!;
    gets.push(name);
    if (!failing.has(name)) return false;
    res.destroy();
    return true;
  });
  const from = (source: string) => ingest({ source, db, days: 1, now: NOW, s3Endpoint: proxy.url });
  try {
    expect(await from('s3://retries')).toMatchObject({ objects: 1, errors: 2 });
    failing.clear();
    gets.length = 0;
    granted.prefix = mine;
    // b.json.gz is this account's (listed again, and read); c.json.gz is not, and is not asked for.
    expect(await from(`s3://retries/${mine}`)).toMatchObject({ objects: 1, errors: 0, unchanged: 1 });
    expect(gets).toEqual(['b.json.gz']);
    granted.prefix = '';
    expect(await from('s3://retries')).toMatchObject({ objects: 1, errors: 0, unchanged: 2 });
    expect(await count('ingest_errors')).toBe(0);
  } finally {
    await proxy.close();
    await grant.close();
  }
});

test('objects in a day folder that are not log files are skipped, not read and failed on every poll', async () => {
  await s3.createBucket('litter');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('litter', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('litter', `${prefix}notes.txt`, 'a note someone left');
  await s3.put('litter', `${prefix}a.json.gz.sig`, 'signature');
  expect(await run('s3://litter')).toMatchObject({ objects: 1, events: 1, skipped: 2, errors: 0 });
  expect(await count('ingest_errors')).toBe(0);
});

test('downloads that fail are recorded and tried again; a run where every download failed is a failed run', async () => {
  await s3.createBucket('flaky');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('flaky', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('flaky', `${prefix}b.json.gz`, logFile([rec('2026-11-20')]));
  // In front of the real server, a proxy that lists but refuses every GetObject, as S3 does for credentials without
  // s3:GetObject (or kms:Decrypt on an encrypted trail).
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    res.writeHead(403, { 'content-type': 'application/xml' })
      .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    return true;
  });
  try {
    const denied = ingest({ source: 's3://flaky', db, days: 3, now: NOW, s3Endpoint: proxy.url });
    await expect(denied).rejects.toThrow(/^none of the 2 log files could be downloaded, e\.g\. Access to s3:\/\/flaky was denied: .*s3:GetObject.*kms:Decrypt/);
  } finally {
    await proxy.close();
  }
  const errors = await db.all<{ key: string; reason: string }>(`SELECT key, reason FROM ingest_errors ORDER BY key`);
  expect(errors.map((e) => [path.basename(e.key), e.reason.startsWith('download failed: Access to s3://flaky was denied')])).toEqual([
    ['a.json.gz', true],
    ['b.json.gz', true],
  ]);
  const runRow = await db.one<{ error: string }>(`SELECT error FROM ingest_runs ORDER BY started_at DESC LIMIT 1`);
  expect(runRow!.error).toMatch(/none of the 2 log files could be downloaded/);
  // Not in the ledger: the next run once their waits are over (a denial waits: see below) fetches them, even when its
  // window no longer lists their day (a poll five days later reads only its last days), and their errors are cleared.
  await waitsOver();
  const later = await ingest({ source: 's3://flaky', db, days: 2, now: new Date('2026-11-25T12:00:00Z'), s3Endpoint: s3.endpoint });
  expect(later).toMatchObject({ objects: 2, events: 2, errors: 0 });
  expect(await count('ingest_errors')).toBe(0);
  const sizes = await db.all<{ size: bigint }>(`SELECT size FROM ingested_objects`);
  expect(sizes.every((s) => Number(s.size) > 0)).toBe(true);
  expect(await run('s3://flaky')).toMatchObject({ objects: 0, unchanged: 2 });
});

test('a download S3 denies (GetObject, kms:Decrypt) waits before its next try, twice as long each time, ' +
  'and is tried at once when it changes or with retryDenied', async () => {
  await s3.createBucket('denying');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const key = `${prefix}a.json.gz`;
  await s3.put('denying', key, logFile([rec('2026-11-20')]));
  await s3.put('denying', `${prefix}b.json.gz`, logFile([rec('2026-11-20')]));
  // a was written with a KMS key the reader may no longer use (the trail's key changed): S3 denies its GetObject, as AWS
  // words it.
  const kms = 'User: arn:aws:sts::111122223333:assumed-role/trailhound/i-1 is not authorized to perform: kms:Decrypt on resource: ' +
    'arn:aws:kms:us-east-1:111122223333:key/k2 because no identity-based policy allows the kms:Decrypt action';
  const proxy = await denyingProxy(kms, (url) => url.includes(key));
  const at = (time: string, more: { days?: number; retryDenied?: boolean } = {}) =>
    ingest({ source: 's3://denying', db, days: 1, now: new Date(time), s3Endpoint: proxy.url, ...more });
  /** a's error: its etag, how often it was denied and how long it waits after its last denial, in minutes. */
  const error = async () => {
    const rows = await db.all<{ etag: string; reason: string; kind: string; attempts: number; wait: bigint }>(
      `SELECT etag, reason, kind, attempts, (epoch_ms(retry_at) - epoch_ms(failed_at)) // 60000 AS wait FROM ingest_errors`
    );
    return rows.map((r) => ({ ...r, wait: Number(r.wait) }));
  };
  try {
    expect(await at('2026-11-20T12:00:00Z')).toMatchObject({ objects: 1, errors: 1 });
    expect(proxy.denials()).toBe(1);
    const [first] = await error();
    expect(first).toMatchObject({ kind: 'access-denied', attempts: 1, wait: 5 });
    expect(first.reason).toMatch(/^download failed: Access to s3:\/\/denying was denied: .*\(AWS says: User: .* kms:Decrypt .*\)\. Denied 1 time: /);
    // The list of unreadable files says when it is tried again, as for a file that ran out of memory.
    const [listed] = (await new Reports(db).ingestErrors(10)).errors;
    expect(listed).toMatchObject({ key, kind: 'access-denied', retryAt: expect.stringMatching(/Z$/) });
    expect(Date.parse(listed.retryAt!) - Date.parse(listed.failedAt)).toBe(5 * 60_000);
    expect(first.reason).toContain(`the next try is after ${listed.retryAt} (each wait twice the last, at most a day)`);

    // Within its wait, a poll that lists it leaves it (it was fetched at every poll, every 5 minutes, for ever), and so
    // does one that no longer lists its day; neither is a failed run.
    expect(await at('2026-11-20T12:05:00Z')).toMatchObject({ objects: 0, unchanged: 1, denied: 1, errors: 0 });
    expect(await at('2026-11-25T12:00:00Z')).toMatchObject({ objects: 0, denied: 0, errors: 0 });
    expect(proxy.denials()).toBe(1);
    expect(await error()).toEqual([first]);

    // Its wait over, it is fetched by key though its day is not listed, and waits twice as long; then four times.
    await waitsOver();
    await expect(at('2026-11-25T12:05:00Z')).rejects.toThrow(/^the 1 log file could not be downloaded/);
    expect(proxy.denials()).toBe(2);
    expect(await error()).toEqual([expect.objectContaining({ attempts: 2, wait: 10, reason: expect.stringContaining('Denied 2 times') })]);
    await waitsOver();
    await expect(at('2026-11-20T12:30:00Z')).rejects.toThrow(/could not be downloaded/);
    expect(await error()).toEqual([expect.objectContaining({ etag: first.etag, attempts: 3, wait: 20 })]);

    // Asked for (ingest --retry-denied, a backfill: the access is fixed, the user says), it is tried at once.
    await expect(at('2026-11-25T12:10:00Z', { retryDenied: true })).rejects.toThrow(/could not be downloaded/);
    expect(proxy.denials()).toBe(4);
    expect(await error()).toEqual([expect.objectContaining({ attempts: 4, wait: 40 })]);

    // Changed (another ETag), it is another object: tried at once by a run that lists it, its waits from the first again.
    await s3.put('denying', key, logFile([rec('2026-11-20'), rec('2026-11-20')]));
    await expect(at('2026-11-20T12:35:00Z')).rejects.toThrow(/could not be downloaded/);
    expect(proxy.denials()).toBe(5);
    const [changed] = await error();
    expect(changed).toMatchObject({ attempts: 1, wait: 5 });
    expect(changed.etag).not.toBe(first.etag);

    // The access fixed: its wait holds it back until it is over or the user asks, then it loads and its error goes.
    const fixed = (more: { retryDenied?: boolean } = {}) =>
      ingest({ source: 's3://denying', db, days: 1, now: new Date('2026-11-20T12:40:00Z'), s3Endpoint: s3.endpoint, ...more });
    expect(await fixed()).toMatchObject({ objects: 0, denied: 1 });
    expect(await fixed({ retryDenied: true })).toMatchObject({ objects: 1, events: 2, errors: 0, denied: 0 });
    expect(await count('ingest_errors')).toBe(0);
  } finally {
    await proxy.close();
  }
  expect(proxy.denials()).toBe(5);
});

test('a download S3 refuses for its SSE-KMS key (disabled, pending deletion, deleted: a 400, not AccessDenied) waits as a denied one, ' +
  'with what to do', async () => {
  await s3.createBucket('unusable-keys');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const key = (id: string) => `arn:aws:kms:us-east-1:111122223333:key/${id}`;
  // S3's code (and KMS's words) for each object whose key S3 may not use: 400 Bad Request, as AWS answers a GetObject
  // of such an object. Simulated here: fauxqs has no KMS, so the proxy answers for it.
  const answers: Record<string, [string, string]> = {
    'disabled.json.gz': ['KMS.DisabledException', `${key('k1')} is disabled.`],
    'pending.json.gz': ['KMS.KMSInvalidStateException', `${key('k2')} is pending deletion.`],
    'deleted.json.gz': ['KMS.NotFoundException', `Key '${key('k3')}' does not exist`],
  };
  for (const name of [...Object.keys(answers), 'readable.json.gz']) await s3.put('unusable-keys', `${prefix}${name}`, logFile([rec('2026-11-20')]));
  let refusals = 0;
  const proxy = await proxyTo((req, res) => {
    const answer = isGetObject(req) ? answers[path.basename(decodeURIComponent(req.url!.split('?')[0]))] : undefined;
    if (!answer) return false;
    refusals++;
    res.writeHead(400, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${answer[0]}</Code><Message>${answer[1]}</Message></Error>`);
    return true;
  });
  const at = (time: string) => ingest({ source: 's3://unusable-keys', db, days: 1, now: new Date(time), s3Endpoint: proxy.url });
  try {
    expect(await at('2026-11-20T12:00:00Z')).toMatchObject({ objects: 1, errors: 3 });
    expect(refusals).toBe(3);
    const { errors } = await new Reports(db).ingestErrors(10);
    const byName = Object.fromEntries(errors.map((e) => [path.basename(e.key), e]));
    for (const name of Object.keys(answers)) {
      expect(byName[name]).toMatchObject({ kind: 'access-denied', retryAt: expect.stringMatching(/Z$/) });
      expect(Date.parse(byName[name].retryAt!) - Date.parse(byName[name].failedAt)).toBe(5 * 60_000);
      expect(byName[name].reason).toContain(`(${answers[name][0]}; AWS says: ${answers[name][1]}): its KMS key `);
      expect(byName[name].reason).toContain(`Denied 1 time: the next try is after ${byName[name].retryAt}`);
    }
    expect(byName['disabled.json.gz'].reason).toMatch(/its KMS key is disabled: its owner has to enable it again \(kms:EnableKey\)/);
    expect(byName['pending.json.gz'].reason).toMatch(/pending deletion.*: its owner has to cancel its deletion and enable it/);
    expect(byName['deleted.json.gz'].reason).toMatch(/no longer exists \(deleted\): the objects it encrypted cannot be decrypted again/);

    // The next poll (5 minutes on) leaves them to their wait, as it does a denied download: it was a refusal at every poll.
    expect(await at('2026-11-20T12:05:00Z')).toMatchObject({ objects: 0, unchanged: 1, denied: 3, errors: 0 });
    expect(refusals).toBe(3);
    // Their wait over, each is tried again and waits twice as long.
    await waitsOver();
    const none = /^none of the 3 log files could be downloaded, e\.g\. S3 could not decrypt an object in s3:\/\/unusable-keys/;
    await expect(at('2026-11-20T12:10:00Z')).rejects.toThrow(none);
    expect(refusals).toBe(6);
    const waits = await db.all<{ attempts: number; wait: bigint }>(
      `SELECT attempts, (epoch_ms(retry_at) - epoch_ms(failed_at)) // 60000 AS wait FROM ingest_errors`
    );
    expect(waits.map((w) => [w.attempts, Number(w.wait)])).toEqual([[2, 10], [2, 10], [2, 10]]);
  } finally {
    await proxy.close();
  }
});

test("a download that fails for another reason than a denial (S3's 500) is tried again at the next run, without a wait", async () => {
  await s3.createBucket('hiccup');
  const key = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`;
  await s3.put('hiccup', key, logFile([rec('2026-11-20')]));
  let failures = 0;
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    failures++;
    res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>try again</Message></Error>');
    return true;
  });
  try {
    const run = (time: string) => ingest({ source: 's3://hiccup', db, days: 1, now: new Date(time), s3Endpoint: proxy.url });
    await expect(run('2026-11-20T12:00:00Z')).rejects.toThrow(/could not be downloaded/);
    const tries = failures;
    await expect(run('2026-11-20T12:05:00Z')).rejects.toThrow(/could not be downloaded/);
    expect(failures).toBeGreaterThan(tries);
    expect(await db.all(`SELECT kind, attempts, retry_at FROM ingest_errors`)).toEqual([{ kind: 'other', attempts: null, retry_at: null }]);
  } finally {
    await proxy.close();
  }
});

// KMS's quota on Decrypt, not a refusal of the key: no wait as a denied download has, and said as KMS's, not S3's.
test('a download S3 could not decrypt because KMS throttled it (KMS.ThrottlingException) is kind throttled, tried again at the next run', async () => {
  await s3.createBucket('kms-throttled');
  await s3.put('kms-throttled', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  let throttling = true;
  // Simulated, as the KMS test above: fauxqs has no KMS.
  const proxy = await proxyTo((req, res) => {
    if (!throttling || !isGetObject(req)) return false;
    res.writeHead(400, { 'content-type': 'application/xml' })
      .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>KMS.ThrottlingException</Code><Message>Rate exceeded</Message></Error>');
    return true;
  });
  try {
    const run = (time: string) => ingest({ source: 's3://kms-throttled', db, days: 1, now: new Date(time), s3Endpoint: proxy.url });
    await expect(run('2026-11-20T12:00:00Z')).rejects.toThrow(/KMS is throttling the decryption of objects in s3:\/\/kms-throttled/);
    expect(await db.all(`SELECT kind, retry_at FROM ingest_errors`)).toEqual([{ kind: 'throttled', retry_at: null }]);
    throttling = false;
    expect(await run('2026-11-20T12:05:00Z')).toMatchObject({ objects: 1, events: 1, errors: 0 });
  } finally {
    await proxy.close();
  }
});

test('polls where no download works while a bucket policy denies them leave one run on record, though their count and example differ; ' +
  'another failure (a listing denied, a download failing otherwise) keeps its own row', async () => {
  await s3.createBucket('denied-lasting');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('denied-lasting', `${prefix}b.json.gz`, logFile([rec('2026-11-20')]));
  let answer: 'deny-downloads' | 'deny-all' | 'fail-downloads' = 'deny-downloads';
  const xml = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  // As AWS words a bucket policy's explicit deny: it names the object, another in each run's example.
  const proxy = await proxyTo((req, res) => {
    const key = decodeURIComponent(new URL(req.url!, 'http://s3').pathname.split('/').slice(2).join('/'));
    if (answer === 'fail-downloads') {
      if (!isGetObject(req)) return false;
      res.writeHead(500, { 'content-type': 'application/xml' }).end(xml('InternalError', 'We encountered an internal error. Please try again.'));
      return true;
    }
    if (answer === 'deny-downloads' && !isGetObject(req)) return false;
    const resource = key ? `arn:aws:s3:::denied-lasting/${key}` : 'arn:aws:s3:::denied-lasting';
    const action = isGetObject(req) ? 'GetObject' : 'ListBucket';
    const said = `User: arn:aws:sts::111122223333:assumed-role/trailhound/i-1 is not authorized to perform: s3:${action} on resource: "${resource}" ` +
      'with an explicit deny in a resource-based policy';
    res.writeHead(403, { 'content-type': 'application/xml' }).end(xml('AccessDenied', said));
    return true;
  });
  const poll = (time: string, days = 1) =>
    ingest({ source: 's3://denied-lasting', db, days, now: new Date(time), s3Endpoint: proxy.url }).then(
      () => 'completed',
      (err: Error) => err.message
    );
  const runs = () => db.all(`SELECT error, error_kind AS kind, window_from FROM ingest_runs ORDER BY started_at`);
  try {
    const first = await poll('2026-11-20T12:00:00Z', 2);
    expect(first).toMatch(/^the 1 log file could not be downloaded, e\.g\. Access to s3:\/\/denied-lasting was denied: .*b\.json\.gz/);
    // A new file, and the denied one's wait over: two files, the example another.
    await s3.put('denied-lasting', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
    await waitsOver();
    const second = await poll('2026-11-20T12:10:00Z');
    expect(second).toMatch(/^none of the 2 log files could be downloaded, e\.g\. Access to s3:\/\/denied-lasting was denied: .*a\.json\.gz/);
    // The second's row, reading from the first's first day.
    expect(await runs()).toEqual([{ error: second, kind: 'access-denied', window_from: '2026-11-19' }]);

    // Denied its listing too, the source fails otherwise, though of the same kind: a row of its own.
    answer = 'deny-all';
    const listing = await poll('2026-11-20T12:20:00Z');
    expect(listing).toMatch(/^Access to s3:\/\/denied-lasting was denied/);
    // Downloads failing for another reason (S3's 500s), then denied again: each another kind than the run before.
    answer = 'fail-downloads';
    await waitsOver();
    const failing = await poll('2026-11-20T12:30:00Z');
    expect(failing).toMatch(/^none of the 2 log files could be downloaded, e\.g\. /);
    answer = 'deny-downloads';
    const deniedAgain = await poll('2026-11-20T12:40:00Z');
    expect(deniedAgain).toMatch(/^none of the 2 log files could be downloaded, e\.g\. Access to s3:\/\/denied-lasting was denied/);
    expect(await runs()).toEqual([
      { error: second, kind: 'access-denied', window_from: '2026-11-19' },
      { error: listing, kind: 'access-denied', window_from: '2026-11-20' },
      { error: failing, kind: 'other', window_from: '2026-11-20' },
      { error: deniedAgain, kind: 'access-denied', window_from: '2026-11-20' },
    ]);
  } finally {
    await proxy.close();
  }
});

test("the service's polls leave a denied download to its wait; a backfill (an Admin's ask) tries it at once", async () => {
  await s3.createBucket('denied-serve');
  const today = new Date().toISOString().slice(0, 10);
  const key = `${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`;
  await s3.put('denied-serve', key, logFile([rec(today)]));
  const proxy = await denyingProxy();
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: ['s3://denied-serve'], logger, pollIntervalMs: 50, s3Endpoint: proxy.url, syncTrails: false });
  try {
    await waitFor('the first poll', async () => (lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    // Its line has the kind and S3's answer beside the words, which name neither the code nor the request id.
    const failed = lines.find((l) => l.msg === 'ingest failed; retrying')!;
    expect(failed).toMatchObject({ kind: 'access-denied', awsError: 'AccessDenied', httpStatus: 403, requestId: 'DENIED1', extendedRequestId: 'host-id-1' });
    expect(failed.err).not.toMatch(/DENIED1|host-id/);
    // Polls go on (the one that failed is retried within a moment, and every 50 ms), none fetching it again.
    await waitFor('more polls', async () => (lines.filter((l) => l.msg === 'ingest finished').length >= 3 ? true : undefined));
    expect(proxy.denials()).toBe(1);
    await expect(service.backfill(1)).rejects.toThrow(/could not be downloaded/);
    expect(proxy.denials()).toBe(2);
    expect(await db.all(`SELECT attempts FROM ingest_errors`)).toEqual([{ attempts: 2 }]);
  } finally {
    await service.stop();
    await proxy.close();
  }
});

test("with several sources, each failing source's line has its kind and S3's answer, which the run's joined message cannot carry", async () => {
  await s3.createBucket('denied-several');
  const today = new Date().toISOString().slice(0, 10);
  await s3.put('denied-several', `${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`, logFile([rec(today)]));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'th-several-'));
  const proxy = await denyingProxy();
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: [folder, 's3://denied-several'], logger, pollIntervalMs: 3_600_000, s3Endpoint: proxy.url, syncTrails: false });
  try {
    await waitFor('the first poll', async () => (lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    expect(lines.filter((l) => l.msg === 'source failed')).toEqual([
      expect.objectContaining({
        source: 's3://denied-several', kind: 'access-denied', awsError: 'AccessDenied', httpStatus: 403, requestId: 'DENIED1', extendedRequestId: 'host-id-1',
        err: expect.stringMatching(/could not be downloaded/),
      }),
    ]);
    // The run's line names the source in its words; S3's answer is on the source's line alone.
    const failed = lines.find((l) => l.msg === 'ingest failed; retrying')!;
    expect(failed).toMatchObject({ kind: 'access-denied', err: expect.stringMatching(/^s3:\/\/denied-several: /) });
    expect(failed.awsError).toBeUndefined();
  } finally {
    await service.stop();
    await proxy.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("an S3 error text of megabytes is cut where the message quotes it, the words after it kept, in the poll's line and the ingestion status", async () => {
  await s3.createBucket('denied-long');
  const today = new Date().toISOString().slice(0, 10);
  await s3.put('denied-long', `${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`, logFile([rec(today)]));
  // A server, or a proxy in the way, that says more than S3 does.
  const proxy = await denyingProxy(`Access Denied ${'by policy '.repeat(300_000)}`);
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: ['s3://denied-long'], logger, pollIntervalMs: 3_600_000, s3Endpoint: proxy.url, syncTrails: false });
  try {
    await waitFor('the first poll', async () => (lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    const said = new RegExp('^the 1 log file could not be downloaded, e\\.g\\. Access to s3://denied-long was denied: ' +
      '.*\\(AWS says: Access Denied by policy by policy [^)]*… \\(\\d+ more characters\\)\\)\\.$');
    const failed = lines.find((l) => l.msg === 'ingest failed; retrying')!;
    expect(failed.err).toMatch(said);
    expect((failed.err as string).length).toBeLessThan(2_000);
    const { lastPollError } = await new Reports(db).ingestStatus();
    expect(lastPollError).toMatch(said);
    expect(lastPollError!.length).toBeLessThan(2_000);
  } finally {
    await service.stop();
    await proxy.close();
  }
});

test('a key is loaded once per run, as the version S3 has now: ' +
  'a failed download of its old version, listed again rewritten, keeps its rejected records once', async () => {
  // The loader takes each file's rejected records as that key's (keepRejected): two versions of one key in one batch
  // would keep them twice. A run cannot make such a batch: ListObjectsV2 lists one (the current) version per key, a
  // retry is fetched by key and dropped when the listing has the key, and a fetch reads the version there now.
  await s3.createBucket('versions');
  const key = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}again.json.gz`;
  const timeless = { eventID: 'timeless-v', eventName: 'Mystery' };
  const file = (records: unknown[]) => zlib.gzipSync(JSON.stringify({ Records: records }));
  const [good1, good2] = [rec('2026-11-20'), rec('2026-11-20')];
  await s3.put('versions', key, file([good1, timeless, null]));
  // The first version's download fails: a retry by key is due at the next run.
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>try again</Message></Error>');
    return true;
  });
  try {
    await expect(ingest({ source: 's3://versions', db, days: 3, now: NOW, s3Endpoint: proxy.url })).rejects.toThrow(/could not be downloaded/);
  } finally {
    await proxy.close();
  }
  const [due] = await db.all<{ key: string; etag: string }>(`SELECT key, etag FROM ingest_errors`);
  expect(due.key).toBe(key);
  // Rewritten before the next run: the same rejected records and one more good one.
  await s3.put('versions', key, file([good1, timeless, null, good2]));
  const now = await s3.client.send(new HeadObjectCommand({ Bucket: 'versions', Key: key }));
  expect(now.ETag!.replace(/"/g, '')).not.toBe(due.etag);
  // Due again and listed again: one file, the version there now.
  expect(await run('s3://versions')).toMatchObject({ objects: 1, events: 2, rejected: 2, errors: 0 });
  const kept = await db.all<{ key: string; record: string }>(`SELECT key, record::VARCHAR AS record FROM rejected_records ORDER BY record`);
  expect(kept).toEqual([
    { key, record: 'null' },
    { key, record: JSON.stringify(timeless) },
  ]);
  expect(await db.all(`SELECT key, etag FROM ingested_objects`)).toEqual([{ key, etag: now.ETag!.replace(/"/g, '') }]);
  expect(await count('ingest_errors')).toBe(0);
  expect(await run('s3://versions')).toMatchObject({ objects: 0, unchanged: 1 });
  expect(await count('rejected_records')).toBe(2);
});

// The source has no watch of its own on a download's body: the SDK's socketTimeout (the idle timeout) ends one that
// stops coming, the body as it comes (a plain IncomingMessage) or wrapped to check an x-amz-checksum-* header, as AWS
// sends for objects stored with one (measured with @smithy/node-http-handler 4.14.2). Its requestTimeout, which a
// listing has, ends with the headers.
test('a download that stalls fails after the idle timeout, saying so, and is tried again later; a stop does not wait for it', async () => {
  await s3.createBucket('stall');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const body = logFile(Array.from({ length: 200 }, () => rec('2026-11-20')));
  await s3.put('stall', `${prefix}a.json.gz`, body);
  await s3.put('stall', `${prefix}b.json.gz`, body);
  // Headers and the first bytes, then nothing: a connection that hangs mid-download. b's with a checksum header (never
  // checked: its body never ends).
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    const checksum = req.url!.includes('b.json.gz') ? { 'x-amz-checksum-crc32': 'AAAAAA==' } : {};
    res.writeHead(200, { 'content-length': String(body.length), etag: '"x"', 'content-type': 'application/octet-stream', ...checksum });
    res.write(body.subarray(0, 100));
    return true;
  });
  try {
    const started = Date.now();
    const stalled = ingest({ source: 's3://stall', db, days: 1, now: NOW, s3Endpoint: proxy.url, s3IdleTimeoutMs: 500 });
    // Not ended by the SDK, the downloads would hang: this says so before the test's timeout.
    const hung = new Promise<string>((resolve) => setTimeout(() => resolve('no failure within 15 s'), 15_000).unref());
    const words = /^none of the 2 log files could be downloaded, e\.g\. the download stalled: no data from S3 for 0\.5 s$/;
    await expect(Promise.race([stalled, hung])).rejects.toThrow(words);
    expect(Date.now() - started).toBeLessThan(10_000);
    const failed = await db.all<{ key: string; reason: string; kind: string }>(`SELECT key, reason, kind FROM ingest_errors ORDER BY key`);
    const reason = 'download failed: the download stalled: no data from S3 for 0.5 s';
    expect(failed).toEqual(['a', 'b'].map((name) => ({ key: `${prefix}${name}.json.gz`, reason, kind: 'unreachable' })));

    // Stopping (the service's shutdown) aborts the download at once, whatever the timeout.
    const stop = new AbortController();
    const stopped = ingest({ source: 's3://stall', db, days: 1, now: NOW, s3Endpoint: proxy.url, signal: stop.signal });
    setTimeout(() => stop.abort(), 300);
    await expect(stopped).resolves.toMatchObject({ stopped: true, objects: 0 });
  } finally {
    await proxy.close();
  }
  // The downloads are tried again by the next run, and load.
  expect(await ingest({ source: 's3://stall', db, days: 1, now: NOW, s3Endpoint: s3.endpoint }))
    .toMatchObject({ objects: 2, events: 200, duplicates: 200, errors: 0 });
}, 60_000);

test('an object deleted after it was listed is skipped, and a failed download deleted since is no longer retried', async () => {
  await s3.createBucket('expiring');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('expiring', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('expiring', `${prefix}b.json.gz`, logFile([rec('2026-11-20')]));
  await s3.put('expiring', `${prefix}c.json.gz`, logFile([rec('2026-11-20')]));
  // b is deleted between the listing and its download (S3 answers 404 NoSuchKey); c's download is denied this time.
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req)) return false;
    if (req.url!.includes('b.json.gz')) {
      res.writeHead(404, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return true;
    }
    if (req.url!.includes('c.json.gz')) {
      res.writeHead(403, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return true;
    }
    return false;
  });
  try {
    let progress: IngestProgress | undefined;
    const first = await ingest({ source: 's3://expiring', db, days: 1, now: NOW, s3Endpoint: proxy.url, onProgress: (p) => (progress = p) });
    expect(first).toMatchObject({ objects: 1, skipped: 1, errors: 1 });
    // The progress bar ends full: the file gone counts as done with.
    expect(progress).toMatchObject({ objectsFound: 3, objectsDone: 3 });
  } finally {
    await proxy.close();
  }
  expect((await db.all<{ key: string }>(`SELECT key FROM ingest_errors`)).map((e) => path.basename(e.key))).toEqual(['c.json.gz']);

  // c expires before the next run after its wait, which retries it by key: gone, so its error goes, and the run is not a
  // failed one.
  await s3.client.send(new DeleteObjectCommand({ Bucket: 'expiring', Key: `${prefix}c.json.gz` }));
  await waitsOver();
  const later = await ingest({ source: 's3://expiring', db, days: 1, now: new Date('2026-11-25T12:00:00Z'), s3Endpoint: s3.endpoint });
  expect(later).toMatchObject({ objects: 0, skipped: 1, errors: 0 });
  expect(await count('ingest_errors')).toBe(0);
  expect(await ingest({ source: 's3://expiring', db, days: 1, now: new Date('2026-11-25T12:05:00Z'), s3Endpoint: s3.endpoint }))
    .toMatchObject({ objects: 0, skipped: 0, errors: 0 });
});

test('a file that ran out of memory and was rewritten before its next try is read as it is now, and recorded with its current ETag', async () => {
  await s3.createBucket('rewritten');
  const key = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`;
  const etagNow = async () => (await s3.client.send(new HeadObjectCommand({ Bucket: 'rewritten', Key: key }))).ETag!.replace(/"/g, '');
  // A record of 12 MB, more than a 128 MB DuckDB holds: an out-of-memory error, tried again after its wait.
  await s3.put('rewritten', key, logFile([rec('2026-11-20', { responseElements: { document: 'y'.repeat(12 * 1024 * 1024) } })]));
  const failedEtag = await etagNow();
  const small = await Database.open(path.join(dir, 'small.duckdb'), { memoryLimit: '128MB' });
  const runSmall = (now: string) => ingest({ source: 's3://rewritten', db: small, days: 1, now: new Date(now), s3Endpoint: s3.endpoint });
  try {
    expect(await runSmall('2026-11-20T12:00:00Z')).toMatchObject({ objects: 0, errors: 1 });
    expect(await small.all(`SELECT etag, kind FROM ingest_errors`)).toEqual([{ etag: failedEtag, kind: 'out-of-memory' }]);
    // Rewritten with records that fit, then its wait is over: retried by key, though its day is no longer listed.
    const event = rec('2026-11-20');
    await s3.put('rewritten', key, logFile([event]));
    const current = await etagNow();
    expect(current).not.toBe(failedEtag);
    await small.run(`UPDATE ingest_errors SET retry_at = failed_at - INTERVAL 1 SECOND`);
    expect(await runSmall('2026-11-25T12:00:00Z')).toMatchObject({ objects: 1, events: 1, errors: 0 });
    // The ledger holds the version read: a run that lists its day finds it unchanged, not read again as a rewrite.
    expect(await small.all(`SELECT key, etag FROM ingested_objects`)).toEqual([{ key, etag: current }]);
    expect(await small.all(`SELECT key, etag FROM log_objects`)).toEqual([{ key, etag: current }]);
    expect(await runSmall('2026-11-20T12:30:00Z')).toMatchObject({ objects: 0, unchanged: 1, errors: 0 });
    expect(await storedRecords(small)).toEqual(new Map([[event.eventID, event]]));
  } finally {
    small.close();
  }
}, 60_000);

/** The Region a request was signed for (its Authorization header's credential scope). */
const signedRegion = (req: http.IncomingMessage) => /Credential=[^/]+\/\d+\/([^/]+)\/s3\//.exec(String(req.headers.authorization))?.[1] ?? '';
/** Path-style, as --s3-endpoint asks: HEAD /bucket/ (no key). */
const isHeadBucket = (req: http.IncomingMessage) => req.method === 'HEAD' && /^\/[^/]+\/?$/.test(new URL(req.url!, 'http://s3').pathname);

/**
 * S3 as it answers for a bucket in eu-west-1 (fauxqs has no Regions), keeping each request's method and Region in
 * `signedFor`: a request signed for another Region is a 301 that names the bucket's (which the SDK follows, request by
 * request); HeadBucket there names it too, answering `headStatus` (200, or 403 to a reader granted ListBucket under a
 * prefix only).
 */
async function inEuWest1(signedFor: string[], headStatus: 200 | 403) {
  return proxyTo((req, res) => {
    const region = signedRegion(req);
    signedFor.push(`${req.method} ${region}`);
    const headers = { 'x-amz-bucket-region': 'eu-west-1', 'content-type': 'application/xml' };
    if (region !== 'eu-west-1') {
      const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>' +
        '<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>';
      res.writeHead(301, headers).end(req.method === 'HEAD' ? undefined : xml);
      return true;
    }
    if (!isHeadBucket(req)) return false;
    res.writeHead(headStatus, headers).end();
    return true;
  });
}

test('a bucket in another Region than the configured one is asked there from the start, not sent to the wrong Region at every request', async () => {
  await s3.createBucket('elsewhere');
  const prefix = dayPrefix('111122223333', 'eu-west-1', '2026-11-20');
  for (const name of ['a', 'b', 'c']) await s3.put('elsewhere', `${prefix}${name}.json.gz`, logFile([rec('2026-11-20')]));
  const signedFor: string[] = [];
  const proxy = await inEuWest1(signedFor, 200);
  try {
    const summary = await ingest({ source: 's3://elsewhere', db, days: 1, now: NOW, s3Endpoint: proxy.url });
    expect(summary).toMatchObject({ objects: 3, events: 3, errors: 0 });
  } finally {
    await proxy.close();
  }
  // One request to the configured Region (us-east-1, as the tests set AWS_REGION), whose answer names the bucket's;
  // every one after it signed for the bucket's own.
  expect(signedFor.filter((r) => !r.endsWith(' eu-west-1'))).toEqual(['HEAD us-east-1']);
  expect(signedFor.length).toBeGreaterThan(6);
});

test("runs that share the service's bucket Regions ask HeadBucket once, and a later run asks the bucket's Region from the start", async () => {
  await s3.createBucket('asked-once');
  const prefix = dayPrefix('111122223333', 'eu-west-1', '2026-11-20');
  await s3.put('asked-once', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
  const signedFor: string[] = [];
  // HeadBucket answers, naming the bucket's Region; every other request goes through (fauxqs has no Regions).
  const proxy = await proxyTo((req, res) => {
    signedFor.push(`${req.method} ${signedRegion(req)}`);
    if (!isHeadBucket(req)) return false;
    res.writeHead(200, { 'x-amz-bucket-region': 'eu-west-1' }).end();
    return true;
  });
  const bucketRegions = new BucketRegions();
  try {
    const runOnce = () => ingest({ source: 's3://asked-once', db, days: 1, now: NOW, s3Endpoint: proxy.url, bucketRegions });
    expect(await runOnce()).toMatchObject({ objects: 1, events: 1, errors: 0 });
    signedFor.length = 0;
    expect(await runOnce()).toMatchObject({ objects: 0, unchanged: 1, errors: 0 });
    // The second run: no HeadBucket, and every listing signed for the bucket's Region.
    expect(signedFor.length).toBeGreaterThan(0);
    expect(signedFor.filter((r) => r !== 'GET eu-west-1')).toEqual([]);
    // Another run without the shared Regions asks again.
    signedFor.length = 0;
    await ingest({ source: 's3://asked-once', db, days: 1, now: NOW, s3Endpoint: proxy.url });
    expect(signedFor.filter((r) => r.startsWith('HEAD '))).toEqual(['HEAD us-east-1']);
  } finally {
    await proxy.close();
  }
});

test('a refused HeadBucket that names the bucket\'s Region (S3\'s 301, then 403) still moves the reads there from the start', async () => {
  await s3.createBucket('refused-elsewhere');
  const prefix = dayPrefix('111122223333', 'eu-west-1', '2026-11-20');
  for (const name of ['a', 'b']) await s3.put('refused-elsewhere', `${prefix}${name}.json.gz`, logFile([rec('2026-11-20')]));
  const signedFor: string[] = [];
  const proxy = await inEuWest1(signedFor, 403);
  const said: string[] = [];
  try {
    const onRegionUnknown = (line: string) => said.push(line);
    const summary = await ingest({ source: 's3://refused-elsewhere', db, days: 1, now: NOW, s3Endpoint: proxy.url, onRegionUnknown });
    expect(summary).toMatchObject({ objects: 2, events: 2, errors: 0 });
  } finally {
    await proxy.close();
  }
  // HeadBucket in the configured Region (301), then in the bucket's (403): every request after it signed for the bucket's.
  expect(signedFor.slice(0, 2)).toEqual(['HEAD us-east-1', 'HEAD eu-west-1']);
  expect(signedFor.filter((r) => !r.endsWith(' eu-west-1'))).toEqual(['HEAD us-east-1']);
  expect(signedFor.length).toBeGreaterThan(4);
  expect(said).toEqual([]);
});

test("a HeadBucket refused without a Region is asked once per service and said once: the configured Region, not redirected by an --s3-endpoint", async () => {
  await s3.createBucket('no-region');
  const today = new Date().toISOString().slice(0, 10);
  await s3.put('no-region', `trail/${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`, logFile([rec(today)]));
  const listed: string[] = [];
  let heads = 0;
  const granted = await grantedOnly({ prefix: 'trail/' }, listed);
  // In front of it, counting the HeadBuckets it refuses (with no x-amz-bucket-region: an S3-compatible server's 403).
  const proxy = await proxyS3({ endpoint: granted.url }, (req) => {
    if (isHeadBucket(req)) heads++;
    return false;
  });
  const { lines, logger } = memoryLogger();
  const service = startService({ db, sources: ['s3://no-region/trail'], logger, pollIntervalMs: 50, s3Endpoint: proxy.url, syncTrails: false });
  try {
    await waitFor('three polls', async () => (lines.filter((l) => l.msg === 'ingest finished').length >= 3 ? true : undefined));
  } finally {
    await service.stop();
    await proxy.close();
    await granted.close();
  }
  expect(heads).toBe(1);
  const said = lines.filter((l) => /HeadBucket/.test(l.msg));
  // An --s3-endpoint's server (MinIO, LocalStack) has no Regions to redirect to: the line says so, not AWS's redirects.
  expect(said).toEqual([
    expect.objectContaining({
      level: 30,
      source: 's3://no-region/trail',
      msg: `s3://no-region: HeadBucket was refused without naming the bucket's Region, so requests to ${proxy.url} are signed for the ` +
        'configured Region (us-east-1), which the server accepted for the listing: nothing to set, as an S3-compatible server does not ' +
        'redirect them to another Region',
    }),
  ]);
  expect(await count('events')).toBe(1);
});

/** `body` run with S3's endpoint `url` set as `how` says: the AWS SDK's variable, or its config file's endpoint_url (the profile's, or its services section's). */
function withSdkEndpoint<T>(how: string, url: string, body: () => Promise<T>): Promise<T> {
  if (how === 'variable') {
    process.env.AWS_ENDPOINT_URL_S3 = url;
    return body().finally(() => delete process.env.AWS_ENDPOINT_URL_S3);
  }
  const config = how === 'profile'
    ? `[default]\nendpoint_url = ${url}\n`
    : `[default]\nservices = local\nendpoint_url = http://127.0.0.1:1\n\n[services local]\ns3 =\n  endpoint_url = ${url}\n`;
  return withConfigFile(config, body);
}

test.each([
  { how: 'variable', named: 'AWS_ENDPOINT_URL_S3' },
  { how: 'profile', named: "the config file's endpoint_url" },
  { how: 'services', named: "the config file's services section's s3 endpoint_url" },
])('S3 from $named alone (no --s3-endpoint) is read as --s3-endpoint is: path-style, its Region cached under it, said as an S3-compatible ' +
  "server's", async ({ how }) => {
  const bucket = `sdk-endpoint-${how}`;
  await s3.createBucket(bucket);
  const today = new Date().toISOString().slice(0, 10);
  await s3.put(bucket, `trail/${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`, logFile([rec(today)]));
  const listed: string[] = [];
  const granted = await grantedOnly({ prefix: 'trail/' }, listed);
  // By name, as a MinIO is reached: virtual-hosted, the SDK asked sdk-endpoint-….localhost, which no name server knows.
  const url = granted.url.replace('127.0.0.1', 'localhost');
  const bucketRegions = new BucketRegions();
  const said: string[] = [];
  try {
    const summary = await withSdkEndpoint(how, url, () =>
      ingest({ source: `s3://${bucket}/trail`, db, days: 1, bucketRegions, onRegionUnknown: (line) => said.push(line) }));
    expect(summary).toMatchObject({ objects: 1, events: 1, errors: 0 });
  } finally {
    await granted.close();
  }
  expect(listed.length).toBeGreaterThan(0);
  expect(await rowCount(db, `events WHERE event_id = 's3-${n}'`)).toBe(1);
  expect(bucketRegions.get(bucket, url)).toBe('us-east-1');
  expect(bucketRegions.get(bucket)).toBeUndefined();
  expect(said).toEqual([
    `s3://${bucket}: HeadBucket was refused without naming the bucket's Region, so requests to ${url} are signed for the configured Region ` +
      '(us-east-1), which the server accepted for the listing: nothing to set, as an S3-compatible server does not redirect them to another Region',
  ]);
});

test('an S3 endpoint from the config file that does not answer names the file, section and key; AWS_ENDPOINT_URL_S3 comes first', async () => {
  const closed = await refusedUrl();
  await withConfigFile(`[default]\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = ${closed}\n`, async (file) => {
    await expect(ingest({ source: 's3://config-nowhere', db, days: 1, now: NOW })).rejects.toThrow(
      new RegExp(`^cannot reach the S3 endpoint ${closed} \\(ECONNREFUSED.*check ${file}'s \\[services local\\] s3 endpoint_url and that the server runs$`)
    );
    process.env.AWS_ENDPOINT_URL_S3 = closed;
    try {
      await expect(ingest({ source: 's3://config-nowhere', db, days: 1, now: NOW })).rejects.toThrow(/check AWS_ENDPOINT_URL_S3 and that the server runs$/);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
    }
  });
});

test('an S3 endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL that does not answer names that variable, and --s3-endpoint comes first', async () => {
  const closed = await refusedUrl();
  process.env.AWS_ENDPOINT_URL = closed;
  try {
    await expect(ingest({ source: 's3://env-nowhere', db, days: 1, now: NOW })).rejects.toThrow(
      new RegExp(`^cannot reach the S3 endpoint ${closed} \\(ECONNREFUSED.*check AWS_ENDPOINT_URL and that the server runs$`)
    );
    process.env.AWS_ENDPOINT_URL_S3 = closed;
    await expect(ingest({ source: 's3://env-nowhere', db, days: 1, now: NOW })).rejects.toThrow(/check AWS_ENDPOINT_URL_S3 and that the server runs$/);
    await s3.createBucket('env-nowhere');
    await s3.put('env-nowhere', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
    expect(await ingest({ source: 's3://env-nowhere', db, days: 1, now: NOW, s3Endpoint: s3.endpoint })).toMatchObject({ objects: 1, events: 1 });
  } finally {
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
  }
});

test.each([
  { named: 'no --s3-endpoint (AWS\'s S3)', flag: false },
  { named: 'an --s3-endpoint on one of AWS\'s own hosts (a Region\'s, FIPS or dual-stack endpoint)', flag: true },
])('with $named, a HeadBucket refused without a Region says that S3 redirects each request, and that AWS_REGION saves it; ' +
  'the bucket is addressed virtual-hosted, as AWS\'s S3, not as an S3-compatible server', async ({ flag }) => {
  const bucket = flag ? 'flag-aws-host' : 'no-region-aws';
  await s3.createBucket(bucket);
  const today = new Date().toISOString().slice(0, 10);
  await s3.put(bucket, `trail/${dayPrefix('111122223333', 'us-east-1', today)}a.json.gz`, logFile([rec(today)]));
  const granted = await grantedOnly({ prefix: 'trail/' }, []);
  const said: string[] = [];
  try {
    await awsOnLoopback(granted.url, async (aws, hosts) => {
      const run = () => ingest({ source: `s3://${bucket}/trail`, db, days: 1, s3Endpoint: flag ? aws : undefined, onRegionUnknown: (line) => said.push(line) });
      // Without the flag, the config file's endpoint_url stands for AWS's own (asAws).
      const summary = flag ? await run() : await withConfigFile(`[default]\nendpoint_url = ${aws}\n`, run);
      expect(summary).toMatchObject({ objects: 1, events: 1, errors: 0 });
      expect([...new Set(hosts)]).toEqual([`${bucket}.s3.us-east-1.amazonaws.com`]);
    });
  } finally {
    await granted.close();
  }
  expect(said).toEqual([
    `s3://${bucket}: HeadBucket was refused without naming the bucket's Region, so requests go to the configured Region (us-east-1), ` +
      "and S3 redirects each one if the bucket is in another: set AWS_REGION to the bucket's Region to save that round trip",
  ]);
});

test('a 403 says whether the credentials are wrong or lack a permission, with what AWS said', async () => {
  await s3.createBucket('refusing');
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  await s3.put('refusing', `${prefix}a.json.gz`, logFile([rec('2026-11-20')]));
  const kms = 'User: arn:aws:iam::111122223333:user/reader is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k1';
  let answer = 'SignatureDoesNotMatch';
  const xml = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  const proxy = await proxyTo((req, res) => {
    if (answer === 'SignatureDoesNotMatch') {
      res.writeHead(403, { 'content-type': 'application/xml' })
        .end(xml('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'));
      return true;
    }
    if (!isGetObject(req)) return false;
    res.writeHead(403, { 'content-type': 'application/xml' }).end(xml('AccessDenied', kms));
    return true;
  });
  // Refused credentials are refused HeadBucket too, with no Region named: not a Region to set, and asked again once they are fixed.
  const bucketRegions = new BucketRegions();
  const said: string[] = [];
  try {
    const run = () => ingest({ source: 's3://refusing', db, days: 1, now: NOW, s3Endpoint: proxy.url, bucketRegions, onRegionUnknown: (l) => said.push(l) });
    await expect(run()).rejects.toThrow('S3 refused the credentials (SignatureDoesNotMatch): the secret access key does not match the access key id');
    expect(said).toEqual([]);
    expect(bucketRegions.get('refusing', proxy.url)).toBeUndefined();
    answer = 'AccessDenied';
    await expect(run()).rejects.toThrow(`kms:Decrypt on the trail's KMS key if its logs are SSE-KMS encrypted (AWS says: ${kms})`);
  } finally {
    await proxy.close();
  }
});

test('keys S3 does not know, asked in one partition\'s Region, say that GovCloud\'s and China\'s are known only in theirs', async () => {
  // AWS's own endpoint here, not an S3-compatible one (asAws): a bucket in us-gov-west-1 or cn-north-1 read with
  // AWS_REGION unset (us-east-1) refuses the keys as unknown.
  const proxy = await proxyTo((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>' +
      '<Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>');
    return true;
  });
  const regionBefore = process.env.AWS_REGION;
  try {
    await asAws(proxy.url, async () => {
      await expect(ingest({ source: 's3://gov-trail', db, days: 1, now: NOW })).rejects.toThrow(
        'S3 refused the credentials (InvalidAccessKeyId): the access key id is not known to AWS; check AWS_ACCESS_KEY_ID or the profile in use. ' +
          'Keys of AWS GovCloud (US) and of AWS China are known only there: for a bucket in one of them, set AWS_REGION to its Region ' +
          '(this asked us-east-1).'
      );
      // The other way round: commercial keys, and AWS_REGION in GovCloud.
      process.env.AWS_REGION = 'us-gov-west-1';
      await expect(ingest({ source: 's3://gov-trail', db, days: 1, now: NOW })).rejects.toThrow(
        /the access key id is not known to AWS; .* AWS_REGION is us-gov-west-1, in AWS GovCloud \(US\): only its own keys are known there\.$/
      );
    });
  } finally {
    if (regionBefore === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = regionBefore;
    await proxy.close();
  }
});

test('`trailhound ingest` whose credentials S3 refuses leaves no new database behind, and never removes one that was there', async () => {
  await s3.createBucket('no-entry');
  await s3.put('no-entry', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>' +
    '<Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>';
  const proxy = await proxyTo((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/xml' }).end(xml);
    return true;
  });
  try {
    const ingestInto = (file: string) => runCli(['ingest', '--source', 's3://no-entry', '--s3-endpoint', proxy.url, '--db', file, '--json']);
    const fresh = path.join(dir, 'data', 'trailhound.duckdb');
    const first = await ingestInto(fresh);
    expect([first.code, first.stdout]).toEqual([1, '']);
    expect(first.stderr).toMatch(
      /^trailhound: S3 refused the credentials \(InvalidAccessKeyId\): .*\n\(nothing was stored: the database this run created, .*, is removed again\)\n$/s
    );
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
    // One that was there (here with a run of its own) stays, with the failed run recorded.
    const kept = path.join(dir, 'kept.duckdb');
    (await Database.open(kept)).close();
    const again = await ingestInto(kept);
    expect([again.code, again.stderr]).toEqual([1, expect.not.stringContaining('nothing was stored')]);
    const reopened = await Database.open(kept);
    try {
      expect(await reopened.all('SELECT source FROM ingest_runs')).toEqual([{ source: 's3://no-entry/' }]);
    } finally {
      reopened.close();
    }
  } finally {
    await proxy.close();
  }
}, 60_000);

test('`trailhound ingest` whose every download is refused keeps the new database for the files it could not read, and says so; ' +
  'the next leaves them to their wait, unless --retry-denied', async () => {
  await s3.createBucket('no-reading');
  await s3.put('no-reading', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  const proxy = await denyingProxy();
  try {
    const file = path.join(dir, 'data', 'trailhound.duckdb');
    const r = await runCli(['ingest', '--source', 's3://no-reading', '--s3-endpoint', proxy.url, '--db', file, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^trailhound: the 1 log file could not be downloaded, .*\n/);
    expect(r.stderr).toMatch(
      /\n\(no events were stored, but the database this run created, .*, is kept for the log files it could not read: 'trailhound report ingest --errors' lists them\)\n$/
    );
    expect(fs.existsSync(file)).toBe(true);
    expect(proxy.denials()).toBe(1);
    // From cron, every 5 minutes: the file waits, and the run is not a failed one.
    const again = await runCli(['ingest', '--source', 's3://no-reading', '--s3-endpoint', proxy.url, '--db', file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ objects: 0, errors: 0, denied: 1 });
    expect(proxy.denials()).toBe(1);
    // The user says the access is fixed: tried at once.
    const asked = await runCli(['ingest', '--source', 's3://no-reading', '--s3-endpoint', proxy.url, '--db', file, '--json', '--retry-denied']);
    expect(asked.code).toBe(1);
    expect(proxy.denials()).toBe(2);
  } finally {
    await proxy.close();
  }
}, 60_000);

test('a server that stops answering fails the run after the idle timeout, and a stop ends the wait at once', async () => {
  await s3.createBucket('silent');
  await s3.put('silent', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  // Every request is taken and never answered.
  const proxy = await proxyTo(() => true);
  try {
    const silent = ingest({ source: 's3://silent', db, days: 1, now: NOW, s3Endpoint: proxy.url, s3IdleTimeoutMs: 500 });
    await expect(silent).rejects.toThrow(/timed out after 500 ms of inactivity/);
    const stop = new AbortController();
    const stopped = ingest({ source: 's3://silent', db, days: 1, now: NOW, s3Endpoint: proxy.url, signal: stop.signal });
    setTimeout(() => stop.abort(), 300);
    // Recorded as stopped, not failed: the next run reads its days again.
    await expect(stopped).resolves.toMatchObject({ stopped: true, objects: 0 });
    const [run] = await db.all<{ error: string | null; stopped: boolean }>(`SELECT error, stopped FROM ingest_runs ORDER BY started_at DESC LIMIT 1`);
    expect(run).toEqual({ error: null, stopped: true });
  } finally {
    await proxy.close();
  }
}, 30_000);

test('a run that fails before it starts still removes its downloads folder and exit hook', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'ro.duckdb');
  (await Database.open(file)).close();
  // Read-only: the run's own ingest_runs row is refused, before any listing.
  const readOnly = await Database.open(file, { readOnly: true });
  // A temp folder of its own: runs in other test files (killed ones too) make and leave downloads folders in the shared one.
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(tmp);
  const folders = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('trailhound-s3-')).length;
  const before = { folders: folders(), hooks: process.listenerCount('exit') };
  try {
    await expect(ingest({ source: 's3://nowhere', db: readOnly, days: 1, s3Endpoint: await refusedUrl() })).rejects.toThrow(/read-only/i);
    expect({ folders: folders(), hooks: process.listenerCount('exit') }).toEqual(before);
  } finally {
    tmpdir.mockRestore();
    readOnly.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an object nested thousands of levels deep is refused with why, its neighbour stored, and not read again until it changes; ' +
  'DuckDB crashed on it', async () => {
  await s3.createBucket('deep');
  const prefix = `logs/${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}`;
  const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
  const record = JSON.stringify(rec('2026-11-20')).replace(/}$/, `,"requestParameters":${deep}}`);
  await s3.put('deep', `${prefix}deep.json.gz`, zlib.gzipSync(`{"Records":[${record}]}`));
  await s3.put('deep', `${prefix}good.json.gz`, logFile([rec('2026-11-20')]));
  const first = await run('s3://deep/logs');
  expect(first).toMatchObject({ objects: 1, events: 1, errors: 1 });
  const reason = 'its JSON nests more than 1000 levels deep';
  expect(await db.all('SELECT key, kind, starts_with(reason, $reason) AS said FROM ingest_errors', { reason })).toEqual([
    { key: `${prefix}deep.json.gz`, kind: 'unreadable', said: true },
  ]);
  // Unchanged, it is not downloaded again (a failed download would be, at every run, and alone fail the run).
  expect(await run('s3://deep/logs')).toMatchObject({ objects: 0, errors: 0, unreadable: 1 });
  // Replaced by a readable file (a new ETag), it is read.
  await s3.put('deep', `${prefix}deep.json.gz`, logFile([rec('2026-11-20')]));
  expect(await run('s3://deep/logs')).toMatchObject({ objects: 1, events: 1, errors: 0 });
  expect(await db.all('SELECT key FROM ingest_errors')).toEqual([]);
  expect(await count('events')).toBe(2);
}, 60_000);

/** A log file of one event, over 800 kB compressed (random bytes do not compress): a load batch of its own. */
const loneBatchLog = (day: string) => logFile([rec(day, { requestParameters: { blob: crypto.randomBytes(900_000).toString('base64') } })]);

/** Runs `body` with a temporary folder of its own, and says how many downloads folders and exit hooks S3 sources left. */
async function withOwnTmp(body: () => Promise<void>): Promise<{ folders: number; hooks: number }> {
  const own = tempDir();
  const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(own);
  const hooks = process.listenerCount('exit');
  try {
    await body();
    return { folders: fs.readdirSync(own).filter((f) => f.startsWith('trailhound-s3-')).length, hooks: process.listenerCount('exit') - hooks };
  } finally {
    tmpdir.mockRestore();
    fs.rmSync(own, { recursive: true, force: true });
  }
}

test('a listing refused on a later day fails the run once the batches before it are loaded; ' +
  'they stay, nothing is left behind, the next run reads the rest', async () => {
  await s3.createBucket('listfails');
  const days = ['2026-11-17', '2026-11-18', '2026-11-19'];
  for (const day of days) await s3.put('listfails', `${dayPrefix('111122223333', 'us-east-1', day)}big.json.gz`, loneBatchLog(day));
  await s3.put('listfails', `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}a.json.gz`, logFile([rec('2026-11-20')]));
  // The last day's listing is refused. Its turn comes as the second day's batch loads (each file is a batch): the
  // first two days are stored, and the third day's file, listed, is never fetched.
  const proxy = await proxyTo((req, res) => {
    const url = decodeURIComponent(req.url!);
    if (!url.includes('list-type=2') || !url.includes('/2026/11/20/')) return false;
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
    return true;
  });
  try {
    const left = await withOwnTmp(async () => {
      await expect(ingest({ source: 's3://listfails', db, days: 4, now: NOW, s3Endpoint: proxy.url })).rejects.toThrow(/denied/);
    });
    expect(left).toEqual({ folders: 0, hooks: 0 });
  } finally {
    await proxy.close();
  }
  const stored = await db.all<{ key: string }>(`SELECT key FROM ingested_objects ORDER BY key`);
  expect(stored.map((r) => parseKey(r.key).day)).toEqual(['2026-11-17', '2026-11-18']);
  expect(await count('events')).toBe(2);
  const [failed] = await db.all<{ error: string; stopped: boolean }>(`SELECT error, stopped FROM ingest_runs`);
  expect(failed).toMatchObject({ error: expect.stringMatching(/denied/), stopped: false });
  expect(await ingest({ source: 's3://listfails', db, days: 4, now: NOW, s3Endpoint: s3.endpoint })).toMatchObject({ objects: 2, unchanged: 2, errors: 0 });
  expect(await count('events')).toBe(4);
}, 60_000);

/** Waits short enough for a test: the run's tries and cap as the service's, at a hundredth of the time, and the SDK's tries at once. */
const QUICK_WAITS = { firstMs: 10, perRunMs: 1200, sdkRetryMs: 1 };

/**
 * A proxy that answers S3's 503 SlowDown to listings of the day folder `day` (2026/11/19/) while `throttles(n)` says so
 * of its nth listing request (from 1); `requests()` counts them. Each try of the source is three requests: the SDK's.
 */
async function throttlingProxy(day: string, throttles: (n: number) => boolean, headers: Record<string, string> = {}) {
  let requests = 0;
  const proxy = await proxyTo((req, res) => {
    const url = new URL(req.url!, 'http://s3');
    if (url.searchParams.get('list-type') !== '2' || !url.searchParams.get('prefix')?.endsWith(day)) return false;
    if (!throttles(++requests)) return false;
    res.writeHead(503, { 'content-type': 'application/xml', ...headers })
      .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    return true;
  });
  return { ...proxy, requests: () => requests };
}

/** A bucket with a file of one event in each of the 3 days before NOW's, and NOW's day. */
async function threeDays(bucket: string) {
  await s3.createBucket(bucket);
  for (const day of ['2026-11-18', '2026-11-19', '2026-11-20']) {
    await s3.put(bucket, `${dayPrefix('111122223333', 'us-east-1', day)}a.json.gz`, logFile([rec(day)]));
  }
}

const lastRun = async () =>
  (await db.all<{ error: string | null; kind: string | null; completed: boolean }>(
    `SELECT error, error_kind AS kind, ${COMPLETED_RUN} AS completed FROM ingest_runs ORDER BY started_at DESC LIMIT 1`
  ))[0];

test("a listing S3 throttles past the SDK's own tries is tried again after a wait, and the run completes with every event", async () => {
  await threeDays('throttled-twice');
  // Two of the source's tries (six requests) are throttled, the third passes.
  const proxy = await throttlingProxy('/2026/11/19/', (n) => n <= 6);
  try {
    const summary = await ingest({ source: 's3://throttled-twice', db, days: 3, now: NOW, s3Endpoint: proxy.url, s3ThrottleWaits: QUICK_WAITS });
    expect(summary).toMatchObject({ objects: 3, events: 3, errors: 0, stopped: false });
    expect(proxy.requests()).toBe(7);
  } finally {
    await proxy.close();
  }
  expect(await lastRun()).toEqual({ error: null, kind: null, completed: true });
}, 60_000);

test('a day whose listing S3 throttles past every try is skipped, the other days are stored, and the run fails naming it; ' +
  'the next run lists it again and stores it, no event twice', async () => {
  await threeDays('throttled-day');
  let throttling = true;
  const proxy = await throttlingProxy('/2026/11/19/', () => throttling);
  const run = () => ingest({ source: 's3://throttled-day', db, days: 3, now: NOW, s3Endpoint: proxy.url, s3ThrottleWaits: QUICK_WAITS });
  try {
    const failed = await run().then(() => undefined, (err: unknown) => err as KindedError);
    const day = `s3://throttled-day/${dayPrefix('111122223333', 'us-east-1', '2026-11-19')}`;
    const said = `under a day folder, skipped: ${day} (SlowDown: Please reduce your request rate.; still after 5 tries)`;
    expect(failed).toMatchObject({ kind: 'throttled', message: expect.stringContaining(said) });
    expect(failed?.message).toMatch(/the next poll \(or ingest run\) lists it again/);
    // The SDK's three requests at each of the source's five tries.
    expect(proxy.requests()).toBe(15);
    const stored = await db.all<{ key: string }>(`SELECT key FROM ingested_objects ORDER BY key`);
    expect(stored.map((r) => parseKey(r.key).day)).toEqual(['2026-11-18', '2026-11-20']);
    // Not a completed run: the service's next poll reads its days again (service.ts unfinishedWindowFrom).
    expect(await lastRun()).toEqual({ error: failed?.message, kind: 'throttled', completed: false });

    throttling = false;
    expect(await run()).toMatchObject({ objects: 1, events: 1, duplicates: 0, unchanged: 2, errors: 0 });
  } finally {
    await proxy.close();
  }
  expect(await db.all(`SELECT count(*)::INTEGER AS events, count(DISTINCT event_id)::INTEGER AS ids FROM events`)).toEqual([{ events: 3, ids: 3 }]);
  expect(await lastRun()).toMatchObject({ error: null, completed: true });
}, 60_000);

test("a run's throttled listings wait no longer than its cap, all together: past it, a throttled listing is not tried again", async () => {
  await threeDays('throttled-cap');
  const proxy = await throttlingProxy('/2026/11/19/', () => true);
  try {
    const run = ingest({ source: 's3://throttled-cap', db, days: 3, now: NOW, s3Endpoint: proxy.url, s3ThrottleWaits: { ...QUICK_WAITS, perRunMs: 0 } });
    await expect(run).rejects.toMatchObject({ kind: 'throttled', message: expect.stringMatching(/still after 1 try\)/) });
    expect(proxy.requests()).toBe(3);
  } finally {
    await proxy.close();
  }
  expect(await count('events')).toBe(2);
}, 60_000);

test('polls of a lasting throttle leave one run on record, though their errors differ (the tries, cut short by the cap), ' +
  'and it still says what was skipped and what to do', async () => {
  await threeDays('throttled-lasting');
  const proxy = await throttlingProxy('/2026/11/19/', () => true);
  const api = await statusApi();
  const poll = (now: Date, s3ThrottleWaits: ThrottleWaits) =>
    ingest({ source: 's3://throttled-lasting', db, days: 3, now, s3Endpoint: proxy.url, s3ThrottleWaits }).then(
      () => 'completed',
      (err: Error) => err.message
    );
  try {
    // Every try at the first poll; the next day's, the run's cap of waits spent before its first wait.
    const first = await poll(NOW, QUICK_WAITS);
    const second = await poll(new Date('2026-11-21T12:00:00Z'), { ...QUICK_WAITS, perRunMs: 0 });
    expect(first).toContain('still after 5 tries');
    expect(second).toContain('still after 1 try');
    // The second's row, reading from the first's first day.
    const runs = await db.all(`SELECT error, error_kind AS kind, window_from FROM ingest_runs`);
    expect(runs).toEqual([{ error: second, kind: 'throttled', window_from: '2026-11-18' }]);
    const status = await api.status();
    expect(status).toMatchObject({ lastPoll: null, lastPollError: second, lastPollErrorKinds: ['throttled'] });
    const day = `s3://throttled-lasting/${dayPrefix('111122223333', 'us-east-1', '2026-11-19')}`;
    expect(status.lastPollError).toContain(`S3 is throttling requests under a day folder, skipped: ${day} (SlowDown`);
    expect(status.lastPollError).toMatch(/The rest of the window was read, and the next poll \(or ingest run\) lists it again\. Should it go on, /);
  } finally {
    await api.close();
    await proxy.close();
  }
}, 60_000);

/**
 * A run of NOW's day, whose listing S3 throttles, stopped 200 ms after the listing's request `stopAfter` (from 1), `headers`
 * sent with each 503: what it gave, how long after the stop it ended, and how many listing requests it made.
 */
async function stoppedWhileThrottled(bucket: string, stopAfter: number, waits: ThrottleWaits, headers?: Record<string, string>) {
  await threeDays(bucket);
  const stop = new AbortController();
  let stoppedAt = 0;
  const proxy = await throttlingProxy('/2026/11/20/', (n) => {
    if (n === stopAfter) {
      setTimeout(() => {
        stoppedAt = Date.now();
        stop.abort();
      }, 200);
    }
    return true;
  }, headers);
  try {
    const summary = await ingest({ source: `s3://${bucket}`, db, days: 1, now: NOW, s3Endpoint: proxy.url, s3ThrottleWaits: waits, signal: stop.signal });
    return { summary, endedMs: Date.now() - stoppedAt, requests: proxy.requests() };
  } finally {
    await proxy.close();
  }
}

test("a stop during a throttled listing's wait ends the run at once, as a stopped run", async () => {
  // Stopped once the source's first try has failed (the SDK's third request), in the source's wait of 30 to 60 s.
  const stopped = await stoppedWhileThrottled('throttled-stop', 3, { firstMs: 60_000, perRunMs: 600_000, sdkRetryMs: 1 });
  expect(stopped).toMatchObject({ summary: { stopped: true, objects: 0 }, requests: 3 });
  expect(stopped.endedMs).toBeLessThan(2000);
  expect(await lastRun()).toEqual({ error: null, kind: null, completed: false });
}, 60_000);

test("a stop during the AWS SDK's own wait between its tries of a throttled listing ends the run at once, as a stopped run", async () => {
  // Stopped after the SDK's first request, in its wait before the second: 5 s or more, as S3 asks for it (x-amz-retry-after, in ms).
  const stopped = await stoppedWhileThrottled('throttled-sdk-stop', 1, QUICK_WAITS, { 'x-amz-retry-after': '5000' });
  expect(stopped).toMatchObject({ summary: { stopped: true, objects: 0 }, requests: 1 });
  expect(stopped.endedMs).toBeLessThan(1000);
  expect(await lastRun()).toEqual({ error: null, kind: null, completed: false });
}, 60_000);

/** The service's ingestion status, as GET /api/ingest/status answers it. */
async function statusApi() {
  const token = 'status-token-0123456789';
  const api = await buildApi({ db, token });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    status: async (): Promise<IngestStatus> => (await fetch(`${url}/api/ingest/status`, { headers: { authorization: `Bearer ${token}` } })).json(),
    close: () => api.close(),
  };
}

test("the service's poll that S3 throttles on a day folder fails as throttled, and its retry stores that day, no event twice", async () => {
  await threeDays('throttled-serve');
  // The day before yesterday: not a poll's usual days, so a retry that read only those would never store it.
  const day = `s3://throttled-serve/${dayPrefix('111122223333', 'us-east-1', '2026-11-18')}`;
  let polls = 0;
  let statusRead!: () => void;
  const checked = new Promise<void>((resolve) => (statusRead = resolve));
  const proxy = await throttlingProxy('/2026/11/18/', () => polls === 1);
  const api = await statusApi();
  const { lines, logger } = memoryLogger();
  const service = startService({
    db, sources: ['s3://throttled-serve'], logger, days: 3, pollIntervalMs: 50, now: () => NOW, s3Endpoint: proxy.url, s3ThrottleWaits: QUICK_WAITS,
    syncTrails: false,
    // The retry waits until the failed poll's status is read: it would otherwise come 50 ms later.
    beforePoll: async () => {
      if (++polls === 2) await checked;
    },
  });
  try {
    await waitFor('the throttled poll', async () => (lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    expect(lines.find((l) => l.msg === 'ingest failed; retrying')?.err).toMatch(`under a day folder, skipped: ${day} (SlowDown`);
    const failed = await api.status();
    expect(failed).toMatchObject({ lastPoll: null, lastPollError: expect.stringContaining(day), lastPollErrorKinds: ['throttled'] });
    expect(failed.sources).toEqual([
      { source: 's3://throttled-serve', objects: 2, lastRun: expect.any(String), lastError: failed.lastPollError, lastErrorKind: 'throttled' },
    ]);
    statusRead();
    await waitFor('the retry', async () => (lines.some((l) => l.msg === 'ingest finished') ? true : undefined));
    // The first poll's 5 tries of 3 requests each, and the retry's listing of the day, not throttled.
    expect(proxy.requests()).toBe(16);
    const healthy = await api.status();
    expect(healthy).toMatchObject({ lastPoll: expect.any(String), lastPollError: null, lastPollErrorKinds: null });
    expect(healthy.sources).toEqual([{ source: 's3://throttled-serve', objects: 3, lastRun: expect.any(String), lastError: null, lastErrorKind: null }]);
  } finally {
    statusRead();
    await service.stop();
    await api.close();
    await proxy.close();
  }
  expect(lines.find((l) => l.msg === 'ingest finished')).toMatchObject({ objects: 1, events: 1, duplicates: 0 });
  expect(await db.all(`SELECT count(*)::INTEGER AS events, count(DISTINCT event_id)::INTEGER AS ids FROM events`)).toEqual([{ events: 3, ids: 3 }]);
}, 60_000);

test("a service started again after a poll S3 throttled reads that poll's days again, as it did not complete", async () => {
  await threeDays('throttled-restart');
  let throttling = true;
  const proxy = await throttlingProxy('/2026/11/18/', () => throttling);
  const serve = (days: number, logger: ReturnType<typeof memoryLogger>['logger']) =>
    startService({
      db, sources: ['s3://throttled-restart'], logger, days, pollIntervalMs: 3_600_000, now: () => NOW, s3Endpoint: proxy.url,
      s3ThrottleWaits: QUICK_WAITS, syncTrails: false,
    });
  const first = memoryLogger();
  const again = memoryLogger();
  const started: Service[] = [];
  try {
    // Stopped before its retry (10 s later).
    started.push(serve(3, first.logger));
    await waitFor('the throttled poll', async () => (first.lines.some((l) => l.msg === 'ingest failed; retrying') ? true : undefined));
    await started[0].stop();
    expect(await count('events')).toBe(2);
    throttling = false;
    // A first poll of 1 day: the day before yesterday is read only as the days of a run that did not complete.
    started.push(serve(1, again.logger));
    await waitFor('the poll after the restart', async () => (again.lines.some((l) => l.msg === 'ingest finished') ? true : undefined));
  } finally {
    for (const service of started) await service.stop();
    await proxy.close();
  }
  const caughtUp = again.lines.find((l) => /^catching up/.test(l.msg));
  expect(caughtUp).toMatchObject({ days: 3, msg: 'catching up: reading the 3 days since a run that did not complete' });
  expect(again.lines.find((l) => l.msg === 'ingest finished')).toMatchObject({ objects: 1, events: 1, duplicates: 0 });
  expect(await db.all(`SELECT count(*)::INTEGER AS events, count(DISTINCT event_id)::INTEGER AS ids FROM events`)).toEqual([{ events: 3, ids: 3 }]);
}, 60_000);

test('credentials that expire during a run fail it at their first refused download, not as a download error of every file after it', async () => {
  await s3.createBucket('expires');
  await s3.put('expires', `${dayPrefix('111122223333', 'us-east-1', '2026-11-19')}big.json.gz`, loneBatchLog('2026-11-19'));
  const day = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  for (const name of ['a', 'b', 'c']) await s3.put('expires', `${day}${name}.json.gz`, logFile([rec('2026-11-20')]));
  // The session ends after the first day's batch: S3 refuses every download of the second day's as it does an expired token.
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req) || !decodeURIComponent(req.url!).includes('/2026/11/20/')) return false;
    res.writeHead(400, { 'content-type': 'application/xml' })
      .end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>');
    return true;
  });
  try {
    const left = await withOwnTmp(async () => {
      await expect(ingest({ source: 's3://expires', db, days: 2, now: NOW, s3Endpoint: proxy.url }))
        .rejects.toThrow(/^S3 refused the credentials \(ExpiredToken\): the session has expired/);
    });
    expect(left).toEqual({ folders: 0, hooks: 0 });
  } finally {
    await proxy.close();
  }
  // The batch before is stored; no file is recorded as one that failed: they are not at fault, and the next run lists them.
  expect(await count('events')).toBe(1);
  expect(await count('ingest_errors')).toBe(0);
  expect(await db.all(`SELECT error_kind FROM ingest_runs`)).toEqual([{ error_kind: 'credentials' }]);
  expect(await ingest({ source: 's3://expires', db, days: 2, now: NOW, s3Endpoint: s3.endpoint })).toMatchObject({ objects: 3, unchanged: 1, errors: 0 });
}, 60_000);

test('a load that fails while the next batch downloads aborts those downloads and removes them before the run fails', async () => {
  await s3.createBucket('loadfails');
  const next = `${dayPrefix('111122223333', 'us-east-1', '2026-11-20')}big.json.gz`;
  await s3.put('loadfails', `${dayPrefix('111122223333', 'us-east-1', '2026-11-19')}big.json.gz`, loneBatchLog('2026-11-19'));
  await s3.put('loadfails', next, loneBatchLog('2026-11-20'));
  // The second batch's download sends its headers, then nothing: a stalled download, which only the run's failure ends
  // (the idle timeout is longer than this test's). Waited for, the run would not fail before the test times out.
  let downloading = () => undefined as void;
  const underWay = new Promise<void>((resolve) => (downloading = resolve));
  let hungUp = () => undefined as void;
  const abandoned = new Promise<void>((resolve) => (hungUp = resolve));
  const proxy = await proxyTo((req, res) => {
    if (!isGetObject(req) || !decodeURIComponent(req.url!).includes(next)) return false;
    res.writeHead(200, { 'content-length': '1000', etag: '"held"', 'content-type': 'application/octet-stream' });
    res.write('\x1f', () => downloading());
    res.on('close', () => hungUp());
    return true;
  });
  // A full disk cannot be made to happen here: the loader fails as DuckDB would.
  const load = jest.spyOn(BatchLoader.prototype, 'load').mockImplementation(async () => {
    await underWay;
    throw new Error('IO Error: No space left on device');
  });
  try {
    const left = await withOwnTmp(async () => {
      await expect(
        ingest({ source: 's3://loadfails', db, days: 2, now: NOW, s3Endpoint: proxy.url, s3IdleTimeoutMs: 10 * 60_000 })
      ).rejects.toThrow('No space left on device');
      // The client gave the download up: the server saw its connection close before it had sent the body.
      await abandoned;
    });
    expect(left).toEqual({ folders: 0, hooks: 0 });
  } finally {
    load.mockRestore();
    await proxy.close();
  }
  expect(await db.all(`SELECT error FROM ingest_runs`))
    .toEqual([{ error: expect.stringMatching(/^IO Error: No space left on device: free space on that disk/) }]);
}, 30_000);
