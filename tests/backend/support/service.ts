// A real Trailhound service for backend tests: the Stratus Red Team records ingested into a DuckDB file,
// served by the service's own HTTP API on a loopback port.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { QueryError } from '../../../src/model/query';
import { errorAnswer } from '../../../src/service/api/errors';
import { buildApi } from '../../../src/service/api/server';
import { refuseUnknownFields } from '../../../src/service/reports/answerPlan';
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
  const record = (id: string) =>
    ({ eventTime: '2026-11-20T08:00:00Z', eventID: id, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1' });
  await s3.createBucket(DENIED.bucket);
  await s3.put(DENIED.bucket, `${prefix}a.json.gz`, logFile([record('denied-a')]));
  await s3.put(DENIED.bucket, `${prefix}b.json.gz`, logFile([record('denied-b')]));
  let refuse: 'a' | 'everything' = 'a';
  const proxy = await proxyS3(s3, (req, res) => {
    if (refuse === 'a' && !(isGetObject(req) && req.url!.includes('a.json.gz'))) return false;
    const action = isGetObject(req) ? 's3:GetObject' : 's3:ListBucket';
    const message = `User: ${DENIED.role} is not authorized to perform: ${action} on resource: "arn:aws:s3:::${DENIED.bucket}" ` +
      `because no identity-based policy allows the ${action} action`;
    res.writeHead(403, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${message}</Message></Error>`);
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

/**
 * A real service as one at another version would answer the plugin: a loopback proxy in front of it that says
 * `version` (and `status`) in /api/health, and for what only a service at another version would do, adds `extra` to
 * each query it passes on (as a newer plugin sends a field the service does not know: the service's own refusal
 * answers), answers the `missing` endpoints as 0.1.0's fastify did one it had not, and says the opening of its database
 * `in status`, as builds before the `database` field did. Its error answers are the service's, or `reworded` as a later
 * version might word them (their codes kept), or `as 0.1.0` gave them, without codes. A service of another version
 * cannot run here (the version is package.json's): the rest is the real service's answer.
 */
export async function skewedService(
  target: string,
  skew: {
    version: string;
    status?: string;
    extra?: Record<string, unknown>;
    missing?: string[];
    movedMethod?: string[];
    opening?: 'in status';
    answers?: AnswerStyle;
    /** The fields of a query's range the service knows (as one older than time zones knew from and to alone). */
    rangeFields?: readonly string[];
    /** Fields of a query's range the service takes but ignores (as 0.1.0 did the time zone): not passed on. */
    ignoredRangeFields?: readonly string[];
  }
): Promise<{ url: string; close: () => Promise<void>; requests: string[] }> {
  // Each request's method and route, as it came: what the plugin asked, and how often.
  const requests: string[] = [];
  const server = http.createServer(async (req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: string | undefined = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
    const route = (req.url ?? '').split('?')[0];
    let url = req.url ?? '';
    if (skew.missing?.includes(route)) {
      if (skew.answers !== 'as 0.1.0') {
        // The service's own answer to an endpoint it has not.
        url = `/api/not-in-this-version${url}`;
      } else {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        return res.end(JSON.stringify({ message: `Route ${req.method}:${req.url} not found`, error: 'Not Found', statusCode: 404 }));
      }
    }
    // An endpoint another version serves under another method: the real service's 405 for the method the plugin sends.
    const method = skew.movedMethod?.includes(route) ? 'PATCH' : req.method;
    if (route === '/api/query' && body && skew.rangeFields) {
      // The refusal of a range field it does not know, by the service's own check with the older list of fields.
      try {
        refuseUnknownFields(JSON.parse(body).range, skew.rangeFields, 'time range', 'range.');
      } catch (err) {
        const { message, code } = err as QueryError;
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        return res.end(JSON.stringify(errorAnswer(code!, message)));
      }
    }
    if (route === '/api/query' && body && skew.ignoredRangeFields) {
      const request = JSON.parse(body);
      for (const field of skew.ignoredRangeFields) delete request.range[field];
      body = JSON.stringify(request);
    }
    if (route === '/api/query' && body && skew.extra) {
      const request = JSON.parse(body);
      request.queries = request.queries.map((q: object) => ({ ...q, ...skew.extra }));
      body = JSON.stringify(request);
    }
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'authorization', 'content-type']) if (req.headers[name]) headers[name] = String(req.headers[name]);
    const answer = await fetch(`${target}${url}`, { method, headers, body });
    let text: Buffer = Buffer.from(await answer.arrayBuffer());
    if (skew.answers && route !== '/api/health') text = restyled(text, answer.headers.get('content-type') ?? '', skew.answers);
    if (route === '/api/health') {
      const health = JSON.parse(text.toString('utf8'));
      const said = { ...health, version: skew.version, ...(skew.status && { status: skew.status }) };
      // As the builds between 0.1.0 and `database` said the opening: in `status`.
      if (skew.opening === 'in status' && health.database !== 'open') Object.assign(said, { status: health.database, database: undefined });
      text = Buffer.from(JSON.stringify(said));
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())), requests };
}

export type AnswerStyle = 'reworded' | 'as 0.1.0';

/** The advice 0.1.0 ended an unknown field's refusal with, which today's words replaced (answerPlan.ts refuseUnknownFields). */
export const UNKNOWN_FIELD_ADVICE_0_1_0 = 'is the service older than its client? Upgrade it';

/**
 * An answer's errors (its own, or each query's in its results or lines) in another style: `reworded`, each error (each
 * has a code) in words that are none of those the plugin knows (a later version's rewording: only the code tells what
 * it is); `as 0.1.0`, without codes, in 0.1.0's words (today's, but for an unknown field's advice).
 */
function restyled(text: Buffer, type: string, style: AnswerStyle): Buffer {
  type Said = { error?: unknown; code?: unknown; results?: Record<string, Said> };
  const restyle = (said: Said): Said => {
    if (typeof said?.error !== 'string' || said.code === undefined) return said;
    if (style === 'as 0.1.0') {
      const error = said.code === 'unknown-field' ? said.error.replace(/\): [^)]*$/, `): ${UNKNOWN_FIELD_ADVICE_0_1_0}`) : said.error;
      return { ...said, error, code: undefined };
    }
    return { ...said, error: `refused by the service, in words of another version (${String(said.code)})` };
  };
  const lines = type.startsWith('application/x-ndjson');
  const parts = lines ? text.toString('utf8').split('\n') : [text.toString('utf8')];
  const each = parts.map((part) => {
    let said: Said;
    try {
      said = JSON.parse(part);
    } catch {
      return part; // not JSON (a line's end, a page): as it came
    }
    const results = said.results && Object.fromEntries(Object.entries(said.results).map(([refId, result]) => [refId, restyle(result)]));
    return JSON.stringify(restyle({ ...said, ...(results && { results }) }));
  });
  return Buffer.from(each.join('\n'));
}
