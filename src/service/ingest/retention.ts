// Retention: events older than N days leave the database, together with what only they needed: their kept log
// files, and the ledger rows of day folders that no run lists again. A service that runs for years keeps a bounded
// file; the trail's S3 bucket stays the record. DuckDB reuses the freed blocks, so the file stops growing rather
// than shrinking.
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import type { RetentionStatus } from '../../model/api';
import { counted } from '../counted';
import type { Database } from '../db/database';
import { minute } from '../reports/print';
import { COMPLETED_RUN, ENDED_FIRST_LOAD } from './index';
import { KEY_DAY_SQL } from './keys';

const DAY_MS = 86_400_000;

export interface PruneSummary {
  retentionDays: number;
  /** Events that happened before this instant were removed (ISO). */
  before: string;
  events: number;
  /** Kept log files removed because none of their events remained. */
  logFiles: number;
  /** Ledger and ingest-error rows of day folders before the cutoff's day, which no run lists again. */
  ledgerRows: number;
  /** Rejected records and ingestion runs recorded before the cutoff (each source's last completed run, and last that ended its first load, stay). */
  records: number;
}

/**
 * The instant before which events go, and the first day folder a run still needs: files of an earlier day were
 * delivered before that day began, so every event in them is older than the cutoff.
 */
export function retentionCutoff(retentionDays: number, now: Date): { before: Date; firstDay: string } {
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  return { before, firstDay: before.toISOString().slice(0, 10) };
}

/** The most days a run reads under a retention: the cutoff's day and every day since (ingest's --days). */
export function daysWithin(retentionDays: number): number {
  return retentionDays + 1;
}

/** The days a run asked to read `days` back reads: no further back than a retention keeps (without one, as asked). */
export function daysUnder(retentionDays: number | undefined, days: number): number {
  return retentionDays ? Math.min(days, daysWithin(retentionDays)) : days;
}

/** One line for people: what a prune removed, its cutoff to the minute as reports say it (not the ISO instant the JSON gives). */
export function describePrune(s: PruneSummary): string {
  return (
    `Removed ${counted(s.events, 'event')} from before ${minute(Date.parse(s.before))} UTC (retention: ${counted(s.retentionDays, 'day')}), ` +
    `${counted(s.logFiles, 'kept log file')} no event needs, and ${counted(s.ledgerRows + s.records, 'bookkeeping row')}`
  );
}

/** Removes what lies outside a retention of `retentionDays` days, in one transaction; then the unused kept files. */
export async function prune(db: Database, retentionDays: number, now = new Date()): Promise<PruneSummary> {
  const { before, firstDay } = retentionCutoff(retentionDays, now);
  const params = { before: before.toISOString(), firstDay };
  const { summary, archives } = await db.transaction(async (conn) => {
    // DuckDB refuses parameters a statement does not use: each gets only its own.
    const changed = async (sql: string) =>
      Number((await conn.run(sql, Object.fromEntries(Object.entries(params).filter(([name]) => sql.includes(`$${name}`))))).rowsChanged);
    // The files whose events go: a file keeps its copy while any of its events stays (a late delivery can straddle
    // the cutoff).
    await changed(
      `CREATE OR REPLACE TEMP TABLE pruned_files AS
       SELECT DISTINCT object_key FROM events WHERE event_time < $before::TIMESTAMP AND object_key IS NOT NULL`
    );
    const events = await changed(`DELETE FROM events WHERE event_time < $before::TIMESTAMP`);
    await changed(`DELETE FROM event_resources WHERE event_time < $before::TIMESTAMP`);
    const gone = await conn.runAndReadAll(
      `DELETE FROM log_objects
       WHERE key IN (SELECT object_key FROM pruned_files EXCEPT SELECT object_key FROM events WHERE object_key IN (SELECT object_key FROM pruned_files))
       RETURNING archive`
    );
    // No run under this retention lists an earlier day folder again, so their files need no ledger rows.
    const ledgerRows =
      (await changed(`DELETE FROM ingested_objects WHERE ${KEY_DAY_SQL('key')} < $firstDay`)) +
      (await changed(`DELETE FROM ingest_errors WHERE ${KEY_DAY_SQL('key')} < $firstDay`));
    // What stays is listed again: the cutoff's day folder, and files without a day (a folder source's plain files, on
    // every run). Runs under this retention read nothing of them again; a run that keeps events from before the cutoff
    // (a longer retention, or none) reads again the files this prune took events from, and gets those events back.
    await changed(
      `UPDATE ingested_objects SET events_pruned_before = $before::TIMESTAMP
       WHERE key IN (SELECT object_key FROM pruned_files) OR key || '#' || etag IN (SELECT object_key FROM pruned_files)`
    );
    const records =
      (await changed(`DELETE FROM rejected_records WHERE rejected_at < $before::TIMESTAMP`)) +
      // Each source's last completed run stays: polls read on from it. So does its last run that ended the first load
      // (ingest --days 1 from cron ends none): without it, every later run would store its events as history. Older
      // failed or stopped runs go, even of a source that never completed one (a mistyped folder fails every poll):
      // the catch-up they would ask for reaches no further back than the retention anyway.
      (await changed(
        `DELETE FROM ingest_runs r WHERE started_at < $before::TIMESTAMP
         AND started_at IS DISTINCT FROM (SELECT max(started_at) FROM ingest_runs c WHERE c.source = r.source AND ${COMPLETED_RUN})
         AND started_at IS DISTINCT FROM (SELECT max(started_at) FROM ingest_runs c WHERE c.source = r.source AND ${ENDED_FIRST_LOAD})`
      ));
    const status: RetentionStatus = { days: retentionDays, before: params.before, prunedAt: now.toISOString() };
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('retention', $value)`, { value: JSON.stringify(status) });
    await conn.run(`DROP TABLE pruned_files`);
    const candidates = [...new Set(gone.getRowsJS().map((row) => String(row[0])))];
    const summary: PruneSummary = { retentionDays, before: params.before, events, logFiles: gone.currentRowCount, ledgerRows, records };
    return { summary, archives: candidates };
  });
  // After the commit: a kept file another batch's log file still needs stays. (A crash here leaves files nobody
  // refers to, which the next open removes.)
  if (archives.length > 0) {
    const used = await db.all<{ archive: string }>(`SELECT DISTINCT archive FROM log_objects WHERE archive IN (SELECT unnest($archives))`, {
      archives: listValue(archives),
    });
    const keep = new Set(used.map((row) => row.archive));
    for (const archive of archives) if (!keep.has(archive)) fs.rmSync(path.join(db.originalsDir, archive), { force: true });
  }
  return summary;
}
