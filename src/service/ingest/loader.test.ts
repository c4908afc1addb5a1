import { isFileProblem, isOutOfMemory } from './loader';

// Messages as DuckDB words them (seen while testing ingestion of broken files and under memory pressure).
test('errors about a file are told apart from errors about the machine', () => {
  expect(isFileProblem(new Error('Invalid Input Error: Malformed JSON in file "x.json.gz", at byte 15 in record/value 2: unexpected end of data.'))).toBe(true);
  expect(isFileProblem(new Error('Invalid Input Error: Malformed JSON in file "x.json", at byte 71 in record/value 2: invalid UTF-8 encoding in string.'))).toBe(true);
  expect(isFileProblem(new Error('Conversion Error: Type VARCHAR with value "x" can\'t be cast to the destination type MAP'))).toBe(true);
  expect(isFileProblem(new Error('IO Error: Input is not a GZIP stream'))).toBe(true);
  expect(isFileProblem(new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB (2.3 MiB/244.1 MiB used)'))).toBe(false);
  expect(isFileProblem(new Error('IO Error: Could not write file "x.duckdb.wal": No space left on device'))).toBe(false);
  expect(isFileProblem(new Error('INTERRUPT Error: Interrupted!'))).toBe(false);
});

test('out of memory is recognised (the loader then loads the batch in halves)', () => {
  expect(isOutOfMemory(new Error('Out of Memory Error: failed to allocate data of size 16.0 MiB (123.6 MiB/137.3 MiB used)'))).toBe(true);
  expect(isOutOfMemory(new Error('Out of Memory Error: could not allocate block of size 256.0 KiB (121.8 MiB/122.0 MiB used)'))).toBe(true);
  expect(isOutOfMemory(new Error('IO Error: Input is not a GZIP stream'))).toBe(false);
});
