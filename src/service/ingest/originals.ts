// Compaction of the kept log files (log_objects): each ingested batch keeps its files in a Parquet file of its own, so
// a service polling every 5 minutes adds 288 files a day, and a first load's batches mix days, which a prune cannot
// remove until all their days age out. Compaction rewrites each finished day's kept files into one Parquet file of that
// day alone: few files, and a prune that removes a day removes its file whole.
//
// A day at a time: (1) DuckDB copies the day's kept files from the Parquet files that hold them into a new one (a COPY
// that streams, so memory does not follow the day's size); (2) one transaction points the day's log_objects rows at it;
// (3) after the commit, the old files that no row refers to any more are deleted. Interrupted before the commit (a stop
// interrupts the copy), the old files still hold everything and the new one is a leftover nobody refers to; after it,
// the old ones are. Either way Database.open removes such leftovers (removeOrphanOriginals), and the next compaction
// finds nothing more to do for a day that was done.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { messageOf } from '../../model/errorMessage';
import { counted } from '../counted';
import type { Database } from '../db/database';
import { repeatedInterrupt } from '../db/interrupt';
import { literalPath } from '../db/filePaths';
import { onOneThread } from '../db/threads';
import { isOutOfMemory } from '../errorKind';
import { COPIED_PARQUET_OPTIONS, copiedRowGroups, ROW_GROUP_BYTES, ROW_GROUPS_SQL, type RowGroupsOf } from './keptRowGroups';

const DAY_MS = 86_400_000;

export interface CompactionSummary {
  /** Days whose kept files were rewritten into one Parquet file each. */
  days: number;
  /** Parquet files those days' kept files were read from (a file of several days counts once). */
  filesRead: number;
  /** Parquet files written (one per day). */
  filesWritten: number;
  /** Files deleted because no kept log file is in them any more. */
  filesRemoved: number;
  /** Bytes of the files deleted, and of those written. */
  bytesRemoved: number;
  bytesWritten: number;
  /** Days left for a later compaction: the time budget ran out, or a stop came. */
  daysLeft: number;
  /**
   * What could not be compacted, with why: a day left as it was; or, with `file`, a kept Parquet file that cannot be
   * read (or lacks log files its rows name), whose log files were left in it while the rest of the day was compacted.
   */
  failed: Array<{ day: string; error: string; file?: string }>;
}

export interface CompactionOptions {
  /** The clock: days before yesterday (UTC) are done, as CloudTrail delivers into today's folder and a poll reads yesterday's too. */
  now?: Date;
  /** Starts no new day once this many milliseconds have passed (serve keeps its polls on time); default no limit. */
  budgetMs?: number;
  /** Starts no new day once aborted, and interrupts the day's copy (the day is then left as it was, for the next run). */
  signal?: AbortSignal;
  /** For tests, which simulate a crash or a stop there: called as a day's copy starts, once written, and once its day's rows point at it. */
  onStep?: (step: 'copying' | 'written' | 'committed', file: string) => void;
}

/**
 * One line for people: what a compaction did; undefined when it did nothing. Files read, written and removed, each
 * with its size: a first load's one file split by day reads "read 1, wrote 12, removed none", not "1 into 12".
 */
export function describeCompaction(s: CompactionSummary): string | undefined {
  if (s.days === 0 && s.failed.length === 0) return undefined;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const removed = s.filesRemoved === 0 ? 'removed none' : `removed ${s.filesRemoved} (${mb(s.bytesRemoved)})`;
  const parts = [
    `Compacted the kept log files of ${counted(s.days, 'day')}: read ${counted(s.filesRead, 'Parquet file')}, ` +
      `wrote ${s.filesWritten} (${mb(s.bytesWritten)}), ${removed}`,
  ];
  if (s.daysLeft > 0) parts.push(`${counted(s.daysLeft, 'day')} left for the next compaction`);
  for (const { day, error, file } of s.failed) parts.push(file ? `${day}: ${error}` : `${day} left as it was: ${error}`);
  return parts.join('; ');
}

/**
 * How many rows each kept Parquet file holds, from its footer; a file whose footer cannot be read (cut short, gone)
 * is in `unreadable`, with DuckDB's reason. All at once, and one by one only when that fails. With `rowGroups` (for a
 * day's copy), what its row groups are too (keptRowGroups.ts), from the same read: reading the footers twice took
 * 0.23 s and 0.39 s more for a day of 4 286 files.
 */
async function footers(
  db: Database,
  names: string[],
  { rowGroups = false } = {}
): Promise<{ rows: Map<string, number>; unreadable: Map<string, string>; groups: Map<string, RowGroupsOf> }> {
  const sql = rowGroups ? ROW_GROUPS_SQL : `SELECT file_name AS file, num_rows AS n FROM parquet_file_metadata($files)`;
  const read = (some: string[]) =>
    db.all<{ file: string; n: bigint } & Omit<RowGroupsOf, 'rows'>>(sql, {
      files: listValue(some.map((name) => literalPath(path.join(db.originalsDir, name)))),
    });
  const rows = new Map<string, number>();
  const unreadable = new Map<string, string>();
  const groups = new Map<string, RowGroupsOf>();
  if (names.length === 0) return { rows, unreadable, groups };
  const all = await read(names).catch(async () => {
    const each = [];
    for (const name of names) {
      const one = await read([name]).catch((err) => {
        // Out of memory is not the file's fault: it would be remembered as unreadable.
        if (isOutOfMemory(err)) throw err;
        unreadable.set(name, messageOf(err));
        return [];
      });
      each.push(...one);
    }
    return each;
  });
  // A file without row groups has no row in parquet_metadata: read, and empty.
  if (rowGroups) for (const name of names) if (!unreadable.has(name)) rows.set(name, 0);
  for (const { file, n, ...of } of all) {
    rows.set(path.basename(file), Number(n));
    if (rowGroups) groups.set(path.basename(file), { ...of, rows: Number(n) });
  }
  return { rows, unreadable, groups };
}

/** A kept Parquet file that cannot be read: what compaction says of it, with the count of its day's log files in it. */
const unreadableWhy = (file: string, why: string, logFiles: number) =>
  `the kept Parquet file ${file} cannot be read (${why}): the day's log files in it (${logFiles}) were left there, ` +
  `the rest of the day compacted. Their events stay stored, but their original records (the event details) may not read back: restore the ` +
  `file from a backup of the data folder (the database file with its .originals folder); compaction leaves it as it is`;

/**
 * The days to compact, oldest first: days before yesterday whose kept log files lie in more than one Parquet file, or
 * in one that also holds another day's (a first load's batch, which a prune of one day would otherwise not remove), or
 * in one that holds at least twice as many files as are still kept (a prune took half of them or more). Keys without a
 * day folder (a folder source's plain files), big files kept as files of their own, and the Parquet files known to be
 * unreadable are left alone. A day's one file whose footer cannot be read is in `unreadable`, with its day.
 */
async function dueDays(db: Database, before: string): Promise<{ days: string[]; unreadable: Map<string, { day: string; reason: string; why: string }> }> {
  // The stored day (log_objects.day): no regexp over every key, which took ~1.5 s a million kept files each hour.
  const rows = await db.all<{ day: string; archives: bigint; mixed: boolean; archive: string; files: bigint }>(
    `WITH kept AS (SELECT archive, day FROM log_objects WHERE suffix(archive, '.parquet') AND archive NOT IN (SELECT archive FROM unreadable_originals)),
          mixed AS (SELECT archive FROM kept GROUP BY archive HAVING count(DISTINCT day) + max((day IS NULL)::INTEGER) > 1)
     SELECT day::VARCHAR AS day, count(DISTINCT archive) AS archives, bool_or(archive IN (SELECT archive FROM mixed)) AS mixed,
       min(archive) AS archive, count(*) AS files
     FROM kept
     WHERE day < $before::DATE
     GROUP BY day
     ORDER BY day`,
    { before }
  );
  const due = new Set(rows.filter((r) => Number(r.archives) > 1 || r.mixed).map((r) => r.day));
  // The others are one file each (after a first compaction, one per day): their Parquet footers say how many files they
  // hold. One whose footer cannot be read is named (nothing else of its day is to be compacted).
  const single = rows.filter((r) => !due.has(r.day) && fs.existsSync(path.join(db.originalsDir, r.archive)));
  const { rows: rowsIn, unreadable: damaged } = await footers(db, single.map((r) => r.archive));
  for (const r of single) if ((rowsIn.get(r.archive) ?? 0) >= 2 * Number(r.files)) due.add(r.day);
  const unreadable = new Map<string, { day: string; reason: string; why: string }>();
  for (const r of single) {
    const why = damaged.get(r.archive);
    if (why === undefined) continue;
    unreadable.set(r.archive, { day: r.day, reason: why, why: unreadableWhy(path.join(db.originalsDir, r.archive), why, Number(r.files)) });
  }
  return { days: rows.map((r) => r.day).filter((day) => due.has(day)), unreadable };
}

/** Its size and modification time, which tell a file restored (or replaced) since it was found unreadable. */
function signature(file: string): { bytes: number; modifiedNs: bigint } {
  const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return stat ? { bytes: Number(stat.size), modifiedNs: stat.mtimeNs } : { bytes: -1, modifiedNs: 0n };
}

/**
 * Forgets the kept Parquet files found unreadable (unreadable_originals) that changed since (restored from a backup) or
 * hold no kept log file any more: the others are left out without a read.
 */
async function forgetChanged(db: Database): Promise<void> {
  const rows = await db.all<{ archive: string; bytes: bigint; modified_ns: bigint }>(`SELECT archive, bytes, modified_ns FROM unreadable_originals`);
  if (rows.length === 0) return;
  const changed = rows.filter((r) => {
    const now = signature(path.join(db.originalsDir, r.archive));
    return now.bytes !== Number(r.bytes) || now.modifiedNs !== BigInt(r.modified_ns);
  });
  if (changed.length > 0) {
    await db.run(`DELETE FROM unreadable_originals WHERE archive IN (SELECT unnest($changed))`, { changed: listValue(changed.map((r) => r.archive)) });
  }
  await db.run(`DELETE FROM unreadable_originals WHERE archive NOT IN (SELECT archive FROM log_objects)`);
}

/** Remembers a file just named unreadable, as it is now (see forgetChanged), with DuckDB's reason. */
async function remember(db: Database, archive: string, reason: string, at: Date): Promise<void> {
  const { bytes, modifiedNs } = signature(path.join(db.originalsDir, archive));
  await db.run(`INSERT OR REPLACE INTO unreadable_originals VALUES ($archive, $bytes, $modifiedNs, $reason, $at::TIMESTAMP)`, {
    archive, bytes, modifiedNs, reason, at: at.toISOString(),
  });
}

const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** Rewrites each due day's kept log files into one Parquet file of its own (see the top of this file). */
export async function compactOriginals(db: Database, options: CompactionOptions = {}): Promise<CompactionSummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
  const summary: CompactionSummary = { days: 0, filesRead: 0, filesWritten: 0, filesRemoved: 0, bytesRemoved: 0, bytesWritten: 0, daysLeft: 0, failed: [] };
  await forgetChanged(db);
  const { days, unreadable } = await dueDays(db, yesterday);
  // A day's one file whose footer cannot be read: named once, and not looked at again while it stays as it is.
  for (const [archive, { day, reason, why }] of unreadable) {
    summary.failed.push({ day, file: archive, error: why });
    await remember(db, archive, reason, now);
  }
  const run: Run = { summary, read: new Set(), named: new Set(), now, options };
  for (let i = 0; i < days.length; i++) {
    if (options.signal?.aborted || (options.budgetMs !== undefined && Date.now() - started >= options.budgetMs)) {
      summary.daysLeft = days.length - i;
      break;
    }
    try {
      await compactDay(db, days[i], run);
    } catch (err) {
      // Stopped during its copy: left as it was, for the next run, as the days after it.
      if (options.signal?.aborted) {
        summary.daysLeft = days.length - i;
        break;
      }
      // Nothing of the day changed (or, failed after its commit, its old files are leftovers the next open removes).
      summary.failed.push({ day: days[i], error: messageOf(err) });
    }
  }
  summary.filesRead = run.read.size;
  return summary;
}

interface Run {
  summary: CompactionSummary;
  /** The Parquet files read, and those already named in `failed` (a first load's file holds many days). */
  read: Set<string>;
  named: Set<string>;
  now: Date;
  options: CompactionOptions;
}

/** The day's kept files to copy: per source, a bit per row, set for the rows their log_objects rows name. */
interface Selection {
  sources: string[];
  bits: Map<string, string>;
  /** Rows selected, per source. */
  found: Map<string, number>;
}

/**
 * How many rows of the kept Parquet files one selection query joins with their keys: its hash table holds that many
 * keys (~100 bytes each) and no more, whatever the day's size. A day of 300 000 kept files in two temporary tables of
 * all its keys, joined at once, held ~85 MB of its memory limit (and spilled at 128 MB); 30 000 rows are ~10 queries.
 */
const SELECT_ROWS = 30_000;

/**
 * Which rows of `archives` to copy. A join finds them, on the keys alone (the key column, not the log files): the copy
 * itself then tests one bit per row, which its Parquet scan streams. A filter that looked each row up in a list of the
 * day's keys grew with the square of the day (2 s for 20 000 files, 190 s for 100 000); a join in the copy itself
 * gathered its matching rows (whole log files) before writing them, past a 128 MB memory limit for a day of 90 MB.
 * Some files at a time (SELECT_ROWS), each group's bits after the one before.
 */
async function select(conn: DuckDBConnection, db: Database, day: string, archives: string[], rowsIn: Map<string, number>): Promise<Selection> {
  const groups: string[][] = [];
  let groupRows = Infinity;
  for (const archive of archives) {
    const rows = rowsIn.get(archive) ?? 0;
    if (groupRows + rows > SELECT_ROWS) {
      groups.push([]);
      groupRows = 0;
    }
    groups[groups.length - 1].push(archive);
    groupRows += rows;
  }
  let all = '';
  for (const group of groups) all += await selectGroup(conn, db, day, group, rowsIn);
  const found = new Map<string, number>();
  const bits = new Map<string, string>();
  const sources: string[] = [];
  let offset = 0;
  for (const archive of archives) {
    const rows = rowsIn.get(archive) ?? 0;
    const part = all.slice(offset, offset + rows);
    offset += rows;
    const n = part.split('1').length - 1;
    if (n === 0) continue;
    found.set(archive, n);
    bits.set(archive, part);
    sources.push(archive);
  }
  return { sources, bits, found };
}

/** One group of `select`: a bit per row of its files (in order), set for the rows whose key the day's rows name in that file. */
async function selectGroup(conn: DuckDBConnection, db: Database, day: string, archives: string[], rowsIn: Map<string, number>): Promise<string> {
  const offsets: number[] = [];
  let rows = 0;
  for (const archive of archives) {
    offsets.push(rows);
    rows += rowsIn.get(archive) ?? 0;
  }
  if (rows === 0) return '';
  // Each file's index in the list, as read_parquet numbers them (file_index), by its name in log_objects. Only rows
  // where the footer said (a row past it would be another file's bit): a file rewritten since fails the copy's count.
  const selected = await conn.runAndReadAll(
    `SELECT bitstring_agg(($offsets[p.file_index::BIGINT + 1] + p.file_row_number)::BIGINT, 0, $last)::VARCHAR
     FROM read_parquet($files) p SEMI JOIN (
       SELECT key, i AS file_index FROM log_objects JOIN (SELECT unnest($archives) AS archive, generate_subscripts($archives, 1) - 1 AS i) USING (archive)
       WHERE day = $day::DATE) w ON w.file_index = p.file_index AND w.key = p.key
     WHERE p.file_row_number < $rows[p.file_index::BIGINT + 1]`,
    {
      files: listValue(archives.map((a) => literalPath(path.join(db.originalsDir, a)))),
      archives: listValue(archives),
      day,
      offsets: listValue(offsets),
      rows: listValue(archives.map((a) => rowsIn.get(a) ?? 0)),
      last: rows - 1,
    }
  );
  // None selected: NULL, which is as many zeros.
  return String(selected.getRowsJS()[0]?.[0] ?? '').padEnd(rows, '0');
}

/**
 * The kept Parquet files of `archives` that cannot be read whole (a damaged page, which the footer does not show):
 * each read to its end, once a copy of them together failed.
 */
async function unreadableOf(conn: DuckDBConnection, db: Database, archives: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const bad = new Map<string, string>();
  for (const archive of archives) {
    await conn
      .run(`SELECT sum(length(key) + octet_length(content)) FROM read_parquet($file)`, { file: literalPath(path.join(db.originalsDir, archive)) })
      .catch((err) => {
        // Interrupted by a stop, or out of memory: not the file's fault.
        if (signal?.aborted || isOutOfMemory(err)) throw err;
        bad.set(archive, messageOf(err));
      });
  }
  return bad;
}

/** What a day's copy left where it was, with why; `unreadable` (DuckDB's reason) for a file that cannot be read. */
type Left = { archive: string; why: string; unreadable?: string };

/**
 * Kept Parquet files of at most this many bytes that hold other days' too are copied some together, in a query of all
 * the files of a group whose bytes stay within it (a first load of small batches leaves thousands).
 */
const SHARED_GROUP_BYTES = 2 * ROW_GROUP_BYTES;

/** `archives` (each with its bytes) in groups of at most SHARED_GROUP_BYTES together, in their order. */
function sharedGroups(archives: Array<[string, number]>): string[][] {
  const groups: string[][] = [];
  let groupBytes = Infinity;
  for (const [archive, bytes] of archives) {
    if (groupBytes + bytes > SHARED_GROUP_BYTES) {
      groups.push([]);
      groupBytes = 0;
    }
    groups[groups.length - 1].push(archive);
    groupBytes += bytes;
  }
  return groups;
}

/**
 * Copies the rows `selection` chose into `target`, on one thread; fails when a file changed since it was selected.
 * The files whose every row was chosen are read whole; each other file over SHARED_GROUP_BYTES has a query of its own,
 * whose filter names one column (its `file_row_number`), which the Parquet scan applies as it reads. A filter over two
 * columns (`file_index` and `file_row_number`, all files in one scan) made DuckDB hold the whole day on one thread (a
 * day of 90 MB went past 270 MB), so only small files share one, in groups (sharedGroups): a query per file cost ~1 ms
 * (6 000 took 6 s, and 900 MB of RSS). Each further thread reads row groups of its own (64 log files each: a day of
 * 180 kB files ran out of a 128 MB limit on 4 threads, and came within 6 MB of it on 2); on one thread it stays near
 * 55 MB, and near 20 MB in row groups of 4 MiB (keptRowGroups.ts), which the copy writes too.
 */
async function copySelection(
  conn: DuckDBConnection,
  db: Database,
  { sources, bits, found }: Selection,
  { rowsIn, groups }: { rowsIn: Map<string, number>; groups: Map<string, RowGroupsOf> },
  target: string
): Promise<void> {
  const file = (archive: string) => literalPath(path.join(db.originalsDir, archive));
  // Row groups as small as ingestion's (keptRowGroups.ts), so reading one file back reads little, and the copy holds little.
  const { rows: rowGroupRows, oversized } = copiedRowGroups(sources.map((a) => [a, groups.get(a)!]));
  const whole = sources.filter((a) => found.get(a) === rowsIn.get(a) && !oversized.has(a));
  const params: Record<string, DuckDBValue> = { target, rowGroupRows };
  const selects: string[] = [];
  if (whole.length > 0) {
    selects.push(`SELECT key, content FROM read_parquet($whole)`);
    params.whole = listValue(whole.map(file));
  }
  const readWhole = new Set(whole);
  // Small files that hold other days' too, with their bytes (sharedGroups).
  const partial: Array<[string, number]> = [];
  for (const archive of sources.filter((a) => !readWhole.has(a))) {
    const rows = rowsIn.get(archive)!;
    const every = found.get(archive) === rows;
    const bytes = every || oversized.has(archive) ? Infinity : sizeOf(path.join(db.originalsDir, archive));
    if (bytes <= SHARED_GROUP_BYTES) {
      partial.push([archive, bytes]);
      continue;
    }
    // An oversized file's slices (keptRowGroups.ts), each a filter of its rows that its Parquet scan applies as it reads.
    const step = oversized.get(archive) ?? rows;
    for (let from = 0; from < rows; from += step) {
      if (!every && !bits.get(archive)!.slice(from, from + step).includes('1')) continue;
      const i = selects.length;
      const filters = [];
      if (step < rows) {
        filters.push(`file_row_number >= $from${i} AND file_row_number < $to${i}`);
        params[`from${i}`] = from;
        params[`to${i}`] = from + step;
      }
      if (!every) {
        filters.push(`get_bit($bits${i}::BITSTRING, file_row_number::INTEGER) = 1`);
        params[`bits${i}`] = bits.get(archive)!;
      }
      selects.push(`SELECT key, content FROM read_parquet($file${i}) WHERE ${filters.join(' AND ')}`);
      params[`file${i}`] = file(archive);
    }
  }
  for (const group of sharedGroups(partial)) {
    // Small files that hold other days' too, some together: a filter of each row's bit among the group's, by its file's
    // offset (file_index) and its row (file_row_number); only rows the footer counted (another file's bit past them).
    const i = selects.length;
    const offsets: number[] = [];
    let offset = 0;
    for (const archive of group) {
      offsets.push(offset);
      offset += rowsIn.get(archive)!;
    }
    selects.push(
      `SELECT key, content FROM read_parquet($file${i}) WHERE file_row_number < $rows${i}[file_index::BIGINT + 1]
       AND get_bit($bits${i}::BITSTRING, ($offsets${i}[file_index::BIGINT + 1] + file_row_number)::INTEGER) = 1`
    );
    params[`file${i}`] = listValue(group.map(file));
    params[`rows${i}`] = listValue(group.map((a) => rowsIn.get(a)!));
    params[`offsets${i}`] = listValue(offsets);
    params[`bits${i}`] = group.map((a) => bits.get(a)!).join('');
  }
  // The thread count is set on a connection of its own: a stop interrupts `conn` until the day ends, and would
  // interrupt the statement that gives the count back too.
  const settings = await db.connect();
  const copied = await onOneThread(settings, () => conn.run(`COPY (${selects.join(' UNION ALL ')}) TO $target (${COPIED_PARQUET_OPTIONS})`, params)).finally(
    () => settings.closeSync()
  );
  const expected = total(found);
  if (Number(copied.rowsChanged) !== expected) {
    throw new Error(`copied ${copied.rowsChanged} of the ${expected} log files selected: a kept Parquet file changed meanwhile`);
  }
}

/** A day's copy, written: which files it read, how many log files from each; none when there was nothing to rewrite. */
interface DayCopy {
  /** `whole`: the sources whose every row of the day was copied (found as many as kept). */
  written?: { sources: string[]; found: Map<string, number>; whole: Set<string> };
  left: Left[];
}

/**
 * Copies the day's kept files into `target`, from the Parquet files their rows name; nothing `written` when there is
 * nothing to rewrite. A damaged file is left as it is, with the day's log files in it: they stay as readable as they
 * were, and the rest of the day is copied. Cut short (its footer gone) its footer shows it; a damaged page only a failed
 * copy (or selection), after which each file is read whole and the copy made once more without the ones that fail.
 * The files found unreadable before (unreadable_originals) are left out without a read.
 */
async function copyDay(conn: DuckDBConnection, db: Database, day: string, target: string, options: CompactionOptions): Promise<DayCopy> {
  const dir = db.originalsDir;
  // The day's kept files, by their stored day: how many in each Parquet file.
  const held = (
    await conn.runAndReadAll(
      `SELECT archive, count(*) FROM log_objects
       WHERE day = $day::DATE AND suffix(archive, '.parquet') AND archive NOT IN (SELECT archive FROM unreadable_originals)
       GROUP BY archive ORDER BY archive`,
      { day }
    )
  ).getRowsJS() as Array<[string, bigint]>;
  const kept = new Map(held.map(([archive, n]) => [archive, Number(n)]));
  const { rows: rowsIn, unreadable, groups } = await footers(db, [...kept.keys()], { rowGroups: true });
  let archives = [...kept.keys()].filter((a) => rowsIn.has(a));
  const unreadableLeft = () =>
    [...unreadable].map(([archive, why]): Left => ({ archive, unreadable: why, why: unreadableWhy(path.join(dir, archive), why, kept.get(archive)!) }));
  // In insertion order, on this connection only: without it (the service's setting, for ingestion's inserts) the copy
  // held the day (whole log files) and ran out of a 64 MB memory limit on a day of 122 MB, which it copies within it so.
  await conn.run(`SET SESSION preserve_insertion_order = true`);
  for (let attempt = 0; ; attempt++) {
    try {
      const selection = await select(conn, db, day, archives, rowsIn);
      const { sources, found } = selection;
      // Nothing to rewrite: the day's readable files are one Parquet file of that day alone. A file that cannot be read
      // is still named (once: then it is known).
      if (sources.length === 0 || (sources.length === 1 && found.get(sources[0]) === rowsIn.get(sources[0]))) return { left: unreadableLeft() };
      options.onStep?.('copying', target);
      if (options.signal?.aborted) throw new Error('stopped');
      await copySelection(conn, db, selection, { rowsIn, groups }, target);
      const left = unreadableLeft();
      for (const archive of archives) {
        const missing = kept.get(archive)! - (found.get(archive) ?? 0);
        if (missing === 0) continue;
        left.push({
          archive,
          why:
            `${counted(missing, 'log file')} of the day that log_objects says are kept in ${path.join(dir, archive)} are not in it, and were left ` +
            `pointing at it: their events' original records cannot be read. Restore the file from a backup of the data folder if there is one`,
        });
      }
      const whole = new Set(sources.filter((a) => found.get(a) === kept.get(a)));
      return { written: { sources, found, whole }, left };
    } catch (err) {
      fs.rmSync(target, { force: true });
      if (options.signal?.aborted || attempt > 0) throw err;
      const bad = await unreadableOf(conn, db, archives, options.signal);
      if (bad.size === 0) throw err;
      for (const [archive, why] of bad) unreadable.set(archive, why);
      archives = archives.filter((a) => !bad.has(a));
    }
  }
}

const total = (found: Map<string, number>) => [...found.values()].reduce((sum, n) => sum + n, 0);

async function compactDay(db: Database, day: string, { summary, read, named, now, options }: Run): Promise<void> {
  const target = path.join(db.originalsDir, `${randomUUID()}.parquet`);
  const conn = await db.connect();
  // A stop interrupts the copy, which can take minutes for a big day: nothing of the day has changed before its commit.
  // Again every 20 ms until the day ends (repeatedInterrupt): on a loaded machine the first one could be lost.
  const interrupter = repeatedInterrupt(conn, 20);
  const interrupt = () => interrupter.start();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  let copy: DayCopy;
  try {
    copy = await copyDay(conn, db, day, target, options);
    if (copy.written) {
      fs.chmodSync(target, 0o600);
      options.onStep?.('written', target);
      const { sources, found, whole } = copy.written;
      await db.transaction(async (tx) => {
        // The rows of the keys copied, still where they were read from: one that changed since points at a file this copy
        // did not read. Each key was copied from the file its row named, and only from it. Of a file whose every row of
        // the day was copied (a file holds a key once), its rows of the day; of one that lacks some, those whose key it
        // holds (as select() chose them). A join of every row with the new file's keys held ~50 MB for 300 000 files.
        const name = path.basename(target);
        let moved = Number(
          (
            await tx.run(`UPDATE log_objects SET archive = $name WHERE day = $day::DATE AND archive IN (SELECT unnest($whole))`, {
              name, day, whole: listValue([...whole]),
            })
          ).rowsChanged
        );
        for (const archive of sources.filter((a) => !whole.has(a))) {
          const { rowsChanged } = await tx.run(
            `UPDATE log_objects SET archive = $name
             WHERE day = $day::DATE AND archive = $archive AND key IN (SELECT key FROM read_parquet($file))`,
            { name, day, archive, file: literalPath(path.join(db.originalsDir, archive)) }
          );
          moved += Number(rowsChanged);
        }
        if (moved !== total(found)) {
          throw new Error(`${total(found)} log files copied, ${moved} of their rows found where they were read from`);
        }
      });
    }
  } catch (err) {
    fs.rmSync(target, { force: true });
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    interrupter.stop();
    conn.closeSync();
  }
  // Named once: a file that cannot be read is remembered, and left out without a read until it changes; one that lacks
  // log files is named as the rest of its day is rewritten, and a later run that finds nothing else to rewrite says nothing.
  for (const { archive, why, unreadable } of copy.left) {
    if (named.has(archive) || (!copy.written && unreadable === undefined)) continue;
    named.add(archive);
    summary.failed.push({ day, file: archive, error: why });
    if (unreadable !== undefined) {
      await remember(db, archive, unreadable, now);
    }
  }
  if (!copy.written) return;
  summary.days++;
  for (const archive of copy.written.sources) read.add(archive);
  summary.filesWritten++;
  summary.bytesWritten += sizeOf(target);
  options.onStep?.('committed', target);
  // After the commit: a file that still holds another day's kept files (a first load's batch) stays until that day's turn.
  const used = await db.all<{ archive: string }>(`SELECT DISTINCT archive FROM log_objects WHERE archive IN (SELECT unnest($archives))`, {
    archives: listValue(copy.written.sources),
  });
  const keep = new Set(used.map((row) => row.archive));
  for (const archive of copy.written.sources.filter((a) => !keep.has(a))) {
    const file = path.join(db.originalsDir, archive);
    summary.bytesRemoved += sizeOf(file);
    fs.rmSync(file, { force: true });
    summary.filesRemoved++;
  }
}
