// The go-plugin start-up contract and the hclog log format, piece by piece.
import { Readable } from 'node:stream';
import {
  APP_PROTOCOL_VERSION,
  handshakeLine,
  hasMagicCookie,
  negotiateVersion,
  portRange,
} from '../../src/backend/handshake';
import { createLogger, formatLine, hclogTimestamp, levelFrom, MAX_LINE_BYTES } from '../../src/backend/log';

test('the magic cookie is grafana_plugin_type=datasource', () => {
  expect(hasMagicCookie({ grafana_plugin_type: 'datasource' })).toBe(true);
  expect(hasMagicCookie({ grafana_plugin_type: 'app' })).toBe(false);
  expect(hasMagicCookie({})).toBe(false);
});

test('protocol version 2 is chosen when the host offers it, or offers nothing', () => {
  expect(APP_PROTOCOL_VERSION).toBe(2);
  expect(negotiateVersion('2')).toEqual({ version: 2, accepted: true, offered: [2] });
  expect(negotiateVersion('1,2,3')).toMatchObject({ version: 2, accepted: true });
  expect(negotiateVersion(undefined)).toMatchObject({ version: 2, accepted: true });
  expect(negotiateVersion('1')).toEqual({ version: 2, accepted: false, offered: [1] });
});

test('one handshake line: core 1, app 2, tcp, address, grpc', () => {
  expect(handshakeLine(2, '127.0.0.1:41234')).toBe('1|2|tcp|127.0.0.1:41234|grpc\n');
});

test("the host's port range is honoured when sane", () => {
  expect(portRange({ PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' })).toEqual({ min: 10000, max: 25000 });
  expect(portRange({ PLUGIN_MIN_PORT: '0', PLUGIN_MAX_PORT: '0' })).toBeUndefined();
  expect(portRange({ PLUGIN_MIN_PORT: '30000', PLUGIN_MAX_PORT: '20000' })).toBeUndefined();
  expect(portRange({})).toBeUndefined();
});

test('hclog timestamps have exactly six fraction digits (Go layout 2006-01-02T15:04:05.000000Z07:00)', () => {
  expect(hclogTimestamp(Date.UTC(2026, 10, 24, 10, 0, 0, 123), 0.4567)).toBe('2026-11-24T10:00:00.123456Z');
  expect(hclogTimestamp(Date.UTC(2026, 0, 1), 0)).toBe('2026-01-01T00:00:00.000000Z');
  expect(hclogTimestamp()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

// go-plugin decodes the line and Grafana writes its text again with C1 and bidi controls raw: they reach it as text.
test("log lines carry C1 and bidi controls as escapes of their own, which Grafana's log shows as written", () => {
  const hostile = 'key\u202etxt.exe\u0085\u009b2J\u007f';
  const line = formatLine('error', `download failed: ${hostile}`, { key: hostile, error: new Error(hostile), n: 3 }, 0);
  expect(line).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  const escaped = 'key\\u202etxt.exe\\u0085\\u009b2J\\u007f';
  expect(JSON.parse(line)).toMatchObject({ '@message': `download failed: ${escaped}`, key: escaped, error: escaped, n: 3 });
});

// go-plugin hands a line's names on as they are, and Grafana writes them unquoted (key=value).
test('a hostile field name forges no field or line: what would break key=value is _, and it replaces no field', () => {
  const hostile = {
    status: 200, 'status 500': 1, 'level=error msg': 2, 'a"b': 3, 'x\n{"@level":"error"}': 4, 'status_500': 5, 'k\u202e': 6, '': 7, __proto__x: 8,
    [`long ${'n'.repeat(70_000)}`]: 9,
  };
  const line = formatLine('info', 'fields', hostile, 0);
  expect(line.split('\n')).toHaveLength(1);
  expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  const parsed = JSON.parse(line);
  const names = Object.keys(parsed).filter((name) => !name.startsWith('@'));
  for (const name of names) expect(name).toMatch(/^[\p{L}\p{N}_.\-…]+$/u);
  expect(parsed).toMatchObject({
    '@level': 'info', '@message': 'fields', status: 200, status_500: 1, 'level_error_msg': 2, a_b: 3, 'x____level___error__': 4,
    status_500_2: 5, k_: 6, _: 7, __proto__x: 8,
  });
  expect(parsed['…']).toBe('1 field left out: the line would be longer than go-plugin reads');
  // A field named as an object's own properties is a field like any other.
  const own = JSON.parse(formatLine('info', 'own', JSON.parse('{"__proto__":{"a":1},"constructor":2}'), 0));
  expect(Object.getOwnPropertyDescriptor(own, '__proto__')?.value).toEqual({ a: 1 });
  expect(own.constructor).toBe(2);
});

// A rejection's reason that is no error, a field that is a list: their text reaches Grafana as the top level's does.
test('log lines escape the controls in strings at any depth of a field, keys too, and still censor its headers', () => {
  const hostile = 'key\u202etxt.exe\u0085\u009b2J\u007f';
  const escaped = 'key\\u202etxt.exe\\u0085\\u009b2J\\u007f';
  const reason = {
    status: 403, body: { message: hostile, [hostile]: [hostile, { deeper: hostile }] }, headers: { cookie: `a=secret-1${hostile}`, via: hostile },
    at: new Date(0), cause: new Error(hostile, { cause: hostile }), bytes: 7n,
  };
  // A toJSON that gives its own object back, which JSON.stringify calls once.
  const own = { text: hostile, toJSON() { return this; } };
  const line = formatLine('error', 'unhandled rejection', { error: reason, keys: [hostile, hostile], own }, 0);
  expect(line).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]|secret/);
  expect(JSON.parse(line)).toMatchObject({
    error: {
      status: 403, body: { message: escaped, [escaped]: [escaped, { deeper: escaped }] }, headers: { cookie: '[redacted]', via: escaped },
      at: '1970-01-01T00:00:00.000Z', cause: `${escaped}: ${escaped}`, bytes: '7',
    },
    keys: [escaped, escaped],
    own: { text: escaped },
  });
  expect(reason.body.message).toBe(hostile);
});

// undici's "fetch failed" says why only in its causes; Grafana's log had the outer words alone.
test("an error field gives its chain's messages: causes, a text cause, an AggregateError's errors, each escaped", () => {
  const refusals = [new Error('connect ECONNREFUSED ::1:9\u2066'), new Error('connect ECONNREFUSED 127.0.0.1:9', { cause: 'port\u0085closed' })];
  const fetchFailed = new TypeError('fetch failed', { cause: new AggregateError(refusals) });
  const chain = new Error('ingest\u202efailed', { cause: new Error('batch 3', { cause: new Error('no such key') }) });
  const all = new AggregateError([chain, new Error('second')], 'two queries failed');
  const fields = (line: string) => JSON.parse(line);
  expect(fields(formatLine('warn', 'query failed', { error: fetchFailed }, 0)).error)
    .toBe('fetch failed: [connect ECONNREFUSED ::1:9\\u2066; connect ECONNREFUSED 127.0.0.1:9: port\\u0085closed]');
  expect(fields(formatLine('warn', 'query failed', { error: chain }, 0)).error).toBe('ingest\\u202efailed: batch 3: no such key');
  // The error's own AggregateError members too: hclog has no field of their own for them.
  expect(fields(formatLine('error', 'unhandled rejection', { error: all }, 0)).error)
    .toBe('two queries failed [ingest\\u202efailed: batch 3: no such key; second]');
});

// go-plugin reads stderr through a 64 KiB buffer: a longer line reaches Grafana's log as pieces of raw text at debug.
test('a line longer than go-plugin reads whole has its longest values cut to fit, the short ones and the level kept', () => {
  const url = `http://127.0.0.1:9/${'a'.repeat(70_000)}`;
  const error = new Error(`cannot reach the Trailhound service at ${url}`, { cause: 'x\u0085'.repeat(50_000) });
  const line = formatLine('warn', 'query failed', { error, queries: 2, url, big: { list: ['\u202e'.repeat(40_000)] } }, 0);
  expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  const parsed = JSON.parse(line);
  expect(parsed).toMatchObject({ '@level': 'warn', '@message': 'query failed', queries: 2 });
  expect(parsed['@timestamp']).toMatch(/^1970-01-01T00:00:00\.\d{6}Z$/);
  expect(parsed.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/a+… \(\d+ more characters\)$/);
  expect(parsed.error).toMatch(/^cannot reach the Trailhound service at http:\/\/127\.0\.0\.1:9\/a+… \(\d+ more characters\)$/);
  // An object is its JSON text, cut: its strings' escapes are text there, their backslashes written again.
  expect(parsed.big).toMatch(/^\{"list":\["(\\\\u202e)+… \(\d+ more characters\)$/);
  // A line that fits is left whole.
  const whole = formatLine('warn', 'query failed', { url: url.slice(0, 60_000) }, 0);
  expect(JSON.parse(whole).url).toBe(url.slice(0, 60_000));
});

// Cutting each value to a few characters still left "name":"x… (n more characters)" for each of thousands of fields.
test('a line of thousands of fields, or of names too long to cut, still fits: the fields that fit are kept, and how many were left out', () => {
  const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`field-${i}`, `value-${i}`]));
  const lines = [
    formatLine('warn', `many ${'\u202e'.repeat(70_000)}`, { error: new Error('x'.repeat(100_000)), ...many }, 0),
    formatLine('warn', 'long names', { queries: 2, ...Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`${i}`.repeat(70_000), 1])) }, 0),
    formatLine('warn', 'one field', { [`\u202e${'k'.repeat(70_000)}`]: 1 }, 0),
  ];
  for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  const [first, second, third] = lines.map((line) => JSON.parse(line));
  expect(first).toMatchObject({ '@level': 'warn', '@timestamp': expect.stringMatching(/^1970-01-01T00:00:00\.\d{6}Z$/), 'field-0': 'value-0' });
  // Cut as text: an escape may be cut in the middle.
  expect(first['@message']).toMatch(/^many [\\u202e]{1019}… \(\d+ more characters\)$/);
  expect(first.error).toMatch(/^x{1024}… \(98976 more characters\)$/);
  const kept = Object.keys(first).filter((key) => key.startsWith('field-')).length;
  expect(kept).toBeGreaterThan(1_000);
  expect(first['…']).toBe(`${5_000 - kept} fields left out: the line would be longer than go-plugin reads`);
  expect(second).toMatchObject({ '@message': 'long names', queries: 2, '…': '3 fields left out: the line would be longer than go-plugin reads' });
  expect(third['…']).toBe('1 field left out: the line would be longer than go-plugin reads');
});

// A list of 2 million items took 8 s a line.
test('a long list, one a toJSON gives too, keeps its first 100 items and says how many it left out', () => {
  const list = Array.from({ length: 2_000_000 }, (_, i) => i);
  const line = formatLine('warn', 'long', { list, given: { toJSON: () => list } }, 0);
  const { list: written, given } = JSON.parse(line);
  expect(written).toEqual([...list.slice(0, 100), '… 1999900 more items']);
  expect(given).toEqual(written);
});

// JSON.stringify throws on a cycle, and a toJSON gives what it likes: a log call must not throw.
test('a value whose toJSON gives a cycle, a new nest at each call, or throws, or a getter that throws, is written with a marker there', () => {
  const cyclic = { toJSON: () => { const made: Record<string, unknown> = { headers: { cookie: 'secret-1' } }; made.self = made; return made; } };
  const nest: { toJSON(): unknown } = { toJSON: () => ({ inner: { toJSON: nest.toJSON } }) };
  const failing = { toJSON: () => { throw new Error('no JSON'); } };
  const unread = { get body(): unknown { throw new Error('gone'); } };
  const line = formatLine('error', 'unhandled rejection', { error: { at: { cyclic }, nest, failing, unread, when: new Date(0) } }, 0);
  expect(line).not.toMatch(/secret/);
  const { error } = JSON.parse(line);
  expect(error.at.cyclic).toEqual({ headers: { cookie: '[redacted]' }, self: '[Circular]' });
  expect(JSON.stringify(error.nest)).toMatch(/^(\{"inner":)+"\[Object\]"\}+$/);
  expect(error.failing).toBe('[toJSON failed: no JSON]');
  expect(error.unread).toEqual({ body: '[unreadable: gone]' });
  expect(error.when).toBe('1970-01-01T00:00:00.000Z');
});

// An unhandled rejection's reason may be any value: a library's answer with its headers, say.
test('log lines write no token or cookie that a value logged holds in its headers, however deep', () => {
  const reason = { status: 401, response: { headers: { Authorization: 'Bearer secret-1', 'set-cookie': ['a=secret-2'], accept: 'x' } } };
  const line = formatLine('error', 'unhandled rejection', { error: reason }, 0);
  expect(line).not.toMatch(/secret/);
  expect(JSON.parse(line).error).toEqual({ status: 401, response: { headers: { Authorization: '[redacted]', 'set-cookie': '[redacted]', accept: 'x' } } });
  expect(reason.response.headers.Authorization).toBe('Bearer secret-1');
});

// A field named headers (or rawHeaders) is headers itself, as in the service's log: its name is the only sign.
test('log lines write no token or cookie of a field that is the headers themselves', () => {
  const fields = { headers: { Authorization: 'Bearer secret-1', accept: 'x' }, rawHeaders: ['Cookie', 'a=secret-2', 'Via', 'y'] };
  const line = formatLine('warn', 'refused', fields, 0);
  expect(line).not.toMatch(/secret/);
  expect(JSON.parse(line)).toMatchObject({ headers: { Authorization: '[redacted]', accept: 'x' }, rawHeaders: ['Cookie', '[redacted]', 'Via', 'y'] });
});

// The copy that takes a secret or a stream out of an error in a value kept only its enumerable fields: no message.
test('an error inside a logged value that holds headers or a stream is still its chain\'s messages', () => {
  const refused = Object.assign(new Error('S3 refused', { cause: new Error('403 Forbidden') }), {
    response: { status: 403, headers: { authorization: 'Bearer secret-1' }, body: new Readable() },
  });
  const line = formatLine('error', 'unhandled rejection', { error: { reason: refused, attempt: 2 } }, 0);
  expect(line).not.toMatch(/secret/);
  expect(JSON.parse(line).error).toEqual({ reason: 'S3 refused: 403 Forbidden', attempt: 2 });
});

test('log lines are hclog JSON: @level, @message, @timestamp, then key/values', () => {
  const line = JSON.parse(formatLine('warn', 'query failed', { error: new Error('refused'), queries: 2, n: 10n, skip: undefined, '@level': 'x' }, 0));
  expect(line).toEqual({
    '@level': 'warn', '@message': 'query failed', '@timestamp': expect.stringMatching(/^1970-01-01T00:00:00\.\d{6}Z$/),
    error: 'refused', queries: 2, n: '10',
  });
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (l) => lines.push(l) });
  logger.debug('hidden');
  logger.info('shown', { a: 1 });
  expect(lines.map((l) => JSON.parse(l)['@message'])).toEqual(['shown']);
  expect(levelFrom('DEBUG')).toBe('debug');
  expect(levelFrom('loud')).toBe('info');
});
