// How deep a log file's JSON nests, checked before DuckDB reads it: read_json recurses once per level as it turns a
// record into a JSON value (its parse alone, read_json_objects, does not), and overflows its thread's stack on a deep
// one (~17,000 levels with 8 MB stacks, ~2,500 with 1 MB): a segmentation fault, and the service dies again on the
// same file at every restart.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from '../../jsonBytes';
import { unpackLimit } from '../recordsArray';

/** Far deeper than a CloudTrail record nests (a dozen levels), far below where DuckDB's reader crashes. */
export const MAX_NESTING = 1_000;

/**
 * Whether the JSON in `file` (gzip if its name ends in .gz) nests deeper than `max` lists and objects, brackets in
 * strings aside. A file that is not gzip or not JSON is not this check's business: it answers false, and the loader
 * says what is wrong with it.
 */
export async function nestsTooDeep(file: string, max = MAX_NESTING): Promise<boolean> {
  // Past the loader's gzip bomb limit it refuses the file itself: the scan stops there.
  const limit = unpackLimit(fs.statSync(file).size);
  const input = fs.createReadStream(file);
  const stream = file.endsWith('.gz') ? input.pipe(zlib.createGunzip()) : input;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let i = 0;
      // The next backslash at or after i, found once and kept until passed (-1: none in the chunk).
      let backslash = -2;
      if (escaped && chunk.length > 0) {
        escaped = false;
        i = 1;
      }
      while (i < chunk.length) {
        if (inString) {
          // Most of a log is text: jump to its next quote or backslash (memchr), not byte by byte.
          const quote = chunk.indexOf(QUOTE, i);
          if (backslash !== -1 && backslash < i) backslash = chunk.indexOf(BACKSLASH, i);
          if (backslash !== -1 && (quote === -1 || backslash < quote)) {
            // The escaped byte is skipped, in this chunk or at the start of the next.
            if (backslash + 1 >= chunk.length) escaped = true;
            i = backslash + 2;
          } else if (quote === -1) i = chunk.length;
          else {
            inString = false;
            i = quote + 1;
          }
          continue;
        }
        const b = chunk[i++];
        if (b === QUOTE) inString = true;
        else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
          if (++depth > max) return true;
        } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
      }
      read += chunk.length;
      if (read > limit) return false;
    }
  } catch {
    return false;
  } finally {
    input.destroy();
    if (stream !== input) stream.destroy();
  }
  return false;
}

/**
 * Why the file cannot be read, naming it by its key, when its JSON nests too deep for DuckDB (nestsTooDeep); undefined
 * when it does not. The ingest pipeline checks each file as it is fetched, and records such a file for its ETag.
 */
export async function tooDeepReason(file: string, key: string): Promise<string | undefined> {
  if (!(await nestsTooDeep(file))) return undefined;
  return (
    `${key} nests its JSON more than ${MAX_NESTING} levels deep (a CloudTrail record nests about a dozen): not read, ` +
    'as DuckDB would crash on it. Remove or replace the file; it is read again once it changes'
  );
}
