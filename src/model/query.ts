// The one query model behind every report: editor, dashboards, alert rules, HTTP API and CLI.
// Pure code, no I/O: it runs in the browser, the backend plugin and the service alike.
import type { ApiErrorCode } from './api';
import { didYouMean } from './closest';
import { wholeDecimalNumber } from './decimal';

export const QUERY_TYPES = ['events', 'totals', 'trails', 'ingest'] as const;
export const FORMATS = ['timeseries', 'table', 'list', 'logs'] as const;
/** The formats that list the events themselves, not counts: a table of them, or log lines (Grafana's Logs view). */
export const EVENT_LISTS: readonly Format[] = ['list', 'logs'];
/**
 * What events are grouped by. userAndAccount is the pair (user, account): in an organization trail, a role of the same
 * name in every account (OrganizationAccountAccessRole, a scanner's role) is a group per account, not one for all.
 * role is the role a role session acted through (an IAM Identity Center user's permission set); other events have
 * none, and are the group NO_ROLE (fieldRules.ts). permissionSet is an Identity Center role's permission set, one name
 * for its roles in every account; other events are the group NO_PERMISSION_SET. eventCategory is CloudTrail's
 * (Management, Data …); an event whose category is not known is the group UNKNOWN_CATEGORY.
 */
export const GROUP_BYS = [
  'user', 'eventName', 'sourceIp', 'service', 'region', 'account', 'userAndAccount', 'resource', 'errorCode', 'identityType', 'role',
  'permissionSet', 'eventCategory', 'none',
] as const;
export const AGGREGATES = ['auto', 'hour', 'day'] as const;
export const STATUSES = ['all', 'success', 'error', 'unauthorized'] as const;
export const READ_ONLY = ['all', 'write', 'read'] as const;
/** MFA behind the call, where the record says (console logins, assumed-role sessions). */
export const MFA = ['all', 'used', 'notUsed'] as const;
/**
 * Which time the range and the buckets apply to: when the call was made (eventTime), or when Trailhound stored the
 * event. Alert rules count by arrival, so that an event delivered or ingested late is still counted once it is there.
 */
export const TIME_FIELDS = ['event', 'arrival'] as const;
/**
 * Whether to count what AWS services did: calls a service made for an identity (its userIdentity.invokedBy:
 * CloudFormation, Auto Scaling, AWS Support …), calls of the AWSService identity, and AWS service events (eventType
 * AwsServiceEvent, but not AWS sign-in's: IAM Identity Center writes a person's sign-in steps so). The CIS benchmark's
 * root-activity filter leaves them out: they are not someone using the account.
 */
export const SERVICE_CALLS = ['include', 'exclude'] as const;
/**
 * What an ingest query shows: the ingestion status (one row of counts and times), or the log files it could not read
 * (corrupt gzip, invalid JSON, no Records …), newest first, each with its source, key and why, at most `limit` of them.
 */
export const INGEST_VIEWS = ['status', 'errors'] as const;
export const FILTER_KEYS = [
  'region', 'service', 'eventName', 'user', 'sourceIp', 'account', 'errorCode', 'identityType', 'role', 'permissionSet', 'eventCategory',
] as const;
/** Dimensions whose distinct values the service lists for dropdowns and variables. */
export const DIMENSIONS = [
  'region', 'service', 'eventName', 'user', 'sourceIp', 'account', 'errorCode', 'identityType', 'role', 'permissionSet', 'eventCategory',
] as const;

export type QueryType = (typeof QUERY_TYPES)[number];
export type Format = (typeof FORMATS)[number];
export type GroupBy = (typeof GROUP_BYS)[number];
export type Aggregate = (typeof AGGREGATES)[number];
export type Status = (typeof STATUSES)[number];
export type ReadOnly = (typeof READ_ONLY)[number];
export type Mfa = (typeof MFA)[number];
export type TimeField = (typeof TIME_FIELDS)[number];
export type ServiceCalls = (typeof SERVICE_CALLS)[number];
export type IngestView = (typeof INGEST_VIEWS)[number];
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Dimension = (typeof DIMENSIONS)[number];
export type Filters = Partial<Record<FilterKey, string[]>>;

/** A query as stored in a panel or alert rule: every field optional. */
export interface TrailhoundQuery {
  queryType?: QueryType;
  format?: Format;
  groupBy?: GroupBy;
  aggregate?: Aggregate;
  status?: Status;
  readOnly?: ReadOnly;
  mfa?: Mfa;
  timeField?: TimeField;
  serviceCalls?: ServiceCalls;
  /**
   * Minutes; absent or 0: plain counts. Otherwise a bucket's value is the most events of one group that happened within
   * this many minutes of each other (by eventTime), over the windows ending at an event of the bucket (see PEAK_WINDOW).
   */
  peakWindow?: number;
  resourceId?: string;
  filters?: Filters;
  /**
   * Events to leave out, by the same dimensions and values as filters: an event whose value of a listed dimension is
   * one of its values does not count. The failed-authorization rule leaves out what the CIS benchmark's filter does.
   */
  exclude?: Filters;
  limit?: number;
  /** Ingest queries only: the status, or the unreadable files (see INGEST_VIEWS). */
  ingestView?: IngestView;
}

/** Every field of the model: what clients keep from a panel's JSON (Grafana adds refId, datasource, hide …). */
export const MODEL_KEYS = [
  'queryType', 'format', 'groupBy', 'aggregate', 'status', 'readOnly', 'mfa', 'timeField', 'serviceCalls', 'peakWindow', 'resourceId', 'filters', 'exclude',
  'limit', 'ingestView',
] as const satisfies ReadonlyArray<keyof TrailhoundQuery>;

/** A query with every default applied: what the SQL generator receives. */
export type ResolvedQuery = Required<Omit<TrailhoundQuery, 'resourceId'>> & { resourceId: string };

export const DEFAULT_QUERY: ResolvedQuery = {
  queryType: 'events',
  format: 'timeseries',
  groupBy: 'user',
  aggregate: 'auto',
  status: 'all',
  readOnly: 'all',
  mfa: 'all',
  timeField: 'event',
  serviceCalls: 'include',
  peakWindow: 0,
  resourceId: '',
  filters: {},
  exclude: {},
  limit: 20,
  ingestView: 'status',
};

/**
 * The unreadable files listed when no limit is given (an ingest query's errors view, GET /api/ingest/errors,
 * `trailhound report ingest --errors`): a work list to go through, not a top N, so more than DEFAULT_QUERY.limit.
 */
export const DEFAULT_ERRORS_LIMIT = 100;

/** The limit of a query that gives none: the unreadable files' list's, else every other report's top N. */
export function defaultLimit(q: Pick<TrailhoundQuery, 'queryType' | 'ingestView'>): number {
  return (q.queryType || DEFAULT_QUERY.queryType) === 'ingest' && q.ingestView === 'errors' ? DEFAULT_ERRORS_LIMIT : DEFAULT_QUERY.limit;
}

/**
 * An arrival-time query counts the events stored in its range that happened at most this long before they were
 * stored: late deliveries and a service's catch-up after an outage are news, a backfill of older logs is not (nor is a
 * source's first load, whose events arrive when they happened: see ingest()).
 */
export const MAX_LATENESS_MS = 86_400_000;

/**
 * The peak window's bounds, in minutes (0 turns it off). A peak counts, for each event of a bucket, the events of its
 * group in the window before it, stored whenever: so a backlog stored at once after an outage adds up only as densely
 * as it happened, and a late event still completes a window with events stored earlier. Applies to the timeseries and
 * table formats of events queries; the others ignore it, as a table ignores aggregate.
 */
export const PEAK_WINDOW = { min: 1, max: 1440 } as const;

export const MAX_LIMIT = 10_000;
/** The largest bucket width a request may ask for (intervalMs): a leap year. */
export const MAX_INTERVAL_MS = 366 * 86_400_000;
/** How many values one filter may list; far above any real selection, low enough to keep SQL small. */
export const MAX_FILTER_VALUES = 10_000;
export const MAX_VALUE_LENGTH = 2_048;

export class QueryError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** The service's answer's code (ApiErrorCode): a field, a value or a filter it does not know, too much; none is `invalid-request`. */
    readonly code?: ApiErrorCode
  ) {
    super(`${field}: ${message}`);
    this.name = 'QueryError';
  }
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') {
    return fallback;
  }
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) {
    return value as T;
  }
  const meant = typeof value === 'string' ? didYouMean(value, allowed) : '';
  throw new QueryError(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}${meant}`, 'unknown-value');
}

function untrimmed(field: string, value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value !== 'string') {
    throw new QueryError(field, 'must be a string');
  }
  if (value.length > MAX_VALUE_LENGTH) {
    throw new QueryError(field, `is longer than ${MAX_VALUE_LENGTH} characters`);
  }
  return value;
}

const text = (field: string, value: unknown): string => untrimmed(field, value).trim();

/**
 * One filter's values as a list of text: the API, and so a saved panel or alert rule, also takes one value as a plain
 * string. What is not text (a null, a number, an object: a panel's JSON edited by hand) is left out, so that the
 * editors show what they can edit; the query with it goes to the service as it is, which says what is wrong.
 */
export function filterValues(values: unknown): string[] {
  if (typeof values === 'string') return [values];
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
}

/** The filters, or the exclusions (`field`): lists of values by dimension (a query's, or a value list's parameters). */
export function resolveFilters(value: unknown, field: 'filters' | 'exclude' = 'filters'): Filters {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new QueryError(field, 'must be an object of lists, e.g. {"user": ["alice"]}');
  }
  const out: Filters = {};
  for (const [key, list] of Object.entries(value)) {
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new QueryError(`${field}.${key}`, `is not a filter; use one of ${FILTER_KEYS.join(', ')}${didYouMean(key, FILTER_KEYS)}`, 'unknown-filter');
    }
    const values = typeof list === 'string' ? [list] : list;
    if (!Array.isArray(values)) {
      throw new QueryError(`${field}.${key}`, 'must be a list of strings');
    }
    if (values.length > MAX_FILTER_VALUES) {
      throw new QueryError(`${field}.${key}`, `has more than ${MAX_FILTER_VALUES} values`);
    }
    // Kept as given, not trimmed: a stored value can end in a space (a SAML user "bob "), and picked from the lists it
    // must still match exactly. A null is no value to match: left out, [null] would drop the filter, and a rule with it
    // count every event.
    const valueOf = (v: unknown, i: number) => {
      if (typeof v !== 'string') throw new QueryError(`${field}.${key}[${i}]`, 'must be a string');
      return untrimmed(`${field}.${key}[${i}]`, v);
    };
    const cleaned = [...new Set(values.map(valueOf).filter((v) => v.trim() !== ''))];
    if (cleaned.length > 0) {
      out[key as FilterKey] = cleaned;
    }
  }
  return out;
}

/**
 * A whole number given as text (a Grafana variable's "3") is read as one, decimal only; other text, a fraction however
 * many digits it has among it, is NaN, which the caller refuses.
 */
const numberOf = (value: unknown): unknown => (typeof value === 'string' ? wholeDecimalNumber(value) : value);

function limit(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') {
    return fallback;
  }
  const n = numberOf(value);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new QueryError('limit', `must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

function peakWindow(value: unknown): number {
  if (value === undefined || value === null || value === '') {
    return DEFAULT_QUERY.peakWindow;
  }
  const n = numberOf(value);
  if (typeof n !== 'number' || !Number.isInteger(n) || (n !== 0 && (n < PEAK_WINDOW.min || n > PEAK_WINDOW.max))) {
    throw new QueryError('peakWindow', `must be a whole number of minutes from ${PEAK_WINDOW.min} to ${PEAK_WINDOW.max} (a day), or 0 for plain counts`);
  }
  return n;
}

/** A time field as given (a query's, or the value lists' parameter): the default when absent, else one of TIME_FIELDS. */
export function resolveTimeField(value: unknown): TimeField {
  return oneOf('timeField', value, TIME_FIELDS, DEFAULT_QUERY.timeField);
}

/** Validates a stored query and fills in every default. Throws QueryError naming the bad field. */
export function resolveQuery(input: unknown): ResolvedQuery {
  if (input === undefined || input === null) {
    input = {};
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new QueryError('query', 'must be an object');
  }
  const q = input as Record<string, unknown>;
  const queryType = oneOf('queryType', q.queryType, QUERY_TYPES, DEFAULT_QUERY.queryType);
  const ingestView = oneOf('ingestView', q.ingestView, INGEST_VIEWS, DEFAULT_QUERY.ingestView);
  return {
    queryType,
    format: oneOf('format', q.format, FORMATS, DEFAULT_QUERY.format),
    groupBy: oneOf('groupBy', q.groupBy, GROUP_BYS, DEFAULT_QUERY.groupBy),
    aggregate: oneOf('aggregate', q.aggregate, AGGREGATES, DEFAULT_QUERY.aggregate),
    status: oneOf('status', q.status, STATUSES, DEFAULT_QUERY.status),
    readOnly: oneOf('readOnly', q.readOnly, READ_ONLY, DEFAULT_QUERY.readOnly),
    mfa: oneOf('mfa', q.mfa, MFA, DEFAULT_QUERY.mfa),
    timeField: resolveTimeField(q.timeField),
    serviceCalls: oneOf('serviceCalls', q.serviceCalls, SERVICE_CALLS, DEFAULT_QUERY.serviceCalls),
    peakWindow: peakWindow(q.peakWindow),
    resourceId: text('resourceId', q.resourceId),
    filters: resolveFilters(q.filters),
    exclude: resolveFilters(q.exclude, 'exclude'),
    limit: limit(q.limit, defaultLimit({ queryType, ingestView })),
    ingestView,
  };
}

/**
 * A resolved query with the fields at their defaults left out: what a client sends a service, so that a query using
 * no field newer than the service is still one it accepts (it refuses fields it does not know, even at a default).
 */
export function withoutDefaults(query: ResolvedQuery): TrailhoundQuery {
  // The limit's default is the query's own (defaultLimit): an unreadable-files list of 20 must keep its 20.
  const defaults: ResolvedQuery = { ...DEFAULT_QUERY, limit: defaultLimit(query) };
  const differs = ([key, value]: [string, unknown]) => JSON.stringify(value) !== JSON.stringify(defaults[key as keyof ResolvedQuery]);
  return Object.fromEntries(Object.entries(query).filter(differs)) as TrailhoundQuery;
}

export function isDimension(value: string): value is Dimension {
  return (DIMENSIONS as readonly string[]).includes(value);
}
