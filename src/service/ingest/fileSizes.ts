// How big a log file is once unpacked, and the sizes loading goes by: which file is big (a batch of its own, read
// record by record) and the largest JSON value DuckDB's reader is given. Apart from loader.ts because the batching
// (index.ts) and the judging of a bad file (fileFailures.ts) go by them too.
import fs from 'node:fs';

/**
 * DuckDB's maximum_object_size for every read: a whole file of up to 8 MB, or one record of a bigger one. Never more:
 * DuckDB sizes its read buffers by it (twice this, per thread, counted in its memory limit and never spilled), and a
 * 2 GB value took 2 GB of RSS and failed the run. Its reader takes a value up to that buffer (32 MiB), not only to this.
 */
export const MAX_OBJECT_SIZE = 16 * 1024 * 1024;
/**
 * A file bigger than this (uncompressed) is a batch of its own (ingest/index.ts), and is staged record by record
 * (recordsArray.ts): DuckDB sizes its reader's buffer for a batch by the largest file in it. It is kept as a file of
 * its own too (keepOriginals), not as one value in Parquet, which DuckDB would hold whole.
 */
export const BIG_FILE_BYTES = 8 * 1024 * 1024;
/**
 * A staged file is read in pieces of about this many bytes, one statement each (recordsArray.ts): what DuckDB takes to
 * read and normalise a chunk of up to 2048 records grows with its bytes (~10× for long strings, none of it spilled).
 * At 224 MB, 1000 records of 20 KB read as one chunk ran out of memory; in pieces of 4 MB a staged load peaks at
 * 95–141 MiB, of 8 MB at up to 188 MiB.
 */
export const STAGED_PIECE_BYTES = 4 * 1024 * 1024;

const MAX_DEFLATE_RATIO = 1032;

/** Uncompressed size of a file on disk: gzip's trailer holds it (mod 2^32), plain JSON is its own size. */
export function uncompressedSize(file: string): number {
  const size = fs.statSync(file).size;
  if (!file.endsWith('.gz') || size < 18) {
    return size;
  }
  const fd = fs.openSync(file, 'r');
  try {
    const trailer = Buffer.alloc(4);
    fs.readSync(fd, trailer, 0, 4, size - 4);
    // A trailer can lie (corrupt file, > 4 GiB): never trust it below the compressed size, nor above what deflate
    // can reach (at most 1032 bytes out per byte in).
    return Math.min(Math.max(trailer.readUInt32LE(0), size), size * MAX_DEFLATE_RATIO);
  } finally {
    fs.closeSync(fd);
  }
}
