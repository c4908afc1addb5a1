// How failures reach Grafana: the service client's errors, the status each maps to, and the settings.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_HEADER } from '../../src/model/api';
import { QueryError } from '../../src/model/query';
import { describeError, errorResponse } from '../../src/backend/errors';
import { FrameError } from '../../src/backend/frames';
import { DeadlineExceeded, fromVersions, ServiceClient, ServiceError, unknownToService } from '../../src/backend/serviceClient';
import { DEFAULT_SERVICE_URL, InstanceCache, parseSettings, SettingsError } from '../../src/backend/settings';
import type { DataSourceInstanceSettings } from '../../src/backend/types';
import { refusedUrl } from '../support/net';

/** A loopback HTTP server answering every request with the given status and body. */
async function answering(
  status: number,
  body: string,
  type = 'application/json',
  headers: Record<string, string> = {}
): Promise<{ url: string; close: () => Promise<void>; seen: http.IncomingMessage[] }> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req);
    res.writeHead(status, { ...headers, 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }
  throw new Error('expected a ServiceError');
}

describe('service client', () => {
  test('connection refused names the URL and says what to check; status 502', async () => {
    const url = await refusedUrl();
    const err = await failure(new ServiceClient(url, 't').health());
    expect(err.kind).toBe('unreachable');
    expect(err.status).toBe(502);
    expect(err.message).toBe(
      `cannot reach the Trailhound service at ${url}: connection refused: ` +
        'is `trailhound serve` running there, and is the URL in the data source settings right?'
    );
  });

  test('an http:// and https:// mix-up, and a certificate of a CA this host does not know, each say what to do', async () => {
    // A self-signed certificate for localhost and 127.0.0.1, valid until 2126: a TLS proxy's of a CA of its own.
    const tls = path.join(__dirname, '..', 'fixtures', 'tls');
    const cert = path.join(tls, 'localhost-cert.pem');
    const ok = (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    const secure = https.createServer({ key: fs.readFileSync(path.join(tls, 'localhost-key.pem')), cert: fs.readFileSync(cert) }, ok);
    const plain = http.createServer(ok);
    await Promise.all([secure, plain].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    const port = (server: http.Server) => (server.address() as AddressInfo).port;
    const reach = async (url: string) => (await failure(new ServiceClient(url, 't').health())).message;
    try {
      // It said the library's code alone (ERR_SSL_WRONG_VERSION_NUMBER, "other side closed", DEPTH_ZERO_SELF_SIGNED_CERT).
      expect(await reach(`https://127.0.0.1:${port(plain)}`)).toBe(
        `cannot reach the Trailhound service at https://127.0.0.1:${port(plain)}: it does not speak TLS (ERR_SSL_WRONG_VERSION_NUMBER): ` +
          'the service serves plain HTTP, so give an http:// URL, or the https:// URL of a TLS proxy in front of it'
      );
      expect(await reach(`http://127.0.0.1:${port(secure)}`)).toBe(
        `cannot reach the Trailhound service at http://127.0.0.1:${port(secure)}: the server closed the connection without answering: ` +
          'if it serves HTTPS (a TLS proxy), give an https:// URL; else check that the URL is the address of `trailhound serve`'
      );
      const url = `https://localhost:${port(secure)}`;
      expect(await reach(url)).toBe(
        `cannot reach the Trailhound service at ${url}: its TLS certificate is not one this host trusts (DEPTH_ZERO_SELF_SIGNED_CERT): ` +
          "for a certificate of your own CA, give Grafana the CA's PEM file in NODE_EXTRA_CA_CERTS and pass it on to this plugin " +
          '(from Grafana 12.4: forward_host_env_vars = trailhound-cloudtrail-datasource under [plugins])'
      );
      // The advice works: Node's fetch, which the client uses, trusts the file NODE_EXTRA_CA_CERTS names.
      const script = `fetch(${JSON.stringify(`${url}/api/health`)}).then((r) => r.text()).then(console.log, (e) => console.log(e.cause?.code))`;
      const trusting = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } });
      expect(trusting.stdout).toBe('{"status":"ok"}\n');
    } finally {
      await Promise.all([secure, plain].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  test('a host that does not resolve says so', async () => {
    const err = await failure(new ServiceClient('http://no-such-host.invalid:7480', 't').health());
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/^cannot reach the Trailhound service at http:\/\/no-such-host\.invalid:7480: /);
  });

  test('a 401 is a token problem with status 401, worded for a missing or a wrong token', async () => {
    const server = await answering(401, '{"error":"missing or wrong bearer token"}');
    try {
      const wrong = await failure(new ServiceClient(server.url, 'nope').ingestStatus());
      expect(wrong).toMatchObject({ kind: 'unauthorized', status: 401, httpStatus: 401 });
      expect(wrong.message).toContain('rejected the API token (HTTP 401)');
      expect(server.seen[0].headers.authorization).toBe('Bearer nope');
      const missing = await failure(new ServiceClient(server.url, '').ingestStatus());
      expect(missing.message).toContain('needs an API token and none is set');
      expect(server.seen[1].headers.authorization).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  test('something that is not a Trailhound service (HTML 404) is a URL problem', async () => {
    const server = await answering(404, '<html><body>Not here</body></html>', 'text/html');
    try {
      const err = await failure(new ServiceClient(`${server.url}/`, 't').health());
      expect(err).toMatchObject({ kind: 'not-trailhound', status: 502, httpStatus: 404 });
      expect(err.message).toBe(
        `${server.url}/api/health answered HTTP 404 "<html><body>Not here</body></html>", not as a Trailhound service does: ` +
          'check the URL in the data source settings'
      );
    } finally {
      await server.close();
    }
  });

  test("a proxy's 502, 503 or 504 page says the service behind it may be down or restarting, not that the URL is wrong", async () => {
    const down = await answering(503, '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', 'text/html');
    const slow = await answering(504, 'upstream request timeout', 'text/plain');
    try {
      const err = await failure(new ServiceClient(down.url, 't').ingestStatus());
      expect(err).toMatchObject({ kind: 'gateway', status: 502, httpStatus: 503 });
      expect(err.message).toBe(
        `${down.url}/api/ingest/status answered HTTP 503 "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", ` +
          "a proxy's answer rather than the service's: the service behind it may be stopped or restarting (an upgrade, say): " +
          'try again in a moment; if it lasts, check that the service runs and the URL in the data source settings'
      );
      expect(await failure(new ServiceClient(slow.url, 't').health())).toMatchObject({ kind: 'gateway', status: 504, httpStatus: 504 });
    } finally {
      await Promise.all([down.close(), slow.close()]);
    }
  });

  test("a proxy's JSON 502, 503 or 504 (no service's header or code) is the proxy's too, but a 0.1.0 service's 503 in its words is the service's", async () => {
    const proxy = await answering(503, JSON.stringify({ error: 'Service Unavailable' }), 'application/json');
    const opening = 'the service is opening its database: queries answer in a moment. Try again in a moment (GET /api/health says how far it is)';
    const old = await answering(503, JSON.stringify({ error: opening }), 'application/json');
    const bad = await answering(502, JSON.stringify({ error: 'upstream connect error' }), 'application/json');
    // A proxy's JSON 504 is not the service's query stopped; its 403 with a code no service sent is its sign-in.
    const slow = await answering(504, JSON.stringify({ error: 'upstream request timeout' }));
    const forbidden = await answering(403, JSON.stringify({ error: 'Forbidden', code: 'forbidden' }));
    // With the service's header, an {error} is the service's whatever its code: a newer service's.
    const newer = await answering(502, JSON.stringify({ error: 'a newer error', code: 'not-known-yet' }), 'application/json', { [SERVICE_HEADER]: '9.0.0' });
    try {
      expect(await failure(new ServiceClient(slow.url, 't').ingestStatus())).toMatchObject({ kind: 'gateway', status: 504, httpStatus: 504 });
      const signIn = await failure(new ServiceClient(forbidden.url, 't').ingestStatus());
      expect(signIn).toMatchObject({ kind: 'unauthorized', httpStatus: 403, code: undefined, page: '{"error":"Forbidden","code":"forbidden"}' });
      const itsOwn = { kind: 'http', status: 502, httpStatus: 502, code: 'not-known-yet', message: 'a newer error' };
      expect(await failure(new ServiceClient(newer.url, 't').ingestStatus())).toMatchObject(itsOwn);
      const down = await failure(new ServiceClient(proxy.url, 't').ingestStatus());
      expect(down).toMatchObject({ kind: 'gateway', status: 502, httpStatus: 503 });
      expect(down.message).toMatch(/answered HTTP 503 "\{"error":"Service Unavailable"\}", a proxy's answer rather than the service's/);
      expect(await failure(new ServiceClient(bad.url, 't').ingestStatus())).toMatchObject({ kind: 'gateway', status: 502, httpStatus: 502 });
      expect(await failure(new ServiceClient(old.url, 't').ingestStatus())).toMatchObject({ kind: 'http', status: 502, httpStatus: 503, message: opening });
    } finally {
      await Promise.all([proxy.close(), old.close(), bad.close(), slow.close(), forbidden.close(), newer.close()]);
    }
  });

  test("the service's own errors keep their message; its 4xx keep their code, its 5xx become 502", async () => {
    const bad = await answering(400, '{"error":"queries: 51 in one request, at most 50: send them in several requests"}');
    const broken = await answering(500, '{"error":"database is locked"}');
    try {
      expect(await failure(new ServiceClient(bad.url, 't').query({ range: { from: 0, to: 1 }, queries: [] }, () => undefined))).toMatchObject({
        kind: 'http',
        status: 400,
        message: 'queries: 51 in one request, at most 50: send them in several requests',
      });
      expect(await failure(new ServiceClient(broken.url, 't').ingestStatus())).toMatchObject({ status: 502, httpStatus: 500, message: 'database is locked' });
    } finally {
      await Promise.all([bad.close(), broken.close()]);
    }
  });

  test('an answer by lines: asked for with Accept; cut short (no end line) or with a line not JSON, it is an error, never part of the frames', async () => {
    const frame = '{"refId":"q0","frames":[{"name":"a","fields":[]}]}';
    const cut = await answering(200, `${frame}\n`, 'application/x-ndjson; charset=utf-8');
    const garbled = await answering(200, `${frame}\n<html>\n`, 'application/x-ndjson');
    const whole = await answering(
      200,
      `${frame}\n{"refId":"q0","frames":[]}\n{"refId":"q1","error":"no","status":400}\n{"end":true}\n`,
      'application/x-ndjson'
    );
    const request = { range: { from: 0, to: 1 }, queries: [] };
    try {
      const parts: unknown[] = [];
      await new ServiceClient(whole.url, 't').query(request, (refId, part) => parts.push({ refId, ...part }));
      expect(whole.seen[0].headers.accept).toBe('application/x-ndjson, application/json;q=0.9');
      expect(parts).toEqual([JSON.parse(frame), { refId: 'q0', frames: [] }, { refId: 'q1', error: 'no', status: 400 }]);
      expect(await failure(new ServiceClient(cut.url, 't').query(request, () => undefined))).toMatchObject({
        status: 502,
        message: `the Trailhound service at ${cut.url} cut its answer short: try again`,
      });
      expect(await failure(new ServiceClient(garbled.url, 't').query(request, () => undefined))).toMatchObject({
        status: 502,
        kind: 'not-trailhound',
        message: `${garbled.url}/api/query answered a line that is not JSON, not as a Trailhound service does: check the URL in the data source settings`,
      });
    } finally {
      await Promise.all([cut.close(), garbled.close(), whole.close()]);
    }
  });

  test("JSON that is no object (null, a list, a number), whole or a line, is not the service's answer: " +
    'a 502 to check the URL, not a lost connection', async () => {
    const request = { range: { from: 0, to: 1 }, queries: [] };
    const servers = await Promise.all([
      answering(200, 'null'),
      answering(200, '[]'),
      ...['null', '5', '["q0"]'].map((line) => answering(200, `${line}\n{"end":true}\n`, 'application/x-ndjson')),
    ]);
    try {
      const [whole, list, ...byLines] = servers;
      for (const { url } of [whole, list]) {
        expect(await failure(new ServiceClient(url, 't').query(request, () => undefined))).toMatchObject({
          status: 502,
          kind: 'not-trailhound',
          message: `${url}/api/query answered JSON that is not an object, not as a Trailhound service does: check the URL in the data source settings`,
        });
      }
      for (const { url } of byLines) {
        expect(await failure(new ServiceClient(url, 't').query(request, () => undefined))).toMatchObject({
          status: 502,
          kind: 'not-trailhound',
          message: `${url}/api/query answered a line that is not a JSON object, not as a Trailhound service does: check the URL in the data source settings`,
        });
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  test("a query's error that is not text (an object, a number, null), whole or a line, is quoted in words that say to check the URL, " +
    'never "[object Object]"', async () => {
    const token = 'a-token-of-the-data-source';
    const errors = [
      { message: `  rate   limited\n for ${token}`, code: 42 },
      { detail: 'x'.repeat(300) },
      404,
      null,
    ];
    const lines = errors.map((error, i) => JSON.stringify({ refId: `q${i}`, error, status: 'bad' }));
    const byLines = await answering(200, `${lines.join('\n')}\n{"refId":"q4","error":"the service's own words","status":400}\n{"end":true}\n`,
      'application/x-ndjson');
    const results = Object.fromEntries(errors.map((error, i) => [`q${i}`, { error, status: 500 }]));
    const whole = await answering(200, JSON.stringify({ results: { ...results, q4: 7, q5: { frames: [] } } }));
    const request = { range: { from: 0, to: 1 }, queries: [] };
    const said = (url: string, what: string, quoted: string) =>
      `${url}/api/query answered ${what} (${quoted}), as no Trailhound service does: ` +
      'the server at that URL may not be Trailhound; check the URL in the data source settings';
    const notText = (url: string) => [
      said(url, 'an error that is not text', '"rate limited for <token>"'),
      said(url, 'an error that is not text', `{"detail":"${'x'.repeat(109)}…`),
      said(url, 'an error that is not text', '404'),
      said(url, 'an error that is not text', 'null'),
    ];
    try {
      for (const server of [byLines, whole]) {
        const parts: Array<Record<string, unknown>> = [];
        await new ServiceClient(server.url, token).query(request, (refId, part) => parts.push({ refId, ...part }));
        expect(parts.slice(0, 4)).toEqual(notText(server.url).map((error, i) => ({ refId: `q${i}`, error, status: 502 })));
        if (server === byLines) expect(parts[4]).toEqual({ refId: 'q4', error: "the service's own words", status: 400 });
        else expect(parts.slice(4)).toEqual([{ refId: 'q4', error: said(server.url, 'a result that is not a JSON object', '7'), status: 502 },
          { refId: 'q5', frames: [] }]);
      }
    } finally {
      await Promise.all([byLines.close(), whole.close()]);
    }
  });

  test('an answer without end (a wrong URL streaming for ever) stops at its cap, whole or in one line: a 502, not the plugin out of memory', async () => {
    // Each server streams 64 kB chunks until its client leaves, and counts what it sent.
    const endless = async (type: string, chunk: string) => {
      let sent = 0;
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': type });
        const more = () => {
          while (!res.destroyed && res.write(chunk)) sent += chunk.length;
          if (!res.destroyed) res.once('drain', more);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        more();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { url, sent: () => sent, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
    };
    const whole = await endless('application/json', ' '.repeat(65_536));
    const oneLine = await endless('application/x-ndjson', 'x'.repeat(65_536));
    const cap = 1024 * 1024;
    try {
      const tooBig = await failure(new ServiceClient(whole.url, 't', { maxAnswerBytes: cap }).ingestStatus());
      expect(tooBig).toMatchObject({ status: 502, kind: 'not-trailhound' });
      expect(tooBig.message).toBe(
        `${whole.url}/api/ingest/status answered more than 1 MB, more than a Trailhound service ever does: check the URL in the data source settings`
      );
      const parts: unknown[] = [];
      const request = { range: { from: 0, to: 1 }, queries: [] };
      const tooLong = await failure(new ServiceClient(oneLine.url, 't', { maxAnswerBytes: cap }).query(request, (refId, part) => parts.push(part)));
      expect(tooLong).toMatchObject({ status: 502, kind: 'not-trailhound' });
      expect(tooLong.message).toBe(
        `${oneLine.url}/api/query answered a line of more than 1 MB, more than a Trailhound service ever does: ` +
          'check the URL in the data source settings'
      );
      expect(parts).toEqual([]);
      // Read no further than the cap and what the sockets hold on the way.
      expect([whole.sent(), oneLine.sent()].every((n) => n < 16 * cap)).toBe(true);
    } finally {
      await Promise.all([whole.close(), oneLine.close()]);
    }
  }, 20_000);

  test('a service that does not answer in time is a 504', async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const err = await failure(new ServiceClient(url, 't', { timeoutMs: 200 }).health());
      expect(err).toMatchObject({ kind: 'timeout', status: 504, message: `the Trailhound service at ${url} did not answer within 0.2s` });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a cancelled call (Grafana gave up) is reported as cancelled', async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const call = new ServiceClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 't').health(controller.signal);
      setTimeout(() => controller.abort(), 50);
      expect(await failure(call)).toMatchObject({ kind: 'cancelled', status: 499 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("Grafana's deadline passing (an alert evaluation timing out) is a timeout, not a cancellation", async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const call = new ServiceClient(url, 't').health(controller.signal);
      setTimeout(() => controller.abort(new DeadlineExceeded()), 50);
      expect(await failure(call)).toMatchObject({
        kind: 'timeout', status: 504, message: `the Trailhound service at ${url} did not answer before Grafana's deadline for the request`,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a token fetch cannot send is never repeated in the error (fetch's own text quotes the header)", async () => {
    const server = await answering(200, '{}');
    try {
      for (const token of ['secret-part1\nsecret-part2', 'secret\u0000part', '\u201csecret\u201d']) {
        const err = await failure(new ServiceClient(server.url, token).ingestStatus());
        expect(err).toMatchObject({ kind: 'unreachable', status: 502 });
        expect(err.message).toBe(
          `cannot reach the Trailhound service at ${server.url}: the request could not be made: check the URL and the API token in the data source settings`
        );
      }
      expect(server.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  test('a service or proxy echoing the token in its error has it replaced', async () => {
    const json = await answering(500, '{"error":"bad header Authorization: Bearer s3cret-token"}');
    const html = await answering(502, '<html>upstream saw s3cret-token in Authorization: Bearer s3cret-token</html>', 'text/html');
    const short = await answering(500, '{"error":"upstream saw Authorization: Bearer up"}');
    try {
      expect((await failure(new ServiceClient(json.url, 's3cret-token').ingestStatus())).message).toBe('bad header Authorization: Bearer <token>');
      const page = await failure(new ServiceClient(html.url, 's3cret-token').ingestStatus());
      expect(page.message).toContain('"<html>upstream saw <token> in Authorization: Bearer <token></html>"');
      // A short token is replaced only as the header: elsewhere it would garble ordinary words ("upstream").
      expect((await failure(new ServiceClient(short.url, 'up').ingestStatus())).message).toBe('upstream saw Authorization: Bearer <token>');
    } finally {
      await Promise.all([json.close(), html.close(), short.close()]);
    }
  });
});

describe('error reports', () => {
  test('each kind of failure gets a status, a message and who is to blame', () => {
    expect(describeError(new QueryError('format', '"x" is not one of timeseries, table, list'))).toEqual({
      status: 400,
      message: 'invalid query: format: "x" is not one of timeseries, table, list',
      source: 'downstream',
    });
    expect(describeError(new ServiceError('cannot reach …', 502, 'unreachable'))).toEqual({ status: 502, message: 'cannot reach …', source: 'downstream' });
    expect(describeError(new SettingsError('bad URL'))).toEqual({ status: 400, message: 'data source settings: bad URL', source: 'downstream' });
    expect(describeError(new FrameError('field "x": 1 is not a boolean'))).toEqual({
      status: 500,
      message: 'the service returned a frame the plugin cannot encode: field "x": 1 is not a boolean',
      source: 'plugin',
    });
    expect(describeError(new TypeError('boom'))).toEqual({ status: 500, message: 'boom', source: 'plugin' });
    expect(errorResponse('odd')).toEqual({ frames: [], error: 'odd', status: 500, errorSource: 'plugin' });
  });
});

describe("which refusals are of something the service does not know: the code first, the words only without one", () => {
  test('a code says it, whatever the words; without a code, the words, believed only from a service up to 0.1.0', () => {
    // Words of an unknown value, but the code of another error (a later version may word its errors so): not unknown.
    const coded = { error: 'limit: 0 is not one of the limits this service takes', code: 'invalid-request' };
    expect(unknownToService(coded)).toBeUndefined();
    expect(unknownToService({ error: 'reworded entirely', code: 'unknown-filter' })).toBe('unknown-filter');
    // A code this plugin does not know (a newer service's) is no refusal of the unknown: the status says what it is.
    expect(unknownToService({ error: 'is not one of', code: 'rate-limited' })).toBeUndefined();
    const words: { error: string; code?: string } = { error: 'groupBy: "x" is not one of user, eventName' };
    expect(unknownToService(words)).toBe('unknown-value');
    expect([fromVersions(words, '0.1.0'), fromVersions(words, '0.0.9'), fromVersions(words, undefined)]).toEqual([true, true, true]);
    // A newer service codes every error: one without is not its refusal of the unknown (a proxy's page, say).
    expect(fromVersions(words, '0.2.0')).toBe(false);
    expect(fromVersions({ code: 'unknown-value' }, '0.2.0')).toBe(true);
  });
});

describe('settings', () => {
  const ds = (jsonData: unknown, extra: Partial<DataSourceInstanceSettings> = {}): DataSourceInstanceSettings => ({
    id: 7,
    name: 'Trailhound',
    url: '',
    jsonData: Buffer.from(typeof jsonData === 'string' ? jsonData : JSON.stringify(jsonData)),
    decryptedSecureJsonData: {},
    lastUpdatedMS: 1,
    uid: 'abc',
    ...extra,
  });

  test('URL from jsonData.url (trailing slash dropped), token from the secure data, defaults otherwise', () => {
    expect(parseSettings(ds({ url: 'http://svc:7480/' }, { decryptedSecureJsonData: { token: ' s3cret ' } }))).toEqual({
      url: 'http://svc:7480',
      token: 's3cret',
      timeoutMs: 60_000,
    });
    expect(parseSettings(ds('')).url).toBe(DEFAULT_SERVICE_URL);
    expect(parseSettings(ds({ timeoutSeconds: 5 })).timeoutMs).toBe(5000);
  });

  test('bad settings are a SettingsError saying what is wrong', () => {
    expect(() => parseSettings(ds({ url: 'localhost:7480' }))).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => parseSettings(ds({ url: 'not a url' }))).toThrow(/"not a url" is not a URL/);
    expect(() => parseSettings(ds('{oops'))).toThrow(/not valid JSON/);
    expect(() => parseSettings(null)).toThrow(/no data source settings/);
  });

  test('a token that is not visible ASCII is refused without being repeated', () => {
    for (const token of ['TOPSECRET-1\nTOPSECRET-2', 'TOPSECRET\u0000', 'TOP SECRET', '\u201cTOPSECRET\u201d', 'TOPSECRETé']) {
      let err: unknown;
      try {
        parseSettings(ds({}, { decryptedSecureJsonData: { token } }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SettingsError);
      expect((err as Error).message).toBe(
        'the API token contains spaces, line breaks or non-ASCII characters, which a token cannot have: ' +
          'paste it again from the service (TRAILHOUND_TOKEN, or the token file in its data folder)'
      );
    }
    // Every visible ASCII character is fine, and so is no token at all.
    const ascii = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    expect(parseSettings(ds({}, { decryptedSecureJsonData: { token: ascii } })).token).toBe(ascii);
    expect(parseSettings(ds({})).token).toBe('');
  });

  test('a service URL with a query or a fragment is refused: the paths of the calls would be added after it', () => {
    const message = 'the service URL "http://169.254.169.254/latest/meta-data/iam/security-credentials/role#" must not have a query ' +
      "(?) or a fragment (#): each call adds its path (/api/...) at the end, where it would not be the path; give the service's address alone";
    expect(() => parseSettings(ds({ url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/role#' }))).toThrow(new SettingsError(message));
    expect(() => parseSettings(ds({ url: 'http://127.0.0.1:7480/?' }))).toThrow(SettingsError);
  });

  test('a service URL with a user name or password is refused without repeating the password', () => {
    const message = 'the service URL "http://127.0.0.1:7480" must not contain a user name or password (user:password@): ' +
      'remove it, and set the service\'s token as the API token';
    expect(() => parseSettings(ds({ url: 'http://svc:hunter2@127.0.0.1:7480' }))).toThrow(new SettingsError(message));
    expect(() => parseSettings(ds({}, { url: 'http://svc:hunter2@127.0.0.1:7480' }))).toThrow(new SettingsError(message));
    expect(() => parseSettings(ds({ url: 'http://svc@127.0.0.1:7480' }))).toThrow(new SettingsError(message));
    // Nor when the URL is wrong in other ways.
    expect(() => parseSettings(ds({ url: 'http://svc:hunter2@127.0.0.1:99999' }))).toThrow(new SettingsError(message.replace('7480', '99999')));
    // A password with a / ? or # (not encoded) ends no user part: the URL does not parse, and its message showed it whole.
    for (const url of ['http://admin:Sup3r/Secret@127.0.0.1:7480', 'http://admin:a?b@127.0.0.1:7480', 'http://admin:a#b@c@127.0.0.1:7480']) {
      expect(() => parseSettings(ds({ url }))).toThrow(new SettingsError(message));
    }
    expect(() => parseSettings(ds({ url: 'admin:Sup3r/Secret@127.0.0.1:7480' })))
      .toThrow(new SettingsError('the service URL "127.0.0.1:7480" must start with http:// or https://'));
    expect(() => parseSettings(ds({ url: 'ftp://svc:hunter2@host' })))
      .toThrow(new SettingsError('the service URL "ftp://host" must start with http:// or https://'));
  });

  test('timeoutSeconds has a maximum, far inside what a Node timer can wait', () => {
    expect(parseSettings(ds({ timeoutSeconds: 3600 })).timeoutMs).toBe(3_600_000);
    for (const seconds of [3601, 2_592_000, 5_000_000]) {
      expect(() => parseSettings(ds({ timeoutSeconds: seconds })))
        .toThrow(new SettingsError(`timeoutSeconds is ${seconds}, over the maximum of 3600 (one hour): set a smaller one`));
    }
  });

  test('timeoutSeconds as the config editor keeps text no number can hold (1e400) is refused, quoted as typed', () => {
    expect(() => parseSettings(ds({ timeoutSeconds: '1e400' }))).toThrow(
      new SettingsError('timeoutSeconds is "1e400", over the maximum of 3600 (one hour): set a smaller one')
    );
    expect(() => parseSettings(ds({ timeoutSeconds: '4000' })))
      .toThrow(new SettingsError('timeoutSeconds is "4000", over the maximum of 3600 (one hour): set a smaller one'));
    // Hex text is no number of seconds, as the editor and the CLI read it: not 4096 over the maximum.
    for (const given of ['-1e400', '1e-400', '0x1000']) {
      expect(() => parseSettings(ds({ timeoutSeconds: given }))).toThrow(
        new SettingsError(`timeoutSeconds is "${given}", not a number of seconds above 0: set one up to 3600, or leave it out for the default`)
      );
    }
  });

  test('timeoutSeconds that is not a number of seconds above 0 is refused, not quietly replaced by the default', () => {
    expect(parseSettings(ds({ timeoutSeconds: '90' })).timeoutMs).toBe(90_000);
    expect(parseSettings(ds({ timeoutSeconds: 0.5 })).timeoutMs).toBe(500);
    for (const timeoutSeconds of [undefined, null, '']) expect(parseSettings(ds({ timeoutSeconds })).timeoutMs).toBe(60_000);
    for (const [given, shown] of [[0, '0'], [-5, '-5'], ['soon', '"soon"'], [true, 'true'], [[60], '[60]']] as const) {
      expect(() => parseSettings(ds({ timeoutSeconds: given }))).toThrow(
        new SettingsError(`timeoutSeconds is ${shown}, not a number of seconds above 0: set one up to 3600, or leave it out for the default`)
      );
    }
  });

  test('instances are cached per data source and rebuilt when lastUpdatedMS or the settings change', () => {
    const cache = new InstanceCache();
    const ctx = (settings: DataSourceInstanceSettings) => ({ orgId: 1, pluginId: 'p', user: null, pluginVersion: '', dataSourceInstanceSettings: settings });
    const first = cache.get(ctx(ds({ url: 'http://a:1' })));
    expect(cache.get(ctx(ds({ url: 'http://a:1' })))).toBe(first);
    const saved = cache.get(ctx(ds({ url: 'http://a:1' }, { lastUpdatedMS: 2 })));
    expect(saved).not.toBe(first);
    const newToken = cache.get(ctx(ds({ url: 'http://a:1' }, { lastUpdatedMS: 2, decryptedSecureJsonData: { token: 'x' } })));
    expect(newToken).not.toBe(saved);
    expect(newToken.client.hasToken).toBe(true);
    const other = cache.get(ctx(ds({ url: 'http://b:1' }, { uid: 'other' })));
    expect(other.settings.url).toBe('http://b:1');
    // Old callers without a uid are keyed by id.
    cache.get(ctx(ds({ url: 'http://c:1' }, { uid: '', id: 9 })));
    expect(cache.size).toBe(3);
  });
});
