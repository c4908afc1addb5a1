// Time series big enough to come out of DuckDB in many chunks (2048 rows each): the counts the test lays down itself,
// read back through the reports and over the API, which writes its answer a frame at a time (answerJson), byte for
// byte the JSON of the frames built in memory.
import path from 'node:path';
import type { Frame, QueryRequest } from '../../src/model/api';
import { Database } from '../../src/service/db/database';
import { Reports } from '../../src/service/reports';
import { withApi } from '../support/api';

const TOKEN = 'series-token-1234';
const HOUR = 3_600_000;
const FROM = Date.parse('2026-03-01T00:00:00Z');
const HOURS = 48;
const USERS = 300;
const ACCOUNTS = ['111111111111', '222222222222'];

/** The events user u makes in hour h in account a: none in some hours, so series have gaps the answer fills with 0. */
const made = (u: number, h: number, a: number) => ((u * 7 + h + a) % 5 === 0 ? 0 : 1 + ((u + h * 3 + a) % 4));

const served = withApi('series.duckdb', { token: TOKEN }, async (db) => {
  // The same formula in SQL: one row per event, at a minute of its hour. By name: columns not named are NULL.
  await db.run(
    `INSERT INTO events BY NAME
    SELECT 'e-' || u || '-' || h || '-' || a || '-' || k AS event_id, $from::TIMESTAMP + to_hours(h) + to_minutes(k) AS event_time,
      'GetObject' AS event_name, 's3.amazonaws.com' AS event_source, 's3' AS service, 'eu-west-1' AS region,
      CASE a WHEN 0 THEN $account0 ELSE $account1 END AS account, 'user-' || lpad(u::VARCHAR, 3, '0') AS user_name, 'IAMUser' AS identity_type,
      '10.0.0.1' AS source_ip, true AS source_is_ip, true AS read_only, false AS is_error, false AS is_unauthorized, [] AS resources,
      'k' AS object_key, 0 AS record_index, $from::TIMESTAMP + to_hours(h) + to_minutes(k) AS arrived_at
    FROM (SELECT u, h, a, unnest(range(CASE WHEN (u * 7 + h + a) % 5 = 0 THEN 0 ELSE 1 + (u + h * 3 + a) % 4 END)) AS k
          FROM range($users) tu(u), range($hours) th(h), range(2) ta(a))`,
    { from: new Date(FROM).toISOString().slice(0, 19).replace('T', ' '), account0: ACCOUNTS[0], account1: ACCOUNTS[1], users: USERS, hours: HOURS }
  );
});

const request = (queries: QueryRequest['queries']): QueryRequest => ({ range: { from: FROM, to: FROM + HOURS * HOUR }, queries });

async function post(body: QueryRequest, accept?: string) {
  const res = await fetch(`${served.url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(accept ? { accept } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The series the formula makes for the groups `key` tells apart, busiest first, ties by label, as the reports order them. */
function expectedSeries(key: (u: number, a: number) => string[], limit: number): Array<{ labels: string[]; values: number[] }> {
  const series = new Map<string, { labels: string[]; values: number[] }>();
  for (let u = 0; u < USERS; u++) {
    for (let a = 0; a < ACCOUNTS.length; a++) {
      const labels = key(u, a);
      const id = JSON.stringify(labels);
      if (!series.has(id)) series.set(id, { labels, values: new Array<number>(HOURS).fill(0) });
      for (let h = 0; h < HOURS; h++) series.get(id)!.values[h] += made(u, h, a);
    }
  }
  const total = (s: { values: number[] }) => s.values.reduce((x, y) => x + y, 0);
  const byLabels = (x: string[], y: string[]) => x.findIndex((v, i) => v !== y[i]);
  return [...series.values()]
    .sort((x, y) => {
      const at = byLabels(x.labels, y.labels);
      return total(y) - total(x) || (at < 0 ? 0 : x.labels[at] < y.labels[at] ? -1 : 1);
    })
    .slice(0, limit);
}

const user = (u: number) => `user-${String(u).padStart(3, '0')}`;

test.each([
  ['by user', { groupBy: 'user', limit: 250 }, (u: number) => [user(u)]],
  ['by user and account', { groupBy: 'userAndAccount', limit: 500 }, (u: number, a: number) => [user(u), ACCOUNTS[a]]],
] as const)('a series of many chunks, %s: the counts laid down, every hour, in order', async (_name, query, key) => {
  const expected = expectedSeries(key, query.limit);
  // The test means something only if DuckDB hands the rows over in several chunks, and some groups tie.
  const rows = expected.reduce((n, s) => n + s.values.filter((v) => v > 0).length, 0);
  expect(rows).toBeGreaterThan(5 * 2048);
  const sum = (values: number[]) => values.reduce((x, y) => x + y, 0);
  expect(expected.some((s, i) => i > 0 && sum(s.values) === sum(expected[i - 1].values))).toBe(true);
  const answer = await new Reports(served.db).query(request([{ refId: 'A', format: 'timeseries', aggregate: 'hour', ...query }]));
  const { frames } = answer.results.A as { frames: Frame[] };
  const times = Array.from({ length: HOURS }, (_, h) => FROM + h * HOUR);
  expect(frames.map((f) => f.fields[0].values)).toEqual(expected.map(() => times));
  expect(frames.map((f) => f.fields[1].values)).toEqual(expected.map((s) => s.values));
  const names = query.groupBy === 'user' ? ['user'] : ['user', 'account'];
  expect(frames.map((f) => f.fields[1].labels)).toEqual(expected.map((s) => Object.fromEntries(names.map((n, i) => [n, s.labels[i]]))));
});

test('the API writes a time series answer as JSON.stringify writes the frames built in memory, byte for byte', async () => {
  const body = request([
    { refId: 'A', format: 'timeseries', groupBy: 'user', aggregate: 'hour', limit: 250 },
    { refId: 'pairs "quoted"', format: 'timeseries', groupBy: 'userAndAccount', aggregate: 'hour', limit: 20, peakWindow: 90 },
    { refId: 'none', format: 'timeseries', groupBy: 'none', aggregate: 'hour', filters: { user: ['nobody'] } },
    { refId: 'empty', format: 'timeseries', groupBy: 'user', filters: { user: ['nobody'] } },
    { refId: 'T', format: 'table', groupBy: 'account' },
    { refId: 'bad', format: 'timeseries', aggregate: 'hour', limit: 100_000 },
  ]);
  const answer = await post(body);
  expect(answer.status).toBe(200);
  expect(answer.type).toBe('application/json; charset=utf-8');
  const built = await new Reports(served.db).query(body);
  expect(answer.text).toBe(JSON.stringify(built));
  // Each kind of result is in it: frames of each series query, the table, and the refused query's error.
  expect(Object.values(built.results).map((r) => ('frames' in r ? r.frames.length : r.status))).toEqual([250, 20, 1, 0, 1, 400]);
});

test('asked for lines (NDJSON), the API writes a line per frame, each frame as the JSON answer writes it, then an end line', async () => {
  const body = request([
    { refId: 'A', format: 'timeseries', groupBy: 'user', aggregate: 'hour', limit: 250 },
    { refId: 'pairs "quoted"', format: 'timeseries', groupBy: 'userAndAccount', aggregate: 'hour', limit: 20, peakWindow: 90 },
    { refId: 'empty', format: 'timeseries', groupBy: 'user', filters: { user: ['nobody'] } },
    { refId: 'T', format: 'table', groupBy: 'account' },
    { refId: 'L', format: 'list', limit: 30 },
    { refId: 'bad', format: 'timeseries', aggregate: 'hour', limit: 100_000 },
  ]);
  const built = await new Reports(served.db).query(body);
  const expected: string[] = [];
  for (const [refId, result] of Object.entries(built.results)) {
    if (!('frames' in result)) expected.push(JSON.stringify({ refId, ...result }));
    else if (result.frames.length === 0) expected.push(`{"refId":${JSON.stringify(refId)},"frames":[]}`);
    else for (const frame of result.frames) expected.push(`{"refId":${JSON.stringify(refId)},"frames":[${JSON.stringify(frame)}]}`);
  }
  expected.push('{"end":true}');
  const answer = await post(body, 'application/x-ndjson, application/json;q=0.9');
  expect(answer.status).toBe(200);
  expect(answer.type).toBe('application/x-ndjson; charset=utf-8');
  expect(answer.text).toBe(`${expected.join('\n')}\n`);
  expect(expected).toHaveLength(250 + 20 + 1 + 1 + 1 + 1 + 1);
  // Any other Accept (none, JSON, or lines refused with q=0) gets the JSON answer, as a client older than the lines does.
  for (const accept of [undefined, 'application/json', '*/*', 'application/x-ndjson;q=0, application/json']) {
    const json = await post(body, accept);
    expect({ accept, type: json.type, same: json.text === JSON.stringify(built) }).toEqual({ accept, type: 'application/json; charset=utf-8', same: true });
  }
});

test('a series interrupted while its rows stream out is a 504, never the rows read so far', async () => {
  // Every user in every hour: a million rows out of DuckDB, which streams them for a good part of the query's time.
  const dense = await Database.open(path.join(served.dir, 'dense.duckdb'));
  try {
    await dense.run(
      `INSERT INTO events BY NAME SELECT 'e-' || h || '-' || u AS event_id, $from::TIMESTAMP + to_hours(h) AS event_time, 'GetObject' AS event_name,
        's3.amazonaws.com' AS event_source, 's3' AS service, 'eu-west-1' AS region, 'a' AS account, 'user-' || u AS user_name, 'IAMUser' AS identity_type,
        '10.0.0.1' AS source_ip, true AS source_is_ip, true AS read_only, false AS is_error, false AS is_unauthorized, [] AS resources,
        'k' AS object_key, 0 AS record_index, $from::TIMESTAMP + to_hours(h) AS arrived_at FROM range(2000) tu(u), range(500) th(h)`,
      { from: new Date(FROM).toISOString().slice(0, 19).replace('T', ' ') }
    );
    const body = {
      range: { from: FROM, to: FROM + 500 * HOUR },
      queries: [{ refId: 'A', format: 'timeseries', groupBy: 'user', aggregate: 'hour', limit: 2000 }],
    };
    const started = Date.now();
    const whole = (await new Reports(dense).query(body as QueryRequest)).results.A as { frames: Frame[] };
    const took = Date.now() - started;
    expect(whole.frames).toHaveLength(2000);
    // Timeouts across the query's own time: some land while DuckDB still counts, some while its rows stream out.
    for (const share of [0.3, 0.5, 0.6, 0.7, 0.8, 0.9]) {
      const result = (await new Reports(dense, Math.max(1, Math.round(took * share))).query(body as QueryRequest)).results.A;
      if ('error' in result) expect(result.status).toBe(504);
      else expect(result.frames).toEqual(whole.frames);
    }
  } finally {
    dense.close();
  }
}, 120_000);
