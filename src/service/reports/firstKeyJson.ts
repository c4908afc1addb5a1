// JSON read as DuckDB reads it where an object gives a key twice: the first value is the one. JSON.parse keeps the last,
// so a record read back with it could hold another eventID, user or time than the event stored from it (and a lookup
// by its eventID found no record at all). JSON leaves the choice to the parser; a log file that makes it is forged
// or damaged, as CloudTrail writes each key once.

// eslint-disable-next-line no-control-regex -- a JSON string holds no raw control character
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SPACE = /[ \t\n\r]*/y;

/** JSON.parse's value of `text`, but for an object's key given twice, whose first value it keeps. Throws SyntaxError as JSON.parse does. */
export function parseFirstKeyWins(text: string): unknown {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxError(at < text.length ? `Unexpected token in JSON at position ${at}` : 'Unexpected end of JSON input');
  };
  const space = () => {
    SPACE.lastIndex = at;
    SPACE.test(text);
    at = SPACE.lastIndex;
  };
  const token = (pattern: RegExp): string => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (!found) fail();
    at = pattern.lastIndex;
    return found![0];
  };
  const string = () => {
    const quoted = token(STRING);
    return quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
  };
  const expect = (char: string) => {
    space();
    if (text[at] !== char) fail();
    at++;
  };
  const value = (): unknown => {
    space();
    const char = text[at];
    if (char === '{') {
      at++;
      const object: Record<string, unknown> = {};
      space();
      if (text[at] === '}') return at++, object;
      for (;;) {
        space();
        const key = string();
        expect(':');
        const item = value();
        // As JSON.parse makes it: an own field, a key named __proto__ too.
        if (!Object.hasOwn(object, key)) Object.defineProperty(object, key, { value: item, enumerable: true, writable: true, configurable: true });
        space();
        if (text[at] === ',') at++;
        else return expect('}'), object;
      }
    }
    if (char === '[') {
      at++;
      const list: unknown[] = [];
      space();
      if (text[at] === ']') return at++, list;
      for (;;) {
        list.push(value());
        space();
        if (text[at] === ',') at++;
        else return expect(']'), list;
      }
    }
    if (char === '"') return string();
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, at)) return (at += word.length), literal;
    }
    return Number(token(NUMBER));
  };
  const parsed = value();
  space();
  if (at < text.length) fail();
  return parsed;
}
