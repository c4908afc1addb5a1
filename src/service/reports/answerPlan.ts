// A request's budgets of points and rows, and its plan: each query resolved and sized against them before any runs.
import type { QueryRequest } from '../../model/api';
import { closestName } from '../../model/closest';
import { MODEL_KEYS, QueryError, resolveQuery, type ResolvedQuery } from '../../model/query';
import { BucketGrid } from './buckets';
import type { Range } from './sql';
import { bucketMs, parseRange } from './time';

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

/** A time series' buckets and its points in all (at most `limit` series; one when ungrouped), within one query's limits. */
export function seriesPlan(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number): { grid: BucketGrid; cells: number } {
  const grid = new BucketGrid(range, bucketMs(q, range, intervalMs, maxDataPoints));
  // Refused by the range's length, as in UTC: in a zone, the wall clock's span of a range the clocks are put forward in
  // is an hour longer, and a range UTC takes whole (auto buckets at the points Grafana asks for) would be refused.
  const points = Math.ceil((range.to - range.from) / grid.width);
  if (points > MAX_POINTS) {
    throw new QueryError(
      'aggregate',
      `${q.aggregate} buckets over this range make ${points} points per series (at most ${MAX_POINTS}); use day or auto, or a shorter range`,
      'too-large'
    );
  }
  const series = q.groupBy === 'none' ? 1 : q.limit;
  if (points * series > MAX_CELLS) {
    throw new QueryError(
      'limit',
      `${q.limit} series of ${points} points is too much to draw (at most ${MAX_CELLS} points in all); lower the limit or widen the buckets`,
      'too-large'
    );
  }
  return { grid, cells: grid.points * series };
}

/** What a query may return, counted before it runs: its time series' points, its lists' and tables' rows. */
function plannedSize(q: ResolvedQuery, range: Range, intervalMs?: number, maxDataPoints?: number): { cells: number; rows: number } {
  if (q.queryType === 'events' && q.format === 'timeseries') return { cells: seriesPlan(q, range, intervalMs, maxDataPoints).cells, rows: 0 };
  // The unreadable files are a list up to `limit` too: fifty of 10 000 would be the answer the budget refuses.
  if (q.queryType === 'events' || (q.queryType === 'ingest' && q.ingestView === 'errors')) {
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
  // Its range too: a newer client's field there would otherwise be ignored without a word.
  if (request.range) refuseUnknownFields(request.range, RANGE_FIELDS, 'time range', 'range.');
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
          `this request's time series together ask for more than ${MAX_CELLS} points: lower the limits, widen the buckets, or split the queries over panels`,
          'too-large'
        );
      }
      if (rows > rowsLeft) {
        throw new QueryError(
          'queries',
          `this request's lists and tables together ask for more than ${MAX_ROWS} rows (the sum of their limits): ` +
            'lower the limits, or split the queries over panels',
          'too-large'
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

/**
 * A field this service does not know is refused, never ignored: a client newer than the service (a plugin upgraded
 * first) would otherwise get answers that silently leave its new fields out, such as an alert counting by event time.
 * The service does not know the client's version, so its words do not say which is older: the plugin, which knows
 * both, adds which to upgrade, and "upgrade the service" beside "upgrade the plugin" contradicted it. The words up to
 * the colon are 0.1.0's, which the plugin reads from a service without codes (serviceClient.ts UNKNOWN_WORDS).
 */
export function refuseUnknownFields(given: object, known: readonly string[], what: string, path = ''): void {
  const unknown = Object.keys(given).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    // A name one letter or a capital off a known one is a person's typo (groupby), not a newer client's field.
    const meant = closestName(unknown, known);
    const advice = meant ? `did you mean ${meant}?` : 'is the client at another version than the service? Run the same version of both';
    const message = `is not a field of this service's ${what} (${known.length ? known.join(', ') : 'it takes none'}): ${advice}`;
    throw new QueryError(`${path}${unknown}`, message, 'unknown-field');
  }
}

const REQUEST_FIELDS = ['range', 'intervalMs', 'maxDataPoints', 'queries'] as const satisfies ReadonlyArray<keyof QueryRequest>;
const RANGE_FIELDS = ['from', 'to', 'timeZone'] as const satisfies ReadonlyArray<keyof QueryRequest['range']>;
const QUERY_FIELDS = [...MODEL_KEYS, 'refId'];
