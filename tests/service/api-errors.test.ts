// What the API says when something goes wrong, over real loopback HTTP: unexpected failures answer an id and no
// internals (the plugin shows the answer to every Grafana user); the service log has the id and the whole message.
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { API_ERROR_CODES, type ApiErrorCode, SERVICE_HEADER } from '../../src/model/api';
import { DatabaseOpening } from '../../src/service/api/opening';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { QueryTimeoutError, Reports, RequestStoppedError } from '../../src/service/reports';
import { UnreadableRecordError } from '../../src/service/reports/records';
import { VERSION } from '../../src/service/version';
import { stratusRecords, writeStratusFolder } from '../support/stratus';
import { tempDir } from '../support/temp';
import { memoryLogger } from '../support/watch';

const TOKEN = 'test-token-123';
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

const { lines, logger } = memoryLogger();
let server: { dir: string; db: Database; url: string; close: () => Promise<void> };

beforeAll(async () => {
  const dir = tempDir();
  writeStratusFolder(path.join(dir, 'stratus'));
  const db = await Database.open(path.join(dir, 'api.duckdb'));
  await ingest({ source: path.join(dir, 'stratus'), db });
  const api = await buildApi({ db, token: TOKEN, logger, backfill: async () => undefined });
  server = { dir, db, url: await api.listen({ host: '127.0.0.1', port: 0 }), close: () => api.close() };
}, 60_000);

afterAll(async () => {
  await server.close();
  server.db.close();
  fs.rmSync(server.dir, { recursive: true, force: true });
});

async function call(method: string, route: string, body?: unknown, url = server.url, token = TOKEN) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const ID = /^internal error \(id ([0-9a-f]{8})\): see the trailhound service log$/;

/** The service's log line for an answer's error id. */
function logged(answer: string) {
  const id = ID.exec(answer)?.[1];
  expect(id).toBeDefined();
  return lines.filter((l) => l.errorId === id);
}

test('an unexpected failure answers a 500 with an id, not its text; the log line with that id has the whole message', async () => {
  // The kept log files are gone: the message names their absolute path, which is for the administrator only.
  const originals = server.db.originalsDir;
  fs.renameSync(originals, `${originals}.away`);
  try {
    const id = stratusRecords()[0].record.eventID;
    const r = await call('GET', `/api/events/${id}`);
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: expect.stringMatching(ID), code: 'internal' });
    expect(r.json.error).not.toContain(server.dir);
    const [line, ...more] = logged(r.json.error);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 50, msg: 'request failed', err: { message: expect.stringContaining(`${originals}/`) } });
    expect(line.err.message).toMatch(/\.parquet is missing: .*restore the folder/);
  } finally {
    fs.renameSync(`${originals}.away`, originals);
  }
});

test('a stored event whose kept log file does not hold it is a 500 that says so and names the log file, not a 404 "no stored event"', async () => {
  const id = stratusRecords()[0].record.eventID;
  const [{ key, archive }] = await server.db.all<{ key: string; archive: string }>(
    'SELECT key, archive FROM log_objects WHERE key = (SELECT object_key FROM events WHERE event_id = $id)',
    { id }
  );
  // A big kept file of its own (as one over 8 MB is), rewritten without the event.
  const copy = path.join(server.db.originalsDir, 'rewritten.json');
  fs.writeFileSync(copy, JSON.stringify({ Records: [{ eventID: 'someone-else' }] }));
  await server.db.run('UPDATE log_objects SET archive = $copy WHERE key = $key', { copy: path.basename(copy), key });
  try {
    const r = await call('GET', `/api/events/${id}`);
    const error = `the event "${id}" is stored, but its original record cannot be read: ` +
      `the kept copy of its log file ${key} does not hold it: not at its record index`;
    expect([r.status, r.json.error.slice(0, error.length), r.json.code]).toEqual([500, error, 'unreadable-record']);
    expect(r.json.error).not.toContain(server.dir);
    expect(lines.filter((l) => l.msg === 'kept log file damaged').at(-1)).toMatchObject({ level: 50, keptIn: copy, err: { message: r.json.error } });
  } finally {
    await server.db.run('UPDATE log_objects SET archive = $archive WHERE key = $key', { archive, key });
    fs.rmSync(copy);
  }
});

test('a query that fails unexpectedly is its refId’s 500 with an id; a bad query’s 400 still says what to fix', async () => {
  await server.db.run('ALTER TABLE trails RENAME TO trails_away');
  try {
    const r = await call('POST', '/api/query', {
      range: RANGE, queries: [{ refId: 'T', queryType: 'trails' }, { refId: 'B', groupBy: 'nope' }, { refId: 'E' }],
    });
    expect(r.status).toBe(200);
    expect(r.json.results.T).toEqual({ error: expect.stringMatching(ID), code: 'internal', status: 500 });
    expect(r.json.results.T.error).not.toMatch(/trails|Catalog/);
    expect(logged(r.json.results.T.error)).toEqual([expect.objectContaining({ level: 50, refId: 'T', err: expect.stringMatching(/trails/) })]);
    expect(r.json.results.B).toEqual({ error: expect.stringMatching(/^groupBy: /), code: 'unknown-value', status: 400 });
    expect(r.json.results.E.frames).toBeDefined();
    // The same failure outside a query: the route's 500.
    const trails = await call('GET', '/api/trails');
    expect([trails.status, trails.json.code]).toEqual([500, 'internal']);
    expect(logged(trails.json.error)).toEqual([expect.objectContaining({ err: expect.objectContaining({ message: expect.stringMatching(/trails/) }) })]);
  } finally {
    await server.db.run('ALTER TABLE trails_away RENAME TO trails');
  }
});

test('fastify’s own errors carry a message in `error`, the field the plugin shows, not only "Not Found" or "Bad Request"', async () => {
  // With its code, which a client (the plugin) reads rather than the words: an endpoint this service has not.
  const noSuch = (endpoint: string) => ({ error: `no such endpoint: ${endpoint}`, code: 'unknown-endpoint' });
  expect(await call('GET', '/api/nothing?x=1')).toEqual({ status: 404, json: noSuch('GET /api/nothing') });
  const wrongMethod = { error: 'GET is not a method of /api/backfill: use POST', code: 'unknown-endpoint' };
  expect(await call('GET', '/api/backfill')).toEqual({ status: 405, json: wrongMethod });
  const invalid = (error: string) => ({ status: 400, json: { error, code: 'invalid-request' } });
  expect(await call('POST', '/api/backfill', '5')).toEqual(invalid('the body must be a JSON object: {"days": 30}'));
  expect(await call('POST', '/api/backfill', { days: 'x' })).toEqual(invalid('days: must be a whole number of at least 1'));
  expect(await call('GET', '/api/values/user?limit=x')).toEqual(invalid('limit: must be a whole number from 1 to 10000'));
  // A path that does not decode (not UTF-8) is refused before the route and its token check: still a message, and no cache.
  const res = await fetch(`${server.url}/api/events/%FF`);
  const headers = ['cache-control', 'x-content-type-options', SERVICE_HEADER].map((name) => res.headers.get(name));
  expect([res.status, ...headers, await res.json()]).toEqual([
    400,
    'no-store',
    'nosniff',
    VERSION,
    { error: "the URL's path does not decode (a %-escape that is not UTF-8): escape an event ID with encodeURIComponent", code: 'invalid-request' },
  ]);
});

test('a backfill request with a field the service does not know is a 400 naming it, not silently run without it', async () => {
  expect(await call('POST', '/api/backfill', { days: 3, since: '2026-01-01' })).toEqual({
    status: 400,
    json: {
      error:
        "since: is not a field of this service's backfill requests (days): is the client at another version than the service? Run the same version of both",
      code: 'unknown-field',
    },
  });
  expect((await call('POST', '/api/backfill', { days: 3 })).status).toBe(202);
});

describe('every error answer has its code, one of API_ERROR_CODES, and every code is some error\'s', () => {
  /** What a request answers: its status and its error's code (a failed query's, for POST /api/query's 200). */
  const coded = async (answer: Promise<{ status: number; json: any }>) => {
    const { status, json } = await answer;
    const failed = json.results ? Object.values(json.results as Record<string, any>)[0] : { ...json, status };
    return { status: failed.status, code: failed.code, error: typeof failed.error };
  };
  /** A read of the reports failing with `err`, once: what it answers. */
  const failing = async (err: Error) => {
    const spy = jest.spyOn(Reports.prototype, 'trails').mockRejectedValueOnce(err);
    try {
      return await coded(call('GET', '/api/trails'));
    } finally {
      spy.mockRestore();
    }
  };

  test('each kind of error, by its code', async () => {
    const answers: Array<[ApiErrorCode, number, Promise<{ status: number; code: unknown; error: string }>]> = [
      ['invalid-request', 400, coded(call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A', limit: 0 }] }))],
      ['unknown-field', 400, coded(call('GET', '/api/ingest/errors?since=1'))],
      ['unknown-value', 400, coded(call('GET', '/api/values/colour'))],
      ['unknown-filter', 400, coded(call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A', filters: { colour: ['red'] } }] }))],
      ['unknown-endpoint', 404, coded(call('GET', '/api/nothing'))],
      ['too-large', 400, coded(call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A', aggregate: 'hour' }] }))],
      ['unauthorized', 401, coded(call('GET', '/api/trails', undefined, server.url, 'wrong'))],
      ['not-found', 404, coded(call('GET', '/api/events/no-such-event'))],
    ];
    const results = await Promise.all(answers.map(async ([code, status, answer]) => [code, status, await answer] as const));
    // These one after another: each replaces the read once.
    results.push(['timeout', 504, await failing(new QueryTimeoutError(30_000))]);
    results.push(['timeout', 504, await failing(RequestStoppedError.deadline(50_000, 'try again'))]);
    // No one reads a 499 (its client is gone): here the client stays, to read what it says.
    results.push(['client-closed', 499, await failing(RequestStoppedError.clientClosed())]);
    results.push(['unreadable-record', 500, await failing(new UnreadableRecordError({ id: 'e', key: 'k', file: undefined, why: 'is cut short' }))]);
    results.push(['internal', 500, await failing(new Error('boom'))]);

    // Too large a body, and the backfills', with an API of their own.
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const own = await buildApi({ db: server.db, token: TOKEN, bodyLimit: 100, backfill: () => held });
    const bare = await buildApi({ db: server.db, token: TOKEN });
    // Opens that never end: one as a plain open, one in a long migration, as Database.open tells it.
    const starting = new DatabaseOpening(() => new Promise<Database>(() => undefined));
    const upgrading = new DatabaseOpening((_file, options = {}) => {
      options.onLongMigration!('updating the database', { events: 1, fromVersion: 12, toVersion: 13, estimatedSeconds: 1 });
      return new Promise<Database>(() => undefined);
    });
    void starting.open('starting.duckdb');
    void upgrading.open('upgrading.duckdb');
    const opening = [await buildApi({ db: starting, token: TOKEN }), await buildApi({ db: upgrading, token: TOKEN })];
    const apis = [own, bare, ...opening];
    try {
      const [ownUrl, bareUrl, startingUrl, upgradingUrl] = await Promise.all(apis.map((api) => api.listen({ host: '127.0.0.1', port: 0 })));
      results.push(['too-large', 413, await coded(call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'x'.repeat(100) }] }, ownUrl))]);
      expect((await call('POST', '/api/backfill', { days: 1 }, ownUrl)).status).toBe(202);
      results.push(['backfill-running', 409, await coded(call('POST', '/api/backfill', { days: 1 }, ownUrl))]);
      results.push(['no-backfill', 501, await coded(call('POST', '/api/backfill', { days: 1 }, bareUrl))]);
      results.push(['starting', 503, await coded(call('GET', '/api/trails', undefined, startingUrl))]);
      results.push(['upgrading', 503, await coded(call('POST', '/api/query', { range: RANGE, queries: [{ refId: 'A' }] }, upgradingUrl))]);
    } finally {
      finish();
      await Promise.all(apis.map((api) => api.close()));
    }
    for (const [code, status, answer] of results) expect({ code, answer }).toEqual({ code, answer: { status, code, error: 'string' } });
    // Every code is some error's: the list names no kind the service never answers.
    const seen = new Set(results.map(([code]) => code));
    expect(API_ERROR_CODES.filter((code) => !seen.has(code))).toEqual([]);
  });
});

type RawAnswer = { status: number; headers: Record<string, string>; json: unknown };

/** The HTTP/1.1 answers as they came on a socket, one after another: each one's status, headers (by lower-case name) and JSON body. */
function readAnswers(bytes: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    const [statusLine, ...lines] = bytes.toString('latin1', at, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    at = headEnd + 4;
    const body: Buffer[] = [];
    if (headers['transfer-encoding'] === 'chunked') {
      for (let size = -1; size !== 0; ) {
        const sizeEnd = bytes.indexOf('\r\n', at);
        size = parseInt(bytes.toString('latin1', at, sizeEnd), 16);
        body.push(bytes.subarray(sizeEnd + 2, sizeEnd + 2 + size));
        at = sizeEnd + 2 + size + 2;
      }
    } else {
      const length = Number(headers['content-length']);
      body.push(bytes.subarray(at, at + length));
      at += length;
    }
    answers.push({ status: Number(statusLine.split(' ')[1]), headers, json: JSON.parse(Buffer.concat(body).toString('utf8')) });
  }
  return answers;
}

describe('a request Node cannot read as HTTP', () => {
  /** Sends `request` as it is, on a socket of its own, and reads what comes back until the service closes it. */
  const sendRaw = (request: string, url = server.url) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect(Number(new URL(url).port), '127.0.0.1', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', reject);
      socket.on('close', () => resolve(readAnswers(Buffer.concat(chunks))[0]));
    });

  test.each([
    [
      'a content-length that is no number',
      'POST /api/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
      400,
      'invalid-request',
    ],
    ['headers over Node\'s limit', `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'too-large'],
  ])('%s: {error, code} that says what to do, with the headers every answer has, not fastify\'s "Client Error"', async (_what, request, status, code) => {
    const answer = await sendRaw(request);
    expect(answer).toMatchObject({ status, json: { code, error: expect.stringMatching(/: (check the client|send fewer or shorter headers)/) } });
    expect(Object.keys(answer.json as object)).toEqual(['error', 'code']);
    const everyAnswers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      [SERVICE_HEADER]: VERSION,
      'content-type': 'application/json; charset=utf-8',
    };
    expect(answer.headers).toMatchObject(everyAnswers);
  });

  // fastify sets no time for a request to arrive: a client that sent part of one (or nothing) held its connection for ever.
  test.each([
    ['its headers', `GET /api/trails HTTP/1.1\r\nHost: x\r\n`],
    ['its body', `POST /api/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"r`],
  ])('a request whose client stalls sending %s is answered 408 when its time is up, and its connection closed', async (_what, part) => {
    const api = await buildApi({ db: server.db, token: TOKEN, receiveTimeoutMs: 100 });
    try {
      const answer = await sendRaw(part, await api.listen({ host: '127.0.0.1', port: 0 }));
      expect(answer).toMatchObject({
        status: 408,
        headers: { [SERVICE_HEADER]: VERSION },
        json: { code: 'invalid-request', error: expect.stringMatching(/send it again/) },
      });
    } finally {
      await api.close();
    }
  });
});

describe('a stopping service ends the kept-alive connections after their answers', () => {
  const QUERY = JSON.stringify({ range: RANGE, queries: [{ refId: 'A' }] });
  const POST_QUERY = `POST /api/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${QUERY.length}\r\n\r\n${QUERY}`;
  const everyAnswers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', [SERVICE_HEADER]: VERSION };
  let api: Awaited<ReturnType<typeof buildApi>>;

  // No grace for the connections giving no answer: those giving one (every test but the half-sent requests') must not be
  // ended by it. The deadline, which ends every connection, out of a test's reach unless it is the one tested.
  async function start(options: { stopDeadlineMs?: number } = {}) {
    api = await buildApi({ db: server.db, token: TOKEN, stopGraceMs: 0, stopDeadlineMs: 600_000, ...options });
    await api.listen({ host: '127.0.0.1', port: 0 });
  }
  beforeEach(() => start());
  afterEach(async () => {
    jest.restoreAllMocks();
    await api.close();
  });

  /**
   * A connection of a client that keeps it open after its answers, as a keep-alive client does: it never ends it. `ended`
   * resolves when the service ends it (an end, not a reset).
   */
  function keptConnection() {
    const socket = net.connect((api.server.address() as net.AddressInfo).port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => socket.on('end', resolve).on('error', reject));
    return { socket, ended, answers: () => readAnswers(Buffer.concat(chunks)) };
  }

  /** Begins the stop, and waits until the service listens no more: its preClose hooks have run. */
  async function beginStop(): Promise<{ closed: Promise<undefined> }> {
    const closed = api.close();
    while (api.server.listening) await new Promise((resolve) => setImmediate(resolve));
    return { closed };
  }

  // Node's close ends the idle connections only, and fastify marks only the requests that come after it: the answer to
  // a query already running kept its connection, and the stop waited for the client, or fastify's 72 s keep-alive
  // timeout, past Docker's 30 s grace.
  /** Holds the next query's answer until `go`; `started` resolves with its signal when it runs. */
  function holdQuery() {
    const realAnswer = Reports.prototype.answer;
    let running!: (signal: AbortSignal | undefined) => void;
    let go!: () => void;
    const started = new Promise<AbortSignal | undefined>((resolve) => (running = resolve));
    const held = new Promise<void>((resolve) => (go = resolve));
    jest.spyOn(Reports.prototype, 'answer').mockImplementationOnce(async function (this: Reports, ...args) {
      running(args[1]);
      await held;
      return realAnswer.apply(this, args);
    });
    return { started, go };
  }

  test('a query running when the stop begins: its answer, whole, says connection: close, and the service ends the connection after it', async () => {
    const { started, go } = holdQuery();
    const client = keptConnection();
    client.socket.write(POST_QUERY);
    await started;
    const { closed } = await beginStop();
    go();
    await Promise.all([client.ended, closed]);
    const answers = client.answers();
    expect(answers.map(({ status, headers }) => [status, headers.connection])).toEqual([[200, 'close']]);
    expect(answers[0].headers).toMatchObject(everyAnswers);
    expect(answers[0].json).toEqual({ results: { A: { frames: expect.any(Array) } } });
  });

  /** A query's answer of 64 MB (more than the kernel's buffers hold), to a client that read its first bytes before the stop, then stopped reading. */
  async function answerBegunBeforeStop(client: ReturnType<typeof keptConnection>) {
    const frame = { name: 'big', fields: [{ name: 'text', type: 'string', values: ['x'.repeat(256 * 1024)] }] };
    jest.spyOn(Reports.prototype, 'answer').mockResolvedValueOnce({ results: { A: { frames: Array(256).fill(frame) } } });
    const response = new Promise<http.ServerResponse>((resolve) => api.server.once('request', (_request, res) => resolve(res)));
    const firstBytes = new Promise((resolve) => client.socket.once('data', resolve));
    client.socket.write(POST_QUERY);
    await firstBytes;
    client.socket.pause();
    // Its headers are sent, and said the connection stays; the rest waits for the client.
    expect([(await response).headersSent, (await response).writableFinished]).toEqual([true, false]);
  }

  test('an answer whose headers went before the stop: sent whole, then the service ends the connection', async () => {
    const client = keptConnection();
    await answerBegunBeforeStop(client);
    const { closed } = await beginStop();
    client.socket.resume();
    await Promise.all([client.ended, closed]);
    const [answer] = client.answers();
    expect(answer).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
    expect((answer.json as { results: { A: { frames: unknown[] } } }).results.A.frames).toHaveLength(256);
  });

  // fastify's own 503 to a request that arrives while it closes ({"error": "Service Unavailable"}, none of the headers
  // every answer has) read as a proxy's page for a service down.
  test('a request on a kept-alive connection while the service stops is answered as any other, with its headers, then the connection ended', async () => {
    const client = keptConnection();
    await answerBegunBeforeStop(client);
    const { closed } = await beginStop();
    client.socket.write(`GET /api/trails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    client.socket.resume();
    await Promise.all([client.ended, closed]);
    const [first, second] = client.answers();
    expect(first).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
    expect(second).toMatchObject({ status: 200, headers: { ...everyAnswers, connection: 'close' }, json: { trails: expect.any(Array) } });
  });

  // Node's close waits for a connection whose request is half sent (or that sent none) until its client goes, and no
  // longer checks the time requests take: the stop waited for the client, past Docker's 30 s grace.
  test.each([
    ['nothing', ''],
    ['half its headers', 'GET /api/trails HTTP/1.1\r\nHost: x\r\n'],
    ['its headers and half its body', POST_QUERY.slice(0, -5)],
  ])('a connection that sent %s when the stop begins: the service ends it after the grace, and the stop ends', async (_what, part) => {
    const accepted = new Promise((resolve) => api.server.once('connection', resolve));
    const client = keptConnection();
    const gone = new Promise((resolve) => client.socket.on('close', resolve));
    client.ended.catch(() => undefined);
    client.socket.write(part);
    await accepted;
    const { closed } = await beginStop();
    await Promise.all([gone, closed]);
    expect(client.answers()).toEqual([]);
  });

  // Listening on localhost, fastify binds ::1 too, with a server of its own whose connections its close does not wait for:
  // one kept open there held the process after serve's "stopped", with the database closed under its answers.
  // (This machine's localhost may have no ::1: its lookup is made to answer both, as most systems' does.)
  test('a connection on localhost\'s other address (::1) that sent half its headers: ended after the grace, and the stop waits for it', async () => {
    await api.close();
    const realLookup = dns.lookup as (...args: unknown[]) => void;
    jest.spyOn(dns, 'lookup').mockImplementation(((host: string, ...rest: unknown[]) => {
      const callback = rest[rest.length - 1] as (err: null, ...answer: unknown[]) => void;
      if (host !== 'localhost') return realLookup(host, ...rest);
      if ((rest[0] as dns.LookupOptions).all) return callback(null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
      callback(null, '127.0.0.1', 4);
    }) as typeof dns.lookup);
    api = await buildApi({ db: server.db, token: TOKEN, stopGraceMs: 0, stopDeadlineMs: 600_000 });
    const made: http.Server[] = [];
    const realCreate = http.createServer as (...args: unknown[]) => http.Server;
    jest.spyOn(http, 'createServer').mockImplementation(((...args: unknown[]) => made[made.push(realCreate(...args)) - 1]) as typeof http.createServer);
    await api.listen({ host: 'localhost', port: 0 });
    const [ipv6] = made;
    expect([made.length, ipv6.address()]).toEqual([1, expect.objectContaining({ address: '::1' })]);
    const socket = net.connect((api.server.address() as net.AddressInfo).port, '::1');
    const gone = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => undefined);
    await new Promise((resolve) => ipv6.once('connection', resolve));
    socket.write('GET /api/trails HTTP/1.1\r\nHost: x\r\n');
    try {
      const { closed } = await beginStop();
      await closed;
      // The stop ended once the connection had been ended: the ::1 server has none left, and listens no more.
      const left = await new Promise((resolve) => ipv6.getConnections((_err, count) => resolve(count)));
      expect([left, ipv6.listening]).toEqual([0, false]);
      await gone;
    } finally {
      socket.destroy(); // left open, it would hold the test process
    }
  });

  test('an answer still being made at the stop\'s deadline: its connection is ended, its query stopped, and the stop ends', async () => {
    await api.close();
    await start({ stopDeadlineMs: 0 });
    const { started, go } = holdQuery();
    const client = keptConnection();
    const gone = new Promise((resolve) => client.socket.on('close', resolve));
    client.ended.catch(() => undefined);
    client.socket.write(POST_QUERY);
    const signal = (await started) as AbortSignal;
    const stopped = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
    const { closed } = await beginStop();
    const [, , reason] = await Promise.all([gone, closed, stopped]);
    go();
    expect(client.answers()).toEqual([]);
    // As for a client gone: the running statement is interrupted, and the database closes behind it.
    expect(reason).toBeInstanceOf(RequestStoppedError);
  });
});
