// Compaction of the kept log files (log_objects): each ingested batch keeps its files in a Parquet file of its own, so
// a service polling every 5 minutes adds 288 files a day, and a first load's batches mix days, which a prune cannot
// remove until all their days age out. Compaction rewrites each finished day's kept files into one Parquet file of that
// day alone: few files, and a prune that removes a day removes its file whole.
//
// A day at a time: (1) DuckDB copies the day's kept files from the Parquet files that hold them into a new one (a COPY
// that streams, so memory does not follow the day's size); (2) one transaction points the day's log_objects rows at it;
// (3) after the commit, the old files that no row refers to any more are deleted. Interrupted before the commit, the
// old files still hold everything and the new one is a leftover nobody refers to; after it, the old ones are. Either
// way Database.open removes such leftovers (removeOrphanOriginals), and the next compaction finds nothing more to do
// for a day that was done.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { counted } from '../counted';
import type { Database } from '../db/database';
import { KEY_DAY_SQL } from './retention';

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
  /** Days that could not be compacted (left as they were), with why. */
  failed: Array<{ day: string; error: string }>;
}

export interface CompactionOptions {
  /** The clock: days before yesterday (UTC) are done, as CloudTrail delivers into today's folder and a poll reads yesterday's too. */
  now?: Date;
  /** Starts no new day once this many milliseconds have passed (serve keeps its polls on time); default no limit. */
  budgetMs?: number;
  /** Starts no new day once aborted. */
  signal?: AbortSignal;
  /** For tests, which simulate a crash there: called with the new file once written, and once its day's rows point at it. */
  onStep?: (step: 'written' | 'committed', file: string) => void;
}

/** One line for people: what a compaction did; undefined when it did nothing. */
export function describeCompaction(s: CompactionSummary): string | undefined {
  if (s.days === 0 && s.failed.length === 0) return undefined;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const parts = [
    `Compacted the kept log files of ${counted(s.days, 'day')}: ${counted(s.filesRead, 'Parquet file')} into ${s.filesWritten}, ` +
      `${counted(s.filesRemoved, 'file')} removed (${mb(s.bytesRemoved)} removed, ${mb(s.bytesWritten)} written)`,
  ];
  if (s.daysLeft > 0) parts.push(`${counted(s.daysLeft, 'day')} left for the next compaction`);
  for (const { day, error } of s.failed) parts.push(`${day} left as it was: ${error}`);
  return parts.join('; ');
}

/**
 * The days to compact, oldest first: days before yesterday whose kept log files lie in more than one Parquet file, or
 * in one that also holds another day's (a first load's batch, which a prune of one day would otherwise not remove), or
 * in one that holds at least twice as many files as are still kept (a prune took half of them or more). Keys without a
 * day folder (a folder source's plain files) and big files kept as files of their own are left alone.
 */
async function dueDays(db: Database, before: string): Promise<string[]> {
  const rows = await db.all<{ day: string; archives: bigint; mixed: boolean; archive: string; files: bigint }>(
    `WITH kept AS (SELECT archive, ${KEY_DAY_SQL('key')} AS day FROM log_objects WHERE suffix(archive, '.parquet')),
          mixed AS (SELECT archive FROM kept GROUP BY archive HAVING count(DISTINCT coalesce(day, '')) > 1)
     SELECT day, count(DISTINCT archive) AS archives, bool_or(archive IN (SELECT archive FROM mixed)) AS mixed, min(archive) AS archive, count(*) AS files
     FROM kept
     WHERE day < $before
     GROUP BY day
     ORDER BY day`,
    { before }
  );
  const due = new Set(rows.filter((r) => Number(r.archives) > 1 || r.mixed).map((r) => r.day));
  // The others are one file each (after a first compaction, one per day): their Parquet footers say how many files they hold.
  const single = rows.filter((r) => !due.has(r.day) && fs.existsSync(path.join(db.originalsDir, r.archive)));
  if (single.length > 0) {
    const footers = (names: string[]) =>
      db.all<{ file: string; n: bigint }>(`SELECT file_name AS file, num_rows AS n FROM parquet_file_metadata($files)`, {
        files: listValue(names.map((name) => path.join(db.originalsDir, name))),
      });
    // A damaged file fails them all: then one by one, and the damaged one is left as it is.
    const held = await footers(single.map((r) => r.archive)).catch(async () => {
      const each = [];
      for (const r of single) each.push(...(await footers([r.archive]).catch(() => [])));
      return each;
    });
    const rowsIn = new Map(held.map((h) => [path.basename(h.file), Number(h.n)]));
    for (const r of single) if ((rowsIn.get(r.archive) ?? 0) >= 2 * Number(r.files)) due.add(r.day);
  }
  return rows.map((r) => r.day).filter((day) => due.has(day));
}

const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** Rewrites each due day's kept log files into one Parquet file of its own (see the top of this file). */
export async function compactOriginals(db: Database, options: CompactionOptions = {}): Promise<CompactionSummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const yesterday = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
  const summary: CompactionSummary = { days: 0, filesRead: 0, filesWritten: 0, filesRemoved: 0, bytesRemoved: 0, bytesWritten: 0, daysLeft: 0, failed: [] };
  const days = await dueDays(db, yesterday);
  const read = new Set<string>();
  for (let i = 0; i < days.length; i++) {
    if (options.signal?.aborted || (options.budgetMs !== undefined && Date.now() - started >= options.budgetMs)) {
      summary.daysLeft = days.length - i;
      break;
    }
    try {
      await compactDay(db, days[i], summary, read, options.onStep);
    } catch (err) {
      // Nothing of the day changed (or, failed after its commit, its old files are leftovers the next open removes).
      summary.failed.push({ day: days[i], error: err instanceof Error ? err.message : String(err) });
    }
  }
  summary.filesRead = read.size;
  return summary;
}

async function compactDay(
  db: Database,
  day: string,
  summary: CompactionSummary,
  read: Set<string>,
  onStep: CompactionOptions['onStep']
): Promise<void> {
  const dir = db.originalsDir;
  const kept = await db.all<{ key: string; archive: string }>(
    `SELECT key, archive FROM log_objects WHERE suffix(archive, '.parquet') AND ${KEY_DAY_SQL('key')} = $day`,
    { day }
  );
  const archives = [...new Set(kept.map((k) => k.archive))];
  const target = path.join(dir, `${randomUUID()}.parquet`);
  const conn = await db.connect();
  try {
    // The day's files where their rows say they are: an older copy of a key in another Parquet file (a file kept again
    // after a prune took some of its events) is not the one its events point into. A filter the Parquet scan applies
    // itself: through a join (or IN a subquery) DuckDB gathers the matching rows, whole log files, into chunks of 2048
    // before writing them. And in insertion order, on this connection only: without it (the service's setting, for
    // ingestion's inserts) the copy ran out of a 64 MB memory limit on a day of 122 MB, which it copies within it so.
    await conn.run(`SET SESSION preserve_insertion_order = true`);
    const copied = await conn.run(
      // As ingestion writes them (loader.ts keepOriginals): small row groups, so reading one file back reads little.
      `COPY (SELECT key, content FROM read_parquet($files, filename = true) WHERE list_contains($wanted, filename || chr(0) || key))
       TO $target (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 64)`,
      {
        files: listValue(archives.map((a) => path.join(dir, a))),
        wanted: listValue(kept.map((k) => `${path.join(dir, k.archive)}\u0000${k.key}`)),
        target,
      }
    );
    fs.chmodSync(target, 0o600);
    const written = Number(copied.rowsChanged);
    if (written !== kept.length) {
      throw new Error(
        `${kept.length - written} of its ${counted(kept.length, 'kept log file')} are not in the ${counted(archives.length, 'Parquet file')} ` +
          `log_objects names for them: a file is damaged, and the original records of some of the day's events may be unreadable`
      );
    }
    onStep?.('written', target);
    await db.transaction(async (tx) => {
      await tx.run(`CREATE OR REPLACE TEMP TABLE compacting AS SELECT unnest($keys) AS key, unnest($archives) AS archive`, {
        keys: listValue(kept.map((k) => k.key)),
        archives: listValue(kept.map((k) => k.archive)),
      });
      // Only rows still where they were read from: one that changed since points at a file this copy did not read.
      await tx.run(`UPDATE log_objects SET archive = $name FROM compacting c WHERE log_objects.key = c.key AND log_objects.archive = c.archive`, {
        name: path.basename(target),
      });
      await tx.run(`DROP TABLE compacting`);
    });
  } catch (err) {
    fs.rmSync(target, { force: true });
    throw err;
  } finally {
    conn.closeSync();
  }
  summary.days++;
  for (const archive of archives) read.add(archive);
  summary.filesWritten++;
  summary.bytesWritten += sizeOf(target);
  onStep?.('committed', target);
  // After the commit: a file that still holds another day's kept files (a first load's batch) stays until that day's turn.
  const used = await db.all<{ archive: string }>(`SELECT DISTINCT archive FROM log_objects WHERE archive IN (SELECT unnest($archives))`, {
    archives: listValue(archives),
  });
  const keep = new Set(used.map((row) => row.archive));
  for (const archive of archives.filter((a) => !keep.has(a))) {
    const file = path.join(dir, archive);
    summary.bytesRemoved += sizeOf(file);
    fs.rmSync(file, { force: true });
    summary.filesRemoved++;
  }
}
