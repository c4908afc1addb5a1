// Runs report queries: model in, frames out. Each query gets its own connection (so it never waits on an
// ingestion's transaction and sees only committed objects) and a timeout that interrupts DuckDB, as its request's
// signal does (the request's deadline, or its client gone).
import { JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import {
  isErrorKind,
  type ErrorKind,
  type Frame,
  type FrameField,
  type IngestErrors,
  type IngestStatus,
  type QueryRequest,
  type RetentionStatus,
  type QueryResponse,
  type QueryResult,
} from '../../model/api';
import { DEFAULT_QUERY, MAX_LIMIT, MODEL_KEYS, QueryError, resolveQuery, type Dimension, type ResolvedQuery, type TimeField } from '../../model/query';
import type { Database } from '../db/database';
import { originalRecords, UnreadableRecordError, type StatementGuard } from './records';
import * as SQL from './sql';
import type { Range, Statement } from './sql';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Points per series: about eleven years of hours, far more than any panel draws. */
export const MAX_POINTS = 100_000;
/** Points over all series of one request's time series: each is held as a count (8 bytes) until its frame is written. */
export const MAX_CELLS = 5_000_000;
/**
 * Rows over all event lists and tables (and lists of unreadable files) of one request, counted by their limits: ten
 * lists of the most events one may ask for. A listed event is ~200 bytes of JSON (a point ~16), so a request's lists
 * weigh about a fourth of what its time series may (~20 MB of JSON, against ~80 MB for 5 M points).
 */
export const MAX_ROWS = 100_000;
/** A row weighs as much as this many points in a request's weight (planAnswer): 100 000 rows ~ 5 M points. */
const ROW_POINTS = MAX_CELLS / MAX_ROWS;
/**
 * What the answers being built and sent at once may weigh (api/gate.ts): one budget spent in full. Measured, 100 000 rows
 * took the service ~400 MB more while answered (now ~130 MB: ColumnFrame, and a list's rows found by rowid), and 5 M
 * points ~500 MB before SeriesFrames (now ~180–320 MB, most of it DuckDB's own work); two or four at once, twice and three
 * times that.
 */
export const MAX_WEIGHT = MAX_CELLS;
const MAX_IDLE_CONNECTIONS = 8;

export class QueryTimeoutError extends Error {
  constructor(ms: number) {
    super(`the query took longer than ${ms / 1000}s and was stopped; narrow the time range or add filters`);
    this.name = 'QueryTimeoutError';
  }
}

/**
 * Why a request's queries were stopped: the reason its signal is aborted with. The query running then is interrupted,
 * and the later ones never run; each answers with this error.
 */
export class RequestStoppedError extends Error {
  private constructor(
    readonly reason: 'client_closed' | 'deadline',
    message: string,
    /** As Grafana's data sources say it: 499, the client went away; 504, the request ran out of time. */
    readonly status: 499 | 504
  ) {
    super(message);
    this.name = 'RequestStoppedError';
  }

  static clientClosed(): RequestStoppedError {
    return new RequestStoppedError('client_closed', 'the client closed the connection before the answer, so the request was stopped', 499);
  }

  /** A query request's, or, with its own advice, another request's (a value list, an event's record). */
  static deadline(ms: number, advice?: string): RequestStoppedError {
    const message =
      advice === undefined
        ? `this request's queries together ran longer than ${ms / 1000}s (the most one request may) and were stopped: ` +
          'narrow the time range, add filters, or split the queries over panels'
        : `this request ran longer than ${ms / 1000}s (the most one request may) and was stopped: ${advice}`;
    return new RequestStoppedError('deadline', message, 504);
  }
}

/** What the service's metrics count: the DuckDB statements of report queries, and the queries a stopped request left. */
export interface ReportsObserver {
  /** A statement of a report query (frames) starts; statementEnded follows, however it ends. */
  statementStarted(): void;
  statementEnded(): void;
  /** A query of a request was interrupted, or never ran, because the request was stopped. */
  queryStopped(err: RequestStoppedError): void;
}

/** The times a request may name: stored times are timestamps DuckDB reads as years 1970 to 9999, UTC. */
export const MIN_TIME = Date.UTC(1970, 0, 1);
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The largest bucket width a request may ask for (intervalMs): a leap year. */
export const MAX_INTERVAL_MS = 366 * 86_400_000;

// YYYY-MM-DD, optionally with a time (T or a space) and a zone (Z, ±hh:mm or ±hhmm).
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)([Zz]|[+-]\d{2}:?\d{2})?)?$/;

// Epoch milliseconds written as text.
const EPOCH_MS = /^-?\d+(\.\d+)?$/;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the API takes for a time, as its errors say it. */
export const TIME_FORMS = 'ISO 8601, UTC unless it names a zone, or epoch milliseconds';

/**
 * Parses an ISO 8601 time or epoch milliseconds. A date or date-time without a zone is UTC, as stored times are,
 * whatever the host's time zone.
 */
export function parseTime(field: string, value: unknown): number {
  // Numbers arrive as their digits (see the API's schema): read and shown as numbers.
  const digits = typeof value === 'string' && EPOCH_MS.test(value);
  const shown = digits ? value : JSON.stringify(value);
  const notATime = () => new QueryError(field, `${shown} is not a time (${TIME_FORMS})`);
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (digits) {
    ms = Number(value);
  } else if (typeof value === 'string') {
    const m = ISO_TIME.exec(value.trim());
    if (!m) throw notATime();
    const [, year, month, day, clock, zone] = m;
    // Date.parse would move a 30 February to March: the day must exist.
    const date = `${year}-${month}-${day}`;
    const midnight = Date.parse(`${date}T00:00:00Z`);
    if (!Number.isFinite(midnight) || isoDay(midnight) !== date) throw notATime();
    ms = Date.parse(`${date}T${clock ?? '00:00'}${(zone ?? 'Z').toUpperCase()}`);
  } else {
    throw notATime();
  }
  if (!Number.isFinite(ms)) throw notATime();
  if (ms < MIN_TIME || ms > MAX_TIME) {
    throw new QueryError(field, `${shown} is outside the times the service can answer for: 1970-01-01 to 9999-12-31 (UTC)`);
  }
  return ms;
}

/** The names a range's errors give its bounds: the request's field names. */
export interface RangeFields {
  from: string;
  to: string;
  range: string;
}

export function parseRange(
  range: { from?: unknown; to?: unknown } | undefined,
  fields: RangeFields = { from: 'range.from', to: 'range.to', range: 'range' }
): Range {
  const from = parseTime(fields.from, range?.from);
  const to = parseTime(fields.to, range?.to);
  if (to <= from) throw new QueryError(fields.range, '"to" must be after "from"');
  return { from, to };
}

const BUCKETS = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/** Bucket width: fixed for hour/day; for auto, the smallest that honours Grafana's interval and max data points. */
export function bucketMs(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number): number {
  if (q.aggregate === 'hour') return 3_600_000;
  if (q.aggregate === 'day') return 86_400_000;
  // Buckets align to whole multiples of their width, which can add one: divide by one less.
  const wanted = Math.max(intervalMs ?? 0, (range.to - range.from) / Math.max(1, (maxDataPoints || 1000) - 1));
  return BUCKETS.find((b) => b >= wanted) ?? Math.ceil(wanted / 86_400_000) * 86_400_000;
}

type Row = Record<string, unknown>;
/** Runs a statement on a query's connection (Reports.all, or a request's guarded statements). */
type RunStatement = (statement: Statement | string) => Promise<Row[]>;
/** A statement to run on `conn`, as a guard takes it (see Reports.interruptible), its rows as objects. */
const rowsOf = (conn: DuckDBConnection, statement: Statement | string) => async (): Promise<Row[]> => {
  const { sql, params } = typeof statement === 'string' ? { sql: statement, params: undefined } : statement;
  return (await conn.runAndReadAll(sql, params)).getRowObjectsJS() as Row[];
};
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
/** The times of a trail (SQL.TRAILS_SQL), in epoch milliseconds. */
const TRAIL_TIMES = ['logging_started', 'logging_stopped', 'last_delivery', 'last_notification'];

/** A time series' bucket width and its points in all (at most `limit` series; one when ungrouped), within one query's limits. */
function seriesPlan(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number): { bucket: number; cells: number } {
  const bucket = bucketMs(q, range, intervalMs, maxDataPoints);
  const points = Math.ceil((range.to - range.from) / bucket);
  if (points > MAX_POINTS) {
    throw new QueryError('aggregate', `${q.aggregate} buckets over this range make ${points} points per series (at most ${MAX_POINTS}); use day or auto, or a shorter range`);
  }
  const series = q.groupBy === 'none' ? 1 : q.limit;
  if (points * series > MAX_CELLS) {
    throw new QueryError('limit', `${q.limit} series of ${points} points is too much to draw (at most ${MAX_CELLS} points in all); lower the limit or widen the buckets`);
  }
  return { bucket, cells: points * series };
}

/** What a query may return, counted before it runs: its time series' points, its lists' and tables' rows. */
function plannedSize(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number): { cells: number; rows: number } {
  if (q.queryType === 'events' && q.format === 'timeseries') return { cells: seriesPlan(q, range, intervalMs, maxDataPoints).cells, rows: 0 };
  // The unreadable files are a list up to `limit` too: fifty of 10 000 would be the answer the budget refuses.
  if ((q.queryType === 'events' && (q.format === 'list' || q.format === 'table')) || (q.queryType === 'ingest' && q.ingestView === 'errors')) {
    return { cells: 0, rows: q.limit };
  }
  return { cells: 0, rows: 0 };
}

/** A request's query as planned: resolved and within the request's budgets, or refused with its error. */
type PlannedQuery = { refId: string; q: ResolvedQuery } | { refId: string; error: unknown };

/**
 * A POST /api/query request checked once, before anything runs: each query resolved and sized against the request's
 * budgets (or refused, with its reason), and what its answer may hold, in points (a row counts ROW_POINTS), which the
 * API's gate lets answer at once (api/gate.ts). Refused queries weigh nothing; a request may weigh twice MAX_WEIGHT
 * (both budgets in full), and then waits until it answers alone. Throws when the request itself is refused.
 */
export interface AnswerPlan {
  request: QueryRequest;
  range?: Range;
  queries: PlannedQuery[];
  weight: number;
}

export function planAnswer(request: QueryRequest): AnswerPlan {
  refuseUnknownFields(request, REQUEST_FIELDS, 'query request');
  // Answers are keyed by refId: two queries with one refId would silently lose one answer.
  const seen = new Set<string>();
  for (const query of request.queries ?? []) {
    const refId = query.refId ?? 'A';
    if (seen.has(refId)) throw new QueryError('queries', `refId "${refId}" is used by more than one query: give each query its own refId`);
    seen.add(refId);
  }
  let range: Range | undefined;
  let rangeError: unknown;
  try {
    range = parseRange(request.range);
  } catch (err) {
    rangeError = err;
  }
  // One budget of points and one of rows for the whole request, so that many queries cannot add up to what one may
  // not ask for. Both count what a query may return (its planned series, its limit), before it runs.
  let cellsLeft = MAX_CELLS;
  let rowsLeft = MAX_ROWS;
  const queries = (request.queries ?? []).map((query): PlannedQuery => {
    const refId = query.refId ?? 'A';
    try {
      if (rangeError) throw rangeError;
      refuseUnknownFields(query, QUERY_FIELDS, 'query model');
      const q = resolveQuery(query);
      const { cells, rows } = plannedSize(q, range!, request.intervalMs, request.maxDataPoints);
      if (cells > cellsLeft) {
        throw new QueryError(
          'queries',
          `this request's time series together ask for more than ${MAX_CELLS} points: lower the limits, widen the buckets, or split the queries over panels`
        );
      }
      if (rows > rowsLeft) {
        throw new QueryError(
          'queries',
          `this request's lists and tables together ask for more than ${MAX_ROWS} rows (the sum of their limits): lower the limits, or split the queries over panels`
        );
      }
      cellsLeft -= cells;
      rowsLeft -= rows;
      return { refId, q };
    } catch (err) {
      return { refId, error: err };
    }
  });
  return { request, range, queries, weight: MAX_CELLS - cellsLeft + (MAX_ROWS - rowsLeft) * ROW_POINTS };
}

export class Reports {
  constructor(
    private readonly db: Database,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
    /** Up to this many events, a resource's event ids go into the query too (tests lower it). */
    private readonly maxResourceIds = SQL.MAX_RESOURCE_IDS,
    /** Which sources' last runs the ingestion status reports (SQL.StatusScope): the service's, or every one (the CLI). */
    private readonly statusScope: SQL.StatusScope = 'service'
  ) {}

  /** Told about every statement and stopped query (the service's metrics). */
  observer?: ReportsObserver;

  /**
   * Runs one DuckDB call on `conn` (a statement), interrupted when it runs past the timeout or when `signal` aborts (the
   * request was stopped: then the signal's reason is the error). A signal aborted already runs nothing.
   */
  private async interruptible<T>(conn: DuckDBConnection, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    // An interrupt that lands while DuckDB still prepares the statement is lost, so keep interrupting until it ends.
    let repeat: NodeJS.Timeout | undefined;
    const interrupt = () => {
      if (repeat) return;
      conn.interrupt();
      repeat = setInterval(() => conn.interrupt(), 10);
    };
    const timer = setTimeout(interrupt, this.timeoutMs);
    signal?.addEventListener('abort', interrupt);
    const stopped = () => (signal?.aborted ? signal.reason : new QueryTimeoutError(this.timeoutMs));
    try {
      const value = await run();
      // A streamed result (HeldFrames' read) that is interrupted between chunks just ends: its rows are not all there.
      if (repeat) throw stopped();
      return value;
    } catch (err) {
      if (/INTERRUPT/i.test(String(err))) throw stopped();
      throw err;
    } finally {
      clearTimeout(timer);
      clearInterval(repeat);
      signal?.removeEventListener('abort', interrupt);
    }
  }

  /** Runs one statement (interruptible, outside a request: no signal, no metrics). */
  private all(conn: DuckDBConnection, statement: Statement | string): Promise<Row[]> {
    return this.interruptible(conn, rowsOf(conn, statement));
  }

  /**
   * The statements of one request's work on `conn`: each counted in the metrics, interrupted past the timeout, and
   * stopped with the request (`signal`): the running one interrupted, no later one started.
   */
  private requestGuard(conn: DuckDBConnection, signal?: AbortSignal): StatementGuard {
    return async (run) => {
      signal?.throwIfAborted();
      this.observer?.statementStarted();
      try {
        return await this.interruptible(conn, run, signal);
      } finally {
        this.observer?.statementEnded();
      }
    };
  }

  /**
   * A request's work outside query() (a value list, an event's record, the small reads), on a connection with its statements guarded as
   * a query's are (requestGuard); a stop is counted as a query's is.
   */
  private async stoppable<T>(signal: AbortSignal | undefined, work: (conn: DuckDBConnection, guard: StatementGuard) => Promise<T>): Promise<T> {
    try {
      return await this.withConnection((conn) => work(conn, this.requestGuard(conn, signal)));
    } catch (err) {
      if (err instanceof RequestStoppedError) this.observer?.queryStopped(err);
      throw err;
    }
  }

  /** Idle connections, reused: opening one per query costs as much as a small query itself. */
  private readonly idle: DuckDBConnection[] = [];

  private async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = this.idle.pop() ?? (await this.db.connect());
    try {
      return await fn(conn);
    } finally {
      if (this.idle.length < MAX_IDLE_CONNECTIONS) this.idle.push(conn);
      else conn.closeSync();
    }
  }

  /** Runs `fn` with statements on one connection (outside a query: no signal, no metrics). */
  private withStatements<T>(fn: (all: RunStatement) => Promise<T>): Promise<T> {
    return this.withConnection((conn) => fn((statement) => this.all(conn, statement)));
  }

  /** Closes the idle connections (the database stays open). */
  close(): void {
    for (const conn of this.idle.splice(0)) conn.closeSync();
  }

  /**
   * Every query of a request; one failing query is its refId's error, never the whole answer's. When `signal` aborts
   * (the client left, or the request's deadline passed), the running statement is interrupted and no later query runs.
   */
  async query(request: QueryRequest, signal?: AbortSignal): Promise<QueryResponse> {
    const { results } = await this.answer(planAnswer(request), signal);
    for (const result of Object.values(results)) if ('frames' in result && result.frames instanceof HeldFrames) result.frames = result.frames.frames();
    return { results } as QueryResponse;
  }

  /**
   * query()'s answer to a planned request (planAnswer), with each time series query's frames held as counts
   * (SeriesFrames), and each list's and table's as its columns' JSON (ColumnFrame), not built: the API writes them as
   * JSON a piece at a time (answerJson), so a request at the points or the row budget never holds its frames, or their
   * JSON, whole.
   */
  async answer({ request, range, queries }: AnswerPlan, signal?: AbortSignal): Promise<Answer> {
    // No prototype: a refId such as "__proto__" is a key like any other, not the object's prototype (and its answer lost).
    const results: Record<string, AnswerResult> = Object.create(null);
    for (const planned of queries) {
      try {
        signal?.throwIfAborted();
        if ('error' in planned) throw planned.error;
        results[planned.refId] = { frames: await this.answerFrames(planned.q, range!, request.intervalMs, request.maxDataPoints, signal) };
      } catch (err) {
        if (err instanceof RequestStoppedError) this.observer?.queryStopped(err);
        results[planned.refId] = errorResult(err);
      }
    }
    return { results };
  }

  /** One query's frames; `signal`, as in query(), stops it. */
  async frames(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number, signal?: AbortSignal): Promise<Frame[]> {
    const frames = await this.answerFrames(q, range, intervalMs, maxDataPoints, signal);
    return frames instanceof HeldFrames ? frames.frames() : frames;
  }

  private async answerFrames(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number, signal?: AbortSignal): Promise<Frame[] | HeldFrames> {
    return this.withConnection(async (conn) => {
      const guard = this.requestGuard(conn, signal);
      const all = (statement: Statement | string) => guard(rowsOf(conn, statement));
      // The resource index is by event time: an arrival-time query checks each event's resources itself.
      const indexed = q.resourceId && q.timeField === 'event' && (q.queryType === 'events' || q.queryType === 'totals');
      // A peak's window reaches back before the range: the index is asked for those events too.
      const lookup = SQL.countsPeaks(q) ? SQL.peakReach(q, range) : range;
      const match = indexed ? await this.resourceMatch(all, q.resourceId, lookup) : undefined;
      switch (q.queryType) {
        case 'totals':
          return [totalsFrame(await all(SQL.totals(q, range, match)))];
        case 'trails':
          return [trailsFrame(await all(SQL.TRAILS_SQL))];
        case 'ingest':
          if (q.ingestView === 'errors') return [ingestErrorsFrame(await this.readErrors(all, q.limit))];
          return [ingestFrame(await this.readStatus(all))];
        case 'events':
          if (q.format === 'list' || q.format === 'table') {
            const frame = q.format === 'list' ? listFrame(q) : tableFrame(q);
            const statement = q.format === 'list' ? SQL.eventList(q, range, match) : SQL.topGroups(q, range, match);
            return guard(() => frame.read(conn, statement));
          }
          {
            const { bucket } = seriesPlan(q, range, intervalMs, maxDataPoints);
            const series = new SeriesFrames(q, range, bucket);
            await guard(() => series.read(conn, SQL.timeseries(q, range, bucket, match)));
            return series.sorted();
          }
      }
    });
  }

  /** Asks the resource index where a resource's events are, so the report reads only those row groups. */
  private async resourceMatch(all: RunStatement, resourceId: string, range: Range): Promise<SQL.ResourceMatch> {
    const [r] = await all(SQL.resourceLookup(resourceId, range));
    const count = Number(r.n);
    const match: SQL.ResourceMatch = { count, from: Number(r.lo ?? 0), to: Number(r.hi ?? 0) };
    if (count > 0 && count <= this.maxResourceIds) {
      match.ids = (await all(SQL.resourceEventIds(resourceId, range))).map((row) => String(row.event_id));
    }
    return match;
  }

  /**
   * Distinct values of a dimension, most frequent first: of the events made in the range, or stored in it (by arrival).
   * `signal`, as in query(), stops it.
   */
  async values(
    dimension: Dimension,
    range: Range,
    search: string,
    limit: number,
    timeField: TimeField = DEFAULT_QUERY.timeField,
    signal?: AbortSignal
  ): Promise<Array<{ value: string; count: number }>> {
    const statement = SQL.dimensionValues(dimension, range, search, limit, timeField);
    const rows = await this.stoppable(signal, (conn, guard) => guard(rowsOf(conn, statement)));
    return rows.map((r) => ({ value: String(r.value), count: Number(r.n) }));
  }

  /**
   * The original CloudTrail record of one stored event, as delivered; undefined when no such event is stored, 'removed'
   * when a prune (the retention) removed it while it was read. A stored event whose kept log file is damaged or does not
   * hold it throws UnreadableRecordError. Each of its statements has the timeout; `signal`, as in query(), stops it.
   */
  async record(eventId: string, signal?: AbortSignal): Promise<Record<string, unknown> | 'removed' | undefined> {
    return this.stoppable(signal, async (conn, guard) => {
      // The read of a big kept file is no statement: the signal stops it.
      const { found, removed, unreadable } = await originalRecords(conn, this.db.originalsDir, [eventId], guard, signal);
      if (unreadable.length > 0) throw new UnreadableRecordError(unreadable[0]);
      return removed.includes(eventId) ? 'removed' : found.get(eventId);
    });
  }

  /**
   * A small read of the API's (`signal` given: stopped with its request, as a value list is) or not (the metrics', the
   * CLI's: neither counted nor stopped).
   */
  private read<T>(signal: AbortSignal | undefined, fn: (all: RunStatement) => Promise<T>): Promise<T> {
    if (!signal) return this.withStatements(fn);
    return this.stoppable(signal, (conn, guard) => fn((statement) => guard(rowsOf(conn, statement))));
  }

  /**
   * The stored trail inventory, its times ISO strings as in the ingestion status (epoch milliseconds are BIGINTs, which
   * JSON cannot carry). `signal`, as in query(), stops it.
   */
  async trails(signal?: AbortSignal): Promise<Row[]> {
    const rows = await this.read(signal, (all) => all(SQL.TRAILS_SQL));
    return rows.map((r) => ({ ...r, ...Object.fromEntries(TRAIL_TIMES.map((key) => [key, iso(r[key])])) }));
  }

  /** The log files ingestion could not read (ingest_errors), newest first: at most `limit`, and how many there are in all. */
  async ingestErrors(limit: number, signal?: AbortSignal): Promise<IngestErrors> {
    return this.read(signal, (all) => this.readErrors(all, limit));
  }

  /**
   * Whether the database's ingest_errors has a column: the errors' kinds (`kind`, SQL.WithKinds) or the waits of files
   * that ran out of memory (`retry_at`, SQL.WithRetries). Each is asked once, as a file is upgraded only when opened to write.
   */
  private readonly errorColumns = new Map<string, Promise<boolean>>();

  private errorsHave(column: 'kind' | 'retry_at'): Promise<boolean> {
    if (!this.errorColumns.has(column)) this.errorColumns.set(column, this.db.hasColumn('ingest_errors', column));
    return this.errorColumns.get(column)!;
  }

  private async readErrors(all: RunStatement, limit: number): Promise<IngestErrors> {
    const rows = await all({ sql: SQL.ingestErrorsSql(await this.errorsHave('kind'), await this.errorsHave('retry_at')), params: { limit } });
    return {
      total: rows.length === 0 ? 0 : Number(rows[0].total),
      errors: rows.map((r) => ({
        source: String(r.source),
        key: String(r.key),
        reason: String(r.reason),
        ...(isErrorKind(r.kind) && { kind: r.kind }),
        failedAt: iso(r.failed_at)!,
        ...(r.retry_at !== null && r.retry_at !== undefined && { retryAt: iso(r.retry_at)! }),
      })),
    };
  }

  /** `signal`, as in query(), stops it (the metrics read it without). */
  async ingestStatus(signal?: AbortSignal): Promise<IngestStatus> {
    return this.read(signal, (all) => this.readStatus(all));
  }

  private async readStatus(all: RunStatement): Promise<IngestStatus> {
    const kinds = await this.errorsHave('kind');
    const r = (await all(SQL.ingestSql(this.statusScope, kinds)))[0];
    const listed = await all(SQL.sourcesSql(kinds));
    const newest = num(r.newest);
    return {
      objects: Number(r.objects),
      events: Number(r.events),
      errors: Number(r.errors),
      skipped: Number(r.skipped),
      newestEvent: iso(newest),
      oldestEvent: iso(r.oldest),
      lagSeconds: newest === null ? null : Math.max(0, Math.round((Date.now() - newest) / 1000)),
      lastPoll: iso(r.last_poll),
      lastPollError: (r.last_error as string | null) ?? null,
      lastPollErrorKinds: r.last_error ? kindList(r.last_error_kinds) : null,
      retention: r.retention ? (JSON.parse(String(r.retention)) as RetentionStatus) : null,
      sources:
        listed.length === 0
          ? null
          : listed.map((s) => ({
              source: String(s.source),
              objects: Number(s.objects),
              lastRun: iso(s.last_run),
              lastError: (s.error as string | null) ?? null,
              lastErrorKind: s.error ? (isErrorKind(s.error_kind) ? s.error_kind : 'other') : null,
            })),
    };
  }
}

/** A list of kinds as DuckDB returns it; an unknown or missing one is 'other'. */
function kindList(value: unknown): ErrorKind[] {
  const items = Array.isArray(value) ? value : ((value as { items?: unknown[] } | null)?.items ?? []);
  return items.map((k) => (isErrorKind(k) ? k : 'other'));
}

/**
 * A field this service does not know is refused, never ignored: a client newer than the service (a plugin upgraded
 * first) would otherwise get answers that silently leave its new fields out, such as an alert counting by event time.
 */
export function refuseUnknownFields(given: object, known: readonly string[], what: string): void {
  const unknown = Object.keys(given).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new QueryError(unknown, `is not a field of this service's ${what} (${known.join(', ')}): is the service older than its client? Upgrade it`);
  }
}

const REQUEST_FIELDS = ['range', 'intervalMs', 'maxDataPoints', 'queries'] as const satisfies ReadonlyArray<keyof QueryRequest>;
const QUERY_FIELDS = [...MODEL_KEYS, 'refId'];

export function errorResult(err: unknown): QueryResult {
  if (err instanceof QueryError) return { error: err.message, status: 400 };
  if (err instanceof QueryTimeoutError) return { error: err.message, status: 504 };
  if (err instanceof RequestStoppedError) return { error: err.message, status: err.status };
  return { error: err instanceof Error ? err.message : String(err), status: 500 };
}

/** A group of a timeseries or table: its labels (one, or a pair's two) and how it is shown. */
interface Group {
  labels: Record<string, string>;
  name: string;
}

/** A group's label names: a table's group columns. Ungrouped, the one group "all" is in a column "group". */
const labelNames = (q: ResolvedQuery): readonly string[] => (q.groupBy === 'none' ? ['group'] : SQL.GROUP_LABELS[q.groupBy]);

/**
 * The group of a result row's key: a value, or a pair's struct whose fields are its labels. A pair is shown as
 * "alice (111122223333)": the user, then the account it acted in.
 */
function groupOf(q: ResolvedQuery, key: unknown): Group {
  const names = labelNames(q);
  const values = names.length === 1 ? [String(key)] : names.map((n) => String((key as Record<string, unknown>)[n]));
  const [first, ...rest] = values;
  return { labels: Object.fromEntries(names.map((n, i) => [n, values[i]])), name: rest.length ? `${first} (${rest.join(', ')})` : first };
}

/** Label values in order, as the SQL orders groups of equal counts (a pair's struct field by field). */
function compareGroups(a: Group, b: Group): number {
  const x = Object.values(a.labels);
  const y = Object.values(b.labels);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/** A group's counts, one per bucket, and what orders it among the others: their sum, or with peaks the highest. */
interface Series {
  group: Group;
  counts: Float64Array;
  total: number;
}

/**
 * A query's frames held in a compact form until they are written: as Frames (frames()), or as their JSON a frame at a
 * time (eachFrame(); json(): the items of the frames list, without its brackets, as JSON.stringify(this.frames()) writes
 * them), which the API sends as it goes (answerJson, answerLines).
 */
export abstract class HeldFrames {
  abstract frames(): Frame[];
  /** Each frame's JSON, as JSON.stringify writes it, in pieces. */
  abstract eachFrame(): Generator<Iterable<string>>;

  *json(): Generator<string> {
    let i = 0;
    for (const frame of this.eachFrame()) {
      if (i++ > 0) yield ',';
      yield* frame;
    }
  }
}

/**
 * A time series query's frames, held as one Float64Array of counts per group (8 bytes a point: 40 MB at the points
 * budget). Built as objects, zero-filled, with their JSON in one string, a request at the budget took the service
 * ~470 MB more, and DuckDB's rows read as objects (a series dense with events) 1.9 GB more.
 */
export class SeriesFrames extends HeldFrames {
  /** The first bucket's time: buckets are whole multiples of their width, every one of the range, so 0 is drawn, not a gap. */
  private readonly start: number;
  private readonly points: number;
  private readonly groups = new Map<string, Series>();
  private ordered: Series[] = [];

  constructor(
    private readonly q: ResolvedQuery,
    range: Range,
    private readonly bucket: number
  ) {
    super();
    this.start = Math.floor(range.from / bucket) * bucket;
    this.points = Math.ceil((range.to - this.start) / bucket);
  }

  /** Reads SQL.timeseries' rows (grp, t, n), in any order, a DuckDB chunk at a time, into each group's counts. */
  async read(conn: DuckDBConnection, statement: Statement): Promise<void> {
    const result = await conn.stream(statement.sql, statement.params);
    const peaks = SQL.countsPeaks(this.q);
    // A group's key is worked out once, not for each of its points: a value is its own key, a pair's struct is not.
    const byValue = new Map<string, Series>();
    const seriesOf = (key: unknown): Series => {
      if (typeof key === 'string') {
        const known = byValue.get(key);
        if (known) return known;
      }
      const group = groupOf(this.q, key);
      // Keyed by every label value: two accounts' users of one name are two series.
      const id = JSON.stringify(Object.values(group.labels));
      let series = this.groups.get(id);
      if (!series) this.groups.set(id, (series = { group, counts: new Float64Array(this.points), total: 0 }));
      if (typeof key === 'string') byValue.set(key, series);
      return series;
    };
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const keys = chunk.convertColumnValues(0, JSDuckDBValueConverter);
      const times = chunk.getColumnVector(1);
      const counts = chunk.getColumnVector(2);
      for (let i = 0; i < chunk.rowCount; i++) {
        const series = seriesOf(keys[i]);
        const at = (Number(times.getItem(i)) - this.start) / this.bucket;
        if (!Number.isInteger(at) || at < 0 || at >= this.points) continue;
        const n = Number(counts.getItem(i));
        series.counts[at] = n;
        series.total = peaks ? Math.max(series.total, n) : series.total + n;
      }
    }
  }

  /** Busiest group first, as in the table format (and so in legends); with peaks, the highest peak first. */
  sorted(): this {
    if (this.groups.size === 0 && this.q.groupBy === 'none') this.groups.set('all', { group: groupOf(this.q, 'all'), counts: new Float64Array(this.points), total: 0 });
    this.ordered = [...this.groups.values()].sort((x, y) => y.total - x.total || compareGroups(x.group, y.group));
    this.groups.clear();
    return this;
  }

  private times(): number[] {
    return Array.from({ length: this.points }, (_, i) => this.start + i * this.bucket);
  }

  private get grouped(): boolean {
    return this.q.groupBy !== 'none';
  }

  frames(): Frame[] {
    const times = this.times();
    return this.ordered.map(({ group, counts }) => ({
      name: this.grouped ? group.name : 'events',
      fields: [
        { name: 'time', type: 'time', values: times },
        {
          name: 'events',
          type: 'number',
          values: Array.from(counts),
          ...(this.grouped ? { labels: group.labels, config: { displayNameFromDS: group.name } } : {}),
        },
      ],
    }));
  }

  *eachFrame(): Generator<Iterable<string>> {
    // Every frame has the same times: their JSON is written once.
    const time = JSON.stringify({ name: 'time', type: 'time', values: this.times() });
    for (const { group, counts } of this.ordered) {
      const name = JSON.stringify(this.grouped ? group.name : 'events');
      const labels = this.grouped ? `,"labels":${JSON.stringify(group.labels)},"config":${JSON.stringify({ displayNameFromDS: group.name })}` : '';
      yield [`{"name":${name},"fields":[${time},{"name":"events","type":"number","values":[${counts.join(',')}]${labels}}]}`];
    }
  }
}

/**
 * A column of a list's or a table's frame: its field, the result column it comes from, and what a value of that column
 * (as JSDuckDBValueConverter gives it) is in the frame.
 */
interface ColumnSpec {
  name: string;
  type: FrameField['type'];
  from: string;
  value: (v: unknown) => unknown;
}

/**
 * An event list's or a table's one frame, held as its columns' JSON: a DuckDB chunk (2,048 rows) at a time, each column's
 * values are written as JSON text, a piece per chunk, and the rows are dropped. The row budget (100,000 rows) read as row
 * objects (getRowObjectsJS), then built into frames and their JSON, peaked ~25 MB higher, and eight such requests in a
 * row ~100 MB higher (see DESIGN.md, "Event lists and tables are streamed too").
 */
export class ColumnFrame extends HeldFrames {
  /** Each column's values as JSON, a piece (values joined by commas) per chunk. */
  private readonly pieces: string[][];

  constructor(
    private readonly name: string,
    private readonly meta: Frame['meta'],
    private readonly columns: ColumnSpec[]
  ) {
    super();
    this.pieces = columns.map(() => []);
  }

  /** Reads the statement's rows a chunk at a time into each column's JSON. */
  async read(conn: DuckDBConnection, statement: Statement): Promise<this> {
    const result = await conn.stream(statement.sql, statement.params);
    const names = result.columnNames();
    const at = this.columns.map((c) => names.indexOf(c.from));
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      // A result column is converted once, however many columns it makes (a pair's group: its user and its account).
      const converted = new Map<number, unknown[]>();
      this.columns.forEach((column, i) => {
        let values = converted.get(at[i]);
        if (!values) converted.set(at[i], (values = chunk.convertColumnValues(at[i], JSDuckDBValueConverter)));
        // undefined, which JSON.stringify leaves out, is null in a list, as in JSON.stringify of the whole frame.
        this.pieces[i].push(values.map((v) => JSON.stringify(column.value(v)) ?? 'null').join(','));
      });
    }
    return this;
  }

  frames(): Frame[] {
    return JSON.parse(`[${[...this.json()].join('')}]`) as Frame[];
  }

  *eachFrame(): Generator<Iterable<string>> {
    yield this.frameJson();
  }

  private *frameJson(): Generator<string> {
    yield `{"name":${JSON.stringify(this.name)}${this.meta === undefined ? '' : `,"meta":${JSON.stringify(this.meta)}`},"fields":[`;
    for (const [i, { name, type }] of this.columns.entries()) {
      yield `${i > 0 ? ',' : ''}{"name":${JSON.stringify(name)},"type":${JSON.stringify(type)},"values":[`;
      for (const [j, piece] of this.pieces[i].entries()) yield j > 0 ? `,${piece}` : piece;
      yield ']}';
    }
    yield ']}';
  }
}

/** A query's result as Reports.answer() holds it: a time series', a list's or a table's frames not yet built (HeldFrames). */
export type AnswerResult = { frames: Frame[] | HeldFrames } | { error: string; status: number };

export interface Answer {
  results: Record<string, AnswerResult>;
}

/**
 * An answer's JSON, as JSON.stringify of its QueryResponse writes it, in pieces: a time series a frame at a time, so
 * that neither the frames nor the whole string are ever held (an 82 MB answer was an 82 MB string, and as much again
 * in the buffer sent).
 */
export function* answerJson(answer: Answer): Generator<string> {
  yield* inChunks(answerPieces(answer));
}

/**
 * The media type of an answer a line per frame (answerLines), which a client asks for with `Accept`; any other client
 * gets answerJson's.
 */
export const ANSWER_LINES_TYPE = 'application/x-ndjson';

/**
 * An answer as lines of JSON (NDJSON), each a QueryResultLine: a refId and one frame of its result (a result of no frames,
 * one line of none; an error, its line), the lines of a result one after another, in the answer's order, then the line
 * `{"end":true}`, without which the answer was cut short. A client can turn each frame into what it needs and drop its
 * text: the plugin's backend held the whole answer's JSON, its text and its objects at once (~440 MB at the points budget).
 * The frames' JSON is answerJson's.
 */
export function* answerLines(answer: Answer): Generator<string> {
  yield* inChunks(linePieces(answer));
}

function* linePieces(answer: Answer): Generator<string> {
  for (const [refId, result] of Object.entries(answer.results)) {
    const start = `{"refId":${JSON.stringify(refId)},"frames":[`;
    if ('frames' in result) {
      const frames = result.frames instanceof HeldFrames ? result.frames.eachFrame() : result.frames.map((frame) => [JSON.stringify(frame)]);
      let none = true;
      for (const frame of frames) {
        none = false;
        yield start;
        yield* frame;
        yield ']}\n';
      }
      if (none) yield `${start}]}\n`;
    } else {
      yield `${JSON.stringify({ refId, ...result })}\n`;
    }
  }
  yield '{"end":true}\n';
}

/** Pieces of about 64 kB: a write per frame (~10 kB) made as many HTTP chunks, which cost the plugin ~25 MB more to read. */
function* inChunks(pieces: Iterable<string>): Generator<string> {
  let pending: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= 64 * 1024) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  yield pending.join('');
}

function* answerPieces(answer: Answer): Generator<string> {
  yield '{"results":{';
  for (const [i, [refId, result]] of Object.entries(answer.results).entries()) {
    const key = `${i > 0 ? ',' : ''}${JSON.stringify(refId)}:`;
    if ('frames' in result && result.frames instanceof HeldFrames) {
      yield `${key}{"frames":[`;
      yield* result.frames.json();
      yield ']}';
    } else {
      yield key + JSON.stringify(result);
    }
  }
  yield '}}';
}

/** A table's frame (SQL.topGroups' rows: grp, n). */
function tableFrame(q: ResolvedQuery): ColumnFrame {
  // A column per label: a pair's user and account side by side, each its own drill-down link on the dashboards.
  const names = labelNames(q);
  return new ColumnFrame(`events by ${names.join(' and ')}`, undefined, [
    ...names.map((name) => ({ name, type: 'string' as const, from: 'grp', value: (key: unknown) => groupOf(q, key).labels[name] })),
    { name: 'events', type: 'number', from: 'n', value: Number },
  ]);
}

/** A frame column's value from a result value: times arrive as epoch milliseconds, a missing value is null. */
const fieldValue = (type: 'time' | 'string' | 'boolean') => (v: unknown) => (v === null || v === undefined ? null : type === 'time' ? Number(v) : v);

/** A frame column from result rows (see fieldValue). */
function column(rows: Row[], name: string, type: 'time' | 'string' | 'boolean', key: string): FrameField {
  const value = fieldValue(type);
  return { name, type, values: rows.map((r) => value(r[key]) as string | number | boolean | null) };
}

/** An event list's frame (SQL.eventList's rows). */
function listFrame(q: ResolvedQuery): ColumnFrame {
  type Column = [string, 'time' | 'string' | 'boolean', string];
  const arrived: Column[] = q.timeField === 'arrival' ? [['arrived', 'time', 'arrived']] : [];
  const spec: Column[] = [
    ['time', 'time', 'time'], ...arrived, ['user', 'string', 'user_name'], ['identity type', 'string', 'identity_type'],
    // The role a role session acted through: an Identity Center user's permission set, beside the person as the user.
    ['role', 'string', 'role_name'], ['source IP', 'string', 'source_ip'], ['event name', 'string', 'event_name'], ['service', 'string', 'service'],
    ['region', 'string', 'region'],
    ['account', 'string', 'account'], ['resources', 'string', 'resources'], ['error code', 'string', 'error_code'],
    ['error message', 'string', 'error_message'], ['read only', 'boolean', 'read_only'], ['MFA', 'boolean', 'mfa_used'],
    ['event id', 'string', 'event_id'],
  ];
  return new ColumnFrame('events', { preferredVisualisationType: 'table' }, spec.map(([name, type, from]) => ({ name, type, from, value: fieldValue(type) })));
}

function totalsFrame(rows: Row[]): Frame {
  const r = rows[0];
  const keys = ['trails', 'events', 'success', 'errors', 'unauthorized', 'users', 'ips', 'services', 'regions', 'accounts'];
  return { name: 'totals', fields: keys.map((k) => ({ name: k, type: 'number' as const, values: [Number(r[k])] })) };
}

function trailsFrame(rows: Row[]): Frame {
  const spec: Array<[string, 'string' | 'boolean' | 'time', string]> = [
    ['name', 'string', 'name'], ['S3 bucket', 'string', 's3_bucket'], ['S3 key prefix', 'string', 's3_key_prefix'],
    ['is logging', 'boolean', 'is_logging'], ['include global service events', 'boolean', 'include_global_service_events'],
    ['multi-region', 'boolean', 'is_multi_region'], ['organization trail', 'boolean', 'is_organization_trail'],
    ['home region', 'string', 'home_region'], ['logging started', 'time', 'logging_started'], ['logging ended', 'time', 'logging_stopped'],
    ['last delivery', 'time', 'last_delivery'], ['last delivery error', 'string', 'last_delivery_error'],
    ['last notification', 'time', 'last_notification'], ['last notification error', 'string', 'last_notification_error'],
    ['SNS topic', 'string', 'sns_topic'], ['ARN', 'string', 'arn'],
  ];
  return { name: 'trails', fields: spec.map(([name, type, key]) => column(rows, name, type, key)) };
}

export function ingestFrame(s: IngestStatus): Frame {
  const t = (iso: string | null) => (iso === null ? null : Date.parse(iso));
  return {
    name: 'ingestion',
    // The last poll error's kinds, for clients (the plugin's backend) that show the kind instead of the message.
    ...(s.lastPollErrorKinds && { meta: { custom: { lastPollErrorKinds: s.lastPollErrorKinds } } }),
    fields: [
      { name: 'objects', type: 'number', values: [s.objects] },
      { name: 'events', type: 'number', values: [s.events] },
      { name: 'errors', type: 'number', values: [s.errors] },
      { name: 'skipped', type: 'number', values: [s.skipped] },
      { name: 'newest event', type: 'time', values: [t(s.newestEvent)] },
      { name: 'lag', type: 'number', values: [s.lagSeconds], config: { unit: 's' } },
      { name: 'last poll', type: 'time', values: [t(s.lastPoll)] },
      { name: 'last poll error', type: 'string', values: [s.lastPollError] },
      { name: 'oldest event', type: 'time', values: [t(s.oldestEvent)] },
      // Not the unit 'd': Grafana scales it, and 90 days read "12.9 weeks".
      { name: 'retention', type: 'number', values: [s.retention?.days ?? null], config: { unit: 'suffix:days' } },
    ],
  };
}

/**
 * The unreadable files as a table: when each failed, its source, its key, why, and, for a file that ran out of memory,
 * when it is tried again (the first run after that time; null for the others, read again once they change). A notice
 * says when there are more.
 */
export function ingestErrorsFrame({ total, errors }: IngestErrors): Frame {
  const more = total - errors.length;
  // At the most a list takes, raising the limit lists no more: not advice to give then.
  const advice = errors.length < MAX_LIMIT ? ': raise the limit to list more' : ` (a list shows at most ${MAX_LIMIT})`;
  const notices = more > 0 ? [{ severity: 'info', text: `the newest ${errors.length} of ${total} unreadable files${advice}` }] : [];
  return {
    name: 'unreadable files',
    // Each reason's kind, row by row (an older database's rows have none), as in GET /api/ingest/errors.
    meta: { preferredVisualisationType: 'table', ...(notices.length > 0 && { notices }), custom: { reasonKinds: errors.map((e) => e.kind ?? null) } },
    fields: [
      { name: 'time', type: 'time', values: errors.map((e) => Date.parse(e.failedAt)) },
      { name: 'source', type: 'string', values: errors.map((e) => e.source) },
      { name: 'key', type: 'string', values: errors.map((e) => e.key) },
      { name: 'reason', type: 'string', values: errors.map((e) => e.reason) },
      // Last: a client that reads the columns by position (time, source, key, reason) still finds them.
      { name: 'retry after', type: 'time', values: errors.map((e) => (e.retryAt ? Date.parse(e.retryAt) : null)) },
    ],
  };
}
