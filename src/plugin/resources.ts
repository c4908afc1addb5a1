// The editor's lookups, as calls to the backend's resource endpoints (which forward to the service's /api/...).
// Kept apart from the DataSource class so the class stays thin and these stay easy to test.
import type { IngestErrors, IngestStatus } from '../model/api';
import type { Dimension } from '../model/query';
import type { BackfillAnswer, ValueCount, ValuesRequest } from './types';

/** The two DataSourceWithBackend methods these helpers need. */
export interface ResourceClient {
  getResource<T = unknown>(path: string, params?: Record<string, unknown>): Promise<T>;
  postResource<T = unknown>(path: string, data?: Record<string, unknown>): Promise<T>;
}

/**
 * Distinct values of a dimension in a time range, most frequent first. Narrowed by filters or exclusions, the list is a
 * POST with its fields in a JSON body: hundreds of ad hoc filter values (ARNs) made a URL past the service's 16 KB of
 * headers. Without them it is a GET, which a service older than those narrowings answers too.
 */
export async function fetchValues(client: ResourceClient, dimension: Dimension, request: ValuesRequest = {}): Promise<ValueCount[]> {
  const params: Record<string, unknown> = {};
  // Only send what is set: the service defaults the range to the last 14 days.
  for (const key of ['from', 'to', 'q', 'limit', 'timeField'] as const) {
    const value = request[key];
    if (value !== undefined && value !== '') {
      params[key] = value;
    }
  }
  const narrowing: Record<string, unknown> = {};
  // Only when they narrow: a list without them asks what an older service knows.
  for (const key of ['filters', 'exclude'] as const) {
    const given = request[key];
    if (given && Object.keys(given).length > 0) {
      narrowing[key] = given;
    }
  }
  const path = `values/${dimension}`;
  const answer =
    Object.keys(narrowing).length > 0
      ? await client.postResource<{ values?: ValueCount[] }>(path, { ...params, ...narrowing })
      : await client.getResource<{ values?: ValueCount[] }>(path, params);
  return answer?.values ?? [];
}

/** The trail inventory, as rows of the trails table. */
export async function fetchTrails(client: ResourceClient): Promise<Array<Record<string, unknown>>> {
  const answer = await client.getResource<{ trails?: Array<Record<string, unknown>> }>('trails');
  return answer?.trails ?? [];
}

export function fetchIngestStatus(client: ResourceClient): Promise<IngestStatus> {
  return client.getResource<IngestStatus>('ingest/status');
}

/** The log files ingestion could not read, newest failure first: at most `limit` of them, and how many in all. */
export function fetchIngestErrors(client: ResourceClient, limit: number): Promise<IngestErrors> {
  return client.getResource<IngestErrors>('ingest/errors', { limit });
}

/** Asks the service to fetch older logs; it answers at once and the ingestion status shows progress. */
export function startBackfill(client: ResourceClient, days: number): Promise<BackfillAnswer> {
  return client.postResource<BackfillAnswer>('backfill', { days });
}
