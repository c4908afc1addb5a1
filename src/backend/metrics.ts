// The plugin's own metrics, which Grafana scrapes through CollectMetrics
// (/api/plugins/trailhound-cloudtrail-datasource/metrics).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** gRPC calls by endpoint and outcome. */
  calls: Counter<'endpoint' | 'status'>;
  callDuration: Histogram<'endpoint'>;
  /** HTTP calls to the Trailhound service by path and status ("error" when it did not answer). */
  serviceCalls: Counter<'path' | 'status'>;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event loop lag), as Go plugins expose go_* and process_*.
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    calls: new Counter({
      name: 'trailhound_plugin_requests_total',
      help: 'gRPC calls from Grafana, by endpoint and status',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    }),
    callDuration: new Histogram({
      name: 'trailhound_plugin_request_duration_seconds',
      help: 'Time to answer a gRPC call from Grafana',
      labelNames: ['endpoint'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    serviceCalls: new Counter({
      name: 'trailhound_plugin_service_requests_total',
      help: 'HTTP calls to the Trailhound service, by API path and status',
      labelNames: ['path', 'status'],
      registers: [registry],
    }),
  };
}
