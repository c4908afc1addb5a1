// npm run bench:ingest [-- --events N[,N2,...]]
// Generates N events as CloudTrail .json.gz files (cached under .bench/), ingests them with trailhound and,
// in the same run, loads the same files with DuckDB's own read_json; prints events/s, peak RSS and the ratio.
// A third run does trailhound's parse, normalisation and write as one bare INSERT (see ingest-run.ts): how much of
// the gap to read_json is the work itself and how much the pipeline that makes ingestion safe.
// Goals: ratio >= 1.0, peak RSS <= 512 MB at 10 M events, flat as N grows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeLogFolder } from '../src/generator';
import { removeDatabase } from '../src/service/db/database';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, '.bench');

interface Side { side: string; events: number; seconds: number; maxRssMB: number }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback);
}

async function logsFor(events: number): Promise<string> {
  const dir = path.join(BENCH, `logs-${events}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`generating ${events} events into ${path.relative(ROOT, dir)} ...\n`);
  await writeLogFolder(dir, { events, days: 7, seed: 42, end: new Date('2026-11-20T12:00:00Z') });
  fs.writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

function run(side: 'ours' | 'raw' | 'same', logs: string, events: number): Side {
  const out = execFileSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, 'ingest-run.ts'), side, logs, path.join(BENCH, `${side}-${events}.duckdb`)],
    // The raw side runs DuckDB as it comes: an empty DUCKDB_JE_MALLOC_CONF keeps trailhound's allocator tuning out.
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: side === 'raw' ? { ...process.env, DUCKDB_JE_MALLOC_CONF: '' } : process.env }
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main() {
  const sizes = arg('events', '1000000').split(',').map(Number);
  fs.mkdirSync(BENCH, { recursive: true });
  const rows: string[][] = [['events', 'trailhound ev/s', 'peak RSS', 'read_json ev/s', 'peak RSS', 'ratio', 'same work, one INSERT ev/s', 'peak RSS', 'trailhound ÷ it']];
  for (const n of sizes) {
    const logs = await logsFor(n);
    const ours = run('ours', logs, n);
    const raw = run('raw', logs, n);
    const same = run('same', logs, n);
    const rate = (s: Side) => s.events / s.seconds;
    rows.push([
      String(n),
      Math.round(rate(ours)).toLocaleString('en-US'),
      `${Math.round(ours.maxRssMB)} MB`,
      Math.round(rate(raw)).toLocaleString('en-US'),
      `${Math.round(raw.maxRssMB)} MB`,
      (rate(ours) / rate(raw)).toFixed(2),
      Math.round(rate(same)).toLocaleString('en-US'),
      `${Math.round(same.maxRssMB)} MB`,
      (rate(ours) / rate(same)).toFixed(2),
    ]);
    for (const side of ['ours', 'raw', 'same']) removeDatabase(path.join(BENCH, `${side}-${n}.duckdb`));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c])).join('  '));
  console.log('\nratio = trailhound events/s ÷ DuckDB read_json events/s on the same files (goal ≥ 1.0); goal: peak RSS ≤ 512 MB at 10 M events');
  console.log('same work, one INSERT = the same parse, normalisation and write without dedupe, ledger, kept files or batches; trailhound ÷ it shows what that safety costs');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
