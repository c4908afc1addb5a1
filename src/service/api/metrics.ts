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
  // Read from the database when scraped, so they are never stale.
  const state = new Gauge({
    name: 'trailhound_ingest',
    help: 'Ingestion state: objects, events, errors, newest_event_timestamp_seconds, oldest_event_timestamp_seconds, lag_seconds, retention_days',
    labelNames: ['measure'] as const,
    registers: [registry],
    async collect() {
      // A failed read leaves this gauge out of the scrape (absent() can alert on it) rather than failing the whole
      // scrape, request counters and process metrics included.
      this.reset();
      // Not open yet (a migration): nothing to read, and nothing wrong.
      const open = reports();
      if (!open) return;
      let s;
      try {
        s = await open.ingestStatus();
      } catch (err) {
        logger?.warn({ err }, 'metrics: could not read the ingestion status; trailhound_ingest is left out of this scrape');
        return;
      }
      this.set({ measure: 'objects' }, s.objects);
      this.set({ measure: 'events' }, s.events);
      this.set({ measure: 'errors' }, s.errors);
      if (s.newestEvent) this.set({ measure: 'newest_event_timestamp_seconds' }, Date.parse(s.newestEvent) / 1000);
      if (s.oldestEvent) this.set({ measure: 'oldest_event_timestamp_seconds' }, Date.parse(s.oldestEvent) / 1000);
      if (s.lagSeconds !== null) this.set({ measure: 'lag_seconds' }, s.lagSeconds);
      // The last prune's: absent when the database was never pruned (every event kept).
      if (s.retention) this.set({ measure: 'retention_days' }, s.retention.days);
    },
  });
  return { registry, requests, queryDuration, state, statements, running, stopped, observer };
}
