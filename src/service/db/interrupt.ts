// Stopping a DuckDB statement that may not have begun to run yet.
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Interrupts `conn` from `start()` on, again every `everyMs` until `stop()`: DuckDB forgets an interrupt that lands
 * while its statement is still being prepared or waits for a thread, and that statement then ran to its end. For a
 * connection whose statements may all be stopped (a report's, compaction's copy), not a transaction's (its ROLLBACK).
 */
export function repeatedInterrupt(conn: DuckDBConnection, everyMs: number): { start(): void; readonly started: boolean; stop(): void } {
  let repeat: NodeJS.Timeout | undefined;
  return {
    start() {
      if (repeat) return;
      conn.interrupt();
      repeat = setInterval(() => conn.interrupt(), everyMs);
    },
    get started() {
      return repeat !== undefined;
    },
    stop() {
      clearInterval(repeat);
    },
  };
}
