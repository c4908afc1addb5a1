// How deep a log file's JSON nests, checked before DuckDB reads it: read_json recurses once per level as it turns a
// record into a JSON value (its parse alone, read_json_objects, does not), and overflows its thread's stack on a deep
// one (~17,000 levels with 8 MB stacks, ~2,500 with 1 MB): a segmentation fault, and the service dies again on the
// same file at every restart. The same pass refuses a gzip that unpacks past the loader's limit, whatever its
// trailer says.
import fs from 'node:fs';
import type { ErrorKind } from '../../../model/api';
import { JSON_BYTES, StringEnds } from '../../jsonBytes';
import { openLogFile } from '../../logFileStream';
import { unpackLimit, unpacksTooFar } from '../recordsArray';

const { CLOSE_ARRAY, CLOSE_OBJECT, OPEN_ARRAY, OPEN_OBJECT, QUOTE } = JSON_BYTES;

/** Far deeper than a CloudTrail record nests (a dozen levels), far below where DuckDB's reader crashes. */
export const MAX_NESTING = 1_000;

/**
 * The running nesting depth of JSON fed to it in chunks, brackets in strings aside. Every log file passes through it
 * (1 GB per million events), so it skips strings with StringEnds, not byte by byte.
 */
export class DepthScan {
  private depth = 0;
  private inString = false;
  /** The lists and objects at the top level: 1 in a JSON document, more in documents one after another. */
  documents = 0;
  private readonly strings = new StringEnds();

  constructor(private readonly max: number) {}

  /** Reads the next chunk; true once the depth has gone past max. */
  push(chunk: Uint8Array): boolean {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let i = this.inString ? this.stringEnd(bytes, 0) : 0;
    while (i < bytes.length) {
      const b = bytes[i++];
      if (b === QUOTE) i = this.stringEnd(bytes, i);
      else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (this.depth === 0) this.documents++;
        if (++this.depth > this.max) return true;
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) this.depth--;
    }
    return false;
  }

  /** Where the scan goes on after the string that goes on at `from`: past its closing quote, or the chunk's end. */
  private stringEnd(bytes: Buffer, from: number): number {
    const quote = this.strings.closingQuote(bytes, from);
    this.inString = quote < 0;
    return quote < 0 ? bytes.length : quote + 1;
  }
}

/**
 * What the scan of a file found: nothing wrong, JSON that nests too deep, more bytes than the file may unpack to, or
 * JSON documents one after another (`{"Records": […]}{"Records": […]}`, or in gzip members one after another).
 */
export type ScanVerdict = 'ok' | 'too-deep' | 'unpacks-too-far' | { documents: number };

/**
 * Reads the JSON in `file` (gzip if its name ends in .gz) as DuckDB will: whether it nests deeper than `max` lists and
 * objects, brackets in strings aside, or unpacks past the loader's gzip bomb limit (unpackLimit). A file that is not
 * gzip or not JSON is not this scan's business: 'ok', and the loader says what is wrong with it.
 */
export async function scanLogFile(file: string, max = MAX_NESTING): Promise<ScanVerdict> {
  const limit = unpackLimit(fs.statSync(file).size);
  const stream = openLogFile(file, file.endsWith('.gz'));
  const scan = new DepthScan(max);
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (scan.push(chunk)) return 'too-deep';
      read += chunk.length;
      // A gzip whose trailer lies (its size mod 4 GB looks small) was batched as a small file, and DuckDB unpacked
      // all of it (4 GB: 73 s) before it failed. Past the limit, the scan stops and the file is refused.
      if (read > limit) return 'unpacks-too-far';
    }
  } catch {
    return 'ok';
  } finally {
    stream.destroy();
  }
  return scan.documents > 1 ? { documents: scan.documents } : 'ok';
}

/** Why a fetched file is not given to DuckDB, and the error's kind. */
export interface Refusal {
  reason: string;
  kind: ErrorKind;
}

/**
 * Why the file cannot be read, when its scan (scanLogFile) refuses it; undefined when it does not. The ingest pipeline
 * scans each file as it is fetched, and records a refused one for its ETag. The reason does not name the file: its key
 * is beside it wherever it is shown.
 */
export async function refusalOf(file: string): Promise<Refusal | undefined> {
  const verdict = await scanLogFile(file);
  if (verdict === 'unpacks-too-far') return { reason: unpacksTooFar(fs.statSync(file).size), kind: 'too-big' };
  if (verdict === 'ok') return undefined;
  // DuckDB reads each, numbering each one's records from 0: a record of the second could not be read back by its place.
  if (typeof verdict === 'object') {
    return {
      reason:
        `it is not one JSON document but ${verdict.documents} lists or objects one after another (CloudTrail writes one ` +
        '{"Records": [...]} in each file): files joined into one? Give each its own file; it is read again once it changes',
      kind: 'bad-json',
    };
  }
  return {
    reason:
      `its JSON nests more than ${MAX_NESTING} levels deep (a CloudTrail record nests about a dozen): not read, ` +
      'as DuckDB would crash on it. Remove or replace the file; it is read again once it changes',
    kind: 'unreadable',
  };
}
