// A full disk under the database fails the run with what to do, records no good file as broken, and loses nothing:
// once there is room, the next run reads every file. The disk is a real one, a small tmpfs (mounting needs root).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Database } from '../../src/service/db/database';
import { writeLogFolder } from '../../src/generator';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import { rowCount, tempDir } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');

/** Mounts a tmpfs of `size` on `dir`; false where this user may not (not root, or no CAP_SYS_ADMIN in a container). */
function mountSmallDisk(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const probe = tempDir();
const canMount = mountSmallDisk(probe, '1m');
if (canMount) execFileSync('umount', [probe]);
fs.rmSync(probe, { recursive: true, force: true });
if (!canMount) console.warn('disk-full test SKIPPED: it mounts a small tmpfs, which needs root (CI runs as root)');
const testWithMount = canMount ? test : test.skip;

testWithMount('a full disk fails the run as disk-full, saying what to do; with room again, the next run reads every file', async () => {
  const dir = tempDir();
  const disk = path.join(dir, 'disk');
  fs.mkdirSync(disk);
  expect(mountSmallDisk(disk, '4m')).toBe(true);
  let db: Database | undefined;
  try {
    const logs = path.join(dir, 'logs');
    await writeLogFolder(logs, { events: 40_000, days: 1, end: NOW, seed: 3 });
    db = await Database.open(path.join(disk, 'db.duckdb'));
    const run = () => ingest({ source: logs, db: db!, days: 1, now: NOW });
    await expect(run()).rejects.toThrow(
      /No space left on device: free space on that disk, or give it more; a retention \(--retention-days, or TRAILHOUND_RETENTION_DAYS\) keeps the database/
    );
    const status = await new Reports(db).ingestStatus();
    expect({ kinds: status.lastPollErrorKinds, error: status.lastPollError })
      .toEqual({ kinds: ['disk-full'], error: expect.stringMatching(/free space on that disk/) });
    // Not the files' fault: none is recorded as unreadable (which would not be read again until it changed).
    expect(await rowCount(db, 'ingest_errors')).toBe(0);

    execFileSync('mount', ['-o', 'remount,size=256m', disk]);
    const summary = await run();
    expect(summary.errors).toBe(0);
    expect(await rowCount(db, 'events')).toBe(40_000);
    expect((await new Reports(db).ingestStatus()).lastPollError).toBeNull();
  } finally {
    db?.close();
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
