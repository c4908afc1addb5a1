// Prometheus metrics of the service: HTTP requests, query durations and statements, and the database's state at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../logger';
import type { Reports, ReportsObserver } from '../reports';
import type { WeightGate } from './gate';

/** `reports` gives the reports once the database is open (serve's API listens while it opens); set `observer` on them. */
export function createMetrics(reports: () => Reports | undefined, answers: WeightGate, logger?: Logger) {
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
      'When the last ingestion run that read all its days (neither failed nor stopped) finished, in Unix seconds: ingestion has stopped when it falls behind the poll interval',
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
  /** The text of a scrape: the service's metrics, and the ingestion's read now. */
  const scrape = async (): Promise<string> => Registry.merge([registry, await ingestMetrics()]).metrics();
  return { registry, scrape, requests, queryDuration, statements, running, stopped, observer };
}
