// Reads records out of a big kept log file (over 8 MB unpacked: kept as a file of its own, see ingest/loader.ts)
// as a stream, holding one record at a time: JSON.parse of a 335 MB file took the service from 145 MB to 1.7 GB
// of RSS for one event's details, and a file of a million records does not even fit in one string.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { RecordBoundaries } from '../jsonBytes';
import { recordsArrayStart } from '../ingest/recordsArray';
import { isGzip, openLogFile } from '../logFileStream';
import { parseAsDuckDb } from './duckDbJson';

/** One record of a CloudTrail log file, as delivered. */
export type CloudTrailRecord = Record<string, unknown>;

/** A kept log file: its bytes (from a Parquet file of the originals folder), or the path of a big file kept as a file of its own. */
export type KeptFile = Uint8Array | { path: string };

/** A kept log file's JSON, gzip or plain, as bytes. */
function unpacked(content: Uint8Array): Buffer {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return isGzip(bytes) ? zlib.gunzipSync(bytes) : bytes;
}

/** The records of a kept log file read whole (gzip or plain), as delivered: `{"Records": [...]}`, or an array. */
function recordsOf(content: Uint8Array, parse: (text: string) => unknown): CloudTrailRecord[] {
  // A leading byte-order mark, which ingestion accepts, is no part of the JSON.
  const text = unpacked(content).toString('utf8').replace(/^\uFEFF/, '');
  const parsed = parse(text) as { Records?: unknown };
  return Array.isArray(parsed) ? parsed : Array.isArray(parsed.Records) ? parsed.Records : [];
}

/** A kept log file that cannot be read whole: cut short (its Records array not closed, its gzip stream ended early) or corrupt. */
export class DamagedLogFileError extends Error {
  constructor(readonly file: string, readonly why: string) {
    super(`${file} is damaged: ${why}`);
    this.name = 'DamagedLogFileError';
  }
}

/**
 * Streams `file` (gzip or plain) and passes each record of its Records array, as JSON text, to `visit` when
 * `wanted(index)` says so; `visit` returns true to stop there. False when the file is not {"Records": [...]}
 * (nothing was visited): such a file was at most 16 MB when ingested, and can be read whole. When `signal` aborts (its
 * request was stopped), the scan stops with the signal's reason: a million records take seconds to read for nobody.
 * A file that ends inside its Records array, or whose gzip stream is cut or corrupt, throws DamagedLogFileError once
 * the records before the damage are visited: its last records would otherwise be silently missing.
 */
export async function scanRecords(
  file: string,
  wanted: (index: number) => boolean,
  visit: (index: number, text: Buffer) => boolean,
  signal?: AbortSignal
): Promise<boolean> {
  signal?.throwIfAborted();
  const fd = fs.openSync(file, 'r');
  const magic = Buffer.alloc(2);
  let read: number;
  try {
    read = fs.readSync(fd, magic, 0, 2, 0);
  } catch (err) {
    // Not yet the stream's, which closes it from here on.
    fs.closeSync(fd);
    throw err;
  }
  const stream = openLogFile(file, isGzip(magic.subarray(0, read)), fd);
  // Destroyed with the reason, the stream's iteration throws it, even while it waits for the next piece.
  const stop = () => stream.destroy(signal?.reason);
  signal?.addEventListener('abort', stop);
  try {
    return await scanPieces(stream as AsyncIterable<Buffer>, file, wanted, visit, signal);
  } catch (err) {
    // zlib's errors (Z_BUF_ERROR: "unexpected end of file", Z_DATA_ERROR): a gzip file cut short or corrupt.
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new DamagedLogFileError(file, `its gzip stream is cut short or corrupt (${(err as Error).message})`);
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
    stream.destroy();
  }
}

/** scanRecords of a file's unpacked JSON, in pieces as they come (`file` names it in a DamagedLogFileError). */
async function scanPieces(
  pieces: AsyncIterable<Buffer> | Iterable<Buffer>,
  file: string,
  wanted: (index: number) => boolean,
  visit: (index: number, text: Buffer) => boolean,
  signal?: AbortSignal
): Promise<boolean> {
  let head: Buffer | undefined = Buffer.alloc(0);
  const records = new RecordBoundaries();
  let index = 0;
  /** Whether the record being read is wanted: its bytes so far, from chunks before, are in `parts`. */
  let capturing = false;
  let parts: Buffer[] = [];
  for await (const piece of pieces) {
    let chunk = piece;
    if (head) {
      // CloudTrail's layout, as the ingestion's records copy expects it.
      const seen = Buffer.concat([head, chunk]);
      const open = recordsArrayStart(seen);
      if (open === 'other-layout') return false;
      if (open === 'need-more') {
        head = seen;
        continue;
      }
      head = undefined;
      chunk = seen.subarray(open);
    }
    // Where the wanted record's bytes begin in this chunk.
    let from = 0;
    const stopped = records.push(chunk, {
      start: (at) => {
        capturing = wanted(index);
        from = at;
      },
      end: (at) => {
        if (!capturing) {
          index++;
          return false;
        }
        capturing = false;
        // Stopped by an earlier visit: not one record more of the piece being read.
        signal?.throwIfAborted();
        parts.push(chunk.subarray(from, at));
        const text = Buffer.concat(parts);
        parts = [];
        return visit(index++, text);
      },
    });
    // A visit stopped it, or Records ended: what follows is the wrapper's closing brace.
    if (stopped || records.closed) return true;
    if (capturing) parts.push(chunk.subarray(from));
  }
  // No "[": not the layout. Past it, the array's closing "]" returns above: the file ends inside its Records.
  if (head === undefined) throw new DamagedLogFileError(file, 'it ends inside its Records array, before the closing "]"');
  return false;
}

/**
 * Reads a kept log file's records in order, and gives each one `wanted(index)` asks for to `visit`, parsed by `parse`
 * (as DuckDB read it when the events were stored: parseAsDuckDb); `visit` returns true to stop there. Only the
 * records wanted are parsed: a file given by its path is streamed a record at a time (scanRecords; `signal` stops it
 * between two records), one given whole is unpacked and scanned so too. One not in CloudTrail's layout (at most 16 MB
 * when ingested) is parsed whole. A damaged file throws (DamagedLogFileError, or JSON's or gzip's
 * error) once the records before the damage are visited.
 */
export async function readRecords(
  file: KeptFile,
  visit: (index: number, record: CloudTrailRecord) => boolean | void,
  wanted: (index: number) => boolean = () => true,
  signal?: AbortSignal,
  parse: (text: string) => unknown = parseAsDuckDb
): Promise<void> {
  const visitText = (i: number, text: Buffer) => visit(i, parse(text.toString('utf8')) as CloudTrailRecord) === true;
  if (!(file instanceof Uint8Array)) {
    if (await scanRecords(file.path, wanted, visitText, signal)) return;
    file = fs.readFileSync(file.path);
  }
  if (await scanPieces([unpacked(file)], 'the kept copy', wanted, visitText, signal)) return;
  const records = recordsOf(file, parse);
  for (let i = 0; i < records.length; i++) if (wanted(i) && visit(i, records[i]) === true) return;
}
