// npx tsx bench/bad-files.ts [good=2000] [bad=2000] (KIND=badgzip|truncated|badjson|norecords: corrupt files of that kind only)
// Batches with bad files, reproducibly: N good generated files (~50 records each) and N corrupt ones of mixed kinds (not
// gzip, gzip cut in half, JSON cut short, no Records) in the same day folders, cached under .bench/, ingested by
// `trailhound ingest` code in a child process (bench/ingest-run.ts: its peak RSS is its own). Prints one JSON line:
// time, peak RSS, events, and the unreadable files the database lists. Figures: docs/DESIGN.md, "A batch with bad files".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { generateLogObjects } from '../src/generator';

const ROOT = path.resolve(__dirname, '..');
const good = Number(process.argv[2] ?? 2000);
const bad = Number(process.argv[3] ?? 2000);
const only = process.env.KIND;
const dir = path.join(ROOT, '.bench', `bad-batch-${good}-${bad}${only ? `-${only}` : ''}`);

if (!fs.existsSync(path.join(dir, '.complete'))) {
  fs.rmSync(dir, { recursive: true, force: true });
  let n = 0;
  const folders: string[] = [];
  for (const o of generateLogObjects({ events: good * 50, eventsPerFile: 50, days: 3, seed: 7, end: new Date('2026-11-20T12:00:00Z'), digest: false })) {
    if (n >= good) break;
    const file = path.join(dir, o.key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, o.body);
    if (!folders.includes(path.dirname(file))) folders.push(path.dirname(file));
    n++;
  }
  if (folders.length === 0) folders.push(path.join(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/19'));
  fs.mkdirSync(folders[0], { recursive: true });
  const sample = zlib.gzipSync(JSON.stringify({ Records: [{ eventID: 'x', eventTime: '2026-11-19T00:00:00Z' }] }));
  const kinds: Array<[string, () => Buffer]> = [
    ['badgzip', () => Buffer.from('this is not gzip at all, just text')],
    ['truncated', () => sample.subarray(0, Math.floor(sample.length / 2))],
    ['badjson', () => zlib.gzipSync('{"Records": [{"eventID": "a", ')],
    ['norecords', () => zlib.gzipSync('{"Something": []}')],
  ];
  for (let i = 0; i < bad; i++) {
    const chosen = only ? kinds.filter(([k]) => k === only) : kinds;
    const [kind, body] = chosen[i % chosen.length];
    const folder = folders[i % folders.length];
    // Spread over the good files' folders: every batch gets its share.
    fs.writeFileSync(path.join(folder, `111122223333_CloudTrail_us-east-1_20261119T${String(i).padStart(6, '0')}Z_${kind}.json.gz`), body());
  }
  fs.writeFileSync(path.join(dir, '.complete'), '');
}
const db = path.join(ROOT, '.bench', `bad-batch.duckdb`);
const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'bench/ingest-run.ts'), 'ours', dir, db], {
  cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
});
const result = JSON.parse(out.trim().split('\n').pop()!);
const check = execFileSync(process.execPath, ['bin/trailhound', 'report', 'ingest', '--db', db, '--json'], { cwd: ROOT, encoding: 'utf8' });
const errs = JSON.parse(check).frames[0].fields.find((f: { name: string }) => f.name === 'errors').values[0];
// Every corrupt file is recorded (the no-Records ones too), no good one.
console.log(JSON.stringify({ good, bad, ...result, recordedErrors: errs }));
