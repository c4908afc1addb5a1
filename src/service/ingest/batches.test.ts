// How listed log files are grouped into load batches: bounded by files and by (estimated) uncompressed bytes, and
// a big file alone, since DuckDB's reader sizes its buffer for a batch by the largest file in it.
import { batches } from './index';

const ref = (key: string, size: number) => ({ key, size, etag: `"${key}"` });
const keys = (out: Array<Array<{ key: string }>>) => out.map((b) => b.map((r) => r.key));

test('small files fill batches of at most 1000 files', () => {
  const refs = Array.from({ length: 2100 }, (_, i) => ref(`f${i}.json.gz`, 1000));
  expect(batches(refs).map((b) => b.length)).toEqual([1000, 1000, 100]);
});

test('a batch holds at most 256 MB of uncompressed logs (gzip counted ten times its size)', () => {
  const refs = Array.from({ length: 100 }, (_, i) => ref(`f${i}.json.gz`, 800 * 1024)); // ~8 MB each uncompressed
  expect(batches(refs).map((b) => b.length)).toEqual([32, 32, 32, 4]);
});

test('a big file goes alone, ahead of the batch still filling', () => {
  const refs = [ref('a.json.gz', 1000), ref('big.json.gz', 4 * 1024 * 1024), ref('b.json.gz', 1000), ref('plain.json', 9 * 1024 * 1024)];
  expect(keys(batches(refs))).toEqual([['big.json.gz'], ['plain.json'], ['a.json.gz', 'b.json.gz']]);
  expect(keys(batches([ref('big.json.gz', 4 * 1024 * 1024)]))).toEqual([['big.json.gz']]);
});
