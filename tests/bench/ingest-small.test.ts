// `npm run bench:ingest` at the smallest sizes, run as a user runs it (all four sides in their own processes, on
// real generated files and DuckDB). 300 events of seed 42 put no file in the organization's account folder, whose
// read_json pattern then matched nothing and failed the whole run.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/cli';
import { tempDir } from '../support/temp';

// A folder name DuckDB would take for a pattern: its read_json side must read this folder's files, not match none.
let root: string;
let dir: string;
beforeAll(() => {
  root = tempDir();
  dir = path.join(root, 'runs [x] *');
  fs.mkdirSync(dir);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('runs at 1 and at 300 events: a row per size, every side measured', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', 'bench/ingest.bench.ts', '--events', '1,300', '--dir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const rows = stdout.split('\n').slice(1, 3).map((line) => line.trim().split(/\s{2,}/));
  expect(rows.map((r) => r[0])).toEqual(['1', '300']);
  for (const row of rows) {
    // events, then each side's events/s and peak RSS (the normalisation alone: events/s only), then the three ratios.
    expect(row).toHaveLength(11);
    for (const rate of [row[1], row[3], row[5], row[7]]) expect(Number(rate.replace(/,/g, ''))).toBeGreaterThan(0);
    for (const ratio of row.slice(8)) expect(Number(ratio)).toBeGreaterThan(0);
  }
  // The generated logs stay for a later run; the databases are removed.
  expect(fs.readdirSync(dir).sort()).toEqual(['logs-1', 'logs-300']);
}, 120_000);

test('a size under 1 is refused, saying what it takes', async () => {
  const run = promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', 'bench/ingest.bench.ts', '--events', '0', '--dir', dir], { cwd: ROOT });
  await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('--events 0: expected whole numbers, 1 or more') });
});
