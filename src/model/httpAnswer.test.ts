import { SERVICE_HEADER } from './api';
import { readHttpAnswer, withoutToken } from './httpAnswer';

const json = (body: object) => JSON.stringify(body);
/** An answer without the service's header: a proxy's own, or a service's from before the header. */
const none = new Headers({ 'content-type': 'application/json' });
/** An answer with it: the service's own, at this version or a newer one. */
const signed = new Headers({ 'content-type': 'application/json', [SERVICE_HEADER]: '0.2.0' });
/** The words of the service's 401, which every version has said (0.1.0 without a code). */
const TOKEN_REFUSED = 'missing or wrong bearer token: send "Authorization: Bearer <token>" (TRAILHOUND_TOKEN, or the token file in the data folder)';
/** A build's 503 while its database opened, before the codes (it said version 0.1.0 too). */
const OPENING = 'the service is opening its database: queries answer in a moment. Try again in a moment (GET /api/health says how far it is)';

test("with the service's header, any {error} is the service's, at any status, whatever its code (a newer service's too)", () => {
  expect(readHttpAnswer(502, signed, json({ error: 'a newer error', code: 'not-known-yet' }))).toEqual({
    from: 'service',
    error: 'a newer error',
    code: 'not-known-yet',
    snippet: expect.any(String),
  });
  expect(readHttpAnswer(403, signed, json({ error: 'a newer refusal', code: 'forbidden' }))).toMatchObject({ from: 'service', code: 'forbidden' });
  expect(readHttpAnswer(504, signed, json({ error: 'stopped in words of a later version' }))).toMatchObject({ from: 'service' });
  // A page is not an {error}, header or not: it is read by its status.
  expect(readHttpAnswer(401, signed, '<html>Sign in</html>')).toMatchObject({ from: 'sign-in' });
});

test("without the header, a code no service before it sent is a proxy's: its {error, code: 'forbidden'} 403 is a sign-in", () => {
  const forbidden = json({ error: 'Forbidden', code: 'forbidden' });
  expect(readHttpAnswer(403, none, forbidden)).toEqual({ from: 'sign-in', snippet: forbidden });
  expect(readHttpAnswer(401, none, json({ error: 'no session', code: 'login_required' }))).toMatchObject({ from: 'sign-in' });
  expect(readHttpAnswer(502, none, json({ error: 'a newer error', code: 'not-known-yet' }))).toMatchObject({ from: 'gateway' });
  expect(readHttpAnswer(400, none, json({ error: 'bad', code: 'BadRequest' }))).toMatchObject({ from: 'other' });
});

test("without the header, a 504's {error} without a code is the service's only in the words its 504s said: a proxy's JSON 504 is a gateway's", () => {
  expect(readHttpAnswer(504, none, json({ error: 'upstream request timeout' }))).toEqual({ from: 'gateway', snippet: '{"error":"upstream request timeout"}' });
  expect(readHttpAnswer(504, none, json({ error: 'Gateway Timeout' }))).toMatchObject({ from: 'gateway' });
  // Each way those services' 504 was worded: a query past its timeout, a request past its deadline.
  const stopped = [
    'the query took longer than 30s and was stopped; narrow the time range or add filters',
    "this request's queries together ran longer than 50s (the most one request may) and were stopped: narrow the time range, add filters, " +
      'or split the queries over panels',
    'this request ran longer than 50s (the most one request may) and was stopped: narrow the time range',
  ];
  for (const error of stopped) expect(readHttpAnswer(504, none, json({ error }))).toMatchObject({ from: 'service', error });
});

test("without the header, the service's own answer before it: its {error} with one of its codes, at any status", () => {
  expect(readHttpAnswer(401, none, json({ error: TOKEN_REFUSED, code: 'unauthorized' }))).toEqual({
    from: 'service',
    error: TOKEN_REFUSED,
    code: 'unauthorized',
    snippet: expect.any(String),
  });
  expect(readHttpAnswer(503, none, json({ error: 'upgrading: 40%', code: 'upgrading' }))).toMatchObject({ from: 'service', code: 'upgrading' });
  expect(readHttpAnswer(400, none, json({ error: 'limit: 0 is not from 1 to 1000', code: 'invalid-request' }))).toMatchObject({ from: 'service' });
});

test("a service without codes (up to 0.1.0): its {error} alone, and where a proxy answers JSON too (401, 503), only in that service's words", () => {
  expect(readHttpAnswer(401, none, json({ error: TOKEN_REFUSED }))).toEqual({ from: 'service', error: TOKEN_REFUSED, snippet: expect.any(String) });
  expect(readHttpAnswer(503, none, json({ error: OPENING }))).toMatchObject({ from: 'service', error: OPENING });
  expect(readHttpAnswer(400, none, json({ error: 'groupBy: "colour" is not one of service, region' }))).toMatchObject({ from: 'service' });
  const fastify404 = json({ message: 'Route GET:/api/trails not found', error: 'Not Found', statusCode: 404 });
  expect(readHttpAnswer(404, none, fastify404)).toMatchObject({ from: 'service' });
});

test("a proxy's sign-in: a page, or JSON not the service's, at 401 or 403", () => {
  const page = '<html>\n  <body>\n    Sign in to the proxy\n  </body>\n</html>';
  expect(readHttpAnswer(401, none, page)).toEqual({ from: 'sign-in', snippet: '<html> <body> Sign in to the proxy </body> </html>' });
  expect(readHttpAnswer(403, none, '')).toEqual({ from: 'sign-in', snippet: '' });
  // JSON without an {error}, without a code in words no service said, or with a code that is not a string (no service's).
  expect(readHttpAnswer(401, none, json({ message: 'Unauthorized' }))).toMatchObject({ from: 'sign-in', snippet: '{"message":"Unauthorized"}' });
  expect(readHttpAnswer(401, none, json({ error: 'Unauthorized' }))).toMatchObject({ from: 'sign-in', snippet: '{"error":"Unauthorized"}' });
  expect(readHttpAnswer(401, none, json({ error: 'Unauthorized', code: 401 }))).toMatchObject({ from: 'sign-in' });
  // The service never answered 403.
  expect(readHttpAnswer(403, none, json({ error: 'Forbidden' }))).toMatchObject({ from: 'sign-in' });
});

test("a gateway's page: a 502, 503 or 504 that is not the service's", () => {
  for (const status of [502, 503, 504]) {
    expect(readHttpAnswer(status, none, `<html><body>${status} Bad Gateway</body></html>`)).toEqual({
      from: 'gateway',
      snippet: `<html><body>${status} Bad Gateway</body></html>`,
    });
  }
  expect(readHttpAnswer(503, none, json({ message: 'Service Unavailable' }))).toMatchObject({ from: 'gateway' });
  expect(readHttpAnswer(503, none, json({ error: 'Service Unavailable' }))).toMatchObject({ from: 'gateway' });
  expect(readHttpAnswer(502, none, json({ error: 'upstream connect error' }))).toMatchObject({ from: 'gateway' });
});

test("anything else is not the service's: a page at another status, a 2xx that is not JSON", () => {
  expect(readHttpAnswer(404, none, '<html>Not here</html>')).toEqual({ from: 'other', snippet: '<html>Not here</html>' });
  expect(readHttpAnswer(200, none, 'plain text')).toEqual({ from: 'other', snippet: 'plain text' });
  expect(readHttpAnswer(500, none, json({ message: 'no error field' }))).toMatchObject({ from: 'other' });
});

test('the snippet is the first 120 characters, whitespace folded, and neither it nor the words ever hold the token', () => {
  const long = `<html>${' x\n'.repeat(200)}</html>`;
  const { snippet } = readHttpAnswer(502, none, long);
  expect(snippet).toHaveLength(120);
  expect(snippet).toBe(`<html>${' x'.repeat(57)}`);
  const token = 'secret-token-1234';
  const echoed = readHttpAnswer(401, none, `<pre>Authorization: Bearer ${token}</pre>`, token);
  expect(echoed.snippet).toBe('<pre>Authorization: Bearer <token></pre>');
  const said = readHttpAnswer(400, none, json({ error: `bad header Bearer ${token}`, code: 'invalid-request' }), token);
  expect(said.error).toBe('bad header Bearer <token>');
  // A short token would garble ordinary words: only the header is replaced.
  expect(withoutToken('a b Bearer ab', 'ab')).toBe('a b Bearer <token>');
});
