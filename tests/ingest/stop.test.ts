// A run stopped by its signal (the service's shutdown) commits the batch it is loading and no more; the next run
// ingests exactly the rest, nothing twice.
import path from 'node:path';
import { writeLogFolder } from '../../src/generator';
import { ingest } from '../../src/service/ingest';
import { BatchLoader } from '../../src/service/ingest/loader';
import { eventFiles, rowCount, withTempDatabase } from '../support/temp';

const END = new Date('2026-11-20T12:00:00Z');

test('stopped after its first batch, a run keeps that batch whole and is recorded as stopped; the next run ingests exactly the rest', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    // Small files, so the window takes several batches (a batch holds at most 1000 files).
    await writeLogFolder(logs, { events: 30_000, days: 3, end: END, seed: 11, eventsPerFile: 10 });
    const expected = eventFiles(logs);
    expect(expected.files).toBeGreaterThan(2000);
    const ledger = () => rowCount(db, 'ingested_objects');

    // Stopped as soon as a batch has committed (onProgress reports after each one).
    const stop = new AbortController();
    const first = await ingest({
      source: logs, db, days: 3, now: END, signal: stop.signal,
      onProgress: (p) => p.objectsDone > 0 && stop.abort(),
    });
    expect(first).toMatchObject({ stopped: true, errors: 0 });
    expect(first.objects).toBeGreaterThan(0);
    expect(first.objects).toBeLessThanOrEqual(1000);
    // Its batch whole, ledger and events together, and nothing after it.
    expect(await ledger()).toBe(first.objects);
    expect(await rowCount(db, 'events')).toBe(first.events);
    // Recorded as stopped, not failed.
    expect(await db.all(`SELECT finished_at IS NOT NULL AS finished, error, stopped, objects FROM ingest_runs`)).toEqual([
      { finished: true, error: null, stopped: true, objects: first.objects },
    ]);

    // A run whose signal is already aborted loads nothing.
    expect(await ingest({ source: logs, db, days: 3, now: END, signal: AbortSignal.abort() })).toMatchObject({ stopped: true, objects: 0 });
    expect(await ledger()).toBe(first.objects);

    const rest = await ingest({ source: logs, db, days: 3, now: END });
    expect(rest).toMatchObject({ stopped: false, errors: 0, objects: expected.files - first.objects, unchanged: first.objects });
    expect(await ledger()).toBe(expected.files);
    const events = await db.one<{ n: bigint; ids: bigint }>(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events`);
    expect({ n: Number(events!.n), ids: Number(events!.ids) }).toEqual({ n: expected.unique, ids: expected.unique });
    expect(first.events + rest.events).toBe(expected.unique);
  }), 120_000);

test('a stop while the next batch is listed, as a batch loads, lets that batch commit whole and loads nothing after it', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 15_000, days: 2, end: END, seed: 13, eventsPerFile: 10 });
    const expected = eventFiles(logs);
    expect(expected.files).toBeGreaterThan(1000);
    // The listing reports each folder. Once it has found more than a batch (1000 files), that batch is fetched, then
    // loaded while the listing goes on for the next: the stop comes at its next report, during the load.
    const stop = new AbortController();
    let batchFound = false;
    const run = await ingest({
      source: logs, db, days: 2, now: END, signal: stop.signal,
      onProgress: (p) => {
        if (batchFound) stop.abort();
        batchFound ||= p.objectsFound > 1000;
      },
    });
    expect(stop.signal.aborted).toBe(true);
    expect(run).toMatchObject({ stopped: true, objects: 1000, errors: 0 });
    expect(await rowCount(db, 'ingested_objects')).toBe(1000);
    expect(await db.all(`SELECT error, stopped FROM ingest_runs`)).toEqual([{ error: null, stopped: true }]);

    expect(await ingest({ source: logs, db, days: 2, now: END })).toMatchObject({ stopped: false, errors: 0, objects: expected.files - 1000 });
    expect(await rowCount(db, 'events')).toBe(expected.unique);
  }), 120_000);

test('a stop that comes once the last batch is loaded is no stop: the run is complete', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 500, days: 1, end: END, seed: 12 });
    const stop = new AbortController();
    // Its one batch is committed before onProgress reports it: everything was read when the stop comes.
    const run = await ingest({ source: logs, db, days: 1, now: END, signal: stop.signal, onProgress: (p) => p.objectsDone > 0 && stop.abort() });
    expect(run).toMatchObject({ stopped: false, errors: 0, objects: eventFiles(logs).files });
    expect(await db.all(`SELECT stopped FROM ingest_runs`)).toEqual([{ stopped: false }]);
  }));

test('an error that is not the stop itself stays the run’s error, even when a stop came meanwhile', () =>
  withTempDatabase(async (dir, db) => {
    const logs = path.join(dir, 'logs');
    // A full disk cannot be made to happen here: the loader is made to fail as DuckDB would, just after the stop.
    const stop = new AbortController();
    const load = jest.spyOn(BatchLoader.prototype, 'load').mockImplementation(async () => {
      stop.abort();
      throw new Error('IO Error: No space left on device');
    });
    try {
      await writeLogFolder(logs, { events: 100, days: 1, end: END, seed: 3 });
      await expect(ingest({ source: logs, db, days: 1, now: END, signal: stop.signal })).rejects.toThrow('No space left on device');
      expect(await db.all(`SELECT error, stopped FROM ingest_runs`))
        .toEqual([{ error: expect.stringMatching(/^IO Error: No space left on device: free space on that disk/), stopped: false }]);
    } finally {
      load.mockRestore();
    }
  }));
