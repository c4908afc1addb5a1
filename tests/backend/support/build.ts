// Builds the backend executable for tests when dist/ is missing it or it is older than its sources.
// Jest runs test files in parallel workers: a lock folder makes one of them build while the others wait.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const DIST = path.join(ROOT, 'dist');
export const EXECUTABLE = path.join(DIST, `gpx_trailhound_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
export const BUNDLE = path.join(DIST, 'gpx_trailhound.cjs');
export const LAUNCHER = `${EXECUTABLE}.sh`;

const SOURCES = ['src/backend', 'src/model', 'scripts/build-backend.mjs', 'package-lock.json'];
const LOCK = path.join(ROOT, 'dist', '.build-backend.lock');

function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
    else if (!/\.test\.ts$/.test(p)) newest = Math.max(newest, stat.mtimeMs);
  };
  for (const s of SOURCES) if (fs.existsSync(path.join(ROOT, s))) visit(path.join(ROOT, s));
  return newest;
}

export function isStale(): boolean {
  const outputs = [EXECUTABLE, BUNDLE, LAUNCHER];
  if (!outputs.every((o) => fs.existsSync(o))) return true;
  const built = Math.min(...outputs.map((o) => fs.statSync(o).mtimeMs));
  return newestSource() > built;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs scripts/build-backend.mjs if needed; returns the executable's path. */
export async function ensureBackendBuilt(): Promise<string> {
  fs.mkdirSync(DIST, { recursive: true });
  for (const end = Date.now() + 120_000; Date.now() < end; ) {
    if (!isStale()) return EXECUTABLE;
    try {
      fs.mkdirSync(LOCK);
    } catch {
      // Another worker builds; a lock older than two minutes is from a crashed run.
      const lock = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 120_000) fs.rmSync(LOCK, { recursive: true, force: true });
      await sleep(200);
      continue;
    }
    try {
      if (isStale()) execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-backend.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      fs.rmSync(LOCK, { recursive: true, force: true });
    }
  }
  if (isStale()) throw new Error('the backend build did not finish within two minutes');
  return EXECUTABLE;
}
