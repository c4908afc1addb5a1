// Time series in a dashboard's time zone: over the weeks Sydney's clocks change, day and hour buckets are Sydney's days
// and hours, counted as the events' own local dates and hours say (Intl's reading, not the service's), through the
// reports and the API.
import { listValue } from '@duckdb/node-api';
import type { Frame, QueryRequest, QueryResult } from '../../src/model/api';
import { Reports } from '../../src/service/reports';
import { withApi } from '../support/api';

const TOKEN = 'time-zone-token-1234';
const ZONE = 'Australia/Sydney';
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

/** Events every 17 minutes and 3 seconds over the two weeks: summer time ends on 5 April 2026, starts on 4 October. */
const WEEKS = [at('2026-04-01T00:00:00Z'), at('2026-10-01T00:00:00Z')];
const instants = WEEKS.flatMap((from) => Array.from({ length: Math.floor((7 * DAY) / (17 * MINUTE + 3000)) }, (_, i) => from + i * (17 * MINUTE + 3000)));
const userOf = (i: number) => (i % 3 === 0 ? 'bob' : 'alice');
/** Stored a while after: 40 minutes, so an event of 23:30 arrives the next day. */
const LATE = 40 * MINUTE;

const served = withApi('time-zones.duckdb', { token: TOKEN }, async (db) => {
  await db.run(
    `INSERT INTO events BY NAME
    SELECT 'e-' || i AS event_id, make_timestamp(t * 1000) AS event_time, make_timestamp((t + $late) * 1000) AS arrived_at,
      'GetObject' AS event_name, 's3.amazonaws.com' AS event_source, 's3' AS service, 'ap-southeast-2' AS region, '111111111111' AS account,
      CASE WHEN i % 3 = 0 THEN 'bob' ELSE 'alice' END AS user_name, 'IAMUser' AS identity_type, '10.0.0.1' AS source_ip, true AS source_is_ip,
      true AS read_only, false AS is_error, false AS is_unauthorized, [] AS resources, 'k' AS object_key, 0 AS record_index
    FROM (SELECT unnest($instants::BIGINT[]) AS t, generate_subscripts($instants::BIGINT[], 1) - 1 AS i)`,
    { instants: listValue(instants.map(BigInt)), late: LATE }
  );
});

/** An instant's wall clock in the zone, by Intl: "2026-04-05 02:30". */
function wallClock(zone: string, t: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(t);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** Counts by a key of the events' times in [from, to): their local date, say. */
function countsBy(from: number, to: number, key: (t: number) => string, user?: string, shift = 0): Map<string, number> {
  const counts = new Map<string, number>();
  instants.forEach((t, i) => {
    if (t + shift < from || t + shift >= to || (user && userOf(i) !== user)) return;
    counts.set(key(t + shift), (counts.get(key(t + shift)) ?? 0) + 1);
  });
  return counts;
}

async function series(range: QueryRequest['range'], query: object): Promise<Frame[]> {
  const answer = await new Reports(served.db).query({ range, queries: [{ refId: 'A', format: 'timeseries', ...query }] });
  const result = answer.results.A as QueryResult & { frames?: Frame[]; error?: string };
  if (!result.frames) throw new Error(result.error);
  return result.frames;
}

/** A frame's points: its times' buckets by `key`, with its counts. */
const points = (frame: Frame, key: (t: number) => string) =>
  new Map((frame.fields[0].values as number[]).map((t, i) => [key(t), frame.fields[1].values[i] as number]));

const localDay = (t: number) => wallClock(ZONE, t).slice(0, 10);
const localHour = (t: number) => wallClock(ZONE, t).slice(0, 13);

test("day buckets are Sydney's days, each drawn at its midnight, the 25-hour day too", async () => {
  const range = { from: at('2026-04-01T13:00:00Z'), to: at('2026-04-07T14:00:00Z'), timeZone: ZONE };
  const frames = await series(range, { aggregate: 'day', groupBy: 'user' });
  expect(frames.map((f) => f.name)).toEqual(['alice', 'bob']);
  for (const [i, user] of ['alice', 'bob'].entries()) {
    const times = frames[i].fields[0].values as number[];
    // Midnights: 00:00 on the wall clock, 23:59 a minute before.
    const days = ['2026-04-02', '2026-04-03', '2026-04-04', '2026-04-05', '2026-04-06', '2026-04-07'];
    expect(times.map((t) => wallClock(ZONE, t))).toEqual(days.map((d) => `${d} 00:00`));
    expect(times.map((t) => wallClock(ZONE, t - MINUTE).slice(11))).toEqual(Array(6).fill('23:59'));
    expect(points(frames[i], localDay)).toEqual(countsBy(range.from, range.to, localDay, user));
  }
  // The day the clocks go back has an hour more of events than the day before.
  const [alice] = frames;
  const perDay = alice.fields[1].values as number[];
  expect(perDay[3]).toBeGreaterThan(perDay[2]);
});

test('without a time zone, buckets are UTC days, as before', async () => {
  const range = { from: at('2026-04-01T13:00:00Z'), to: at('2026-04-07T14:00:00Z') };
  const [frame] = await series(range, { aggregate: 'day', groupBy: 'none' });
  const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);
  expect((frame.fields[0].values as number[]).map((t) => new Date(t).toISOString())).toEqual(
    ['01', '02', '03', '04', '05', '06', '07'].map((d) => `2026-04-${d}T00:00:00.000Z`)
  );
  expect(points(frame, utcDay)).toEqual(countsBy(range.from, range.to, utcDay));
});

test('hour buckets across the hour Sydney skips: 23 points, in order, each its local hour', async () => {
  // 4 October 2026, midnight to midnight: 02:00 becomes 03:00.
  const range = { from: at('2026-10-03T14:00:00Z'), to: at('2026-10-04T13:00:00Z'), timeZone: ZONE };
  const [frame] = await series(range, { aggregate: 'hour', groupBy: 'none' });
  const times = frame.fields[0].values as number[];
  expect(times).toHaveLength(23);
  expect(times.map((t) => wallClock(ZONE, t).slice(11))).toEqual(
    Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`).filter((hour) => hour !== '02:00')
  );
  expect(times.every((t, i) => i === 0 || t - times[i - 1] === 3_600_000)).toBe(true);
  expect(points(frame, localHour)).toEqual(countsBy(range.from, range.to, localHour));
});

test('hour buckets across the hour Sydney repeats: 25 points, its 02:00 twice, each an hour of events, not two', async () => {
  // 5 April 2026, midnight to midnight: 03:00 becomes 02:00.
  const range = { from: at('2026-04-04T13:00:00Z'), to: at('2026-04-05T14:00:00Z'), timeZone: ZONE };
  const [frame] = await series(range, { aggregate: 'hour', groupBy: 'none' });
  const times = frame.fields[0].values as number[];
  expect(times.map((t) => wallClock(ZONE, t).slice(11))).toEqual(
    ['00', '01', '02', '02', ...Array.from({ length: 21 }, (_, h) => String(h + 3).padStart(2, '0'))].map((h) => `${h}:00`)
  );
  const utcHour = (t: number) => new Date(t).toISOString().slice(0, 13);
  expect(points(frame, utcHour)).toEqual(countsBy(range.from, range.to, utcHour));
});

test('by arrival, the buckets are the local days the events arrived on', async () => {
  const range = { from: at('2026-04-01T13:00:00Z'), to: at('2026-04-07T14:00:00Z'), timeZone: ZONE };
  const [frame] = await series(range, { aggregate: 'day', groupBy: 'none', timeField: 'arrival' });
  expect(points(frame, localDay)).toEqual(countsBy(range.from, range.to, localDay, undefined, LATE));
});

test('peaks are laid on the same local days', async () => {
  const range = { from: at('2026-04-01T13:00:00Z'), to: at('2026-04-07T14:00:00Z'), timeZone: ZONE };
  const [counts] = await series(range, { aggregate: 'day', groupBy: 'none' });
  const [peaks] = await series(range, { aggregate: 'day', groupBy: 'none', peakWindow: 60 });
  expect(peaks.fields[0].values).toEqual(counts.fields[0].values);
  // Four events in an hour, at most: one every 17 minutes.
  expect(new Set(peaks.fields[1].values)).toEqual(new Set([4]));
});

test('a zone Intl does not know is refused, saying which was meant; so is one of another shape', async () => {
  const answer = await new Reports(served.db).query({
    range: { from: WEEKS[0], to: WEEKS[0] + DAY, timeZone: 'Australia/Sidney' },
    queries: [{ refId: 'A', aggregate: 'day' }],
  });
  expect(answer.results.A).toMatchObject({
    status: 400,
    error: 'range.timeZone: "Australia/Sidney" is not a time zone: use an IANA name such as Europe/Berlin, or UTC (did you mean Australia/Sydney?)',
  });
  const res = await fetch(`${served.url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ range: { from: WEEKS[0], to: WEEKS[0] + DAY, timeZone: ['Australia/Sydney'] }, queries: [{ refId: 'A' }] }),
  });
  expect(res.status).toBe(400);
  expect((await res.json()).error).toBe('range.timeZone: must be text');
});

test('over the API, the answer is the frames built in memory, byte for byte, a day no instant has left out of both', async () => {
  const sydney: QueryRequest = {
    range: { from: at('2026-10-03T14:00:00Z'), to: at('2026-10-05T13:00:00Z'), timeZone: ZONE },
    queries: [
      { refId: 'H', format: 'timeseries', aggregate: 'hour', groupBy: 'user' },
      { refId: 'D', format: 'timeseries', aggregate: 'day', groupBy: 'user', timeField: 'arrival' },
    ],
  };
  // Samoa went west of the date line at the end of 29 December 2011: it had no 30 December.
  const samoa: QueryRequest = {
    range: { from: at('2011-12-28T10:00:00Z'), to: at('2011-12-31T10:00:00Z'), timeZone: 'Pacific/Apia' },
    queries: [{ refId: 'A', format: 'timeseries', aggregate: 'day', groupBy: 'none' }],
  };
  for (const body of [sydney, samoa]) {
    const built = await new Reports(served.db).query(body);
    for (const accept of ['application/json', 'application/x-ndjson']) {
      const res = await fetch(`${served.url}/api/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      if (accept === 'application/json') {
        expect(text).toBe(JSON.stringify(built));
      } else {
        const frames = text.trim().split('\n').flatMap((line) => (JSON.parse(line) as { frames?: Frame[] }).frames ?? []);
        expect(frames).toEqual(Object.values(built.results).flatMap((r) => (r as { frames: Frame[] }).frames));
      }
    }
  }
  const built = await new Reports(served.db).query(samoa);
  const [frame] = (built.results.A as { frames: Frame[] }).frames;
  expect((frame.fields[0].values as number[]).map((t) => wallClock('Pacific/Apia', t))).toEqual(['2011-12-28 00:00', '2011-12-29 00:00', '2011-12-31 00:00']);
  expect(frame.fields[1].values).toEqual([0, 0, 0]);
});
