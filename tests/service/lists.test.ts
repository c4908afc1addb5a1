// Event lists and tables come out of DuckDB a chunk (2,048 rows) at a time, each column written as JSON as it comes
// (ColumnFrame): the answer over the API is, byte for byte, what the builder before them wrote (the rows read whole as
// objects, the frame built of them, JSON.stringify), kept below as the reference. The data holds what JSON must escape,
// unicode, NULLs, huge values and ties, over several chunks.
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import type { Frame, FrameField, QueryRequest } from '../../src/model/api';
import { resolveQuery, type ResolvedQuery, type TrailhoundQuery } from '../../src/model/query';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { Reports, parseRange } from '../../src/service/reports';
import * as SQL from '../../src/service/reports/sql';
import { tempDir } from '../support/temp';

const TOKEN = 'lists-token-1234';
const FROM = Date.parse('2026-03-01T00:00:00Z');
const TO = FROM + 2 * 86_400_000;
const EVENTS = 7_000;

/** Strings JSON escapes or that are not ASCII: quotes, backslashes, control characters, line separators, emoji, RTL, combining marks. */
const ODD = ['"quoted" \\back\\slash', 'tab\there\nnewline\r\u0001\u001f', '\u2028\u2029 separators', 'é€😀👩‍👩‍👧 عربى ǹ̈', '</script><!--', ''];

let dir: string;
let db: Database;
let api: FastifyInstance;
let url: string;

beforeAll(async () => {
  dir = tempDir();
  db = await Database.open(path.join(dir, 'lists.duckdb'));
  // Seconds apart but for a run of ties (same time, by event id); some values NULL, some huge (a 200 kB message, a
  // long list of resources), some odd; users in two accounts, roles for some; some without a source IP; errors with a
  // code and a message, one of them or neither; ten event ids stored twice, at different times.
  await db.run(
    `INSERT INTO events BY NAME
    SELECT 'e-' || lpad((CASE WHEN i BETWEEN 6000 AND 6009 THEN i - 1000 ELSE i END)::VARCHAR, 5, '0')
             || CASE WHEN i % 11 = 0 THEN $odd[1 + i % 6] ELSE '' END AS event_id,
      $from::TIMESTAMP + to_seconds(CASE WHEN i BETWEEN 3000 AND 3100 THEN 3000 ELSE i END * 20) AS event_time,
      CASE WHEN i % 13 = 0 THEN $odd[1 + i % 6] ELSE 'GetObject' END AS event_name, 's3.amazonaws.com' AS event_source, 's3' AS service,
      'eu-west-1' AS region, CASE WHEN i % 2 = 0 THEN '111111111111' ELSE '222222222222' END AS account,
      CASE WHEN i % 7 = 0 THEN $odd[1 + i % 6] ELSE 'user-' || (i % 40) END AS user_name, 'IAMUser' AS identity_type,
      CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN 'Role-' || (i % 5) ELSE $odd[1 + i % 6] END AS role_name,
      CASE WHEN i % 17 = 0 THEN '' ELSE '10.0.0.' || (i % 250) END AS source_ip, i % 17 <> 0 AS source_is_ip, i % 2 = 0 AS read_only,
      CASE WHEN i % 5 = 0 AND i % 15 <> 0 THEN 'AccessDenied' END AS error_code,
      CASE WHEN i = 4321 THEN repeat('big 😀 "x" ', 20000) WHEN i % 10 = 5 THEN $odd[1 + i % 6] END AS error_message,
      i % 5 = 0 AS is_error, i % 10 = 0 AS is_unauthorized, CASE WHEN i % 4 = 0 THEN NULL ELSE i % 4 = 1 END AS mfa_used,
      CASE WHEN i = 4322 THEN list_transform(range(3000), k -> {'id': 'arn:aws:s3:::b-' || k, 'name': 'b-' || k})
           WHEN i % 6 = 0 THEN [{'id': $odd[1 + i % 6], 'name': 'n'}] ELSE [] END AS resources,
      'k' AS object_key, 0 AS record_index, $from::TIMESTAMP + to_seconds(i * 20 + (i % 9) * 7) AS arrived_at
    FROM range($events) t(i)`,
    { from: new Date(FROM).toISOString().slice(0, 19).replace('T', ' '), events: EVENTS, odd: listValue(ODD) }
  );
  api = await buildApi({ db, token: TOKEN });
  url = await api.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await api.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

// The builder before ColumnFrame, as it was (src/service/reports/index.ts): the reference the streamed answer must equal.
const labelNames = (q: ResolvedQuery): readonly string[] => (q.groupBy === 'none' ? ['group'] : SQL.GROUP_LABELS[q.groupBy]);

function referenceTable(q: ResolvedQuery, rows: Row[]): Frame {
  const names = labelNames(q);
  const labels = rows.map((r) => (names.length === 1 ? [String(r.grp)] : names.map((n) => String((r.grp as Row)[n]))));
  return {
    name: `events by ${names.join(' and ')}`,
    fields: [
      ...names.map((name, i) => ({ name, type: 'string' as const, values: labels.map((l) => l[i]) })),
      { name: 'events', type: 'number', values: rows.map((r) => Number(r.n)) },
    ],
  };
}

function column(rows: Row[], name: string, type: 'time' | 'string' | 'boolean', key: string): FrameField {
  return {
    name,
    type,
    values: rows.map((r) => (r[key] === null || r[key] === undefined ? null : type === 'time' ? Number(r[key]) : (r[key] as string | boolean))),
  };
}

function referenceList(q: ResolvedQuery, rows: Row[]): Frame {
  type Column = [string, 'time' | 'string' | 'boolean', string];
  const arrived: Column[] = q.timeField === 'arrival' ? [['arrived', 'time', 'arrived']] : [];
  const spec: Column[] = [
    ['time', 'time', 'time'], ...arrived, ['user', 'string', 'user_name'], ['identity type', 'string', 'identity_type'],
    ['role', 'string', 'role_name'], ['source IP', 'string', 'source_ip'], ['event name', 'string', 'event_name'], ['service', 'string', 'service'],
    ['region', 'string', 'region'],
    ['account', 'string', 'account'], ['resources', 'string', 'resources'], ['error code', 'string', 'error_code'],
    ['error message', 'string', 'error_message'], ['read only', 'boolean', 'read_only'], ['MFA', 'boolean', 'mfa_used'],
    ['event id', 'string', 'event_id'],
  ];
  return { name: 'events', meta: { preferredVisualisationType: 'table' }, fields: spec.map(([name, type, key]) => column(rows, name, type, key)) };
}

/** The list's statement before its rows were found by rowid: a top-N of whole rows. */
function referenceEventList(q: ResolvedQuery, range: SQL.Range): SQL.Statement {
  const where = SQL.whereClause(q, range);
  const arrival = q.timeField === 'arrival';
  return {
    sql: `SELECT epoch_ms(event_time) AS time, ${arrival ? 'epoch_ms(arrived_at) AS arrived, ' : ''}user_name, identity_type, role_name, source_ip,
                 event_name, service, region, account, array_to_string(list_transform(resources, r -> r.id), ', ') AS resources, error_code, error_message,
                 read_only, mfa_used, event_id
          FROM events WHERE ${where.sql} ORDER BY ${arrival ? 'arrived_at DESC, ' : ''}event_time DESC, event_id LIMIT $limit`,
    params: { ...where.params, limit: q.limit },
  };
}

/** The reference answer of a list or table query: its statement's rows read whole (getRowObjectsJS), its frame built of them. */
async function referenceFrames(query: object): Promise<Frame[]> {
  const q = resolveQuery(query);
  const range = parseRange({ from: FROM, to: TO });
  const statement = q.format === 'list' ? referenceEventList(q, range) : SQL.topGroups(q, range);
  const conn = await db.connect();
  try {
    const rows = (await conn.runAndReadAll(statement.sql, statement.params)).getRowObjectsJS() as Row[];
    return [q.format === 'list' ? referenceList(q, rows) : referenceTable(q, rows)];
  } finally {
    conn.closeSync();
  }
}

const QUERIES = {
  list: { format: 'list', limit: 10_000 },
  'list by arrival': { format: 'list', limit: 5_000, timeField: 'arrival' },
  'list of errors': { format: 'list', limit: 3, status: 'error' },
  'empty list': { format: 'list', filters: { user: ['nobody'] } },
  'table by user': { format: 'table', groupBy: 'user', limit: 10_000 },
  'table by user and account': { format: 'table', groupBy: 'userAndAccount', limit: 10_000 },
  'table by role': { format: 'table', groupBy: 'role', limit: 100 },
  'top event names': { format: 'table', groupBy: 'eventName', limit: 5 },
  'table by resource': { format: 'table', groupBy: 'resource', limit: 10_000 },
  'table of peaks': { format: 'table', groupBy: 'user', peakWindow: 30, limit: 50 },
  'ungrouped table': { format: 'table', groupBy: 'none' },
  'empty table': { format: 'table', groupBy: 'user', filters: { user: ['nobody'] } },
} satisfies Record<string, TrailhoundQuery>;

test('lists and tables over the API: byte for byte the JSON of the frames the builder before them made', async () => {
  const body: QueryRequest = { range: { from: FROM, to: TO }, queries: Object.entries(QUERIES).map(([refId, query]) => ({ refId, ...query })) };
  // The data means something only if a list comes in several chunks, with NULLs, odd strings and a huge value in it.
  const list = await referenceFrames(QUERIES.list);
  expect(list[0].fields[0].values).toHaveLength(EVENTS);
  const values = (name: string) => list[0].fields.find((f) => f.name === name)!.values;
  expect(values('role')).toContain(null);
  expect(values('MFA')).toEqual(expect.arrayContaining([null, true, false]));
  expect(values('user')).toEqual(expect.arrayContaining(ODD));
  expect(Math.max(...values('error message').map((m) => String(m).length))).toBeGreaterThan(200_000);
  expect(Math.max(...values('resources').map((r) => String(r).length))).toBeGreaterThan(50_000);
  const results = await Promise.all(Object.entries(QUERIES).map(async ([refId, query]) => [refId, { frames: await referenceFrames(query) }]));
  const expected = { results: Object.fromEntries(results) };
  const res = await fetch(`${url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toBe(JSON.stringify(expected));
  // And as frames (Reports.query, which the CLI's report reads).
  expect(await new Reports(db).query(body)).toEqual(expected);
});

const field = (frame: Frame, name: string) => frame.fields.find((f) => f.name === name)!.values;

test("log lines: the list's events in its order, each with its line, level and a unique id, for Grafana's Logs view", async () => {
  const ask = async (queries: TrailhoundQuery[]) => {
    const body = { range: { from: FROM, to: TO }, queries: queries.map((q, i) => ({ refId: `q${i}`, ...q })) } as QueryRequest;
    const { results } = await (await fetch(`${url}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })).json();
    return queries.map((_, i) => results[`q${i}`].frames[0] as Frame);
  };
  // Each stored event's outcome, by its log id (id@time), read apart from the list.
  const conn = await db.connect();
  const outcome = new Map(
    (await conn.runAndReadAll(`SELECT event_id || '@' || epoch_ms(event_time) AS id, is_error, is_unauthorized FROM events`)).getRowObjectsJS()
      .map((r) => [r.id as string, r.is_unauthorized ? 'critical' : r.is_error ? 'error' : 'info'])
  );
  conn.closeSync();
  const lists: TrailhoundQuery[] = [QUERIES.list, QUERIES['list by arrival'], QUERIES['list of errors'], QUERIES['empty list']];
  const [listFrames, logFrames] = await Promise.all([ask(lists), ask(lists.map((q) => ({ ...q, format: 'logs' })))]);
  for (const [i, list] of listFrames.entries()) {
    const logs = logFrames[i];
    const arrival = lists[i].timeField === 'arrival';
    expect(logs.meta).toEqual({ preferredVisualisationType: 'logs' });
    // Grafana reads the first time field as the line's time (the one the range applies to), the first string as the line.
    const head = [...(arrival ? [['arrived', 'time']] : []), ['time', 'time'], ['line', 'string'], ['level', 'string'], ['id', 'string']];
    expect(logs.fields.slice(0, head.length).map((f) => [f.name, f.type])).toEqual(head);
    // Every field of the list, as the list has it.
    for (const { name, values } of list.fields) expect([name, field(logs, name)]).toEqual([name, values]);
    const rows = list.fields[0].values.map((_, r) => Object.fromEntries(list.fields.map((f) => [f.name, f.values[r]])));
    // The oracle: the line written from the list's own fields, and the outcome, on one line.
    const ids = rows.map((r) => `${r['event id']}@${r.time}`);
    const failed = (r: Row) => [r['error code'], r['error message']].filter((v) => v !== null);
    const why = (r: Row, id: string) => (failed(r).length > 0 ? `: ${failed(r).join(' ')}` : outcome.get(id) === 'info' ? '' : ': failed');
    const from = (r: Row) => (r['source IP'] ? ` from ${r['source IP']}` : '');
    const oneLine = (text: string) => [...text].map((c) => (c < ' ' || c === '\x7f' ? ' ' : c)).join('');
    const line = (r: Row, n: number) => oneLine(`${r.user} ${r.service}:${r['event name']}${from(r)} in ${r.region} (${r.account})${why(r, ids[n])}`);
    expect(field(logs, 'line')).toEqual(rows.map(line));
    expect(field(logs, 'id')).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(field(logs, 'level')).toEqual(ids.map((id) => outcome.get(id)));
  }
  // The data has what the lines must get right: every level, each kind of failure, no source IP, an event id twice,
  // a line break in a message.
  const all = logFrames[0];
  expect(new Set(field(all, 'level'))).toEqual(new Set(['info', 'error', 'critical']));
  const lines = field(all, 'line') as string[];
  // Both, the code alone, the message alone, neither.
  const endings = [/\(\d{12}\): AccessDenied \S/, /\(\d{12}\): AccessDenied$/, /\(\d{12}\): (?!AccessDenied|failed$)/, /\(\d{12}\): failed$/];
  for (const ending of endings) expect([ending, lines.some((l) => ending.test(l))]).toEqual([ending, true]);
  expect(lines.some((l) => !l.includes(' from '))).toBe(true);
  expect(new Set(field(all, 'event id')).size).toBeLessThan(EVENTS);
  expect(field(all, 'error message')).toContain(ODD[1]);
  expect(listFrames[0].fields[0].values.length).toBe(EVENTS);
  expect(logFrames[3].fields[0].values).toEqual([]);
});

test('a list or a table interrupted while its rows stream out is a 504, never the rows read so far', async () => {
  // 300 000 events of 20 000 users: a list and a table of 10 000 rows each, five chunks out of DuckDB.
  const dense = await Database.open(path.join(dir, 'dense.duckdb'));
  try {
    await dense.run(
      `INSERT INTO events BY NAME SELECT 'e-' || i AS event_id, $from::TIMESTAMP + to_seconds(i // 2) AS event_time, 'GetObject' AS event_name,
        's3.amazonaws.com' AS event_source, 's3' AS service, 'eu-west-1' AS region, 'a' AS account, 'user-' || (i % 20000) AS user_name,
        'IAMUser' AS identity_type, '10.0.0.1' AS source_ip, true AS source_is_ip, true AS read_only, false AS is_error, false AS is_unauthorized,
        [] AS resources, repeat('m', 300) AS error_message, 'k' AS object_key, 0 AS record_index, $from::TIMESTAMP + to_seconds(i // 2) AS arrived_at
        FROM range(300000) t(i)`,
      { from: new Date(FROM).toISOString().slice(0, 19).replace('T', ' ') }
    );
    for (const query of [{ format: 'list', limit: 10_000 }, { format: 'table', groupBy: 'user', limit: 10_000 }]) {
      const body = { range: { from: FROM, to: TO }, queries: [{ refId: 'A', ...query }] } as QueryRequest;
      const started = Date.now();
      const whole = (await new Reports(dense).query(body)).results.A as { frames: Frame[] };
      const took = Date.now() - started;
      expect(whole.frames[0].fields[0].values).toHaveLength(10_000);
      // Timeouts across the query's own time: some land while DuckDB still works, some while its rows stream out.
      for (const share of [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]) {
        const result = (await new Reports(dense, Math.max(1, Math.round(took * share))).query(body)).results.A;
        if ('error' in result) expect(result.status).toBe(504);
        else expect(result.frames).toEqual(whole.frames);
      }
    }
  } finally {
    dense.close();
  }
}, 120_000);
