// A big CloudTrail log file, rewritten as the plain JSON array of its records. DuckDB reads `{"Records": [...]}` as
// one row holding every record at once (a 35 MB file needs more than 256 MB), but reads a top-level array record by
// record, in bounded memory. The rewrite streams: gunzip, drop the `{"Records":` head and the closing `}`, and cut the
// array into pieces of a few MB (STAGED_PIECE_BYTES).
import fs from 'node:fs';
import path from 'node:path';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { messageOf } from '../../model/errorMessage';
import { diskFullIn } from '../errorKind';
import { sizeText } from '../counted';
import { JSON_BYTES, RecordBoundaries } from '../jsonBytes';
import { openLogFile } from '../logFileStream';
import { STAGED_PIECE_BYTES } from './fileSizes';

const { OPEN_ARRAY } = JSON_BYTES;

/** What comes before the Records array's `[` in CloudTrail's layout, and the most bytes looked at to find it. */
const HEAD = /^\s*\{\s*"Records"\s*:\s*$/;
const MAX_HEAD_BYTES = 1024;
const TAIL = /\]\s*\}\s*$/;
/** Bytes kept back at the end, to find the closing brace once the stream ends. */
const TAIL_BYTES = 64;

class NotRecordsOnly extends Error {}

/**
 * Where the Records array opens (its `[`) in the first bytes of a file in CloudTrail's layout: 'other-layout' when
 * something else comes before it, 'need-more' when these bytes are too few to say. For the records copy and for the
 * stream that reads a big kept file's records (reports/recordScan.ts), which go by the same layout.
 */
export function recordsArrayStart(head: Buffer): number | 'need-more' | 'other-layout' {
  const open = head.indexOf(OPEN_ARRAY);
  if (open < 0) return head.length > MAX_HEAD_BYTES ? 'other-layout' : 'need-more';
  // The structure characters are ASCII, so latin1 reads them byte for byte.
  return HEAD.test(head.subarray(0, open).toString('latin1')) ? open : 'other-layout';
}

/** A file refused for what it is, not for a fault of the machine: the loader records it in ingest_errors with this message. */
export class UnreadableLogFile extends Error {
  /** Every refusal here is of a file too big for what it is (ErrorKind). */
  readonly kind = 'too-big';
}

/**
 * The most a file may unpack to: CloudTrail's logs unpack to about 10× their gzip size, and even a file of a million
 * records to about 1 GB. A gzip that unpacks further is refused once it has, before it fills the disk (its copy is
 * written there) or takes minutes: past 4 GB whatever its size, and past 100× its size once over 64 MB.
 */
export const MAX_UNPACKED_BYTES = 4 * 1024 ** 3;
const MAX_UNPACK_RATIO = 100;
const RATIO_FROM_BYTES = 64 * 1024 * 1024;

export function unpackLimit(compressedBytes: number): number {
  return Math.min(MAX_UNPACKED_BYTES, Math.max(RATIO_FROM_BYTES, compressedBytes * MAX_UNPACK_RATIO));
}

/** Why a file that unpacks past unpackLimit is refused: for the staging copy here, and for the check of every file as it is fetched (sources/nesting.ts). */
export function unpacksTooFar(compressedBytes: number): string {
  const limit = unpackLimit(compressedBytes);
  const why =
    limit === MAX_UNPACKED_BYTES ? `more than ${sizeText(limit)}` : `more than ${sizeText(limit)}, over ${MAX_UNPACK_RATIO}× its ${sizeText(compressedBytes)}`;
  return (
    `it unpacks to ${why}: not a CloudTrail log file (they unpack to about 10× their size), or a gzip bomb. ` +
    'Remove it from the source, or split it into smaller files of {"Records": [...]}'
  );
}

/** Counts the bytes passing through, and fails once they exceed the limit. */
export class UnpackLimit extends Transform {
  private seen = 0;

  constructor(private readonly compressedBytes: number) {
    super();
  }

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen <= unpackLimit(this.compressedBytes)) return done(null, chunk);
    done(new UnreadableLogFile(unpacksTooFar(this.compressedBytes)));
  }
}

/** Passes the bytes from the Records array's `[` to its `]`; fails when the file is not exactly {"Records": [...]}. */
class StripWrapper extends Transform {
  private head: Buffer | null = Buffer.alloc(0);
  private held = Buffer.alloc(0);

  _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = chunk;
    if (this.head) {
      const seen = Buffer.concat([this.head, chunk]);
      const open = recordsArrayStart(seen);
      if (open === 'other-layout') return done(new NotRecordsOnly());
      if (open === 'need-more') {
        this.head = seen;
        return done();
      }
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

/** A staged file: its Records array as JSON arrays of consecutive records, each with its first record's index. */
export interface StagedRecords {
  dir: string;
  pieces: Array<{ path: string; first: number }>;
  /** How many records the array holds: the last piece's end. */
  records: number;
}

/**
 * Writes the array it is given (`[...]`, from StripWrapper) as pieces of whole records, each a JSON array, cut at the
 * first record boundary once a piece holds STAGED_PIECE_BYTES. DuckDB parses and normalises a chunk of up to 2048
 * records at a time, and what a chunk takes grows with its bytes (fileSizes.ts); a piece is at most one chunk's worth.
 */
class RecordPieces extends Writable {
  readonly pieces: StagedRecords['pieces'] = [];
  private fd = -1;
  private pieceBytes = 0;
  private readonly boundaries = new RecordBoundaries();
  /** Records seen so far: at the end, all of them. */
  records = 0;

  constructor(private readonly dir: string) {
    super();
  }

  _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    try {
      if (this.fd < 0) this.open();
      let from = 0;
      this.boundaries.push(chunk, {
        start: () => this.records++,
        // At a record's comma, the piece ends before it once it is big enough (the array's `]` ends the last piece anyway).
        end: (at) => {
          if (this.boundaries.closed || this.pieceBytes + at - from < STAGED_PIECE_BYTES) return false;
          this.append(chunk.subarray(from, at));
          this.append(Buffer.from(']'));
          fs.closeSync(this.fd);
          this.open();
          this.append(Buffer.from('['));
          from = at + 1;
          return false;
        },
      });
      this.append(chunk.subarray(from));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  _final(done: (err?: Error | null) => void): void {
    this.close();
    done();
  }

  _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.close();
    done(err);
  }

  private open(): void {
    const piece = path.join(this.dir, `records-${this.pieces.length}.json`);
    this.fd = fs.openSync(piece, 'w', 0o600);
    this.pieceBytes = 0;
    this.pieces.push({ path: piece, first: this.records });
  }

  private append(bytes: Buffer): void {
    fs.writeSync(this.fd, bytes);
    this.pieceBytes += bytes.length;
  }

  private close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

const isZlibError = (err: unknown): boolean => String((err as { code?: unknown })?.code ?? '').startsWith('Z_');

/**
 * A new folder for a big temporary copy of a file (this staging, or withValidUnicode's), in `stagingDir`
 * (Database.stagingDir: beside the database, on its disk), which is made its owner's only, as the kept files' folder is.
 */
export function copyFolder(stagingDir: string, prefix: 'trailhound-records-' | 'trailhound-utf8-'): string {
  const made = fs.mkdirSync(stagingDir, { recursive: true, mode: 0o700 });
  try {
    return fs.mkdtempSync(path.join(stagingDir, prefix));
  } catch (err) {
    // No room for the copy's folder (a disk out of inodes): the staging folder made for it must not stay, empty, beside the database.
    if (made !== undefined) removeEmptyFolder(stagingDir);
    throw err;
  }
}

function removeEmptyFolder(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Another copy is in it still (or it is gone already): its remover takes the folder.
  }
}

/** Removes a folder copyFolder made, and the staging folder with it once it holds no other copy: nothing is left beside the database. */
export function removeCopyFolder(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  removeEmptyFolder(path.dirname(dir));
}

/**
 * Writes the file's Records array to temporary files in `stagingDir` (copyFolder), in pieces (RecordPieces); undefined
 * when the file has another shape and `readableWhole` (not over 16 MB unpacked: DuckDB reads it whole), or a gzip
 * fault. A file that unpacks past unpackLimit is an UnreadableLogFile, and so is one of another shape that cannot be
 * read whole.
 */
export async function recordsArrayCopy(file: string, stagingDir: string, readableWhole = true): Promise<StagedRecords | undefined> {
  const dir = copyFolder(stagingDir, 'trailhound-records-');
  const limit = new UnpackLimit(fs.statSync(file).size);
  const pieces = new RecordPieces(dir);
  try {
    await pipeline(openLogFile(file, file.endsWith('.gz')), limit, new StripWrapper(), pieces);
    return { dir, pieces: pieces.pieces, records: pieces.records };
  } catch (err) {
    removeCopyFolder(dir);
    if (err instanceof UnreadableLogFile) throw err;
    if (err instanceof NotRecordsOnly && !readableWhole) {
      // Read whole, DuckDB would unpack all of it only to find a value over its limit (2 GB took a minute, three times).
      throw new UnreadableLogFile(
        'it is over 16 MB unpacked, and not in CloudTrail\'s layout ({"Records": [...]} and nothing else), which a file that big needs ' +
          'to be read record by record: split it into files of {"Records": [...]}'
      );
    }
    // Another shape, or any gzip fault (zlib's codes all start Z_: bad header, method, checksum, length …): the
    // regular path loads it, or records why it cannot.
    if (err instanceof NotRecordsOnly || isZlibError(err) || /unexpected end/i.test(String(err))) return undefined;
    throw diskFullIn(err, dir);
  }
}

/**
 * DuckDB's error about a piece of a staged file, said of the file: the piece (records-N.json, a temporary file no user
 * has seen) is named as the file, and the record DuckDB numbers within the piece (its "record/value") as its
 * place in the file's Records; an error that numbers none says which of the Records the piece holds (fileFailures.ts
 * reasonOf keeps that). DuckDB's words are kept. Any other error is returned as it is.
 */
export function errorOfStagedFile(err: unknown, staged: StagedRecords, file: string): unknown {
  const message = messageOf(err);
  const at = staged.pieces.findIndex((p) => message.includes(p.path));
  if (at < 0) return err;
  const { path: piece, first } = staged.pieces[at];
  const last = (staged.pieces[at + 1]?.first ?? staged.records) - 1;
  const named = message.replaceAll(piece, file);
  // DuckDB (1.5) numbers the values of a JSON array from 2: from 1, and the array itself first (big-files.test.ts checks).
  const value = Number(/\brecord\/value (\d+)/.exec(named)?.[1] ?? NaN);
  const told =
    value >= 2
      ? named.replace(/\brecord\/value \d+/, `Records[${first + value - 2}]`)
      : named.replace(/^[^\n]*/, (line) => (last >= first ? `${line} (reading Records[${first}] to Records[${last}])` : line));
  return new Error(told, { cause: err });
}

/** Removes a copy made by recordsArrayCopy. */
export function removeRecordsArrayCopy(copy: StagedRecords): void {
  removeCopyFolder(copy.dir);
}
