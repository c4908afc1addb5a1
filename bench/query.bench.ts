// npm run bench:query [-- --events N] [--runs R]
// Builds (once, cached under .bench/) a database of N generated events (default 10 M) through the real ingestion,
// then times each dashboard-style query through the HTTP API (model → SQL → frames → JSON over loopback) and,
// in the same run and on the same database, the same aggregation as hand-written DuckDB SQL.
// Goals: p50 through the API ≤ 100 ms; API p50 ÷ raw p50 ≤ 1.25.
import '../src/service/env'; // as the trailhound executable does, before DuckDB loads
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { writeLogFolder } from '../src/generator';
import type { TrailhoundQuery } from '../src/model/query';
import { buildApi } from '../src/service/api/server';
import { Database, removeDatabase } from '../src/service/db/database';
import { ingest } from '../src/service/ingest';

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
  /** The same aggregation, hand-written, with $from/$to (and $id) bound. */
  raw: string;
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
  ];
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main() {
  const events = Number(arg('events', '10000000'));
  const runs = Number(arg('runs', '30'));
  fs.mkdirSync(BENCH, { recursive: true });
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
    const body = JSON.stringify({ range: { from: from.toISOString(), to: END.toISOString() }, maxDataPoints: 1000, queries: [{ refId: 'A', ...c.query }] });
    const viaApi = async () => {
      const res = await fetch(`${url}/api/query`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { results: { A: { error?: string } } };
      if (json.results.A.error) throw new Error(`${c.name}: ${json.results.A.error}`);
    };
    const rawParams = c.raw.includes('$id') ? { ...params, id: instanceId } : params;
    const viaSql = async () => (await conn.runAndReadAll(c.raw, rawParams)).getRowObjectsJS();
    for (let i = 0; i < 3; i++) {
      await viaApi(); // warm caches on both sides
      await viaSql();
    }
    const apiTimes: number[] = [];
    const rawTimes: number[] = [];
    // Interleaved, so both sides see the same machine state.
    for (let i = 0; i < runs; i++) {
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

  console.log(`${stored.toLocaleString('en-US')} events over ${DAYS} days, ${runs} runs per query, range = all ${DAYS} days\n`);
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  console.log('\nratio = API p50 ÷ raw DuckDB p50 on the same database in this run. Goals: API p50 ≤ 100 ms, ratio ≤ 1.25.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
