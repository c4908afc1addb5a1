// A real Trailhound service for backend tests: the Stratus Red Team records ingested into a DuckDB file,
// served by the service's own HTTP API on a loopback port.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/service/api/server';
import { Database } from '../../../src/service/db/database';
import { ingest } from '../../../src/service/ingest';
import { isGetObject, proxyS3, startTestS3 } from '../../support/s3';
import { logFile, stratusRecords, writeStratusFolder, type CloudTrailRecord } from '../../support/stratus';
import { dayPrefix, tempDir } from '../../support/temp';

export const TOKEN = 'backend-test-token';

export interface TestService {
  url: string;
  token: string;
  records: CloudTrailRecord[];
  api: FastifyInstance;
  /** The service's database, for a test that changes what is stored (and puts it back). */
  db: Database;
  close(): Promise<void>;
}

export async function startStratusService(): Promise<TestService> {
  const dir = tempDir('trailhound-backend-');
  writeStratusFolder(path.join(dir, 'logs'));
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  await ingest({ source: path.join(dir, 'logs'), db });
  const api = await buildApi({ db, token: TOKEN });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: TOKEN,
    records: stratusRecords().map((r) => r.record),
    api,
    db,
    close: async () => {
      await api.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}


/** Whom and what AWS names when it refuses the service: what the plugin shows only to Editors and Admins. */
export const DENIED = { role: 'arn:aws:sts::111122223333:assumed-role/trailhound-reader/i-0abc12345', bucket: 'audit-logs-111122223333' };

/**
 * A service whose S3 access was refused, as AWS refuses it: an S3-compatible server (fauxqs) behind a proxy that
 * answered one GetObject, then every request, with AWS's AccessDenied naming the role. So the database holds a
 * download that failed (an unreadable file) and a failed last run (the status's lastPollError), in the service's words.
 */
export async function startDeniedService(): Promise<Pick<TestService, 'url' | 'token' | 'close'>> {
  const dir = tempDir('trailhound-denied-');
  const s3 = await startTestS3();
  const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
  const record = (id: string) => ({ eventTime: '2026-11-20T08:00:00Z', eventID: id, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1' });
  await s3.createBucket(DENIED.bucket);
  await s3.put(DENIED.bucket, `${prefix}a.json.gz`, logFile([record('denied-a')]));
  await s3.put(DENIED.bucket, `${prefix}b.json.gz`, logFile([record('denied-b')]));
  let refuse: 'a' | 'everything' = 'a';
  const proxy = await proxyS3(s3, (req, res) => {
    if (refuse === 'a' && !(isGetObject(req) && req.url!.includes('a.json.gz'))) return false;
    const action = isGetObject(req) ? 's3:GetObject' : 's3:ListBucket';
    const message = `User: ${DENIED.role} is not authorized to perform: ${action} on resource: "arn:aws:s3:::${DENIED.bucket}" because no identity-based policy allows the ${action} action`;
    res.writeHead(403, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`);
    return true;
  });
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  try {
    const run = () => ingest({ source: `s3://${DENIED.bucket}`, db, days: 1, now: new Date('2026-11-20T12:00:00Z'), s3Endpoint: proxy.url });
    await run();
    refuse = 'everything';
    await run().then(
      () => Promise.reject(new Error('the second run was to be refused')),
      () => undefined
    );
  } finally {
    await proxy.close();
    await s3.stop();
  }
  const api = await buildApi({ db, token: TOKEN });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: TOKEN,
    close: async () => {
      await api.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
