// Conformance: HashiCorp go-plugin's own client (tests/backend/harness/main.go, built against Debian's Go
// packages) starts the built executable exactly as Grafana does and calls every service over gRPC, with
// messages encoded from the public protocol's field numbers. The plugin talks to a real Trailhound service.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tableFromIPC, Type, TimeUnit, type Table } from 'apache-arrow';
import { VERSION } from '../../src/service/version';
import { ensureBackendBuilt } from './support/build';
import { buildHarness, GO_INSTALL_HINT, goAvailable, HarnessSession, type HarnessSettings } from './support/harness';
import { refusedUrl } from '../support/net';
import { DENIED, skewedService, startDeniedService, startStratusService, type TestService } from './support/service';
import { stratusRecords } from '../support/stratus';

const haveGo = goAvailable();
if (!haveGo) {
  // Only a missing Go toolchain skips this file; CI installs it, so there it always runs.
  console.warn(`go-plugin conformance test SKIPPED: \`go\` is not installed. Install Go and the packages with:\n  ${GO_INSTALL_HINT}`);
}
const describeWithGo = haveGo ? describe : describe.skip;

const FROM = Date.UTC(2024, 6, 1);
const TO = Date.UTC(2025, 0, 1);

describeWithGo('go-plugin host', () => {
  let service: TestService;
  let session: HarnessSession;
  let settings: HarnessSettings;

  beforeAll(async () => {
    const [executable, harness, started] = await Promise.all([ensureBackendBuilt(), Promise.resolve().then(buildHarness), startStratusService()]);
    service = started;
    settings = { uid: 'th', id: 1, url: service.url, token: service.token, lastUpdatedMS: 1 };
    session = await HarnessSession.start(harness, executable, { TRAILHOUND_PLUGIN_LOG_LEVEL: 'debug' });
  }, 120_000);

  afterAll(async () => {
    session?.kill();
    await service?.close();
  });

  const frames = (response: { frames: string[] }): Table[] => response.frames.map((f) => tableFromIPC(Buffer.from(f, 'base64')));

  test('handshake: protocol 2 over gRPC, health "plugin" SERVING, an idle stdio stream', async () => {
    expect(session.ready).toMatchObject({ ok: true, result: { protocolVersion: 2, protocol: 'grpc', ping: true } });
    expect(await session.send({ cmd: 'health', service: 'plugin' })).toEqual({ ok: true, result: { status: 'SERVING' } });
    expect(await session.send({ cmd: 'health', service: 'nope' })).toMatchObject({ ok: false, code: 'NotFound' });
    expect(await session.send({ cmd: 'stdio' })).toEqual({ ok: true, result: { open: true } });
  });

  test("the plugin's hclog lines are parsed by go-plugin (level, message, key/values, timestamp)", () => {
    const started = session.pluginLogs().find((l) => l['@message'] === 'plugin started');
    // Had go-plugin failed to parse the line (a bad @timestamp, say), it would log the raw line as the message.
    expect(started).toMatchObject({
      '@level': 'debug', '@module': expect.stringMatching(/^host\.gpx_trailhound/), address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(started!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('CheckHealth: OK against the service; ERROR for a wrong token and a refused connection', async () => {
    const ok = await session.send({ cmd: 'check-health', settings });
    expect(ok.result).toMatchObject({ status: 'OK', message: `Connected to Trailhound ${VERSION}: 310 events, newest 2024-11-30T08:43:18Z` });
    const token = await session.send({ cmd: 'check-health', settings: { ...settings, token: 'wrong', lastUpdatedMS: 2 } });
    expect(token.result.status).toBe('ERROR');
    expect(token.result.message).toContain('rejected the API token');
    const url = await refusedUrl();
    const refused = await session.send({ cmd: 'check-health', settings: { ...settings, uid: 'gone', url } });
    expect(refused.result).toMatchObject({
      status: 'ERROR',
      message: `cannot reach the Trailhound service at ${url}: connection refused: ` +
        'is `trailhound serve` running there, and is the URL in the data source settings right?',
    });
  });

  test('QueryData: Arrow frames with the types and metadata Grafana reads, and per-query errors', async () => {
    const q = (refId: string, model: Record<string, unknown>) =>
      ({ refId, json: JSON.stringify({ refId, ...model }), from: FROM, to: TO, intervalMs: 60_000, maxDataPoints: 500 });
    const reply = await session.send({
      cmd: 'query',
      settings,
      queries: [
        q('series', { groupBy: 'region', aggregate: 'day', filters: { service: ['ec2'] } }),
        q('list', { format: 'list', limit: 20 }),
        q('totals', { queryType: 'totals' }),
        q('trails', { queryType: 'trails' }),
        q('ingest', { queryType: 'ingest' }),
        q('unreadable', { queryType: 'ingest', ingestView: 'errors' }),
        q('bad', { groupBy: 'colour' }),
      ],
    });
    expect(reply.ok).toBe(true);
    const r = reply.result.responses;

    // Timeseries: one frame per region with a label, time as Timestamp(ns) and counts as Float64.
    const ec2 = service.records.filter((x) => x.eventSource === 'ec2.amazonaws.com');
    const regions = new Map<string, number>();
    for (const x of ec2) regions.set(x.awsRegion, (regions.get(x.awsRegion) ?? 0) + 1);
    const series = frames(r.series);
    expect(r.series).toMatchObject({ status: 200, error: '' });
    expect(series).toHaveLength(Math.min(regions.size, 20));
    for (const [i, t] of series.entries()) {
      // Only the first frame says what was asked: one place for Grafana's query inspector, not one per series.
      expect(Object.fromEntries(t.schema.metadata)).toEqual({ name: expect.any(String), refId: 'series', ...(i === 0 && { meta: expect.any(String) }) });
      const [time, events] = t.schema.fields;
      expect([time.name, time.type.typeId, (time.type as any).unit, (time.type as any).timezone]).toEqual(['time', Type.Timestamp, TimeUnit.NANOSECOND, null]);
      expect([events.name, String(events.type)]).toEqual(['events', 'Float64']);
      const labels = JSON.parse(events.metadata.get('labels')!);
      expect(JSON.parse(events.metadata.get('config')!)).toEqual({ displayNameFromDS: labels.region });
      expect(t.schema.metadata.get('name')).toBe(labels.region);
      const total = [...t.getChild('events')!].reduce((n: number, v) => n + (v as number), 0);
      expect(total).toBe(regions.get(labels.region));
      // Daily buckets across the range, on day boundaries.
      const times = [...t.getChild('time')!] as number[];
      expect(times.length).toBe(Math.ceil((TO - FROM) / 86_400_000));
      expect(times.every((ms) => ms % 86_400_000 === 0)).toBe(true);
    }

    // What each query asked of the service, its part of the batch (its own key, never the token), as the query inspector shows it.
    const asked = (t: Table) => {
      const text: string = JSON.parse(t.schema.metadata.get('meta')!).executedQueryString;
      expect(text).not.toContain(service.token);
      const [method, path, ...body] = text.split(' ');
      return { method, path, body: JSON.parse(body.join(' ')) };
    };
    const batch = { range: { from: FROM, to: TO }, intervalMs: 60_000, maxDataPoints: 500 };
    expect(asked(series[0])).toEqual({
      method: 'POST', path: '/api/query', body: { ...batch, queries: [{ groupBy: 'region', aggregate: 'day', filters: { service: ['ec2'] }, refId: 'q0' }] },
    });

    // Event list: strings, times, booleans, nulls.
    const [list] = frames(r.list);
    expect(JSON.parse(list.schema.metadata.get('meta')!)).toEqual({ preferredVisualisationType: 'table', executedQueryString: expect.any(String) });
    expect(asked(list).body).toEqual({ ...batch, queries: [{ format: 'list', limit: 20, refId: 'q1' }] });
    expect(list.numRows).toBe(20);
    const types = Object.fromEntries(list.schema.fields.map((f) => [f.name, f.type.typeId]));
    expect(types).toMatchObject({
      time: Type.Timestamp, user: Type.Utf8, 'event name': Type.Utf8, 'error code': Type.Utf8, 'read only': Type.Bool, 'event id': Type.Utf8,
    });
    const byId = new Map(service.records.map((x) => [x.eventID, x]));
    for (let i = 0; i < list.numRows; i++) {
      const row = list.get(i)!.toJSON();
      const original = byId.get(row['event id'] as string)!;
      expect(row.time).toBe(Date.parse(original.eventTime));
      expect(row['event name']).toBe(original.eventName);
      expect(row['error code']).toBe(original.errorCode ?? null);
    }
    // Newest first.
    const times = [...list.getChild('time')!] as number[];
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const [totals] = frames(r.totals);
    expect(totals.getChild('events')!.get(0)).toBe(310);
    expect(totals.getChild('services')!.get(0)).toBe(14);

    // No trails synced in this database: a frame with every column and no rows.
    const [trails] = frames(r.trails);
    expect(trails.numRows).toBe(0);
    expect(trails.schema.fields.find((f) => f.name === 'is logging')!.type.typeId).toBe(Type.Bool);
    expect(trails.schema.fields.find((f) => f.name === 'last delivery')!.type.typeId).toBe(Type.Timestamp);

    // Ingestion: the last poll went well, so its error is a null string.
    const [ingest] = frames(r.ingest);
    expect(ingest.getChild('events')!.get(0)).toBe(310);
    expect(ingest.getChild('newest event')!.get(0)).toBe(Date.parse('2024-11-30T08:43:18Z'));
    expect(ingest.getChild('last poll error')!.get(0)).toBeNull();
    expect(ingest.schema.fields.find((f) => f.name === 'last poll error'))
      .toMatchObject({ nullable: true, type: expect.objectContaining({ typeId: Type.Utf8 }) });
    expect(JSON.parse(ingest.schema.fields.find((f) => f.name === 'lag')!.metadata.get('config')!)).toEqual({ unit: 's' });
    expect(ingest.getChild('oldest event')!.get(0)).toBe(Math.min(...stratusRecords().map(({ record }) => Date.parse(record.eventTime))));
    // Never pruned: no retention, a null number in days.
    expect(ingest.getChild('retention')!.get(0)).toBeNull();
    expect(JSON.parse(ingest.schema.fields.find((f) => f.name === 'retention')!.metadata.get('config')!)).toEqual({ unit: 'suffix:days' });

    // The unreadable files: none in this database, so a table with its typed columns and no rows.
    const [unreadable] = frames(r.unreadable);
    expect(unreadable.numRows).toBe(0);
    const columns = [['time', Type.Timestamp], ['source', Type.Utf8], ['key', Type.Utf8], ['reason', Type.Utf8], ['retry after', Type.Timestamp]];
    expect(unreadable.schema.fields.map((f) => [f.name, f.type.typeId])).toEqual(columns);

    expect(r.bad).toEqual({ frames: [], status: 400, errorSource: 'downstream', error: expect.stringContaining('groupBy: "colour" is not one of') });
  });

  test('QueryData: a refused connection is an error for each query that names the URL', async () => {
    const url = await refusedUrl();
    const reply = await session.send({ cmd: 'query', settings: { ...settings, uid: 'gone', url }, queries: [{ refId: 'A', json: '{}', from: FROM, to: TO }] });
    expect(reply.result.responses.A).toMatchObject({ status: 502, errorSource: 'downstream', frames: [] });
    expect(reply.result.responses.A.error).toContain(url);
  });

  // Its answer to Grafana names the URL; the warning in Grafana's log says why too, as Node's fetch told it in its causes.
  test("QueryData's failure is logged with the chain of causes beneath it: the address that refused, as go-plugin re-logs it", async () => {
    const url = await refusedUrl();
    await session.send({ cmd: 'query', settings: { ...settings, uid: 'refused-log', url }, queries: [{ refId: 'A', json: '{}', from: FROM, to: TO }] });
    const failed = await session.pluginLog((l) => l['@message'] === 'query failed' && l.url === url);
    expect(failed).toMatchObject({ '@level': 'warn', queries: 1 });
    expect(failed!.error).toMatch(/^cannot reach the Trailhound service at \S+: connection refused: .*: fetch failed: connect ECONNREFUSED \S+$/);
    expect(failed!.error.startsWith(`cannot reach the Trailhound service at ${url}: `)).toBe(true);
    expect(failed!.error.endsWith(`: connect ECONNREFUSED ${new URL(url).host}`)).toBe(true);
  });

  // go-plugin reads the plugin's stderr 64 KiB at a time: a longer line reached Grafana's log as pieces of raw text at
  // debug level, which Grafana's default level (info) leaves out, so the warning was lost.
  test('a warning longer than go-plugin reads whole reaches it as one line, at its level, its long values cut', async () => {
    const url = `${await refusedUrl()}/${'a'.repeat(70_000)}`;
    await session.send({ cmd: 'query', settings: { ...settings, uid: 'long-log', url }, queries: [{ refId: 'A', json: '{}', from: FROM, to: TO }] });
    const failed = await session.pluginLog((l) => l['@message'] === 'query failed' && String(l.url).startsWith(url.slice(0, 100)));
    expect(failed).toMatchObject({ '@level': 'warn', queries: 1, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/a+… \(\d+ more characters\)$/) });
    expect(failed!.error).toMatch(/^cannot reach the Trailhound service at http:\/\/127\.0\.0\.1:\d+\/a+… \(\d+ more characters\)$/);
  });

  test('QueryData: a URL answering without end is a 502 past the answer cap (256 MB), and the plugin lives on', async () => {
    // One line that never ends, as fast as the plugin reads it.
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
    try {
      const reply = await session.send({
        cmd: 'query', settings: { ...settings, uid: 'endless', url }, queries: [{ refId: 'A', json: '{}', from: FROM, to: TO }],
      });
      expect(reply.result.responses.A).toMatchObject({ status: 502, frames: [] });
      expect(reply.result.responses.A.error).toBe(
        `${url}/api/query answered a line of more than 256 MB, more than a Trailhound service ever does: check the URL in the data source settings`
      );
      // The same process answers the next call.
      expect((await session.send({ cmd: 'check-health', settings })).result).toMatchObject({ status: 'OK' });
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  }, 60_000);

  test('QueryData: Go reads one response per refId, for a refId longer than the service takes and for "__proto__"', async () => {
    const long = 'Failed logins by user, excluding service principals and break-glass accounts (see runbook SEC-142) v2';
    const refIds = ['A', long, '__proto__'];
    const queries = refIds.map((refId) => ({ refId, json: '{"format":"table","groupBy":"user"}', from: FROM, to: TO }));
    const reply = await session.send({ cmd: 'query', settings, queries });
    expect(Object.keys(reply.result.responses).sort()).toEqual([...refIds].sort());
    for (const refId of refIds) {
      const response = Object.getOwnPropertyDescriptor(reply.result.responses, refId)!.value;
      expect(response).toMatchObject({ status: 200, error: '' });
      expect(frames(response)[0].schema.metadata.get('refId')).toBe(refId);
    }
  });

  test("a token that cannot be a header is refused as a setting: it reaches neither Grafana's answers nor its log", async () => {
    const secret = { ...settings, uid: 'secret', token: 'TOPSECRET-1\nTOPSECRET-2' };
    const query = await session.send({ cmd: 'query', settings: secret, queries: [{ refId: 'A', json: '{}', from: FROM, to: TO }] });
    expect(query.result.responses.A).toMatchObject({
      status: 400, errorSource: 'downstream', error: expect.stringMatching(/^data source settings: the API token contains/),
    });
    const health = await session.send({ cmd: 'check-health', settings: secret });
    expect(health.result).toMatchObject({ status: 'ERROR', message: query.result.responses.A.error });
    const resource = await session.send({ cmd: 'resource', settings: secret, path: 'values/user' });
    expect(resource.result.code).toBe(400);
    expect(JSON.stringify([query, health, resource])).not.toContain('TOPSECRET');
    expect(session.stderr.join('\n')).not.toContain('TOPSECRET');
  });

  test('a service at another version: Save & test names both versions and which to upgrade, as does a query it refuses as unknown', async () => {
    const older = await skewedService(service.url, { version: '0.0.9', extra: { countBy: 'account' } });
    try {
      const at = { ...settings, uid: 'older', url: older.url };
      const health = await session.send({ cmd: 'check-health', settings: at });
      expect(health.result).toMatchObject({
        status: 'OK',
        message: `Connected to Trailhound 0.0.9 (this plugin is ${VERSION}: upgrade the service to ${VERSION}): 310 events, newest 2024-11-30T08:43:18Z`,
      });
      const q = { refId: 'A', json: JSON.stringify({ refId: 'A' }), from: FROM, to: TO, intervalMs: 60_000, maxDataPoints: 500 };
      const reply = await session.send({ cmd: 'query', settings: at, queries: [q] });
      expect(reply.result.responses.A).toMatchObject({ status: 400, error: expect.stringMatching(/^countBy: is not a field of this service's query model/) });
      expect(reply.result.responses.A.error)
        .toMatch(new RegExp(`\\(the service is Trailhound 0\\.0\\.9, this plugin ${VERSION}: upgrade the service to ${VERSION}\\)$`));
    } finally {
      await older.close();
    }
  });

  test('CallResource: values, trails, ingest status and backfill reach the service; others are 404', async () => {
    const values = await session.send({
      cmd: 'resource', settings, path: 'values/region', url: 'values/region?from=2024-07-01T00:00:00Z&to=2025-01-01T00:00:00Z&q=eu',
    });
    expect(values.result).toMatchObject({ code: 200, messages: 1 });
    expect(values.result.headers['Content-Type'][0]).toMatch(/^application\/json/);
    const listed = JSON.parse(values.result.body).values.map((v: { value: string }) => v.value).sort();
    expect(listed).toEqual([...new Set(service.records.map((x) => x.awsRegion as string).filter((x) => x.includes('eu')))].sort());
    // The query string reaches the service as it is: its time field too, and the service's 400 comes back.
    const byArrival = await session.send({
      cmd: 'resource', settings, path: 'values/region', url: 'values/region?from=2024-07-01T00:00:00Z&to=2025-01-01T00:00:00Z&q=eu&timeField=arrival',
    });
    expect(byArrival.result).toMatchObject({ code: 200, body: values.result.body }); // a first load: stored when they happened
    const unknown = await session.send({ cmd: 'resource', settings, path: 'values/region', url: 'values/region?timeField=received' });
    expect(unknown.result.code).toBe(400);
    expect(JSON.parse(unknown.result.body)).toEqual({ error: 'timeField: "received" is not one of event, arrival', code: 'unknown-value' });

    expect((await session.send({ cmd: 'resource', settings, path: 'trails' })).result.code).toBe(200);
    const status = await session.send({ cmd: 'resource', settings, path: 'ingest/status' });
    expect(JSON.parse(status.result.body)).toMatchObject({ events: 310, newestEvent: '2024-11-30T08:43:18.000Z' });
    const backfill = await session.send({
      cmd: 'resource', settings, role: 'Admin', path: 'backfill', method: 'POST', body: '{"days":7}', headers: { 'Content-Type': 'application/json' },
    });
    expect(backfill.result.code).toBe(501); // this test service runs without ingestion
    expect(JSON.parse(backfill.result.body).error).toMatch(/backfill needs the ingesting service/);
    // Grafana lets Viewers call a data source's resources: the plugin checks the role it is sent.
    const viewer = await session.send({ cmd: 'resource', settings, role: 'Viewer', path: 'backfill', method: 'POST', body: '{"days":3650}' });
    expect(viewer.result.code).toBe(403);
    expect(JSON.parse(viewer.result.body).error).toMatch(/only an organization Admin may start a backfill \(your role: Viewer\)/);
    expect((await session.send({ cmd: 'resource', settings, path: 'admin' })).result.code).toBe(404);
  });

  /** The answers that carry the service's messages, as a user of `role` gets them through the plugin from `url`. */
  const askIngest = async (url: string, token: string, role: string | undefined) => {
    const where = { ...settings, uid: `ingest-${url}`, url, token };
    const as = role ? { role } : {};
    const [status, errors, health, query] = await Promise.all([
      session.send({ cmd: 'resource', settings: where, ...as, path: 'ingest/status' }),
      session.send({ cmd: 'resource', settings: where, ...as, path: 'ingest/errors', url: 'ingest/errors?limit=5' }),
      session.send({ cmd: 'check-health', settings: where, ...as }),
      session.send({
        cmd: 'query',
        settings: where,
        ...as,
        queries: ['status', 'errors'].map((view) => ({ refId: view, json: JSON.stringify({ queryType: 'ingest', ingestView: view }), from: FROM, to: TO })),
      }),
    ]);
    const [statusFrame] = frames(query.result.responses.status);
    const [errorsFrame] = frames(query.result.responses.errors);
    return {
      // The lag is counted at each answer: two asks a second apart differ in it, and in nothing else.
      all: JSON.stringify([status, errors, health, query.result.responses.status.error, query.result.responses.errors.error]).replace(
        /(\\*"lagSeconds\\*":)\d+/g,
        '$1…'
      ),
      lastPollError: JSON.parse(status.result.body).lastPollError as string,
      reason: JSON.parse(errors.result.body).errors[0].reason as string,
      health: health.result.message as string,
      details: JSON.parse(health.result.jsonDetails).ingest.lastPollError as string,
      frameError: statusFrame.getChild('last poll error')!.get(0) as string,
      frameReason: errorsFrame.getChild('reason')!.get(0) as string,
    };
  };
  const SHORT_DENIED = 'Access denied: an organization Editor or Admin sees the details here, and the trailhound service log has them';

  test("the service's messages about its S3 access: whole for an Editor or Admin; for a Viewer or no user, their kind", async () => {
    const denied = await startDeniedService();
    try {
      const ask = (role: string | undefined) => askIngest(denied.url, denied.token, role);
      const short = SHORT_DENIED;
      const admin = await ask('Admin');
      // What the service said, AWS's words included, as the Admin reads it.
      expect(admin.lastPollError).toMatch(
        new RegExp(`^Access to s3://${DENIED.bucket} was denied: .*AWS says: User: ${DENIED.role} is not authorized to perform: s3:ListBucket`)
      );
      expect(admin.reason).toMatch(
        new RegExp(`^download failed: Access to s3://${DENIED.bucket} was denied: .*${DENIED.role} is not authorized to perform: s3:GetObject`)
      );
      expect(admin.health).toContain(`the last poll failed: ${admin.lastPollError}`);
      expect([admin.details, admin.frameError, admin.frameReason]).toEqual([admin.lastPollError, admin.lastPollError, admin.reason]);
      expect(await ask('Editor')).toEqual(admin);

      for (const role of ['Viewer', 'None', undefined]) {
        const other = await ask(role);
        expect([other.lastPollError, other.details, other.frameError]).toEqual([short, short, short]);
        expect([other.reason, other.frameReason]).toEqual([`download failed: ${short}`, `download failed: ${short}`]);
        expect(other.health).toContain(`the last poll failed: ${short}`);
        // Nothing of the role, its account or the bucket in any answer but the unreadable file's source and key.
        const shown = other.all.replaceAll(`s3://${DENIED.bucket}/`, '').replaceAll(/AWSLogs\/111122223333\/[\w/.-]+/g, '');
        expect(shown).not.toMatch(/arn:|trailhound-reader|111122223333|audit-logs/);
      }
    } finally {
      await denied.close();
    }
  }, 60_000);

  test("a Viewer reads the kind the service names beside its messages, whatever their words; from a service older than the kinds, by the words", async () => {
    const denied = await startDeniedService();
    // Between the plugin and the service: every JSON answer, or each line of a query's answer by lines, passes through `change`.
    const proxy = async (change: (value: unknown) => unknown) => {
      const server = http.createServer((req, res) => {
        const body: Buffer[] = [];
        req.on('data', (c: Buffer) => body.push(c)).on('end', async () => {
          const answer = await fetch(new URL(req.url!, denied.url), {
            method: req.method,
            headers: req.headers as Record<string, string>,
            body: body.length ? Buffer.concat(body) : undefined,
          });
          const text = await answer.text();
          const type = answer.headers.get('content-type') ?? 'application/json';
          const byLines = type.startsWith('application/x-ndjson');
          const changed = (byLines ? text.split('\n').filter(Boolean) : [text]).map((line) => JSON.stringify(change(JSON.parse(line))));
          res.writeHead(answer.status, { 'content-type': type }).end(byLines ? `${changed.join('\n')}\n` : changed[0]);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
    };
    const walk = (value: unknown, fn: (key: string, v: unknown) => [string, unknown] | undefined): unknown => {
      if (Array.isArray(value)) return value.map((v) => walk(v, fn));
      if (typeof value === 'string') return fn('', value)?.[1] ?? value;
      if (!value || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => {
        const kept = fn(k, v);
        return kept ? [[kept[0], walk(kept[1], fn)]] : [];
      }));
    };
    // A service that words its messages otherwise: none of the words the plugin's fallback knows, kinds as they are.
    const reword = (text: string) => text.replace(/was denied/g, 'was refused').replace(/not authorized/g, 'not permitted').replace(/AccessDenied/g, 'Refusal');
    const reworded = await proxy((answer) => walk(answer, (k, v) => [k, typeof v === 'string' ? reword(v) : v]));
    // A service older than the kinds: its answers without them.
    const KIND_FIELDS = ['kind', 'lastPollErrorKinds', 'lastErrorKind', 'errorKinds', 'custom'];
    const older = await proxy((answer) => walk(answer, (k, v) => (KIND_FIELDS.includes(k) ? undefined : [k, v])));
    try {
      const admin = await askIngest(reworded.url, denied.token, 'Admin');
      expect(admin.lastPollError).toMatch(/^Access to s3:\/\/\S+ was refused: .* is not permitted to perform: s3:ListBucket/);
      for (const url of [reworded.url, older.url]) {
        const viewer = await askIngest(url, denied.token, 'Viewer');
        expect([viewer.lastPollError, viewer.details, viewer.frameError]).toEqual([SHORT_DENIED, SHORT_DENIED, SHORT_DENIED]);
        expect([viewer.reason, viewer.frameReason]).toEqual([`download failed: ${SHORT_DENIED}`, `download failed: ${SHORT_DENIED}`]);
        expect(viewer.all).not.toMatch(/arn:|trailhound-reader/);
      }
      // The kinds are what the service said: the older one's answers have none, the reworded one's have them.
      const direct = await fetch(`${denied.url}/api/ingest/status`, { headers: { authorization: `Bearer ${denied.token}` } }).then((r) => r.json());
      expect(direct).toMatchObject({ lastPollErrorKinds: ['access-denied'] });
      const list = await fetch(`${denied.url}/api/ingest/errors`, { headers: { authorization: `Bearer ${denied.token}` } }).then((r) => r.json());
      expect(list.errors[0]).toMatchObject({ kind: 'access-denied', reason: expect.stringMatching(/^download failed: /) });
    } finally {
      await Promise.all([reworded.close(), older.close()]);
      await denied.close();
    }
  }, 60_000);

  test('CollectMetrics: Prometheus text with process and plugin metrics', async () => {
    const reply = await session.send({ cmd: 'metrics' });
    expect(reply.result.prometheus).toContain('process_cpu_seconds_total');
    expect(reply.result.prometheus).toMatch(/trailhound_plugin_requests_total\{endpoint="queryData",status="ok"\} [1-9]/);
  });

  test('Kill: Shutdown over gRPC ends the process promptly, and stdout never carried more than the handshake', async () => {
    const reply = await session.send({ cmd: 'kill' });
    expect(reply.result.exited).toBe(true);
    // go-plugin waits up to 2 s for a graceful exit, then kills the process and says so; its own log tells which
    // (not a timing, which a busy machine stretches).
    expect(session.stderr.some((l) => /failed to exit gracefully/.test(l))).toBe(false);
    expect(session.stderr.some((l) => /\bplugin exited\b/.test(l))).toBe(true);
    expect(reply.result.extraStdout).toBe('');
    expect(await session.exited).toBe(0);
    expect(session.stderr.some((l) => /plugin process exited/.test(l))).toBe(true);
  });
});
