// JSON read back as DuckDB's reader (yyjson) read it when the events were stored, where the two differ:
// - a key given twice in an object: DuckDB takes the first value, JSON.parse the last. Read back with JSON.parse, a
//   record could hold another eventID, user or time than the event stored from it (and a lookup by its eventID found
//   no record at all);
// - NaN, Infinity and inf (either case, with a minus too) as numbers, and a comma after the last item of a list or
//   object: DuckDB accepts them, JSON.parse refuses them, and the record of an event that was stored could not be read.
// CloudTrail writes neither: a log file that holds one is forged or damaged.

// eslint-disable-next-line no-control-regex -- a JSON string holds no raw control character
const CONTROL = /[\u0000-\u001f]/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NOT_A_NUMBER = /(-?)(?:(nan)|infinity|inf)/iy;
const SPACE = /[ \t\n\r]*/y;

/** The value of `text` as DuckDB reads it (see above). Throws a SyntaxError, as JSON.parse does, on what DuckDB refuses too. */
export function parseAsDuckDb(text: string): unknown {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxError(at < text.length ? `Unexpected token in JSON at position ${at}` : 'Unexpected end of JSON input');
  };
  const space = () => {
    SPACE.lastIndex = at;
    SPACE.test(text);
    at = SPACE.lastIndex;
  };
  const match = (pattern: RegExp): RegExpExecArray | null => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (found) at = pattern.lastIndex;
    return found;
  };
  // By its closing quote (one not escaped), not by a pattern of its characters: a regular expression's backtracking
  // overflowed its stack on a string of megabytes (a policy document in requestParameters).
  const string = () => {
    if (text[at] !== '"') fail();
    let end = at;
    for (;;) {
      end = text.indexOf('"', end + 1);
      if (end < 0) return (at = text.length), fail();
      let backslashes = 0;
      while (text[end - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 0) break;
    }
    const quoted = text.slice(at, end + 1);
    if (CONTROL.test(quoted)) fail();
    at = end + 1;
    // JSON.parse checks its escapes.
    return quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
  };
  const expect = (char: string) => {
    space();
    if (text[at] !== char) fail();
    at++;
  };
  /** After an item and its comma: whether the list or object ends there (a comma after its last item). */
  const endsAfterComma = (close: string) => {
    space();
    if (text[at] !== close) return false;
    at++;
    return true;
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
        if (text[at] !== ',') return expect('}'), object;
        at++;
        if (endsAfterComma('}')) return object;
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
        if (text[at] !== ',') return expect(']'), list;
        at++;
        if (endsAfterComma(']')) return list;
      }
    }
    if (char === '"') return string();
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, at)) return (at += word.length), literal;
    }
    const odd = match(NOT_A_NUMBER);
    if (odd) return odd[2] ? NaN : odd[1] ? -Infinity : Infinity;
    return Number((match(NUMBER) ?? fail())[0]);
  };
  const parsed = value();
  space();
  if (at < text.length) fail();
  return parsed;
}
