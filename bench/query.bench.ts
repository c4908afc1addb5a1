// npm run bench:query [-- --events N] [--runs R] [--peak-runs P] [--latency-only] [--memory-only [--lists-only]] [--plugin]
// Builds (once, cached under .bench/) a database of N generated events (default 10 M) through the real ingestion,
// then times each dashboard-style query through the HTTP API (model → SQL → frames → JSON over loopback) and,
// in the same run and on the same database, the same aggregation as hand-written DuckDB SQL. Peak queries (peakWindow:
// every event's window over the whole range, seconds each at 10 M) run P times (default 5), the others R (default 30).
// --latency-only: the latency table alone, without the memory report after it.
// Goals: p50 through the API ≤ 100 ms; API p50 ÷ raw p50 ≤ 1.25.
// Then the memory of the biggest answers (the points budget's time series, the row budget's lists) in `trailhound serve`,
// against DuckDB running the same statements alone in a process of its own (see budgetMemory below).
// --plugin: instead, the peak RSS of the plugin's backend executable (as Grafana starts it) turning those answers into
// Arrow frames for one QueryData call (see pluginMemory below).
import '../src/service/env'; // as the trailhound executable does, before DuckDB loads
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../src/backend/protos';
import { writeLogFolder } from '../src/generator';
import { resolveQuery, type TrailhoundQuery } from '../src/model/query';
import { buildApi } from '../src/service/api/server';
import { DEFAULTS } from '../src/service/config';
import { Database, removeDatabase } from '../src/service/db/database';
import { ingest } from '../src/service/ingest';
import * as SQL from '../src/service/reports/sql';
import { BucketGrid } from '../src/service/reports/buckets';
import { ensureBackendBuilt } from '../tests/backend/support/build';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, '.bench');
const END = new Date('2026-11-20T12:00:00Z');
const DAYS = 14;
const TOKEN = 'bench';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback);
}

/** The cached database for N events: generated logs, ingested by trailhound itself. */
async function databaseFor(events: number): Promise<string> {
  const file = path.join(BENCH, `query-${events}.duckdb`);
  if (fs.existsSync(`${file}.complete`)) return file;
  const logs = path.join(BENCH, `query-logs-${events}`);
  fs.rmSync(logs, { recursive: true, force: true });
  removeDatabase(file); // with the WAL and kept files of a run that was interrupted
  process.stderr.write(`generating ${events.toLocaleString('en-US')} events into ${path.relative(ROOT, logs)} …\n`);
  await writeLogFolder(logs, { events, days: DAYS, seed: 7, end: END }, (n) => {
    if (n % 500_000 < 600) process.stderr.write(`  generated ${n.toLocaleString('en-US')}\r`);
  });
  process.stderr.write(`\ningesting into ${path.relative(ROOT, file)} (once; later runs reuse it) …\n`);
  const db = await Database.open(file, { memoryLimit: '1GB' });
  try {
    let last = 0;
    await ingest({
      source: logs,
      db,
      days: DAYS,
      now: END,
      onProgress: (p) => {
        if (Date.now() - last > 2000) {
          last = Date.now();
          process.stderr.write(`  ${p.objectsDone}/${p.objectsFound} files, ${p.events.toLocaleString('en-US')} events\r`);
        }
      },
    });
  } finally {
    db.close();
  }
  fs.rmSync(logs, { recursive: true, force: true });
  fs.writeFileSync(`${file}.complete`, '');
  process.stderr.write('\n');
  return file;
}

interface Case {
  name: string;
  query: TrailhoundQuery;
  /** The same aggregation, hand-written, with $from/$to (and $id, $w: the peak window in ms) bound. */
  raw: string;
  /** A peak query: timed --peak-runs times, not --runs. */
  peak?: boolean;
  /** The range's time zone, whose days the buckets are. */
  timeZone?: string;
}

/** The alert rules' peak window (dashboards/cloudtrail-alerts.json), in minutes. */
const PEAK_MINUTES = 30;

/**
 * Each event of the range with its peak, by `columns` (none: ungrouped), as the service counts them by event time: each
 * event's running count in its group, less that of the last event at least $w before it (ASOF join). Columns: those, t, n.
 */
function rawPeaks(columns: string[]): string {
  const partition = columns.length > 0 ? `PARTITION BY ${columns.join(', ')} ` : '';
  const sameGroup = columns.map((c) => `e.${c} IS NOT DISTINCT FROM b.${c} AND `).join('');
  const selected = columns.map((c) => `${c}, `).join('');
  return `WITH c AS MATERIALIZED (
            SELECT ${selected}event_time, event_time >= $from::TIMESTAMP AS in_range,
                   count(*) OVER (${partition}ORDER BY event_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto
            FROM events WHERE event_time >= $from::TIMESTAMP - to_milliseconds($w::BIGINT) AND event_time < $to::TIMESTAMP)
          SELECT ${columns.map((c) => `e.${c}, `).join('')}e.event_time AS t, e.upto - coalesce(b.upto, 0) AS n
          FROM (SELECT ${selected}event_time, upto, event_time - to_milliseconds($w::BIGINT) AS window_start FROM c WHERE in_range) e
          ASOF LEFT JOIN c b ON ${sameGroup}e.window_start >= b.event_time`;
}

const RANGE = `event_time >= $from::TIMESTAMP AND event_time < $to::TIMESTAMP`;

function cases(instanceId: string): Case[] {
  const top = (column: string) => `SELECT ${column}, count(*) AS n FROM events WHERE ${RANGE} GROUP BY 1 ORDER BY n DESC LIMIT 10`;
  return [
    {
      name: 'summary totals',
      query: { queryType: 'totals' },
      raw: `SELECT (SELECT count(*) FROM trails), count(*), count(*) FILTER (WHERE NOT is_error), count(*) FILTER (WHERE is_error),
              count(*) FILTER (WHERE is_unauthorized), count(DISTINCT user_name), count(DISTINCT source_ip) FILTER (WHERE source_is_ip),
              count(DISTINCT service), count(DISTINCT region), count(DISTINCT account) FROM events WHERE ${RANGE}`,
    },
    { name: 'top 10 users', query: { format: 'table', groupBy: 'user', limit: 10 }, raw: top('user_name') },
    { name: 'top 10 event names', query: { format: 'table', groupBy: 'eventName', limit: 10 }, raw: top('event_name') },
    { name: 'top 10 source IPs', query: { format: 'table', groupBy: 'sourceIp', limit: 10 }, raw: top('source_ip') },
    {
      name: 'hourly series, top 10 users',
      query: { format: 'timeseries', groupBy: 'user', aggregate: 'hour', limit: 10 },
      raw: `WITH counts AS MATERIALIZED (SELECT user_name, epoch_ms(event_time) // 3600000 * 3600000 AS t, count(*) AS n
              FROM events WHERE ${RANGE} GROUP BY 1, 2),
            top AS (SELECT user_name FROM counts GROUP BY 1 ORDER BY sum(n) DESC LIMIT 10)
            SELECT user_name, t, n FROM counts SEMI JOIN top USING (user_name)`,
    },
    // A dashboard's zone against the plain UTC days of the same statement: what laying buckets on local days costs.
    ...[undefined, 'Australia/Sydney'].map((timeZone) => ({
      name: `daily series, top 10 users, ${timeZone ?? 'UTC'}`,
      query: { format: 'timeseries', groupBy: 'user', aggregate: 'day', limit: 10 } as const,
      timeZone,
      raw: `WITH counts AS MATERIALIZED (SELECT user_name, epoch_ms(event_time) // 86400000 * 86400000 AS t, count(*) AS n
              FROM events WHERE ${RANGE} GROUP BY 1, 2),
            top AS (SELECT user_name FROM counts GROUP BY 1 ORDER BY sum(n) DESC LIMIT 10)
            SELECT user_name, t, n FROM counts SEMI JOIN top USING (user_name)`,
    })),
    {
      name: 'unauthorized by user',
      query: { format: 'table', groupBy: 'user', status: 'unauthorized', limit: 10 },
      raw: `SELECT user_name, count(*) AS n FROM events WHERE ${RANGE} AND is_unauthorized GROUP BY 1 ORDER BY n DESC LIMIT 10`,
    },
    {
      name: 'RunInstances by instance id',
      query: { format: 'table', groupBy: 'user', filters: { eventName: ['RunInstances'] }, resourceId: instanceId },
      // As the service does it: the resource index first, then only the row groups of those events.
      raw: `WITH hits AS (SELECT event_time, event_id FROM event_resources
                      WHERE key_hash = hash($id) AND ${RANGE}),
                 span AS (SELECT min(event_time) AS lo, max(event_time) AS hi FROM hits)
            SELECT user_name, count(*) AS n FROM events, span WHERE ${RANGE} AND event_time BETWEEN span.lo AND span.hi
              AND event_id IN (SELECT event_id FROM hits) AND event_name = 'RunInstances'
              AND len(list_filter(resources, r -> r.id = $id OR r.name = $id)) > 0 GROUP BY 1 ORDER BY n DESC LIMIT 20`,
    },
    {
      name: `peak (${PEAK_MINUTES} min), ungrouped`,
      query: { format: 'table', groupBy: 'none', peakWindow: PEAK_MINUTES },
      raw: `SELECT max(n) AS n FROM (${rawPeaks([])})`,
      peak: true,
    },
    {
      name: `peaks (${PEAK_MINUTES} min), top 10 user+account`,
      query: { format: 'table', groupBy: 'userAndAccount', peakWindow: PEAK_MINUTES, limit: 10 },
      raw: `SELECT user_name, account, max(n) AS n FROM (${rawPeaks(['user_name', 'account'])}) GROUP BY 1, 2 ORDER BY n DESC LIMIT 10`,
      peak: true,
    },
    {
      name: `hourly peak (${PEAK_MINUTES} min) series, top 10 users`,
      query: { format: 'timeseries', groupBy: 'user', aggregate: 'hour', peakWindow: PEAK_MINUTES, limit: 10 },
      raw: `WITH counts AS MATERIALIZED (SELECT user_name, epoch_ms(t) // 3600000 * 3600000 AS t, max(n) AS n FROM (${rawPeaks(['user_name'])}) GROUP BY 1, 2),
            top AS (SELECT user_name FROM counts GROUP BY 1 ORDER BY max(n) DESC LIMIT 10)
            SELECT user_name, t, n FROM counts SEMI JOIN top USING (user_name)`,
      peak: true,
    },
  ];
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The points budget in one query: 8 333 users × 600 hours (25 days), 4 999 800 points. */
const SERIES_FROM = Date.parse('2026-11-01T00:00:00Z');
const SERIES_HOURS = 600;
const SERIES_USERS = 8333;
const SERIES_QUERY = { format: 'timeseries', groupBy: 'user', aggregate: 'hour', limit: SERIES_USERS } as const;
const seriesRange = { from: SERIES_FROM, to: SERIES_FROM + SERIES_HOURS * 3_600_000 };

/**
 * A database for the points budget, made by SQL (once, cached): `sparse`, 1 M events over 14 days, each its own user
 * (8 333 series of one event, the rest zero-filled); `dense`, each of 8 333 users acting in each of 600 hours (every
 * point counted, 5 M rows out of DuckDB).
 */
async function seriesDatabase(kind: 'sparse' | 'dense'): Promise<string> {
  const file = path.join(BENCH, `series-${kind}.duckdb`);
  if (fs.existsSync(`${file}.complete`)) return file;
  removeDatabase(file);
  process.stderr.write(`making ${path.relative(ROOT, file)} (once; later runs reuse it) …\n`);
  const db = await Database.open(file, { memoryLimit: '2GB' });
  const columns = `'svc.amazonaws.com' AS event_source, 'svc' AS service, 'r' AS region, 'a' AS account, 'IAMUser' AS identity_type,
    true AS source_is_ip, false AS read_only, false AS is_error, false AS is_unauthorized, [] AS resources, 'k' AS object_key, 0 AS record_index`;
  const from = new Date(SERIES_FROM).toISOString().slice(0, 19).replace('T', ' ');
  try {
    if (kind === 'sparse') {
      await db.run(
        `INSERT INTO events BY NAME SELECT 'e' || i AS event_id, $from::TIMESTAMP + to_days(5) + to_milliseconds(i * 1209) AS event_time,
          'Event' || (i % 50) AS event_name, 'user-' || i AS user_name, '10.' || (i // 65536) || '.' || (i // 256 % 256) || '.' || (i % 256) AS source_ip,
          $from::TIMESTAMP + to_days(5) + to_milliseconds(i * 1209) AS arrived_at, ${columns} FROM range(1000000) t(i)`,
        { from }
      );
    } else {
      await db.run(
        `INSERT INTO events BY NAME SELECT 'e' || h || '-' || u AS event_id, $from::TIMESTAMP + to_hours(h) + to_seconds(u % 3600) AS event_time,
          'Event' || (u % 50) AS event_name, 'user-' || u AS user_name, '10.0.0.1' AS source_ip,
          $from::TIMESTAMP + to_hours(h) + to_seconds(u % 3600) AS arrived_at, ${columns} FROM range($hours) a(h), range($users) b(u)`,
        { from, hours: SERIES_HOURS, users: SERIES_USERS }
      );
    }
  } finally {
    db.close();
  }
  fs.writeFileSync(`${file}.complete`, '');
  return file;
}

/** VmRSS and VmHWM (the peak since the last reset) of a process, in MB. */
function memoryOf(pid: number | 'self'): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string) => Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024);
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

/** Forgets a process's peak: VmHWM starts again from its RSS now. */
const resetPeak = (pid: number | 'self') => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** The row budget in one request: ten lists of 10 000 events, newest first (each the same list, as a dashboard of ten panels may ask). */
const LIST_QUERY = { format: 'list', limit: 10_000 } as const;
const LISTS = 10;

/** What a memory run asks: the points budget's series, or the row budget's lists (on the sparse database: 1 M events). */
type Budget = 'series' | 'lists';

/** The statements the service runs for a budget's request. */
function budgetStatements(budget: Budget): SQL.Statement[] {
  if (budget === 'series') return [SQL.timeseries(resolveQuery(SERIES_QUERY), seriesRange, new BucketGrid(seriesRange, 3_600_000))];
  return Array.from({ length: LISTS }, () => SQL.eventList(resolveQuery(LIST_QUERY), seriesRange));
}

/**
 * In a process of its own (this file, --raw <series|lists> <db>): DuckDB alone runs the statements the service runs for a
 * budget's request, with the service's memory limit, and reads their rows chunk by chunk, keeping none. Prints its RSS at
 * rest and its peak.
 */
async function rawRun(budget: Budget, file: string): Promise<void> {
  const db = await Database.open(file, { memoryLimit: DEFAULTS.serveMemoryLimit });
  const conn = await db.connect();
  const idle = memoryOf('self');
  resetPeak('self');
  let rows = 0;
  for (const { sql, params } of budgetStatements(budget)) {
    const result = await conn.stream(sql, params);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) rows += chunk.rowCount;
  }
  console.log(JSON.stringify({ idle: idle.rss, peak: memoryOf('self').peak, rows }));
  conn.closeSync();
  db.close();
}

interface BudgetMemory {
  kind: string;
  rows: number;
  answerMb: number;
  seconds: number;
  serve: { idle: number; one: number; eight: number };
  raw: { idle: number; peak: number };
}

/**
 * The peak RSS of `trailhound serve` (its defaults: 512 MB for DuckDB) answering one request at a budget (the points
 * budget's series, on `kind`'s database; the row budget's lists), and eight one after another, over its RSS at rest;
 * beside it, DuckDB's own peak for the same statements alone (rawRun). What the service adds to DuckDB's work is the
 * answer's frames and its JSON.
 */
async function budgetMemory(budget: Budget, kind: 'sparse' | 'dense'): Promise<BudgetMemory> {
  const file = await seriesDatabase(kind);
  const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const raw = await new Promise<{ idle: number; peak: number; rows: number }>((resolve, reject) => {
    let out = '';
    const child = spawn(process.execPath, [tsx, __filename, '--raw', budget, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`raw DuckDB run exited ${code}`))));
  });
  const serve = await startServe(file);
  try {
    const { url, pid } = serve;
    const idle = memoryOf(pid).rss;
    resetPeak(pid);
    const queries = budgetQueries(budget);
    const body = JSON.stringify({ range: { from: new Date(seriesRange.from).toISOString(), to: new Date(seriesRange.to).toISOString() }, queries });
    const ask = async () => {
      const res = await fetch(`${url}/api/query`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}-memory-token`, 'content-type': 'application/json' }, body,
      });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`the ${budget} budget's request answered ${res.status}`);
      return bytes;
    };
    const started = process.hrtime.bigint();
    const bytes = await ask();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const one = memoryOf(pid).peak;
    for (let i = 1; i < 8; i++) await ask();
    const eight = memoryOf(pid).peak;
    return { kind, rows: raw.rows, answerMb: bytes / 1e6, seconds, serve: { idle, one, eight }, raw: { idle: raw.idle, peak: raw.peak } };
  } finally {
    await serve.stop();
  }
}

/** `trailhound serve` on a database (its defaults: 512 MB for DuckDB), up and settled. */
async function startServe(file: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const empty = fs.mkdtempSync(path.join(BENCH, 'empty-source-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const serve = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'trailhound'), 'serve', '--db', file, '--source', empty, '--days', '1', '--poll-interval', '86400',
      '--listen', `127.0.0.1:${port}`,
    ],
    { env: { ...process.env, TRAILHOUND_TOKEN: `${TOKEN}-memory-token`, TRAILHOUND_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] }
  );
  const exited = new Promise((resolve) => serve.on('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let up = false; !up; ) {
    up = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (!up) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Its first poll (of an empty folder) and start-up settle.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const stop = async () => {
    serve.kill('SIGTERM');
    await exited;
    fs.rmSync(empty, { recursive: true, force: true });
  };
  return { url, pid: serve.pid!, stop };
}

/** The queries of a budget's request (the points budget's series; the row budget's ten lists). */
function budgetQueries(budget: Budget): Array<Record<string, unknown> & { refId: string }> {
  if (budget === 'series') return [{ refId: 'A', ...SERIES_QUERY }];
  return Array.from({ length: LISTS }, (_, i) => ({ refId: `L${i}`, ...LIST_QUERY }));
}

/**
 * The peak RSS of the plugin's backend executable (built by scripts/build-backend.mjs, started with go-plugin's
 * environment as Grafana starts it) answering one QueryData call at a budget, and eight one after another, over its RSS at
 * rest; `trailhound serve` answers it on `kind`'s database. The backend reads the service's answer, turns each frame into
 * an Arrow IPC file and sends them all in one gRPC message.
 */
async function pluginMemory(budget: Budget, kind: 'sparse' | 'dense') {
  const [file, executable] = await Promise.all([seriesDatabase(kind), ensureBackendBuilt()]);
  const serve = await startServe(file);
  const env = { PATH: process.env.PATH, grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '2', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' };
  const plugin = spawn(executable, [], { env: { ...env, TRAILHOUND_PLUGIN_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => plugin.on('exit', resolve));
  const client = new Promise<grpc.Client>((resolve, reject) => {
    readline.createInterface({ input: plugin.stdout! }).once('line', (line) => {
      const address = /\|(127\.0\.0\.1:\d+)\|grpc$/.exec(line)?.[1];
      if (!address) return reject(new Error(`unexpected handshake ${JSON.stringify(line)}`));
      const options = { 'grpc.max_receive_message_length': 512 * 1024 * 1024 };
      resolve(new (loadProtos().clients['pluginv2.Data'])(address, grpc.credentials.createInsecure(), options));
    });
  });
  try {
    const data = await client;
    const pluginContext = {
      orgId: 1,
      pluginId: 'trailhound-cloudtrail-datasource',
      user: { login: 'bench', role: 'Viewer' },
      dataSourceInstanceSettings: {
        id: 1,
        uid: 'bench',
        name: 'Trailhound',
        jsonData: Buffer.from(JSON.stringify({ url: serve.url })),
        decryptedSecureJsonData: { token: `${TOKEN}-memory-token` },
        lastUpdatedMS: 1,
      },
    };
    const queries = budgetQueries(budget).map((q) => ({
      refId: q.refId,
      json: Buffer.from(JSON.stringify(q)),
      timeRange: { fromEpochMS: seriesRange.from, toEpochMS: seriesRange.to },
      intervalMS: 3_600_000,
      maxDataPoints: 100_000,
    }));
    const ask = () =>
      new Promise<{ frames: number; bytes: number }>((resolve, reject) =>
        (data as any).QueryData({ pluginContext, queries }, { deadline: Date.now() + 120_000 }, (err: Error | null, res: any) => {
          if (err) return reject(err);
          const responses = Object.values(res.responses) as Array<{ frames: Uint8Array[]; error: string }>;
          const failed = responses.find((r) => r.error);
          if (failed) return reject(new Error(`the ${budget} budget's QueryData failed: ${failed.error}`));
          resolve({
            frames: responses.reduce((n, r) => n + r.frames.length, 0),
            bytes: responses.reduce((n, r) => n + r.frames.reduce((m, f) => m + f.length, 0), 0),
          });
        })
      );
    // Start-up settles.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = memoryOf(plugin.pid!).rss;
    resetPeak(plugin.pid!);
    const started = process.hrtime.bigint();
    const { frames, bytes } = await ask();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const one = memoryOf(plugin.pid!).peak;
    for (let i = 1; i < 8; i++) await ask();
    const eight = memoryOf(plugin.pid!).peak;
    data.close();
    return { frames, arrowMb: bytes / 1e6, seconds, idle, one, eight };
  } finally {
    plugin.kill('SIGTERM');
    await exited;
    await serve.stop();
  }
}

async function pluginReport(): Promise<void> {
  const table = [['request', 'frames', 'Arrow', 'backend: idle', 'peak', 'over idle', 'eight']];
  const runs: Array<[string, Budget, 'sparse' | 'dense']> = [
    ['points budget (8 333 × 600), sparse', 'series', 'sparse'],
    [`row budget (${LISTS} lists of ${LIST_QUERY.limit.toLocaleString('en-US')}), sparse`, 'lists', 'sparse'],
  ];
  const mb = (x: number) => `${Math.round(x)} MB`;
  for (const [name, budget, kind] of runs) {
    const r = await pluginMemory(budget, kind);
    table.push([`${name} (${r.seconds.toFixed(1)} s)`, String(r.frames), mb(r.arrowMb), mb(r.idle), mb(r.one), mb(r.one - r.idle), mb(r.eight)]);
  }
  console.log('\nPeak RSS of the plugin\'s backend answering one QueryData call at a budget (and eight, one after another):');
  printTable(table);
}

function printTable(table: string[][]): void {
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
}

async function memoryReport(listsOnly = false): Promise<void> {
  const runs: Array<[string, BudgetMemory]> = [];
  for (const kind of listsOnly ? [] : (['sparse', 'dense'] as const)) runs.push([`points budget (8 333 × 600), ${kind}`, await budgetMemory('series', kind)]);
  runs.push([`row budget (${LISTS} lists of ${LIST_QUERY.limit.toLocaleString('en-US')}), sparse`, await budgetMemory('lists', 'sparse')]);
  const mb = (x: number) => `${Math.round(x)} MB`;
  const table = [['request', 'DuckDB rows', 'answer', 'serve: idle', 'peak', 'eight', 'raw DuckDB: extra', 'serve: extra', 'ratio']];
  for (const [name, r] of runs) {
    const rawExtra = r.raw.peak - r.raw.idle;
    const serveExtra = r.serve.one - r.serve.idle;
    table.push([
      `${name} (${r.seconds.toFixed(1)} s)`,
      r.rows.toLocaleString('en-US'),
      mb(r.answerMb),
      mb(r.serve.idle),
      mb(r.serve.one),
      mb(r.serve.eight),
      mb(rawExtra),
      mb(serveExtra),
      (serveExtra / Math.max(1, rawExtra)).toFixed(2),
    ]);
  }
  console.log('\nPeak RSS of `trailhound serve` answering one request at a budget (and eight, one after another):');
  printTable(table);
  console.log('\nextra = peak RSS over RSS at rest; raw DuckDB = the same statements alone in a process of its own, rows read and dropped.');
  console.log('ratio = serve\'s extra ÷ raw DuckDB\'s extra: what building and sending the answer adds to DuckDB\'s own work. Near or under 1,');
  console.log('DuckDB\'s work is most of it (its peak varies by tens of MB from one process to another; a dense series: ~0.85).');
}

async function main() {
  const raw = process.argv.indexOf('--raw');
  if (raw > 0) return rawRun(process.argv[raw + 1] as Budget, process.argv[raw + 2]);
  fs.mkdirSync(BENCH, { recursive: true });
  if (process.argv.includes('--plugin')) return pluginReport();
  if (process.argv.includes('--memory-only')) return memoryReport(process.argv.includes('--lists-only'));
  const events = Number(arg('events', '10000000'));
  const runs = Number(arg('runs', '30'));
  const peakRuns = Number(arg('peak-runs', '5'));
  const file = await databaseFor(events);
  // Read-write: a cached database from an older Trailhound is migrated first.
  const db = await Database.open(file);
  const api = await buildApi({ db, token: TOKEN });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const conn: DuckDBConnection = await db.connect();
  const from = new Date(END.getTime() - DAYS * 86_400_000);
  const params: Record<string, DuckDBValue> = { from: from.toISOString().slice(0, 19).replace('T', ' '), to: END.toISOString().slice(0, 19).replace('T', ' ') };
  const row = await conn.runAndReadAll(
    `SELECT r.id FROM events, unnest(resources) AS u(r) WHERE event_name = 'RunInstances' AND r.id LIKE 'i-%' LIMIT 1`
  );
  const instanceId = String(row.getRowObjectsJS()[0]?.id ?? 'i-none');
  const stored = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0].n);

  const table: string[][] = [['query', 'API p50', 'API p95', 'raw p50', 'raw p95', 'ratio p50']];
  for (const c of cases(instanceId)) {
    const range = { from: from.toISOString(), to: END.toISOString(), ...(c.timeZone && { timeZone: c.timeZone }) };
    const body = JSON.stringify({ range, maxDataPoints: 1000, queries: [{ refId: 'A', ...c.query }] });
    const viaApi = async () => {
      const res = await fetch(`${url}/api/query`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { results: { A: { error?: string } } };
      if (json.results.A.error) throw new Error(`${c.name}: ${json.results.A.error}`);
    };
    const rawParams = { ...params, ...(c.raw.includes('$id') ? { id: instanceId } : {}), ...(c.peak ? { w: PEAK_MINUTES * 60_000 } : {}) };
    const viaSql = async () => (await conn.runAndReadAll(c.raw, rawParams)).getRowObjectsJS();
    for (let i = 0; i < (c.peak ? 1 : 3); i++) {
      await viaApi(); // warm caches on both sides
      await viaSql();
    }
    const apiTimes: number[] = [];
    const rawTimes: number[] = [];
    // Interleaved, so both sides see the same machine state.
    for (let i = 0; i < (c.peak ? peakRuns : runs); i++) {
      apiTimes.push(await time(viaApi));
      rawTimes.push(await time(viaSql));
    }
    const [a50, a95, r50, r95] = [percentile(apiTimes, 50), percentile(apiTimes, 95), percentile(rawTimes, 50), percentile(rawTimes, 95)];
    table.push([c.name, ms(a50), ms(a95), ms(r50), ms(r95), (a50 / r50).toFixed(2)]);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  conn.closeSync();
  await api.close();
  db.close();

  console.log(`${stored.toLocaleString('en-US')} events over ${DAYS} days, ${runs} runs per query (peaks: ${peakRuns}), range = all ${DAYS} days\n`);
  printTable(table);
  console.log('\nratio = API p50 ÷ raw DuckDB p50 on the same database in this run. Goals: API p50 ≤ 100 ms, ratio ≤ 1.25.');
  console.log('Peaks count every event\'s window over the whole range (a rule\'s query, over its minutes, takes ~30 ms): the 100 ms');
  console.log('goal is not theirs; their ratio is what the API adds to the same ASOF-join statement written by hand.');
  console.log("The daily series in Sydney's days is compared with the same statement in UTC days: its ratio is what the API and the zone add.");
  if (!process.argv.includes('--latency-only')) await memoryReport();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
