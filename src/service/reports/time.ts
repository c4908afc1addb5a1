// The times and ranges a request names (ISO 8601 or epoch milliseconds; a range answered for years 1970 to 9999), and a
// time series' bucket width.
import { QueryError, type ResolvedQuery } from '../../model/query';
import { resolveTimeZone, UTC } from '../../model/timeZone';
import type { Range } from './sql';

/** The times a request may name: stored times are timestamps DuckDB reads as years 1970 to 9999, UTC. */
export const MIN_TIME = Date.UTC(1970, 0, 1);
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/**
 * The start of a range given only its end (or neither, ending now): the 14 days before it, as ingest reads by default,
 * within 1970 to 9999. The CLI's report and GET /api/values both count back from the end: counted from now, a past end came
 * before its start.
 */
export const defaultFrom = (to: number) => Math.max(MIN_TIME, Math.min(to, MAX_TIME) - 14 * 86_400_000);
export { MAX_INTERVAL_MS } from '../../model/query';

// YYYY-MM-DD, optionally with a time (T or a space) and a zone (Z, ±hh:mm or ±hhmm).
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)([Zz]|[+-]\d{2}:?\d{2})?)?$/;

// Epoch milliseconds written as text.
const EPOCH_MS = /^-?\d+(\.\d+)?$/;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the API takes for a time, as its errors say it. */
export const TIME_FORMS = 'ISO 8601, UTC unless it names a zone, or epoch milliseconds';

/** A time as a request gave it, for its errors: numbers arrive as their digits (see the API's schema), shown as numbers. */
const shownTime = (value: unknown) => (typeof value === 'string' && EPOCH_MS.test(value) ? value : JSON.stringify(value));

/**
 * Parses an ISO 8601 time or epoch milliseconds, any year (parseRange bounds them). A date or date-time without a zone
 * is UTC, as stored times are, whatever the host's time zone. A time between two milliseconds is the later one: ranges
 * are half-open, and an event at 12:00:00.000 is before 12:00:00.0005, not at or after it (the earlier, it counted as
 * in a range from then, and not in one to then).
 */
export function parseTime(field: string, value: unknown): number {
  const digits = typeof value === 'string' && EPOCH_MS.test(value);
  const shown = shownTime(value);
  const notATime = () => new QueryError(field, `${shown} is not a time (${TIME_FORMS})`);
  let ms: number;
  if (typeof value === 'number') {
    ms = Math.ceil(value);
  } else if (digits) {
    // From the digits, not Number's rounding: 1772369794000.0000001 is that millisecond to a double, but after it.
    const [whole, fraction = ''] = value.split('.');
    ms = Number(whole) + (/[1-9]/.test(fraction) && !whole.startsWith('-') ? 1 : 0);
  } else if (typeof value === 'string') {
    const m = ISO_TIME.exec(value.trim());
    if (!m) throw notATime();
    const [, year, month, day, clock, zone] = m;
    // Date.parse would move a 30 February to March: the day must exist.
    const date = `${year}-${month}-${day}`;
    const midnight = Date.parse(`${date}T00:00:00Z`);
    // Said so: a 31 November looks like the example the forms give, and the user would not see what is wrong.
    if (!Number.isFinite(midnight) || isoDay(midnight) !== date) throw new QueryError(field, `${shown} is not a time: the calendar has no ${date}`);
    ms = Date.parse(`${date}T${clock ?? '00:00'}${(zone ?? 'Z').toUpperCase()}`);
    // Date.parse drops the digits past the milliseconds.
    if (/\.\d{3}\d*[1-9]/.test(clock ?? '')) ms += 1;
  } else {
    throw notATime();
  }
  if (!Number.isFinite(ms)) throw notATime();
  return ms;
}

/** The names a range's errors give its bounds: the request's field names. */
export interface RangeFields {
  from: string;
  to: string;
  range: string;
  timeZone?: string;
}

export function parseRange(
  range: { from?: unknown; to?: unknown; timeZone?: unknown } | undefined,
  fields: RangeFields = { from: 'range.from', to: 'range.to', range: 'range', timeZone: 'range.timeZone' }
): Range {
  const from = parseTime(fields.from, range?.from);
  const to = parseTime(fields.to, range?.to);
  // A range reaching past the times the service can answer for (Grafana's "now-100y", a zoom out past 1970) is answered
  // for the part within them, where every stored event is; one with no part within is refused.
  const within = '1970-01-01 to 9999-12-31 (UTC)';
  if (from > MAX_TIME) throw new QueryError(fields.from, `${shownTime(range?.from)} is after the times the service can answer for: ${within}`);
  if (to <= MIN_TIME) throw new QueryError(fields.to, `${shownTime(range?.to)} ends the range before the times the service can answer for: ${within}`);
  if (to <= from) throw new QueryError(fields.range, '"to" must be after "from"');
  const timeZone = resolveTimeZone(fields.timeZone ?? 'range.timeZone', range?.timeZone);
  return { from: Math.max(from, MIN_TIME), to: Math.min(to, MAX_TIME), ...(timeZone !== UTC && { timeZone }) };
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
