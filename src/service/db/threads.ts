// DuckDB's thread count, lowered for one piece of work that runs better (or in less memory) on one thread.
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `work` with DuckDB on one thread, then gives back the count it had. The setting is the database's, not the
 * connection's: other connections' queries meanwhile run on one thread as well.
 */
export async function onOneThread<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  const reader = await conn.runAndReadAll(`SELECT current_setting('threads')::INTEGER`);
  const threads = Number(reader.getRowsJS()[0][0]);
  if (threads === 1) return work();
  await conn.run(`SET threads = 1`);
  try {
    return await work();
  } finally {
    await conn.run(`SET threads = ${threads}`);
  }
}
