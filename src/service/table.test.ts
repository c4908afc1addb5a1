import { formatTable, terminalWidth, wrap } from './table';

const MESSAGE = 'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ec2:DescribeSecurityGroups on resource: *';
const ID = '7eac81ab-f569-4faa-8023-16828fe5784b';
const rows = [
  { time: '2026-11-26 18:51', user: 'alice', 'error message': MESSAGE, 'event id': ID },
  { time: '2026-11-26 18:52', user: 'bob', 'error message': '', 'event id': 'cc4df3bf-b815-4628-aa01-d1e8c8c52ad1' },
];
const longest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));
/** The text without its layout: what a wrap may add (line ends, indents) and drop (the space it broke at) removed. */
const bare = (text: string) => text.replace(/\s+/g, '');

test('with no width, or one the table fits, a row a line, each cell whole, as before', () => {
  const whole = formatTable(rows);
  expect(whole.split('\n')).toHaveLength(4);
  expect(whole.split('\n')[2]).toContain(MESSAGE);
  expect(formatTable(rows, longest(whole))).toBe(whole);
  expect(formatTable([{ a: 1, b: 'x' }])).toBe('a  b\n-  -\n1  x');
});

test('wider than the width: the widest cells wrap in their column, the others stay whole on the first line', () => {
  const width = 110;
  const text = formatTable(rows, width);
  const lines = text.split('\n');
  expect(longest(text)).toBeLessThanOrEqual(width);
  expect(lines[0]).toMatch(/^time +user +error message +event id$/);
  const column = lines[0].indexOf('error message');
  const idColumn = lines[0].indexOf('event id');
  // The message over several lines, in its column; the first row's other cells on its first line.
  const first = lines.slice(2, lines.findIndex((l) => l.startsWith('2026-11-26 18:52')));
  expect(first.length).toBeGreaterThan(1);
  expect(first[0].startsWith('2026-11-26 18:51  alice')).toBe(true);
  expect(first[0].slice(idColumn)).toBe(ID);
  expect(first.slice(1).every((l) => l.slice(0, column).trim() === '')).toBe(true);
  expect(first.map((l) => l.slice(column, idColumn).trim()).join(' ')).toBe(MESSAGE);
  // The event id is narrower than a cut column ever is: whole.
  expect(text).toContain('cc4df3bf-b815-4628-aa01-d1e8c8c52ad1');
});

test('too narrow for any column to keep 20 characters: each row a record, its long values wrapped, nothing left out', () => {
  const width = 60;
  const text = formatTable(rows, width);
  expect(longest(text)).toBeLessThanOrEqual(width);
  const lines = text.split('\n');
  expect(lines[0]).toBe('-[ 1 ]');
  expect(lines[1]).toBe('time           2026-11-26 18:51');
  expect(lines).toContain('event id       7eac81ab-f569-4faa-8023-16828fe5784b');
  // The message's lines: the first after its name, the others under it.
  const at = lines.findIndex((l) => l.startsWith('error message  '));
  const end = lines.findIndex((l, i) => i > at && !l.startsWith(' '.repeat(15)));
  const message = lines.slice(at, end);
  expect(message.length).toBeGreaterThan(2);
  expect(message.map((l) => l.slice(15)).join(' ')).toBe(MESSAGE);
  expect(lines).toContain('-[ 2 ]');
  // An empty value: its name alone.
  expect(lines.filter((l) => l === 'error message')).toHaveLength(1);
  expect(bare(text)).toContain(bare(MESSAGE));
});

test('wrap breaks at a space, else after a / - _ , : ; or =, else anywhere; it keeps every character but the spaces it breaks at', () => {
  expect(wrap('is not authorized to perform', 12)).toEqual(['is not', 'authorized', 'to perform']);
  expect(wrap('AWSLogs/111122223333/CloudTrail/us-east-1/x.json.gz', 22)).toEqual(['AWSLogs/111122223333/', 'CloudTrail/us-east-1/', 'x.json.gz']);
  expect(wrap('abcdefghijklmnop', 6)).toEqual(['abcdef', 'ghijkl', 'mnop']);
  expect(wrap('two\nlines', 20)).toEqual(['two', 'lines']);
  expect(wrap('', 5)).toEqual(['']);
  expect(wrap('exactly10!', 10)).toEqual(['exactly10!']);
  for (const width of [5, 9, 13, 21, 40]) {
    const parts = wrap(MESSAGE, width);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(width);
    expect(bare(parts.join(''))).toBe(bare(MESSAGE));
  }
});

test("the width is the terminal's (100 when it says none); piped, none, so that each row stays whole on its line", () => {
  expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
  expect(terminalWidth({ isTTY: true, columns: 0 })).toBe(100);
  expect(terminalWidth({ isTTY: true })).toBe(100);
  expect(terminalWidth({ isTTY: false, columns: 80 })).toBeUndefined();
  expect(terminalWidth({})).toBeUndefined();
});

test('a column of numbers (counts) is right-aligned, its heading too, wrapped or not; a column that mixes in text is not', () => {
  const counts = [
    { user: 'alice', events: 7, note: 'x' },
    { user: 'bob', events: 12_345_678, note: 'y' },
    { user: 'carol', events: null, note: 3 },
  ];
  expect(formatTable(counts).split('\n')).toEqual([
    'user     events  note',
    '-----  --------  ----',
    'alice         7  x',
    'bob    12345678  y',
    'carol            3',
  ]);
  // Wrapped: each line of a wrapped row keeps the number's column right-aligned; the message wraps beside it.
  const wide = [{ 'error message': MESSAGE, events: 3 }, { 'error message': 'short', events: 1200 }];
  const lines = formatTable(wide, 60).split('\n');
  expect(longest(lines.join('\n'))).toBeLessThanOrEqual(60);
  expect(lines[0]).toMatch(/^error message +events$/);
  const end = lines[0].length;
  expect(lines[2].endsWith('     3')).toBe(true);
  expect(lines[2]).toHaveLength(end);
  expect(lines.find((l) => l.startsWith('short'))).toMatch(/^short +1200$/);
  expect(lines.find((l) => l.startsWith('short'))).toHaveLength(end);
});

test('wide characters (CJK, emoji) take two columns of the terminal: fitted, no line is wider, and no character is cut in two', () => {
  // S3 keys, resource names and user agents may hold any Unicode.
  const key = 'logs/' + '日本語のキー'.repeat(8);
  const text = formatTable([{ key, name: 'x'.repeat(30) }, { key: 'a', name: 'b' }], 60);
  const columns = (line: string) => [...line].reduce((sum, c) => sum + (/[\u3000-\u9fff]/.test(c) ? 2 : 1), 0);
  expect(Math.max(...text.split('\n').map(columns))).toBeLessThanOrEqual(60);
  expect(bare(text).replace(/x+/g, '')).toContain(bare(key));
  // The second column starts at the same terminal column on every line that has it.
  const starts = text.split('\n').filter((l) => /(x|b|name)$/.test(l)).map((l) => columns(l.replace(/(x+|b|name)$/, '')));
  expect(new Set(starts).size).toBe(1);

  const emoji = '😀'.repeat(15);
  const parts = wrap(emoji, 21);
  expect(parts.join('')).toBe(emoji);
  expect(parts.every((p) => !/[\ud800-\udfff]/.test(p.replace(/😀/g, '')))).toBe(true);
  expect(Math.max(...parts.map((p) => [...p].length * 2))).toBeLessThanOrEqual(21);
  // A letter with its combining accent stays whole.
  expect(wrap('e\u0301'.repeat(6), 3)).toEqual(['e\u0301e\u0301e\u0301', 'e\u0301e\u0301e\u0301']);
});

test("a cell's control characters are printed as escapes: CloudTrail text cannot drive the terminal or forge a row", () => {
  // An errorMessage or a resource name echoes what the caller sent, which any principal of the organization chooses:
  // ESC sequences (colours, the window title, OSC 52 writing the clipboard), a carriage return or a line break.
  const hostile = [
    { user: 'mallory', 'error message': 'denied\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2K\rok', 'event id': 'a' },
    { user: 'eve\u202egnp.exe', 'error message': 'x\n2026-11-26 18:52  alice  (none)\u009b31m', 'event id': 'b' },
  ];
  for (const text of [formatTable(hostile), formatTable(hostile, 40), formatTable(hostile, 200)]) {
    expect(text.replaceAll('\n', '')).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
  }
  // A row a line, as without them: the line break in the message forged none.
  const whole = formatTable(hostile).split('\n');
  expect(whole).toHaveLength(4);
  expect(whole[2]).toContain('denied\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b[2K\\rok');
  expect(whole[3]).toContain('eve\\u202egnp.exe');
  expect(whole[3]).toContain('x\\n2026-11-26 18:52  alice  (none)\\x9b31m');
  // Headings too: a time series' groups are user names.
  expect(formatTable([{ ['\x1b[8mhidden']: 1 }])).toContain('\\x1b[8mhidden');
});
