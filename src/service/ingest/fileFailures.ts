// A log file that failed to load, judged without the database: whether the fault is the file's or the machine's, its
// reason for a person and its kind (ErrorKind), a gzip cut short, the cheap look in Node that picks a failed batch's
// suspects, and the copy with invalid Unicode replaced that the tolerant read takes; and how ingest_errors marks a file
// that ran out of memory. Apart from loader.ts, which writes batches into DuckDB and calls these on its bad path.
import fs from 'node:fs';
import path from 'node:path';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { FETCH_FAILED_MARKS, type ErrorKind } from '../../model/api';
import { messageOf } from '../../model/errorMessage';
import { diskFullIn, isDiskFull, isOutOfMemory } from '../errorKind';
import { isGzip, openLogFile } from '../logFileStream';
import { BIG_FILE_BYTES, MAX_OBJECT_SIZE } from './fileSizes';
import type { LocalLogFile } from './loader';
import { copyFolder, removeCopyFolder, UnpackLimit, UnreadableLogFile } from './recordsArray';

/** The records of a staged file that DuckDB was reading when it failed, as errorOfStagedFile says them. */
const STAGED_RECORDS = / \(reading Records\[\d+\] to Records\[\d+\]\)/;

/**
 * DuckDB's message without its SQL excerpt: what a person needs to know about the file. Nor its name: the error is of
 * this file read alone, and every place that shows a reason shows its key beside it (report ingest --errors, the API,
 * the log, ingest's warning), so "Input is not a GZIP stream: a.json.gz" said the name twice.
 */
export function reasonOf(err: unknown, file: string): string {
  const message = messageOf(err);
  const name = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message
    .replace(/\n\s*LINE \d+:[\s\S]*$/, '')
    // DuckDB's advice is about its reader's options, which are ours to set, not the user's.
    .replace(/\n\s*Try setting 'auto_detect'[^\n]*/, '')
    .replace(/^(Invalid Input|Conversion|IO|Binder) Error: /, '')
    .replaceAll(file, path.basename(file))
    // The staged or cleaned copy (recordsArray.ts, withValidUnicode) is ours: name the file as delivered.
    .replace(/[^\s"]*trailhound-(records|utf8)-[^/\s"]+\/[\w-]+\.json/g, path.basename(file))
    // 'Malformed JSON in file "a.json.gz", at byte 28 …', 'Input is not a GZIP stream: a.json.gz': the name left out.
    .replace(new RegExp(` in file "${name}",?`, 'g'), '')
    .replace(new RegExp(`: ${name}$`, 'gm'), '')
    // DuckDB's advice to raise maximum_object_size is not the user's to follow. Which records of a staged file it read
    // (errorOfStagedFile) is kept.
    .replace(/"maximum_object_size" of \d+ bytes exceeded[^\n]*(\n.*)?$/s, (m) => {
      const limit = `${Math.round(largestValueRead(m) / 1024 / 1024)} MB`;
      return `a JSON value over ${limit}${STAGED_RECORDS.exec(m)?.[0] ?? ''}: a file over ${BIG_FILE_BYTES / 1024 / 1024} MB is read ` +
        `record by record, which needs CloudTrail's layout ({"Records": [...]} and nothing else), and no record may be over ${limit} ` +
        `(CloudTrail writes none over 256 KB)`;
    })
    .replace(RECORDS_NOT_A_LIST, (_m, type: string, shown: string) => {
      const what = JSON_TYPES[type] ?? `a ${type.toLowerCase()} value`;
      const quoted = type === 'OBJECT' || shown.length > 40 ? '' : ` (${shown})`;
      return `\`Records\` is ${what}${quoted}, not a list of records: not a CloudTrail log file`;
    })
    .trim();
}

/**
 * DuckDB's words for a file whose Records is not a list: "JSON transform error in record/value 1: Expected ARRAY, but got
 * UBIGINT: 3". Always its first JSON value: a file of several is refused before DuckDB reads it (sources/nesting.ts).
 */
const RECORDS_NOT_A_LIST = /^JSON transform error in record\/value 1: Expected ARRAY, but got (\w+): (.*)$/s;
/** DuckDB's JSON types, as a user who wrote the JSON would call them. */
const JSON_TYPES: Record<string, string> = {
  UBIGINT: 'a number', BIGINT: 'a number', HUGEINT: 'a number', UHUGEINT: 'a number', DOUBLE: 'a number', VARCHAR: 'a string',
  BOOLEAN: 'true or false', OBJECT: 'an object',
};

/**
 * The largest JSON value DuckDB's reader took before it failed with "maximum_object_size … exceeded": its buffer, twice
 * maximum_object_size, which its message gives as "(>33554417 bytes)". A value between the two is read (a record of
 * 16–31 MB runs out of memory at the default limit, and is stored with memory enough): it is not what was too big.
 */
function largestValueRead(message: string): number {
  return Number(/\(>(\d+) bytes\)/.exec(message)?.[1] ?? 2 * MAX_OBJECT_SIZE);
}

/**
 * How ingest_errors marks a file that ran out of DuckDB's memory on its own (a record of megabytes): not the file's
 * fault, so it is tried again (ingest/index.ts), but no longer a failed run, which stopped before the files after it,
 * every time. Not at every poll either: each try costs DuckDB's whole memory limit, which the service's queries then
 * wait for. It waits as retryWait says; another memory limit (a restart with more) tries it at once.
 */
export const OUT_OF_MEMORY = 'out of memory: ';

/**
 * SQL over ingest_errors: a file that could not be fetched, by either mark (model/api.ts, which the plugin reads too; a
 * folder's file said download failed before this version). Either is fetched again by key (ingest/index.ts
 * retriesDue), a refused one after its wait.
 */
export const FETCH_FAILED_SQL = `(${FETCH_FAILED_MARKS.map((mark) => `starts_with(reason, '${mark}')`).join(' OR ')})`;

/**
 * Whether a later run tries the file that failed for `reason` again as it is (by the marks the ledger's SQL reads:
 * OUT_OF_MEMORY_DUE, FETCH_FAILED_SQL), not once its content changes: nothing is wrong with the file.
 */
export function triedAgain(reason: string): boolean {
  return [OUT_OF_MEMORY, ...FETCH_FAILED_MARKS].some((mark) => reason.startsWith(mark));
}

/**
 * How long a file waits before its next try after its nth failure (out of memory, or a refused download): 5 minutes,
 * serve's poll, so a failure of a moment (a policy change not yet everywhere) is tried again within two polls; then
 * twice as long after each failure, at most a day, which it reaches after 9 failures: a file that fails for good is
 * tried 9 times in its first day and once a day after, not at each of a day's 288 polls.
 */
export function retryWait(failures: number): number {
  const first = 5 * 60_000;
  return Math.min(first * 2 ** (failures - 1), 24 * 3_600_000);
}

/**
 * SQL over ingest_errors: a file that ran out of memory whose next try has come (its wait is over, it failed at another
 * memory limit, or before version 15, which had no waits).
 */
export const OUT_OF_MEMORY_DUE = `starts_with(reason, '${OUT_OF_MEMORY}')
  AND (retry_at IS NULL OR retry_at <= now()::TIMESTAMP OR memory_limit IS DISTINCT FROM current_setting('memory_limit'))`;

/**
 * The kind of a file's read failure, by DuckDB's error type and what it names (gzip, JSON): its messages carry no codes.
 * fileFailures.test.ts feeds it DuckDB's real errors.
 */
export function fileErrorKind(err: unknown): ErrorKind {
  if (err instanceof UnreadableLogFile) return err.kind;
  if (isOutOfMemory(err)) return 'out-of-memory';
  const message = messageOf(err);
  if (/maximum_object_size/.test(message)) return 'too-big';
  if (/gzip/i.test(message) || String((err as { code?: unknown })?.code ?? '').startsWith('Z_')) return 'bad-gzip';
  // JSON of the wrong shape: Records not a list (DuckDB's "JSON transform error … Expected ARRAY"), not a list of objects.
  if (/JSON transform error|^Conversion Error/.test(message)) return 'no-records';
  if (/JSON|utf-8/i.test(message)) return 'bad-json';
  return 'unreadable';
}

/**
 * zlib's word on a gzip file that DuckDB found to be bad JSON: DuckDB reads what a gzip cut short holds, then says its
 * JSON ends early (a truncated download looked like a bad log file). Node's gunzip checks the stream's end and its
 * checksum: its message when it fails, else undefined (the gzip is whole, and its JSON is what is bad). Unpacked
 * within the staging's limit, never held: only on the bad path.
 */
async function brokenGzip(file: LocalLogFile): Promise<string | undefined> {
  const magic = Buffer.alloc(2);
  const fd = fs.openSync(file.path, 'r');
  try {
    if (!isGzip(magic.subarray(0, fs.readSync(fd, magic, 0, 2, 0)))) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  const size = fs.statSync(file.path).size;
  try {
    // A small file in one call, as looksBad reads it; a big one as a stream, never held.
    if (size <= BIG_FILE_BYTES) await gunzip(await fs.promises.readFile(file.path), { maxOutputLength: 2 * BIG_FILE_BYTES });
    else {
      const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
      await pipeline(openLogFile(file.path, true), new UnpackLimit(size), discard);
    }
    return undefined;
  } catch (err) {
    return zlibFailure(err);
  }
}

/**
 * Whether a file's read failure is its content's for any read: not gzip, or malformed JSON (the same text fails the
 * tolerant read too, which rescues only invalid Unicode and records that are not objects).
 */
export function failsAnyRead(err: unknown): boolean {
  const message = messageOf(err);
  return (/GZIP/i.test(message) || /Malformed JSON/i.test(message)) && !/utf-8|maximum_object_size/i.test(message) && !isInvalidUnicode(message);
}

/**
 * Whether a failed read is of text that is not valid Unicode, which a cleaned copy (withValidUnicode) reads: bytes that
 * are not UTF-8, or a string escape of half a UTF-16 pair alone ("\ud800"), which JSON's grammar allows, JSON.stringify
 * and Python's json.dumps write for a broken string, and DuckDB refuses ("no low surrogate in string").
 */
export function isInvalidUnicode(reason: string): boolean {
  return /invalid UTF-8|surrogate/i.test(reason);
}

const gunzip = promisify(zlib.gunzip);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a file looks like one that fails a batch: not gzip, not JSON (or not strict UTF-8), or Records that is not a
 * list of objects. A cheap look in Node, for a batch that failed only: DuckDB is the judge of what it finds.
 */
export async function looksBad(file: LocalLogFile, gzipVerdicts: GzipVerdicts): Promise<boolean> {
  try {
    const raw = await fs.promises.readFile(file.path);
    // The batch's files are small (BIG_FILE_BYTES, by their trailers); one that unpacks further (a trailer that lies) is
    // a suspect without being held whole here: DuckDB judges it.
    const data = file.path.endsWith('.gz') ? await gunzipJudged(file, raw, gzipVerdicts) : raw;
    const parsed = JSON.parse(strictUtf8.decode(data)) as { Records?: unknown } | null;
    // A top-level list or number makes DuckDB read the batch's files as lists, and its error names a good file.
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) return true;
    const records = parsed?.Records;
    // No Records list at all does not fail a batch (filesWithoutRecords finds it); a Records of the wrong shape does.
    if (records === undefined) return false;
    return !Array.isArray(records) || records.some((r) => r === null || typeof r !== 'object' || Array.isArray(r));
  } catch {
    return true;
  }
}

/**
 * The file of a failed batch that DuckDB's message names: the longest path it holds (a.json is inside a.json.gz). DuckDB
 * names the file it found, not the escaped path it was given (literalPath), so a name with [ * ? is matched as it is.
 */
export function namedFile<F extends { path: string }>(message: string, files: F[]): F | undefined {
  const named = files.filter((f) => message.includes(f.path));
  return named.sort((a, b) => b.path.length - a.path.length)[0];
}

/** What Node's gunzip made of a batch's files, by path: zlib's message when it failed, undefined when the gzip is whole. */
export type GzipVerdicts = Map<string, string | undefined>;

/** zlib's message for a broken gzip (not for a limit of ours, nor a file that could not be read). */
const zlibFailure = (err: unknown): string | undefined =>
  String((err as { code?: unknown })?.code ?? '').startsWith('Z_') ? (err as Error).message : undefined;

/** A batch's file unpacked by looksBad: what zlib found is kept, so that fileFailure does not unpack it again. */
async function gunzipJudged(file: LocalLogFile, raw: Buffer, gzipVerdicts: GzipVerdicts): Promise<Buffer> {
  try {
    const data = await gunzip(raw, { maxOutputLength: 2 * BIG_FILE_BYTES });
    gzipVerdicts.set(file.path, undefined);
    return data;
  } catch (err) {
    if (zlibFailure(err) !== undefined) gzipVerdicts.set(file.path, zlibFailure(err));
    throw err;
  }
}

/**
 * Why a file could not be read, and its kind: a gzip cut short or corrupt (brokenGzip, unless looksBad has found out
 * already) is a bad gzip, whatever DuckDB made of its JSON.
 */
export async function fileFailure(file: LocalLogFile, err: unknown, gzipVerdicts?: GzipVerdicts): Promise<{ reason: string; kind: ErrorKind }> {
  const reason = reasonOf(err, file.path);
  const kind = fileErrorKind(err);
  const known = gzipVerdicts?.has(file.path);
  const gzip = kind !== 'bad-json' ? undefined : known ? gzipVerdicts!.get(file.path) : await brokenGzip(file);
  return gzip === undefined ? { reason, kind } : { reason: `${reason}; the gzip itself is broken (${gzip})`, kind: 'bad-gzip' };
}

/** Errors that describe a file's content (bad gzip, bad JSON, wrong shape), as opposed to the machine's state. */
export function isFileProblem(err: unknown): boolean {
  if (err instanceof UnreadableLogFile) return true;
  // A system error (ENOENT, EACCES: a file gone since it was listed, or not readable by the service's user).
  if (/^E[A-Z]+$/.test(String((err as { code?: unknown })?.code ?? ''))) return false;
  // Without the names it quotes (a.json.gz) and the statement DuckDB cites (read_json(…'JSON'…)): not the file's content.
  const message = messageOf(err).replace(/\n\s*LINE \d+:[\s\S]*$/, '').replace(/"[^"]*"|'[^']*'/g, '""');
  if (isOutOfMemory(err) || /No space left|disk is full|database has been closed|Interrupt/i.test(message)) {
    return false;
  }
  return /^(Invalid Input|Conversion) Error/.test(message) || /gzip|malformed|invalid utf-8|JSON/i.test(message);
}

/**
 * A copy with invalid Unicode replaced by U+FFFD (bytes that are not UTF-8, and escapes of half a UTF-16 pair alone:
 * see isInvalidUnicode), streamed (a file may unpack to GBs, and each bad byte takes 3), within the same unpack limit
 * as staging, in `stagingDir` (Database.stagingDir, beside the database); removeCopyFolder removes its folder.
 * Undefined when the file cannot be copied so (a gzip fault, over the limit): the read of the file as it is says why.
 * A full disk is the run's error, not the file's.
 */
export async function withValidUnicode(file: LocalLogFile, stagingDir: string): Promise<string | undefined> {
  const dir = copyFolder(stagingDir, 'trailhound-utf8-');
  const out = path.join(dir, 'cleaned.json');
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const halves = new LoneHalfEscapes();
  // stream: true keeps a character split across chunks whole.
  const clean = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      done(null, Buffer.from(halves.push(decoder.decode(chunk, { stream: true }))));
    },
    flush(done: TransformCallback) {
      done(null, Buffer.from(halves.push(decoder.decode()) + halves.end()));
    },
  });
  try {
    await pipeline(openLogFile(file.path, file.path.endsWith('.gz')), new UnpackLimit(fs.statSync(file.path).size), clean, fs.createWriteStream(out));
    return out;
  } catch (err) {
    removeCopyFolder(dir);
    if (isDiskFull(err)) throw diskFullIn(err, dir);
    return undefined;
  }
}

/** A JSON string escape: a UTF-16 pair, half of one alone, or any other (`\\` too: `\\ud800` is text, not an escape). */
const ESCAPE = /\\u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\[^]/g;
/** The longest escape ESCAPE matches: a pair. */
const LONGEST_ESCAPE = 12;

/**
 * JSON text in pieces, each escape of half a UTF-16 pair alone written \ufffd (as long), the rest as it is. An escape
 * that the next piece may go on is held back until then.
 */
export class LoneHalfEscapes {
  private held = '';

  push(piece: string): string {
    const text = this.held + piece;
    // Cut before the last LONGEST_ESCAPE characters, or before an escape that crosses that point: what comes next may
    // change an escape there (a high half whose low half follows).
    let cut = Math.max(0, text.length - LONGEST_ESCAPE);
    for (const m of text.matchAll(ESCAPE)) {
      if (m.index + m[0].length > cut) {
        cut = Math.min(cut, m.index);
        break;
      }
    }
    this.held = text.slice(cut);
    return replaceLoneHalves(text.slice(0, cut));
  }

  end(): string {
    const rest = replaceLoneHalves(this.held);
    this.held = '';
    return rest;
  }
}

const replaceLoneHalves = (text: string) =>
  text.replace(ESCAPE, (escape: string, high?: string, low?: string) =>
    (high !== undefined && low === undefined) || /^\\u[dD][c-fC-F]/.test(escape) ? '\\ufffd' : escape);
