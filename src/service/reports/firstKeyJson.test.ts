import { parseFirstKeyWins } from './firstKeyJson';

test('a key given twice keeps its first value, at any depth, where JSON.parse keeps the last', () => {
  const text = '{"eventID": "x1", "eventID": "x2", "userIdentity": {"userName": "u1", "type": "IAMUser", "userName": "u2"}, "n": [1, {"a": 1, "a": 2}]}';
  expect(parseFirstKeyWins(text)).toEqual({ eventID: 'x1', userIdentity: { userName: 'u1', type: 'IAMUser' }, n: [1, { a: 1 }] });
  expect(JSON.parse(text).eventID).toBe('x2');
});

test('anything else is read as JSON.parse reads it: escapes, numbers, literals, nesting, __proto__ as a field', () => {
  const samples = [
    '{"a": "\\u00e9\\n\\"\\\\\\/", "b": -1.5e-3, "c": [true, false, null, 0, 12345678901234567890], "d": {}, "e": [], "f": "😀 ünï"}',
    ' [ {"x": [[[]]]} , "s", 3 ] ',
    '{"__proto__": {"polluted": true}, "constructor": 1}',
    '"\\ud800 alone"',
    '0',
    `{"deep": ${'['.repeat(500)}${']'.repeat(500)}}`,
  ];
  for (const text of samples) expect(parseFirstKeyWins(text)).toEqual(JSON.parse(text));
  const proto = parseFirstKeyWins('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  expect(Object.hasOwn(proto, '__proto__')).toBe(true);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('what JSON.parse refuses it refuses too, with a SyntaxError', () => {
  for (const text of ['', '{', '{"a": 1,}', '[1, ]', '{"a" 1}', "{'a': 1}", '"tab\there"', '01', 'NaN', '{"a": 1} x', '[1] [2]', 'tru', '{"a": "\\x"}']) {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseFirstKeyWins(text)).toThrow(SyntaxError);
  }
});
