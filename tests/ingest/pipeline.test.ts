// Ingestion keeps both of DuckDB's cores and the downloads busy: while a batch loads, the next one is listed (several
// folders ahead), fetched and checked (its nesting scan), across the listing's day folders. Before, a batch was
// fetched only once the one before had loaded, so 1 M events spent about a quarter of their time waiting on the fetch
// (npm run bench:ingest).
import path from 'node:path';
import { writeLogFolder } from '../../src/generator';
import { ingest } from '../../src/service/ingest';
import { BatchLoader } from '../../src/service/ingest/loader';
import { FolderSource } from '../../src/service/ingest/sources/folder';
import { eventFiles, rowCount, withTempDatabase } from '../support/temp';

const END = new Date('2026-11-20T12:00:00Z');

afterEach(() => jest.restoreAllMocks());

test('the next batch is listed and fetched while DuckDB loads the one before, and every event is stored once', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    // Small files over three days, so the window takes several batches (at most 1000 files each) over many folders.
    await writeLogFolder(logs, { events: 30_000, days: 3, end: END, seed: 21, eventsPerFile: 10 });
    const expected = eventFiles(logs);

    // What happened, in order: each listing and fetch, and each load's start and end with the keys it loaded.
    const timeline: Array<{ list: string } | { fetch: string } | { loading: string[] } | { loaded: number }> = [];
    const list = FolderSource.prototype.list;
    // How many listings run at once: a few folders are listed ahead, not all, nor one at a time.
    const listings = { running: 0, most: 0 };
    jest.spyOn(FolderSource.prototype, 'list').mockImplementation(async function (this: FolderSource, unit) {
      timeline.push({ list: unit });
      listings.most = Math.max(listings.most, ++listings.running);
      try {
        return await list.call(this, unit);
      } finally {
        listings.running--;
      }
    });
    const fetch = FolderSource.prototype.fetch;
    jest.spyOn(FolderSource.prototype, 'fetch').mockImplementation(function (this: FolderSource, ref) {
      timeline.push({ fetch: ref.key });
      return fetch.call(this, ref);
    });
    const load = BatchLoader.prototype.load;
    jest.spyOn(BatchLoader.prototype, 'load').mockImplementation(async function (this: BatchLoader, files, triaged) {
      timeline.push({ loading: files.map((f) => f.key) });
      try {
        return await load.call(this, files, triaged);
      } finally {
        timeline.push({ loaded: files.length });
      }
    });

    const run = await ingest({ source: logs, db, days: 3, now: END });
    expect(run).toMatchObject({ stopped: false, errors: 0, objects: expected.files, events: expected.unique });
    expect(await rowCount(db, 'events')).toBe(expected.unique);
    expect(listings.most).toBeGreaterThan(1);
    expect(listings.most).toBeLessThanOrEqual(5);

    // Every load but the last saw the next batch listed and its files fetched while it ran.
    const loads = timeline.flatMap((step, i) => ('loading' in step ? [{ start: i, keys: new Set(step.loading) }] : []));
    expect(loads.length).toBeGreaterThan(2);
    for (const { start, keys } of loads.slice(0, -1)) {
      const during = timeline.slice(start, timeline.findIndex((step, i) => i > start && 'loaded' in step));
      expect(during.filter((step) => 'fetch' in step && !keys.has(step.fetch)).length).toBeGreaterThan(0);
      expect(during.filter((step) => 'list' in step).length).toBeGreaterThan(0);
    }
  }), 120_000);
