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
