// Loads batches of local CloudTrail log files into DuckDB. A batch commits in one transaction with its
// ledger rows, so a crash never leaves half a file; a file DuckDB cannot read is isolated and recorded; a batch
// too big for DuckDB's memory is loaded in halves. The files themselves are kept, one Parquet file per batch.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import type { ErrorKind } from '../../model/api';
import { messageOf } from '../../model/errorMessage';
import type { Database } from '../db/database';
import { CALLER_ACCOUNT_USER_SQL, RESOURCE_INDEX_SELECT } from '../db/schema';
import { counted, sizeText } from '../counted';
import { literalPath } from '../db/filePaths';
import { onOneThread } from '../db/threads';
import { isOutOfMemory } from '../errorKind';
import {
  failsAnyRead,
  fileErrorKind,
  fileFailure,
  isFileProblem,
  isInvalidUnicode,
  looksBad,
  namedFile,
  FETCH_FAILED_SQL,
  OUT_OF_MEMORY,
  reasonOf,
  retryWait,
  withValidUnicode,
  type GzipVerdicts,
} from './fileFailures';
import { BIG_FILE_BYTES, MAX_OBJECT_SIZE, uncompressedSize } from './fileSizes';
import { WRITTEN_PARQUET_OPTIONS } from './keptRowGroups';
import { KEY_DATE_SQL } from './keys';
import { normaliseSql } from './normalise';
import { errorOfStagedFile, recordsArrayCopy, removeCopyFolder, removeRecordsArrayCopy, UnreadableLogFile, type StagedRecords } from './recordsArray';

/** A log object already on local disk, ready for DuckDB. */
export interface LocalLogFile {
  /** Where DuckDB reads it. */
  path: string;
  /** Its key in the source (S3 key, or path relative to the folder). */
  key: string;
  etag: string;
  /** Stored size in bytes. */
  size: number;
}

export interface FileOutcome {
  key: string;
  /** Records read from the file. */
  records: number;
  /** New events stored. */
  inserted: number;
  /** Events already stored (another delivery of the same eventID). */
  duplicates: number;
  /** Records kept in rejected_records because they cannot be events. */
  rejected: number;
  /** Why the file could not be ingested; set means nothing of it was stored. */
  error?: string;
  /** The error's kind (model/api.ts ErrorKind). */
  kind?: ErrorKind;
}

/** A batch that ran out of DuckDB's memory together and is loaded again in two parts (BatchLoader.load). */
export interface HalvedBatch {
  files: number;
  /** The files' bytes as fetched, and unpacked (as their gzip trailers say). */
  bytes: number;
  unpackedBytes: number;
  /** DuckDB's memory limit, as it says it ('137.3 MiB'). */
  memoryLimit: string;
  /** The line for the log and the CLI. */
  said: string;
}

/** A file that could not be ingested, why, and (one that ran out of memory) when it is tried again. */
interface FileError {
  file: Pick<LocalLogFile, 'key' | 'etag'>;
  reason: string;
  kind: ErrorKind;
  nextTry?: NextTry;
}

/**
 * When a file that ran out of memory, or whose download was denied, is tried again (ingest_errors.attempts, retry_at;
 * memory_limit, the limit it ran out of).
 */
interface NextTry {
  attempts: number;
  /** When it failed, as the wait and the reason count from it. */
  failedAt: Date;
  at: Date;
  memoryLimit?: string;
}

/** A file whose download failed, why, and its kind (the SDK's error's). */
export interface DownloadFailure {
  file: Pick<LocalLogFile, 'key' | 'etag'>;
  error: string;
  kind: ErrorKind;
}

/** One batch on its way into the database. */
interface Batch {
  files: LocalLogFile[];
  /** Where each file's events and kept copy are stored (objectKeysFor). */
  objectKeys: string[];
  /** The files as delivered (a file with invalid UTF-8 is read from a cleaned copy but kept as it came). */
  originals: string[];
  /**
   * SQL relations of rows (object_key, ord, r, raw) over the files, each with its parameters: one over the batch, or
   * one per piece of a staged file, each read by a statement of its own (STAGED_PIECE_BYTES).
   */
  parts: Array<{ records: string; params: Record<string, DuckDBValue> }>;
  /** Where the originals are kept: a Parquet file, or for a big file loaded alone a copy of it (keepOriginals). */
  archive: string;
}

export class BatchLoader {
  constructor(
    private readonly db: Database,
    private readonly source: string,
    /** In a source's first load, when this run started: events that happened before are history, and arrive when they happened (see ingest()). */
    private readonly historyBefore?: Date,
    /** Hears of each batch loaded again in two parts: each reload reads its files again, which a bigger memory limit saves. */
    private readonly onHalved?: (batch: HalvedBatch) => void
  ) {}

  /**
   * Loads the files; returns one outcome per file, in the same order. `triaged`: the batch's suspects were judged
   * already (isolateBadFiles), so a bad file that is still in it is found by halves.
   */
  async load(files: LocalLogFile[], triaged = false): Promise<FileOutcome[]> {
    if (files.length === 0) return [];
    try {
      return await this.loadTogether(files);
    } catch (err) {
      // Refused for what it is (unpacks too far): recorded at once, not unpacked again by a second read.
      if (err instanceof UnreadableLogFile && files.length === 1) return [await this.recordError(files[0], err.message, err.kind)];
      if (isOutOfMemory(err) && files.length > 1) {
        // Files that unpack bigger than their size promised: half the batch at a time fits.
        const half = Math.ceil(files.length / 2);
        await this.sayHalved(files, half);
        return [...(await this.load(files.slice(0, half), triaged)), ...(await this.load(files.slice(half), triaged))];
      }
      if (isOutOfMemory(err)) return [await this.recordOutOfMemory(files[0])];
      if (!isFileProblem(err)) {
        // A full disk, a closed database: not the file's fault. Fail the run (it is retried), never record a good
        // file as broken.
        throw err;
      }
      if (files.length === 1) {
        return [await this.loadAlone(files[0], err)];
      }
      return this.isolateBadFiles(files, err, triaged);
    }
  }

  /** Tells onHalved of a batch that ran out of memory together: its files, their bytes, the memory limit. */
  private async sayHalved(files: LocalLogFile[], half: number): Promise<void> {
    if (!this.onHalved) return;
    const row = await this.db.one<{ memory_limit: string }>(`SELECT current_setting('memory_limit') AS memory_limit`);
    const memoryLimit = row?.memory_limit ?? '?';
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const unpackedBytes = files.reduce((n, f) => n + uncompressedSize(f.path), 0);
    const unpacked = unpackedBytes === bytes ? '' : ` (${sizeText(unpackedBytes)} unpacked)`;
    const said =
      `a batch of ${counted(files.length, 'log file')}, ${sizeText(bytes)}${unpacked}, ran out of DuckDB's memory (limit ${memoryLimit}): ` +
      `loading it again in two parts, of ${counted(half, 'file')} and ${files.length - half}`;
    this.onHalved({ files: files.length, bytes, unpackedBytes, memoryLimit, said });
  }

  /**
   * One bad file fails the whole statement. Loading each file on its own to find it cost a transaction and two reads
   * per file (10 000 corrupt files: 179 s), and stored a batch's good files one Parquet file each. Instead: look at
   * each file in Node (looksBad), let DuckDB judge each suspect alone with one small read, record the bad ones
   * together, and load the rest as one batch. Should that fail again (Node took a bad file for good), halves.
   */
  private async isolateBadFiles(files: LocalLogFile[], err: unknown, triaged: boolean): Promise<FileOutcome[]> {
    if (triaged) {
      const half = Math.ceil(files.length / 2);
      return [...(await this.load(files.slice(0, half), true)), ...(await this.load(files.slice(half), true))];
    }
    // The file DuckDB named, and any Node finds bad.
    const named = namedFile(messageOf(err), files);
    const gzipVerdicts: GzipVerdicts = new Map();
    const suspects = new Map<LocalLogFile, boolean>();
    for (const file of files) {
      const badToNode = await looksBad(file, gzipVerdicts);
      if (badToNode || file === named) suspects.set(file, badToNode);
    }
    const outcomes = new Map<LocalLogFile, FileOutcome>();
    const bad: Array<{ file: LocalLogFile; reason: string; kind: ErrorKind }> = [];
    const alone = new Set<LocalLogFile>();
    for (const [file, badToNode] of suspects) {
      const failure = await this.readFails(file);
      // A big file that gzips so well that it came in a batch is read in pieces alone, as if it had come alone: its
      // reason then names the record at fault (Records[6000]), not a byte of the whole file in "record/value 2".
      if (failure && failsAnyRead(failure) && uncompressedSize(file.path) <= BIG_FILE_BYTES) {
        bad.push({ file, ...(await fileFailure(file, failure, gzipVerdicts)) });
      }
      // Named by DuckDB, yet read alone and good to Node: another file's fault (a top-level list makes DuckDB blame the
      // next file), so it stays in the batch.
      else if (failure || badToNode) alone.add(file);
    }
    (await this.recordErrors(bad)).forEach((o, i) => outcomes.set(bad[i].file, o));
    const rest = files.filter((f) => !alone.has(f) && !outcomes.has(f));
    (await this.load(rest, true)).forEach((o, i) => outcomes.set(rest[i], o));
    // What DuckDB reads alone, or fails for a reason a tolerant read may get past: the path of a file on its own.
    for (const file of alone) outcomes.set(file, (await this.load([file]))[0]);
    return files.map((f) => outcomes.get(f)!);
  }

  /** DuckDB's error for the file read alone (its records as JSON only: no transaction, nothing stored); undefined when it reads. */
  private async readFails(file: LocalLogFile): Promise<unknown> {
    try {
      await this.db.run(`SELECT count(*) FROM read_json($file, columns = {Records: 'JSON'}, maximum_object_size = $size)`, {
        file: literalPath(file.path),
        size: MAX_OBJECT_SIZE,
      });
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /**
   * A file that failed on its own gets one more, slower read that keeps what can be kept: invalid UTF-8 is
   * replaced (U+FFFD), and a record that is not an object (null, a string, a list) is set aside in
   * rejected_records instead of failing its file's good records. What still fails is recorded with its reason.
   */
  private async loadAlone(file: LocalLogFile, err: unknown): Promise<FileOutcome> {
    const failure = () => fileFailure(file, err);
    // Not gzip, or malformed JSON: a second read fails the same way.
    if (failsAnyRead(err)) {
      const { reason, kind } = await failure();
      return this.recordError(file, reason, kind);
    }
    const reason = reasonOf(err, file.path);
    const cleaned = isInvalidUnicode(reason) ? await withValidUnicode(file, this.db.stagingDir) : undefined;
    try {
      // The cleaned copy is unpacked: its own size on disk says whether it is big (read record by record).
      const read = cleaned ? { ...file, path: cleaned } : file;
      return (await this.loadTogether([read], [file.path], true))[0];
    } catch (retryErr) {
      if (isOutOfMemory(retryErr)) return this.recordOutOfMemory(file);
      if (!isFileProblem(retryErr)) throw retryErr;
      // The first reason says what is wrong with the file as delivered.
      const { reason: why, kind } = cleaned ? { reason: reasonOf(retryErr, cleaned), kind: fileErrorKind(retryErr) } : await failure();
      return this.recordError(file, why, kind);
    } finally {
      if (cleaned) removeCopyFolder(path.dirname(cleaned));
    }
  }

  private async recordOutOfMemory(file: LocalLogFile): Promise<FileOutcome> {
    // Its failures at this memory limit so far: a new limit, or a changed file (another ETag), starts again from the first wait.
    const row = await this.db.one<{ memory_limit: string; attempts: number | null }>(
      `SELECT current_setting('memory_limit') AS memory_limit,
              (SELECT attempts FROM ingest_errors WHERE source = $source AND key = $key AND etag = $etag AND starts_with(reason, $marker)
                 AND memory_limit = current_setting('memory_limit')) AS attempts`,
      { source: this.source, key: file.key, etag: file.etag, marker: OUT_OF_MEMORY }
    );
    const memoryLimit = row?.memory_limit ?? '?';
    const attempts = (row?.attempts ?? 0) + 1;
    const wait = retryWait(attempts);
    const failedAt = new Date();
    const at = new Date(failedAt.getTime() + wait);
    return (
      await this.recordErrors([
        {
          file,
          reason:
            `${OUT_OF_MEMORY}DuckDB's memory limit (${memoryLimit}) does not hold this file as DuckDB reads it ` +
            '(many times its size: more, the bigger its records), ' +
            `or the service's queries held the memory: raise TRAILHOUND_MEMORY_LIMIT if it fails again. It failed ${counted(attempts, 'time')} ` +
            `with this memory limit: the next try is after ${at.toISOString()} (each wait twice the last, at most a day), or at once with another limit`,
          kind: 'out-of-memory',
          nextTry: { attempts, failedAt, at, memoryLimit },
        },
      ])
    )[0];
  }

  /**
   * Files whose download failed, recorded as such (`mark`: DOWNLOAD_FAILED, or a folder's READ_FAILED): later runs fetch them again by key. One the source
   * refused (access-denied: GetObject or kms:Decrypt denied, an SSE-KMS key disabled or deleted, a folder's file the
   * service may not read) waits before its next try as one that ran out of memory does (retryWait): none passes until
   * someone acts, and each S3 denial is an AccessDenied event in the bucket owner's CloudTrail, which the
   * failed-authorization alert rules count, so one a poll made every 5 minutes was noise we made ourselves.
   * Its failures are counted for this version (ETag): a changed object starts again from the first wait.
   */
  async recordDownloadFailures(failures: DownloadFailure[], mark: string): Promise<FileOutcome[]> {
    const denied = new Set(failures.filter((f) => f.kind === 'access-denied'));
    const before = new Map<string, number>();
    if (denied.size > 0) {
      const rows = await this.db.all<{ key: string; etag: string; attempts: number | null }>(
        `SELECT key, etag, attempts FROM ingest_errors WHERE source = $source AND key IN (SELECT unnest($keys)) AND ${FETCH_FAILED_SQL}`,
        { source: this.source, keys: listValue([...denied].map((f) => f.file.key)) }
      );
      for (const r of rows) before.set(`${r.key}\u0000${r.etag}`, r.attempts ?? 0);
    }
    const failedAt = new Date();
    return this.recordErrors(
      failures.map((failure) => {
        const { file, error, kind } = failure;
        if (!denied.has(failure)) return { file, reason: `${mark}${error}`, kind };
        const attempts = (before.get(`${file.key}\u0000${file.etag}`) ?? 0) + 1;
        const at = new Date(failedAt.getTime() + retryWait(attempts));
        const reason =
          `${mark}${error.replace(/\.?$/, '.')} Denied ${counted(attempts, 'time')}: the next try is after ${at.toISOString()} ` +
          '(each wait twice the last, at most a day), or at once when the object changes, at a backfill, or with ingest --retry-denied';
        return { file, reason, kind, nextTry: { attempts, failedAt, at } };
      })
    );
  }

  /** Drops a file's recorded error: it is gone from the source, so no later run can load it. */
  async forgetError(key: string): Promise<void> {
    await this.db.run(`DELETE FROM ingest_errors WHERE source = $source AND key = $key`, { source: this.source, key });
  }

  /** A file that could not be ingested, with why: kept in ingest_errors until a later run loads it. */
  async recordError(file: Pick<LocalLogFile, 'key' | 'etag'>, reason: string, kind: ErrorKind): Promise<FileOutcome> {
    return (await this.recordErrors([{ file, reason, kind }]))[0];
  }

  /** Files that could not be ingested, in one transaction; one that ran out of memory with when it is tried again. */
  async recordErrors(errors: FileError[]): Promise<FileOutcome[]> {
    if (errors.length === 0) return [];
    await this.db.transaction((conn) => this.storeErrors(conn, errors));
    return errors.map(({ file, reason, kind }) => ({ key: file.key, records: 0, inserted: 0, duplicates: 0, rejected: 0, error: reason, kind }));
  }

  /**
   * One read of the batch: every record is parsed and normalised once, into a temporary table of events-shaped
   * rows (small: no record copy). Dedupe, per-file counts and the resource index work on that table; the original
   * records are kept as the log files themselves, once per file, in log_objects.
   */
  private async loadTogether(files: LocalLogFile[], originals = files.map((f) => f.path), tolerant = false): Promise<FileOutcome[]> {
    const unpacked = uncompressedSize(files[0].path);
    const lone = files.length === 1 && unpacked > BIG_FILE_BYTES;
    const staged = lone ? await recordsArrayCopy(files[0].path, this.db.stagingDir, unpacked <= MAX_OBJECT_SIZE) : undefined;
    try {
      return await this.loadRecords(files, originals, lone, staged, tolerant);
    } catch (err) {
      throw staged ? errorOfStagedFile(err, staged, files[0].path) : err;
    } finally {
      if (staged) removeRecordsArrayCopy(staged);
    }
  }

  private async loadRecords(
    files: LocalLogFile[],
    originals: string[],
    lone: boolean,
    staged: StagedRecords | undefined,
    tolerant: boolean
  ): Promise<FileOutcome[]> {
    // Rows (object_key, ord, r, raw): ord is the record's index in its file's Records; r the record split into its
    // fields. The tolerant read (loadAlone) reads each record as JSON first (raw) and r is NULL for a record that
    // is not an object; the fast read parses straight into r, and raw is NULL.
    // A staged file is its Records array: read_json parses each record as it reads it, where read_json_objects' text
    // cast to a MAP took ~200 MiB for records of 5-10 KB (a 10 MB file ran out of the default 224 MB; this fits it).
    // Each piece's records are numbered from its first's index in the file.
    const records = staged
      ? `(SELECT $key AS object_key, ($first + row_number() OVER ())::INTEGER - 1 AS ord,
                 ${tolerant ? 'try_cast(json AS MAP(VARCHAR, JSON)) AS r, json AS raw' : 'json AS r, NULL::JSON AS raw'}
          FROM read_json($path, format = 'array', records = false, columns = {json: '${tolerant ? 'JSON' : 'MAP(VARCHAR, JSON)'}'},
                         maximum_object_size = $maxObjectSize))`
      : tolerant
        ? `(SELECT object_key, ord, try_cast(raw AS MAP(VARCHAR, JSON)) AS r, raw
            FROM (SELECT $keys[file_index::BIGINT + 1] AS object_key, unnest(range(len(Records)))::INTEGER AS ord, unnest(Records) AS raw
                  FROM read_json($files, columns = {Records: 'JSON[]'}, maximum_object_size = $maxObjectSize)))`
        : // The key is looked up once per file (before the unnest), not once per record; by the file's place in the list,
          // as its name in DuckDB's filename column is not always the path given (literalPath).
          // Format and records given: detecting them, DuckDB reads each file into a new 32 MiB buffer (twice the 16 MB
          // least maximum_object_size) while each thread still holds its last one. Those buffers cannot spill: at 2
          // threads they took 162 of the 214 MiB (224 MB) limit, and 256 MB batches ran out of memory; now 88 MiB.
          `(SELECT $keys[file_index::BIGINT + 1] AS object_key, unnest(range(len(Records)))::INTEGER AS ord, unnest(Records) AS r, NULL::JSON AS raw
            FROM read_json($files, format = 'unstructured', records = true, columns = {Records: 'MAP(VARCHAR, JSON)[]'},
                           maximum_object_size = $maxObjectSize))`;
    const objectKeys = await this.objectKeysFor(files);
    const parts = staged
      ? staged.pieces.map((piece) => ({
          records,
          params: { key: objectKeys[0], path: literalPath(piece.path), first: piece.first, maxObjectSize: MAX_OBJECT_SIZE },
        }))
      : [{ records, params: { files: listValue(files.map((f) => literalPath(f.path))), keys: listValue(objectKeys), maxObjectSize: MAX_OBJECT_SIZE } }];
    const archive = path.join(this.db.originalsDir, randomUUID() + (!lone ? '.parquet' : originals[0].endsWith('.gz') ? '.json.gz' : '.json'));
    try {
      return await this.db.transaction((conn) => this.loadInTransaction(conn, { files, objectKeys, originals, parts, archive }));
    } catch (err) {
      fs.rmSync(archive, { force: true });
      throw err;
    }
  }

  /**
   * The key each file's events and kept copy are stored under: its own, unless another version of it (another
   * ETag: the file was rewritten) is kept already. Events stored from that version point into its copy, so this
   * version is kept beside it, as key#etag.
   */
  private async objectKeysFor(files: LocalLogFile[]): Promise<string[]> {
    const kept = await this.db.all<{ key: string; etag: string }>(`SELECT key, etag FROM log_objects WHERE key IN (SELECT unnest($keys))`, {
      keys: listValue(files.map((f) => f.key)),
    });
    const etags = new Map(kept.map((k) => [k.key, k.etag]));
    return files.map((f) => (etags.has(f.key) && etags.get(f.key) !== f.etag ? `${f.key}#${f.etag}` : f.key));
  }

  private async loadInTransaction(conn: DuckDBConnection, batch: Batch): Promise<FileOutcome[]> {
    const { files, objectKeys, parts } = batch;
    await fillFromParts(conn, 'batch', parts, normaliseSql);
    // A step of its own, on the few rows it changes: one more projection in normaliseSql ran a 12 MB file out of a
    // 128 MB memory limit.
    await conn.run(CALLER_ACCOUNT_USER_SQL('batch'));
    const noRecords = await this.filesWithoutRecords(conn, files, objectKeys);
    await this.findFresh(conn);
    const freshRows = '(SELECT * FROM batch WHERE rowid IN (SELECT row FROM fresh))';
    // Arrived when the batch's transaction began, as its ledger rows say (now() is the transaction's start).
    const arrived = this.historyBefore ? 'CASE WHEN event_time < $historyBefore::TIMESTAMP THEN event_time ELSE now()::TIMESTAMP END' : 'now()::TIMESTAMP';
    // On one thread: on several, each thread gathers part of a batch's rows, and a part smaller than a row group
    // (122 880 rows: a batch's, split) is appended to the table a second time. 200 k generated events took 1.6 s of CPU
    // to insert on 2 threads, 0.7 s on one (and 0.3 s more at commit), which was sooner too.
    await onOneThread(conn, async () => {
      await conn.run(
        `INSERT INTO events BY NAME SELECT *, ${arrived} AS arrived_at FROM ${freshRows}`,
        this.historyBefore ? { historyBefore: this.historyBefore.toISOString() } : undefined
      );
      await conn.run(`INSERT INTO event_resources ${RESOURCE_INDEX_SELECT(freshRows)}`);
    });
    const counts = await this.countsPerFile(conn);
    if ([...counts.values()].some((c) => c.rejected > 0)) {
      const kept = await this.keepRejected(conn, batch);
      // Kept before (the file delivered again): a duplicate, as an event stored before is.
      for (const [key, c] of counts) c.rejected = kept.get(key) ?? 0;
    }
    const outcomes = files.map((f, i): FileOutcome => {
      if (noRecords.has(f.path)) {
        return { key: f.key, records: 0, inserted: 0, duplicates: 0, rejected: 0, error: 'no "Records" array: not a CloudTrail log file', kind: 'no-records' };
      }
      const c = counts.get(objectKeys[i]) ?? { records: 0, inserted: 0, rejected: 0 };
      return { key: f.key, ...c, duplicates: c.records - c.inserted - c.rejected };
    });
    await this.keepOriginals(conn, batch, outcomes);
    await this.writeLedger(conn, files, outcomes);
    await conn.run(`DROP TABLE batch; DROP TABLE stored; DROP TABLE fresh`);
    return outcomes;
  }

  /**
   * The log files that gave events, as delivered, into one new Parquet file in the originals folder (read back by
   * reports/records.ts); a big file loaded alone is copied there as it is instead (a Parquet value is read and
   * written whole: a 100 MB gzip ran the run out of memory, every time it was retried). Written before the commit:
   * if the transaction fails, the caller removes it.
   */
  private async keepOriginals(conn: DuckDBConnection, { files, objectKeys, originals, archive }: Batch, outcomes: FileOutcome[]) {
    const kept = outcomes.flatMap((o, i) => (o.inserted > 0 ? [i] : []));
    if (kept.length === 0) return;
    const keys = listValue(kept.map((i) => objectKeys[i]));
    fs.mkdirSync(path.dirname(archive), { recursive: true, mode: 0o700 });
    if (!archive.endsWith('.parquet')) {
      fs.copyFileSync(originals[kept[0]], archive);
      // A copy takes its source's mode; the database's files are its user's only.
      fs.chmodSync(archive, 0o600);
    } else {
      await conn.run(
        // Small row groups, by bytes as well as files: reading one file back, or compacting the day, holds only a row group.
        `COPY (SELECT $keys[file_index::BIGINT + 1] AS key, content FROM read_blob($paths)) TO $archive (${WRITTEN_PARQUET_OPTIONS})`,
        { keys, paths: listValue(kept.map((i) => literalPath(originals[i]))), archive }
      );
    }
    // Its day too, which compaction groups the kept files by.
    await conn.run(
      `INSERT OR REPLACE INTO log_objects (key, source, etag, archive, day)
       SELECT k, $source, e, $name, ${KEY_DATE_SQL('k')} FROM (SELECT unnest($keys) AS k, unnest($etags) AS e)`,
      {
        keys,
        source: this.source,
        etags: listValue(kept.map((i) => files[i].etag)),
        name: path.basename(archive),
      }
    );
  }

  /**
   * Keeps the batch's records that cannot be events whole (a JSON null as null), in rejected_records; returns how many
   * per object key. Rare: the records are read once more. A file delivered again (rewritten, another ETag) has them
   * kept already: a record is kept as often as any version of its file holds it, so a re-delivery adds only what it
   * adds. Their identity is their file's key and their content: they have no usable eventTime (or are not objects) to
   * dedupe by as events do, and the same content in another file (a `null`, a template's record) is another record.
   */
  private async keepRejected(conn: DuckDBConnection, { files, objectKeys, parts }: Batch): Promise<Map<string, number>> {
    // Read again as the batch was filled, part by part; only the rejected ones are kept for the statement below.
    await fillFromParts(
      conn,
      'rejected_read',
      parts,
      (records) => `SELECT * FROM ${records} SEMI JOIN (SELECT object_key, record_index AS ord FROM batch WHERE event_time IS NULL) USING (object_key, ord)`
    );
    const reader = await conn.runAndReadAll(
      `INSERT INTO rejected_records
       WITH rejected AS (
         SELECT object_key, ord,
                CASE WHEN r IS NULL THEN 'the record is not a JSON object' ELSE 'eventTime is missing, not a time, before 1970 or after tomorrow' END AS reason,
                coalesce(to_json(r), raw, 'null'::JSON) AS record
         FROM rejected_read),
       files AS (SELECT unnest($objectKeys) AS object_key, unnest($fileKeys) AS file_key),
       -- Kept from any version of the file: under its key, or key#etag for a rewrite kept beside it (objectKeysFor).
       -- A log file's own key ends in .json or .json.gz, a version's in its ETag. The regexp only for keys with a #:
       -- with 2 M rows kept, a batch took 1.1 s longer to look up its rejected records, 0.3 s without it.
       kept AS (
         SELECT files.object_key, record::VARCHAR AS text, count(*) AS copies
         FROM (SELECT CASE WHEN NOT contains(key, '#') OR regexp_matches(key, '\\.json(\\.gz)?$') THEN key ELSE regexp_replace(key, '#[^#]*$', '') END
                        AS file_key,
                      record
               FROM rejected_records WHERE source = $source) JOIN files USING (file_key)
         GROUP BY ALL)
       SELECT $source, object_key, reason, record, now()::TIMESTAMP
       FROM (SELECT *, row_number() OVER (PARTITION BY object_key, text ORDER BY ord) AS copy FROM (SELECT *, record::VARCHAR AS text FROM rejected))
       LEFT JOIN kept USING (object_key, text)
       WHERE copy > coalesce(copies, 0)
       RETURNING key`,
      { source: this.source, objectKeys: listValue(objectKeys), fileKeys: listValue(files.map((f) => f.key)) }
    );
    await conn.run(`DROP TABLE rejected_read`);
    const kept = new Map<string, number>();
    for (const [key] of reader.getRowsJS()) kept.set(String(key), (kept.get(String(key)) ?? 0) + 1);
    return kept;
  }

  /** Files that produced no rows: an empty Records list is fine; a missing one, or an empty file, is an error. */
  private async filesWithoutRecords(conn: DuckDBConnection, files: LocalLogFile[], objectKeys: string[]): Promise<Set<string>> {
    const present = await conn.runAndReadAll(`SELECT DISTINCT object_key FROM batch`);
    const seen = new Set(present.getRowsJS().map((r) => String(r[0])));
    const empty = files.filter((_, i) => !seen.has(objectKeys[i])).map((f) => f.path);
    if (empty.length === 0) {
      return new Set();
    }
    // An empty file gives read_json no row at all: what counts is which files do have a Records list (by place in the list).
    const reader = await conn.runAndReadAll(
      `SELECT file_index FROM read_json($files, columns = {Records: 'JSON'}, maximum_object_size = $size)
       WHERE json_type(Records) = 'ARRAY'`,
      { files: listValue(empty.map(literalPath)), size: MAX_OBJECT_SIZE }
    );
    const withRecords = new Set(reader.getRowsJS().map((r) => empty[Number(r[0])]));
    return new Set(empty.filter((file) => !withRecords.has(file)));
  }

  /**
   * The new events (as rowids of `batch`, the cheapest key to join back on): not stored yet, and the first of any
   * duplicates inside the batch. A duplicate is a delivery of one event again: the same eventID and eventTime. Records
   * that share an id but not a time are not one event (a forged or damaged record, kept as evidence), and are each
   * stored whichever batches they come in: judged by the id alone, one was dropped when they shared a batch and both
   * kept when they did not, as the order the files were read in fell. Deliveries share the time, so the look-up is
   * limited to the batch's time span, which lets DuckDB skip every row group outside it.
   */
  private async findFresh(conn: DuckDBConnection): Promise<void> {
    const span = await conn.runAndReadAll(`SELECT min(event_time)::VARCHAR, max(event_time)::VARCHAR FROM batch`);
    const [lo, hi] = span.getRowsJS()[0] as [string | null, string | null];
    // The batch's ids that are stored already. The batch is the hash table; the stored events of the span stream
    // past it, so memory follows the batch, not a busy day's millions of events.
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE stored AS
       SELECT DISTINCT event_id, event_time FROM events
       WHERE event_time BETWEEN $lo::TIMESTAMP AND $hi::TIMESTAMP AND event_id IN (SELECT event_id FROM batch)`,
      { lo: lo ?? '1970-01-01', hi: hi ?? '1970-01-01' }
    );
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE fresh AS
       SELECT b.rowid AS row, b.object_key FROM batch b ANTI JOIN stored s USING (event_id, event_time)
       WHERE b.event_time IS NOT NULL
       QUALIFY row_number() OVER (PARTITION BY b.event_id, b.event_time ORDER BY b.object_key, b.record_index) = 1`
    );
  }

  private async countsPerFile(conn: DuckDBConnection) {
    const reader = await conn.runAndReadAll(`
      SELECT l.object_key, l.records, l.rejected, coalesce(f.inserted, 0) AS inserted
      FROM (SELECT object_key, count(*) AS records, count(*) FILTER (WHERE event_time IS NULL) AS rejected
            FROM batch GROUP BY 1) l
      LEFT JOIN (SELECT object_key, count(*) AS inserted FROM fresh GROUP BY 1) f USING (object_key)`);
    const counts = new Map<string, { records: number; inserted: number; rejected: number }>();
    for (const [key, records, rejected, inserted] of reader.getRowsJS()) {
      counts.set(String(key), { records: Number(records), rejected: Number(rejected), inserted: Number(inserted) });
    }
    return counts;
  }

  /** Writes files' errors in `conn`'s transaction (recordErrors', or a batch's with its ledger). */
  private async storeErrors(conn: DuckDBConnection, errors: FileError[]): Promise<void> {
    if (errors.length === 0) return;
    const keys = listValue(errors.map((e) => e.file.key));
    const etags = listValue(errors.map((e) => e.file.etag));
    // One row per file: an earlier version's error (another ETag) is replaced, not counted twice.
    await conn.run(`DELETE FROM ingest_errors WHERE source = $source AND key IN (SELECT unnest($keys))`, { source: this.source, keys });
    await conn.run(
      `INSERT INTO ingest_errors (source, key, etag, reason, failed_at, kind)
       SELECT $source, unnest($keys), unnest($etags), unnest($reasons), now()::TIMESTAMP, unnest($kinds)`,
      { source: this.source, keys, etags, reasons: listValue(errors.map((e) => e.reason)), kinds: listValue(errors.map((e) => e.kind)) }
    );
    for (const { file, nextTry } of errors) {
      if (!nextTry) continue;
      await conn.run(
        `UPDATE ingest_errors SET attempts = $attempts, failed_at = epoch_ms($failed::BIGINT), retry_at = epoch_ms($at::BIGINT), memory_limit = $limit
         WHERE source = $source AND key = $key`,
        {
          source: this.source,
          key: file.key,
          attempts: nextTry.attempts,
          failed: nextTry.failedAt.getTime(),
          at: nextTry.at.getTime(),
          limit: nextTry.memoryLimit ?? null,
        }
      );
    }
  }

  private async writeLedger(conn: DuckDBConnection, files: LocalLogFile[], outcomes: FileOutcome[]): Promise<void> {
    const ok = outcomes.map((o, i) => ({ o, f: files[i] })).filter(({ o }) => !o.error);
    const failed = outcomes.map((o, i) => ({ o, f: files[i] })).filter(({ o }) => o.error);
    if (ok.length > 0) {
      await conn.run(
        // Read whole again: no longer pruned in part (named, as INSERT OR REPLACE keeps the columns it does not name).
        `INSERT OR REPLACE INTO ingested_objects (source, key, etag, size, records, inserted, duplicates, ingested_at, events_pruned_before)
         SELECT $source, unnest($keys), unnest($etags), unnest($sizes), unnest($records), unnest($inserted),
                unnest($duplicates), now()::TIMESTAMP, NULL`,
        {
          source: this.source,
          keys: listValue(ok.map(({ f }) => f.key)),
          etags: listValue(ok.map(({ f }) => f.etag)),
          sizes: listValue(ok.map(({ f }) => f.size)),
          records: listValue(ok.map(({ o }) => o.records)),
          inserted: listValue(ok.map(({ o }) => o.inserted)),
          duplicates: listValue(ok.map(({ o }) => o.duplicates)),
        }
      );
      // A file that failed before and now loads is no longer an error.
      await conn.run(`DELETE FROM ingest_errors WHERE source = $source AND list_contains($keys, key)`, {
        source: this.source,
        keys: listValue(ok.map(({ f }) => f.key)),
      });
    }
    await this.storeErrors(conn, failed.map(({ f, o }) => ({ file: f, reason: o.error ?? 'unknown error', kind: o.kind ?? 'unreadable' })));
  }
}

/**
 * Fills a new temporary table with `select` over each part of a batch, one statement per part: a staged file's pieces
 * one after another, as one statement over them all would read (and hold) chunks of any size again.
 */
async function fillFromParts(conn: DuckDBConnection, table: string, parts: Batch['parts'], select: (records: string) => string): Promise<void> {
  for (const [i, { records, params }] of parts.entries()) {
    await conn.run(`${i === 0 ? `CREATE OR REPLACE TEMP TABLE ${table} AS` : `INSERT INTO ${table}`} ${select(records)}`, params);
  }
}
