// The service's HTTP API over real loopback HTTP: auth, validation, every endpoint, hostile filter values,
// and queries racing an ingestion into the same DuckDB file.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type QueryResponse, SERVICE_HEADER } from '../../src/model/api';
import { writeLogFolder } from '../../src/generator';
import { DatabaseOpening } from '../../src/service/api/opening';
import { buildApi } from '../../src/service/api/server';
import { sizeText } from '../../src/service/counted';
import { Database, databaseFiles, MIGRATION_STEPS, type OpenOptions } from '../../src/service/db/database';
import { SCHEMA_VERSION } from '../../src/service/db/schema';
import { VERSION } from '../../src/service/version';
import { ingest, sourceId, type IngestSummary } from '../../src/service/ingest';
import { CLOUDTRAIL_BEGAN, cloudTrailDays } from '../../src/service/ingest/keys';
import { QueryTimeoutError, Reports, TIME_FORMS } from '../../src/service/reports';
import { sampleTrails } from '../../src/service/sample';
import { storeTrails } from '../../src/service/trails';
import type { Logger } from '../../src/service/logger';
import { withApi } from '../support/api';
import { runCli } from '../support/cli';
import { countBy, oracleEventCategory, oraclePermissionSet, oracleRole, oracleUser } from '../support/oracle';
import { stratusRecords, writeStratusFolder } from '../support/stratus';
import { tempDir } from '../support/temp';
import { memoryLogger } from '../support/watch';

const TOKEN = 'test-token-123';
const records = stratusRecords().map((x) => x.record);
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

const backfills: number[] = [];
// Each backfill runs until the test settles it.
const settle: Array<(err?: Error) => void> = [];
const backfill = (days: number) => {
  backfills.push(days);
  return new Promise<IngestSummary>((resolve, reject) => settle.push((err) => (err ? reject(err) : resolve({} as IngestSummary))));
};
const served = withApi('api.duckdb', { token: TOKEN, backfill }, async (db, dir) => {
  writeStratusFolder(path.join(dir, 'stratus'));
  await ingest({ source: path.join(dir, 'stratus'), db });
});

async function call(method: string, route: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${served.url}${route}`, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') ?? '' };
}

const query = (queries: object[], range: object = RANGE) => call('POST', '/api/query', { range, queries });
const totalEvents = async () =>
  (await query([{ refId: 'T', queryType: 'totals' }])).json.results.T.frames[0].fields.find((f: any) => f.name === 'events').values[0];

describe('auth', () => {
  test('health needs no token and tells nothing about the data', async () => {
    const r = await call('GET', '/api/health', undefined, null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', version: VERSION, database: 'open' });
    // With a query string (a load balancer's cache-buster) it is the same check.
    expect(await call('GET', '/api/health?probe=1', undefined, null)).toMatchObject({ status: 200, json: r.json });
    // Nothing else passes for it: another path under it is no route, and wants the token first.
    expect((await call('GET', '/api/health/../trails', undefined, null)).status).toBe(401);
    expect((await call('GET', '/api/healthz', undefined, null)).status).toBe(401);
  });

  const routes = ['/api/ingest/status', '/api/ingest/errors', '/api/trails', '/api/values/user', `/api/events/${records[0].eventID}`, '/metrics'];
  test.each(routes)('%s: 401 without the token, or with a wrong one', async (route) => {
    for (const token of [null, 'wrong', '']) {
      const r = await call('GET', route, undefined, token);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: expect.stringMatching(/bearer token/), code: 'unauthorized' });
    }
    expect((await call('GET', route)).status).toBe(200);
  });

  // And each says it is the service's (SERVICE_HEADER), so a client tells it from a proxy's own answer at the same status.
  test('no answer may be cached or sniffed as another type: they hold audit data (a 401, a report, a stream, a 404, a 400, metrics)', async () => {
    const answers = [
      await fetch(`${served.url}/api/trails`),
      await fetch(`${served.url}/api/trails`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      await fetch(`${served.url}/api/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/x-ndjson' },
        body: JSON.stringify({ range: RANGE, queries: [{ refId: 'A', queryType: 'events', limit: 5 }] }),
      }),
      await fetch(`${served.url}/api/nothing`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      await fetch(`${served.url}/api/health`),
      await fetch(`${served.url}/api/values/user?limit=x`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    ];
    for (const res of answers) {
      await res.arrayBuffer();
      const headers = ['cache-control', 'x-content-type-options', SERVICE_HEADER].map((name) => res.headers.get(name));
      expect([res.status, ...headers]).toEqual([res.status, 'no-store', 'nosniff', VERSION]);
    }
    expect(answers.map((r) => r.status)).toEqual([401, 200, 200, 404, 200, 400, 200]);
  });

  test('the Bearer scheme is case-insensitive (RFC 9110); the token is not', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await fetch(`${served.url}/api/trails`, { headers: { authorization: `${scheme} ${TOKEN}` } });
      expect(res.status).toBe(200);
    }
    const wrongCase = await fetch(`${served.url}/api/trails`, { headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` } });
    expect(wrongCase.status).toBe(401);
    expect((await fetch(`${served.url}/api/trails`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
  });

  test('a token sent without "Bearer " before it (curl -H "Authorization: $TOKEN") is told so, not only "missing or wrong"', async () => {
    const refused = async (authorization: string) => (await (await fetch(`${served.url}/api/trails`, { headers: { authorization } })).json()) as object;
    const noScheme = 'missing or wrong bearer token: the Authorization header does not start with "Bearer ": send "Authorization: Bearer <token>"';
    for (const header of [TOKEN, `Basic ${TOKEN}`, `Token ${TOKEN}`]) {
      expect(await refused(header)).toEqual({ error: expect.stringContaining(noScheme), code: 'unauthorized' });
    }
    // With the scheme, the token is missing or wrong: that alone, as the header holds no slip to point at.
    const missingOrWrong = /^missing or wrong bearer token: send "Authorization: Bearer <token>"/;
    for (const header of ['Bearer wrong', 'Bearer', 'bearer  ']) {
      expect(await refused(header)).toEqual({ error: expect.stringMatching(missingOrWrong), code: 'unauthorized' });
    }
  });

  test('the service’s token is trimmed, as the presented one is; a blank one is refused', async () => {
    const newline = await buildApi({ db: served.db, token: `${TOKEN}\n` });
    const newlineUrl = await newline.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${newlineUrl}/api/trails`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      await newline.close();
    }
    await expect(buildApi({ db: served.db, token: ' \n' })).rejects.toThrow(/needs a bearer token/);
  });

  test('a query without the token is refused before it runs', async () => {
    expect((await call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A' }] }, null)).status).toBe(401);
  });
});

describe('POST /api/query', () => {
  test('one result per refId; a timeseries is one labelled frame per group', async () => {
    const r = await query([
      { refId: 'A', groupBy: 'user', aggregate: 'day', status: 'unauthorized' },
      { refId: 'B', queryType: 'totals' },
    ]);
    expect(r.status).toBe(200);
    const body = r.json as QueryResponse;
    const a = (body.results.A as any).frames;
    const users = new Set(records.filter((x) => /AccessDenied|UnauthorizedOperation/.test(x.errorCode ?? '')).map(oracleUser));
    expect(new Set(a.map((f: any) => f.fields[1].labels.user))).toEqual(users);
    expect((body.results.B as any).frames[0].fields.find((f: any) => f.name === 'events').values).toEqual([records.length]);
  });

  test('epoch milliseconds work as well as ISO times', async () => {
    const r = await query([{ refId: 'A', queryType: 'totals' }], { from: 0, to: Date.parse(RANGE.to) });
    expect(r.json.results.A.frames[0].fields[1].values).toEqual([records.length]);
  });

  test('a bad query is its refId’s 400 error naming the field; the others still answer', async () => {
    const r = await query([{ refId: 'bad', groupBy: 'colour' }, { refId: 'good', queryType: 'totals' }]);
    expect(r.status).toBe(200);
    const colour = /^groupBy: "colour" is not one of user, eventName/;
    expect(r.json.results.bad).toEqual({ status: 400, error: expect.stringMatching(colour), code: 'unknown-value' });
    expect(r.json.results.good.frames).toHaveLength(1);
  });

  test('a peak window out of bounds is its refId’s 400 naming peakWindow; a good one is a field the service knows', async () => {
    const r = await query([
      { refId: 'long', peakWindow: 1441 },
      { refId: 'text', peakWindow: '30m' },
      { refId: 'good', peakWindow: 30, format: 'table' },
    ]);
    const refused = /^peakWindow: must be a whole number of minutes from 1 to 1440 \(a day\), or 0 for plain counts$/;
    const answer = { status: 400, error: expect.stringMatching(refused), code: 'invalid-request' };
    expect([r.json.results.long, r.json.results.text]).toEqual([answer, answer]);
    expect(r.json.results.good.frames).toHaveLength(1);
  });

  test('a field the service does not know is its refId’s 400, never silently ignored (a client newer than the service)', async () => {
    const r = await query([{ refId: 'newer', queryType: 'events', timeBasis: 'arrival' }, { refId: 'good', queryType: 'totals' }]);
    const advice = 'is the client at another version than the service\\? Run the same version of both';
    expect(r.json.results.newer).toEqual({
      status: 400,
      error: expect.stringMatching(new RegExp(`^timeBasis: is not a field of this service's query model \\(queryType, .*\\): ${advice}$`)),
      code: 'unknown-field',
    });
    expect(r.json.results.good.frames).toHaveLength(1);
    // Beside the queries too, and in the range (named with it): the whole request is refused.
    const refusals: Array<[object, string]> = [
      [{ range: RANGE, timezone: 'Europe/Paris' }, "timezone: is not a field of this service's query request (range, intervalMs, maxDataPoints, queries): "],
      [{ range: { ...RANGE, calendar: 'julian' } }, "range.calendar: is not a field of this service's time range (from, to, timeZone): "],
    ];
    for (const [request, refusal] of refusals) {
      const whole = await call('POST', '/api/query', { ...request, queries: [{ refId: 'A', queryType: 'totals' }] });
      expect(whole.status).toBe(400);
      expect(whole.json).toEqual({ error: `${refusal}is the client at another version than the service? Run the same version of both`, code: 'unknown-field' });
    }
  });

  test.each([
    [{ queries: [] }, /^range is required: a JSON object: \{"from": \.\.\., "to": \.\.\., "timeZone": \.\.\.\}, each a time \(ISO 8601, .*\), and the/],
    // A client that put the range's times beside it is told where they go.
    [{ ...RANGE, queries: [] }, /^range is required: a JSON object: \{"from": \.\.\., "to": \.\.\., "timeZone": .* \(from and to belong inside range\)$/],
    [{ from: RANGE.from, queries: [] }, /\(from belongs inside range\)$/],
    [{ range: { from: 'x' }, queries: [] }, /^range\.to is required$/],
    [{ range: RANGE }, /^queries is required: a list: \[\{"refId": "A", \.\.\.\}\]$/],
    [{ range: RANGE, queries: [{ queryType: 'totals' }] }, /^queries\[0\]\.refId is required$/],
    [{ range: RANGE, queries: [{ refId: 'A' }], maxDataPoints: 'many' }, /^maxDataPoints: must be a whole number from 1 to 100000$/],
    // What to do, not ajv's "must NOT have more than 50 items".
    [
      { range: RANGE, queries: Array.from({ length: 51 }, (_, i) => ({ refId: `q${i}` })) },
      /^queries: 51 in one request, at most 50: send them in several requests$/,
    ],
  ])('a malformed body %j is a 400 naming the field', async (body, field) => {
    const r = await call('POST', '/api/query', body);
    expect(r.status).toBe(400);
    // More queries than one request takes is too much, not a mistake: the same queries, in several requests, answer.
    expect(r.json).toEqual({ error: expect.stringMatching(field), code: 'queries' in body && body.queries!.length > 50 ? 'too-large' : 'invalid-request' });
  });

  test("a time that is neither text nor a number is a 400 naming it and what a time is, not ajv's lines about an anyOf", async () => {
    const r = await call('POST', '/api/query', { range: { from: {}, to: RANGE.to }, queries: [{ refId: 'A' }] });
    const error = 'range.from: must be a time (ISO 8601, UTC unless it names a zone, or epoch milliseconds)';
    expect(r).toMatchObject({ status: 400, json: { error, code: 'invalid-request' } });
  });

  test('a bad time range is each query’s 400', async () => {
    const r = await query([{ refId: 'A' }], { from: 'yesterday-ish', to: 'now' });
    expect(r.json.results.A).toEqual({ status: 400, error: expect.stringMatching(/^range.from: /), code: 'invalid-request' });
    const backwards = await query([{ refId: 'A' }], { from: RANGE.to, to: RANGE.from });
    expect(backwards.json.results.A.error).toMatch(/"to" must be after "from"/);
  });

  test.each([
    [{ from: 1e20, to: 1e20 + 1 }, /^range.from: 100000000000000000000 is after the times the service can answer for: 1970-01-01 to 9999-12-31/],
    [{ from: '+020000-01-01', to: '+020000-01-02' }, /^range.from: "\+020000-01-01" is not a time/],
    [{ from: -86_400_000, to: 0 }, /^range.to: 0 ends the range before the times the service can answer for/],
  ])('an extreme time %j is each query’s 400 naming the field, not a 500 with SQL', async (range, message) => {
    const r = await query([{ refId: 'A' }, { refId: 'B', format: 'list' }], range);
    expect(r.status).toBe(200);
    for (const refId of ['A', 'B']) expect(r.json.results[refId]).toEqual({ status: 400, error: expect.stringMatching(message), code: 'invalid-request' });
    expect(r.text).not.toMatch(/SELECT|Invalid time value|Conversion Error/i);
  });

  // Grafana's "now-100y", or a zoom out of a long range, reaches before 1970: every panel was an error.
  test('a range reaching before 1970 and after 9999 is answered as the range within, where every stored event is', async () => {
    const totals = [{ refId: 'A', queryType: 'totals' }, { refId: 'B', groupBy: 'user', limit: 1000 }];
    const within = await query(totals, { from: 0, to: '9999-12-31T23:59:59.999Z' });
    const wider = await query(totals, { from: '1926-11-29', to: '99999999999999999' });
    expect(within.json.results.A.frames[0].fields.find((f: any) => f.name === 'events').values[0]).toBeGreaterThan(0);
    expect(wider.json).toEqual(within.json);
    const values = (from: string, to: string) => call('GET', `/api/values/user?from=${from}&to=${to}&limit=1000`);
    const listed = await values('0', '253402300799999');
    expect(listed.json.values.length).toBeGreaterThan(0);
    expect((await values('-1000000000000000', '99999999999999999')).json).toEqual(listed.json);
  });

  test.each([1e300, 366 * 86_400_000 + 1, -1])('intervalMs %p outside 0 to 366 days is a 400 naming it', async (intervalMs) => {
    const r = await call('POST', '/api/query', { range: RANGE, intervalMs, queries: [{ refId: 'A' }] });
    expect(r.status).toBe(400);
    const error = "intervalMs: must be a number from 0 to 31622400000 (a bucket's width in milliseconds, at most 366 days)";
    expect(r.json).toEqual({ error, code: 'invalid-request' });
  });

  test('the widest bucket width allowed still answers', async () => {
    const r = await call('POST', '/api/query', { range: RANGE, intervalMs: 366 * 86_400_000, queries: [{ refId: 'A' }] });
    expect(r.status).toBe(200);
    expect(r.json.results.A.frames).toEqual(expect.any(Array));
  });

  test('a refId used twice is a 400 naming it, not one answer silently lost', async () => {
    const r = await query([{ refId: 'A', queryType: 'totals' }, { refId: 'B' }, { refId: 'A', format: 'list' }]);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'queries: refId "A" is used by more than one query: give each query its own refId', code: 'invalid-request' });
  });

  test('a refId that names a property of every object ("__proto__", "constructor") gets its answer like any other', async () => {
    const r = await query([{ refId: '__proto__', queryType: 'totals' }, { refId: 'constructor', queryType: 'totals' }, { refId: 'toString', limit: 0 }]);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json.results).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(r.json.results.__proto__.frames[0].fields[1]).toMatchObject({ name: 'events', values: [records.length] });
    expect(r.json.results.toString).toEqual({ status: 400, error: expect.stringMatching(/^limit: /), code: 'invalid-request' });
  });

  test('not JSON, or too big, is refused with a clear error', async () => {
    const notJson = await call('POST', '/api/query', '{"range":');
    expect(notJson).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^the body is not valid JSON \(.+\)$/), code: 'invalid-request' } });
    // Valid JSON nested past what the reader's stack holds: said so, not called invalid.
    const nested = `{"range":{"from":0,"to":1},"queries":[{"refId":"A","filters":{"user":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`;
    const deep = { error: 'the body nests its JSON too deep to read: no request of this API nests more than a few levels', code: 'invalid-request' };
    expect(await call('POST', '/api/query', nested)).toMatchObject({ status: 400, json: deep });
    const empty = { error: 'the body is empty: send the request as JSON', code: 'invalid-request' };
    expect(await call('POST', '/api/query', ' ')).toMatchObject({ status: 400, json: empty });
    const huge = await call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A', resourceId: 'x'.repeat(5 * 1024 * 1024) }] });
    // The limit and what to do, not fastify's bare "Request body is too large".
    const tooBig = 'the body is over 4 MB, the most this service reads: send fewer or shorter queries, in several requests';
    expect(huge).toMatchObject({ status: 413, json: { error: tooBig, code: 'too-large' } });
  });

  test('a smaller body limit is said in the unit that fits, not as "0 MB"', async () => {
    const limits: Array<[number, string]> = [[600, '600 bytes'], [10 * 1024, '10 KB'], [40_000, '39 KB'], [1536 * 1024, '1.5 MB']];
    for (const [bodyLimit, said] of limits) {
      const api = await buildApi({ db: served.db, token: TOKEN, bodyLimit });
      try {
        const url = await api.listen({ host: '127.0.0.1', port: 0 });
        const res = await fetch(`${url}/api/query`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ range: RANGE, queries: [{ refId: 'A', resourceId: 'x'.repeat(bodyLimit) }] }),
        });
        expect({ status: res.status, json: await res.json() }).toEqual({
          status: 413,
          json: { error: `the body is over ${said}, the most this service reads: send fewer or shorter queries, in several requests`, code: 'too-large' },
        });
      } finally {
        await api.close();
      }
    }
    // Rounded down, so that a body of the size said fits; a unit's edge is still in the smaller unit.
    expect([1, 1023, 1024, 1024 * 1024 - 1, 4 * 1024 * 1024].map(sizeText)).toEqual(['1 byte', '1023 bytes', '1 KB', '1023.9 KB', '4 MB']);
  });

  test('a timeseries too big to draw is a 400 that says what to do', async () => {
    const r = await query([{ refId: 'A', groupBy: 'resource', aggregate: 'day', limit: 10000 }]);
    expect(r.json.results.A).toEqual({ status: 400, error: expect.stringMatching(/^limit: 10000 series of \d+ points is too much/), code: 'too-large' });
  });

  test('time series that each fit but together ask too much: the later ones are a 400, the first still answers', async () => {
    // 1,000 days of hours: 24,000 points per series; 150 series is 3.6 M points, two such queries 7.2 M.
    const range = { from: '2024-01-01T00:00:00Z', to: '2026-09-27T00:00:00Z' };
    const heavy = { aggregate: 'hour', groupBy: 'eventName', limit: 150 };
    const r = await query([{ refId: 'A', ...heavy }, { refId: 'B', ...heavy }, { refId: 'C', format: 'table', groupBy: 'user' }], range);
    expect(r.json.results.A.status).toBeUndefined();
    expect(r.json.results.A.frames.length).toBeGreaterThan(0);
    expect(r.json.results.B).toEqual({
      status: 400,
      error: expect.stringMatching(/^queries: this request's time series together ask for more than 5000000 points/),
      code: 'too-large',
    });
    expect(r.json.results.C.status).toBeUndefined();
  });

  test('an ungrouped time series counts as one series against the budget, whatever its limit', async () => {
    // Ten years of hours, 87,672 points: four such series are 350 k points, far inside the budget.
    const range = { from: '2016-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };
    const r = await query(['A', 'B', 'C', 'D'].map((refId) => ({ refId, groupBy: 'none', aggregate: 'hour' })), range);
    for (const refId of ['A', 'B', 'C', 'D']) expect(r.json.results[refId].status).toBeUndefined();
  });

  test('too many points per series is a 400 that says what to do', async () => {
    const r = await query([{ refId: 'A', aggregate: 'hour' }], { from: '1970-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' });
    expect(r.json.results.A).toEqual({ status: 400, error: expect.stringMatching(/^aggregate: .* use day or auto/), code: 'too-large' });
  });

  test('lists and tables (of events, of unreadable files) share one budget of rows, by their limits: inside it all answer, past it a 400', async () => {
    // Eight lists and two tables of the largest limit are the 100,000 rows a request may ask for.
    const full = [
      ...Array.from({ length: 8 }, (_, i) => ({ refId: `L${i}`, format: 'list', limit: 10_000 })),
      { refId: 'T0', format: 'table', groupBy: 'resource', limit: 10_000 },
      { refId: 'T1', format: 'table', groupBy: 'user', limit: 10_000 },
    ];
    const inside = await query(full);
    expect(inside.status).toBe(200);
    for (const { refId } of full) expect(inside.json.results[refId].frames).toEqual([expect.objectContaining({ fields: expect.any(Array) })]);
    expect(inside.json.results.L0.frames[0].fields[0].values).toHaveLength(records.length);
    // One row more is too many, in a list, a table or a list of unreadable files; a time series, totals, the ingestion
    // status and a list within the budget still answer.
    const r = await query([
      ...full,
      { refId: 'X', format: 'list', limit: 1 },
      { refId: 'Y', format: 'table', groupBy: 'user', limit: 1 },
      { refId: 'U', queryType: 'ingest', ingestView: 'errors', limit: 1 },
      { refId: 'S', groupBy: 'user', aggregate: 'day' },
      { refId: 'N', queryType: 'totals' },
      { refId: 'I', queryType: 'ingest' },
    ]);
    const budget = 'queries: this request\'s lists and tables together ask for more than 100000 rows (the sum of their limits): ' +
      'lower the limits, or split the queries over panels';
    for (const refId of ['X', 'Y', 'U']) expect(r.json.results[refId]).toEqual({ status: 400, error: budget, code: 'too-large' });
    for (const refId of ['L7', 'T1', 'S', 'N', 'I']) expect(r.json.results[refId].status).toBeUndefined();
    // The budget is per request: the same lists asked again answer again.
    expect((await query([{ refId: 'X', format: 'list', limit: 1 }])).json.results.X.frames[0].fields[0].values).toHaveLength(1);
  });
});

type StopOptions = { queryTimeoutMs?: number; requestTimeoutMs?: number; answerCapacity?: number; sendTimeoutMs?: number; logger?: Logger };
type WithMetrics = (url: string, metric: (name: string) => Promise<number>) => Promise<void>;

/** An API of its own on `database`; `run` gets its URL and a reader of its metrics. */
async function withApiOn(database: Database, options: StopOptions, run: WithMetrics): Promise<void> {
  const api = await buildApi({ db: database, token: TOKEN, ...options });
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  const metric = async (name: string) => {
    const text = await (await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.slice(name.length + 1));
  };
  try {
    await run(apiUrl, metric);
  } finally {
    await api.close();
  }
}

/** Waits until `check` holds, asking again and again: the test's own timeout bounds the wait. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Once a statement of the request `answer` runs, its `client` hangs up (its fetch fails, as an aborted one does): the
 * statements started until then.
 */
async function hangUpMidStatement(client: AbortController, answer: Promise<Response>, metric: (name: string) => Promise<number>): Promise<number> {
  const failure = answer.then(
    () => 'answered',
    (err: Error) => err.name
  );
  await until(async () => (await metric('trailhound_query_statements_running')) === 1);
  const started = await metric('trailhound_query_statements_total');
  client.abort();
  expect(await failure).toBe('AbortError');
  return started;
}

describe('long queries are stopped: past the timeout, past the request\'s deadline, or when the client goes away', () => {
  let big: Database;

  beforeAll(async () => {
    // A database of its own where grouping by resource unnests six million rows: DuckDB is busy with one such query
    // for seconds, far longer than a 1 ms timeout or a client's hang-up takes, however fast or loaded the machine.
    big = await Database.open(path.join(served.dir, 'big.duckdb'));
    // By name: the columns not named are NULL, whatever columns a later schema adds.
    await big.run(`INSERT INTO events BY NAME SELECT 'e' || i AS event_id, TIMESTAMP '2026-01-01' + to_seconds(i % 864000) AS event_time,
      'Event' || (i % 50) AS event_name, 'svc.amazonaws.com' AS event_source, 'svc' AS service, 'r' AS region, 'a' AS account,
      'user-' || (i % 5000) AS user_name, 'IAMUser' AS identity_type, '10.0.' || (i % 200) || '.1' AS source_ip, true AS source_is_ip,
      false AS read_only, false AS is_error, false AS is_unauthorized,
      list_transform(range(20), k -> {'id': 'arn:aws:s3:::b-' || ((i * 20 + k) % 100000), 'name': 'b-' || ((i * 20 + k) % 100000)}) AS resources,
      'k' AS object_key, 0 AS record_index FROM range(300000) t(i)`);
  }, 60_000);

  afterAll(() => big.close());

  const slowTable = { format: 'table', groupBy: 'resource', limit: 10000 };

  /** An API on the big database. */
  const withOwnApi = (options: StopOptions, run: WithMetrics) => withApiOn(big, options, run);

  const post = (apiUrl: string, queries: object[], signal?: AbortSignal) =>
    fetch(`${apiUrl}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ range: RANGE, queries }),
      signal,
    });

  test('a query that runs past the timeout is interrupted: 504, and the service carries on', async () => {
    await withOwnApi({ queryTimeoutMs: 1 }, async (slowUrl) => {
      const body = await (await post(slowUrl, [{ refId: 'A', ...slowTable }, { refId: 'B', format: 'table', groupBy: 'resource', status: 'success' }])).json();
      expect(body.results.A).toEqual({ status: 504, error: expect.stringMatching(/took longer than .* narrow the time range/), code: 'timeout' });
      expect(body.results.B.status).toBe(504);
    });
    expect(await totalEvents()).toBe(records.length);
  });

  test('a request past its deadline stops: the running query is interrupted, the later ones never run, each a 504 that says what to do', async () => {
    await withOwnApi({ requestTimeoutMs: 1 }, async (hurriedUrl, metric) => {
      const res = await post(hurriedUrl, [{ refId: 'A', ...slowTable }, { refId: 'B', queryType: 'totals' }]);
      expect(res.status).toBe(200);
      const body = await res.json();
      const error = expect.stringMatching(/^this request's queries together ran longer than 0\.001s .* split the queries over panels$/);
      const stopped = { status: 504, error, code: 'timeout' };
      expect(body.results).toEqual({ A: stopped, B: stopped });
      expect(await metric('trailhound_queries_stopped_total{reason="deadline"}')).toBe(2);
      expect(await metric('trailhound_query_statements_running')).toBe(0);
    });
    expect(await totalEvents()).toBe(records.length);
  });

  test('a request waits while the answers in flight hold the memory budget, and answers once they are sent', async () => {
    // Room for the slow table's 10 000 rows (50 points each), not for one row more.
    await withOwnApi({ answerCapacity: 500_000 }, async (apiUrl, metric) => {
      const first = post(apiUrl, [{ refId: 'A', ...slowTable }]);
      await until(async () => (await metric('trailhound_query_statements_running')) === 1);
      let answered = false;
      const second = post(apiUrl, [{ refId: 'B', format: 'table', groupBy: 'user', limit: 1 }]).finally(() => (answered = true));
      await until(async () => answered || (await metric('trailhound_query_requests_waiting')) === 1);
      // B waits, not started: the one statement running is still A's.
      expect(answered).toBe(false);
      expect(await metric('trailhound_query_statements_total')).toBe(1);
      const [a, b] = await Promise.all([first.then((r) => r.json()), second.then((r) => r.json())]);
      expect(a.results.A.frames).toHaveLength(1);
      expect(b.results.B.frames[0].fields[0].values).toHaveLength(1);
      expect(await metric('trailhound_query_requests_waiting')).toBe(0);
      expect(await metric('trailhound_query_statements_total')).toBe(2);
    });
  });

  test('a client that does not read its answer loses it after the send timeout, and the requests waiting for its room answer', async () => {
    // Room for one list of 10 000 events (~10 MB with their resources: more than the sockets' buffers hold).
    const list = { format: 'list', limit: 10_000 };
    const { lines, logger } = memoryLogger();
    await withOwnApi({ answerCapacity: 500_000, sendTimeoutMs: 1_000, requestTimeoutMs: 10_000, logger }, async (apiUrl, metric) => {
      const { hostname, port } = new URL(apiUrl);
      const body = JSON.stringify({ range: RANGE, queries: [{ refId: 'A', ...list }] });
      // A client that sends its request and reads nothing of the answer, until the next request has answered.
      const stalled = net.connect(Number(port), hostname);
      stalled.pause();
      stalled.write(
        `POST /api/query HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
      await until(async () => (await metric('trailhound_query_duration_seconds_count{query_type="events"}')) === 1);
      // Its answer is ready, and unread: the next request waits for its room, and gets it once the stalled one is cut off.
      const started = Date.now();
      const next = await post(apiUrl, [{ refId: 'B', ...list }]);
      const waited = Date.now() - started;
      expect((await next.json()).results.B.frames[0].fields[0].values).toHaveLength(10_000);
      expect(waited).toBeLessThan(8_000);
      // What the stalled client gets, read at last: the start of its answer, cut off.
      const got: Buffer[] = [];
      stalled.on('data', (chunk: Buffer) => got.push(chunk));
      await new Promise((resolve) => stalled.once('close', resolve).on('error', () => undefined).resume());
      const text = Buffer.concat(got).toString('utf8');
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      // Its last chunk never came.
      expect(text).toMatch(/transfer-encoding: chunked/i);
      expect(text.endsWith('\r\n0\r\n\r\n')).toBe(false);
    });
    // Said as a warning, and nothing else: the service is not at fault (no error, no internal error's id).
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[40, 'answer not read in time by its client: connection closed, for the requests waiting']]);
  }, 30_000);

  test('a client that reads its answer slowly, but keeps reading, gets it whole however long it takes: the send timeout is of a stall', async () => {
    const { lines, logger } = memoryLogger();
    const sendTimeoutMs = 1_000;
    await withOwnApi({ sendTimeoutMs, logger }, async (apiUrl) => {
      const { hostname, port } = new URL(apiUrl);
      // Four lists of 10 000 events, ~20 MB: more than the sockets' buffers hold.
      const queries = ['A', 'B', 'C', 'D'].map((refId) => ({ refId, format: 'list', limit: 10_000 }));
      const body = JSON.stringify({ range: RANGE, queries });
      // Reads a megabyte, then nothing for a quarter of the send timeout, again and again: never stalled for as long as
      // the timeout, but the answer takes several timeouts in all.
      const client = net.connect(Number(port), hostname);
      const got: Buffer[] = [];
      let burst = 0;
      client.on('data', (chunk: Buffer) => {
        got.push(chunk);
        burst += chunk.length;
        if (burst < 1_000_000) return;
        burst = 0;
        client.pause();
        setTimeout(() => client.resume(), sendTimeoutMs / 4);
      });
      // From the answer's first bytes: it is ready by then.
      const started = new Promise<number>((resolve) => client.once('data', () => resolve(Date.now())));
      client.write(
        `POST /api/query HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
      );
      await new Promise((resolve, reject) => client.once('close', resolve).once('error', reject));
      const text = Buffer.concat(got).toString('utf8');
      // What the test is about: reading took longer than a send timeout, several times over.
      expect(Date.now() - (await started)).toBeGreaterThan(2 * sendTimeoutMs);
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text.endsWith('\r\n0\r\n\r\n')).toBe(true);
    });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([]);
  }, 30_000);

  test('a client that goes away while its answer is built or sent is no error of the service: nothing is logged', async () => {
    const { lines, logger } = memoryLogger();
    // A send timeout shorter than the test: a client gone is not one to cut off later.
    await withOwnApi({ logger, sendTimeoutMs: 200 }, async (apiUrl) => {
      // The headers are in, the answer's first bytes too: then the client hangs up.
      const client = new AbortController();
      const reader = (await post(apiUrl, [{ refId: 'A', format: 'list', limit: 10_000 }], client.signal)).body!.getReader();
      await reader.read();
      client.abort();
      await reader.read().catch(() => undefined);
      // Hang-ups at every moment, as the answer is built and as it is sent: some come as it is handed over to be sent.
      for (let ms = 0; ms < 300; ms += 11) {
        const client = new AbortController();
        setTimeout(() => client.abort(), ms);
        await post(apiUrl, [{ refId: 'A', format: 'list', limit: 10_000 }], client.signal).then((r) => r.text()).catch(() => undefined);
      }
      // While its query runs (seconds: grouped by resource).
      const running = new AbortController();
      setTimeout(() => running.abort(), 150);
      await post(apiUrl, [{ refId: 'A', ...slowTable }], running.signal).catch(() => undefined);
      // The service carries on: the next answer is whole.
      const whole = await (await post(apiUrl, [{ refId: 'A', format: 'list', limit: 10 }])).json();
      expect(whole.results.A.frames[0].fields[0].values).toHaveLength(10);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    expect(lines.map((l) => [l.level, l.msg, l.err?.code])).toEqual([]);
  });

  test('a client that goes away stops its request: the running statement is interrupted and no later query starts', async () => {
    await withOwnApi({}, async (apiUrl, metric) => {
      const client = new AbortController();
      const queries = [{ refId: 'A', ...slowTable }, { refId: 'B', ...slowTable, status: 'success' }, { refId: 'C', queryType: 'totals' }];
      const answer = post(apiUrl, queries, client.signal);
      // A's one statement is running (it takes seconds): then the client hangs up.
      const started = await hangUpMidStatement(client, answer, metric);
      // Once the request is over, A was interrupted and B and C never ran: three stopped queries, and not one statement
      // more than had started.
      await until(async () => (await metric('trailhound_queries_stopped_total{reason="client_closed"}')) === 3);
      // A took time of its own; B and C, which never started, none (each was given a share of the request's time).
      expect(await metric('trailhound_query_duration_seconds_count{query_type="events"}')).toBe(1);
      expect(await metric('trailhound_query_duration_seconds_count{query_type="totals"}')).toBe(0);
      // The request is counted, as the 499 the API names client-closed: it was not counted at all.
      await until(async () => (await metric('trailhound_http_requests_total{method="POST",route="/api/query",status="499"}')) === 1);
      expect(await metric('trailhound_query_statements_running')).toBe(0);
      expect(await metric('trailhound_query_statements_total')).toBe(started);
      expect(started).toBe(1);
    });
    expect(await totalEvents()).toBe(records.length);
  });
});

describe('a value list, an event\'s record or a trail list stops as a query does: past the timeout or the request\'s deadline, or when the client goes', () => {
  let endless: Database;

  beforeAll(async () => {
    // Events that take minutes to list or look up: a view of one stored event repeated five million times, each with its
    // own id and one of 5000 users, both worked out through a hundred MD5s. The ingestion status (the metrics) reads
    // neither column, so it stays quick; a value list of users, or the look-up of an event id, runs until interrupted.
    endless = await Database.open(path.join(served.dir, 'endless.duckdb'));
    await endless.run(`INSERT INTO events BY NAME SELECT 'e0' AS event_id, TIMESTAMP '2026-01-01' AS event_time, 'Event' AS event_name,
      'svc.amazonaws.com' AS event_source, 'svc' AS service, 'r' AS region, 'a' AS account, 'user' AS user_name, 'IAMUser' AS identity_type,
      '10.0.0.1' AS source_ip, true AS source_is_ip, false AS read_only, false AS is_error, false AS is_unauthorized, [] AS resources,
      'k' AS object_key, 0 AS record_index, TIMESTAMP '2026-01-01' AS arrived_at`);
    await endless.run(`ALTER TABLE events RENAME TO one_event`);
    await endless.run(`CREATE MACRO slow(s) AS md5(md5(md5(md5(md5(md5(md5(md5(md5(md5(s))))))))))`);
    await endless.run(`CREATE VIEW events AS SELECT e.* REPLACE (
        CASE WHEN slow(slow(i::VARCHAR)) = '' THEN NULL ELSE 'e' || i END AS event_id,
        CASE WHEN slow(slow(i::VARCHAR)) = '' THEN NULL ELSE 'user-' || (i % 5000) END AS user_name)
      FROM one_event e, range(5000000) t(i)`);
    // And trails, fifteen million of them (the sample's three, repeated), whose names take as long to work out.
    await storeTrails(endless, sampleTrails(new Date('2026-01-01T00:00:00Z')));
    await endless.run(`ALTER TABLE trails RENAME TO few_trails`);
    await endless.run(`CREATE VIEW trails AS SELECT t.* REPLACE (CASE WHEN slow(slow(i::VARCHAR)) = '' THEN NULL ELSE t.name || i END AS name)
      FROM few_trails t, range(5000000) r(i)`);
  }, 60_000);

  afterAll(() => endless.close());

  const lookups = [
    ['value list', '/api/values/user?from=2025-12-01&to=2026-02-01', 'narrow the time range'],
    ['record', '/api/events/not-among-them', 'try again when the service is less busy'],
    // The small reads stop the same way: a list of trails is one of them.
    ['trail list', '/api/trails', 'try again when the service is less busy'],
  ] as const;

  /** An API on the slow events. */
  const withOwnApi = (options: StopOptions, run: WithMetrics) => withApiOn(endless, options, run);

  const get = (apiUrl: string, route: string, signal?: AbortSignal) => fetch(`${apiUrl}${route}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal });

  test.each(lookups)('a %s that runs past the timeout is interrupted: 504, and the service carries on', async (_what, route) => {
    await withOwnApi({ queryTimeoutMs: 1 }, async (slowUrl) => {
      const res = await get(slowUrl, route);
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 504,
        body: { error: 'the query took longer than 0.001s and was stopped; narrow the time range or add filters', code: 'timeout' },
      });
    });
    expect(await totalEvents()).toBe(records.length);
  });

  test.each(lookups)('a %s past its request\'s deadline stops: 504, saying what to do', async (_what, route, advice) => {
    await withOwnApi({ requestTimeoutMs: 50 }, async (hurriedUrl, metric) => {
      const res = await get(hurriedUrl, route);
      expect({ status: res.status, body: await res.json() }).toEqual({
        status: 504,
        body: { error: `this request ran longer than 0.05s (the most one request may) and was stopped: ${advice}`, code: 'timeout' },
      });
      expect(await metric('trailhound_queries_stopped_total{reason="deadline"}')).toBe(1);
      expect(await metric('trailhound_query_statements_running')).toBe(0);
    });
  });

  test.each(lookups)('a %s whose client goes away stops: its running statement is interrupted and no other starts', async (_what, route) => {
    await withOwnApi({}, async (apiUrl, metric) => {
      const client = new AbortController();
      // Its statement is running (it takes minutes): then the client hangs up.
      const started = await hangUpMidStatement(client, get(apiUrl, route, client.signal), metric);
      await until(async () => (await metric('trailhound_queries_stopped_total{reason="client_closed"}')) === 1);
      expect(await metric('trailhound_query_statements_running')).toBe(0);
      expect(await metric('trailhound_query_statements_total')).toBe(started);
    });
  });
});

describe('hostile filter values: right answers, no harm', () => {
  const hostile = [
    "'; DROP TABLE events; --",
    "alice' OR '1'='1",
    '"); DELETE FROM events; --',
    'Ünïcødé-用户-🚀',
    '\u0000nul',
    '$1',
    '%',
    '_',
    'x'.repeat(2048),
  ];

  test.each(hostile.map((v) => [v.slice(0, 40)]))('user filter %j matches nothing and the data is intact', async () => {
    for (const value of hostile) {
      const r = await query([{ refId: 'A', format: 'table', groupBy: 'none', filters: { user: [value], sourceIp: [value] }, resourceId: value }]);
      expect(r.status).toBe(200);
      expect(r.json.results.A.frames[0].fields[0].values).toEqual([]);
    }
    expect(await totalEvents()).toBe(records.length);
  });

  test('a key that could stand for a prototype is a 400 that names it, wherever it is; the data is intact', async () => {
    const asText = (queries: string) => `{"range":${JSON.stringify(RANGE)},"queries":[${queries}]}`;
    const proto = 'the body has a key "__proto__", which no field of this API has: remove it';
    for (const queries of ['{"refId":"A","filters":{"__proto__":["alice"]}}', '{"refId":"A","__proto__":{"limit":1}}', '{"refId":"A"}],"__proto__":[']) {
      expect(await call('POST', '/api/query', asText(queries))).toMatchObject({ status: 400, json: { error: proto, code: 'invalid-request' } });
    }
    const constructor = await call('POST', '/api/query', asText('{"refId":"A","filters":{"constructor":{"prototype":{"user":["x"]}}}}'));
    const holding = 'the body has a key "constructor" holding "prototype", which no field of this API has: remove it';
    expect(constructor).toMatchObject({ status: 400, json: { error: holding, code: 'invalid-request' } });
    // As a value, or a key that is only a name, it is a string like any other: the model says what is wrong.
    const named = await query([{ refId: 'A', format: 'table', filters: { user: ['__proto__', 'constructor'], constructor: ['x'] } as object }]);
    expect(named.json.results.A).toEqual({ status: 400, error: expect.stringMatching(/^filters\.constructor: is not a filter/), code: 'unknown-filter' });
    expect(await totalEvents()).toBe(records.length);
  });

  test('a hostile value beside a real one still finds the real one', async () => {
    const user = oracleUser(records[0]);
    const r = await query([{ refId: 'A', format: 'table', groupBy: 'user', filters: { user: [hostile[0], user, hostile[3]] } }]);
    expect(r.json.results.A.frames[0].fields[0].values).toEqual([user]);
    expect(r.json.results.A.frames[0].fields[1].values).toEqual([records.filter((x) => oracleUser(x) === user).length]);
  });

  test('10 000 filter values work; more is a 400', async () => {
    const many = Array.from({ length: 9_999 }, (_, i) => `user-${i}-'"`);
    const user = oracleUser(records[0]);
    const r = await query([{ refId: 'A', format: 'table', groupBy: 'user', filters: { user: [...many, user] } }]);
    expect(r.json.results.A.frames[0].fields[0].values).toEqual([user]);
    const tooMany = await query([{ refId: 'A', filters: { user: [...many, 'a', 'b'] } }]);
    expect(tooMany.json.results.A).toEqual({ status: 400, error: expect.stringMatching(/^filters.user: has more than 10000 values/), code: 'invalid-request' });
  });

  test('a very long value is a 400, not a slow query', async () => {
    const r = await query([{ refId: 'A', filters: { eventName: ['y'.repeat(100_000)] } }]);
    expect(r.json.results.A).toEqual({ status: 400, error: 'filters.eventName[0]: is longer than 2048 characters', code: 'invalid-request' });
  });

  test('values search with hostile text: a plain substring match, wildcards included', async () => {
    const users = [...new Set(records.map(oracleUser))];
    for (const q of hostile.slice(0, 8)) {
      const r = await call('GET', `/api/values/user?q=${encodeURIComponent(q)}&from=${RANGE.from}&to=${RANGE.to}&limit=1000`);
      expect(r.status).toBe(200);
      expect(r.json.values.map((v: any) => v.value).sort()).toEqual(users.filter((u) => u.toLowerCase().includes(q.toLowerCase())).sort());
    }
    expect(await totalEvents()).toBe(records.length);
  });
});

describe('other endpoints', () => {
  // After the token check: without it, a known path and an unknown one both answer 401, so the routes stay unlisted.
  test('a known path with another method is a 405 naming the methods it takes; an unknown path stays a 404', async () => {
    const methodOf = async (method: string, route: string) => {
      const res = await fetch(`${served.url}${route}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: res.status, allow: res.headers.get('allow'), json: await res.json() };
    };
    expect(await methodOf('POST', '/api/ingest/status')).toEqual({
      status: 405,
      allow: 'GET, HEAD',
      json: { error: 'POST is not a method of /api/ingest/status: use GET or HEAD', code: 'unknown-endpoint' },
    });
    expect(await methodOf('GET', '/api/query')).toEqual({
      status: 405,
      allow: 'POST',
      json: { error: 'GET is not a method of /api/query: use POST', code: 'unknown-endpoint' },
    });
    expect((await methodOf('DELETE', '/api/events/some-id?x=1')).allow).toBe('GET, HEAD');
    expect((await methodOf('PUT', '/api/values/user')).allow).toBe('GET, HEAD, POST');
    expect(await methodOf('POST', '/api/nothing')).toEqual({
      status: 404,
      allow: null,
      json: { error: 'no such endpoint: POST /api/nothing', code: 'unknown-endpoint' },
    });
    const anonymous = await fetch(`${served.url}/api/query`);
    expect([anonymous.status, anonymous.headers.get('allow'), ((await anonymous.json()) as { code: string }).code]).toEqual([401, null, 'unauthorized']);
  });

  test('values of a dimension in a range, most frequent first', async () => {
    const r = await call('GET', `/api/values/region?from=${encodeURIComponent(RANGE.from)}&to=${encodeURIComponent(RANGE.to)}&limit=3`);
    expect(r.status).toBe(200);
    expect(r.json.values).toHaveLength(3);
    const counts: Record<string, number> = {};
    for (const x of records) counts[x.awsRegion] = (counts[x.awsRegion] ?? 0) + 1;
    for (const { value, count } of r.json.values) expect(count).toBe(counts[value]);
    expect(r.json.values[0].count).toBe(Math.max(...Object.values(counts)));
  });

  test('values narrowed by filters and exclusions, as a query with them counts its events (a dashboard\'s other ad hoc filters)', async () => {
    // The user with the most kinds of events, one of them left out.
    const kinds = (u: string) => new Set(records.filter((x) => oracleUser(x) === u).map((x) => x.eventName)).size;
    const user = [...new Set(records.map(oracleUser))].sort((a, b) => kinds(b) - kinds(a))[0];
    const skipped = records.find((x) => oracleUser(x) === user)!.eventName;
    const kept = records.filter((x) => oracleUser(x) === user && x.eventName !== skipped);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(records.filter((x) => oracleUser(x) === user).length);
    const json = (filters: object) => encodeURIComponent(JSON.stringify(filters));
    const list = (params: string) => call('GET', `/api/values/region?from=${RANGE.from}&to=${RANGE.to}&limit=100&${params}`);
    const r = await list(`filters=${json({ user: [user] })}&exclude=${json({ eventName: skipped })}`);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(countBy(kept, (x) => x.awsRegion));
    // A value both kept and left out keeps nothing; empty objects narrow nothing.
    expect((await list(`filters=${json({ user: [user] })}&exclude=${json({ user: [user] })}`)).json.values).toEqual([]);
    expect((await list(`filters=${json({})}&exclude=`)).json.values.reduce((n: number, v: any) => n + v.count, 0)).toBe(records.length);
    // Checked as a query's filters are, with the same messages.
    expect(await list('filters=user')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^filters: is not JSON/), code: 'invalid-request' } });
    expect(await list(`exclude=${json({ userName: ['x'] })}`)).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^exclude\.userName: is not a filter/), code: 'unknown-filter' },
    });
    const twice = { status: 400, json: { error: 'filters: given 2 times: give it once' } };
    expect(await list(`filters=${json({ user: 'a' })}&filters=${json({ user: 'b' })}`)).toMatchObject(twice);
  });

  test('POST /api/values takes filters past what a URL may hold (16 KB of headers), in a body checked as the GET', async () => {
    const user = oracleUser(records[0]);
    const kept = records.filter((x) => oracleUser(x) === user);
    // Hundreds of role ARNs, as a dashboard's ad hoc filters give them: over 20 KB once encoded, one of them matching.
    const arns = Array.from({ length: 300 }, (_, i) => `arn:aws:iam::123456789012:role/service-role/some-long-role-name-${i}`);
    const filters = { user: [...arns, user] };
    const fields = { from: RANGE.from, to: RANGE.to, limit: 100, filters, exclude: { eventName: arns.slice(0, 100) } };
    const json = (narrowing: object) => encodeURIComponent(JSON.stringify(narrowing));
    expect(json(filters).length).toBeGreaterThan(20 * 1024);
    // As a GET, the URL alone is past Node's header limit: the 431 says where such filters go.
    const asGet = await call('GET', `/api/values/region?from=${RANGE.from}&to=${RANGE.to}&filters=${json(filters)}`);
    expect(asGet).toMatchObject({ status: 431, json: { error: expect.stringMatching(/POST \/api\/values\/<dimension>/), code: 'too-large' } });
    const r = await call('POST', '/api/values/region', fields);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(countBy(kept, (x) => x.awsRegion));
    // The GET's answer for the same small request is the POST's.
    const small = { from: RANGE.from, to: RANGE.to, q: 'us', limit: 3, filters: { user: [user] } };
    const get = await call('GET', `/api/values/region?from=${RANGE.from}&to=${RANGE.to}&q=us&limit=3&filters=${json(small.filters)}`);
    expect((await call('POST', '/api/values/region', small)).json).toEqual(get.json);
    // Checked as the GET is, with the same messages: filters' keys, unknown fields, dimensions, and the JSON's own types.
    expect(await call('POST', '/api/values/region', { ...small, filters: { userName: ['x'] } })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^filters\.userName: is not a filter/), code: 'unknown-filter' },
    });
    const refused = (error: RegExp) => ({ status: 400, json: { error: expect.stringMatching(error) } });
    expect(await call('POST', '/api/values/region', { ...small, format: 'csv' })).toMatchObject(refused(/format/));
    expect(await call('POST', '/api/values/nope', small)).toMatchObject({ status: 400, json: { code: 'unknown-value' } });
    expect(await call('POST', '/api/values/region', { ...small, limit: '3x' })).toMatchObject(refused(/^limit/));
    expect(await call('POST', '/api/values/region', { ...small, filters: '{"user":["a"]}' })).toMatchObject(refused(/^filters/));
  });

  test("a POST /api/values body past the service's limit says what to narrow", async () => {
    const api = await buildApi({ db: served.db, token: TOKEN, bodyLimit: 10 * 1024 });
    try {
      const url = await api.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/api/values/user`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ filters: { user: Array.from({ length: 1000 }, (_, i) => `user-${i}`) } }),
      });
      expect({ status: res.status, json: await res.json() }).toEqual({
        status: 413,
        json: { error: 'the body is over 10 KB, the most this service reads: narrow the filters and exclusions (fewer or shorter values)', code: 'too-large' },
      });
    } finally {
      await api.close();
    }
  });

  test('identity types as CloudTrail writes them, with their counts (Unknown without a userIdentity)', async () => {
    const r = await call('GET', `/api/values/identityType?from=${RANGE.from}&to=${RANGE.to}&limit=100`);
    expect(r.status).toBe(200);
    const counts: Record<string, number> = {};
    for (const x of records) counts[x.userIdentity?.type ?? 'Unknown'] = (counts[x.userIdentity?.type ?? 'Unknown'] ?? 0) + 1;
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(counts);
    expect(Object.keys(counts).length).toBeGreaterThan(1);
  });

  test('roles with their counts, the calls through none as "(none)"; a table by role and its drill-down filter say the same', async () => {
    const counts = countBy(records, (x) => oracleRole(x) ?? '(none)');
    expect(Object.keys(counts).length).toBeGreaterThan(2);
    const r = await call('GET', `/api/values/role?from=${RANGE.from}&to=${RANGE.to}&limit=100`);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(counts);
    const byRole = await query([{ refId: 'A', format: 'table', groupBy: 'role', limit: 100 }]);
    const [roles, n] = byRole.json.results.A.frames[0].fields;
    expect(roles.name).toBe('role');
    expect(Object.fromEntries(roles.values.map((v: string, i: number) => [v, n.values[i]]))).toEqual(counts);
    // Each group's name, as a filter, finds that group's events: "(none)" too.
    for (const role of ['(none)', ...Object.keys(counts).filter((k) => k !== '(none)').slice(0, 2)]) {
      const one = await query([{ refId: 'A', format: 'table', groupBy: 'none', filters: { role: [role] } }]);
      expect([role, one.json.results.A.frames[0].fields[1].values]).toEqual([role, [counts[role]]]);
    }
  });

  test('permission sets with their counts, the calls through none as "(none)"; a table by permission set and its drill-down say the same', async () => {
    const counts = countBy(records, (x) => oraclePermissionSet(x) ?? '(none)');
    // The real Stratus record's permission set is among them.
    expect(Object.keys(counts)).toEqual(expect.arrayContaining(['account-admin', '(none)']));
    const r = await call('GET', `/api/values/permissionSet?from=${RANGE.from}&to=${RANGE.to}&limit=100`);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(counts);
    const bySet = await query([{ refId: 'A', format: 'table', groupBy: 'permissionSet', limit: 100 }]);
    const [sets, n] = bySet.json.results.A.frames[0].fields;
    expect(sets.name).toBe('permissionSet');
    expect(Object.fromEntries(sets.values.map((v: string, i: number) => [v, n.values[i]]))).toEqual(counts);
    for (const set of Object.keys(counts)) {
      const one = await query([{ refId: 'A', format: 'table', groupBy: 'none', filters: { permissionSet: [set] } }]);
      expect([set, one.json.results.A.frames[0].fields[1].values]).toEqual([set, [counts[set]]]);
    }
  });

  test('event categories with their counts; a table by category and its drill-down filter say the same', async () => {
    const counts = countBy(records, oracleEventCategory);
    const r = await call('GET', `/api/values/eventCategory?from=${RANGE.from}&to=${RANGE.to}&limit=100`);
    expect(r.status).toBe(200);
    expect(Object.fromEntries(r.json.values.map((v: any) => [v.value, v.count]))).toEqual(counts);
    const byCategory = await query([{ refId: 'A', format: 'table', groupBy: 'eventCategory', limit: 100 }]);
    const [categories, n] = byCategory.json.results.A.frames[0].fields;
    expect(categories.name).toBe('eventCategory');
    expect(Object.fromEntries(categories.values.map((v: string, i: number) => [v, n.values[i]]))).toEqual(counts);
    const management = await query([{ refId: 'A', format: 'table', groupBy: 'none', filters: { eventCategory: 'Management' } }]);
    expect(management.json.results.A.frames[0].fields[1].values).toEqual([counts.Management]);
  });

  test('values from and to: zone-less times are UTC; extreme ones are a 400 naming the parameter', async () => {
    const r = await call('GET', `/api/values/user?from=99999999999999999`);
    expect(r).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^from: 9+ is after the times/), code: 'invalid-request' } });
    const far = await call('GET', `/api/values/user?from=0&to=${encodeURIComponent('+020000-01-01')}`);
    expect(far).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^to: "\+020000-01-01" is not a time/), code: 'invalid-request' } });
    expect((await call('GET', '/api/values/user?from=1e20')).status).toBe(400);
    expect((await call('GET', '/api/values/user?from=2026-01-02&to=2026-01-01')).json.error).toBe('to: "to" must be after "from"');
    // `to` alone: the 14 days before it, as `report --to` looks; from 14 days before now, a past `to` was refused.
    const before = await call('GET', `/api/values/user?to=${Date.parse(records[0].eventTime) + 1}&limit=1000`);
    expect(before.status).toBe(200);
    expect(before.json.values.map((v: any) => v.value)).toContain(oracleUser(records[0]));
    // A zone-less hour holds the events of that UTC hour. (This process runs in the host's zone; range.test.ts
    // proves the same under another zone.)
    const hour = new Date(Math.floor(Date.parse(records[0].eventTime) / 3_600_000) * 3_600_000);
    const plain = (d: Date) => d.toISOString().slice(0, 19);
    const inHour = records.filter((x) => Date.parse(x.eventTime) >= hour.getTime() && Date.parse(x.eventTime) < hour.getTime() + 3_600_000);
    const r2 = await call('GET', `/api/values/eventName?from=${plain(hour)}&to=${plain(new Date(hour.getTime() + 3_600_000))}&limit=1000`);
    const counted = Object.fromEntries((r2.json.values as Array<{ value: string; count: number }>).map((v) => [v.value, v.count]));
    const expected: Record<string, number> = {};
    for (const x of inHour) expected[x.eventName] = (expected[x.eventName] ?? 0) + 1;
    expect(inHour.length).toBeGreaterThan(0);
    expect(counted).toEqual(expected);
  });

  test('a time that is not a number or a string (null, true, [0]) is a 400 naming it, not the epoch or the text ajv makes of it', async () => {
    // ajv's coercion made null "", true "true" (each quoted back as if sent) and a list of one its item: [0] the epoch.
    for (const from of [null, true, [0], ['now-1h']]) {
      const r = await call('POST', '/api/query', { range: { from, to: RANGE.to }, queries: [{ refId: 'A', format: 'table', groupBy: 'none' }] });
      expect([from, r.status, r.json]).toEqual([from, 400, { error: `range.from: must be a time (${TIME_FORMS})`, code: 'invalid-request' }]);
    }
  });

  test.each([
    ['values', '/api/values/user'],
    ['record', `/api/events/${records[0].eventID}`],
    ['trails', '/api/trails'],
    ['ingestStatus', '/api/ingest/status'],
  ] as const)('a query timeout in %s is a 504 that says what to do, as in /api/query', async (method, route) => {
    const spy = jest.spyOn(Reports.prototype, method).mockRejectedValueOnce(new QueryTimeoutError(30_000));
    try {
      const r = await call('GET', route);
      const error = 'the query took longer than 30s and was stopped; narrow the time range or add filters';
      expect(r).toMatchObject({ status: 504, json: { error, code: 'timeout' } });
    } finally {
      spy.mockRestore();
    }
    expect((await call('GET', route)).status).toBe(200);
  });

  test('an unknown dimension, a bad limit or an unknown time field is a 400', async () => {
    const dimension = expect.stringMatching(/^dimension: "password" is not one of region/);
    expect((await call('GET', '/api/values/password')).json).toEqual({ error: dimension, code: 'unknown-value' });
    const r = await call('GET', '/api/values/user?limit=0');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: expect.stringMatching(/limit/), code: 'invalid-request' });
    // As in a query: the values allowed, never a silent default (Arrival not taken for arrival, only named).
    for (const [given, shown] of [['received', '"received"'], ['Arrival', '"Arrival"']]) {
      const meant = given === 'Arrival' ? ' (did you mean arrival?)' : '';
      expect(await call('GET', `/api/values/user?timeField=${given}`)).toMatchObject({
        status: 400,
        json: { error: `timeField: ${shown} is not one of event, arrival${meant}`, code: 'unknown-value' },
      });
    }
    expect((await call('GET', '/api/values/user?timeField=arrival')).status).toBe(200);
    // A parameter given twice: which one, not "limit must be integer" or three of ajv's lines about an anyOf.
    const given = (name: string) => ({ status: 400, json: { error: `${name}: given 2 times: give it once`, code: 'invalid-request' } });
    expect(await call('GET', '/api/values/user?limit=5&limit=6')).toMatchObject(given('limit'));
    expect(await call('GET', '/api/ingest/errors?limit=1&limit=2')).toMatchObject(given('limit'));
    expect(await call('GET', '/api/values/user?from=2026-11-20&from=2026-11-21')).toMatchObject(given('from'));
    // A parameter this service does not know is refused, not ignored (a newer client's lists would be quietly wrong).
    const unknown = /^timefield: is not a field of this service's value lists \(from, to, q, limit, timeField, filters, exclude\)/;
    const answer = { status: 400, json: { error: expect.stringMatching(unknown), code: 'unknown-field' } };
    expect(await call('GET', '/api/values/user?timefield=arrival')).toMatchObject(answer);
  });

  test('an event’s original record, exactly as CloudTrail delivered it; an unknown id is a 404', async () => {
    for (const r of [records[0], records[records.length - 1]]) {
      const res = await call('GET', `/api/events/${encodeURIComponent(r.eventID)}`);
      expect(res).toMatchObject({ status: 200, json: { eventId: r.eventID, record: r } });
    }
    const hostile = "x' OR '1'='1";
    expect(await call('GET', `/api/events/${encodeURIComponent(hostile)}`)).toMatchObject({
      status: 404,
      json: { error: `no stored event has eventID "${hostile}"`, code: 'not-found' },
    });
    // It takes no parameter: one given (a newer client's format, say) is refused, not answered as if it were not there.
    const stored = await call('GET', `/api/events/${encodeURIComponent(records[0].eventID)}?format=compact`);
    const refused = /^format: is not a field of this service's event records \(it takes none\)/;
    expect(stored).toMatchObject({ status: 400, json: { error: expect.stringMatching(refused), code: 'unknown-field' } });
  });

  test('an event id up to 256 characters, percent-encoded or not, is looked up; a longer one is a 400 that says so', async () => {
    for (const id of ['e'.repeat(256), 'é'.repeat(256), '🚀'.repeat(256)]) {
      const none = { status: 404, json: { error: `no stored event has eventID "${id}"`, code: 'not-found' } };
      expect(await call('GET', `/api/events/${encodeURIComponent(id)}`)).toMatchObject(none);
    }
    const long = await call('GET', `/api/events/${'e'.repeat(257)}`);
    expect(long).toMatchObject({ status: 400, json: { error: 'eventId: must be at most 256 characters long (it has 257)', code: 'invalid-request' } });
  });

  test('trails and ingestion status', async () => {
    expect((await call('GET', '/api/trails')).json).toEqual({ trails: [] });
    // A stored inventory's times are BIGINTs in DuckDB: they come out as ISO times, not as a 500 that JSON cannot write them.
    const now = new Date('2026-11-20T12:00:00Z');
    await storeTrails(served.db, sampleTrails(now));
    try {
      const trails = await call('GET', '/api/trails');
      expect(trails.status).toBe(200);
      expect(trails.json.trails.find((t: { name: string }) => t.name === 'legacy-dev-trail')).toMatchObject({
        is_logging: false,
        logging_stopped: '2026-10-21T12:00:00.000Z',
        last_delivery: '2026-10-21T12:00:00.000Z',
        last_notification: null,
      });
    } finally {
      await storeTrails(served.db, []);
    }
    const status = (await call('GET', '/api/ingest/status')).json;
    expect(status).toMatchObject({ objects: 35, events: records.length, errors: 0 });
    // No service has read into this database (only ingest): no list of sources.
    expect(status.sources).toBeNull();
    expect(Date.parse(status.newestEvent)).toBe(Math.max(...records.map((x) => Date.parse(x.eventTime))));
  });

  test('backfill starts at once (202) and validates days', async () => {
    expect((await call('GET', '/api/ingest/status')).json.backfill).toBeNull();
    const r = await call('POST', '/api/backfill', { days: 30 });
    expect(r.status).toBe(202);
    expect(backfills).toEqual([30]);
    expect((await call('POST', '/api/backfill', { days: 0 })).status).toBe(400);
    expect((await call('POST', '/api/backfill', {})).json.error).toMatch(/days/);
    settle.shift()!();
  });

  test('one backfill at a time: another while it runs is a 409; the ingest status shows its state', async () => {
    const status = async () => (await call('GET', '/api/ingest/status')).json.backfill;
    const waitFor = async (state: string) => {
      for (let i = 0; i < 100 && (await status())?.state !== state; i++) await new Promise((r) => setTimeout(r, 10));
      return status();
    };
    backfills.length = 0;
    expect((await call('POST', '/api/backfill', { days: 3650 })).status).toBe(202);
    const running = await status();
    expect(running).toEqual({ days: 3650, state: 'running', startedAt: expect.any(String) });
    expect(Date.now() - Date.parse(running.startedAt)).toBeLessThan(10_000);

    const again = await call('POST', '/api/backfill', { days: 7 });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      error: expect.stringMatching(/^a backfill of 3650 days is already running .*wait for it to finish; \/api\/ingest\/status shows its state$/),
      code: 'backfill-running',
      backfill: running,
    });
    expect(backfills).toEqual([3650]); // nothing queued

    settle.shift()!();
    expect(await waitFor('done')).toEqual({ days: 3650, state: 'done', startedAt: running.startedAt, finishedAt: expect.any(String) });
    // Finished: the next one may start, and its failure is shown too.
    expect((await call('POST', '/api/backfill', { days: 7 })).status).toBe(202);
    // As the AWS SDK throws it: its name gives the kind, beside the message.
    settle.shift()!(Object.assign(new Error('AccessDenied on s3://logs'), { name: 'AccessDenied' }));
    expect(await waitFor('failed')).toEqual({
      days: 7,
      state: 'failed',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      error: 'AccessDenied on s3://logs',
      errorKinds: ['access-denied'],
    });
    expect(backfills).toEqual([3650, 7]);
  });

  test('a backfill of more days than CloudTrail has existed reads every day since it began, and says so', async () => {
    backfills.length = 0;
    const since = cloudTrailDays();
    expect(since).toBeGreaterThan(3650);
    const r = await call('POST', '/api/backfill', { days: 100_000 });
    expect([r.status, r.json]).toEqual([202, { status: 'started', days: since, cloudTrailBegan: CLOUDTRAIL_BEGAN }]);
    expect((await call('GET', '/api/ingest/status')).json.backfill).toMatchObject({ days: since, state: 'running' });
    // The service is asked for the days asked: its run starts at CloudTrail's first day, and its log says so.
    expect(backfills).toEqual([100_000]);
    settle.shift()!();
    for (let i = 0; i < 100 && (await call('GET', '/api/ingest/status')).json.backfill.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 10));
    // Exactly every day since then: nothing to say.
    expect((await call('POST', '/api/backfill', { days: since })).json).toEqual({ status: 'started', days: since });
    settle.shift()!();
  });

  test('backfill without an ingesting service is a 501 that says why', async () => {
    const bare = await buildApi({ db: served.db, token: TOKEN });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${bareUrl}/api/backfill`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"days":3}',
      });
      expect(res.status).toBe(501);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/trailhound serve/), code: 'no-backfill' });
    } finally {
      await bare.close();
    }
  });

  test('metrics in the Prometheus text format, counting requests and queries', async () => {
    const r = await call('GET', '/metrics');
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/trailhound_http_requests_total\{[^}]*route="\/api\/query"[^}]*\} \d+/);
    expect(r.text).toMatch(/trailhound_query_duration_seconds_count\{query_type="totals"\} \d+/);
    expect(r.text).toMatch(new RegExp(`^trailhound_ingest_events ${records.length}$`, 'm'));
    const oldest = Math.min(...records.map((x) => Date.parse(x.eventTime))) / 1000;
    expect(r.text).toMatch(new RegExp(`^trailhound_ingest_oldest_event_timestamp_seconds ${oldest}$`, 'm'));
    // Never pruned: no retention to report.
    expect(r.text).not.toMatch(/^trailhound_ingest_retention_days /m);
    // A gauge each, in its own unit, with its help: no mixed gauge with the measure in a label.
    expect(r.text).toMatch(/^# HELP trailhound_ingest_lag_seconds Seconds from the newest stored event to now$/m);
    expect(r.text).not.toMatch(/measure=/);
  });

  test('query durations are labelled by the query types the service knows, not by whatever a request sends as one', async () => {
    const sent = await query([
      { refId: 'A', queryType: 'made-up-1' },
      { refId: 'B', queryType: { nested: true } },
      { refId: 'C', queryType: 'totals', limit: 0 },
      { refId: 'D' },
    ]);
    expect(Object.values(sent.json.results).map((result: any) => result.status)).toEqual([400, 400, 400, undefined]);
    const types = [...(await call('GET', '/metrics')).text.matchAll(/^trailhound_query_duration_seconds_count\{query_type="([^"]*)"\}/gm)].map((m) => m[1]);
    expect(types.filter((type) => !['events', 'totals', 'trails', 'ingest', 'refused'].includes(type))).toEqual([]);
    expect(types).toEqual(expect.arrayContaining(['refused', 'events']));
  });

  test("each query's duration is its own, not an even share of its request's: refused queries beside a list take no time", async () => {
    const sums = async () => {
      const text = (await call('GET', '/metrics')).text;
      const sum = (type: string) => Number(new RegExp(`^trailhound_query_duration_seconds_sum\\{query_type="${type}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { events: sum('events'), refused: sum('refused') };
    };
    const before = await sums();
    const refused = Array.from({ length: 9 }, (_, i) => ({ refId: `R${i}`, queryType: 'made-up' }));
    const sent = await query([{ refId: 'A', queryType: 'events', format: 'list', limit: 1000 }, ...refused]);
    expect(sent.json.results.A.frames[0].fields[0].values.length).toBeGreaterThan(0);
    const after = await sums();
    const took = { events: after.events - before.events, refused: after.refused - before.refused };
    // Shared evenly, the nine refused queries were given nine times the list's share.
    expect(took.events).toBeGreaterThan(0);
    expect(took.refused).toBeLessThan(took.events);
  });

  test('a failing read of the ingestion status leaves the trailhound_ingest_* gauges out of the scrape, not the whole of /metrics', async () => {
    const dir = tempDir();
    const broken = await Database.open(path.join(dir, 'broken.duckdb'));
    try {
      // A real failure of the status read: one of the tables it counts is gone.
      await broken.run('DROP TABLE ingest_errors');
      await withApiOn(broken, {}, async (apiUrl) => {
        const get = (route: string) => fetch(`${apiUrl}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect((await get('/api/ingest/status')).status).toBe(500);
        const scrape = await get('/metrics');
        const text = await scrape.text();
        expect(scrape.status).toBe(200);
        expect(text).toMatch(/trailhound_http_requests_total\{[^}]*route="\/api\/ingest\/status"[^}]*status="500"\} 1/);
        expect(text).toContain('trailhound_process_cpu_seconds_total');
        expect(text).not.toMatch(/^trailhound_ingest_/m);
      });
    } finally {
      broken.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('metrics: the disk the database takes, its DuckDB file with the WAL and its kept log files, read at each scrape', async () => {
    const files = databaseFiles(served.db.file);
    const size = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    const kept = () => fs.readdirSync(files.originals).reduce((sum, name) => sum + size(path.join(files.originals, name)), 0);
    const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec((await call('GET', '/metrics')).text)?.[1]);
    expect(kept()).toBeGreaterThan(0);
    expect(await gauge('trailhound_kept_log_files_bytes')).toBe(kept());
    expect(size(files.db)).toBeGreaterThan(0);
    expect(await gauge('trailhound_database_bytes')).toBe(size(files.db) + size(files.wal));
    // A file more: a scrape soon counts it (a walk of a few files is reused for a moment only).
    const extra = path.join(files.originals, 'extra.parquet');
    fs.writeFileSync(extra, Buffer.alloc(12_345));
    try {
      await until(async () => (await gauge('trailhound_kept_log_files_bytes')) === kept());
    } finally {
      fs.rmSync(extra);
    }
  });

  test("README's Monitoring rules name only metrics a scrape has", async () => {
    const monitoring = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8').split(/^### Monitoring$/m)[1].split(/^## /m)[0];
    const named = new Set([...monitoring.matchAll(/^ {2}expr: (.*)$/gm)].flatMap(([, expr]) => expr.match(/\btrailhound_\w+/g) ?? []));
    expect(named.size).toBeGreaterThanOrEqual(6);
    // A database as serve keeps it: a run read all its days, and the list of the sources it reads (each one's gauge).
    const dir = tempDir();
    const db = await Database.open(path.join(dir, 'served.duckdb'));
    try {
      const source = path.join(dir, 'stratus');
      writeStratusFolder(source);
      await ingest({ source, db });
      await db.run(`INSERT INTO meta VALUES ('sources', $ids), ('source_names', $ids)`, { ids: JSON.stringify([sourceId(source)]) });
      await withApiOn(db, {}, async (apiUrl) => {
        const text = await (await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        expect([...named].filter((name) => !new RegExp(`^${name}[ {]`, 'm').test(text))).toEqual([]);
      });
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a body that is not a JSON object, or not sent as JSON, is refused saying what to send', async () => {
    // Not ajv's "body must be object": what to send.
    const refused = (error: string) => ({ status: 400, json: { error, code: 'invalid-request' } });
    expect(await call('POST', '/api/backfill', '3')).toMatchObject(refused('the body must be a JSON object: {"days": 30}'));
    expect(await call('POST', '/api/backfill', { days: 0 })).toMatchObject(refused('days: must be a whole number of at least 1'));
    // What curl -d sends without -H 'content-type: application/json'.
    const body = new URLSearchParams({ days: '3' });
    const form = await fetch(`${served.url}/api/backfill`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body });
    expect(form.status).toBe(415);
    const unsupported = { error: 'Unsupported Media Type: send the body as JSON, with the header "content-type: application/json"', code: 'invalid-request' };
    expect(await form.json()).toEqual(unsupported);
    // What fetch sends for a string body without a content-type: text/plain, which was parsed as text and answered
    // "body must be object", though the body was the object wanted.
    const text = await fetch(`${served.url}/api/backfill`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"days": 3}' });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual(unsupported);
    expect(backfills).not.toContain(3);
  });

  test('unknown routes are a 404', async () => {
    expect((await call('GET', '/api/nothing')).status).toBe(404);
  });
});

describe('a request the schema refuses: the field as the model names it, what it must be, and what to send', () => {
  const QUERY_BODY = 'the body must be a JSON object: {"range": {"from": ..., "to": ...}, "queries": [{"refId": "A", ...}]}';
  const BACKFILL_BODY = 'the body must be a JSON object: {"days": 30}';
  const bodies = ['[]', '"x"', '3', 'null', 'true'];
  test.each(bodies.flatMap((body) => [['/api/query', body, QUERY_BODY], ['/api/backfill', body, BACKFILL_BODY]]))(
    'POST %s with the JSON %s says what to send, not "body must be object"',
    async (route, body, error) => {
      const before = backfills.length;
      expect(await call('POST', route, body)).toMatchObject({ status: 400, json: { error, code: 'invalid-request' } });
      expect(backfills).toHaveLength(before);
    }
  );

  test('a POST without a body says what to send too', async () => {
    for (const [route, error] of [['/api/query', QUERY_BODY], ['/api/backfill', BACKFILL_BODY]]) {
      const res = await fetch(`${served.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect([res.status, await res.json()]).toEqual([400, { error, code: 'invalid-request' }]);
    }
  });

  const RANGE_SHAPE =
    `{"from": ..., "to": ..., "timeZone": ...}, each a time (${TIME_FORMS}), and the time zone of day and hour buckets ` +
    '(an IANA name; UTC when none)';
  const TIME = 'must be a time (ISO 8601, UTC unless it names a zone, or epoch milliseconds)';
  const WHOLE = 'must be a whole number from 1 to 10000';
  const OTHER_VERSION = 'is the client at another version than the service? Run the same version of both';
  const queryBody = (fields: object) => ({ range: RANGE, queries: [{ refId: 'A' }], ...fields });
  const queryA = (fields: object) => queryBody({ queries: [{ refId: 'A', ...fields }] });
  const JARGON = /\w\/\w|must NOT|anyOf|must match|must have required|must be (object|array|string|number|integer|[<>]=)|^(body|querystring|params)\b/;
  // [what, method, route, body, error]: the request's error, or (for a query's own fields) its refId A's.
  const refusals: Array<[string, string, string, unknown, string | RegExp]> = [
    ['query: missing range', 'POST', '/api/query', { queries: [] }, `range is required: a JSON object: ${RANGE_SHAPE}`],
    ['query: missing range.to', 'POST', '/api/query', { range: { from: 0 }, queries: [] }, 'range.to is required'],
    ['query: missing refId', 'POST', '/api/query', { range: RANGE, queries: [{ refId: 'A' }, { queryType: 'totals' }] }, 'queries[1].refId is required'],
    ['query: range not an object', 'POST', '/api/query', { range: 'last week', queries: [] }, `range: must be a JSON object: ${RANGE_SHAPE}`],
    ['query: time of a wrong type', 'POST', '/api/query', { range: { from: 0, to: [] }, queries: [] }, `range.to: ${TIME}`],
    ['query: queries not a list', 'POST', '/api/query', { range: RANGE, queries: {} }, 'queries: must be a list: [{"refId": "A", ...}]'],
    ['query: a query not an object', 'POST', '/api/query', { range: RANGE, queries: [3] }, 'queries[0]: must be a JSON object: {"refId": "A", ...}'],
    ['query: empty refId', 'POST', '/api/query', queryBody({ queries: [{ refId: '' }] }), 'queries[0].refId: must not be empty'],
    [
      'query: refId too long',
      'POST',
      '/api/query',
      queryBody({ queries: [{ refId: 'A' }, { refId: 'x'.repeat(101) }] }),
      'queries[1].refId: must be at most 100 characters long (it has 101)',
    ],
    ['query: refId not text', 'POST', '/api/query', queryBody({ queries: [{ refId: {} }] }), 'queries[0].refId: must be text'],
    // Not "must not be empty" (ajv's coercion made null ""), nor true taken as "true" or ["A"] as "A".
    ['query: refId null', 'POST', '/api/query', queryBody({ queries: [{ refId: null }] }), 'queries[0].refId: must be text'],
    ['query: refId true', 'POST', '/api/query', queryBody({ queries: [{ refId: true }] }), 'queries[0].refId: must be text'],
    ['query: refId a list', 'POST', '/api/query', queryBody({ queries: [{ refId: ['A'] }] }), 'queries[0].refId: must be text'],
    ['query: intervalMs not a number', 'POST', '/api/query', queryBody({ intervalMs: 'hourly' }), /^intervalMs: must be a number from 0 to 31622400000 \(/],
    ['query: maxDataPoints too small', 'POST', '/api/query', queryBody({ maxDataPoints: 0 }), 'maxDataPoints: must be a whole number from 1 to 100000'],
    ['query: too many queries', 'POST', '/api/query', queryBody({ queries: Array.from({ length: 51 }, (_, i) => ({ refId: `q${i}` })) }), /^queries: 51 /],
    ['query: unknown field', 'POST', '/api/query', queryBody({ timezone: 'UTC' }), /^timezone: is not a field of this service's query request/],
    ['query: a groupBy not in the list', 'POST', '/api/query', queryA({ groupBy: 'colour' }), /^groupBy: "colour" is not one of user, /],
    // A capital or a letter off a known name is a typo, not a newer client's: the name meant, not "another version?".
    ['query: a field a capital off', 'POST', '/api/query',
      queryA({ groupby: 'user' }), /^groupby: is not a field of this service's query model \(.*\): did you mean groupBy\?$/],
    ['query: a filter a letter off', 'POST', '/api/query',
      queryA({ filters: { users: ['x'] } }), /^filters\.users: is not a filter; use one of .* \(did you mean user\?\)$/],
    ['query: a limit not a number', 'POST', '/api/query', queryA({ limit: 'three' }), `limit: ${WHOLE}`],
    // Number() reads these as whole numbers (10000, 30, 100): a fraction in text is refused however many digits it has.
    ['query: a limit with a fraction', 'POST', '/api/query', queryA({ limit: '10000.0000000000000001' }), `limit: ${WHOLE}`],
    ['query: a peak window with a fraction', 'POST', '/api/query', queryA({ peakWindow: '30.0000000000000001' }), /^peakWindow: must be a whole number of/],
    [
      'query: maxDataPoints with a fraction',
      'POST',
      '/api/query',
      queryBody({ maxDataPoints: '100.0000000000000001' }),
      'maxDataPoints: must be a whole number from 1 to 100000',
    ],
    ['query: a filter not a list', 'POST', '/api/query', queryA({ filters: { user: 3 } }), 'filters.user: must be a list of strings'],
    ['query: a filter not known', 'POST', '/api/query', queryA({ exclude: { colour: ['red'] } }), /^exclude\.colour: is not a filter; use one of region, /],
    ['backfill: missing days', 'POST', '/api/backfill', {}, 'days is required'],
    ['backfill: days not a number', 'POST', '/api/backfill', { days: 'three' }, 'days: must be a whole number of at least 1'],
    ['backfill: days too small', 'POST', '/api/backfill', { days: 0 }, 'days: must be a whole number of at least 1'],
    ['backfill: days with a fraction', 'POST', '/api/backfill', { days: '30.0000000000000001' }, 'days: must be a whole number of at least 1'],
    ['backfill: unknown field', 'POST', '/api/backfill', { days: 1, since: '2026-01-01' }, /^since: is not a field of this service's backfill requests/],
    ['values: a dimension not in the list', 'GET', '/api/values/password', undefined, /^dimension: "password" is not one of region, /],
    ['values: a dimension a letter off', 'GET', '/api/values/users', undefined,
      /^dimension: "users" is not one of region, .* \(did you mean user\?\)$/],
    ['values: a parameter a letter off', 'GET', '/api/values/user?limt=3', undefined,
      /^limt: is not a field of this service's value lists \(.*\): did you mean limit\?$/],
    ['values: limit not a number', 'GET', '/api/values/user?limit=three', undefined, `limit: ${WHOLE}`],
    ['values: limit too big', 'GET', '/api/values/user?limit=10001', undefined, `limit: ${WHOLE}`],
    ['values: limit with a fraction', 'GET', '/api/values/user?limit=10000.0000000000000001', undefined, `limit: ${WHOLE}`],
    // Decimal, as in a body: not 16, nor a limit of Infinity.
    ['values: limit in hex', 'GET', '/api/values/user?limit=0x10', undefined, `limit: ${WHOLE}`],
    ['unreadable files: limit in binary', 'GET', '/api/ingest/errors?limit=0b11', undefined, `limit: ${WHOLE}`],
    ['values: q too long', 'GET', `/api/values/user?q=${'x'.repeat(257)}`, undefined, 'q: must be at most 256 characters long (it has 257)'],
    ['values: a time field not in the list', 'GET', '/api/values/user?timeField=received', undefined, 'timeField: "received" is not one of event, arrival'],
    ['values: a time field a letter off', 'GET', '/api/values/user?timeField=arival', undefined,
      'timeField: "arival" is not one of event, arrival (did you mean arrival?)'],
    ['values: not a time', 'GET', '/api/values/user?from=soon', undefined, /^from: "soon" is not a time/],
    ['values: a parameter twice', 'GET', '/api/values/user?limit=1&limit=2', undefined, 'limit: given 2 times: give it once'],
    // One the model checks, not the schema: not `["event","arrival"] is not one of event, arrival`.
    ['values: an unknown parameter twice', 'GET', '/api/values/user?since=1&since=2', undefined, /^since: is not a field of this service's value lists/],
    ['values: timeField twice', 'GET', '/api/values/user?timeField=event&timeField=arrival', undefined, 'timeField: given 2 times: give it once'],
    ['event: id too long', 'GET', `/api/events/${'e'.repeat(257)}`, undefined, 'eventId: must be at most 256 characters long (it has 257)'],
    ['event: empty id', 'GET', '/api/events/', undefined, 'eventId: must not be empty'],
    ['unreadable files: limit not a number', 'GET', '/api/ingest/errors?limit=x', undefined, `limit: ${WHOLE}`],
    ['unreadable files: limit too small', 'GET', '/api/ingest/errors?limit=0', undefined, `limit: ${WHOLE}`],
    ['unreadable files: unknown parameter', 'GET', '/api/ingest/errors?since=1', undefined, /^since: is not a field of this service's unreadable-file lists/],
    // These take none: one given is not silently ignored either.
    ['trails: unknown parameter', 'GET', '/api/trails?name=main', undefined,
      `name: is not a field of this service's trail lists (it takes none): ${OTHER_VERSION}`],
    ['status: unknown parameter', 'GET', '/api/ingest/status?source=x', undefined,
      `source: is not a field of this service's ingestion status (it takes none): ${OTHER_VERSION}`],
    // Refused before the event is looked up: for a stored event's id as for any other.
    ['event: unknown parameter', 'GET', '/api/events/not-among-them?pretty=1', undefined,
      `pretty: is not a field of this service's event records (it takes none): ${OTHER_VERSION}`],
  ];
  // Each refusal's code beside its words: of what this service does not know (a client newer than the service reads
  // it), of more than one request may ask, and `invalid-request` for the others.
  const codes: Record<string, string> = {
    'query: too many queries': 'too-large',
    'query: unknown field': 'unknown-field',
    'query: a groupBy not in the list': 'unknown-value',
    'query: a filter not known': 'unknown-filter',
    'query: a field a capital off': 'unknown-field',
    'query: a filter a letter off': 'unknown-filter',
    'values: a dimension a letter off': 'unknown-value',
    'values: a parameter a letter off': 'unknown-field',
    'values: a time field a letter off': 'unknown-value',
    'backfill: unknown field': 'unknown-field',
    'values: a dimension not in the list': 'unknown-value',
    'values: a time field not in the list': 'unknown-value',
    'values: an unknown parameter twice': 'unknown-field',
    'unreadable files: unknown parameter': 'unknown-field',
    'trails: unknown parameter': 'unknown-field',
    'status: unknown parameter': 'unknown-field',
    'event: unknown parameter': 'unknown-field',
  };
  test.each(refusals)('%s: a 400 in plain words, no slash path or ajv jargon', async (what, method, route, body, error) => {
    const before = backfills.length;
    const r = await call(method, route, body);
    const answer = r.json.results ? r.json.results.A : { status: r.status, ...r.json };
    const code = codes[what as string] ?? 'invalid-request';
    expect(answer).toEqual({ status: 400, error: typeof error === 'string' ? error : expect.stringMatching(error), code });
    // ajv's paths (queries/0/refId, body/days) and words ("must NOT have", "must match a schema in anyOf", "must be >= 1").
    expect(answer.error).not.toMatch(JARGON);
    expect(backfills).toHaveLength(before);
  });

  test('numbers may come as text, as Grafana variables do ("3"); text that is no number is a 400 naming the field', async () => {
    const r = await query([
      { refId: 'text', format: 'list', limit: '3' },
      { refId: 'number', format: 'list', limit: 3 },
      { refId: 'peakText', format: 'table', groupBy: 'user', peakWindow: '30' },
      { refId: 'peak', format: 'table', groupBy: 'user', peakWindow: 30 },
      { refId: 'badLimit', format: 'list', limit: 'three' },
      { refId: 'badPeak', format: 'table', groupBy: 'user', peakWindow: 'thirty' },
    ]);
    expect(r.json.results.text.frames[0].fields[0].values).toHaveLength(3);
    expect(r.json.results.text).toEqual(r.json.results.number);
    expect(r.json.results.peakText.frames[0].fields[0].values.length).toBeGreaterThan(1);
    expect(r.json.results.peakText).toEqual(r.json.results.peak);
    expect(r.json.results.badLimit).toEqual({ status: 400, error: `limit: ${WHOLE}`, code: 'invalid-request' });
    const peak = expect.stringMatching(/^peakWindow: must be a whole number of minutes/);
    expect(r.json.results.badPeak).toEqual({ status: 400, error: peak, code: 'invalid-request' });
    // The request's own numbers too.
    const series = (intervalMs: unknown, maxDataPoints: unknown) => call('POST', '/api/query', { ...queryA({ groupBy: 'none' }), intervalMs, maxDataPoints });
    const asText = await series('86400000', '500');
    expect(asText.status).toBe(200);
    expect(asText.json).toEqual((await series(86_400_000, 500)).json);
    expect((await series('a day', 500)).json.error).toMatch(/^intervalMs: must be a number/);
    // A query string is all text: ?limit=3 is a number, ?limit=three is not.
    expect((await call('GET', '/api/values/user?from=0&limit=3')).json.values).toHaveLength(3);
    expect(await call('GET', '/api/ingest/errors?limit=three')).toMatchObject({ status: 400, json: { error: `limit: ${WHOLE}`, code: 'invalid-request' } });
    // A backfill's days.
    backfills.length = 0;
    const days = { error: 'days: must be a whole number of at least 1', code: 'invalid-request' };
    expect(await call('POST', '/api/backfill', { days: 'five' })).toMatchObject({ status: 400, json: days });
    expect(await call('POST', '/api/backfill', { days: '5' })).toMatchObject({ status: 202, json: { status: 'started', days: 5 } });
    expect(backfills).toEqual([5]);
    settle.shift()!();
    for (let i = 0; i < 100 && (await call('GET', '/api/ingest/status')).json.backfill.state !== 'done'; i++) await new Promise((res) => setTimeout(res, 10));
  });

  // Every number a JSON body holds: [field, route, the body with a value for it, the error naming it]. The request's and
  // the backfill's are ajv's, which coerces (for query strings) and took true for 1, null for 0, [3] for 3; a query's are the model's.
  const numberFields: Array<[string, string, (value: unknown) => object, string | RegExp]> = [
    ['intervalMs', '/api/query', (v) => ({ ...queryA({ groupBy: 'none' }), intervalMs: v }), /^intervalMs: must be a number from 0 to 31622400000 \(/],
    ['maxDataPoints', '/api/query', (v) => ({ ...queryA({ groupBy: 'none' }), maxDataPoints: v }), 'maxDataPoints: must be a whole number from 1 to 100000'],
    ['queries[0].limit', '/api/query', (v) => queryA({ format: 'list', limit: v }), `limit: ${WHOLE}`],
    ['queries[0].peakWindow', '/api/query', (v) => queryA({ format: 'table', groupBy: 'user', peakWindow: v }),
      /^peakWindow: must be a whole number of minutes /],
    ['days', '/api/backfill', (v) => ({ days: v }), 'days: must be a whole number of at least 1'],
  ];
  // A query's null is its default, as for every field of the model (a saved query may hold one); hex is no decimal number.
  const notNumbers = (field: string) => [true, false, null, [3], {}, 'three', '0x10'].filter((v) => v !== null || !field.startsWith('queries'));
  test.each(numberFields.flatMap(([field, route, body, error]) => notNumbers(field).map((v) => [field, JSON.stringify(v), route, body(v), error] as const)))(
    '%s: %s in a JSON body is a 400 naming the field, not a number',
    async (_field, _value, route, body, error) => {
      const before = backfills.length;
      const r = await call('POST', route, body);
      const answer = r.json.results ? r.json.results.A : { status: r.status, ...r.json };
      expect(answer).toEqual({ status: 400, error: typeof error === 'string' ? error : expect.stringMatching(error), code: 'invalid-request' });
      expect(backfills).toHaveLength(before);
    }
  );

  test.each(numberFields)('%s: 3 and "3" are the same request', async (field, route, body) => {
    const ask = async (value: unknown) => {
      const r = await call('POST', route, body(value));
      if (route === '/api/backfill') {
        settle.shift()!();
        const done = async () => (await call('GET', '/api/ingest/status')).json.backfill.state === 'done';
        for (let i = 0; i < 100 && !(await done()); i++) await new Promise((res) => setTimeout(res, 10));
      }
      return [r.status, r.json];
    };
    backfills.length = 0;
    const asNumber = await ask(3);
    expect(asNumber[0]).toBe(route === '/api/backfill' ? 202 : 200);
    if (route === '/api/query') expect(asNumber[1].results.A.frames).toBeDefined();
    expect(await ask('3')).toEqual(asNumber);
    if (route === '/api/backfill') expect(backfills).toEqual([3, 3]);
    // A query's null is as if it were absent.
    if (field.startsWith('queries')) expect(await ask(null)).toEqual(await ask(undefined));
  });

  test('a list sent as one value is refused, not taken as a list of it', async () => {
    const r = await call('POST', '/api/query', { range: RANGE, queries: 'x' });
    expect(r).toMatchObject({ status: 400, json: { error: 'queries: must be a list: [{"refId": "A", ...}]', code: 'invalid-request' } });
  });
});

describe('while the database opens (a migration can take minutes)', () => {
  /** An open held until the test lets it go on: it tells the server what Database.open tells, then opens the file. */
  function heldOpen() {
    let go!: () => void;
    const held = new Promise<void>((resolve) => (go = resolve));
    let told!: OpenOptions;
    const openDatabase = async (_file: string, options: OpenOptions = {}) => {
      told = options;
      await held;
      return served.db;
    };
    return { opening: new DatabaseOpening(openDatabase), go, told: () => told };
  }

  test('/api/health answers 200 with what the open does; the other endpoints 401 without the token, 503 with it; /metrics works', async () => {
    const { opening, go, told } = heldOpen();
    const api = await buildApi({ db: opening, token: TOKEN, backfill });
    const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    const get = (route: string, token: string | null = TOKEN, init: RequestInit = {}) =>
      fetch(`${apiUrl}${route}`, { ...init, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': 'application/json' } });
    const health = async () => {
      const res = await get('/api/health', null);
      return { status: res.status, body: await res.json() };
    };
    try {
      // Listening before the open has even begun.
      expect(await health()).toEqual({
        status: 200,
        // status 'ok' all along: a 0.1.0 plugin's Save & test takes any other for something that is not Trailhound.
        body: { status: 'ok', version: VERSION, database: 'starting', message: 'the service is opening its database: queries answer in a moment' },
      });
      const opened = opening.open(path.join(served.dir, 'api.duckdb'));
      const migration = { events: 123_456, fromVersion: 12, toVersion: SCHEMA_VERSION, estimatedSeconds: 200 };
      told().onLongMigration!('updating the database … of its 123456 events', migration);
      const upgrading = await health();
      expect(upgrading).toEqual({
        status: 200,
        body: {
          status: 'ok',
          version: VERSION,
          database: 'upgrading',
          message: expect.stringMatching(
            new RegExp(
              `^the service is upgrading its database from schema version 12 to ${SCHEMA_VERSION}, once: it reads the kept log files back ` +
                `\\(about 5 minutes, started at \\S+Z\\)\\. Queries answer when it is done$`
            )
          ),
          upgrade: { fromVersion: 12, toVersion: SCHEMA_VERSION, startedAt: expect.any(String), estimatedSeconds: 300 },
        },
      });
      // No token is needed for it, so it tells nothing of the data: not how many events, nor the estimate made of them
      // (200 s: ~2 M events), only a coarse step.
      expect(JSON.stringify(upgrading.body)).not.toMatch(/123|200/);
      told().onMigrationProgress!(MIGRATION_STEPS.categories, 1, 4);
      expect((await health()).body).toMatchObject({
        message: expect.stringMatching(/; now reading the events' categories back from the kept log files, 25% done\)\. Queries answer when it is done$/),
        upgrade: { progress: { step: MIGRATION_STEPS.categories, percent: 25 } },
      });

      const routes: Array<[string, string, unknown?]> = [
        ['GET', '/api/trails'],
        ['GET', '/api/ingest/status'],
        ['GET', '/api/ingest/errors'],
        ['GET', '/api/values/user'],
        ['GET', `/api/events/${records[0].eventID}`],
        ['POST', '/api/query', { range: RANGE, queries: [{ refId: 'A' }] }],
        ['POST', '/api/backfill', { days: 1 }],
      ];
      for (const [method, route, body] of routes) {
        const init = { method, body: body === undefined ? undefined : JSON.stringify(body) };
        // The token first: without it, no more than /api/health tells anyone.
        expect({ route, status: (await get(route, null, init)).status }).toEqual({ route, status: 401 });
        const res = await get(route, TOKEN, init);
        const service = res.headers.get(SERVICE_HEADER);
        expect({ route, status: res.status, retryAfter: res.headers.get('retry-after'), service, body: await res.json() }).toEqual({
          route,
          status: 503,
          retryAfter: '10',
          service: VERSION,
          body: {
            error: expect.stringMatching(
              /^the service is upgrading its database from schema version 12 .*25% done\)\. Queries answer when it is done\. Try again in a moment \(GET/
            ),
            code: 'upgrading',
          },
        });
      }
      expect(backfills).not.toContain(1);
      // The readiness check says the same with its code, for a probe that reads only that: no token needed, as for health.
      const notReady = await get('/api/ready', null);
      expect({ status: notReady.status, retryAfter: notReady.headers.get('retry-after'), body: await notReady.json() }).toEqual({
        status: 503,
        retryAfter: '10',
        body: (await health()).body,
      });
      // An unknown route is still a 404.
      expect((await get('/api/nothing')).status).toBe(404);
      // The metrics answer, without the ingestion's gauge (nothing to read yet), counting the 503s.
      const scrape = await get('/metrics');
      const text = await scrape.text();
      expect(scrape.status).toBe(200);
      expect(text).toMatch(/trailhound_http_requests_total\{method="GET",route="\/api\/trails",status="503"\} 1/);
      expect(text).not.toMatch(/^trailhound_ingest_/m);
      expect(text).not.toMatch(/^trailhound_(database|kept_log_files)_bytes /m);
      expect((await get('/metrics', null)).status).toBe(401);

      // Open: everything answers as usual.
      go();
      await opened;
      expect(await health()).toEqual({ status: 200, body: { status: 'ok', version: VERSION, database: 'open' } });
      const ready = await get('/api/ready', null);
      expect({ status: ready.status, retryAfter: ready.headers.get('retry-after'), body: await ready.json() }).toEqual({
        status: 200,
        retryAfter: null,
        body: { status: 'ok', version: VERSION, database: 'open' },
      });
      const trails = await get('/api/trails');
      expect({ status: trails.status, retryAfter: trails.headers.get('retry-after') }).toEqual({ status: 200, retryAfter: null });
      expect(await (await get('/api/ingest/status')).json()).toMatchObject({ events: records.length });
      expect(await (await get('/metrics')).text()).toMatch(new RegExp(`^trailhound_ingest_events ${records.length}$`, 'm'));
    } finally {
      go();
      await api.close();
    }
  });

  test("report asking the service while it upgrades says so, whole, and does not advise to stop it (a stop rolls the upgrade back)", async () => {
    const { opening, go, told } = heldOpen();
    const api = await buildApi({ db: opening, token: TOKEN });
    const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      const opened = opening.open(path.join(served.dir, 'api.duckdb'));
      told().onLongMigration!('updating the database', { events: 5_000_000, fromVersion: 12, toVersion: SCHEMA_VERSION, estimatedSeconds: 50 });
      told().onMigrationProgress!(MIGRATION_STEPS.categories, 1, 3);
      // No database here: the CLI asks the service named.
      const missing = path.join(served.dir, 'elsewhere', 'db.duckdb');
      const r = await runCli(['report', 'totals', '--db', missing, '--service-url', apiUrl], { TRAILHOUND_TOKEN: TOKEN });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /the service is upgrading its database from schema version 12 .*33% done\)\. Queries answer when it is done\. Try again in a moment/
      );
      expect(r.stderr).not.toMatch(/stop it first|Point --service-url/);
      go();
      await opened;
    } finally {
      go();
      await api.close();
    }
  }, 30_000);

  test('an open that fails leaves the API answering 503 (serve then closes it and exits with the error)', async () => {
    const opening = new DatabaseOpening(async () => {
      throw new Error('cannot open the database');
    });
    const api = await buildApi({ db: opening, token: TOKEN });
    const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    try {
      await expect(opening.open('x.duckdb')).rejects.toThrow('cannot open the database');
      const res = await fetch(`${apiUrl}/api/trails`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(503);
      // Its code says it is opening still (a client that reads it waits); the words, that queries answer in a moment.
      const starting = expect.stringMatching(/^the service is opening its database: queries answer in a moment\. Try again/);
      expect(await res.json()).toEqual({ error: starting, code: 'starting' });
      expect(await (await fetch(`${apiUrl}/api/health`)).json()).toMatchObject({ status: 'ok', database: 'starting' });
    } finally {
      await api.close();
    }
  });
});

test('50 concurrent queries while an ingestion writes: all answer, none sees half a file', async () => {
  const logs = path.join(served.dir, 'generated');
  await writeLogFolder(logs, { events: 60_000, days: 2, seed: 5, eventsPerFile: 200 });
  let ingesting = true;
  const running = ingest({ source: logs, db: served.db, days: 2 }).finally(() => (ingesting = false));
  const kinds = [
    { queryType: 'totals' },
    { format: 'table', groupBy: 'user' },
    { groupBy: 'eventName', aggregate: 'hour' },
    { format: 'list', limit: 50 },
    { status: 'unauthorized', groupBy: 'user', aggregate: 'hour' },
  ];
  const recent = { from: Date.now() - 3 * 86_400_000, to: Date.now() + 3_600_000 };
  const seen: number[] = [];
  let rounds = 0;
  const conn = await served.db.connect();
  try {
    do {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => query([{ refId: 'A', ...kinds[i % kinds.length] }], recent)));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.json.results.A).toEqual({ frames: expect.any(Array) });
      }
      seen.push(answers[0].json.results.A.frames[0].fields.find((f: any) => f.name === 'events').values[0]);
      // Within one snapshot, the ledger and the events table always agree: files commit whole.
      const counts = 'SELECT (SELECT count(*) FROM events) AS e, (SELECT sum(inserted) FROM ingested_objects) AS l';
      const snap = (await conn.runAndReadAll(counts)).getRowObjectsJS()[0];
      expect(Number(snap.e)).toBe(Number(snap.l));
      rounds++;
    } while (ingesting);
  } finally {
    conn.closeSync();
    await running.catch(() => undefined); // never leave it writing after the test
  }
  const summary = await running;
  expect(summary.errors).toBe(0);
  expect(rounds).toBeGreaterThan(1);
  expect([...seen].sort((a, b) => a - b)).toEqual(seen); // never goes backwards
  expect(await totalEvents()).toBe(records.length + summary.events);
  expect(seen[seen.length - 1]).toBeLessThanOrEqual(summary.events);
}, 180_000);
