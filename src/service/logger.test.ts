// As the product's entry points do, before the AWS SDK loads: no Node 20 support warning in the test output.
import './env';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger } from './logger';

/** The lines one logger writes, JSON or readable. */
function loggedLines(pretty: boolean) {
  const lines: string[] = [];
  return { lines, logger: createLogger({ pretty, write: (line) => lines.push(line) }) };
}

/** What the AWS SDK throws when S3 refuses: here a loopback server that answers 403 and sets a cookie. */
async function refusedByS3(): Promise<Error & { $response?: unknown }> {
  const server = http.createServer((req, res) => {
    const ids = { 'x-amz-request-id': 'REQ1', 'x-amz-id-2': 'HOST1' };
    res.writeHead(403, { 'set-cookie': 'awsalb=secret-cookie-1; Path=/', 'content-type': 'application/xml', ...ids });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // A session's credentials: the request carries x-amz-security-token, and Authorization with its signature.
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-key-2', sessionToken: 'secret-session-3' },
  });
  try {
    await client.send(new GetObjectCommand({ Bucket: 'logs', Key: 'a.json.gz' }));
    throw new Error('S3 answered');
  } catch (err) {
    return err as Error;
  } finally {
    client.destroy();
    server.close();
  }
}

describe('createLogger', () => {
  afterEach(() => delete process.env.TRAILHOUND_LOG_LEVEL);

  test('takes its level from TRAILHOUND_LOG_LEVEL, info when unset or empty', () => {
    expect(createLogger({ pretty: false }).level).toBe('info');
    process.env.TRAILHOUND_LOG_LEVEL = '';
    expect(createLogger({ pretty: false }).level).toBe('info');
    process.env.TRAILHOUND_LOG_LEVEL = 'debug';
    expect(createLogger({ pretty: false }).level).toBe('debug');
  });

  test('JSON lines name their level and give an ISO time, as a person and a log store read them', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(JSON.parse(line)) });
    logger.warn({ source: 's3://logs' }, 'ingest failed; retrying');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), source: 's3://logs', msg: 'ingest failed; retrying',
      }),
    ]);
  });

  test('JSON lines escape C1 controls and bidirectional overrides, which JSON.stringify leaves raw, and parse back to what was logged', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(line) });
    // An S3 key or an error message that shows reversed in a log viewer, and C1 controls a terminal may act on.
    const hostile = 'logs/\u202etxt.gol\u0085\u2066x\u2069\u009b2K\x7f';
    logger.error({ err: new Error(hostile), key: hostile, nested: [{ [hostile]: hostile }] }, `no such key ${hostile}`);
    logger.child({ batch: hostile }).warn(hostile);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(lines[0]).toContain('logs/\\u202etxt.gol\\u0085\\u2066x\\u2069\\u009b2K\\u007f');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        msg: `no such key ${hostile}`, key: hostile, nested: [{ [hostile]: hostile }], err: expect.objectContaining({ message: hostile }),
      }),
      expect.objectContaining({ msg: hostile, batch: hostile }),
    ]);
  });

  test('a token or a cookie in headers, however deep the object logged holds them, is never written', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(line) });
    const headers = {
      authorization: 'Bearer secret-token-1', cookie: 'grafana_session=secret-cookie-2', 'x-amz-security-token': 'secret-session-3', accept: 'x',
      'set-cookie': 'grafana_session=secret-cookie-4', 'proxy-authorization': 'Basic secret-5',
    };
    logger.error({ headers }, 'a');
    logger.error({ req: { method: 'GET', headers } }, 'b');
    logger.error({ err: { request: { headers } } }, 'c');
    expect(lines.join('')).not.toMatch(/secret/);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        headers: {
          authorization: '[redacted]', cookie: '[redacted]', 'x-amz-security-token': '[redacted]', accept: 'x',
          'set-cookie': '[redacted]', 'proxy-authorization': '[redacted]',
        },
      }),
      expect.objectContaining({ req: { method: 'GET', headers: expect.objectContaining({ authorization: '[redacted]', accept: 'x' }) } }),
      expect.objectContaining({ err: { request: { headers: expect.objectContaining({ authorization: '[redacted]' }) } } }),
    ]);
    // The object logged is left as it was.
    expect(headers.authorization).toBe('Bearer secret-token-1');
  });

  test('an error\'s causes, at any depth, and the response the AWS SDK hides in $response write no token or cookie, JSON or readable', async () => {
    const refused = await refusedByS3();
    // The SDK keeps the response out of sight ($response is not enumerable); code that copies it onto its own error
    // gets its headers and, in its body (the IncomingMessage), the raw request head with the session token.
    const wrapped = new Error('listing s3://logs failed', {
      cause: Object.assign(new Error('S3 refused', { cause: refused }), { $response: refused.$response }),
    });
    // undici's and most HTTP clients' errors: the answer's headers on the error, two causes down; a request that
    // refers to itself.
    const request: Record<string, unknown> = { method: 'GET', headers: { Authorization: 'Bearer secret-7' } };
    request.self = request;
    const deep = new Error('ingest failed', {
      cause: new Error('batch 3', {
        cause: Object.assign(new Error('proxy refused'), {
          statusCode: 407, headers: { 'Set-Cookie': ['a=secret-cookie-4'], 'proxy-authorization': 'Basic secret-5' },
          rawHeaders: ['Cookie', 'b=secret-cookie-6', 'Via', '1.1 proxy'], request,
        }),
      }),
    });
    for (const pretty of [false, true]) {
      const { lines, logger } = loggedLines(pretty);
      logger.error({ err: wrapped }, 'poll failed');
      logger.error(Object.assign(new Error('S3 refused'), { response: refused.$response }));
      logger.error({ err: deep }, 'ingest failed');
      logger.error({ err: Object.assign(new Error('proxy refused'), { request }) }, 'proxy refused');
      // An err that is no error, its headers deeper than redact's paths.
      logger.error({ err: { reason: { response: { status: 401, headers: { cookie: 'secret-cookie-8' } } } } }, 'refused');
      const written = lines.join('');
      expect(written).not.toMatch(/secret|Signature=/);
      // What a reader needs stays: the status, the other headers, the messages.
      expect(written).toContain('[redacted]');
      expect(written).toMatch(/"?statusCode"?: ?403/);
      expect(written).toContain('application/xml');
      // JSON lines join the causes' messages and stacks, and leave their other fields out, as pino does.
      if (pretty) expect(written).toContain('1.1 proxy');
      expect(written).toContain('Access Denied');
    }
    // The objects logged are left as they were.
    expect(JSON.stringify((refused.$response as { headers: unknown }).headers)).toContain('secret-cookie-1');
  });

  test("JSON lines give AWS's answer however deep our errors wrap it (err.aws), which pino keeps only for the outer error", async () => {
    const refused = await refusedByS3();
    const { lines, logger } = loggedLines(false);
    logger.error({ err: new Error('backfill failed', { cause: new Error('Access to s3://logs was denied', { cause: refused }) }) }, 'backfill failed');
    logger.error({ err: new Error('Input is not a GZIP stream') }, 'no AWS answer');
    const [wrapped, plain] = lines.map((line) => JSON.parse(line));
    expect(wrapped.err.aws).toEqual({ awsError: 'AccessDenied', httpStatus: 403, requestId: 'REQ1', extendedRequestId: 'HOST1' });
    expect(wrapped.err.message).toBe('backfill failed: Access to s3://logs was denied: Access Denied');
    expect(plain.err.aws).toBeUndefined();
  });

  // pino's redaction found headers two levels down at most: a raw IncomingMessage's rawHeaders deeper, under any field
  // but err, were written whole.
  test('secret headers under any field, at any depth, a raw IncomingMessage\'s rawHeaders too, are never written, JSON or readable', async () => {
    const server = http.createServer((req, res) => {
      res.end();
      server.emit('received', req);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const received = new Promise<http.IncomingMessage>((resolve) => server.once('received', resolve));
    const answered = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      headers: { authorization: 'Bearer secret-1', cookie: 'session=secret-2', 'x-amz-security-token': 'secret-3', accept: 'x/y' },
    });
    await answered.arrayBuffer();
    const req = await received;
    server.close();
    for (const pretty of [false, true]) {
      const { lines, logger } = loggedLines(pretty);
      // The request itself, and an object shaped as one (a copy, or another library's), four levels down.
      logger.warn({ upstream: { attempt: { last: { req } } } }, 'a');
      logger.warn({ reason: { response: { body: { rawHeaders: req.rawHeaders, headers: req.headers, statusCode: 401 } } } }, 'b');
      logger.warn({ a: { b: { c: { d: { headers: { 'Set-Cookie': ['x=secret-4'], 'Proxy-Authorization': 'Basic secret-5' } } } } } }, 'c');
      // A child's fields, and its child's, written on each of their lines.
      logger.child({ request: { headers: { cookie: 'secret-6' } } }).child({ ctx: { a: { b: { headers: { authorization: 'secret-7' } } } } }).warn('d');
      const written = lines.join('');
      expect(written).not.toMatch(/secret/);
      expect(written).toContain('[IncomingMessage]');
      expect(written).toContain('x/y');
      expect(written).toMatch(/"?statusCode"?: ?401/);
      if (pretty) continue;
      const [first, second, third, fourth] = lines.map((line) => JSON.parse(line));
      expect(first.upstream).toEqual({ attempt: { last: { req: '[IncomingMessage]' } } });
      const { rawHeaders, headers } = second.reason.response.body;
      expect(rawHeaders.slice(rawHeaders.indexOf('authorization'), rawHeaders.indexOf('authorization') + 2)).toEqual(['authorization', '[redacted]']);
      expect(rawHeaders).toContain('x/y');
      expect(headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]', 'x-amz-security-token': '[redacted]', accept: 'x/y' });
      expect(third.a.b.c.d.headers).toEqual({ 'Set-Cookie': '[redacted]', 'Proxy-Authorization': '[redacted]' });
      expect(fourth).toMatchObject({ request: { headers: { cookie: '[redacted]' } }, ctx: { a: { b: { headers: { authorization: '[redacted]' } } } } });
    }
    // The objects logged are left as they were.
    expect(req.headers.authorization).toBe('Bearer secret-1');
  });

  // pino writes an object it cannot serialize as a marker: censoring every field must not make the call throw instead.
  test('a field whose getter throws is written as a marker, the rest of the line kept', () => {
    const { lines, logger } = loggedLines(false);
    logger.warn({ response: { status: 401, get body(): unknown { throw new Error('body used already'); } } }, 'refused');
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'refused', response: { status: 401, body: '[unreadable: body used already]' } });
  });

  // A list of 2 million items took a second to log.
  test('a long list under any field keeps its first 100 items and says how many it left out', () => {
    const { lines, logger } = loggedLines(false);
    logger.warn({ report: { keys: Array.from({ length: 2_000_000 }, (_, i) => `k${i}`) } }, 'long');
    expect(JSON.parse(lines[0]).report.keys).toEqual([...Array.from({ length: 100 }, (_, i) => `k${i}`), '… 1999900 more items']);
  });

  // pino formats these into msg itself, past the log formatter that censors a line's fields.
  test('an object a printf-style message formats (%o, %O, %j, %s) is censored and capped as a field is', () => {
    for (const pretty of [false, true]) {
      const { lines, logger } = loggedLines(pretty);
      const request = () => ({ url: '/reports', headers: { authorization: 'Bearer secret-1', accept: 'x/y' } });
      // A class whose text is its JSON: %s writes String(value).
      class Described {
        headers = { cookie: 'secret-2' };
        toString() {
          return JSON.stringify(this);
        }
      }
      logger.info('request %o', request());
      logger.warn({ job: 'ingest' }, 'request %O then %j', request(), request());
      logger.child({ source: 's3://logs' }).error('described %s', new Described());
      logger.info('long %j', { keys: Array.from({ length: 2_000_000 }, (_, i) => `k${i}`) });
      const written = lines.join('\n');
      expect(written).not.toContain('secret');
      expect(written).toContain('/reports');
      expect(written).toContain('x/y');
      expect(written).toContain('redacted');
      expect(written).toContain('… 1999900 more items');
      if (pretty) continue;
      const [first, second, , fourth] = lines.map((line) => JSON.parse(line));
      expect(first.msg).toBe('request {"url":"/reports","headers":{"authorization":"[redacted]","accept":"x/y"}}');
      expect(second).toMatchObject({ job: 'ingest', msg: expect.stringMatching(/^request \{.*"\[redacted\]".*\} then \{.*"\[redacted\]".*\}$/) });
      expect(fourth.msg.length).toBeLessThan(2_000);
    }
  });

  test('a line keeps its first 100 fields and says how many it left out, as a nested object does', () => {
    const { lines, logger } = loggedLines(false);
    logger.warn(Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`f${i}`, i])), 'wide');
    const line = JSON.parse(lines[0]);
    expect(Object.keys(line).filter((key) => /^f\d+$/.test(key))).toEqual(Array.from({ length: 100 }, (_, i) => `f${i}`));
    expect(line).toMatchObject({ msg: 'wide', level: 'warn', '…': '… 150 more fields' });
    // A line of 100 fields is written whole.
    logger.warn(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, i])), 'full');
    expect(JSON.parse(lines[1])).not.toHaveProperty('…');
    expect(JSON.parse(lines[1]).f99).toBe(99);
  });

  test('JSON lines give the message of every cause, a text cause and an AggregateError\'s errors too, escaped as the outer one', () => {
    const { lines, logger } = loggedLines(false);
    const text = 'no such key logs/a\r\n{"level":"info"}\u0085\u202e';
    logger.error({ err: new Error('ingest\nfailed', { cause: new Error('batch 3\u009b', { cause: text }) }) }, 'ingest failed');
    // Node's fetch when each of a host's addresses refused.
    const refusals = [new Error('connect ECONNREFUSED ::1:9\u2066'), new Error('connect ECONNREFUSED 127.0.0.1:9', { cause: 'port\nclosed' })];
    logger.error(new TypeError('fetch failed', { cause: new AggregateError(refusals) }));
    expect(lines).toHaveLength(2);
    // eslint-disable-next-line no-control-regex -- the characters this checks for
    for (const line of lines) expect(line.trimEnd()).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const [chain, fetchFailed] = lines.map((line) => JSON.parse(line).err);
    expect(chain.message).toBe(`ingest\nfailed: batch 3\u009b: ${text}`);
    expect(chain.stack).toMatch(/^Error: ingest\nfailed\n[^]*\ncaused by: Error: batch 3\u009b\n[^]*\ncaused by: no such key logs\/a\r\n/);
    expect(chain.stack.endsWith(`\ncaused by: ${text}`)).toBe(true);
    expect(fetchFailed.message).toBe('fetch failed: [connect ECONNREFUSED ::1:9\u2066; connect ECONNREFUSED 127.0.0.1:9: port\nclosed]');
  });

  test('readable lines keep a cause given as text, escaped', () => {
    const { lines, logger } = loggedLines(true);
    logger.error({ err: new Error('ingest failed', { cause: new Error('batch 3', { cause: 'no such key\r\n[12:00:00] INFO: all clear\u202e' }) }) }, 'ingest');
    const printed = lines.join('');
    // printable's escapes, their backslashes escaped again by pino-pretty's JSON.
    expect(printed).toContain('"cause": "no such key\\\\r\\\\n[12:00:00] INFO: all clear\\\\u202e"');
    expect(printed).not.toMatch(/[\r\u202e]/);
  });

  test('readable lines print an error\'s message and stack escaped: no escape sequence, override or forged line reaches the terminal', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: true, write: (line) => lines.push(line) });
    // An S3 key or a caller's errorMessage: a window title and a line erase, a right-to-left override, a forged line.
    const hostile = 'no such key logs/\x1b]0;owned\x07\x1b[2K\u202egol.txt\r\n[12:00:00] INFO: all clear\x9b';
    const err = new Error(hostile);
    logger.error({ err, key: hostile }, 'ingest failed');
    logger.error(err);
    const printed = lines.join('');
    // The colours pino-pretty adds are the only escapes left; every line but the stacks' frames starts with a time or
    // is indented under its error.
    // eslint-disable-next-line no-control-regex -- the characters this checks for
    expect(printed.replace(/\x1b\[\d+m/g, '')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const printedLines = printed.split('\n').filter(Boolean);
    expect(printedLines.filter((line) => line.startsWith('['))).toHaveLength(2);
    expect(printedLines.filter((line) => !/^(\[\d\d:\d\d:\d\d\]| {4})/.test(line))).toEqual([]);
    // The forged line stays on the line of the key it came in.
    expect(printedLines.filter((line) => line.includes('all clear') && !line.includes('no such key'))).toEqual([]);
    // Escaped, not dropped: the operator sees what the value held.
    expect(printed).toContain('Error: no such key logs/\\x1b]0;owned\\x07\\x1b[2K\\u202egol.txt\\r\\n[12:00:00] INFO: all clear\\x9b');
  });

  test('readable lines escape the messages of an error\'s causes as its own: an inner message\'s line break forges no line', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: true, write: (line) => lines.push(line) });
    // The S3 error a wrapper's cause holds, two levels down, and a wrapper whose own message breaks a line too.
    const inner = new Error('no such key logs/a\r\n[12:00:00] INFO: all clear\u202e');
    const err = new Error('ingest\nfailed', { cause: new Error('batch 3 of 4', { cause: inner }) });
    logger.error({ err }, 'ingest failed');
    logger.error(err);
    // eslint-disable-next-line no-control-regex -- pino-pretty's colours
    const printedLines = lines.join('').replace(/\x1b\[\d+m/g, '').split('\n');
    expect(printedLines.filter((line) => line.includes('all clear') && !line.includes('no such key'))).toEqual([]);
    expect(printedLines.filter((line) => line.trim().startsWith('failed'))).toEqual([]);
    expect(printedLines.filter((line) => /[\r\u202e]/.test(line))).toEqual([]);
    // Each message is there once per line logged, escaped whole where its stack starts.
    expect(printedLines.filter((line) => line.includes('Error: no such key logs/a\\r\\n[12:00:00] INFO: all clear\\u202e'))).toHaveLength(2);
    expect(printedLines.filter((line) => line.includes('Error: ingest\\nfailed'))).toHaveLength(2);
    expect(printedLines.filter((line) => line.includes('Error: batch 3 of 4'))).toHaveLength(2);
  });

  test("a chain of causes, a field or a message of megabytes is cut in the line, JSON or readable, each string's start kept", () => {
    // A server's error text (an HTML page), and an AggregateError of many such: the chain's message joins them all.
    const page = `<html>${'x'.repeat(20_000)}</html>`;
    const chain = new Error('ingest failed', { cause: new AggregateError(Array.from({ length: 1_000 }, () => new Error(page))) });
    for (const pretty of [false, true]) {
      const { lines, logger } = loggedLines(pretty);
      logger.error({ err: chain }, 'poll failed');
      logger.warn({ key: 'k'.repeat(5_000_000), reasons: ['r'.repeat(1_000_000)] }, `skipped ${'m'.repeat(1_000_000)}`);
      logger.info({ events: 3 }, 'short lines are as they were');
      expect(lines).toHaveLength(3);
      // Some strings, each at most MAX_TEXT_CHARS and the count of what was left out: not 20 MB.
      for (const line of lines.slice(0, 2)) expect(line.length).toBeLessThan(100_000);
      expect(lines.join('')).toContain('more characters)');
      if (!pretty) {
        const [failed, skipped, short] = lines.map((line) => JSON.parse(line));
        expect(failed.err.message).toMatch(/^ingest failed: \[<html>x+… \(\d+ more characters\)$/);
        expect(skipped.key).toBe(`${'k'.repeat(8192)}… (4991808 more characters)`);
        expect(skipped.reasons[0]).toMatch(/^r+… \(991808 more characters\)$/);
        expect(skipped.msg).toMatch(/^skipped m+… \(\d+ more characters\)$/);
        expect(short).toMatchObject({ events: 3, msg: 'short lines are as they were' });
      } else {
        expect(lines[0]).toContain('ingest failed');
        expect(lines[2]).toContain('short lines are as they were');
      }
    }
  });

  test('an unknown level says which ones there are', () => {
    process.env.TRAILHOUND_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ pretty: false }))
      .toThrow('TRAILHOUND_LOG_LEVEL=verbose: expected one of trace, debug, info, warn, error, fatal, silent (default: info)');
  });
});
