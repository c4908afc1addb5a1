// A batch's rows go into the events table on one of DuckDB's threads: spread over several, each thread's part was
// appended twice (loader.ts onOneThread). The database's own thread count is back once they are in, or have failed.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { writeLogFolder } from '../../src/generator';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { eventFiles, tempDir } from '../support/temp';

const END = new Date('2026-11-20T12:00:00Z');

afterEach(() => jest.restoreAllMocks());

/** The thread counts DuckDB had while the inserts into `events` and `event_resources` ran; the first `failures` of the latter fail. */
function watchInserts(failures: number) {
  const seen = { events: [] as number[], resources: [] as number[] };
  const run = DuckDBConnection.prototype.run;
  jest.spyOn(DuckDBConnection.prototype, 'run').mockImplementation(async function (this: DuckDBConnection, sql, ...rest) {
    const into = /^INSERT INTO (events|event_resources)\b/.exec(sql.trim())?.[1];
    if (into) {
      const reader = await this.runAndReadAll(`SELECT current_setting('threads')::INTEGER`);
      seen[into === 'events' ? 'events' : 'resources'].push(Number(reader.getRowsJS()[0][0]));
      if (into === 'event_resources' && failures-- > 0) throw new Error('injected failure');
    }
    return run.call(this, sql, ...rest);
  });
  return seen;
}

async function withThreeThreads(body: (dir: string, db: Database) => Promise<void>) {
  const dir = tempDir();
  const db = await Database.open(path.join(dir, 'db.duckdb'), { threads: 3 });
  try {
    await body(dir, db);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const threads = (db: Database) => db.all(`SELECT current_setting('threads')::INTEGER AS threads`);

test('a batch is inserted on one thread, and the database keeps the threads it was opened with', () =>
  withThreeThreads(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 500, days: 1, end: END, seed: 5, eventsPerFile: 50 });
    const seen = watchInserts(0);
    const run = await ingest({ source: logs, db, days: 1, now: END });
    expect(run).toMatchObject({ errors: 0, events: eventFiles(logs).unique });
    expect(seen.events.length).toBeGreaterThan(0);
    expect(new Set([...seen.events, ...seen.resources])).toEqual(new Set([1]));
    expect(await threads(db)).toEqual([{ threads: 3 }]);
  }), 60_000);

test('an insert that fails leaves the database its threads', () =>
  withThreeThreads(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 100, days: 1, end: END, seed: 6, eventsPerFile: 50 });
    const seen = watchInserts(Infinity);
    await ingest({ source: logs, db, days: 1, now: END }).catch(() => undefined);
    expect(seen.resources.length).toBeGreaterThan(0);
    expect(await threads(db)).toEqual([{ threads: 3 }]);
  }), 60_000);
