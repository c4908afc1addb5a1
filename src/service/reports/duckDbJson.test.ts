import { DuckDBInstance } from '@duckdb/node-api';
import { parseAsDuckDb } from './duckDbJson';

test('a key given twice keeps its first value, at any depth, where JSON.parse keeps the last', () => {
  const text = '{"eventID": "x1", "eventID": "x2", "userIdentity": {"userName": "u1", "type": "IAMUser", "userName": "u2"}, "n": [1, {"a": 1, "a": 2}]}';
  expect(parseAsDuckDb(text)).toEqual({ eventID: 'x1', userIdentity: { userName: 'u1', type: 'IAMUser' }, n: [1, { a: 1 }] });
  expect(JSON.parse(text).eventID).toBe('x2');
});

test('anything else JSON.parse reads is read as it reads it: escapes, numbers, literals, nesting, __proto__ as a field', () => {
  const samples = [
    '{"a": "\\u00e9\\n\\"\\\\\\/", "b": -1.5e-3, "c": [true, false, null, 0, 12345678901234567890, 1e999], "d": {}, "e": [], "f": "😀 ünï"}',
    ' [ {"x": [[[]]]} , "s", 3 ] ',
    '{"__proto__": {"polluted": true}, "constructor": 1}',
    '"\\ud800 alone"',
    '0',
    `{"deep": ${'['.repeat(500)}${']'.repeat(500)}}`,
    // A string of megabytes (a policy document in requestParameters), and one of escapes: a pattern's backtracking
    // overflowed its stack on them.
    JSON.stringify({ policy: 'x'.repeat(20 * 1024 * 1024), escaped: '"\\'.repeat(1_000_000), last: '\\' }),
  ];
  for (const text of samples) expect(parseAsDuckDb(text)).toEqual(JSON.parse(text));
  const proto = parseAsDuckDb('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  expect(Object.hasOwn(proto, '__proto__')).toBe(true);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

// What DuckDB's reader makes of each, asked of DuckDB itself: the parse must agree with it, not with JSON.parse.
const ACCEPTED_BY_DUCKDB: Array<[string, unknown]> = [
  ['[1, 2,]', [1, 2]],
  ['{"a": 1, "b": [3,],}', { a: 1, b: [3] }],
  ['[NaN, nan, -NaN, Infinity, -Infinity, inf, -INF, INFINITY]', [NaN, NaN, NaN, Infinity, -Infinity, Infinity, -Infinity, Infinity]],
];
const REFUSED_BY_BOTH = ['', '{', '[,]', '{,}', '[1,,2]', '[1 2]', '{"a" 1}', "{'a': 1}", '"tab\there"', '01', '+1', '+inf', '.5', '0x10',
  '{"a": 1} x', '[1] [2]', 'tru', 'nul', 'infinit', '{"a": "\\x"}', '[1] // c', '/* c */ 1'];

test('what DuckDB accepts beyond JSON (NaN, Infinity, a comma after the last item) it reads as DuckDB does', async () => {
  const duckdb = await (await DuckDBInstance.create(':memory:')).connect();
  const readByDuckDb = async (text: string) => {
    try {
      await duckdb.runAndReadAll(`SELECT json_extract($text::VARCHAR::JSON, '$')`, { text });
      return true;
    } catch {
      return false;
    }
  };
  try {
    for (const [text, value] of ACCEPTED_BY_DUCKDB) {
      expect([text, await readByDuckDb(text)]).toEqual([text, true]);
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      expect(parseAsDuckDb(text)).toEqual(value);
    }
    for (const text of REFUSED_BY_BOTH) {
      expect([text, await readByDuckDb(text)]).toEqual([text, false]);
      expect(() => parseAsDuckDb(text)).toThrow(SyntaxError);
    }
  } finally {
    duckdb.closeSync();
  }
});
