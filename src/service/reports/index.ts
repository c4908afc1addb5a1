// Runs report queries: model in, frames out. Each query gets its own connection (so it never waits on an
// ingestion's transaction and sees only committed objects) and a timeout that interrupts DuckDB, as its request's
// signal does (the request's deadline, or its client gone).
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  isErrorKind,
  type ErrorKind,
  type Frame,
  type IngestErrors,
  type IngestStatus,
  type Notice,
  type QueryRequest,
  type RetentionStatus,
  type QueryResponse,
} from '../../model/api';
import { DEFAULT_QUERY, type Dimension, type ResolvedQuery, type TimeField } from '../../model/query';
import type { Database } from '../db/database';
import { repeatedInterrupt } from '../db/interrupt';
import type { Answer, AnswerResult } from './answerJson';
import { planAnswer, seriesPlan, type AnswerPlan } from './answerPlan';
import { errorResult, QueryTimeoutError, RequestStoppedError } from './errors';
import { HeldFrames, ingestErrorsFrame, ingestFrame, listFrame, logsFrame, SeriesFrames, tableFrame, totalsFrame, trailsFrame, type Row } from './frames';
import { originalRecords, UnreadableRecordError, type StatementGuard } from './records';
import * as SQL from './sql';
import type { Range, Statement } from './sql';

// What the API, the CLI and the tests import from '../reports', from the modules that hold it.
export { ANSWER_LINES_TYPE, answerJson, answerLines, type Answer, type AnswerResult } from './answerJson';
export { MAX_WEIGHT, planAnswer, refuseUnknownFields, type AnswerPlan } from './answerPlan';
export { errorResult, QueryTimeoutError, RequestStoppedError } from './errors';
export { ingestErrorsFrame, ingestFrame } from './frames';
export { defaultFrom, MAX_INTERVAL_MS, MAX_TIME, MIN_TIME, parseRange, parseTime, TIME_FORMS } from './time';

export const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_IDLE_CONNECTIONS = 8;

/** A stored event's original record, and the others stored under its eventID (Reports.record). */
export interface StoredRecord {
  record: Record<string, unknown>;
  /** By eventTime; empty when the id has one event, as it has unless a record was forged or damaged. */
  alsoStored: Array<Record<string, unknown>>;
}

/** What the service's metrics count: the DuckDB statements of report queries, and the queries a stopped request left. */
export interface ReportsObserver {
  /** A statement of a report query (frames) starts; statementEnded follows, however it ends. */
  statementStarted(): void;
  statementEnded(): void;
  /** A query of a request was interrupted, or never ran, because the request was stopped. */
  queryStopped(err: RequestStoppedError): void;
  /** A query of a request was answered, or failed, in `seconds` of its own: `type` its query type, or 'refused'. */
  queryAnswered?(type: string, seconds: number): void;
}

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
    // Until the statement ends: an interrupt that lands while DuckDB still prepares it is lost.
    const interrupter = repeatedInterrupt(conn, 10);
    const interrupt = () => interrupter.start();
    const timer = setTimeout(interrupt, this.timeoutMs);
    signal?.addEventListener('abort', interrupt);
    const stopped = () => (signal?.aborted ? signal.reason : new QueryTimeoutError(this.timeoutMs));
    try {
      const value = await run();
      // A streamed result (HeldFrames' read) that is interrupted between chunks just ends: its rows are not all there.
      if (interrupter.started) throw stopped();
      return value;
    } catch (err) {
      if (/INTERRUPT/i.test(String(err))) throw stopped();
      throw err;
    } finally {
      clearTimeout(timer);
      interrupter.stop();
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
      const started = performance.now();
      let ran = false;
      try {
        signal?.throwIfAborted();
        ran = true;
        if ('error' in planned) throw planned.error;
        results[planned.refId] = { frames: await this.answerFrames(planned.q, range!, request.intervalMs, request.maxDataPoints, signal) };
      } catch (err) {
        if (err instanceof RequestStoppedError) this.observer?.queryStopped(err);
        results[planned.refId] = errorResult(err);
      } finally {
        // Each query's own time, not a share of its request's: a slow one beside fast ones was hidden among them.
        // Labelled by the resolved type, never by what was sent (any text there would be a series of its own).
        if (ran) this.observer?.queryAnswered?.('q' in planned ? planned.q.queryType : 'refused', (performance.now() - started) / 1000);
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
      const notices = q.queryType === 'events' || q.queryType === 'totals' ? await this.retentionNotices(conn, all, q, range) : [];
      switch (q.queryType) {
        case 'totals':
          return [{ ...totalsFrame(await all(SQL.totals(q, range, match))), ...(notices.length > 0 && { meta: { notices } }) }];
        case 'trails':
          return [trailsFrame(await all(SQL.TRAILS_SQL))];
        case 'ingest':
          if (q.ingestView === 'errors') return [ingestErrorsFrame(await this.readErrors(all, q.limit))];
          return [ingestFrame(await this.readStatus(all))];
        case 'events':
          if (q.format !== 'timeseries') {
            const frame = q.format === 'list' ? listFrame(q) : q.format === 'logs' ? logsFrame(q) : tableFrame(q);
            frame.notices = notices;
            const statement = q.format === 'table' ? SQL.topGroups(q, range, match) : SQL.eventList(q, range, match);
            return guard(() => frame.read(conn, statement));
          }
          {
            const { grid } = seriesPlan(q, range, intervalMs, maxDataPoints);
            const series = new SeriesFrames(q, grid);
            series.notices = notices;
            series.timeZone = range.timeZone;
            await guard(() => series.read(conn, SQL.timeseries(q, range, grid, match)));
            return series.sorted();
          }
      }
    });
  }

  /**
   * A report's notice when it reads event times (SQL.earliestEventTime) before the last prune's cutoff: the retention
   * removed those events, and a range of zeros there is no quiet time. None when events that old are stored again (a
   * run without the retention read them back). The retention's one meta row is read outside the query's statements
   * (`all`: counted, stopped with the request), which stay one per query when the range is within it.
   */
  private async retentionNotices(conn: DuckDBConnection, all: RunStatement, q: ResolvedQuery, range: Range): Promise<Notice[]> {
    const [row] = await rowsOf(conn, SQL.RETENTION_SQL)();
    if (!row) return [];
    const { days, before } = JSON.parse(String(row.value)) as RetentionStatus;
    // Not a time (a row without its cutoff): nothing to say, rather than a failed report.
    if (!(SQL.earliestEventTime(q, range) < Date.parse(before))) return [];
    const [{ stored }] = await all(SQL.storedBefore(before));
    if (stored) return [];
    const cutoff = new Date(before).toISOString().slice(0, 16).replace('T', ' ');
    return [{ severity: 'info', text: `the retention (${days} days) removed the events before ${cutoff} UTC, which this range reaches: they are left out` }];
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
   * Distinct values of a dimension, most frequent first: of the events made in the range, or stored in it (by arrival),
   * that `narrowing`'s filters and exclusions keep. `signal`, as in query(), stops it.
   */
  async values(
    dimension: Dimension,
    range: Range,
    search: string,
    limit: number,
    timeField: TimeField = DEFAULT_QUERY.timeField,
    signal?: AbortSignal,
    narrowing?: SQL.Narrowing
  ): Promise<Array<{ value: string; count: number }>> {
    const statement = SQL.dimensionValues(dimension, range, search, limit, timeField, narrowing);
    const rows = await this.stoppable(signal, (conn, guard) => guard(rowsOf(conn, statement)));
    return rows.map((r) => ({ value: String(r.value), count: Number(r.n) }));
  }

  /**
   * The original CloudTrail record of one stored event, as delivered, and any others stored under its eventID (each
   * with another eventTime: a forged or damaged record, kept as evidence); undefined when no such event is stored, 'removed'
   * when a prune (the retention) removed it while it was read. A stored event whose kept log file is damaged or does not
   * hold it throws UnreadableRecordError. Each of its statements has the timeout; `signal`, as in query(), stops it.
   */
  async record(eventId: string, signal?: AbortSignal): Promise<StoredRecord | 'removed' | undefined> {
    return this.stoppable(signal, async (conn, guard) => {
      // The read of a big kept file is no statement: the signal stops it.
      const { found, alsoFound, removed, unreadable } = await originalRecords(conn, this.db.originalsDir, [eventId], guard, signal);
      if (unreadable.length > 0) throw new UnreadableRecordError(unreadable[0]);
      if (removed.includes(eventId)) return 'removed';
      const record = found.get(eventId);
      return record && { record, alsoStored: alsoFound.get(eventId) ?? [] };
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
   * Whether the database has a column: ingest_errors' kinds (`kind`, SQL.WithKinds) or waits of files that ran out of
   * memory (`retry_at`, SQL.WithRetries), ingest_runs' `stopped` (SQL.WithStopped). Each is asked once, as a file is
   * upgraded only when opened to write.
   */
  private readonly columns = new Map<string, Promise<boolean>>();

  private has(table: 'ingest_errors' | 'ingest_runs', column: string): Promise<boolean> {
    const name = `${table}.${column}`;
    if (!this.columns.has(name)) this.columns.set(name, this.db.hasColumn(table, column));
    return this.columns.get(name)!;
  }

  private errorsHave(column: 'kind' | 'retry_at'): Promise<boolean> {
    return this.has('ingest_errors', column);
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
    const r = (await all(SQL.ingestSql(this.statusScope, kinds, await this.has('ingest_runs', 'stopped'))))[0];
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
