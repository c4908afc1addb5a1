import { readHttpAnswer, withoutToken } from './httpAnswer';

const json = (body: object) => JSON.stringify(body);
/** The words of the service's 401, which every version has said (0.1.0 without a code). */
const TOKEN_REFUSED = 'missing or wrong bearer token: send "Authorization: Bearer <token>" (TRAILHOUND_TOKEN, or the token file in the data folder)';
/** A build's 503 while its database opened, before the codes (it said version 0.1.0 too). */
const OPENING = 'the service is opening its database: queries answer in a moment. Try again in a moment (GET /api/health says how far it is)';

test("the service's own answer: its {error} with its code, at any status", () => {
  expect(readHttpAnswer(401, json({ error: TOKEN_REFUSED, code: 'unauthorized' }))).toEqual({
    from: 'service',
    error: TOKEN_REFUSED,
    code: 'unauthorized',
    snippet: expect.any(String),
  });
  expect(readHttpAnswer(503, json({ error: 'upgrading: 40%', code: 'upgrading' }))).toMatchObject({ from: 'service', code: 'upgrading' });
  expect(readHttpAnswer(400, json({ error: 'limit: 0 is not from 1 to 1000', code: 'invalid-request' }))).toMatchObject({ from: 'service' });
  // A code this build does not know is a newer service's.
  expect(readHttpAnswer(502, json({ error: 'a newer error', code: 'not-known-yet' }))).toMatchObject({ from: 'service', code: 'not-known-yet' });
});

test("a service without codes (up to 0.1.0): its {error} alone, and where a proxy answers JSON too (401, 503), only in that service's words", () => {
  expect(readHttpAnswer(401, json({ error: TOKEN_REFUSED }))).toEqual({ from: 'service', error: TOKEN_REFUSED, snippet: expect.any(String) });
  expect(readHttpAnswer(503, json({ error: OPENING }))).toMatchObject({ from: 'service', error: OPENING });
  expect(readHttpAnswer(400, json({ error: 'groupBy: "colour" is not one of service, region' }))).toMatchObject({ from: 'service' });
  expect(readHttpAnswer(404, json({ message: 'Route GET:/api/trails not found', error: 'Not Found', statusCode: 404 }))).toMatchObject({ from: 'service' });
  // Its 504, a query stopped, was worded several ways: any {error} there is still the service's.
  expect(readHttpAnswer(504, json({ error: 'the query took longer than 30s and was stopped; narrow the time range or add filters' }))).toMatchObject({
    from: 'service',
  });
});

test("a proxy's sign-in: a page, or JSON not the service's, at 401 or 403", () => {
  const page = '<html>\n  <body>\n    Sign in to the proxy\n  </body>\n</html>';
  expect(readHttpAnswer(401, page)).toEqual({ from: 'sign-in', snippet: '<html> <body> Sign in to the proxy </body> </html>' });
  expect(readHttpAnswer(403, '')).toEqual({ from: 'sign-in', snippet: '' });
  // JSON without an {error}, without a code in words no service said, or with a code that is not a string (no service's).
  expect(readHttpAnswer(401, json({ message: 'Unauthorized' }))).toMatchObject({ from: 'sign-in', snippet: '{"message":"Unauthorized"}' });
  expect(readHttpAnswer(401, json({ error: 'Unauthorized' }))).toMatchObject({ from: 'sign-in', snippet: '{"error":"Unauthorized"}' });
  expect(readHttpAnswer(401, json({ error: 'Unauthorized', code: 401 }))).toMatchObject({ from: 'sign-in' });
  // The service never answered 403.
  expect(readHttpAnswer(403, json({ error: 'Forbidden' }))).toMatchObject({ from: 'sign-in' });
});

test("a gateway's page: a 502, 503 or 504 that is not the service's", () => {
  for (const status of [502, 503, 504]) {
    expect(readHttpAnswer(status, `<html><body>${status} Bad Gateway</body></html>`)).toEqual({
      from: 'gateway',
      snippet: `<html><body>${status} Bad Gateway</body></html>`,
    });
  }
  expect(readHttpAnswer(503, json({ message: 'Service Unavailable' }))).toMatchObject({ from: 'gateway' });
  expect(readHttpAnswer(503, json({ error: 'Service Unavailable' }))).toMatchObject({ from: 'gateway' });
  expect(readHttpAnswer(502, json({ error: 'upstream connect error' }))).toMatchObject({ from: 'gateway' });
});

test("anything else is not the service's: a page at another status, a 2xx that is not JSON", () => {
  expect(readHttpAnswer(404, '<html>Not here</html>')).toEqual({ from: 'other', snippet: '<html>Not here</html>' });
  expect(readHttpAnswer(200, 'plain text')).toEqual({ from: 'other', snippet: 'plain text' });
  expect(readHttpAnswer(500, json({ message: 'no error field' }))).toMatchObject({ from: 'other' });
});

test('the snippet is the first 120 characters, whitespace folded, and neither it nor the words ever hold the token', () => {
  const long = `<html>${' x\n'.repeat(200)}</html>`;
  const { snippet } = readHttpAnswer(502, long);
  expect(snippet).toHaveLength(120);
  expect(snippet).toBe(`<html>${' x'.repeat(57)}`);
  const token = 'secret-token-1234';
  const echoed = readHttpAnswer(401, `<pre>Authorization: Bearer ${token}</pre>`, token);
  expect(echoed.snippet).toBe('<pre>Authorization: Bearer <token></pre>');
  const said = readHttpAnswer(400, json({ error: `bad header Bearer ${token}`, code: 'invalid-request' }), token);
  expect(said.error).toBe('bad header Bearer <token>');
  // A short token would garble ordinary words: only the header is replaced.
  expect(withoutToken('a b Bearer ab', 'ab')).toBe('a b Bearer <token>');
});
