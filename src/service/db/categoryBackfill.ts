// Schema version 13: the category of the events stored before it, read from their original records. The records are
// kept as delivered (gzip inside Parquet files, or big files of their own: see log_objects), which only Node unpacks,
// so this is a pass in Node over every kept file, one archive at a time, not an UPDATE from SQL alone.
import fs from 'node:fs';
import path from 'node:path';
import { listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { eventCategorySql, presentSql } from '../../model/fieldRules';
import { isOutOfMemory } from '../errorKind';
import { literalPath } from './filePaths';
import { parseAsDuckDb } from '../reports/duckDbJson';
import { readRecords, type CloudTrailRecord, type KeptFile } from '../reports/recordScan';

/**
 * How a pass over the kept log files is watched: `signal` stops it between two files (serve stopped while it
 * upgrades the database: the migration rolls back), `progress` is told after each file (for /api/health).
 */
export interface PassWatch {
  signal?: AbortSignal;
  progress?: (done: number, total: number) => void;
}

/** What the category rule reads of a record, as the ingestion's SQL sees it (JSON scalars as text; absent is ''). */
const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/**
 * The records' category fields, a row each in the temporary table category_fill, and the events they set, a batch at a
 * time. Rows go in through DuckDB's appender, which keeps them in DuckDB's memory (within its limit, spilled beyond):
 * bound as six lists of 100 000 strings each, they took the process ~700 MB above DuckDB's limit (1.07 GB peak for
 * 500 k events), as each string became a DuckDB value of its own until the next garbage collection.
 */
class CategoryFill {
  private rows = 0;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly appender: DuckDBAppender
  ) {}

  static async create(conn: DuckDBConnection): Promise<CategoryFill> {
    await conn.run(`CREATE OR REPLACE TEMP TABLE category_fill (k VARCHAR, i INTEGER, id VARCHAR, category VARCHAR, management VARCHAR, type VARCHAR)`);
    return new CategoryFill(conn, await conn.createAppender('category_fill', 'main', 'temp'));
  }

  add(key: string, index: number, record: CloudTrailRecord): void {
    const a = this.appender;
    a.appendVarchar(key);
    a.appendInteger(index);
    for (const field of [record.eventID, record.eventCategory, record.managementEvent, record.eventType]) a.appendVarchar(text(field));
    a.endRow();
    this.rows++;
  }

  /** Sets the events of the rows gathered once there are enough for one pass of the UPDATE (each pass reads every event). */
  async flushIfFull(): Promise<void> {
    if (this.rows >= RECORDS_PER_UPDATE) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows === 0) return;
    this.appender.flushSync();
    const category = eventCategorySql(presentSql('f.category'), 'f.management', 'f.type', 'events.event_source', 'events.event_name');
    await this.conn.run(`UPDATE events SET event_category = ${category}
      FROM category_fill f
      WHERE events.event_category IS NULL AND events.object_key = f.k AND events.record_index = f.i
        AND (events.event_id = f.id OR starts_with(events.event_id, 'md5:'))`);
    await this.conn.run(`DELETE FROM category_fill`);
    this.rows = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    this.appender.closeSync();
    await this.conn.run(`DROP TABLE category_fill`);
  }
}

/**
 * JSON.parse, ten times faster than parseAsDuckDb, which this needs only for what JSON.parse refuses (NaN, a comma
 * after a last item): it reads every record kept, and only a forged or damaged one gives a key twice.
 */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseAsDuckDb(text);
  }
}

/** Adds every record of one kept file (a big file read as a stream, a record at a time: readRecords). */
const addFile = (fill: CategoryFill, key: string, content: KeptFile) =>
  readRecords(content, (i, record) => fill.add(key, i, record), undefined, undefined, parsed);

/**
 * Sets event_category where it is NULL, from each event's original record: by its file and position, where the
 * record's eventID agrees (records without one were stored under an md5: id); events stored before version 4
 * (`legacyRecords`) from the copy each kept. Events whose kept file is gone keep NULL.
 * Memory: FILES_AT_ONCE kept files at a time in Node; the records' fields in DuckDB (CategoryFill). The kept files
 * are read on `reader`, not in the migration's transaction (see unlessUnreadable).
 */
export async function fillEventCategories(
  conn: DuckDBConnection,
  reader: DuckDBConnection,
  originalsDir: string,
  legacyRecords: boolean,
  watch: PassWatch = {}
): Promise<void> {
  if (legacyRecords) {
    const field = (name: string) => `(record['${name}'] ->> '$')`;
    const category = eventCategorySql(field('eventCategory'), field('managementEvent'), field('eventType'), 'event_source', 'event_name');
    await conn.run(`UPDATE events SET event_category = ${category}
      WHERE event_category IS NULL AND record IS NOT NULL`);
  }
  const fill = await CategoryFill.create(conn);
  const archives = (await conn.runAndReadAll(`SELECT archive, list(key) FROM log_objects GROUP BY archive`)).getRowsJS() as Array<[string, string[]]>;
  for (const [done, [archive, keys]] of archives.entries()) {
    watch.progress?.(done, archives.length);
    watch.signal?.throwIfAborted();
    const file = path.join(originalsDir, archive);
    if (!fs.existsSync(file)) continue;
    await unlessUnreadable(async () => {
      if (!archive.endsWith('.parquet')) return addFile(fill, keys[0], { path: file });
      // A few files at a time, not the whole batch's: memory stays that of FILES_AT_ONCE files, whatever the archive.
      for (let at = 0; at < keys.length; at += FILES_AT_ONCE) {
        watch.signal?.throwIfAborted();
        const rows = await reader.runAndReadAll(`SELECT key, content FROM read_parquet($file) WHERE key IN (SELECT unnest($keys))`, {
          file: literalPath(file),
          keys: listValue(keys.slice(at, at + FILES_AT_ONCE)),
        });
        // One file's content broken inside a sound archive costs that file's categories only, not the files after it.
        for (const [key, content] of rows.getRowsJS() as Array<[string, Uint8Array]>) await unlessUnreadable(() => addFile(fill, key, content), watch.signal);
        await fill.flushIfFull();
      }
    }, watch.signal);
    await fill.flushIfFull();
  }
  watch.signal?.throwIfAborted();
  watch.progress?.(archives.length, archives.length);
  await fill.close();
}

/**
 * Runs a read of kept log files; one that cannot be read (a Parquet file cut short, a gzip or JSON broken on disk)
 * counts as gone: its events keep no category (or stay as they were), instead of the database not opening at all.
 * What the records read before it gave stays. Running out of memory is the machine's, not the file's: it fails.
 * The kept files are read on a connection of their own (`reader`): a statement that fails aborts its transaction, and
 * the migration's must go on. Nor is a stop (`signal`: its interrupt fails the read) a file's: it goes on up.
 */
export async function unlessUnreadable(read: () => Promise<void>, signal?: AbortSignal): Promise<void> {
  try {
    await read();
  } catch (err) {
    if (isOutOfMemory(err)) throw err;
    signal?.throwIfAborted();
  }
}

/** Kept log files read at once (each at most 8 MB unpacked; bigger ones are files of their own, read as a stream). */
const FILES_AT_ONCE = 64;
/** Records whose events one UPDATE sets at least (a big file's all at once): each pass reads every event. */
const RECORDS_PER_UPDATE = 100_000;
