import { withoutSecrets } from './redacted';

test("secret headers are censored at any depth a log reads, in any case, and other values are kept as they are", () => {
  const value = { err: { cause: { response: { headers: { Authorization: 'Bearer secret', 'content-type': 'text/plain' } } } } };
  expect(withoutSecrets(value)).toEqual({ err: { cause: { response: { headers: { Authorization: '[redacted]', 'content-type': 'text/plain' } } } } });
  const plain = { a: [1, { b: 'c' }] };
  expect(withoutSecrets(plain)).toBe(plain);
});

// A nest of 20 000 levels overflowed the stack: the log call threw RangeError, where pino alone writes "[Object]".
test('a value nested deeper than a log reads is cut there, not walked, and no secret below the cut is written', () => {
  const deep: Record<string, unknown> = {};
  let inner = deep;
  for (let level = 0; level < 20_000; level++) inner = inner.next = {};
  inner.headers = { cookie: 'secret' };
  const said = JSON.stringify(withoutSecrets(deep));
  expect(said).toContain('"[Object]"');
  expect(said).not.toContain('secret');
  expect(said.split('next').length - 1).toBe(32);
});

// A list of 2 million items took 1 s to log in the service and 8 s a line in the plugin backend.
test('a long list or an object of many fields keeps its first 100 and says how many it left out, its secrets still censored', () => {
  const rawHeaders = ['Cookie', 'a=secret-1', ...Array.from({ length: 2_000_000 }, (_, i) => `x-${i}`)];
  const fields = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`f${i}`, { headers: { authorization: `secret-${i}` } }]));
  const value = { response: { rawHeaders }, fields, bytes: Buffer.alloc(2_000_000), small: Buffer.from('ab') };
  const said = withoutSecrets(value) as { response: { rawHeaders: string[] }; fields: Record<string, unknown>; bytes: unknown; small: unknown };
  expect(said.response.rawHeaders).toHaveLength(101);
  expect(said.response.rawHeaders.slice(0, 3)).toEqual(['Cookie', '[redacted]', 'x-0']);
  expect(said.response.rawHeaders[100]).toBe('… 1999902 more items');
  expect(Object.keys(said.fields)).toHaveLength(101);
  expect(said.fields.f99).toEqual({ headers: { authorization: '[redacted]' } });
  expect(said.fields['…']).toBe('… 150 more fields');
  expect(said.bytes).toBe('[Buffer of 2000000 bytes]');
  expect(said.small).toBe(value.small);
  expect(JSON.stringify(said)).not.toMatch(/secret/);
  // A list no longer than that comes back as it went in.
  const short = [1, 2, 3];
  expect(withoutSecrets(short)).toBe(short);
});

// Every field of a log line is walked: a getter that throws made the log call throw, where pino writes a marker.
test('a field whose getter throws is a marker that says why', () => {
  const odd = { status: 401, get body(): unknown { throw new Error('body used already'); } };
  expect(withoutSecrets({ response: odd })).toEqual({ response: { status: 401, body: '[unreadable: body used already]' } });
});
