import { chainMessage } from './errorChain';

test("an AggregateError's errors in brackets: a cause's always, the error's own when asked (pino's lines give those apart)", () => {
  const refused = new AggregateError([new Error('connect ECONNREFUSED ::1:9'), new Error('connect ECONNREFUSED 127.0.0.1:9', { cause: 'closed' })]);
  expect(chainMessage(new TypeError('fetch failed', { cause: refused })))
    .toBe('fetch failed: [connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127.0.0.1:9: closed]');
  const both = new AggregateError([new Error('a'), new AggregateError([new Error('b1'), new Error('b2')], 'b')], 'two failed');
  expect(chainMessage(both)).toBe('two failed');
  // A member that is an AggregateError gives its own errors too.
  expect(chainMessage(both, true)).toBe('two failed [a; b [b1; b2]]');
});

// A logger that wrote such a chain threw RangeError (the stack's size) instead of logging the line.
test('a member whose causes lead back to an error around it ends there, once written', () => {
  const member = new Error('member');
  const all = new AggregateError([member], 'all');
  const outer = new Error('outer', { cause: all });
  member.cause = outer;
  expect(chainMessage(outer)).toBe('outer: all [member]');
  const itself = new AggregateError([], 'itself');
  itself.errors.push(itself);
  expect(chainMessage(itself, true)).toBe('itself');
  const looped = new Error('a', { cause: new Error('b') });
  (looped.cause as Error).cause = looped;
  expect(chainMessage(looped)).toBe('a: b');
});

// Promise.any([p, p]) holds one error twice: a nest of such pairs doubled the text at each level (25 levels: 77 s).
test('an error met again is its message alone, so a nest of shared pairs stays short', () => {
  let nest: Error = new Error('leaf');
  for (let level = 0; level < 40; level++) nest = new AggregateError([nest, nest], `level ${level}`);
  const said = chainMessage(new Error('outer', { cause: nest }));
  expect(said.length).toBeLessThan(2000);
  expect(said).toMatch(/^outer: level 39 \[level 38 \[level 37 .*\]; level 38\]$/);
  expect(said).toContain('[leaf; leaf]');
});
