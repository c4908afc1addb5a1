// The gRPC services in-process, called by a @grpc/grpc-js client over loopback, against a real Trailhound
// service holding the Stratus Red Team records.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { tableFromIPC, TimeUnit, Type } from 'apache-arrow';
import { createLogger, silentLogger } from '../../src/backend/log';
import { createMetrics } from '../../src/backend/metrics';
import { QueryDataMessage } from '../../src/backend/message';
import { loadProtos } from '../../src/backend/protos';
import type { Runtime } from '../../src/backend/runtime';
import { startServer, type PluginServer } from '../../src/backend/server';
import { ServiceClient } from '../../src/backend/serviceClient';
import { InstanceCache } from '../../src/backend/settings';
import type { CallResourceResponse, CheckHealthResponse, QueryDataResponse } from '../../src/backend/types';
import { DatabaseOpening } from '../../src/service/api/opening';
import { buildApi } from '../../src/service/api/server';
import { SCHEMA_VERSION } from '../../src/service/db/schema';
import { ingest } from '../../src/service/ingest';
import { VERSION } from '../../src/service/version';
import { hungServer, refusedUrl } from '../support/net';
import { dayPrefix, tempDir, writeFiles } from '../support/temp';
import { DIMENSIONS } from '../../src/model/query';
import { type AnswerStyle, skewedService, startStratusService, type TestService } from './support/service';

let service: TestService;
let plugin: PluginServer;
let runtime: Runtime;
const clients: Record<string, grpc.Client> = {};

const FROM = Date.UTC(2024, 6, 1);
const TO = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

beforeAll(async () => {
  service = await startStratusService();
  const metrics = createMetrics({ defaults: false });
  runtime = { instances: new InstanceCache((path, status) => metrics.serviceCalls.inc({ path, status })), logger: silentLogger, metrics };
  plugin = await startServer(runtime);
  const { clients: ctors } = loadProtos();
  for (const name of ['pluginv2.Data', 'pluginv2.Diagnostics', 'pluginv2.Resource', 'grpc.health.v1.Health']) {
    clients[name] = new ctors[name](plugin.address, grpc.credentials.createInsecure());
  }
});

afterAll(async () => {
  for (const c of Object.values(clients)) c.close();
  await plugin?.stop(100);
  await service?.close();
});

function unary<T>(client: string, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => (clients[client] as any)[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function resource(request: unknown): Promise<CallResourceResponse[]> {
  return new Promise((resolve, reject) => {
    const out: CallResourceResponse[] = [];
    const call = (clients['pluginv2.Resource'] as any).CallResource(request);
    call.on('data', (m: CallResourceResponse) => out.push(m));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

function context(overrides: { url?: string; token?: string; uid?: string; lastUpdatedMS?: number; role?: string } = {}) {
  return {
    orgId: 1,
    pluginId: 'trailhound-cloudtrail-datasource',
    user: { login: 'someone', role: overrides.role ?? 'Viewer' },
    dataSourceInstanceSettings: {
      id: 1,
      uid: overrides.uid ?? 'trailhound',
      name: 'Trailhound',
      jsonData: Buffer.from(JSON.stringify({ url: overrides.url ?? service.url })),
      decryptedSecureJsonData: { token: overrides.token ?? service.token },
      lastUpdatedMS: overrides.lastUpdatedMS ?? 1,
    },
  };
}

const query = (refId: string, model: Record<string, unknown>, range = { from: FROM, to: TO }) => ({
  refId,
  json: Buffer.from(JSON.stringify({ refId, datasource: { type: 'trailhound-cloudtrail-datasource', uid: 'x' }, ...model })),
  timeRange: { fromEpochMS: range.from, toEpochMS: range.to },
  intervalMS: 60_000,
  maxDataPoints: 1000,
});

function serviceCalls(path: string): number {
  const metric = runtime.metrics.serviceCalls as any;
  return (metric.hashMap ? Object.values(metric.hashMap) : [])
    .filter((v: any) => v.labels.path === path)
    .reduce((n: number, v: any) => n + v.value, 0);
}

test('QueryData: one service call per time range; frames per query, errors per query', async () => {
  const before = serviceCalls('/api/query');
  const late = { from: Date.UTC(2024, 7, 1), to: TO };
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [
      query('A', { queryType: 'events', format: 'timeseries', groupBy: 'service', aggregate: 'day' }),
      query('B', { queryType: 'events', format: 'table', groupBy: 'service', limit: 3 }),
      query('C', { queryType: 'totals' }),
      query('D', { format: 'pie' }),
      { ...query('E', {}), json: Buffer.from('{not json') },
      query('F', { queryType: 'events', format: 'list', filters: { service: ['ec2'] }, limit: 5 }, late),
    ],
  });
  // A, B, C share a range: one call; F has its own; D and E never leave the plugin.
  expect(serviceCalls('/api/query') - before).toBe(2);
  expect(Object.keys(res.responses).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);

  const byService = new Map<string, number>();
  for (const r of service.records) {
    const s = r.eventSource.replace('.amazonaws.com', '');
    byService.set(s, (byService.get(s) ?? 0) + 1);
  }
  const a = res.responses.A;
  expect(a).toMatchObject({ status: 200, error: '' });
  const series = a.frames.map((f) => tableFromIPC(f));
  expect(series).toHaveLength(byService.size);
  for (const t of series) {
    expect(t.schema.metadata.get('refId')).toBe('A');
    const [time, events] = t.schema.fields;
    expect(time.type.typeId).toBe(Type.Timestamp);
    expect(events.type.typeId).toBe(Type.Float);
    const labels = JSON.parse(events.metadata.get('labels')!);
    const total = [...t.getChild('events')!].reduce((n: number, v) => n + (v as number), 0);
    expect(total).toBe(byService.get(labels.service));
  }

  const b = tableFromIPC(res.responses.B.frames[0]);
  expect([...b.getChild('service')!]).toEqual(['ssm', 'ec2', 'secretsmanager']);
  expect([...b.getChild('events')!]).toEqual([138, 87, 26]);

  const c = tableFromIPC(res.responses.C.frames[0]);
  expect(c.getChild('events')!.get(0)).toBe(service.records.length);

  expect(res.responses.D).toMatchObject({ status: 400, errorSource: 'downstream', frames: [] });
  expect(res.responses.D.error).toBe('invalid query: format: "pie" is not one of timeseries, table, list, logs');
  expect(res.responses.E).toMatchObject({ status: 400, error: 'invalid query: query: is not valid JSON' });

  // Each query's first frame says what it asked of the service, its own part of its batch (Grafana's query inspector).
  const executed = (frame: Uint8Array) => JSON.parse(tableFromIPC(frame).schema.metadata.get('meta')!).executedQueryString;
  const asked = (range: { from: number; to: number }, model: Record<string, unknown>) =>
    `POST /api/query ${JSON.stringify({ range, intervalMs: 60_000, maxDataPoints: 1000, queries: [model] })}`;
  const aModel = { queryType: 'events', format: 'timeseries', groupBy: 'service', aggregate: 'day', refId: 'q0' };
  expect(executed(a.frames[0])).toBe(asked({ from: FROM, to: TO }, aModel));
  expect(a.frames.slice(1).map((frame) => tableFromIPC(frame).schema.metadata.get('meta'))).toEqual(a.frames.slice(1).map(() => undefined));
  expect(executed(res.responses.C.frames[0])).toBe(asked({ from: FROM, to: TO }, { queryType: 'totals', refId: 'q2' }));
  const f = tableFromIPC(res.responses.F.frames[0]);
  expect(JSON.parse(f.schema.metadata.get('meta')!)).toEqual({
    preferredVisualisationType: 'table',
    executedQueryString: asked(late, { queryType: 'events', format: 'list', filters: { service: ['ec2'] }, limit: 5, refId: 'q5' }),
  });
  expect(f.schema.metadata.get('meta')).not.toContain(service.token);
  const ec2Late = service.records.filter((r) => r.eventSource === 'ec2.amazonaws.com' && Date.parse(r.eventTime) >= late.from);
  expect(ec2Late.length).toBeGreaterThan(5);
  expect(f.numRows).toBe(5);
  expect(new Set([...f.getChild('service')!])).toEqual(new Set(['ec2']));
  for (const id of f.getChild('event id')!) expect(ec2Late.map((r) => r.eventID)).toContain(id);
  for (const t of f.getChild('time')!) expect(t as number).toBeGreaterThanOrEqual(late.from);
  expect(f.schema.fields.find((x) => x.name === 'read only')!.type.typeId).toBe(Type.Bool);
});

test("QueryData: log lines are an Arrow frame Grafana's Logs view reads: time first, then the line, its level and id", async () => {
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [query('L', { queryType: 'events', format: 'logs', status: 'unauthorized', limit: 1000 })],
  });
  const logs = tableFromIPC(res.responses.L.frames[0]);
  expect(JSON.parse(logs.schema.metadata.get('meta')!)).toMatchObject({ preferredVisualisationType: 'logs' });
  expect(logs.schema.fields.slice(0, 4).map((f) => [f.name, f.type.typeId])).toEqual([
    ['time', Type.Timestamp], ['line', Type.Utf8], ['level', Type.Utf8], ['id', Type.Utf8],
  ]);
  // The Stratus Red Team's refused calls, each a critical line naming who was refused what.
  const refused = service.records.filter((r) => /AccessDenied|UnauthorizedOperation/.test(String(r.errorCode)));
  expect(refused.length).toBeGreaterThan(0);
  expect(logs.numRows).toBe(refused.length);
  expect(new Set([...logs.getChild('level')!])).toEqual(new Set(['critical']));
  for (const line of logs.getChild('line')!) expect(line).toMatch(/^\S+ [\w-]+:\w+ .* in [\w-]+ \(\d{12}\): \w+/);
});

test("QueryData: the dashboard's time zone, which the frontend adds to each query, goes to the service with the range", async () => {
  const before = serviceCalls('/api/query');
  const day = { queryType: 'events', format: 'timeseries', groupBy: 'none', aggregate: 'day' };
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [
      query('S', { ...day, timeZone: 'Australia/Sydney' }),
      query('U', day),
      // UTC spelt another way is UTC: the same call as U's.
      query('u', { ...day, timeZone: 'utc' }),
      query('X', { ...day, timeZone: 'Mars/Olympus_Mons' }),
      // A table has no buckets: it goes without the zone, with U's call, which a service older than time zones takes.
      query('T', { queryType: 'events', format: 'table', groupBy: 'service', timeZone: 'Australia/Sydney' }),
    ],
  });
  // X's zone, which neither the plugin nor the service knows, is refused by the service, and asked again in UTC.
  expect(serviceCalls('/api/query') - before).toBe(4);
  const meta = (refId: string) => JSON.parse(tableFromIPC(res.responses[refId].frames[0]).schema.metadata.get('meta')!);
  // "POST /api/query {…}": the body.
  const executed = (refId: string) => JSON.parse(meta(refId).executedQueryString.slice('POST /api/query '.length));
  expect(executed('S').range).toEqual({ from: FROM, to: TO, timeZone: 'Australia/Sydney' });
  expect(executed('U').range).toEqual({ from: FROM, to: TO });
  expect(executed('T').range).toEqual({ from: FROM, to: TO });
  // Sydney's days start at its midnight (+10 or +11), UTC's at 00:00 UTC; both count every event.
  const times = (refId: string) =>
    [...tableFromIPC(res.responses[refId].frames[0]).getChild('time')!].map((t) => new Date(Number(t)).toISOString().slice(11, 23));
  expect(new Set(times('S'))).toEqual(new Set(['14:00:00.000', '13:00:00.000']));
  expect(new Set(times('U'))).toEqual(new Set(['00:00:00.000']));
  const total = (refId: string) => [...tableFromIPC(res.responses[refId].frames[0]).getChild('events')!].reduce((n: number, v) => n + (v as number), 0);
  expect([total('S'), total('U'), total('u')]).toEqual([service.records.length, service.records.length, service.records.length]);
  // A zone the service does not know (a browser's time zone data newer than its Node's) is drawn in UTC days, warned of.
  expect(res.responses.X).toMatchObject({ status: 200, error: '' });
  expect(executed('X').range).toEqual({ from: FROM, to: TO });
  expect(times('X')).toEqual(times('U'));
  expect(total('X')).toBe(service.records.length);
  // Neither the plugin's Node nor the service's knows it: the browser's time zone data is newer.
  expect(meta('X').notices).toEqual([
    {
      severity: 'warning',
      text:
        `Days and hours in UTC: the service does not know the dashboard's time zone, "Mars/Olympus_Mons": its Node's time zone data is ` +
        "older than the browser's. Run the service on a newer Node (its Docker image has one), or pick a zone it knows in the dashboard's settings",
    },
  ]);
  // The service says which zone it laid the buckets out in (none: UTC).
  expect([meta('S').notices, meta('S').custom]).toEqual([undefined, { timeZone: 'Australia/Sydney' }]);
  expect(meta('U').custom).toBeUndefined();
});

test('QueryData: a refused zone\'s warning is shown on a series without events too, on a frame of no points', async () => {
  const series = { queryType: 'events', format: 'timeseries', groupBy: 'service', aggregate: 'day', filters: { user: ['nobody-at-all'] } };
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [query('X', { ...series, timeZone: 'Mars/Olympus_Mons' }), query('U', series)],
  });
  // A grouped series without events has no frames.
  expect(res.responses.U).toMatchObject({ status: 200, frames: [] });
  expect(res.responses.X).toMatchObject({ status: 200, error: '' });
  expect(res.responses.X.frames).toHaveLength(1);
  const frame = tableFromIPC(res.responses.X.frames[0]);
  expect(frame.numRows).toBe(0);
  const meta = JSON.parse(frame.schema.metadata.get('meta')!);
  const warned = { severity: 'warning', text: expect.stringMatching(/^Days and hours in UTC: .*"Mars\/Olympus_Mons"/) };
  expect(meta.notices).toEqual([expect.objectContaining(warned)]);
  expect(JSON.parse(meta.executedQueryString.slice('POST /api/query '.length)).range).toEqual({ from: FROM, to: TO });
});

test('QueryData: a time zone that is not text is a query the plugin refuses', async () => {
  const series = { queryType: 'events', format: 'timeseries', groupBy: 'none', aggregate: 'day' };
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext: context(), queries: [query('A', { ...series, timeZone: 10 })] });
  expect(res.responses.A).toMatchObject({ status: 400, error: 'invalid query: timeZone: must be the name of a time zone, such as Europe/Berlin or UTC' });
});

test("QueryData's answer is written once, straight into the buffer grpc-js sends: after its 5-byte header", async () => {
  const copy = jest.spyOn(QueryDataMessage.prototype, 'copy');
  try {
    const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
      pluginContext: context(),
      queries: [query('A', { queryType: 'events', format: 'timeseries', groupBy: 'service', aggregate: 'day' })],
    });
    expect(res.responses.A).toMatchObject({ status: 200, error: '' });
    expect(copy).toHaveBeenCalledTimes(1);
    const [output, offset] = copy.mock.calls[0];
    expect(offset).toBe(5);
    expect(output.length).toBe((copy.mock.instances[0] as unknown as QueryDataMessage).byteLength + 5);
    expect(res.responses.A.frames.length).toBeGreaterThan(1);
  } finally {
    copy.mockRestore();
  }
});

test("QueryData: the frames read from the service's answer by lines are byte for byte those read from its JSON answer", async () => {
  // A service older than the answer by lines answers JSON whatever it is asked: a proxy that asks for JSON stands in for one.
  const types: string[] = [];
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const json = req.url!.startsWith('/json');
      const headers = { ...req.headers, ...(json ? { accept: 'application/json' } : {}) } as Record<string, string>;
      delete headers.host;
      delete headers['content-length'];
      const answer = await fetch(`${service.url}${req.url!.replace(/^\/(json|lines)/, '')}`, {
        method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      types.push(`${json ? 'json' : 'lines'} ${answer.headers.get('content-type')}`);
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' }).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    const queries = [
      query('series', { format: 'timeseries', groupBy: 'service', aggregate: 'hour' }),
      query('pairs', { format: 'timeseries', groupBy: 'userAndAccount', aggregate: 'day', limit: 50 }),
      query('table', { format: 'table', groupBy: 'user', limit: 50 }),
      query('list', { format: 'list', limit: 500 }),
      query('totals', { queryType: 'totals' }),
      query('nothing', { format: 'timeseries', groupBy: 'user', filters: { user: ['nobody'] } }),
      query('refused', { format: 'timeseries', aggregate: 'minute', groupBy: 'user', limit: 10_000 }),
    ];
    const ask = (mode: string) =>
      unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext: context({ url: `${base}/${mode}`, uid: mode }), queries });
    const [lines, json] = [await ask('lines'), await ask('json')];
    expect(types).toEqual(['lines application/x-ndjson; charset=utf-8', 'json application/json; charset=utf-8']);
    expect(Object.keys(lines.responses).sort()).toEqual(queries.map((q) => q.refId).sort());
    for (const refId of Object.keys(json.responses)) {
      const [a, b] = [lines.responses[refId], json.responses[refId]];
      const base64 = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f).toString('base64'));
      expect({ refId, ...a, frames: base64(a.frames) }).toEqual({ refId, ...b, frames: base64(b.frames) });
      // And as Arrow's reader sees them: the same schema, metadata and rows.
      const read = (frames: Uint8Array[]) => frames
        .map((f) => tableFromIPC(f))
        .map((t) => ({ schema: t.schema.metadata, fields: t.schema.fields.map(String), rows: t.toArray().map(String) }));
      expect(read(a.frames)).toEqual(read(b.frames));
    }
    expect(lines.responses.series.frames.length).toBeGreaterThan(3);
    expect(lines.responses.list.frames.length).toBe(1);
    expect(lines.responses.nothing).toMatchObject({ status: 200, frames: [] });
    expect(lines.responses.refused).toMatchObject({ status: 400, frames: [] });
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test('QueryData: a wrong token, a refused connection or bad settings fail each query with a fitting status', async () => {
  const wrongToken = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context({ token: 'nope' }), queries: [query('A', {}), query('B', {})],
  });
  for (const r of Object.values(wrongToken.responses)) {
    expect(r).toMatchObject({ status: 401, errorSource: 'downstream' });
    expect(r.error).toContain('rejected the API token');
  }
  const url = await refusedUrl();
  const refused = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext: context({ url, uid: 'refused' }), queries: [query('A', {})] });
  expect(refused.responses.A).toMatchObject({ status: 502 });
  expect(refused.responses.A.error).toContain(`cannot reach the Trailhound service at ${url}: connection refused`);
  const bad = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context({ url: 'ftp://x', uid: 'bad' }), queries: [query('A', {})],
  });
  expect(bad.responses.A).toMatchObject({ status: 400, error: 'data source settings: the service URL "ftp://x" must start with http:// or https://' });
  const empty = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [{ ...query('A', {}), timeRange: { fromEpochMS: TO, toEpochMS: FROM } }],
  });
  expect(empty.responses.A.error).toMatch(/timeRange: is missing or empty/);
});

test('QueryData: a server at the URL whose per-query errors are not text (an object, null) fails those queries in words, the others answer', async () => {
  const lines = [
    { refId: 'q0', error: { message: 'quota exceeded', code: 'E42' }, status: 429 },
    { refId: 'q1', error: null, status: 500 },
    { refId: 'q2', frames: [{ name: 'ok', fields: [{ name: 'n', type: 'number', values: [1] }] }] },
    { end: true },
  ];
  const other = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(lines.map((line) => `${JSON.stringify(line)}\n`).join('')));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  try {
    const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
      pluginContext: context({ url, uid: 'not-trailhound' }),
      queries: ['A', 'B', 'C'].map((refId) => query(refId, { queryType: 'totals' })),
    });
    const words = (quoted: string) =>
      `${url}/api/query answered an error that is not text (${quoted}), as no Trailhound service does: ` +
      'the server at that URL may not be Trailhound; check the URL in the data source settings';
    expect(res.responses.A).toEqual({ frames: [], error: words('"quota exceeded"'), status: 502, errorSource: 'downstream' });
    expect(res.responses.B).toEqual({ frames: [], error: words('null'), status: 502, errorSource: 'downstream' });
    expect(res.responses.C).toMatchObject({ error: '', status: 200 });
    expect(tableFromIPC(res.responses.C.frames[0]).getChild('n')!.get(0)).toBe(1);
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('QueryData whose frames would pass the gRPC message limit fails the biggest queries with "too much data"; the others answer', async () => {
  // A server at the URL answering each query one frame of one string: q0's the biggest.
  const sizes = [600_000, 300_000, 200_000];
  const lines = sizes.map((n, i) => ({ refId: `q${i}`, frames: [{ name: 'big', fields: [{ name: 's', type: 'string', values: ['x'.repeat(n)] }] }] }));
  const big = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end([...lines, { end: true }].map((line) => `${JSON.stringify(line)}\n`).join('')));
  await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
  const request = {
    pluginContext: context({ url: `http://127.0.0.1:${(big.address() as AddressInfo).port}`, uid: 'big' }),
    queries: ['A', 'B', 'C'].map((refId) => query(refId, { queryType: 'totals' })),
  };
  // The same call to a plugin whose gRPC messages weigh at most maxMessageBytes.
  const ask = async (maxMessageBytes: number) => {
    const limited = await startServer(runtime, { maxMessageBytes });
    const client = new (loadProtos().clients['pluginv2.Data'])(limited.address, grpc.credentials.createInsecure());
    try {
      return await new Promise<QueryDataResponse>((resolve, reject) =>
        (client as any).QueryData(request, (err: Error | null, res: QueryDataResponse) => (err ? reject(err) : resolve(res))));
    } finally {
      client.close();
      await limited.stop(100);
    }
  };
  try {
    const whole = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', request);
    const bytes = new QueryDataMessage(whole).byteLength;
    expect(bytes).toBeGreaterThan(1_100_000);
    const answered = (res: QueryDataResponse) => Object.entries(res.responses).filter(([, r]) => r.status === 200).map(([refId]) => refId);
    expect(answered(whole)).toEqual(['A', 'B', 'C']);
    // Frames as text: jest compares a Buffer byte by byte, for seconds.
    const readable = (r: QueryDataResponse['responses'][string]) => ({ ...r, frames: r.frames.map((f) => Buffer.from(f).toString('base64')) });
    // Exactly at the limit, all of it is sent; a byte over it, the biggest query alone fails, in words.
    const exact = await ask(bytes);
    for (const refId of ['A', 'B', 'C']) expect(readable(exact.responses[refId])).toEqual(readable(whole.responses[refId]));
    const over = await ask(bytes - 1);
    expect(answered(over)).toEqual(['B', 'C']);
    expect(over.responses.A).toEqual({
      frames: [], status: 400, errorSource: 'downstream',
      error: "too much data: this query's frames are 0.6 MB, and the queries Grafana sent together get at most 1.1 MB in all: " +
        "lower the query's limit or narrow its time range",
    });
    expect(readable(over.responses.B)).toEqual(readable(whole.responses.B));
    expect(answered(await ask(400_000))).toEqual(['C']);
  } finally {
    await new Promise((resolve) => big.close(resolve));
  }
});

test('QueryData: every refId gets its own response, however long, and "__proto__" too', async () => {
  // The service takes refIds of up to 100 characters: the plugin sends it keys of its own.
  const long = `Failed logins by user, excluding service principals and break-glass accounts (see runbook SEC-142) ${'v'.repeat(100)}`;
  const refIds = ['A', long, '__proto__', 'constructor', 'toString'];
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: refIds.map((refId) => query(refId, { queryType: 'totals' })),
  });
  expect(Object.keys(res.responses).sort()).toEqual([...refIds].sort());
  for (const refId of refIds) {
    const r = Object.getOwnPropertyDescriptor(res.responses, refId)!.value;
    expect(r).toMatchObject({ status: 200, error: '' });
    const totals = tableFromIPC(r.frames[0]);
    expect(totals.schema.metadata.get('refId')).toBe(refId);
    expect(totals.getChild('events')!.get(0)).toBe(service.records.length);
  }
});

test("QueryData: an interval wider than the service's buckets (a query's Min interval of years) still answers", async () => {
  // Grafana's intervalMs is at least the query's Min interval: "5y" asks for buckets of 5 years, where the service takes
  // 366 days at most. The service refused the whole batch.
  const years = { from: Date.UTC(2020, 0, 1), to: Date.UTC(2025, 0, 1) };
  const wide = { ...query('A', { format: 'timeseries', groupBy: 'none' }, years), intervalMS: years.to - years.from, maxDataPoints: 1 };
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext: context(), queries: [wide] });
  expect(res.responses.A).toMatchObject({ status: 200, error: '' });
  const series = tableFromIPC(res.responses.A.frames[0]);
  expect([...series.getChild('events')!].reduce((sum: number, n) => sum + Number(n), 0)).toBe(service.records.length);
});

test('QueryData: times past what nanoseconds hold (2262-04-11) are an error, not dates in 1677', async () => {
  const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context(),
    queries: [query('A', { format: 'timeseries', groupBy: 'none', aggregate: 'day' }, { from: Date.UTC(2262, 3, 8), to: Date.UTC(2262, 3, 14) })],
  });
  expect(res.responses.A).toMatchObject({ status: 500, errorSource: 'plugin', frames: [] });
  expect(res.responses.A.error).toMatch(
    /^the service returned a frame the plugin cannot encode: field "time": .* is outside the times Grafana can show \(1677-09-21 to 2262-04-11\)$/
  );
});

/**
 * Logs the plugin's lines, until the silent logger is put back; the function returned waits for the lines whose error
 * matches, parsed.
 */
function captureLogs(): (error: RegExp) => Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  runtime.logger = createLogger({ level: 'trace', write: (line) => lines.push(line) });
  return async (error) => {
    const matching = () => lines.map((line) => JSON.parse(line)).filter((line) => error.test(String(line.error)));
    while (matching().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return matching();
  };
}

test('QueryData that Grafana cancels (a panel query abandoned) aborts its call to the service, which sees the connection close', async () => {
  // Grafana cancels a panel's queries at each refresh or range change while they run: routine, not a failure to warn of.
  const logged = captureLogs();
  // A service that never answers: only the plugin's abort can end the call, well inside the data source's timeout.
  let arrived!: () => void;
  let closed!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const closing = new Promise<void>((resolve) => (closed = resolve));
  const hanging = http.createServer((req, res) => {
    res.on('close', closed);
    arrived();
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  try {
    const pluginContext = context({ uid: 'hanging' });
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    pluginContext.dataSourceInstanceSettings.jsonData = Buffer.from(JSON.stringify({ url, timeoutSeconds: 3600 }));
    const outcome = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = (clients['pluginv2.Data'] as any).QueryData({ pluginContext, queries: [query('A', {})] }, (err: grpc.ServiceError | null) => resolve(err));
      void arrival.then(() => call.cancel());
    });
    expect((await outcome)?.code).toBe(grpc.status.CANCELLED);
    await closing;
    expect(await logged(/cancelled/)).toEqual([expect.objectContaining({ '@level': 'debug', '@message': 'query cancelled', queries: 1 })]);
  } finally {
    runtime.logger = silentLogger;
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  }
});

test("QueryData past Grafana's deadline (an alert rule's evaluation timing out) is a timeout, warned of, not a cancellation", async () => {
  const logged = captureLogs();
  const hung = await hungServer();
  try {
    const pluginContext = context({ uid: 'hung' });
    pluginContext.dataSourceInstanceSettings.jsonData = Buffer.from(JSON.stringify({ url: hung.url }));
    const code = await new Promise<number | undefined>((resolve) =>
      (clients['pluginv2.Data'] as any).QueryData(
        { pluginContext, queries: [query('A', {})] },
        { deadline: Date.now() + 300 },
        (err: grpc.ServiceError | null) => resolve(err?.code)
      )
    );
    expect(code).toBe(grpc.status.DEADLINE_EXCEEDED);
    // grpc-js cancels the call at its deadline, before any timer of the plugin's: that cancellation is the deadline's.
    expect(await logged(/deadline|cancelled/)).toEqual([
      expect.objectContaining({
        '@level': 'warn',
        '@message': 'query failed',
        error: `the Trailhound service at ${hung.url} did not answer before Grafana's deadline for the request`,
      }),
    ]);
  } finally {
    runtime.logger = silentLogger;
    await hung.close();
  }
});

test('a token that cannot be sent as a header is a settings error that never repeats it, in every service', async () => {
  const token = 'TOPSECRET-1\nTOPSECRET-2';
  const message = 'data source settings: the API token contains spaces, line breaks or non-ASCII characters, which a token cannot have: ' +
    'paste it again from the service (TRAILHOUND_TOKEN, or the token file in its data folder)';
  const data = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
    pluginContext: context({ token, uid: 'badtoken' }), queries: [query('A', {})],
  });
  expect(data.responses.A).toMatchObject({ status: 400, errorSource: 'downstream', error: message });
  const health = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ token, uid: 'badtoken' }) });
  expect(health).toMatchObject({ status: 'ERROR', message });
  const [values] = await resource({ pluginContext: context({ token, uid: 'badtoken' }), path: 'values/user', method: 'GET' });
  expect(values.code).toBe(400);
  expect(JSON.parse(Buffer.from(values.body).toString())).toEqual({ error: message });
});

test('CheckHealth: OK with version and event count; clear errors for a wrong token, URL or port', async () => {
  const ok = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context() });
  expect(ok.status).toBe('OK');
  expect(ok.message).toBe(`Connected to Trailhound ${VERSION}: 310 events, newest 2024-11-30T08:43:18Z`);
  expect(JSON.parse(Buffer.from(ok.jsonDetails).toString())).toMatchObject({ version: VERSION, ingest: { events: 310 } });

  const token = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ token: 'wrong' }) });
  expect(token.status).toBe('ERROR');
  expect(token.message).toMatch(new RegExp(`^Reached Trailhound ${VERSION} at ${service.url}, but it rejected the API token \\(HTTP 401\\)`));

  const url = await refusedUrl();
  const refused = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url, uid: 'r' }) });
  expect(refused).toMatchObject({ status: 'ERROR', message: expect.stringContaining(`${url}: connection refused`) });

  const path = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url: `${service.url}/grafana`, uid: 'p' }) });
  expect(path.status).toBe('ERROR');
  expect(path.message).toBe(
    `${service.url}/grafana does not answer as a Trailhound service (GET /api/health: HTTP 401): ` +
      "check the URL; it is the service's address, e.g. http://127.0.0.1:7480"
  );
});

test("CheckHealth: a proxy's 401 (a page, JSON in other words, no code from a service past 0.1.0) is no wrong token; up to 0.1.0, by its words", async () => {
  // /<version>/<html|json|service>: the real service's /api/health at that version; every other endpoint the proxy's
  // 401 (a page, or JSON), or the service's without its code.
  const proxy = http.createServer(async (req, res) => {
    const [, version, kind, ...rest] = req.url!.split('/');
    if (rest.join('/') === 'api/health') {
      const health = await (await fetch(`${service.url}/api/health`)).json();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...health, version }));
    } else if (kind === 'html') {
      res.writeHead(401, { 'content-type': 'text/html' }).end('<html><body>Sign in to the proxy</body></html>');
    } else if (kind === 'service') {
      // The service's own 401 (no token sent) without its code, as 0.1.0 answered it.
      const { error } = await (await fetch(`${service.url}/${rest.join('/')}`)).json();
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    } else {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Unauthorized' }));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const check = (url: string) => unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url, uid: url }) });
  const signIn =
    'not as the service does: a proxy in front of it (or another app at that URL) asks for a sign-in of its own: ' +
    'point the URL at the service itself, or at a proxy that passes the Authorization header on';
  // A version past 0.1.0 (the plugin's own may still be 0.1.0 between releases), whose 401 has the code unauthorized.
  const newer = '0.2.0';
  const reached = (kind: string) => `Reached Trailhound ${newer} (this plugin is ${VERSION}: upgrade the plugin to ${newer}) at ${base}/${newer}/${kind}`;
  try {
    const page = await check(`${base}/${newer}/html`);
    expect(page).toMatchObject({ status: 'ERROR' });
    expect(page.message).toBe(
      `${reached('html')}, but GET /api/ingest/status answered HTTP 401 "<html><body>Sign in to the proxy</body></html>", ${signIn}`
    );
    const json = await check(`${base}/${newer}/json`);
    expect(json.message).toBe(`${reached('json')}, but GET /api/ingest/status answered HTTP 401 "{"error":"Unauthorized"}", ${signIn}`);
    const uncoded = await check(`${base}/${newer}/service`);
    expect(uncoded.message).toBe(`${reached('service')}, but GET /api/ingest/status answered HTTP 401, ${signIn}`);
    // A page is never the service's, at any version, nor JSON in words no service said; 0.1.0's own 401, without a
    // code, is read by its status.
    expect((await check(`${base}/0.1.0/html`)).message).toMatch(/answered HTTP 401 "<html>.*asks for a sign-in of its own/);
    expect((await check(`${base}/0.1.0/json`)).message).toMatch(/answered HTTP 401 "\{"error":"Unauthorized"\}".*asks for a sign-in of its own/);
    const old = await check(`${base}/0.1.0/service`);
    const token = /, but it rejected the API token \(HTTP 401\): set the token from the service/;
    expect(old).toMatchObject({ status: 'ERROR', message: expect.stringMatching(token) });
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test('CheckHealth while the service upgrades its database: OK, saying so and that queries answer when it is done; a wrong token is an error', async () => {
  // A service whose open is held mid-migration until the test lets it go on (then it serves the Stratus database).
  let go!: () => void;
  const held = new Promise<void>((resolve) => (go = resolve));
  const opening = new DatabaseOpening(async (_file, options = {}) => {
    options.onLongMigration!('updating the database', { events: 3_000_000, fromVersion: 12, toVersion: SCHEMA_VERSION, estimatedSeconds: 30 });
    await held;
    return service.db;
  });
  const api = await buildApi({ db: opening, token: service.token });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  try {
    const opened = opening.open('held.duckdb');
    const health = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url, uid: 'upgrading' }) });
    expect(health.status).toBe('OK');
    expect(health.message).toMatch(
      new RegExp(
        `^Reached Trailhound ${VERSION} at ${url}, and the API token works, ` +
          `but the service is upgrading its database from schema version 12 to ${SCHEMA_VERSION}, ` +
          `once: it reads the kept log files back \\(about 30 s, started at \\S+\\)\\. Queries answer when it is done\\. Try again in a moment`
      )
    );
    const details = { url, version: VERSION, pluginVersion: VERSION, database: 'upgrading', upgrade: { fromVersion: 12 } };
    expect(JSON.parse(Buffer.from(health.jsonDetails).toString())).toMatchObject(details);
    // A build between 0.1.0 and the `database` field said "upgrading" in `status`, and its 503 had no code: the same.
    const interim = await skewedService(url, { version: VERSION, opening: 'in status', answers: 'as 0.1.0' });
    const before = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url: interim.url, uid: 'interim' }) });
    await interim.close();
    expect(before).toMatchObject({ status: 'OK', message: health.message.replace(url, interim.url) });
    const pluginContext = context({ url, uid: 'upgrading-bad', token: 'wrong' });
    const token = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext });
    expect(token).toMatchObject({ status: 'ERROR', message: expect.stringMatching(/rejected the API token \(HTTP 401\)/) });

    go();
    await opened;
    const ok = await unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url, uid: 'upgraded' }) });
    expect(ok).toMatchObject({ status: 'OK', message: `Connected to Trailhound ${VERSION}: 310 events, newest 2024-11-30T08:43:18Z` });
  } finally {
    go();
    await api.close();
  }
});

test("CheckHealth: a proxy's 503 after /api/health said the database opens is the proxy's, not the service opening", async () => {
  // Else Save & test said "the API token works" of a token no one checked.
  // A service whose open never ends, behind a proxy that passes /api/health on and answers every other path itself:
  // a 503 page, or JSON in words the service never said.
  const opening = new DatabaseOpening(() => new Promise<never>(() => undefined));
  void opening.open('never.duckdb');
  const api = await buildApi({ db: opening, token: service.token });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const proxy = http.createServer(async (req, res) => {
    const [, kind, ...rest] = req.url!.split('/');
    if (rest.join('/') === 'api/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(await (await fetch(`${url}/api/health`)).text());
    } else if (kind === 'html') {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
    } else {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Service Unavailable' }));
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const check = (at: string) => unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url: at, uid: at }) });
  try {
    // The service itself, opening: OK, and its token was checked before its 503.
    const itself = /, and the API token works, but the service is opening its database/;
    expect(await check(url)).toMatchObject({ status: 'OK', message: expect.stringMatching(itself) });
    for (const kind of ['html', 'json']) {
      const health = await check(`${base}/${kind}`);
      expect(health).toMatchObject({ status: 'ERROR', message: expect.stringMatching(/answered HTTP 503 .*, a proxy's answer rather than the service's: /) });
      expect(health.message).toMatch(new RegExp(`^Reached Trailhound ${VERSION} at ${base}/${kind}, but `));
      expect(health.message).not.toMatch(/token works/);
    }
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
    await api.close();
  }
});

describe('the plugin and the service at different versions', () => {
  const OLDER = '0.0.9';
  const NEWER = '99.0.0';
  const older = `the service is Trailhound ${OLDER}, this plugin ${VERSION}: upgrade the service to ${VERSION}`;
  const check = (url: string, uid: string) => unary<CheckHealthResponse>('pluginv2.Diagnostics', 'CheckHealth', { pluginContext: context({ url, uid }) });
  const get = async (url: string, uid: string, path: string) => {
    const [answer] = await resource({ pluginContext: context({ url, uid }), path: path.split('?')[0], url: path, method: 'GET' });
    return { code: answer.code, body: JSON.parse(Buffer.from(answer.body).toString()) };
  };

  test('CheckHealth: OK, naming both versions and which to upgrade; a status it does not know is a newer service, not another URL', async () => {
    const [behind, ahead, unknown] = await Promise.all([
      skewedService(service.url, { version: OLDER }),
      skewedService(service.url, { version: NEWER }),
      skewedService(service.url, { version: NEWER, status: 'draining' }),
    ]);
    try {
      expect(await check(behind.url, 'behind')).toMatchObject({
        status: 'OK',
        message: `Connected to Trailhound ${OLDER} (this plugin is ${VERSION}: upgrade the service to ${VERSION}): 310 events, newest 2024-11-30T08:43:18Z`,
      });
      const health = await check(ahead.url, 'ahead');
      const connected = new RegExp(`^Connected to Trailhound ${NEWER} \\(this plugin is ${VERSION}: upgrade the plugin to ${NEWER}\\): 310 events`);
      expect(health).toMatchObject({ status: 'OK', message: expect.stringMatching(connected) });
      expect(JSON.parse(Buffer.from(health.jsonDetails).toString())).toMatchObject({ version: NEWER, pluginVersion: VERSION, ingest: { events: 310 } });
      expect(await check(unknown.url, 'unknown')).toMatchObject({
        status: 'ERROR',
        message:
          `Reached Trailhound ${NEWER} at ${unknown.url}, but its status is "draining", which this plugin does not know: ` +
          `the service is Trailhound ${NEWER}, this plugin ${VERSION}: upgrade the plugin to ${NEWER}`,
      });
      // At the same version, nothing is said of versions.
      expect((await check(service.url, 'same')).message).toBe(`Connected to Trailhound ${VERSION}: 310 events, newest 2024-11-30T08:43:18Z`);
    } finally {
      await Promise.all([behind.close(), ahead.close(), unknown.close()]);
    }
  });

  // As the service answers today (code and words), as a later version might word its refusals (the code alone tells),
  // and as 0.1.0 did (the words alone).
  const styles: Array<[string, AnswerStyle | undefined]> = [
    ['code and words', undefined],
    ['code alone', 'reworded'],
    ['words alone (0.1.0)', 'as 0.1.0'],
  ];
  /** The advice that ends the service's refusal of an unknown field (a pattern): 0.1.0's asked to upgrade the service. */
  const fieldAdvice = (style: AnswerStyle | undefined) =>
    style === 'as 0.1.0'
      ? 'is the service older than its client\\? Upgrade it'
      : 'is the client at another version than the service\\? Run the same version of both';
  const newest = `the service is Trailhound ${NEWER}, this plugin ${VERSION}: upgrade the plugin to ${NEWER}`;
  const builds =
    `the service and this plugin are both Trailhound ${VERSION}, but different builds of it, which know different fields: ` +
    'upgrade the older to the newer build';
  /** The refusal's words as the style gives them: a pattern of today's, or the rewording of its code. */
  const said = (style: AnswerStyle | undefined, words: string, code: string) =>
    style === 'reworded' ? `refused by the service, in words of another version \\(${code}\\)` : words;

  test.each(styles)('QueryData (%s): a field the service does not know is its refusal, naming both versions and which to upgrade', async (_name, answers) => {
    const extra = { countBy: 'account' };
    const [behind, between, ahead, plain] = await Promise.all([
      skewedService(service.url, { version: OLDER, extra, answers }),
      skewedService(service.url, { version: VERSION, extra, answers }),
      skewedService(service.url, { version: NEWER, extra, answers }),
      skewedService(service.url, { version: OLDER, answers }),
    ]);
    try {
      const ask = (url: string, uid: string, queries: unknown[]) =>
        unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext: context({ url, uid: `${uid}-${answers}` }), queries });
      const res = await ask(behind.url, 'q-behind', [query('A', {})]);
      expect(res.responses.A).toMatchObject({ status: 400, errorSource: 'downstream' });
      const words = `countBy: is not a field of this service's query model \\(.*\\): ${fieldAdvice(answers)}`;
      const refusal = `^${said(answers, words, 'unknown-field')}`;
      expect(res.responses.A.error).toMatch(new RegExp(`${refusal} \\(${older}\\)$`));
      // Both at one version, but builds between releases (the version is bumped at a release): the builds differ.
      const build = await ask(between.url, 'q-between', [query('A', {})]);
      expect(build.responses.A.error).toMatch(new RegExp(`${refusal} \\(${builds}\\)$`));
      if (answers !== 'as 0.1.0') {
        // The service newer (a 0.1.0 service cannot be): the service's words must not ask to upgrade the service.
        const newer = await ask(ahead.url, 'q-ahead', [query('A', {})]);
        expect(newer.responses.A.error).toMatch(new RegExp(`${refusal} \\(${newest}\\)$`));
        expect(newer.responses.A.error).not.toMatch(/older than|upgrade (it|the service)/i);
      }
      // A refusal of another kind (over the budget) says nothing of versions, by its code or, from 0.1.0, its words.
      const lists = 'BCDEFGHIJK'.split('').map((r) => query(r, { format: 'list', limit: 10_000 }));
      const budget = await ask(plain.url, 'q-plain', [query('A', { format: 'table', limit: 10_000 }), ...lists]);
      const over =
        "queries: this request's lists and tables together ask for more than 100000 rows \\(the sum of their limits\\): " +
        'lower the limits, or split the queries over panels';
      expect(budget.responses.K).toMatchObject({ status: 400, error: expect.stringMatching(new RegExp(`^${said(answers, over, 'too-large')}$`)) });
    } finally {
      await Promise.all([behind.close(), between.close(), ahead.close(), plain.close()]);
    }
  });

  test('the words of an answer without a code are read only from a service up to 0.1.0: a newer one codes each refusal of the unknown', async () => {
    // Synthetic: a service newer than 0.1.0 whose refusal has no code, though in the old words (as another error might be).
    const ahead = await skewedService(service.url, { version: NEWER, extra: { countBy: 'account' }, answers: 'as 0.1.0' });
    try {
      const pluginContext = context({ url: ahead.url, uid: 'words-ahead' });
      const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext, queries: [query('A', {})] });
      const words = /^countBy: is not a field of this service's query model \(.*Upgrade it$/;
      expect(res.responses.A).toMatchObject({ status: 400, error: expect.stringMatching(words) });
      const colour = `dimension: "colour" is not one of ${DIMENSIONS.join(', ')}`;
      expect(await get(ahead.url, 'words-ahead', 'values/colour')).toEqual({ code: 400, body: { error: colour } });
    } finally {
      await ahead.close();
    }
  });

  test('QueryData: a service older than time zones draws a time series in UTC days, with a warning naming which to upgrade', async () => {
    const behind = await skewedService(service.url, { version: OLDER, rangeFields: ['from', 'to'] });
    try {
      const series = { queryType: 'events', format: 'timeseries', groupBy: 'none', aggregate: 'day', timeZone: 'Australia/Sydney' };
      const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
        pluginContext: context({ url: behind.url, uid: 'zone-behind' }),
        queries: [query('S', series), query('T', { queryType: 'events', format: 'table', groupBy: 'service', timeZone: 'Australia/Sydney' })],
      });
      const frame = (refId: string) => tableFromIPC(res.responses[refId].frames[0]);
      expect(res.responses.S).toMatchObject({ status: 200, error: '' });
      expect(new Set([...frame('S').getChild('time')!].map((t) => new Date(Number(t)).toISOString().slice(11)))).toEqual(new Set(['00:00:00.000Z']));
      expect(JSON.parse(frame('S').schema.metadata.get('meta')!).notices).toEqual([
        {
          severity: 'warning',
          text:
            "Days and hours in UTC: the service refused the dashboard's time zone (range.timeZone: is not a field of this " +
            "service's time range (from, to): is the client at another version than the service? Run the same version of both): " +
            older,
        },
      ]);
      // A table goes without the zone: no refusal, no warning.
      expect(res.responses.T).toMatchObject({ status: 200, error: '' });
      expect(JSON.parse(frame('T').schema.metadata.get('meta')!).notices).toBeUndefined();
      // The next refresh is asked in UTC at once, with the same warning: not refused and asked again each time.
      const asked = behind.requests.filter((r) => r === 'POST /api/query').length;
      const again = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
        pluginContext: context({ url: behind.url, uid: 'zone-behind' }),
        queries: [query('S', series)],
      });
      expect(behind.requests.filter((r) => r === 'POST /api/query').length).toBe(asked + 1);
      const notices = (answer: QueryDataResponse) => JSON.parse(tableFromIPC(answer.responses.S.frames[0]).schema.metadata.get('meta')!).notices;
      expect(notices(again)).toEqual(notices(res));
    } finally {
      await behind.close();
    }
  });

  test('QueryData: a service that takes the zone without a word (0.1.0) and answers in UTC has its series warned of that', async () => {
    const ignoring = await skewedService(service.url, { version: OLDER, ignoredRangeFields: ['timeZone'] });
    try {
      const series = { queryType: 'events', format: 'timeseries', groupBy: 'none', aggregate: 'day' };
      const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
        pluginContext: context({ url: ignoring.url, uid: 'zone-ignored' }),
        queries: [query('S', { ...series, timeZone: 'Australia/Sydney' }), query('U', series)],
      });
      const meta = (refId: string) => JSON.parse(tableFromIPC(res.responses[refId].frames[0]).schema.metadata.get('meta')!);
      expect(meta('S').notices).toEqual([
        {
          severity: 'warning',
          text: `Days and hours in UTC, not Australia/Sydney's: the service is older than time zones: upgrade it to this plugin's version (${VERSION})`,
        },
      ]);
      // UTC asked, UTC answered: nothing to say.
      expect(meta('U').notices).toBeUndefined();
    } finally {
      await ignoring.close();
    }
  });

  test("the client keeps the code of a whole request's refusal (a field beside the queries), which QueryData reads", async () => {
    const behind = await skewedService(service.url, { version: OLDER, answers: 'reworded' });
    try {
      // A field of the request itself, as a newer plugin might send one: the whole call's 400, not a query's.
      const request = { range: { from: FROM, to: TO }, queries: [{ refId: 'A' }], timezone: 'UTC' };
      const refused = await new ServiceClient(behind.url, service.token).query(request, () => undefined).catch((err: unknown) => err);
      const message = 'refused by the service, in words of another version (unknown-field)';
      expect(refused).toMatchObject({ status: 400, kind: 'http', code: 'unknown-field', message });
    } finally {
      await behind.close();
    }
  });

  test.each(styles)(
    "CallResource (%s): the service's refusal of a dimension or parameter it does not know, and an endpoint it has not, name both versions",
    async (_name, answers) => {
      const [behind, between] = await Promise.all([
        skewedService(service.url, { version: OLDER, missing: ['/api/ingest/errors'], answers }),
        skewedService(service.url, { version: VERSION, answers }),
      ]);
      const uid = `r-behind-${answers}`;
      try {
        const colour = `dimension: "colour" is not one of ${DIMENSIONS.join(', ')}`;
        const dimension = await get(behind.url, uid, 'values/colour');
        expect(dimension.code).toBe(400);
        expect(dimension.body.error).toMatch(new RegExp(`^${said(answers, colour.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'unknown-value')} \\(${older}\\)$`));
        // The service's code goes on to the frontend as it came (none from 0.1.0).
        expect(dimension.body.code).toBe(answers === 'as 0.1.0' ? undefined : 'unknown-value');
        const unknown = await get(behind.url, uid, 'values/user?since=1d');
        expect(unknown.code).toBe(400);
        const since = "since: is not a field of this service's value lists \\(.*";
        expect(unknown.body.error).toMatch(new RegExp(`^${said(answers, since, 'unknown-field')} \\(${older}\\)$`));
        // At the same version, another build, as QueryData says of a field: a parameter's name is the plugin's own.
        const build = await get(between.url, `${uid}-between`, 'values/user?since=1d');
        expect(build.code).toBe(400);
        expect(build.body.error).toMatch(new RegExp(`^${said(answers, since, 'unknown-field')} \\(${builds}\\)$`));
        expect(await get(behind.url, uid, 'ingest/errors')).toEqual({
          code: 404,
          body: { error: `the Trailhound service at ${behind.url} has no GET /api/ingest/errors: ${older}`, code: 'unknown-endpoint' },
        });
        // A path the service has under another method only (its 405) reads as an endpoint it has not, as a 404 does.
        if (answers !== 'as 0.1.0') {
          const moved = await skewedService(service.url, { version: OLDER, movedMethod: ['/api/ingest/errors'], answers });
          try {
            expect(await get(moved.url, `${uid}-moved`, 'ingest/errors')).toEqual({
              code: 404,
              body: { error: `the Trailhound service at ${moved.url} has no GET /api/ingest/errors: ${older}`, code: 'unknown-endpoint' },
            });
          } finally {
            await moved.close();
          }
        }
        // The same refusal from a service of the plugin's version is the service's own words, and its code.
        expect(await get(service.url, 'r-same', 'values/colour')).toEqual({ code: 400, body: { error: colour, code: 'unknown-value' } });
      } finally {
        await Promise.all([behind.close(), between.close()]);
      }
    }
  );
});

test('CallResource: only an organization Admin may start a backfill; the service is never asked otherwise', async () => {
  const before = serviceCalls('/api/backfill');
  for (const pluginContext of [context({ role: 'Viewer' }), context({ role: 'Editor' }), { ...context(), user: null }]) {
    const [answer] = await resource({ pluginContext, path: 'backfill', method: 'POST', body: Buffer.from('{"days":3650}') });
    expect(answer.code).toBe(403);
    expect(JSON.parse(Buffer.from(answer.body).toString()).error)
      .toMatch(/only an organization Admin may start a backfill \(your role: (Viewer|Editor|None)\)/);
  }
  expect(serviceCalls('/api/backfill')).toBe(before);
  // Reading stays open to everyone who may query.
  const [status] = await resource({ pluginContext: context({ role: 'Viewer' }), path: 'ingest/status', method: 'GET' });
  expect(status.code).toBe(200);
});

test("CallResource: an ingestion answer that is not JSON cannot be shortened, so it reaches no Viewer; an Admin gets it as it came", async () => {
  // Another web app at the service URL, answering 200 with a page of its own.
  const other = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in: arn:aws:iam::111122223333:role/x</html>'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const [viewer] = await resource({ pluginContext: context({ url, uid: 'other-app' }), path: 'ingest/status', method: 'GET' });
    expect(viewer.code).toBe(502);
    expect(JSON.parse(Buffer.from(viewer.body).toString())).toEqual({
      error: `${url} answered ingest/status with something other than JSON: check the service URL in the data source settings`,
    });
    const [admin] = await resource({ pluginContext: context({ url, uid: 'other-app', role: 'Admin' }), path: 'ingest/status', method: 'GET' });
    expect([admin.code, Buffer.from(admin.body).toString()]).toEqual([200, '<html>sign in: arn:aws:iam::111122223333:role/x</html>']);
  } finally {
    other.closeAllConnections();
    await new Promise((resolve) => other.close(resolve));
  }
});

test("CallResource: the service's refusal of a token says whether none is set or it is wrong, and a proxy's sign-in page is no refusal of it", async () => {
  const error = async (pluginContext: ReturnType<typeof context>) => {
    const [answer] = await resource({ pluginContext, path: 'trails', method: 'GET' });
    // Never a 401 to the browser, which Grafana's frontend takes for its own session expiring.
    expect(answer.code).toBe(502);
    return JSON.parse(Buffer.from(answer.body).toString()).error as string;
  };
  // It said "rejected the data source's API token" for a token never set, where a query's error says to set one.
  expect(await error(context({ token: '', uid: 'no-token' }))).toBe(
    `the Trailhound service at ${service.url} needs an API token and none is set (HTTP 401): ` +
      'set the token from the service (TRAILHOUND_TOKEN, or the token file in its data folder) in the data source settings'
  );
  expect(await error(context({ token: 'nope', uid: 'wrong-token' }))).toMatch(/ rejected the API token \(HTTP 401\): set the token from the service /);
  // A proxy that asks for a sign-in of its own: another token would not help.
  const proxy = http.createServer((_req, res) => res.writeHead(401, { 'content-type': 'text/html' }).end('<html>Please sign in</html>'));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const signIn = `${url}/api/trails answered HTTP 401 "<html>Please sign in</html>", not as the Trailhound service does: a proxy in front of it ` +
      '(or another app at that URL) asks for a sign-in of its own: point the URL in the data source settings at the service itself, or at a proxy ' +
      'that passes the Authorization header on';
    expect(await error(context({ url, uid: 'sign-in' }))).toBe(signIn);
    // A query's error says the same.
    const pluginContext = context({ url, uid: 'sign-in' });
    const queried = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', { pluginContext, queries: [query('A', {})] });
    expect(queried.responses.A.error).toBe(signIn.replace('/api/trails', '/api/query'));
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

test('CallResource proxies values, trails, ingest status, event records and backfill; anything else is 404', async () => {
  const [values] = await resource({
    pluginContext: context(), path: 'values/service', method: 'GET', url: 'values/service?from=2024-07-01T00:00:00Z&to=2025-01-01T00:00:00Z',
  });
  expect(values.code).toBe(200);
  expect(values.headers['Content-Type'].values[0]).toMatch(/^application\/json/);
  expect(JSON.parse(Buffer.from(values.body).toString()).values.slice(0, 2)).toEqual([{ value: 'ssm', count: 138 }, { value: 'ec2', count: 87 }]);

  const [trails] = await resource({ pluginContext: context(), path: 'trails', method: 'GET' });
  expect(trails.code).toBe(200);
  expect(JSON.parse(Buffer.from(trails.body).toString())).toHaveProperty('trails');

  const [status] = await resource({ pluginContext: context(), path: '/ingest/status', method: 'GET' });
  expect(JSON.parse(Buffer.from(status.body).toString())).toMatchObject({ events: 310 });

  // This test service has no ingestion, so the service's own 501 comes back as it is; a bad body is its 400.
  const admin = context({ role: 'Admin' });
  const [backfill] = await resource({
    pluginContext: admin, path: 'backfill', method: 'POST', body: Buffer.from('{"days":30}'), headers: { 'Content-Type': { values: ['application/json'] } },
  });
  expect(backfill.code).toBe(501);
  // With their codes, which the frontend gets as the service gave them.
  expect(JSON.parse(Buffer.from(backfill.body).toString())).toMatchObject({ code: 'no-backfill' });
  const [badBackfill] = await resource({ pluginContext: admin, path: 'backfill', method: 'POST', body: Buffer.from('{"days":"many"}') });
  expect([badBackfill.code, JSON.parse(Buffer.from(badBackfill.body).toString())]).toEqual([400, { error: expect.any(String), code: 'invalid-request' }]);

  // An event's original record, for the Events table's link; an unknown id is the service's 404.
  const original = service.records[0];
  const [event] = await resource({ pluginContext: context(), path: `events/${original.eventID}`, method: 'GET' });
  expect(event.code).toBe(200);
  expect(JSON.parse(Buffer.from(event.body).toString())).toEqual({ eventId: original.eventID, record: original });
  // The link opened in a browser may carry Grafana's orgId (its organization switch): Grafana's, not passed on. Any
  // other parameter is the service's to refuse (it takes none), not ignored.
  const at = `events/${original.eventID}`;
  const eventWith = (query: string) => resource({ pluginContext: context(), path: at, method: 'GET', url: `${at}?${query}` });
  const [inOrg] = await eventWith('orgId=1');
  expect([inOrg.code, JSON.parse(Buffer.from(inOrg.body).toString())]).toEqual([200, { eventId: original.eventID, record: original }]);
  const [pretty] = await eventWith('orgId=1&pretty=1');
  const unknownField = expect.objectContaining({ error: expect.stringMatching(/^pretty: /), code: 'unknown-field' });
  expect([pretty.code, JSON.parse(Buffer.from(pretty.body).toString())]).toEqual([400, unknownField]);
  const [noEvent] = await resource({ pluginContext: context(), path: 'events/no-such-event', method: 'GET' });
  expect(noEvent.code).toBe(404);
  const [eventTraversal] = await resource({ pluginContext: context(), path: 'events/../../metrics', method: 'GET' });
  expect(JSON.parse(Buffer.from(eventTraversal.body).toString()).error).toMatch(/^no resource/);
  // A dot segment alone is no id either: fetch would resolve it to another path of the service.
  for (const dots of ['events/..', 'events/.', 'events/../']) {
    const [answer] = await resource({ pluginContext: context(), path: dots, method: 'GET' });
    expect([dots, answer.code, JSON.parse(Buffer.from(answer.body).toString()).error]).toEqual([dots, 404, expect.stringMatching(/^no resource/)]);
  }
  const [dotted] = await resource({ pluginContext: context(), path: 'events/...', method: 'GET' });
  expect(JSON.parse(Buffer.from(dotted.body).toString())).toEqual({ error: 'no stored event has eventID "..."', code: 'not-found' });

  const [unknown] = await resource({ pluginContext: context(), path: 'query', method: 'POST' });
  expect(unknown.code).toBe(404);
  const [traversal] = await resource({ pluginContext: context(), path: 'values/../../metrics', method: 'GET' });
  expect(traversal.code).toBe(404);
  const [wrongMethod] = await resource({ pluginContext: context(), path: 'trails', method: 'DELETE' });
  expect(wrongMethod.code).toBe(405);
  expect(wrongMethod.headers.Allow.values).toEqual(['GET']);

  // A rejected token is never a 401 to the browser (Grafana would think the user's session ended).
  const [token] = await resource({ pluginContext: context({ token: 'wrong' }), path: 'trails', method: 'GET' });
  expect(token.code).toBe(502);
  expect(JSON.parse(Buffer.from(token.body).toString()).error).toContain('rejected the API token');
  const url = await refusedUrl();
  const [refused] = await resource({ pluginContext: context({ url, uid: 'gone' }), path: 'trails', method: 'GET' });
  expect(refused.code).toBe(502);
  expect(JSON.parse(Buffer.from(refused.body).toString()).error).toContain(url);
});

test('QueryData: the unreadable files, an Arrow table of time, source, key, reason and retry time; the ingest/errors resource lists them too', async () => {
  // Real broken files, read by the service's own ingestion into its database (and removed from it afterwards).
  const day = dayPrefix('111122223333', 'us-east-1', new Date().toISOString().slice(0, 10));
  const logs = writeFiles(tempDir('trailhound-unreadable-'), {
    [`${day}a-not-gzip.json.gz`]: 'this is not gzip',
    [`${day}b-no-records.json.gz`]: zlib.gzipSync('{"something": "else"}'),
  });
  expect((await ingest({ source: logs, db: service.db, days: 1 })).errors).toBe(2);
  // One waits to be tried again, as the loader marks a file that ran out of memory (tests/ingest/big-files.test.ts
  // makes one for real: too slow to repeat here).
  const retryAt = Date.UTC(2030, 0, 1, 12, 5);
  await service.db.run(`UPDATE ingest_errors SET retry_at = epoch_ms($at::BIGINT) WHERE source = $source AND key LIKE '%b-no-records.json.gz'`, {
    at: retryAt,
    source: logs,
  });
  try {
    const res = await unary<QueryDataResponse>('pluginv2.Data', 'QueryData', {
      pluginContext: context(),
      queries: [
        query('A', { queryType: 'ingest', ingestView: 'errors' }),
        query('B', { queryType: 'ingest', ingestView: 'errors', limit: 1 }),
        query('C', { queryType: 'ingest' }),
      ],
    });
    const a = tableFromIPC(res.responses.A.frames[0]);
    expect(a.schema.metadata.get('name')).toBe('unreadable files');
    const meta = JSON.parse(a.schema.metadata.get('meta')!);
    expect(meta).toEqual({ preferredVisualisationType: 'table', custom: { reasonKinds: expect.any(Array) }, executedQueryString: expect.any(String) });
    const columns = [['time', Type.Timestamp], ['source', Type.Utf8], ['key', Type.Utf8], ['reason', Type.Utf8], ['retry after', Type.Timestamp]];
    // As a Viewer reads it (context()'s role): the retry time is a column the backend lets through.
    expect(a.schema.fields.map((f) => [f.name, f.type.typeId])).toEqual(columns);
    expect((a.schema.fields[0].type as { unit: TimeUnit }).unit).toBe(TimeUnit.NANOSECOND);
    expect(a.numRows).toBe(2);
    const rows = [...a].map((r) => r.toJSON());
    // Each row's kind, in the rows' order.
    expect(rows.map((r, i) => [path.basename(r.key as string), meta.custom.reasonKinds[i]]).sort()).toEqual([
      ['a-not-gzip.json.gz', 'bad-gzip'], ['b-no-records.json.gz', 'no-records'],
    ]);
    expect(rows.map((r) => [path.basename(r.key as string), r['retry after'] ?? null]).sort()).toEqual([
      ['a-not-gzip.json.gz', null], ['b-no-records.json.gz', retryAt],
    ]);
    for (const r of rows) {
      expect(r.source).toBe(logs);
      expect(Date.now() - (r.time as number)).toBeLessThan(60_000);
      expect(String(r.reason).length).toBeGreaterThan(10);
    }
    // Cut by the limit: Grafana's notice says how many there are.
    const b = tableFromIPC(res.responses.B.frames[0]);
    expect(b.numRows).toBe(1);
    const notice = { severity: 'info', text: 'the newest 1 of 2 unreadable files: raise the limit to list more' };
    expect(JSON.parse(b.schema.metadata.get('meta')!).notices).toEqual([notice]);
    // The status still counts them.
    expect(tableFromIPC(res.responses.C.frames[0]).getChild('errors')!.get(0)).toBe(2);

    const [listed] = await resource({ pluginContext: context(), path: 'ingest/errors', method: 'GET', url: 'ingest/errors?limit=1' });
    expect(listed.code).toBe(200);
    const body = JSON.parse(Buffer.from(listed.body).toString());
    expect(body).toEqual({ total: 2, errors: [expect.objectContaining({ source: logs, key: expect.stringMatching(/json\.gz$/) })] });
    const [tooMany] = await resource({ pluginContext: context(), path: 'ingest/errors', method: 'GET', url: 'ingest/errors?limit=10001' });
    const limit = { error: 'limit: must be a whole number from 1 to 10000', code: 'invalid-request' };
    expect([tooMany.code, JSON.parse(Buffer.from(tooMany.body).toString())]).toEqual([400, limit]);
  } finally {
    await service.db.run(`DELETE FROM ingest_errors WHERE source = $source`, { source: logs });
    await service.db.run(`DELETE FROM ingest_runs WHERE source = $source`, { source: logs });
    fs.rmSync(logs, { recursive: true, force: true });
  }
});

test("CallResource passes the value lists' filters and exclusions on to the service, as the frontend encodes them", async () => {
  const total = async (params: Record<string, string>) => {
    const query = new URLSearchParams({ from: '2024-07-01T00:00:00Z', to: '2025-01-01T00:00:00Z', limit: '10000', ...params });
    const [answer] = await resource({ pluginContext: context(), path: 'values/region', method: 'GET', url: `values/region?${query}` });
    const body = JSON.parse(Buffer.from(answer.body).toString());
    return answer.code === 200 ? body.values.reduce((n: number, v: { count: number }) => n + v.count, 0) : body;
  };
  // The regions of the ssm calls (138 of them), and of every call but those.
  const all = await total({});
  expect(await total({ filters: JSON.stringify({ service: ['ssm'] }) })).toBe(138);
  expect(await total({ exclude: JSON.stringify({ service: ['ssm'] }) })).toBe(all - 138);
  expect(await total({ filters: '{"user":' })).toEqual({ error: expect.stringMatching(/^filters: is not JSON/), code: 'invalid-request' });
});

test('CallResource posts a value list whose filters no URL could hold to the service, and passes its refusal of a body too big back', async () => {
  const list = async (body: string) => {
    const [answer] = await resource({
      pluginContext: context(), path: 'values/region', method: 'POST', body: Buffer.from(body), headers: { 'Content-Type': { values: ['application/json'] } },
    });
    return { code: answer.code, body: JSON.parse(Buffer.from(answer.body).toString()) };
  };
  const total = (answer: { body: { values: Array<{ count: number }> } }) => answer.body.values.reduce((n, v) => n + v.count, 0);
  // Hundreds of ARNs beside the one service that matches: over 20 KB, which as a GET's query string is past 16 KB of headers.
  const arns = Array.from({ length: 300 }, (_, i) => `arn:aws:iam::123456789012:role/service-role/some-long-role-name-${i}`);
  const fields = { from: '2024-07-01T00:00:00Z', to: '2025-01-01T00:00:00Z', limit: 10_000, filters: { service: ['ssm', ...arns] }, exclude: { user: arns } };
  expect(JSON.stringify(fields).length).toBeGreaterThan(20 * 1024);
  const posted = await list(JSON.stringify(fields));
  expect(posted.code).toBe(200);
  expect(total(posted)).toBe(138);
  // Past the service's body limit (4 MB): its 413 says what to narrow, as the frontend shows it.
  const huge = await list(JSON.stringify({ ...fields, filters: { service: Array.from({ length: 9000 }, (_, i) => `${'x'.repeat(500)}${i}`) } }));
  expect(huge).toEqual({
    code: 413,
    body: { error: 'the body is over 4 MB, the most this service reads: narrow the filters and exclusions (fewer or shorter values)', code: 'too-large' },
  });
});

test("CallResource passes the value lists' time field on to the service, and the service's 400 for an unknown one back", async () => {
  const values = async (window: { from: string; to: string }, timeField?: string) => {
    const url = `values/service?from=${window.from}&to=${window.to}${timeField === undefined ? '' : `&timeField=${timeField}`}`;
    const [answer] = await resource({ pluginContext: context(), path: 'values/service', method: 'GET', url });
    return { code: answer.code, body: JSON.parse(Buffer.from(answer.body).toString()) };
  };
  // The newest event, stored two hours after it was made (these records are a first load: stored when they happened).
  const newest = service.records.reduce((a, b) => (Date.parse(b.eventTime) > Date.parse(a.eventTime) ? b : a));
  const made = Date.parse(newest.eventTime);
  const stored = { from: new Date(made + HOUR).toISOString(), to: new Date(made + 3 * HOUR).toISOString() };
  const late = `UPDATE events SET arrived_at = arrived_at + to_hours($hours::BIGINT) WHERE event_id = $id`;
  await service.db.run(late, { hours: 2, id: newest.eventID });
  try {
    const listed = [{ value: newest.eventSource.replace('.amazonaws.com', ''), count: 1 }];
    expect(await values(stored, 'arrival')).toEqual({ code: 200, body: { values: listed } });
    expect(await values(stored, 'event')).toEqual({ code: 200, body: { values: [] } });
    expect(await values(stored)).toEqual({ code: 200, body: { values: [] } });
  } finally {
    await service.db.run(late, { hours: -2, id: newest.eventID });
  }
  expect(await values({ from: '2024-07-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'received')).toEqual({
    code: 400,
    body: { error: 'timeField: "received" is not one of event, arrival', code: 'unknown-value' },
  });
});

test('metrics label service calls by endpoint, never by the event id or dimension a user asked for', async () => {
  const before = serviceCalls('/api/events');
  const ids = [service.records[0].eventID, 'no-such-event', crypto.randomUUID()];
  for (const id of ids) await resource({ pluginContext: context(), path: `events/${id}`, method: 'GET' });
  await resource({ pluginContext: context(), path: 'values/region', method: 'GET' });
  expect(serviceCalls('/api/events') - before).toBe(3);
  const res = await unary<{ metrics: { prometheus: Buffer } }>('pluginv2.Diagnostics', 'CollectMetrics', { pluginContext: context() });
  const counted = Buffer.from(res.metrics.prometheus).toString().matchAll(/^trailhound_plugin_service_requests_total\{path="([^"]*)"/gm);
  const paths = new Set([...counted].map((m) => m[1]));
  const endpoints = ['/api/health', '/api/query', '/api/values', '/api/events', '/api/trails', '/api/ingest/status', '/api/ingest/errors', '/api/backfill'];
  expect([...paths].filter((p) => !endpoints.includes(p))).toEqual([]);
  expect(paths).toContain('/api/events');
});

test('CollectMetrics returns the plugin metrics in Prometheus text format; health answers for "plugin"', async () => {
  const res = await unary<{ metrics: { prometheus: Buffer } }>('pluginv2.Diagnostics', 'CollectMetrics', { pluginContext: context() });
  const text = Buffer.from(res.metrics.prometheus).toString();
  expect(text).toContain('# TYPE trailhound_plugin_requests_total counter');
  expect(text).toMatch(/trailhound_plugin_service_requests_total\{path="\/api\/query",status="200"\} \d+/);
  expect(await unary('grpc.health.v1.Health', 'Check', { service: 'plugin' })).toEqual({ status: 'SERVING' });
  await expect(unary('grpc.health.v1.Health', 'Check', { service: 'other' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
});
