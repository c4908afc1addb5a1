import { DOWNLOAD_FAILED, READ_FAILED } from '../../model/api';
import { failsAnyRead, fileErrorKind, isFileProblem, isInvalidUnicode, LoneHalfEscapes, namedFile, OUT_OF_MEMORY, reasonOf, triedAgain } from './fileFailures';
import { UnreadableLogFile } from './recordsArray';

// Messages as DuckDB words them (seen while testing ingestion of broken files and under memory pressure).
test('errors about a file are told apart from errors about the machine', () => {
  expect(isFileProblem(new Error('Invalid Input Error: Malformed JSON in file "x.json.gz", at byte 15 in record/value 2: unexpected end of data.'))).toBe(true);
  const malformed = 'Invalid Input Error: Malformed JSON in file "x.json", at byte 71 in record/value 2: invalid UTF-8 encoding in string.';
  expect(isFileProblem(new Error(malformed))).toBe(true);
  expect(isFileProblem(new Error('Conversion Error: Type VARCHAR with value "x" can\'t be cast to the destination type MAP'))).toBe(true);
  expect(isFileProblem(new Error('IO Error: Input is not a GZIP stream'))).toBe(true);
  expect(isFileProblem(new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB (2.3 MiB/244.1 MiB used)'))).toBe(false);
  expect(isFileProblem(new Error('IO Error: Could not write file "x.duckdb.wal": No space left on device'))).toBe(false);
  expect(isFileProblem(new Error('INTERRUPT Error: Interrupted!'))).toBe(false);
  // A file that cannot be opened: its name and the statement DuckDB quotes say "json", its content is not the fault.
  const statement = `\n\nLINE 1: SELECT * FROM read_json($files, columns = {Records: 'JSON'}, filename...\n                      ^`;
  expect(isFileProblem(new Error(`IO Error: No files found that match the pattern "/logs/a.json.gz"${statement}`))).toBe(false);
  expect(isFileProblem(new Error('IO Error: Cannot open file "/logs/a.json.gz": Permission denied'))).toBe(false);
  expect(isFileProblem(Object.assign(new Error("EACCES: permission denied, open '/logs/a.json.gz'"), { code: 'EACCES' }))).toBe(false);
});

test("fileErrorKind: the kind of DuckDB's errors (its own words, as it reports them) and of the loader's refusals", () => {
  expect(fileErrorKind(new Error('IO Error: Input is not a GZIP stream: /tmp/x/1.json.gz'))).toBe('bad-gzip');
  const duckdb = (message: string) => fileErrorKind(new Error(`Invalid Input Error: ${message}`));
  expect(duckdb('Malformed JSON in file "x.json.gz", at byte 28 in record/value 2: unexpected end of data.')).toBe('bad-json');
  expect(duckdb('Malformed JSON in file "x.json", at byte 71 in record/value 2: invalid UTF-8 encoding in string.')).toBe('bad-json');
  expect(duckdb('JSON transform error in file "g.json.gz", in record/value 1: Expected ARRAY, but got OBJECT: {"a":1}')).toBe('no-records');
  expect(fileErrorKind(new Error('Invalid Input Error: "maximum_object_size" of 16777216 bytes exceeded while reading file "x.json"'))).toBe('too-big');
  expect(fileErrorKind(new UnreadableLogFile('it unpacks to more than 4096 MB'))).toBe('too-big');
  expect(fileErrorKind(new Error('Out of Memory Error: failed to allocate data of size 16.0 MiB (123.6 MiB/137.3 MiB used)'))).toBe('out-of-memory');
  expect(fileErrorKind(new Error('Binder Error: something else'))).toBe('unreadable');
});

test('namedFile: the file DuckDB names, the longest path before a shorter one (a.json is inside a.json.gz)', () => {
  const files = ['/logs/a [1].json', '/logs/a [1].json.gz', '/logs/b *.json.gz'].map((p) => ({ path: p }));
  const named = (message: string) =>
    namedFile(`Invalid Input Error: Malformed JSON in file "${message}", at byte 1 in record/value 2: invalid literal.`, files)?.path;
  expect(named('/logs/a [1].json.gz')).toBe('/logs/a [1].json.gz');
  expect(named('/logs/a [1].json')).toBe('/logs/a [1].json');
  expect(named('/logs/b *.json.gz')).toBe('/logs/b *.json.gz');
  expect(named('/logs/d.json')).toBeUndefined();
});

test('a JSON value too big for DuckDB: the reason gives the size it refuses (its 32 MiB buffer), not maximum_object_size (a 20 MB record is read)', () => {
  // DuckDB 1.5's words, for a staged piece (errorOfStagedFile adds the records it read) and for a file read whole.
  const piece =
    'Invalid Input Error: "maximum_object_size" of 16777216 bytes exceeded while reading file "/logs/a.json.gz" (>33554417 bytes). ' +
    '(reading Records[0] to Records[100])\n Try increasing "maximum_object_size".';
  expect(reasonOf(new Error(piece), '/logs/a.json.gz')).toBe(
    'a JSON value over 32 MB (reading Records[0] to Records[100]): a file over 8 MB is read record by record, which needs ' +
      'CloudTrail\'s layout ({"Records": [...]} and nothing else), and no record may be over 32 MB (CloudTrail writes none over 256 KB)'
  );
  const whole = 'Invalid Input Error: "maximum_object_size" of 16777216 bytes exceeded while reading file "/logs/b.json" (>50331633 bytes).';
  expect(reasonOf(new Error(whole), '/logs/b.json')).toMatch(/^a JSON value over 48 MB: .* no record may be over 48 MB /);
});

/** Text given to LoneHalfEscapes in the pieces made by cutting it at `cuts`. */
function inPieces(text: string, cuts: number[]): string {
  const halves = new LoneHalfEscapes();
  const bounds = [0, ...cuts, text.length];
  return bounds.slice(1).map((end, i) => halves.push(text.slice(bounds[i], end))).join('') + halves.end();
}

test('LoneHalfEscapes: each escape of half a UTF-16 pair alone is written \\ufffd, a pair and every other escape kept, wherever the pieces break', () => {
  const strings = ['a\ud800b', '\udc00', '\udfff\ud83d', '\ud800\ud800x', 'end\udbff', '\\ud800', '\\\ud800', 'q"\\', 'x'.repeat(20)];
  // As JSON.stringify writes them (the halves as \ud800 escapes), with pairs escaped as ASCII-only writers do.
  const json = JSON.stringify({ s: strings, pair: 'PAIR', last: '\ud800' }).replace('PAIR', '\\ud83d\\ude00\\uD83D\\uDE00');
  expect(json).toContain('"a\\ud800b"');
  const cleaned = inPieces(json, []);
  expect(JSON.parse(cleaned)).toEqual({
    s: ['a\uFFFDb', '\uFFFD', '\uFFFD\uFFFD', '\uFFFD\uFFFDx', 'end\uFFFD', '\\ud800', '\\\uFFFD', 'q"\\', 'x'.repeat(20)],
    pair: '\u{1F600}\u{1F600}',
    last: '\uFFFD',
  });
  expect(cleaned).toHaveLength(json.length);
  // Every cut into two pieces, and into pieces of 1 to 13 characters: the same text.
  for (let i = 0; i <= json.length; i++) expect(inPieces(json, [i])).toBe(cleaned);
  for (let size = 1; size <= 13; size++) {
    const cuts = Array.from({ length: Math.ceil(json.length / size) }, (_, k) => k * size).slice(1);
    expect(inPieces(json, cuts)).toBe(cleaned);
  }
  // Text without escapes comes out as it went in.
  expect(inPieces('{"a":"plain"}', [])).toBe('{"a":"plain"}');
});

test('half a UTF-16 pair alone is a fault the tolerant read gets past; malformed JSON is not', () => {
  const half = 'Invalid Input Error: Malformed JSON in file "x.json", at byte 25 in record/value 2: no low surrogate in string.';
  for (const message of [half, half.replace('no low', 'invalid high'), half.replace('no low', 'invalid low')]) {
    expect(isInvalidUnicode(message)).toBe(true);
    expect(failsAnyRead(new Error(message))).toBe(false);
  }
  const cut = 'Invalid Input Error: Malformed JSON in file "x.json.gz", at byte 15 in record/value 2: unexpected end of data.';
  expect(isInvalidUnicode(cut)).toBe(false);
  expect(failsAnyRead(new Error(cut))).toBe(true);
});

test('triedAgain: a file the ledger fetches or reads again as it is, by the mark its reason starts with, and no other', () => {
  expect(triedAgain(`${OUT_OF_MEMORY}DuckDB's memory limit (128.0 MiB) does not hold this file as DuckDB reads it`)).toBe(true);
  expect(triedAgain(`${DOWNLOAD_FAILED}AccessDenied: User is not authorized to perform: kms:Decrypt`)).toBe(true);
  expect(triedAgain(`${READ_FAILED}EACCES: permission denied`)).toBe(true);
  // Its content's fault: read again only once it changes, whatever words its reason holds further on.
  expect(triedAgain('Input is not a GZIP stream')).toBe(false);
  expect(triedAgain(`Malformed JSON at byte 28: ${OUT_OF_MEMORY}`)).toBe(false);
});
