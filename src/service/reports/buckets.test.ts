// The bucket grid against DuckDB's own time zones (ICU's, a second reading of the zone data). For buckets of a day or
// more, each instant's key as the SQL works it out is its wall-clock time there, floored to the width, and a bucket is
// drawn at the first instant whose wall clock is in it; shorter buckets are even, on the offset at the range's start.
import { DuckDBInstance, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { zonePieces } from '../../model/timeZone';
import { MAX_POINTS } from './answerPlan';
import { BucketGrid } from './buckets';
import type { Range } from './sql';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const floorTo = (ms: number, width: number) => Math.floor(ms / width) * width;

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

/** Each instant's wall-clock milliseconds in the zone, by DuckDB's ICU. */
async function wallClocks(zone: string, instants: number[]): Promise<number[]> {
  const reader = await conn.runAndReadAll(
    `SELECT epoch_ms(timezone($zone, timezone('UTC', make_timestamp(t * 1000)))) FROM (SELECT unnest($instants::BIGINT[]) AS t)`,
    { zone, instants: listValue(instants.map(BigInt)) }
  );
  return reader.getRows().map(([wall]) => Number(wall));
}

/** Each instant's key as the grid's SQL works it out, in the instants' order. */
async function keys(grid: BucketGrid, instants: number[]): Promise<number[]> {
  const { sql, params } = grid.keySql('ts');
  const reader = await conn.runAndReadAll(
    `SELECT ${sql} FROM (SELECT make_timestamp(t * 1000) AS ts, i
       FROM (SELECT unnest($instants::BIGINT[]) AS t, generate_subscripts($instants::BIGINT[], 1) AS i)) ORDER BY i`,
    { ...params, instants: listValue(instants.map(BigInt)) }
  );
  return reader.getRows().map(([key]) => Number(key));
}

const RANGES: Array<[string, string, string]> = [
  ['Australia/Sydney', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  // The clocks skip midnight: 00:00 to 01:00 on a September Sunday, and go back to 23:00 on an April Saturday.
  ['America/Santiago', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  // Half-hour changes.
  ['Australia/Lord_Howe', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  ['Asia/Kathmandu', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
  ['Pacific/Chatham', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  ['America/St_Johns', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  ['Europe/Berlin', '2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  // Samoa skipped 30 December 2011 to go west of the date line.
  ['Pacific/Apia', '2011-12-15T00:00:00Z', '2012-01-15T00:00:00Z'],
  // Western zones start 1970 before it, in wall-clock time; Liberia's offset then was 44 min 30 s.
  ['America/Los_Angeles', '1970-01-01T00:00:00Z', '1970-03-01T00:00:00Z'],
  ['Africa/Monrovia', '1970-01-01T00:00:00Z', '1972-06-01T00:00:00Z'],
  ['UTC', '2026-01-01T00:00:00.123Z', '2026-02-01T00:00:00Z'],
];
const SHORT = [MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR];
const LONG = [DAY, 2 * DAY, 7 * DAY];

describe.each(RANGES)('%s from %s to %s', (zone, fromIso, toIso) => {
  const range: Range = { from: at(fromIso), to: at(toIso), timeZone: zone };
  // Instants all over the range, and on each side of every change of its offset, and of its ends.
  const changes = zonePieces(zone, range.from, range.to).slice(1).map((p) => p.from);
  const instants = [range.from, range.to - 1, ...changes.flatMap((t) => [t - 1, t, t + 1])];
  for (let t = range.from; t < range.to; t += 37 * MINUTE + 13_000) instants.push(t);

  // Widths whose grid seriesPlan would refuse (more than MAX_POINTS) are left out: a minute's over a year.
  const short = SHORT.filter((width) => (range.to - range.from) / width < MAX_POINTS);
  test.each(short)('width %d ms: even buckets, on the whole hours of the offset ICU gives the range start', async (width) => {
    const grid = new BucketGrid(range, width);
    const [fromWall] = await wallClocks(zone, [range.from]);
    const offset = fromWall - range.from;
    const got = await keys(grid, instants);
    expect(got).toEqual(instants.map((t) => floorTo(t + offset, width)));
    const starts = grid.times();
    // Every bucket of the range, one width apart, from the one holding its start to the one holding its end.
    expect(starts[0]).toBe(floorTo(range.from + offset, width) - offset);
    expect(starts.every((t, i) => i === 0 || t - starts[i - 1] === width)).toBe(true);
    expect(starts[starts.length - 1]).toBe(floorTo(range.to - 1 + offset, width) - offset);
    // Each instant is drawn in the bucket that holds it.
    const wrong = instants.filter((t, i) => !(starts[(got[i] - grid.start) / width] <= t && t < starts[(got[i] - grid.start) / width] + width));
    expect(wrong).toEqual([]);
    // On the wall clock, each bucket starts on a whole multiple of the width, until a change of the offset by a part of
    // it (Lord Howe's half hour, under hours): the buckets stay even.
    const offsets = zonePieces(zone, range.from, range.to).map((p) => p.offset);
    if (offsets.every((o) => (o - offsets[0]) % width === 0)) {
      expect((await wallClocks(zone, starts)).filter((wall) => wall % width !== 0)).toEqual([]);
    }
  });

  test.each(LONG)('width %d ms: keys, points and starts of local days as ICU reads the zone', async (width) => {
    const grid = new BucketGrid(range, width);
    const walls = await wallClocks(zone, instants);
    const got = await keys(grid, instants);
    expect(got).toEqual(walls.map((wall) => floorTo(wall, width)));
    // The grid runs from the first key to the last: its ends are keys of instants in the range.
    const sorted = [...new Set(got)].sort((a, b) => a - b);
    expect(grid.start).toBe(sorted[0]);
    expect(grid.start + (grid.points - 1) * width).toBe(sorted[sorted.length - 1]);

    const starts = grid.times();
    expect(starts).toHaveLength(grid.points);
    const drawn = starts.filter((t) => !Number.isNaN(t));
    // In order, each once: Grafana draws them as they come.
    expect(drawn).toEqual([...drawn].sort((a, b) => a - b));
    expect(new Set(drawn).size).toBe(drawn.length);
    const startWalls = await wallClocks(zone, drawn);
    const beforeWalls = await wallClocks(zone, drawn.map((t) => t - 1));
    // What is wrong, collected: an expect per bucket takes minutes over 35,000 buckets.
    const wrong: string[] = [];
    const hit = new Set(got);
    let d = 0;
    starts.forEach((t, i) => {
      const key = grid.start + i * width;
      const inBucket = (wall: number) => wall >= key && wall < key + width;
      if (Number.isNaN(t)) {
        // A bucket with no instant: none of the instants has its key.
        if (hit.has(key)) wrong.push(`bucket ${i} has no start, but instants in it`);
      } else if (!inBucket(startWalls[d]) || inBucket(beforeWalls[d++])) {
        // The bucket's first instant: its wall clock is in the bucket; a millisecond before, it is not.
        wrong.push(`bucket ${i} starts at ${new Date(t).toISOString()}, not its first instant`);
      }
    });
    // Every instant's bucket has a start, at or before it.
    got.forEach((key, i) => {
      if (!(starts[(key - grid.start) / width] <= instants[i])) wrong.push(`${new Date(instants[i]).toISOString()} is drawn later`);
    });
    expect(wrong).toEqual([]);
  });
});

test('in UTC the SQL is the plain floor of the time, and the grid what it always was', () => {
  const range = { from: at('2026-01-01T10:17:00Z'), to: at('2026-01-04T00:00:00Z') };
  const grid = new BucketGrid(range, DAY);
  expect(grid.keySql('event_time')).toEqual({ sql: 'epoch_ms(event_time) // $bucket * $bucket', params: { bucket: DAY } });
  expect(grid.times()).toEqual([at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z'), at('2026-01-03T00:00:00Z')]);
});

test("Sydney's day buckets start at its midnights, in summer time and out of it", () => {
  const grid = new BucketGrid({ from: at('2026-04-03T13:00:00Z'), to: at('2026-04-06T14:00:00Z'), timeZone: 'Australia/Sydney' }, DAY);
  // Summer time (+11) ends on 5 April at 03:00, which becomes 02:00 (+10): that day is 25 hours long.
  expect(grid.times()).toEqual([at('2026-04-03T13:00:00Z'), at('2026-04-04T13:00:00Z'), at('2026-04-05T14:00:00Z')]);
});

test("hours are even: the day Sydney's clocks skip an hour has 23, the day they go back 25, its 02:00 twice", () => {
  // 4 October 2026: 02:00 becomes 03:00. 5 April 2026: 03:00 becomes 02:00.
  const short = new BucketGrid({ from: at('2026-10-03T14:00:00Z'), to: at('2026-10-04T13:00:00Z'), timeZone: 'Australia/Sydney' }, HOUR);
  expect(short.times()).toEqual(Array.from({ length: 23 }, (_, h) => at('2026-10-03T14:00:00Z') + h * HOUR));
  const long = new BucketGrid({ from: at('2026-04-04T13:00:00Z'), to: at('2026-04-05T14:00:00Z'), timeZone: 'Australia/Sydney' }, HOUR);
  expect(long.times()).toEqual(Array.from({ length: 25 }, (_, h) => at('2026-04-04T13:00:00Z') + h * HOUR));
});

test("a day's buckets of a day whose midnight the clocks skip start when the day does: Santiago, 6 September 2026, 01:00", () => {
  const grid = new BucketGrid({ from: at('2026-09-05T04:00:00Z'), to: at('2026-09-07T03:00:00Z'), timeZone: 'America/Santiago' }, DAY);
  expect(grid.times()).toEqual([at('2026-09-05T04:00:00Z'), at('2026-09-06T04:00:00Z')]);
});

test('the SQL stays a few comparisons an event however many changes the range has', () => {
  // A century of Berlin's summer times: 200 changes, a tree 8 CASEs deep.
  const grid = new BucketGrid({ from: at('2000-01-01T00:00:00Z'), to: at('2100-01-01T00:00:00Z'), timeZone: 'Europe/Berlin' }, DAY);
  const { sql, params } = grid.keySql('event_time');
  expect(Object.keys(params).filter((p) => p.startsWith('tz_from'))).toHaveLength(200);
  let depth = 0;
  let deepest = 0;
  for (const word of sql.match(/\bCASE\b|\bEND\b/g) ?? []) deepest = Math.max(deepest, (depth += word === 'CASE' ? 1 : -1));
  expect(deepest).toBe(8);
});
