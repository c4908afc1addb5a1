// The one SQL generator behind every report. Every value is a bound parameter; only identifiers chosen from
// fixed tables below are written into the SQL text.
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import {
  EVENT_LISTS, MAX_LATENESS_MS, type Dimension, type FilterKey, type Filters, type GroupBy, type ResolvedQuery, type TimeField,
} from '../../model/query';
import { NO_CODE, NO_PERMISSION_SET, NO_ROLE, NO_SOURCE_IP, serviceCallSql, SUCCESS_CODE, UNKNOWN_CATEGORY } from '../../model/fieldRules';
import { distinctSql } from '../db/distinct';
import type { BucketGrid } from './buckets';

export interface Statement {
  sql: string;
  params: Record<string, DuckDBValue>;
}

/** A query's time range, as UTC epoch milliseconds. */
export interface Range {
  from: number;
  to: number;
  /** The IANA zone whose days and hours a time series' buckets are (BucketGrid); UTC when absent. */
  timeZone?: string;
}

/** The column (or expression) behind each dimension. */
const COLUMN: Record<Exclude<GroupBy, 'none' | 'resource' | 'userAndAccount'> | Dimension, string> = {
  user: 'user_name',
  eventName: 'event_name',
  sourceIp: 'source_ip',
  service: 'service',
  region: 'region',
  account: 'account',
  errorCode: 'error_code',
  // userIdentity.type as written (IAMUser, AssumedRole, Root, AWSService …; 'Unknown' when absent).
  identityType: 'identity_type',
  // The role a role session acted through (an Identity Center user's permission set); NULL for other events.
  role: 'role_name',
  // An Identity Center role's permission set, stored at ingestion (only then is the issuer's path at hand); NULL otherwise.
  permissionSet: 'permission_set',
  // CloudTrail's event category (Management, Data …); NULL where not known (see UNKNOWN_CATEGORY).
  eventCategory: 'event_category',
};

/**
 * The groups of the events whose column is NULL, named: their dimension groups and lists them under these names, and
 * its filter takes the names as values, so that every group of a table can be drilled into. `when` tells them apart.
 */
const NAMED_GROUPS: Partial<Record<Dimension, ReadonlyArray<{ name: string; when?: string }>>> = {
  // Successful calls have no error code, nor do some failures (a failed ConsoleLogin): each gets a group of its own.
  errorCode: [
    { name: SUCCESS_CODE, when: 'NOT is_error' },
    { name: NO_CODE, when: 'is_error' },
  ],
  // Only role sessions act through a role.
  role: [{ name: NO_ROLE }],
  permissionSet: [{ name: NO_PERMISSION_SET }],
  // Stored by an older version, whose kept log file is gone: not known.
  eventCategory: [{ name: UNKNOWN_CATEGORY }],
  // No sourceIPAddress (stored ''): the model drops an empty filter value, so '' could be neither picked nor left out.
  sourceIp: [{ name: NO_SOURCE_IP }],
};

/**
 * A dimension's column with "no value" as NULL, for its named group: source_ip is '' where the record has no
 * sourceIPAddress (Insight events). A filter's listed values, never '' (the model drops empty ones), match the column
 * itself: nullif there made an IP filter's scan twice as slow.
 */
const valueOrNull = (dimension: Dimension): string => (dimension === 'sourceIp' ? `nullif(${COLUMN.sourceIp}, '')` : COLUMN[dimension]);

/** A dimension's group of an event: its column, or the name of its NULL's group (NAMED_GROUPS). */
function groupExpression(dimension: Dimension): string {
  const named = NAMED_GROUPS[dimension];
  if (!named) return COLUMN[dimension];
  return `coalesce(${valueOrNull(dimension)}, CASE ${named.map((g) => `WHEN ${g.when ?? 'true'} THEN '${g.name}'`).join(' ')} END)`;
}

/**
 * How a group's labels are named in frames (and as Grafana labels), and a table's group columns: one per group,
 * two for a pair. A pair's key is a struct of these names (groupSource), so its fields are the labels.
 */
export const GROUP_LABELS: Record<Exclude<GroupBy, 'none'>, readonly string[]> = {
  user: ['user'],
  eventName: ['eventName'],
  sourceIp: ['sourceIp'],
  service: ['service'],
  region: ['region'],
  account: ['account'],
  userAndAccount: ['user', 'account'],
  resource: ['resource'],
  errorCode: ['errorCode'],
  identityType: ['identityType'],
  role: ['role'],
  permissionSet: ['permissionSet'],
  eventCategory: ['eventCategory'],
};

/** The column a query's range and buckets apply to. */
const TIME_COLUMN: Record<TimeField, string> = { event: 'event_time', arrival: 'arrived_at' };

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** What the resource index knows of a resource in the range: how many events, their time span, their ids if few. */
export interface ResourceMatch {
  count: number;
  from: number;
  to: number;
  ids?: string[];
}

/** Up to this many events, a resource's event ids go into the query as a list too. */
export const MAX_RESOURCE_IDS = 10_000;

/** A statement over the resource index's rows for a resource in the range. */
function overIndex(select: string, resourceId: string, range: Range): Statement {
  return {
    sql: `${select} FROM event_resources WHERE key_hash = hash($resource) AND event_time >= $from::TIMESTAMP AND event_time < $to::TIMESTAMP`,
    params: { resource: resourceId, from: iso(range.from), to: iso(range.to) },
  };
}

/** The resource index's summary of a resource in the range. */
export function resourceLookup(resourceId: string, range: Range): Statement {
  return overIndex('SELECT count(*) AS n, epoch_ms(min(event_time)) AS lo, epoch_ms(max(event_time)) AS hi', resourceId, range);
}

/** The ids of a resource's events in the range (asked only when there are few). */
export function resourceEventIds(resourceId: string, range: Range): Statement {
  return overIndex('SELECT DISTINCT event_id', resourceId, range);
}

/**
 * The conditions that put an event in the range, by its time field: every report's, and the value lists'
 * (dimensionValues), so that a list offers what a report by the same time would count.
 */
function inRange(timeField: TimeField, range: Range): { parts: string[]; params: Record<string, DuckDBValue> } {
  const time = TIME_COLUMN[timeField];
  const parts = [`${time} >= $from::TIMESTAMP`, `${time} < $to::TIMESTAMP`];
  const params: Record<string, DuckDBValue> = { from: iso(range.from), to: iso(range.to) };
  if (timeField === 'arrival') {
    // News, not history: each event at most a day late (MAX_LATENESS_MS), whatever the range, so that an arrival's
    // count does not grow with a wider range. The bound by the range's start follows from it, and lets DuckDB skip
    // the row groups of older events.
    parts.push('event_time >= arrived_at - to_milliseconds($lateness::BIGINT)', 'event_time >= $earliest::TIMESTAMP');
    params.lateness = MAX_LATENESS_MS;
    params.earliest = iso(Math.max(0, range.from - MAX_LATENESS_MS));
  }
  return { parts, params };
}

/**
 * WHERE clause of an events query: time range, service calls, status, read-only, MFA, resource and filters. `match`,
 * the resource index's answer, is by event time: for event-time queries only (see Reports.frames).
 */
export function whereClause(q: ResolvedQuery, range: Range, match?: ResourceMatch): Statement {
  const { parts, params } = inRange(q.timeField, range);
  parts.push(...matchConditions(q, params, match));
  return { sql: parts.join(' AND '), params };
}

/** What an event must be to count, its time aside: service calls, status, read-only, MFA, resource, filters and exclusions. */
function matchConditions(q: ResolvedQuery, params: Record<string, DuckDBValue>, match?: ResourceMatch): string[] {
  const parts: string[] = [];
  if (q.serviceCalls === 'exclude') parts.push(`NOT ${serviceCallSql('invoked_by', 'identity_type', 'event_type', 'event_source')}`);
  if (q.status === 'success') parts.push('NOT is_error');
  if (q.status === 'error') parts.push('is_error');
  if (q.status === 'unauthorized') parts.push('is_unauthorized');
  if (q.readOnly === 'read') parts.push('read_only');
  if (q.readOnly === 'write') parts.push('NOT read_only');
  // Only records that say so count: an unknown MFA state matches neither.
  if (q.mfa === 'used') parts.push('mfa_used');
  if (q.mfa === 'notUsed') parts.push('NOT mfa_used');
  if (q.resourceId) {
    // The resource index narrows the scan to the row groups of the resource's events; the list check stays exact.
    if (match?.count === 0) parts.push('false');
    else if (match) {
      // The index gives milliseconds; stored times keep microseconds, so the newest event may lie within 1 ms after `to`.
      parts.push('event_time >= $r_from::TIMESTAMP AND event_time < $r_to::TIMESTAMP + INTERVAL 1 MILLISECOND');
      params.r_from = iso(match.from);
      params.r_to = iso(match.to);
      if (match.ids) {
        parts.push('event_id IN (SELECT unnest($r_ids))');
        params.r_ids = listValue(match.ids);
      }
    }
    parts.push('len(list_filter(resources, r -> r.id = $resource OR r.name = $resource)) > 0');
    params.resource = q.resourceId;
  }
  parts.push(...filterConditions(q, params));
  return parts;
}

/** The filters' and the exclusions' conditions: of a query, or of a value list narrowed as a query is (dimensionValues). */
function filterConditions({ filters, exclude }: Narrowing, params: Record<string, DuckDBValue>): string[] {
  const parts: string[] = [];
  for (const [key, values] of Object.entries(filters)) {
    if (values?.length) parts.push(filterCondition(key as FilterKey, values, params, 'f'));
  }
  // An event whose column is NULL is not one of a list's values: its exclusion is false, not NULL, so it stays.
  for (const [key, values] of Object.entries(exclude)) {
    if (values?.length) parts.push(`NOT coalesce(${filterCondition(key as FilterKey, values, params, 'x')}, false)`);
  }
  return parts;
}

/**
 * A filter (or an exclusion's match): its values, where a group's name (NAMED_GROUPS) stands for the events of that
 * group. `prefix` keeps a filter's and an exclusion's parameters apart.
 */
function filterCondition(key: FilterKey, values: string[], params: Record<string, DuckDBValue>, prefix: 'f' | 'x'): string {
  const named = NAMED_GROUPS[key] ?? [];
  const plain = values.filter((v) => !named.some((g) => g.name === v));
  const any: string[] = [];
  if (plain.length > 0) {
    // A semi-join on the list: fast for one value or ten thousand.
    any.push(`${COLUMN[key]} IN (SELECT unnest($${prefix}_${key}))`);
    params[`${prefix}_${key}`] = listValue(plain);
  }
  for (const g of named) if (values.includes(g.name)) any.push(`(${valueOrNull(key)} IS NULL AND ${g.when ?? 'true'})`);
  return `(${any.join(' OR ')})`;
}

/**
 * FROM + the group expression, always one expression (a pair is a struct), so that every statement groups, orders,
 * joins and partitions by `grp` alike. Grouping by resource counts an event once per resource name it touched: an S3
 * call names its bucket twice (the ARN in resources, bucketName in its parameters), and both have the same name.
 */
function groupSource(groupBy: GroupBy): { from: string; key: string } {
  if (groupBy === 'resource') {
    const named = '(SELECT *, list_transform(resources, r -> r.name) AS names FROM events) AS events';
    return { from: `${named}, unnest(${distinctSql('names')}) AS u(name)`, key: 'u.name' };
  }
  if (groupBy === 'none') return { from: 'events', key: "'all'" };
  // Structs compare field by field: ties in count order by user, then account, as the table's columns read.
  if (groupBy === 'userAndAccount') return { from: 'events', key: `{'user': ${COLUMN.user}, 'account': ${COLUMN.account}}` };
  return { from: 'events', key: groupExpression(groupBy) };
}

/** Whether a query counts peaks (see PEAK_WINDOW): the timeseries and table formats of events queries only. */
export function countsPeaks(q: ResolvedQuery): boolean {
  return q.peakWindow > 0 && q.queryType === 'events' && !EVENT_LISTS.includes(q.format);
}

/**
 * The event times a peak query reads: from the earliest an event of the range can have happened (by arrival, a day
 * before the range), less the window its peak reaches back. Its own statement, and the resource index's look-up.
 */
export function peakReach(q: ResolvedQuery, range: Range): Range {
  const earliest = q.timeField === 'arrival' ? range.from - MAX_LATENESS_MS : range.from;
  return { from: Math.max(0, earliest - q.peakWindow * 60_000), to: range.to };
}

/**
 * The earliest event time a query reads: its range's start; by arrival, a day before it (MAX_LATENESS_MS); with peaks,
 * the window before that (peakReach). Where the retention removed events, a report says so (Reports.retentionNotices).
 */
export function earliestEventTime(q: ResolvedQuery, range: Range): number {
  if (countsPeaks(q)) return peakReach(q, range).from;
  return q.timeField === 'arrival' ? Math.max(0, range.from - MAX_LATENESS_MS) : range.from;
}

/** The last prune's retention (RetentionStatus, as JSON), if any. */
export const RETENTION_SQL = `SELECT value FROM meta WHERE key = 'retention'`;

/**
 * Whether any event older than a time is stored: after a prune, a run without the retention (or a longer one) may have
 * read them back. A bound time, so that DuckDB skips the row groups by their bounds.
 */
export function storedBefore(time: string): Statement {
  return { sql: 'SELECT EXISTS (SELECT 1 FROM events WHERE event_time < $before::TIMESTAMP) AS stored', params: { before: iso(Date.parse(time)) } };
}

/**
 * A peak query's group, as the columns its windows are partitioned by and its ASOF join matches on (g0, g1 …), and
 * the group they make (`grp`, as groupSource gives it). A pair is two columns, not a struct: partitioned and joined
 * on a struct, peaks per user and account (the alert rules') took a third more CPU on the 2 M-event benchmark. No
 * group is no partition at all: on a constant, DuckDB sorted and joined the one partition on one thread (1.75× the CPU).
 */
function peakGroup(groupBy: GroupBy): { columns: string[]; grp: (alias: string) => string } {
  if (groupBy === 'none') return { columns: [], grp: () => "'all'" };
  if (groupBy === 'userAndAccount') return { columns: [COLUMN.user, COLUMN.account], grp: (t) => `{'user': ${t}.g0, 'account': ${t}.g1}` };
  return { columns: [groupSource(groupBy).key], grp: (t) => `${t}.g0` };
}

/**
 * Each event of the range with its peak (grp, counted_at: its time field, n): how many events of its group that match the
 * query happened in the peakWindow minutes up to it (e - W < x <= e), itself and its ties included. The window counts
 * events stored whenever, in the range or not, so the candidates are the matching events of the query's reach
 * (peakReach). Each candidate's running count in its group (ties included), less that of the last candidate made at
 * least W before it (an ASOF join), is its peak. A frame of W, `RANGE BETWEEN
 * $w PRECEDING`, says the same, but DuckDB evaluates a frame bound that is a parameter row by row: 4× slower at 10 M
 * events (and with W written in, 1.7× slower at 2 M: a moving frame's count is dearer than the join).
 */
function peaks(q: ResolvedQuery, range: Range, match?: ResourceMatch): Statement {
  const { parts: inRangeParts, params } = inRange(q.timeField, range);
  // By event time nothing after the range can be in an event's window; by arrival, an event of the range may have
  // happened after it (stored late, or a clock ahead).
  const reach = ['event_time >= $peak_from::TIMESTAMP', ...(q.timeField === 'event' ? ['event_time < $to::TIMESTAMP'] : [])];
  const conditions = [...reach, ...matchConditions(q, params, match)];
  params.peak_from = iso(peakReach(q, range).from);
  params.peak_window_ms = q.peakWindow * 60_000;
  const { from } = groupSource(q.groupBy);
  const { columns, grp } = peakGroup(q.groupBy);
  const names = columns.map((_, i) => `g${i}`);
  const partition = columns.length > 0 ? `PARTITION BY ${columns.join(', ')} ` : '';
  const sameGroup = names.map((g) => `e.${g} IS NOT DISTINCT FROM before.${g} AND `).join('');
  const selected = names.map((g) => `${g}, `).join('');
  return {
    sql: `WITH candidates AS MATERIALIZED (
            SELECT ${columns.map((c, i) => `${c} AS ${names[i]}, `).join('')}event_time, ${TIME_COLUMN[q.timeField]} AS counted_at,
                   ${inRangeParts.join(' AND ')} AS in_range,
                   count(*) OVER (${partition}ORDER BY event_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto
            FROM ${from} WHERE ${conditions.join(' AND ')})
          SELECT ${grp('e')} AS grp, e.counted_at, e.upto - coalesce(before.upto, 0) AS n
          FROM (SELECT ${selected}counted_at, upto, event_time - to_milliseconds($peak_window_ms::BIGINT) AS window_start FROM candidates WHERE in_range) e
          ASOF LEFT JOIN candidates before ON ${sameGroup}e.window_start >= before.event_time`,
    params,
  };
}

/** Top groups by count (by peak, with a peakWindow): the table format, and the series a timeseries shows. */
export function topGroups(q: ResolvedQuery, range: Range, match?: ResourceMatch): Statement {
  if (countsPeaks(q)) {
    const peak = peaks(q, range, match);
    return {
      sql: `SELECT grp, max(n) AS n FROM (${peak.sql}) GROUP BY 1 ORDER BY n DESC, grp LIMIT $limit`,
      params: { ...peak.params, limit: q.limit },
    };
  }
  const where = whereClause(q, range, match);
  const { from, key } = groupSource(q.groupBy);
  return {
    sql: `SELECT ${key} AS grp, count(*) AS n FROM ${from} WHERE ${where.sql} GROUP BY 1 ORDER BY n DESC, grp LIMIT $limit`,
    params: { ...where.params, limit: q.limit },
  };
}

/**
 * Counts per bucket for the top groups (the caller zero-fills the missing buckets). One scan: counts per group and
 * bucket first, then the top groups by their sums. Buckets are the grid's: whole multiples of their width on the
 * wall clock of the range's time zone, as the zero-fill lays them out. In no order: the caller puts each row in its place, and sorting 5 M rows (the points
 * budget, every bucket counted) took DuckDB ~200 MB more.
 */
export function timeseries(q: ResolvedQuery, range: Range, grid: BucketGrid, match?: ResourceMatch): Statement {
  if (countsPeaks(q)) {
    // A bucket's value is its events' highest peak; the top groups are those with the highest.
    const peak = peaks(q, range, match);
    const bucket = grid.keySql('counted_at');
    return {
      sql: `WITH counts AS MATERIALIZED (
            SELECT grp, ${bucket.sql} AS t, max(n) AS n FROM (${peak.sql}) GROUP BY 1, 2),
          top AS (SELECT grp, max(n) AS peak FROM counts GROUP BY 1 ORDER BY peak DESC, grp LIMIT $limit)
          SELECT grp, t, n FROM counts SEMI JOIN top USING (grp)`,
      params: { ...peak.params, ...bucket.params, limit: q.limit },
    };
  }
  const where = whereClause(q, range, match);
  const { from, key } = groupSource(q.groupBy);
  const bucket = grid.keySql(TIME_COLUMN[q.timeField]);
  return {
    sql: `WITH counts AS MATERIALIZED (
            SELECT ${key} AS grp, ${bucket.sql} AS t, count(*) AS n
            FROM ${from} WHERE ${where.sql} GROUP BY 1, 2),
          top AS (SELECT grp, sum(n) AS total FROM counts GROUP BY 1 ORDER BY total DESC, grp LIMIT $limit)
          SELECT grp, t, n FROM counts SEMI JOIN top USING (grp)`,
    params: { ...where.params, ...bucket.params, limit: q.limit },
  };
}

/**
 * A log line's own columns (Grafana's Logs view): the line, who did what from where, and why it failed (a failure
 * without a code or message, an Identity Center sign-in step's, says "failed"), on one line whatever its values hold
 * (an error message quotes what the caller sent: a line break there would start what looks like a line of its own);
 * its level, by outcome (an unauthorized call is `critical`, the one a security team looks for, another error `error`);
 * an id unique per stored event (one eventID may have records of different times), which Grafana keys rows by.
 */
const LOG_LINE = `regexp_replace(
                   concat(user_name, ' ', service, ':', event_name, CASE WHEN source_ip <> '' THEN ' from ' || source_ip ELSE '' END,
                     ' in ', region, ' (', account, ')',
                     CASE WHEN error_code IS NOT NULL OR error_message IS NOT NULL THEN ': ' || concat_ws(' ', error_code, error_message)
                          WHEN is_error THEN ': failed' ELSE '' END),
                   '[\\x00-\\x1f\\x7f]', ' ', 'g') AS log_line,
                 CASE WHEN is_unauthorized THEN 'critical' WHEN is_error THEN 'error' ELSE 'info' END AS log_level,
                 concat(event_id, '@', epoch_ms(event_time)) AS log_id`;

/**
 * The matching events themselves, newest first: an event list's rows, or, with a log line, level and id each, log
 * lines'. By arrival time: the latest stored first, with when each was stored beside when it happened (a late event is
 * why an alert fired at that moment). The newest are found by their order's columns alone (rowid), and only theirs are
 * read whole: a top-N of whole rows kept every column of up to `limit` rows per thread, ~210 MB for ten lists of 10,000
 * over 1 M events, ~110 MB so (and twice as fast).
 */
export function eventList(q: ResolvedQuery, range: Range, match?: ResourceMatch): Statement {
  const where = whereClause(q, range, match);
  const arrival = q.timeField === 'arrival';
  const order = `${arrival ? 'arrived_at DESC, ' : ''}event_time DESC, event_id`;
  return {
    sql: `SELECT epoch_ms(event_time) AS time, ${arrival ? 'epoch_ms(arrived_at) AS arrived, ' : ''}user_name, identity_type, role_name, source_ip,
                 event_name, service, region, account, array_to_string(list_transform(resources, r -> r.id), ', ') AS resources, error_code, error_message,
                 read_only, mfa_used, event_id${q.format === 'logs' ? `, ${LOG_LINE}` : ''}
          FROM events WHERE ${where.sql} AND rowid IN (SELECT rowid FROM events WHERE ${where.sql} ORDER BY ${order} LIMIT $limit)
          ORDER BY ${order}`,
    params: { ...where.params, limit: q.limit },
  };
}

/** The Summary's headline numbers, for the range and filters. */
export function totals(q: ResolvedQuery, range: Range, match?: ResourceMatch): Statement {
  const where = whereClause(q, range, match);
  return {
    sql: `SELECT (SELECT count(*) FROM trails) AS trails, count(*) AS events,
                 count(*) FILTER (WHERE NOT is_error) AS success, count(*) FILTER (WHERE is_error) AS errors,
                 count(*) FILTER (WHERE is_unauthorized) AS unauthorized, count(DISTINCT user_name) AS users,
                 count(DISTINCT source_ip) FILTER (WHERE source_is_ip) AS ips, count(DISTINCT service) AS services,
                 count(DISTINCT region) AS regions, count(DISTINCT account) AS accounts
          FROM events WHERE ${where.sql}`,
    params: where.params,
  };
}

/** What narrows the events to those a query keeps, or a value list offers: its filters and exclusions. */
export interface Narrowing {
  filters: Filters;
  exclude: Filters;
}
const NO_NARROWING: Narrowing = { filters: {}, exclude: {} };

/**
 * Distinct values of a dimension in the range, most frequent first, optionally containing `q`. The range applies to
 * `timeField` as in a report: by arrival, the values of the events stored in it (at most a day late). `narrowing`
 * keeps the events a query with those filters and exclusions would count (a dashboard's other ad hoc filters).
 */
export function dimensionValues(
  dimension: Dimension,
  range: Range,
  search: string,
  limit: number,
  timeField: TimeField,
  narrowing: Narrowing = NO_NARROWING
): Statement {
  // Listed as they are grouped ((none) among the error codes and roles), so a group of a table is also a value of the filter.
  const column = groupExpression(dimension);
  const { parts, params } = inRange(timeField, range);
  parts.push(`${column} IS NOT NULL`, ...filterConditions(narrowing, params));
  params.limit = limit;
  if (search) {
    parts.push(`contains(lower(${column}), lower($q))`);
    params.q = search;
  }
  return {
    sql: `SELECT ${column} AS value, count(*) AS n FROM events WHERE ${parts.join(' AND ')} GROUP BY 1 ORDER BY n DESC, value LIMIT $limit`,
    params,
  };
}

export const TRAILS_SQL = `SELECT name, s3_bucket, s3_key_prefix, is_logging, include_global_service_events, is_multi_region,
    is_organization_trail, home_region, epoch_ms(logging_started) AS logging_started, epoch_ms(logging_stopped) AS logging_stopped,
    epoch_ms(last_delivery) AS last_delivery, last_delivery_error, epoch_ms(last_notification) AS last_notification,
    last_notification_error, sns_topic, arn
  FROM trails ORDER BY name`;

/**
 * Whether the database has the errors' kinds (schema version 11): a file an older version wrote, read-only by
 * `trailhound report`, has not, and its kinds read as NULL.
 */
export type WithKinds = boolean;
/** Whether the database has the waits of files that ran out of memory (ingest_errors.retry_at, version 15). */
export type WithRetries = boolean;
/** Whether the database says which runs a stop cut short (ingest_runs.stopped, version 6). */
export type WithStopped = boolean;

/** A list the service recorded in meta (NULL when it did not). */
const META_LIST = (key: string) => `(SELECT from_json(value, '["VARCHAR"]') FROM meta WHERE key = '${key}')`;

/** Each source's last finished run. */
const LAST_RUNS = (kinds: WithKinds) => `(SELECT source, finished_at, error, ${kinds ? 'error_kind' : 'NULL::VARCHAR AS error_kind'}, skipped
    FROM ingest_runs WHERE finished_at IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY source ORDER BY finished_at DESC) = 1)`;

/**
 * The sources a service reads (it records them: meta 'sources', service.ts), in its order (i); none when only ingest
 * wrote. source is the id their runs carry; name is as configured (a file served before 'source_names': the id); its
 * files are the ledger's rows of `ledger` whose keys start with `key_scope` (an account's folder of a trail: ingest/keys.ts
 * sourceScope), the source's own before 'source_ledgers'.
 */
const LISTED_SOURCES = `(SELECT source, coalesce(names[i], source) AS name, coalesce(ledgers[i], source) AS ledger, coalesce(scopes[i], '') AS key_scope, i
    FROM (SELECT unnest(ids) AS source, generate_subscripts(ids, 1) AS i, names, ledgers, scopes
          FROM (SELECT from_json(value, '["VARCHAR"]') AS ids, ${META_LIST('source_names')} AS names,
                       ${META_LIST('source_ledgers')} AS ledgers, ${META_LIST('source_key_scopes')} AS scopes
                FROM meta WHERE key = 'sources')))`;

/**
 * Which sources an ingestion status covers. 'service': those the service reads (its list), whose errors it is about;
 * 'every', for the CLI's report of the file itself (no service holds it then): those too, and whichever source ran
 * last, so that a run of a source outside the last served list (trailhound ingest since) is news as well.
 */
export type StatusScope = 'service' | 'every';

/**
 * The last poll: the last run of each listed source, so that one source's later success does not hide another's
 * failure; without a list, the last finished run. For 'every', both. An unlisted source's failure is news until a
 * later run, not for good: a one-off `ingest` of a mistyped bucket would otherwise be the report's error for ever.
 */
const lastPollRuns = (scope: StatusScope, kinds: WithKinds) => {
  const lastRun = 'finished_at = (SELECT max(finished_at) FROM ingest_runs)';
  const listed = `source IN (SELECT source FROM ${LISTED_SOURCES})`;
  return scope === 'every'
    ? `(SELECT * FROM ${LAST_RUNS(kinds)} WHERE ${lastRun} OR ${listed})`
    : `(SELECT * FROM ${LAST_RUNS(kinds)} WHERE CASE WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'sources') THEN ${lastRun} ELSE ${listed} END)`;
};

/** The listed sources, in order, each with its log files and its last finished run. */
export const sourcesSql = (kinds: WithKinds) => `SELECT name AS source,
         (SELECT count(*) FROM ingested_objects o WHERE o.source = listed.ledger AND starts_with(o.key, listed.key_scope)) AS objects,
         epoch_ms(finished_at) AS last_run, error, error_kind
  FROM ${LISTED_SOURCES} listed LEFT JOIN ${LAST_RUNS(kinds)} last_run USING (source) ORDER BY i`;

/**
 * The listed source a ledger row (`row`.source, `row`.key) is a file of, by its configured name: the one that names its
 * folder most closely (an account's folder before its trail's, when both are listed); NULL for none.
 */
const LISTED_NAME_OF = (row: string) => `(SELECT name FROM ${LISTED_SOURCES} listed
    WHERE listed.ledger = ${row}.source AND starts_with(${row}.key, listed.key_scope) ORDER BY length(listed.key_scope) DESC, i LIMIT 1)`;

/**
 * The log files ingestion could not read, newest failure first (then by key), at most $limit, each with the count of
 * them all (total, the same on every row). A source is named as configured where a service listed it, as in the status.
 * Memory is the limit's, not the table's: the newest are picked by their order's columns, keeping $limit of them
 * (min_by with n: failed_at negated, as the key runs the other way), then read whole and named; the count is a scan of
 * its own in the same statement, so it agrees with the rows. Counted as a window (count(*) OVER ()) and sorted whole
 * (for 10 000 of a million rows DuckDB sorted them all rather than keep a top N), a million rows took ~600 MB and 10 s.
 */
export const ingestErrorsSql = (kinds: WithKinds, retries: WithRetries) => `SELECT coalesce(${LISTED_NAME_OF('e')}, e.source) AS source, e.key, e.reason,
         e.kind, epoch_ms(e.failed_at) AS failed_at, epoch_ms(e.retry_at) AS retry_at, (SELECT count(*) FROM ingest_errors) AS total
  FROM (SELECT source, key, reason, ${kinds ? 'kind' : 'NULL::VARCHAR AS kind'}, failed_at, ${retries ? 'retry_at' : 'NULL::TIMESTAMP AS retry_at'}
        FROM ingest_errors WHERE rowid IN (SELECT unnest(min_by(rowid, (-epoch_us(failed_at), key, source), $limit)) FROM ingest_errors)) e
  ORDER BY e.failed_at DESC, e.key, e.source`;

export const ingestSql = (scope: StatusScope, kinds: WithKinds, stopped: WithStopped) => `WITH last_poll AS ${lastPollRuns(scope, kinds)}
  SELECT
    (SELECT count(*) FROM ingested_objects) AS objects,
    (SELECT count(*) FROM events) AS events,
    (SELECT count(*) FROM ingest_errors) AS errors,
    (SELECT coalesce(sum(skipped), 0) FROM last_poll) AS skipped,
    (SELECT epoch_ms(max(event_time)) FROM events) AS newest,
    (SELECT epoch_ms(min(event_time)) FROM events) AS oldest,
    -- The last run that read all its days: not one a stop cut short, whose days the next start reads again.
    (SELECT epoch_ms(max(finished_at)) FROM ingest_runs WHERE error IS NULL${stopped ? ' AND stopped IS NOT TRUE' : ''}) AS last_poll,
    -- Each failing source by name when there are several: as configured, where a service listed it.
    (SELECT string_agg(CASE WHEN (SELECT count(*) FROM last_poll) > 1 THEN coalesce(listed.name, source) || ': ' ELSE '' END || error, '; ' ORDER BY source)
     FROM last_poll LEFT JOIN ${LISTED_SOURCES} listed USING (source) WHERE error IS NOT NULL) AS last_error,
    -- Their kinds, in the same order.
    (SELECT list(coalesce(error_kind, 'other') ORDER BY source) FROM last_poll WHERE error IS NOT NULL) AS last_error_kinds,
    (SELECT value FROM meta WHERE key = 'retention') AS retention`;
