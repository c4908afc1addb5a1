// The original CloudTrail records behind stored events. Each event points at its log file (object_key) and its
// position there (record_index); the files are kept whole, gzip as delivered, in Parquet files in the originals
// folder (log_objects says which). Reading a record back means unpacking its file: fine for an event's details,
// not meant for scanning millions.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import { hasColumn } from '../db/database';
import { eventTimeSql } from '../ingest/normalise';
import { literalPath } from '../db/filePaths';
import { DamagedLogFileError, readRecords, type CloudTrailRecord, type KeptFile } from './recordScan';

/**
 * Runs one DuckDB statement for the caller: the service's reports interrupt it past their timeout or when its request
 * is stopped, and count it (Reports.requestGuard). Without one, a statement simply runs.
 */
export type StatementGuard = <T>(run: () => Promise<T>) => Promise<T>;
const unguarded: StatementGuard = (run) => run();

/**
 * The stored id of a record: its eventID (records without one are found by position alone), half a UTF-16 pair alone
 * written U+FFFD, as ingestion stored it (fileFailures.ts LoneHalfEscapes), where JSON.parse keeps the half.
 */
const idOf = (record: CloudTrailRecord | undefined) => (typeof record?.eventID === 'string' ? record.eventID.toWellFormed() : undefined);

export interface OriginalRecords {
  /** By event id, the earliest record of those stored under it (by eventTime, as ingestion reads it); ids that are not stored are absent. */
  found: Map<string, CloudTrailRecord>;
  /**
   * The other records stored under an id, by eventTime: events that share an eventID but not an eventTime (a forged or
   * damaged record, kept as evidence beside the other, ingest/loader.ts findFresh). Ids with one record are absent.
   */
  alsoFound: Map<string, CloudTrailRecord[]>;
  /** Ids the lookup found that a prune (the retention) removed, with their kept files, before their records were read. */
  removed: string[];
  /** Ids still stored whose record could not be read: the kept copy of their log file `key` (at `file`) is damaged or does not hold them. */
  unreadable: UnreadableRecord[];
}

export interface UnreadableRecord {
  id: string;
  /** The log file's key, as its source named it. */
  key: string;
  /** Where it is kept (a Parquet file of the originals folder, or a big file of its own); absent when it is not kept at all. */
  file?: string;
  /** What is wrong, completing "the kept copy of its log file <key> …". */
  why: string;
}

/** A stored event whose original record cannot be read back: not "no such event" (a 404), the service's own data is damaged. */
export class UnreadableRecordError extends Error {
  /** Where the file is kept: for the service's log only. */
  readonly keptIn: string | undefined;

  constructor({ id, key, file, why }: UnreadableRecord) {
    super(`the event "${id}" is stored, but its original record cannot be read: the kept copy of its log file ${key} ${why}`);
    this.name = 'UnreadableRecordError';
    this.keptIn = file;
  }
}

/** The original records of the given event ids; `guard` runs each statement, and `signal` stops the read of a big file. */
export async function originalRecords(
  conn: DuckDBConnection,
  originalsDir: string,
  eventIds: string[],
  guard = unguarded,
  signal?: AbortSignal
): Promise<OriginalRecords> {
  // Each stored event read, with its record, in the order the files were read: an id may have several (events that
  // share it, not their time), each of which must be read.
  const read = new Map<Wanted, CloudTrailRecord>();
  const removed: string[] = [];
  const unreadable: UnreadableRecord[] = [];
  const keep: KeepRecord = (event, record) => {
    read.set(event, record);
  };
  const result = async () => ({ ...(await inTimeOrder(conn, read, guard)), removed, unreadable });
  if (eventIds.length === 0) return result();
  // Files written before schema version 4 kept a copy of the record in each event.
  const legacy = (await guard(() => hasColumn(conn, 'events', 'record'))) ? 'to_json(record)::VARCHAR' : 'NULL';
  const events = await guard(() =>
    conn.runAndReadAll(`SELECT event_id, object_key, record_index, ${legacy} AS legacy FROM events WHERE event_id IN (SELECT unnest($ids))`, {
      ids: listValue(eventIds),
    })
  );
  const byObject = new Map<string, Wanted[]>();
  for (const [id, key, index, legacyJson] of events.getRowsJS() as Array<[string, string, number | null, string | null]>) {
    if (legacyJson !== null) keep({ id, index: index ?? -1 }, JSON.parse(legacyJson));
    else if (index !== null) byObject.set(key, [...(byObject.get(key) ?? []), { id, index }]);
  }
  if (byObject.size === 0) return result();
  // Why the records of a file were not read, by its key: its damage, else (below) that it does not hold them.
  const damage = new Map<string, string>();
  const files = await originalFiles(conn, originalsDir, [...byObject.keys()], guard);
  for (const [key, content] of files) {
    try {
      await readWanted(content, byObject.get(key) ?? [], keep, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof DamagedLogFileError) {
        damage.set(key, `is damaged: ${err.why}`);
        continue;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !(content instanceof Uint8Array)) {
        // Opened after its lookup, as a Parquet file is read (originalFiles): a prune may have removed it since.
        if (!(await stillKept(conn, path.basename(content.path), guard))) continue;
        throw missing(content.path);
      }
      // The machine's (a file that cannot be opened or read), not the file's.
      if (typeof code === 'string' && !code.startsWith('Z_')) throw err;
      // Not JSON, or a gzip stream cut short: the file was read whole when it was ingested, so it changed since.
      damage.set(key, `is damaged: ${(err as Error).message}`);
    }
  }
  // Each query reads what is committed when it runs: a prune that committed after the lookup took events without
  // their files. Those no longer in events were removed, not lost.
  const unread = [...byObject.values()].flat().filter((event) => !read.has(event));
  if (unread.length > 0) {
    const ids = listValue([...new Set(unread.map(({ id }) => id))]);
    const still = await guard(() =>
      conn.runAndReadAll(`SELECT event_id, object_key, record_index FROM events WHERE event_id IN (SELECT unnest($ids))`, { ids })
    );
    const stillStored = still.getRowsJS() as Array<[string, string, number]>;
    const stillIds = new Set(stillStored.map(([id]) => id));
    const stillEvents = new Set(stillStored.map(([id, key, index]) => JSON.stringify([id, key, index])));
    const readIds = new Set([...read.keys()].map(({ id }) => id));
    removed.push(...new Set(unread.map(({ id }) => id).filter((id) => !readIds.has(id) && !stillIds.has(id))));
    // Still stored, yet not read: say why, rather than let the caller answer that no such event is stored, or give
    // another event under its id as if it were this one.
    for (const [key, wanted] of byObject) {
      for (const { id, index } of wanted.filter((w) => !read.has(w) && stillEvents.has(JSON.stringify([w.id, key, w.index])))) {
        const content = files.get(key);
        const why =
          damage.get(key) ??
          (content === undefined ? 'is not among the kept log files' : `does not hold it: not at its record index ${index}, nor found by its eventID`);
        const file = content instanceof Uint8Array ? await keptFile(conn, originalsDir, key, guard) : content?.path;
        unreadable.push({ id, key, file, why });
      }
    }
  }
  return result();
}

/** A stored event whose record is wanted: its id, and its place in its log file. */
interface Wanted {
  id: string;
  index: number;
}

/** Takes a record read back as the one of a stored event. */
type KeepRecord = (event: Wanted, record: CloudTrailRecord) => void;

/**
 * The records read under each id as `found` (the earliest, by eventTime) and `alsoFound` (the rest, in that order),
 * whatever order the files were read in. Their times are read as ingestion read them, by DuckDB (normalise.ts
 * eventTimeSql): as text they sort as times only in CloudTrail's own form (one in +02:00, or without its Z, did not).
 * Only ids with more than one record need them: one statement, and none for the others.
 */
async function inTimeOrder(
  conn: DuckDBConnection,
  read: Map<Wanted, CloudTrailRecord>,
  guard: StatementGuard
): Promise<Pick<OriginalRecords, 'found' | 'alsoFound'>> {
  const byId = new Map<string, CloudTrailRecord[]>();
  for (const [{ id }, record] of read) byId.set(id, [...(byId.get(id) ?? []), record]);
  const several = [...byId.values()].filter((records) => records.length > 1).flat();
  const texts = [...new Set(several.map(eventTimeText))];
  const times = new Map<string, number>();
  if (texts.length > 0) {
    const parsed = await guard(() =>
      conn.runAndReadAll(`SELECT t, epoch_ms(${eventTimeSql('t')}) FROM (SELECT unnest($texts) AS t)`, { texts: listValue(texts) })
    );
    for (const [text, ms] of parsed.getRowsJS() as Array<[string, bigint | null]>) if (ms !== null) times.set(text, Number(ms));
  }
  // A time that is none (a record rewritten since) comes after those that are; the sort keeps the order read among equals.
  const timeOf = (record: CloudTrailRecord) => times.get(eventTimeText(record)) ?? Infinity;
  const found = new Map<string, CloudTrailRecord>();
  const alsoFound = new Map<string, CloudTrailRecord[]>();
  for (const [id, records] of byId) {
    const [first, ...rest] = records.length > 1 ? records.sort((a, b) => timeOf(a) - timeOf(b) || 0) : records;
    found.set(id, first);
    if (rest.length > 0) alsoFound.set(id, rest);
  }
  return { found, alsoFound };
}

/** A record's eventTime as text, as ingestion takes it (a string as it is, anything else as its JSON). */
const eventTimeText = (record: CloudTrailRecord) =>
  typeof record.eventTime === 'string' ? record.eventTime : (JSON.stringify(record.eventTime) ?? '');

/** Where the log file `key` is kept: for the service's log, which may name paths that an answer must not. */
async function keptFile(conn: DuckDBConnection, originalsDir: string, key: string, guard: StatementGuard): Promise<string | undefined> {
  const rows = await guard(() => conn.runAndReadAll(`SELECT archive FROM log_objects WHERE key = $key`, { key }));
  const archive = rows.getRowsJS()[0]?.[0];
  return archive === undefined ? undefined : path.join(originalsDir, String(archive));
}

/**
 * Reads the wanted records of one kept file into `keep`: by index, and by id for any whose index holds another (an
 * object rewritten under the same key could move records: the index is trusted only when the id agrees).
 */
async function readWanted(content: KeptFile, wanted: Wanted[], keep: KeepRecord, signal?: AbortSignal): Promise<void> {
  const byIndex = new Map(wanted.map((w) => [w.index, w]));
  // By id, the events not where their index says.
  const moved = new Map<string, Wanted[]>();
  const move = (event: Wanted) => moved.set(event.id, [...(moved.get(event.id) ?? []), event]);
  // The records given already: one of them is not another event's too.
  const taken = new Set<number>();
  if (byIndex.size === 0) return;
  await readRecords(content, (i, record) => {
    const event = byIndex.get(i)!;
    if (idOf(record) === event.id || event.id.startsWith('md5:')) {
      keep(event, record);
      taken.add(i);
    } else move(event);
    byIndex.delete(i);
    return byIndex.size === 0;
  }, (i) => byIndex.has(i), signal);
  // An index past the file's end (rewritten shorter) was never visited: its id may have moved too.
  for (const event of byIndex.values()) if (!event.id.startsWith('md5:')) move(event);
  if (moved.size === 0) return;
  // Rare: a second pass, for those ids wherever they are (the first records with the id, one each).
  await readRecords(content, (i, record) => {
    const id = idOf(record);
    const waiting = id === undefined || taken.has(i) ? undefined : moved.get(id);
    if (waiting) {
      keep(waiting.shift()!, record);
      if (waiting.length === 0) moved.delete(id!);
    }
    return moved.size === 0;
  }, () => true, signal);
}

/**
 * The kept log files with the given keys, as delivered; keys not kept (or no longer: see below) are absent. A big
 * file kept as a file of its own is given by its path, to be read as a stream (scanRecords). `guard` runs each statement.
 */
export async function originalFiles(
  conn: DuckDBConnection,
  originalsDir: string,
  keys: string[],
  guard = unguarded,
  again = false
): Promise<Map<string, KeptFile>> {
  const files = new Map<string, KeptFile>();
  const located = await guard(() =>
    conn.runAndReadAll(`SELECT archive, list(key) FROM log_objects WHERE key IN (SELECT unnest($keys)) GROUP BY archive`, { keys: listValue(keys) })
  );
  // Keys whose Parquet file went after their lookup, as a compaction (ingest/originals.ts) moved them to another.
  const moved: string[] = [];
  for (const [archive, inArchive] of located.getRowsJS() as Array<[string, string[]]>) {
    const file = path.join(originalsDir, archive);
    let rows;
    try {
      if (!fs.existsSync(file)) throw missing(file);
      if (!archive.endsWith('.parquet')) {
        files.set(inArchive[0], { path: file });
        continue;
      }
      rows = await keptIn(conn, file, inArchive, guard);
    } catch (err) {
      if (!(await stillKept(conn, archive, guard))) {
        moved.push(...inArchive);
        continue;
      }
      throw err;
    }
    for (const [key, content] of rows) files.set(key, content);
  }
  // Looked up once more: those a prune removed are found nowhere, and stay absent.
  if (moved.length > 0 && !again) for (const [key, content] of await originalFiles(conn, originalsDir, moved, guard, true)) files.set(key, content);
  return files;
}

/**
 * The log files of `keys` in the kept Parquet file `file`, one row group at a time. DuckDB reads a row group's
 * contents in one piece (about 4 MiB, ingest/keptRowGroups.ts; in files kept before, 64 log files or more: 12–22 MB
 * for files of 180 kB), so a lookup holds one for each row group it reads at once. One statement for all keys read
 * every row group between their smallest and largest key (a join of the keys), each thread one of its own: 2 keys in
 * a day of 90 MB needed 128 MB on 4 threads. First their row numbers, from the key column alone (a few kB a row
 * group); then a statement per row group that holds some, bounded to it by its row numbers: 35 MB, whatever the
 * threads, and 12 MB in row groups of 4 MiB (docs/DESIGN.md, "The full record").
 */
async function keptIn(conn: DuckDBConnection, file: string, keys: string[], guard: StatementGuard): Promise<Array<[string, Uint8Array]>> {
  const params = { file: literalPath(file), keys: listValue(keys) };
  // list_contains, not IN (SELECT …): a filter the scan applies to the key column before it reads the contents.
  const at = await guard(() => conn.runAndReadAll(`SELECT file_row_number FROM read_parquet($file) WHERE list_contains($keys, key)`, params));
  const rowNumbers = (at.getRowsJS() as Array<[bigint]>).map(([n]) => Number(n));
  if (rowNumbers.length === 0) return [];
  const groups = await guard(() =>
    conn.runAndReadAll(`SELECT row_group_num_rows FROM parquet_metadata($file) WHERE column_id = 0 ORDER BY row_group_id`, { file: params.file })
  );
  const found: Array<[string, Uint8Array]> = [];
  let first = 0;
  for (const [rows] of groups.getRowsJS() as Array<[bigint]>) {
    const last = first + Number(rows) - 1;
    if (rowNumbers.some((n) => n >= first && n <= last)) {
      const read = await guard(() =>
        conn.runAndReadAll(
          `SELECT key, content FROM read_parquet($file) WHERE file_row_number BETWEEN $first AND $last AND list_contains($keys, key)`,
          { ...params, first, last }
        )
      );
      found.push(...(read.getRowsJS() as Array<[string, Uint8Array]>));
    }
    first = last + 1;
  }
  return found;
}

const missing = (file: string) => new Error(`${file} is missing: the original log files kept there are gone (restore the folder with its database file)`);

/**
 * A prune that committed since the lookup removes a kept file once nothing refers to it: no longer kept, not lost. A
 * compaction does too, once it moved the file's contents to another.
 */
async function stillKept(conn: DuckDBConnection, archive: string, guard: StatementGuard): Promise<boolean> {
  const referenced = await guard(() => conn.runAndReadAll(`SELECT 1 FROM log_objects WHERE archive = $archive LIMIT 1`, { archive }));
  return referenced.currentRowCount > 0;
}
