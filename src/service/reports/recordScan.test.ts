// The streaming reader of big kept log files: every record comes out exactly as JSON.parse of the whole file gives it,
// whatever the strings hold and wherever the stream's chunks cut; a file of another layout is left to the whole read.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { tempDir } from '../../../tests/support/temp';
import { CHUNK_BYTES } from '../logFileStream';
import { DamagedLogFileError, scanRecords } from './recordScan';

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Strings with the characters the scanner counts ([ ] { } , and quotes, escaped), multi-byte text, nested lists, and
// sizes that put record boundaries at many places in the stream's chunks.
const records = Array.from({ length: 3_000 }, (_, i) => ({
  eventID: `id-${i}`,
  note: `"]}{[,\\ ${'é😀'.repeat(i % 7)} ${'x'.repeat((i * 37) % 900)}`,
  requestParameters: { items: [[i, { a: ['}', ']'] }], null, true, -1.5e3] },
}));

async function scanned(file: string, wanted: (i: number) => boolean): Promise<{ layout: boolean; seen: Array<[number, unknown]> }> {
  const seen: Array<[number, unknown]> = [];
  const layout = await scanRecords(file, wanted, (i, text) => {
    seen.push([i, JSON.parse(text.toString('utf8'))]);
    return false;
  });
  return { layout, seen };
}

test.each([
  ['gzip', 'all.json.gz', (text: string) => zlib.gzipSync(text)],
  ['plain', 'all.json', (text: string) => Buffer.from(text)],
])('every record of a %s file, as JSON.parse reads the whole', async (_kind, name, encode) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, encode(` \n{ "Records" :\n ${JSON.stringify(records, null, 1)} \n}\n`));
  const { layout, seen } = await scanned(file, () => true);
  expect(layout).toBe(true);
  expect(seen).toEqual(records.map((r, i) => [i, r]));
});

// Strings are skipped to their closing quote a chunk at a time: the end of a chunk may leave a run of backslashes open.
test('a chunk that ends anywhere in a string of escapes reads as the whole file does', async () => {
  const note = '\\\\"\\\\\\"]},{[\\';
  const after = { eventID: 'after', note: '"' };
  for (let at = 0; at <= JSON.stringify(note).length; at++) {
    // The padding puts the first chunk's end `at` bytes into the note's JSON string.
    const head = '{"Records":[{"pad":"", "note":';
    const pad = 'x'.repeat(CHUNK_BYTES - head.length - at);
    const file = path.join(dir, `escapes-${at}.json`);
    fs.writeFileSync(file, `{"Records":[{"pad":"${pad}", "note":${JSON.stringify(note)}},${JSON.stringify(after)}]}`);
    expect((await scanned(file, () => true)).seen).toEqual([[0, { pad, note }], [1, after]]);
  }
});

test('only the wanted records are handed over, and visit can stop the scan', async () => {
  const file = path.join(dir, 'some.json.gz');
  fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ Records: records })));
  expect((await scanned(file, (i) => i === 0 || i === 1_234 || i === 2_999)).seen).toEqual([[0, records[0]], [1_234, records[1_234]], [2_999, records[2_999]]]);
  const visited: number[] = [];
  await scanRecords(file, () => true, (i) => {
    visited.push(i);
    return i === 10;
  });
  expect(visited).toEqual(Array.from({ length: 11 }, (_, i) => i));
});

test.each([
  ['another key first', '{"foo": 1, "Records": [{"eventID": "a"}]}'],
  ['a bare array', '[{"eventID": "a"}]'],
])('%s: not the layout, nothing visited', async (_name, body) => {
  const file = path.join(dir, 'other.json');
  fs.writeFileSync(file, body);
  expect(await scanned(file, () => true)).toEqual({ layout: false, seen: [] });
});

test('empty Records: the layout, with nothing in it', async () => {
  const file = path.join(dir, 'empty.json');
  fs.writeFileSync(file, '{"Records": [ ]}');
  expect(await scanned(file, () => true)).toEqual({ layout: true, seen: [] });
});

test('a stopped signal stops the scan with its reason: mid-file, or before it opens', async () => {
  const file = path.join(dir, 'stopped.json.gz');
  fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ Records: records })));
  const controller = new AbortController();
  const reason = new Error('the request was stopped');
  const visited: number[] = [];
  const scan = scanRecords(file, () => true, (i) => {
    visited.push(i);
    if (i === 10) controller.abort(reason);
    return false;
  }, controller.signal);
  await expect(scan).rejects.toBe(reason);
  expect(visited).toEqual(Array.from({ length: 11 }, (_, i) => i));
  await expect(scanRecords(file, () => true, () => false, controller.signal)).rejects.toBe(reason);
});

test.each([
  ['cut after a record', (whole: string) => whole.slice(0, whole.lastIndexOf(',') + 1)],
  ['cut inside the last record', (whole: string) => whole.slice(0, whole.length - 40)],
  ['cut before the closing "]"', (whole: string) => whole.slice(0, whole.lastIndexOf(']'))],
])('a plain file %s is damaged, not short of a record: the records before the cut are visited first', async (_name, cut) => {
  const file = path.join(dir, 'cut.json');
  const whole = JSON.stringify({ Records: records.slice(0, 50) });
  fs.writeFileSync(file, cut(whole));
  const seen: number[] = [];
  const scan = scanRecords(file, () => true, (i) => {
    seen.push(i);
    return false;
  });
  await expect(scan).rejects.toThrow(new DamagedLogFileError(file, 'it ends inside its Records array, before the closing "]"'));
  expect(seen.length).toBeGreaterThanOrEqual(49);
  expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
});

test('a gzip file cut short is damaged, named with what zlib says', async () => {
  const file = path.join(dir, 'cut.json.gz');
  const whole = zlib.gzipSync(JSON.stringify({ Records: records }));
  fs.writeFileSync(file, whole.subarray(0, whole.length >> 1));
  await expect(scanRecords(file, () => true, () => false))
    .rejects.toThrow(/cut\.json\.gz is damaged: its gzip stream is cut short or corrupt \(unexpected end of file\)$/);
});

// Linux lists a process's open descriptors in /proc/self/fd.
(process.platform === 'linux' ? test : test.skip)('a file that opens but cannot be read (a folder) closes its descriptor', async () => {
  // Counted once the count holds still: a stream a test before destroyed closes its file a moment after its scan
  // failed, which under load came after the first count (one fewer open at the end than at the start).
  const open = async () => {
    for (let n = fs.readdirSync('/proc/self/fd').length; ; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const now = fs.readdirSync('/proc/self/fd').length;
      if (now === n) return n;
      n = now;
    }
  };
  const before = await open();
  for (let i = 0; i < 20; i++) await expect(scanRecords(dir, () => true, () => false)).rejects.toThrow(/EISDIR/);
  expect(await open()).toBe(before);
});
