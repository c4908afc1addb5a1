// The record boundaries of a JSON array fed in chunks: wherever the chunks cut (in a string, in an escape, between
// records), each record is exactly the bytes JSON.parse reads as that element of the array.
import { RecordBoundaries } from './jsonBytes';

const records: unknown[] = [
  { note: '"]},{[', back: '\\', quoted: '\\"', nested: [[1, [2, []]], [], {}], empty: [] },
  'a string, with ] and [ and \\ and " in it',
  42,
  null,
  true,
  -1.5e3,
  [],
  {},
  [[[]]],
  ['[', ']', ',', '{', '}'],
  '\\\\"',
];

/** The array as files hold it: compact, pretty-printed, or with odd whitespace around every value and comma. */
const layouts: Array<[string, unknown[], string]> = [
  ['compact', records, JSON.stringify(records)],
  ['pretty-printed', records, JSON.stringify(records, null, 2)],
  ['spaced', records, `[ \n\t${records.map((r) => JSON.stringify(r)).join(' \r\n, \t')}\n ]`],
  ['one record', [records[0]], JSON.stringify([records[0]])],
  ['empty', [], '[]'],
  ['empty, spaced', [], '[ \n ]'],
];

interface Found {
  starts: number[];
  ends: number[];
  closed: boolean;
}

/** The boundaries found in `bytes` fed as chunks cut at `cuts`, as indexes into the whole. */
function scanned(bytes: Buffer, cuts: number[]): Found {
  const scan = new RecordBoundaries();
  const found: Found = { starts: [], ends: [], closed: false };
  const ends = [...cuts, bytes.length];
  ends.forEach((end, k) => {
    const offset = k === 0 ? 0 : ends[k - 1];
    const chunk = bytes.subarray(offset, end);
    scan.push(chunk, {
      start: (at) => found.starts.push(offset + at),
      end: (at) => {
        found.ends.push(offset + at);
        return false;
      },
    });
  });
  found.closed = scan.closed;
  return found;
}

test.each(layouts)('%s: each record is the bytes of one element, wherever the chunks cut', (_name, expected, text) => {
  // What follows the array (the wrapper's closing brace, and anything after it) is not looked at.
  const bytes = Buffer.from(`${text}\n} [1, 2]`);
  const whole = scanned(bytes, []);
  expect(whole.closed).toBe(true);
  expect(whole.starts.length).toBe(expected.length);
  expect(whole.ends.length).toBe(expected.length);
  expected.forEach((record, k) => {
    const [start, end] = [whole.starts[k], whole.ends[k]];
    // A record starts at its first byte, and ends at the comma after it, or at the array's closing bracket.
    expect(/\s/.test(String.fromCharCode(bytes[start]))).toBe(false);
    expect(String.fromCharCode(bytes[end])).toBe(k === expected.length - 1 ? ']' : ',');
    expect(JSON.parse(bytes.subarray(start, end).toString('utf8'))).toEqual(record);
  });
  expect(whole.ends.slice(-1)).toEqual(expected.length ? [text.length - 1] : []);
  for (let at = 0; at <= bytes.length; at++) expect(scanned(bytes, [at])).toEqual(whole);
  // A byte at a time: every escape and every run of backslashes ends a chunk; empty chunks between them change nothing.
  expect(scanned(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(whole);
  expect(scanned(bytes, Array.from({ length: bytes.length * 2 }, (_, i) => i >> 1))).toEqual(whole);
});

test('every two cuts in a record of escapes and brackets read as the whole does', () => {
  const bytes = Buffer.from(JSON.stringify([{ a: '\\"]\\\\', b: [[], ['",']] }, '\\']));
  const whole = scanned(bytes, []);
  expect(whole).toEqual({ starts: [1, bytes.indexOf(',"\\\\"]') + 1], ends: [bytes.indexOf(',"\\\\"]'), bytes.length - 1], closed: true });
  for (let a = 0; a <= bytes.length; a++) for (let b = a; b <= bytes.length; b++) expect(scanned(bytes, [a, b])).toEqual(whole);
});

test('an array cut short leaves its last record open, and is not closed', () => {
  const text = JSON.stringify(records);
  const cut = Buffer.from(text.slice(0, text.lastIndexOf(',') + 5));
  const found = scanned(cut, []);
  expect(found.closed).toBe(false);
  expect(found.starts.length).toBe(records.length);
  expect(found.ends.length).toBe(records.length - 1);
});

test('a visitor that answers true stops the scan at that record end: no record after it is told', () => {
  const bytes = Buffer.from(JSON.stringify(records));
  const scan = new RecordBoundaries();
  const starts: number[] = [];
  const ends: number[] = [];
  const stopped = scan.push(bytes, { start: (at) => starts.push(at), end: (at) => ends.push(at) === 3 });
  expect({ stopped, starts: starts.length, ends: ends.length, closed: scan.closed }).toEqual({ stopped: true, starts: 3, ends: 3, closed: false });
});
