// Prometheus metrics of the service: HTTP requests, query durations and statements, and the database's state at scrape time.
import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { databaseFiles, type Database } from '../db/database';
import type { Logger } from '../logger';
import type { Reports, ReportsObserver } from '../reports';
import type { WeightGate } from './gate';

/** Bytes of a file, 0 when it is not there (a WAL after a checkpoint, a file a compaction or a prune just deleted). */
const bytesOf = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;

/**
 * The bytes of the files in `dir` (the kept log files: originals.ts writes no folder in it), 0 when it is not there
 * yet. A stat a file: 100 000 files took 0.6 to 0.9 s here, so the event loop gets a turn every 1000 (the API answers
 * meanwhile).
 */
export async function folderBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let bytes = 0;
  for (const [i, name] of names.entries()) {
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    bytes += bytesOf(path.join(dir, name));
  }
  return bytes;
}

/** A walk of the kept log files is reused for this many times as long as it took: a folder of 100 000 costs ~1% of a core. */
const WALK_REUSE = 100;

/**
 * `reports` gives the reports once the database is open (serve's API listens while it opens); set `observer` on them.
 * `database`, the database then, for the size of its files.
 */
export function createMetrics(reports: () => Reports | undefined, answers: WeightGate, logger?: Logger, database?: () => Database | undefined) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trailhound_' });
  const requests = new Counter({
    name: 'trailhound_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const queryDuration = new Histogram({
    name: 'trailhound_query_duration_seconds',
    help: 'Report query duration by query type',
    labelNames: ['query_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // The DuckDB statements of report queries (and value lists, event records, the API's trails, ingestion status and
  // errors), and what a stopped request left undone: a client that went away, or a
  // request past its deadline, stops its work, so nothing runs on for nobody.
  const statements = new Counter({
    name: 'trailhound_query_statements_total',
    help: 'DuckDB statements run for report queries, value lists, event records and the API\'s other reads',
    registers: [registry],
  });
  const running = new Gauge({
    name: 'trailhound_query_statements_running',
    help: 'DuckDB statements of report queries, value lists, event records and the API\'s other reads running now',
    registers: [registry],
  });
  const stopped = new Counter({
    name: 'trailhound_queries_stopped_total',
    help: 'Report queries and the API\'s other reads interrupted, or never run, because their request was stopped: its client left, or its deadline passed',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Requests waiting for the answers in flight to make room (api/gate.ts): how often the service is at its memory budget.
  new Gauge({
    name: 'trailhound_query_requests_waiting',
    help: 'Query requests waiting their turn: the answers being built and sent at once share one request\'s budgets',
    registers: [registry],
    collect() {
      this.set(answers.queued);
    },
  });
  const observer: ReportsObserver = {
    statementStarted: () => {
      statements.inc();
      running.inc();
    },
    statementEnded: () => running.dec(),
    queryStopped: (err) => stopped.inc({ reason: err.reason }),
    queryAnswered: (type, seconds) => queryDuration.observe({ query_type: type }, seconds),
  };
  /**
   * The ingestion's state, read from the database at each scrape, so it is never stale: a gauge each, in its own unit
   * (one gauge with the measure in a label mixed counts, times and seconds, and none said whether polls failed). Made
   * anew for each scrape, in a registry of its own: a gauge without labels that was reset says 0, which for a time or
   * a lag reads as a value, and concurrent scrapes share nothing. A failed read leaves them all out of the scrape
   * (absent() can alert on it) rather than failing the whole scrape, request counters and process metrics included; so
   * does a database not open yet (a migration), where nothing is wrong.
   */
  const ingestMetrics = async (): Promise<Registry> => {
    const ingest = new Registry();
    const open = reports();
    let s;
    try {
      s = open && (await open.ingestStatus());
    } catch (err) {
      logger?.warn({ err }, 'metrics: could not read the ingestion status; the trailhound_ingest_* gauges are left out of this scrape');
    }
    if (!s) return ingest;
    const gauge = (name: string, help: string, value: number | null | undefined) => {
      if (value !== null && value !== undefined) new Gauge({ name: `trailhound_ingest_${name}`, help, registers: [ingest] }).set(value);
    };
    const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : null);
    gauge('objects', 'Log files ingested', s.objects);
    gauge('events', 'Events stored', s.events);
    gauge('errors', 'Log files ingestion could not read, now (GET /api/ingest/errors lists them)', s.errors);
    gauge('newest_event_timestamp_seconds', 'When the newest stored event happened (its eventTime), in Unix seconds', seconds(s.newestEvent));
    gauge('oldest_event_timestamp_seconds', 'When the oldest stored event happened (its eventTime), in Unix seconds', seconds(s.oldestEvent));
    gauge('lag_seconds', 'Seconds from the newest stored event to now', s.lagSeconds);
    // The last prune's: absent when the database was never pruned (every event kept).
    gauge('retention_days', 'Days of events the last prune kept', s.retention?.days);
    gauge(
      'last_success_timestamp_seconds',
      'When the last ingestion run that read all its days (neither failed nor stopped) finished, in Unix seconds: ' +
        'ingestion has stopped when it falls behind the poll interval',
      seconds(s.lastPoll)
    );
    if (s.sources) {
      const failing = new Gauge({
        name: 'trailhound_ingest_source_failing',
        help: 'Whether the last run of a source the service reads failed (1) or not (0); GET /api/ingest/status says why',
        labelNames: ['source'] as const,
        registers: [ingest],
      });
      // The sources the service reads, as configured: a handful, never a label per file or per event.
      for (const source of s.sources) failing.set({ source: source.source }, source.lastError ? 1 : 0);
    }
    return ingest;
  };
  // The last walk of the kept log files, and the one running (concurrent scrapes share it).
  let lastWalk: { dir: string; bytes: number; ms: number; ended: number } | undefined;
  let walking: Promise<number> | undefined;
  const keptBytes = (dir: string): Promise<number> => {
    if (lastWalk?.dir === dir && Date.now() - lastWalk.ended < WALK_REUSE * lastWalk.ms) return Promise.resolve(lastWalk.bytes);
    if (!walking) {
      const started = Date.now();
      walking = folderBytes(dir)
        .then((bytes) => {
          lastWalk = { dir, bytes, ms: Date.now() - started, ended: Date.now() };
          return bytes;
        })
        .finally(() => (walking = undefined));
    }
    return walking;
  };
  /**
   * The disk the database takes, at each scrape (made anew, as the ingestion's): its DuckDB file with the WAL, and its
   * kept log files. Absent while it opens, for a database in memory, and when the files cannot be read (said in the log).
   */
  const sizeMetrics = async (): Promise<Registry> => {
    const sizes = new Registry();
    const db = database?.();
    if (!db || db.file === ':memory:') return sizes;
    const files = databaseFiles(db.file);
    try {
      const [dbBytes, keptFiles] = [bytesOf(files.db) + bytesOf(files.wal), await keptBytes(files.originals)];
      const gauge = (name: string, help: string, value: number) => new Gauge({ name, help, registers: [sizes] }).set(value);
      gauge('trailhound_database_bytes', 'Bytes of the DuckDB file and its WAL', dbBytes);
      gauge('trailhound_kept_log_files_bytes', 'Bytes of the kept log files (<database>.originals/): every stored event\'s original record', keptFiles);
    } catch (err) {
      const left = 'trailhound_database_bytes and trailhound_kept_log_files_bytes are left out of this scrape';
      logger?.warn({ err }, `metrics: could not read the size of the database's files; ${left}`);
      return new Registry();
    }
    return sizes;
  };
  /** The text of a scrape: the service's metrics, and the ingestion's and the files' read now. */
  const scrape = async (): Promise<string> => {
    const [ingest, sizes] = await Promise.all([ingestMetrics(), sizeMetrics()]);
    return Registry.merge([registry, ingest, sizes]).metrics();
  };
  return { registry, scrape, requests, queryDuration, statements, running, stopped, observer };
}
