// A big CloudTrail log file, rewritten as the plain JSON array of its records. DuckDB reads `{"Records": [...]}` as
// one row holding every record at once (a 35 MB file needs more than 256 MB), but reads a top-level array record by
// record, in bounded memory. The rewrite streams: gunzip, drop the `{"Records":` head and the closing `}`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

const HEAD = /^\s*\{\s*"Records"\s*:\s*$/;
const TAIL = /\]\s*\}\s*$/;
/** Bytes kept back at the end, to find the closing brace once the stream ends. */
const TAIL_BYTES = 64;

class NotRecordsOnly extends Error {}

/** Passes the bytes from the Records array's `[` to its `]`; fails when the file is not exactly {"Records": [...]}. */
class StripWrapper extends Transform {
  private head: Buffer | null = Buffer.alloc(0);
  private held = Buffer.alloc(0);

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = chunk;
    if (this.head) {
      const seen = Buffer.concat([this.head, chunk]);
      const open = seen.indexOf(0x5b); // '['
      if (open < 0) {
        if (seen.length > 1024) return done(new NotRecordsOnly());
        this.head = seen;
        return done();
      }
      // The structure characters are ASCII, so latin1 reads them byte for byte.
      if (!HEAD.test(seen.subarray(0, open).toString('latin1'))) return done(new NotRecordsOnly());
      this.head = null;
      data = seen.subarray(open);
    }
    const all = Buffer.concat([this.held, data]);
    const keep = Math.min(TAIL_BYTES, all.length);
    this.held = Buffer.from(all.subarray(all.length - keep));
    this.push(all.subarray(0, all.length - keep));
    done();
  }

  _flush(done: TransformCallback): void {
    const tail = this.held.toString('latin1');
    if (this.head || !TAIL.test(tail)) return done(new NotRecordsOnly());
    this.push(this.held.subarray(0, tail.lastIndexOf('}')));
    done();
  }
}

const isZlibError = (err: unknown): boolean => String((err as { code?: unknown })?.code ?? '').startsWith('Z_');

/** Writes the file's Records array to a temporary file and returns its path; undefined when the file has another shape. */
export async function recordsArrayCopy(file: string): Promise<string | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-records-'));
  const out = path.join(dir, 'records.json');
  try {
    if (file.endsWith('.gz')) await pipeline(fs.createReadStream(file), zlib.createGunzip(), new StripWrapper(), fs.createWriteStream(out));
    else await pipeline(fs.createReadStream(file), new StripWrapper(), fs.createWriteStream(out));
    return out;
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    // Another shape, or any gzip fault (zlib's codes all start Z_: bad header, method, checksum, length …): the
    // regular path loads it, or records why it cannot.
    if (err instanceof NotRecordsOnly || isZlibError(err) || /unexpected end/i.test(String(err))) return undefined;
    throw err;
  }
}

/** Removes a copy made by recordsArrayCopy. */
export function removeRecordsArrayCopy(copy: string): void {
  fs.rmSync(path.dirname(copy), { recursive: true, force: true });
}
