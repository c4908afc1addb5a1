// A dashboard's time zone, by its IANA name, and the UTC offsets it has over a time range: what lays a time series'
// buckets on local days and hours. Pure code on Intl's zone data (no I/O): it runs in the browser and the service.
import { didYouMean } from './closest';
import { QueryError } from './query';

export const UTC = 'UTC';

/** Grafana's dashboard zones that are not IANA names: "browser" (and "", the user's default) is the browser's own. */
export function browserTimeZone(zone: string | undefined): string {
  if (zone === undefined || zone === '' || zone === 'browser') return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC;
  return zone.toLowerCase() === 'utc' ? UTC : zone;
}

/** Intl's formatter of a zone's wall clock. Throws RangeError for a name Intl does not know. */
const newWallClock = (zone: string) =>
  new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });

/**
 * Each zone's formatter, made once (making one costs ~50 times a use), by the name Intl spells it: kept by the names
 * requests send, 50,000 spellings of one zone (its letters' cases) held 1.4 GB.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = newWallClock(zone);
    // Only a zone's own spelling is kept: the others are spelt so by resolveTimeZone before they come here.
    if (format.resolvedOptions().timeZone !== zone) return format;
    formats.set(zone, format);
  }
  return format;
}

/**
 * A request's time zone as Intl spells it (`utc` is UTC), UTC when none is given. A name Intl does not know is refused,
 * with the one it was surely meant to be when there is one.
 */
export function resolveTimeZone(field: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return UTC;
  if (typeof value !== 'string' || value.length > 64) throw new QueryError(field, 'must be the name of a time zone, such as Europe/Berlin or UTC');
  try {
    return newWallClock(value).resolvedOptions().timeZone;
  } catch {
    const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const meant = didYouMean(value, [...known, UTC]);
    throw new QueryError(field, `${JSON.stringify(value)} is not a time zone: use an IANA name such as Europe/Berlin, or UTC${meant}`, 'unknown-value');
  }
}

/** The zone's offset from UTC at an instant, in milliseconds (+10 h in Sydney's winter): its wall clock minus UTC's. */
export function offsetAt(zone: string, instant: number): number {
  if (zone === UTC) return 0;
  const second = Math.floor(instant / 1000) * 1000;
  const part: Record<string, number> = {};
  for (const { type, value } of wallClock(zone).formatToParts(second)) part[type] = Number(value);
  const wall = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  wall.setUTCFullYear(part.year, part.month - 1, part.day);
  wall.setUTCHours(part.hour, part.minute, part.second, 0);
  return wall.getTime() - second;
}

/** A stretch of time over which the zone's offset holds: from `from` to the next piece's `from`. */
export interface ZonePiece {
  from: number;
  offset: number;
}

/**
 * How far apart the zone's offset is read: a change and its undoing both within one step would go unseen. Read a week
 * apart, Brazil's summer time of one week in October 2000 (Noronha, Recife, Boa Vista) went unseen. Read an hour apart
 * from 1970 to 2040, no zone Intl knows has had an offset that held for less than a week.
 */
const STEP_MS = 3 * 86_400_000;
/**
 * The zone's offsets are followed up to here, and held after: no log is stored from that far ahead, and Intl's rules
 * for it are only today's repeated. It bounds the work for a range reaching to 9999.
 */
export const FOLLOWED_UNTIL = Date.UTC(2200, 0, 1);

/**
 * Each zone's changes by calendar year, read once: a year is ~120 readings (~1 ms), and a dashboard zoomed out to a
 * century reads its hundred years once, not at each refresh. At most YEARS_KEPT years are kept (a few MB), the
 * earliest read dropped first.
 */
const years = new Map<string, readonly ZonePiece[]>();
const YEARS_KEPT = 20_000;

function yearPieces(zone: string, year: number): readonly ZonePiece[] {
  const key = `${zone} ${year}`;
  let pieces = years.get(key);
  if (!pieces) {
    pieces = readPieces(zone, Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
    if (years.size >= YEARS_KEPT) years.delete(years.keys().next().value as string);
    years.set(key, pieces);
  }
  return pieces;
}

/**
 * The zone's offsets over [from, to): the offset at `from`, then each change, at the instant it takes effect. UTC (and
 * every zone without changes in the range) is one piece. Changes are found by reading the offset three days apart,
 * then by halving the stretch that has one down to its millisecond.
 */
export function zonePieces(zone: string, from: number, to: number): ZonePiece[] {
  const pieces: ZonePiece[] = [{ from, offset: offsetAt(zone, from) }];
  if (zone === UTC) return pieces;
  const end = Math.min(to, FOLLOWED_UNTIL);
  for (let year = new Date(from).getUTCFullYear(); Date.UTC(year, 0, 1) < end; year++) {
    for (const piece of yearPieces(zone, year)) {
      // A year's first piece is its offset at New Year, a change only when the year before ended with another.
      if (piece.from > from && piece.from < end && piece.offset !== pieces[pieces.length - 1].offset) pieces.push(piece);
    }
  }
  return pieces;
}

/** The zone's offsets over [from, to), read a step apart (zonePieces reads no UTC and nothing past FOLLOWED_UNTIL). */
function readPieces(zone: string, from: number, to: number): ZonePiece[] {
  const pieces: ZonePiece[] = [{ from, offset: offsetAt(zone, from) }];
  // `lo` is the latest instant read with the last piece's offset.
  for (let lo = from; ; ) {
    const t = Math.min(lo + STEP_MS, to - 1);
    if (t <= lo) break;
    const offset = pieces[pieces.length - 1].offset;
    if (offsetAt(zone, t) === offset) {
      lo = t;
      continue;
    }
    let hi = t;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(zone, mid) === offset) lo = mid;
      else hi = mid;
    }
    pieces.push({ from: hi, offset: offsetAt(zone, hi) });
    lo = hi;
  }
  return pieces;
}
