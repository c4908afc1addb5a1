// A migration of its own (schema version 14), kept apart so that it can be renumbered: the sign-in steps that failed
// without an errorCode (CheckMfa, IAM Identity Center's CredentialVerification …) were stored as successes before the
// field rules read their outcome (fieldRules.ts SIGN_IN_OUTCOMES). No stored column holds that outcome, so the
// candidates' original records are read back from the kept log files, in Node, and those that failed are marked.
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { isFailedSignIn, SIGN_IN_OUTCOMES } from '../../model/fieldRules';
import { originalRecords } from '../reports/records';

/** The schema version whose field rules mark failed sign-in steps as errors and unauthorized attempts. */
export const SIGN_IN_FAILURES_VERSION = 14;

/**
 * How many candidates' records are read at a time: each batch holds the log files that hold them (each up to 8 MB
 * unpacked) at once, and sign-in steps are few and spread over many files, so a batch is about as many files.
 */
const BATCH = 256;

/**
 * Marks the stored sign-in steps that failed as errors and unauthorized attempts; returns how many. ConsoleLogin is no
 * candidate: its outcome was read from the start. Events whose kept file is gone stay as they are.
 */
export async function markStoredSignInFailures(conn: DuckDBConnection, originalsDir: string): Promise<number> {
  const names = SIGN_IN_OUTCOMES.map((o) => o.eventName).filter((name) => name !== 'ConsoleLogin');
  const candidates = await conn.runAndReadAll(`SELECT event_id FROM events WHERE NOT is_error AND event_name IN (SELECT unnest($names))`, {
    names: listValue(names),
  });
  const ids = candidates.getRowsJS().map(([id]) => String(id));
  let marked = 0;
  for (let i = 0; i < ids.length; i += BATCH) {
    const { found } = await originalRecords(conn, originalsDir, ids.slice(i, i + BATCH)).catch(() => ({ found: new Map<string, Record<string, unknown>>() }));
    const failed = [...found].filter(([, record]) => isFailedSignIn(record)).map(([id]) => id);
    if (failed.length === 0) continue;
    await conn.run(`UPDATE events SET is_error = true, is_unauthorized = true WHERE event_id IN (SELECT unnest($ids))`, { ids: listValue(failed) });
    marked += failed.length;
  }
  return marked;
}
