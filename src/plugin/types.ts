// Frontend types: the shared query model wrapped as a Grafana DataQuery, plus the data source settings.
import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import type { Dimension, Filters, TimeField, TrailhoundQuery } from '../model/query';
import { DEFAULT_SERVICE_URL } from '../model/settings';

/**
 * A panel query: the shared model plus Grafana's refId, hide and datasource fields, and in Explore, the note of the
 * dashboard's ad hoc filters it was opened without (DataSource.interpolateVariablesInQueries), which the editor shows
 * until dismissed. Not part of the model: the backend sends the service the model's fields only. And as it is sent, the
 * dashboard's time zone (DataSource.query), which the backend sends the service with the time range.
 */
export type Query = TrailhoundQuery & DataQuery & { adHocLeftOut?: string[]; timeZone?: string };

/** jsonData: what the backend needs to reach the service. */
export interface Options extends DataSourceJsonData {
  url?: string;
  /**
   * Per call to the service; the backend's default and maximum are in src/model/settings.ts. Text when provisioned
   * quoted ("90"), or when the config editor keeps what was typed that is no number JSON can carry ("1e400").
   */
  timeoutSeconds?: number | string;
}

/** secureJsonData: stored encrypted, never sent back to the browser. */
export interface SecureOptions {
  token?: string;
}

/** Where `trailhound serve` listens unless told otherwise. */
export const DEFAULT_URL = DEFAULT_SERVICE_URL;

export interface ValueCount {
  value: string;
  count: number;
}

export interface ValuesRequest {
  /** Epoch milliseconds or ISO 8601. */
  from?: number | string;
  to?: number | string;
  /** Substring to search for; empty lists the most frequent values. */
  q?: string;
  limit?: number;
  /**
   * What the range applies to (unset: event time). By arrival, the values of the events stored in the range, as an
   * arrival-time query counts them. May be a dashboard variable ($timeField): DataSource.values expands it.
   */
  timeField?: TimeField;
  /** The events a query with these filters and exclusions counts (a dashboard's other ad hoc filters); unset: every one. */
  filters?: Filters;
  exclude?: Filters;
}

/** A query variable: the distinct values of one dimension in the dashboard's time range. */
export interface VariableQuery extends DataQuery {
  dimension: Dimension;
  search?: string;
  /** What the range applies to, as in a query (the Events dashboard's lists take $timeField); unset: event time. */
  timeField?: TimeField;
}

export interface BackfillAnswer {
  status: string;
  /** The days it reads: fewer than asked when the service keeps fewer (retentionDays). */
  days: number;
  retentionDays?: number;
  /** When CloudTrail began (YYYY-MM-DD): present when the days asked for reach further back, and it reads from there. */
  cloudTrailBegan?: string;
}
