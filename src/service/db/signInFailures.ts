// A migration of its own (schema version 14), kept apart so that it can be renumbered: the sign-in steps that failed
// without an errorCode (CheckMfa, IAM Identity Center's CredentialVerification …) were stored as successes before the
// field rules read their outcome (fieldRules.ts SIGN_IN_OUTCOMES). No stored column holds that outcome, so the
// candidates' original records are read back from the kept log files, in Node, and those that failed are marked.
import fs from 'node:fs';
import path from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { isFailedSignIn, SIGN_IN_OUTCOMES } from '../../model/fieldRules';
import { isOutOfMemory } from '../errorKind';
import { unlessUnreadable, type PassWatch } from './categoryBackfill';
import { originalRecords } from '../reports/records';

/** The schema version whose field rules mark failed sign-in steps as errors and unauthorized attempts. */
export const SIGN_IN_FAILURES_VERSION = 14;

/**
 * What one read of records holds: the log files of its candidates (each up to 8 MB unpacked) at once, at most
 * FILES_PER_BATCH of them; and at most IDS_PER_BATCH candidates, whose look-up reads every event.
 */
const FILES_PER_BATCH = 64;
const IDS_PER_BATCH = 10_000;

/**
 * Marks the stored sign-in steps that failed as errors and unauthorized attempts; returns how many. ConsoleLogin is no
 * candidate: its outcome was read from the start. Events whose kept file is gone stay as they are.
 */
export async function markStoredSignInFailures(conn: DuckDBConnection, reader: DuckDBConnection, originalsDir: string, watch: PassWatch = {}): Promise<number> {
  const names = SIGN_IN_OUTCOMES.map((o) => o.eventName).filter((name) => name !== 'ConsoleLogin');
  // By file: the candidates of one file are read together, each file once. Cut every 256 candidates as they came, a
  // file of many was read again by each batch that held one of them, and every batch scanned the events for its ids:
  // 46 000 candidates among 3 M events took 28.7 s (414 MB peak), 18.1 s so (444 MB; 256 files a batch: 14.6 s, 570 MB).
  const candidates = await conn.runAndReadAll(
    `SELECT e.event_id, e.object_key, o.archive FROM events e LEFT JOIN log_objects o ON o.key = e.object_key
     WHERE NOT e.is_error AND e.event_name IN (SELECT unnest($names)) ORDER BY e.object_key`,
    { names: listValue(names) }
  );
  // Those whose kept file is gone are left out beforehand: one missing file failed the read of its whole batch, whose
  // other candidates then stayed unmarked for good. (Without a kept file, an event stored before version 4 has its copy.)
  const kept = new Map<string, boolean>();
  const isKept = (archive: string | null) => {
    if (archive === null) return true;
    if (!kept.has(archive)) kept.set(archive, fs.existsSync(path.join(originalsDir, archive)));
    return kept.get(archive)!;
  };
  let marked = 0;
  const rows = candidates.getRowsJS() as Array<[string, string, string | null]>;
  const mark = async (candidates: Array<{ id: string; archive: string | null }>) => {
    watch.signal?.throwIfAborted();
    const found = new Map<string, Record<string, unknown>>();
    const read = async (ids: string[]) => (await originalRecords(reader, originalsDir, ids)).found.forEach((record, id) => found.set(id, record));
    try {
      await read(candidates.map((c) => c.id));
    } catch (err) {
      if (isOutOfMemory(err)) throw err;
      watch.signal?.throwIfAborted();
      // A kept file that cannot be read (cut short, broken on disk) failed the batch: each archive alone, so that only
      // its own candidates stay as they were (categoryBackfill.ts unlessUnreadable).
      const byArchive = new Map<string | null, string[]>();
      for (const { id, archive } of candidates) {
        if (!byArchive.has(archive)) byArchive.set(archive, []);
        byArchive.get(archive)!.push(id);
      }
      for (const ids of byArchive.values()) await unlessUnreadable(() => read(ids), watch.signal);
    }
    const failed = [...found].filter(([, record]) => isFailedSignIn(record)).map(([id]) => id);
    if (failed.length === 0) return;
    await conn.run(`UPDATE events SET is_error = true, is_unauthorized = true WHERE event_id IN (SELECT unnest($ids))`, { ids: listValue(failed) });
    marked += failed.length;
  };
  let batch: Array<{ id: string; archive: string | null }> = [];
  let files = 0;
  let lastKey: string | undefined;
  for (const [i, [id, key, archive]] of rows.entries()) {
    if (!isKept(archive)) continue;
    const newFile = key !== lastKey;
    if (batch.length >= IDS_PER_BATCH || (newFile && files >= FILES_PER_BATCH)) {
      await mark(batch);
      // The candidates before this one are done.
      watch.progress?.(i, rows.length);
      batch = [];
      files = 0;
    }
    if (newFile || batch.length === 0) files++;
    lastKey = key;
    batch.push({ id: String(id), archive });
  }
  if (batch.length > 0) await mark(batch);
  watch.progress?.(rows.length, rows.length);
  return marked;
}
