// The compiled CLI (npm run build:service), which a production install runs: the image is `npm ci --omit=dev`, without
// tsx, so bin/trailhound runs build/service/trailhound.cjs. Every other test runs the TypeScript sources through tsx;
// this one shows the bundle itself keeps its heavy modules lazy, ingests, serves and stops.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeLogFolder } from '../../src/generator';
import { HEAVY_PACKAGES, loadedPackagesProbe, ROOT } from '../support/cli';
import { tempDir } from '../support/temp';

const BUILT = path.join(ROOT, 'build', 'service', 'trailhound.cjs');

function runBuilt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BUILT, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

let dir: string;
beforeAll(() => {
  dir = tempDir();
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-service.mjs')], { cwd: ROOT, stdio: 'pipe' });
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--version and --help load none of the modules only a command needs (esbuild kept them lazy)', async () => {
  const { preload, loaded: loadedBy } = loadedPackagesProbe(dir);
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  for (const args of [['--version'], ['serve', '--help']]) {
    const r = await runBuilt(args, { NODE_OPTIONS: `--require ${preload}` });
    expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
    if (args[0] === '--version') expect(r.stdout.trim()).toBe(version);
    const loaded = loadedBy();
    // commander is loaded: the preload sees the bundle's packages (they stay in node_modules), so an empty list proves something.
    expect([args, loaded]).toEqual([args, expect.arrayContaining(['commander'])]);
    expect([args, HEAVY_PACKAGES.filter((name) => loaded.includes(name))]).toEqual([args, []]);
  }
}, 30_000);

test('ingests a generated folder, and a second run stores nothing twice', async () => {
  const logs = path.join(dir, 'logs');
  await writeLogFolder(logs, { events: 2_000, days: 3, seed: 7, end: new Date() });
  const db = path.join(dir, 'ingest', 'trailhound.duckdb');
  const first = await runBuilt(['ingest', '--source', logs, '--db', db, '--json']);
  expect([first.code, first.stderr]).toEqual([0, '']);
  const summary = JSON.parse(first.stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ errors: 0 });
  expect(summary.events).toBeGreaterThan(1_500);
  const again = JSON.parse((await runBuilt(['ingest', '--source', logs, '--db', db, '--json'])).stdout.trim().split('\n').pop()!);
  expect(again).toMatchObject({ objects: 0, events: 0 });
}, 60_000);

test('serves the API with its pino log, and stops on SIGTERM', async () => {
  const logs = path.join(dir, 'serve-logs');
  await writeLogFolder(logs, { events: 500, days: 1, seed: 8, end: new Date() });
  const child = spawn(
    process.execPath,
    [BUILT, 'serve', '--source', logs, '--db', path.join(dir, 'serve', 'trailhound.duckdb'), '--listen', '127.0.0.1:0', '--poll-interval', '3600'],
    { cwd: ROOT, env: { ...process.env, TRAILHOUND_TOKEN: 'built-cli-token-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
    });
    // The first poll ends with its log line; then the events are there to count.
    while (!out.includes('"msg":"ingest finished"')) await new Promise((r) => setTimeout(r, 100));
    const headers = { authorization: 'Bearer built-cli-token-0123456789' };
    expect(await (await fetch(`${url}/api/health`)).json()).toMatchObject({ status: 'ok', database: 'open' });
    expect((await fetch(`${url}/api/trails`)).status).toBe(401);
    const status = await (await fetch(`${url}/api/ingest/status`, { headers })).json();
    expect(status).toMatchObject({ errors: 0, lastPollError: null });
    expect(status.events).toBeGreaterThan(300);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  // Its log lines are pino's JSON, one per line.
  expect(out.trim().split('\n').every((line) => typeof JSON.parse(line).msg === 'string')).toBe(true);
}, 60_000);
