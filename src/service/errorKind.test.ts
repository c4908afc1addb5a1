// The kind of each error as caught: from the AWS SDK's error name and status, system codes and DuckDB's error type.
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { isDiskFull, isOutOfMemory, kindOf, kindsOf } from './errorKind';
import { FolderSource } from './ingest/sources/folder';
import { explainS3Error } from './ingest/sources/s3';

const sdk = (name: string, httpStatusCode: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
const timeout = (message: string) => Object.assign(new Error(`@smithy/node-http-handler - ${message}`), { name: 'TimeoutError' });

test.each([
  [sdk('AccessDenied', 403), 'access-denied'],
  [sdk('UnknownError', 403), 'access-denied'],
  // An SSE-KMS object whose key S3 may not use: a 400 with KMS's code, refused as a denied kms:Decrypt is.
  [sdk('KMS.DisabledException', 400), 'access-denied'],
  [sdk('KMS.KMSInvalidStateException', 400), 'access-denied'],
  [sdk('KMS.NotFoundException', 400), 'access-denied'],
  [sdk('NoSuchBucket', 404), 'no-bucket'],
  // S3's 503s when a prefix gets more requests than it takes at the time.
  [sdk('SlowDown', 503), 'throttled'],
  [sdk('ServiceUnavailable', 503), 'throttled'],
  // KMS throttling an SSE-KMS download's Decrypt: S3's 400, passed once the key's request rate allows.
  [sdk('KMS.ThrottlingException', 400), 'throttled'],
  [sdk('InvalidAccessKeyId', 403), 'credentials'],
  [sdk('SignatureDoesNotMatch', 403), 'credentials'],
  [sdk('ExpiredToken', 400), 'credentials'],
  [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'credentials'],
  [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'unreachable'],
  [Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } }), 'unreachable'],
  // The AWS SDK's own timeouts carry no code: a firewall that drops the connection, a server that never answers.
  [timeout('the request socket did not establish a connection with the server within the configured timeout of 10000 ms.'), 'unreachable'],
  [timeout('the request socket timed out after 60000 ms of inactivity (configured by client requestHandler).'), 'unreachable'],
  [Object.assign(new Error("EACCES: permission denied, open '/srv/logs/a.json.gz'"), { code: 'EACCES' }), 'access-denied'],
  [new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB'), 'out-of-memory'],
  [new Error('Catalog Error: Table with name events does not exist!'), 'other'],
])('%p is %p, and keeps it once explained', (err, kind) => {
  expect(kindOf(err)).toBe(kind);
  expect(kindOf(explainS3Error(err, 'audit-logs'))).toBe(kind);
});

test('a folder that is not there; the kinds of several sources joined in one message', () => {
  let folder: unknown;
  try {
    new FolderSource('/no/such/trailhound/folder');
  } catch (err) {
    folder = err;
  }
  expect(kindOf(folder)).toBe('no-folder');
  expect(kindsOf(Object.assign(new Error('a: …; b: …'), { kinds: ['access-denied', 'no-folder'] }))).toEqual(['access-denied', 'no-folder']);
  expect(kindsOf(sdk('NoSuchBucket', 404))).toEqual(['no-bucket']);
});

test("a full disk is disk-full, as Node and DuckDB each say it (/dev/full: a real write that finds no space)", async () => {
  let node: unknown;
  try {
    fs.writeFileSync('/dev/full', 'x');
  } catch (err) {
    node = err;
  }
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  let duck: unknown;
  try {
    await conn.run(`COPY (SELECT range AS a FROM range(100000)) TO '/dev/full' (FORMAT csv)`);
  } catch (err) {
    duck = err;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  // DuckDB's carries no code: only the system's words.
  expect(String(duck)).toMatch(/^Error: IO Error: Could not write file "\/dev\/full": No space left on device/);
  expect([kindOf(node), kindOf(duck), kindOf(Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' }))]).toEqual([
    'disk-full',
    'disk-full',
    'disk-full',
  ]);
  expect(isDiskFull(new Error('IO Error: Could not read from file "x": Is a directory'))).toBe(false);
});

test('out of memory is recognised (the loader then loads the batch in halves)', () => {
  expect(isOutOfMemory(new Error('Out of Memory Error: failed to allocate data of size 16.0 MiB (123.6 MiB/137.3 MiB used)'))).toBe(true);
  expect(isOutOfMemory(new Error('Out of Memory Error: could not allocate block of size 256.0 KiB (121.8 MiB/122.0 MiB used)'))).toBe(true);
  expect(isOutOfMemory(new Error('IO Error: Input is not a GZIP stream'))).toBe(false);
});
