import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { tempDir } from '../../../../tests/support/temp';
import { DepthScan, scanLogFile } from './nesting';

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const nestsTooDeep = async (file: string, max?: number) => (await scanLogFile(file, max)) === 'too-deep';

const write = (name: string, content: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

test('counts lists and objects, not brackets in strings, escaped quotes and backslashes included', async () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
  expect(await nestsTooDeep(write('at.json', nested(10)), 10)).toBe(false);
  expect(await nestsTooDeep(write('over.json', nested(11)), 10)).toBe(true);
  // In strings: an escaped quote does not end one, an escaped backslash before a quote does.
  expect(await nestsTooDeep(write('strings.json', JSON.stringify({ a: '[[[[\\"[[[[{{{{', b: '\\', c: '[[[[[[[[[[[[' })), 2)).toBe(false);
  expect(await nestsTooDeep(write('after.json', `${JSON.stringify({ a: 'x\\' })}`.replace(/}$/, ',"b":[[[]]]}')), 2)).toBe(true);
  // A backslash that ends a read's chunk (256 kB) escapes the quote that starts the next.
  expect(await nestsTooDeep(write('boundary.json', `["${'a'.repeat(262_141)}\\"[[[["]`), 1)).toBe(false);
  // Siblings are not deeper than one of them.
  expect(await nestsTooDeep(write('siblings.json', `[${Array(50).fill(nested(5)).join(',')}]`), 6)).toBe(false);
});

test('gzip is read unpacked, across chunks; a file that is not gzip or not JSON is left to the loader', async () => {
  expect(await scanLogFile(write('ok.json.gz', zlib.gzipSync(JSON.stringify({ Records: [{ a: [1, { b: 2 }] }] }))))).toBe('ok');
  const deep = '{"a":'.repeat(3_000) + '1' + '}'.repeat(3_000);
  expect(await nestsTooDeep(write('deep.json.gz', zlib.gzipSync(`${' '.repeat(200_000)}${deep}`)))).toBe(true);
  expect(await nestsTooDeep(write('flat.json.gz', zlib.gzipSync(JSON.stringify({ Records: [{ a: 1 }] }))))).toBe(false);
  expect(await nestsTooDeep(write('broken.json.gz', 'not gzip at all'))).toBe(false);
  expect(await nestsTooDeep(write('text.json', '<html>[[[['))).toBe(false);
  // One that cannot be read at all (here a folder; for the service, a file its user may not read): left to the loader
  // too. Its read error went nowhere through the gunzip, and was an uncaught exception that ended the process.
  fs.mkdirSync(path.join(dir, 'folder.json.gz'));
  expect(await scanLogFile(path.join(dir, 'folder.json.gz'))).toBe('ok');
});

/** How deep a JSON value nests, by JSON.parse: the scan's answer to match. */
const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

test('a scan fed in chunks split anywhere, even inside a run of backslashes, counts as one fed the whole', () => {
  const docs = [
    { a: ['x\\', '\\\\', '\\"[[', 'q\\\\\\"{{'], b: { c: [[['"]"', '}}}']]] } },
    ['\\', ['\\\\\\', [{ '[{"': '\\\\' }]]],
    { Records: [{ requestParameters: { policy: '{"Statement":[{"Effect":"Allow"}]}' } }, null, 'a]b}'] },
  ];
  for (const doc of docs) {
    const bytes = Buffer.from(JSON.stringify(doc));
    const depth = depthOf(doc);
    const scanned = (max: number, at: number[]) => {
      const scan = new DepthScan(max);
      return [0, ...at, bytes.length].slice(1).some((end, i, ends) => scan.push(bytes.subarray(i === 0 ? 0 : ends[i - 1], end)));
    };
    for (let at = 0; at <= bytes.length; at++) {
      expect([scanned(depth, [at]), scanned(depth - 1, [at])]).toEqual([false, true]);
    }
    // A byte at a time: every backslash run ends a chunk.
    const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
    expect([scanned(depth, everyByte), scanned(depth - 1, everyByte)]).toEqual([false, true]);
    // Empty chunks between them, as plain Uint8Array views into a larger buffer (not Buffers): the same.
    const viewed = (max: number) => {
      const scan = new DepthScan(max);
      const padded = new Uint8Array(bytes.length + 8);
      padded.set(bytes, 4);
      return everyByte.some((i) => scan.push(new Uint8Array(padded.buffer, 4 + i, 0)) || scan.push(new Uint8Array(padded.buffer, 4 + i, 1)));
    };
    expect([viewed(depth), viewed(depth - 1)]).toEqual([false, true]);
  }
});

test('a gzip that unpacks past 100× its size (64 MB at least) is refused, whatever its trailer says', async () => {
  // 65 MB of spaces in ~65 kB, and a trailer that says the file unpacks to 1 kB, as one over 4 GB seems to (its size mod 2³²).
  const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"Records": ['), Buffer.alloc(65 * 1024 * 1024, ' '), Buffer.from(']}')]));
  bomb.writeUInt32LE(1024, bomb.length - 4);
  expect(await scanLogFile(write('lying.json.gz', bomb))).toBe('unpacks-too-far');
  // Under the limit (63 MB of spaces): not this scan's business.
  const under = zlib.gzipSync(Buffer.alloc(63 * 1024 * 1024, ' '));
  expect(await scanLogFile(write('under.json.gz', under))).toBe('ok');
});

test('JSON documents one after another, plain or in gzip members, are found: one document, however nested or spaced, is not', async () => {
  const doc = JSON.stringify({ Records: [{ eventID: 'a', list: [[1], { b: '}{][' }] }] });
  expect(await scanLogFile(write('one.json', `\n ${doc} \n`))).toBe('ok');
  expect(await scanLogFile(write('array.json', JSON.stringify([{ a: 1 }, { b: [2] }])))).toBe('ok');
  expect(await scanLogFile(write('two.json', `${doc}\n${doc}`))).toEqual({ documents: 2 });
  expect(await scanLogFile(write('arrays.json', '[{"a": 1}][{"a": 2}][]'))).toEqual({ documents: 3 });
  expect(await scanLogFile(write('members.json.gz', Buffer.concat([zlib.gzipSync(doc), zlib.gzipSync(doc)])))).toEqual({ documents: 2 });
  // One document in two gzip members is one document.
  expect(await scanLogFile(write('split.json.gz', Buffer.concat([zlib.gzipSync(doc.slice(0, 20)), zlib.gzipSync(doc.slice(20))])))).toBe('ok');
});
