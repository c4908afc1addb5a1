// A time series' buckets in the request's time zone. Days (and auto buckets of several days) are laid on its wall clock:
// a day bucket is a local day, midnight to midnight, 23 or 25 hours when the clocks change. Shorter buckets are even
// stretches of time that start on the zone's whole hours (its half hours in India): on the wall clock, the hour the
// clocks go back would be one bucket of two hours' events, and the hour they skip a gap. A bucket's key is its start in
// wall-clock milliseconds (the local time read as if it were UTC), a whole multiple of the width; the SQL works it out
// for each event (keySql), and the frames draw each bucket at the instant it starts (times).
import { offsetAt, UTC, zonePieces, type ZonePiece } from '../../model/timeZone';
import type { Range, Statement } from './sql';

const DAY_MS = 86_400_000;
/** The earliest instant a bucket's start is looked for: the first bucket of a range starting in 1970 may start before it. */
const EARLIEST = Date.UTC(1900, 0, 1);

/** Pieces cut to [from, to): the first starts at `from`. */
function within(pieces: ZonePiece[], from: number, to: number): ZonePiece[] {
  const cut = pieces.filter((p, i) => p.from < to && (pieces[i + 1]?.from ?? Infinity) > from);
  return cut.map((p, i) => (i === 0 ? { from: Math.max(p.from, from), offset: p.offset } : p));
}

export class BucketGrid {
  /** The first bucket's key. */
  readonly start: number;
  readonly points: number;
  /** The zone's offsets over the range: what each event's time is moved by. */
  private readonly inRange: ZonePiece[];
  /** The zone's offsets a little beyond the range too, where its first and last buckets start. */
  private readonly around: ZonePiece[];

  constructor(
    range: Range,
    readonly width: number
  ) {
    const zone = range.timeZone ?? UTC;
    // Shorter than a day, one offset, the range's first, for the whole range: even buckets, aligned to the zone's hours.
    this.around =
      width < DAY_MS
        ? [{ from: -Infinity, offset: offsetAt(zone, range.from) }]
        : zonePieces(zone, Math.max(EARLIEST, range.from - width - 2 * DAY_MS), range.to + 2 * DAY_MS);
    this.inRange = within(this.around, range.from, range.to);
    // The range's wall-clock times run from the earliest (at its start, or just after the clocks go back) to the latest.
    let lo = Infinity;
    let hi = -Infinity;
    this.inRange.forEach((p, i) => {
      lo = Math.min(lo, p.from + p.offset);
      hi = Math.max(hi, (this.inRange[i + 1]?.from ?? range.to) - 1 + p.offset);
    });
    this.start = Math.floor(lo / width) * width;
    this.points = Math.floor(hi / width) - this.start / width + 1;
  }

  /**
   * The SQL of an event's bucket key, from its time column. In UTC, the time's own milliseconds; in another zone, each
   * moved by its offset (a balanced tree of CASEs over the changes in the range: a few comparisons an event, however
   * many changes). DuckDB's `//` truncates towards zero, so the wall-clock time is lifted above 0 before it is divided:
   * a western zone's first hours of 1970 are before it.
   */
  keySql(column: string): Statement {
    const ms = `epoch_ms(${column})`;
    const pieces = this.inRange;
    if (pieces.length === 1 && pieces[0].offset === 0) return { sql: `${ms} // $bucket * $bucket`, params: { bucket: this.width } };
    const lift = Math.ceil(DAY_MS / this.width) * this.width;
    const params: Record<string, number> = { bucket: this.width, lift };
    const offset = (lo: number, hi: number): string => {
      if (hi - lo === 1) {
        params[`tz_offset${lo}`] = pieces[lo].offset + lift;
        return `$tz_offset${lo}`;
      }
      const mid = (lo + hi) >> 1;
      params[`tz_from${mid}`] = pieces[mid].from;
      return `CASE WHEN ${ms} < $tz_from${mid} THEN ${offset(lo, mid)} ELSE ${offset(mid, hi)} END`;
    };
    return { sql: `(${ms} + ${offset(0, pieces.length)}) // $bucket * $bucket - $lift`, params };
  }

  /**
   * The instant each bucket starts at: the first whose wall-clock time is in the bucket, so a day whose midnight the
   * clocks skip (Santiago's in September) starts at 01:00. NaN for a bucket no instant has: Samoa's 30 December 2011.
   */
  times(): number[] {
    const pieces = this.around;
    const times: number[] = [];
    let first = 0;
    for (let i = 0; i < this.points; i++) {
      const key = this.start + i * this.width;
      // Pieces whose wall-clock times are all before the bucket are done with: both ends of a piece's times grow.
      while (first + 1 < pieces.length && pieces[first + 1].from - 1 + pieces[first].offset < key) first++;
      let at = NaN;
      for (let p = first; p < pieces.length && pieces[p].from + pieces[p].offset < key + this.width; p++) {
        const end = pieces[p + 1]?.from ?? Infinity;
        const t = Math.max(pieces[p].from, key - pieces[p].offset);
        if (t < end && t + pieces[p].offset < key + this.width && !(t >= at)) at = t;
      }
      times.push(at);
    }
    return times;
  }
}
