// A log file's bytes as a stream, unpacked, for what reads log files in Node without holding them whole: the nesting
// scan (ingest/sources/nesting.ts), the records copy (ingest/recordsArray.ts), the look at a failed file
// (ingest/fileFailures.ts) and the record scan (reports/recordScan.ts); and isGzip, how they and the sources
// (isGzipFile) tell gzip from plain JSON by its first bytes.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Read and unpack in big chunks: with zlib's default 16 kB ones, the streams' overhead costs more than the work (an 85 MB records copy took twice as long). */
export const CHUNK_BYTES = 256 * 1024;

/** Whether `head`, a file's first bytes, starts as every gzip stream does (0x1f 0x8b, RFC 1952): the bytes decide, not the name. */
export const isGzip = (head: Uint8Array) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** JSON's first byte when a log file starts as JSON: a byte-order mark and whitespace before it. */
const JSON_START = /^(\xef\xbb\xbf)?[ \t\r\n]*[{[]/;

/**
 * Whether a log file is gzip: by its first bytes where they say so plainly (gzip's, or JSON's `{` or `[`), else by its
 * name. A browser unpacks a download whose Content-Encoding is gzip and keeps its .json.gz name; a copy tool may keep
 * a gzip under a .json name. Bytes that are neither go by the name, for the reader to refuse in its words (not gzip).
 */
export function isGzipFile(file: string): boolean {
  const head = Buffer.alloc(64);
  const fd = fs.openSync(file, 'r');
  try {
    const read = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0));
    if (isGzip(read)) return true;
    if (JSON_START.test(read.toString('latin1'))) return false;
  } finally {
    fs.closeSync(fd);
  }
  return file.endsWith('.gz');
}

/**
 * The bytes of `file`, gunzipped when `gzip`; `fd`, when given, is a descriptor already open on it, which the stream
 * then owns. A read error comes out of the returned stream, which pipe() would not pass on (a file the service's user
 * may not read threw in no one's hands, and the process died on it at every poll), and destroying it closes the file.
 */
export function openLogFile(file: string, gzip: boolean, fd?: number): Readable {
  const input = fs.createReadStream(file, { fd, highWaterMark: CHUNK_BYTES });
  if (!gzip) return input;
  const unpacked = input.pipe(zlib.createGunzip({ chunkSize: CHUNK_BYTES }));
  input.on('error', (err) => unpacked.destroy(err));
  unpacked.on('close', () => input.destroy());
  return unpacked;
}
