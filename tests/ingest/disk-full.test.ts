// A full disk under the database fails the run with what to do, records no good file as broken, and loses nothing:
// once there is room, the next run reads every file. The advice names the disk that filled: the database's (where a big
// file's copies go too) or the temporary folder's (S3 downloads, a folder source's links). The disk is a real one, a small tmpfs (mounting needs root).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { writeLogFolder } from '../../src/generator';
import type { KindedError } from '../../src/service/errorKind';
import { ingest } from '../../src/service/ingest';
import { copyFolder } from '../../src/service/ingest/recordsArray';
import { Reports } from '../../src/service/reports';
import { startTestS3 } from '../support/s3';
import { logFile } from '../support/stratus';
import { dayPrefix, rowCount, tempDir, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');

/**
 * Mounts a tmpfs of `size` (and at most `inodes` files and folders) on `dir`; false where this user may not (not root,
 * or no CAP_SYS_ADMIN in a container).
 */
function mountSmallDisk(dir: string, size: string, inodes?: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${inodes ? `,nr_inodes=${inodes}` : ''}`, 'tmpfs', dir], { stdio: 'ignore' });
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

/** Runs `body` with a temporary folder and a small disk of `size` mounted on its `disk` folder; both go afterwards. */
async function withSmallDisk(size: string, body: (dir: string, disk: string) => Promise<void>, inodes?: number): Promise<void> {
  const dir = tempDir();
  const disk = path.join(dir, 'disk');
  fs.mkdirSync(disk);
  expect(mountSmallDisk(disk, size, inodes)).toBe(true);
  try {
    await body(dir, disk);
  } finally {
    execFileSync('umount', ['-l', disk]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

testWithMount('a full disk fails the run as disk-full, saying what to do; with room again, the next run reads every file', () =>
  withSmallDisk('4m', async (dir, disk) => {
    let db: Database | undefined;
    try {
      const logs = path.join(dir, 'logs');
      await writeLogFolder(logs, { events: 40_000, days: 1, end: NOW, seed: 3 });
      db = await Database.open(path.join(disk, 'db.duckdb'));
      const run = () => ingest({ source: logs, db: db!, days: 1, now: NOW });
      await expect(run()).rejects.toThrow(
        `No space left on device: the disk of the database's folder ${disk} is full: free space on it, or give it more; ` +
          'a retention (--retention-days, or TRAILHOUND_RETENTION_DAYS) keeps the database from filling it again'
      );
      const status = await new Reports(db).ingestStatus();
      expect({ kinds: status.lastPollErrorKinds, error: status.lastPollError })
        .toEqual({ kinds: ['disk-full'], error: expect.stringContaining(`the disk of the database's folder ${disk} is full`) });
      // Not the files' fault: none is recorded as unreadable (which would not be read again until it changed).
      expect(await rowCount(db, 'ingest_errors')).toBe(0);

      execFileSync('mount', ['-o', 'remount,size=256m', disk]);
      const summary = await run();
      expect(summary.errors).toBe(0);
      expect(await rowCount(db, 'events')).toBe(40_000);
      expect((await new Reports(db).ingestStatus()).lastPollError).toBeNull();
    } finally {
      db?.close();
    }
  }), 120_000);

/**
 * Ingests the log file `name` into a database on a 6 MiB disk, which holds the database but not the copy that reading the
 * file takes: the run fails as disk-full, naming the database's folder, records no file as broken and leaves no copy.
 * With room, the next run loads the file's `events`.
 */
function copyFillsTheDatabaseDisk(name: string, body: Buffer, events: number): Promise<void> {
  return withSmallDisk('6m', async (dir, disk) => {
    let db: Database | undefined;
    try {
      const logs = writeFiles(path.join(dir, 'logs'), { [name]: zlib.gzipSync(body) });
      db = await Database.open(path.join(disk, 'db.duckdb'));
      const run = () => ingest({ source: logs, db: db! });
      const failed = (await run().catch((err: unknown) => err)) as KindedError;
      const advice = `the disk of the database's folder ${disk} is full: `;
      expect({ kind: failed.kind, message: failed.message }).toEqual({
        kind: 'disk-full',
        message: expect.stringMatching(new RegExp(`^ENOSPC: no space left on device, write: ${advice}`)),
      });
      expect(await rowCount(db, 'ingest_errors')).toBe(0);
      expect(fs.existsSync(db.stagingDir)).toBe(false);

      execFileSync('mount', ['-o', 'remount,size=256m', disk]);
      expect(await run()).toMatchObject({ objects: 1, events, errors: 0 });
      expect(fs.existsSync(db.stagingDir)).toBe(false);
    } finally {
      db?.close();
    }
  });
}

testWithMount('a big file\'s copy fills the database\'s disk, not the temporary folder\'s: the advice names that disk, and no copy is left', async () => {
  // 12 MB unpacked, a few kB as gzip.
  const pad = 'x'.repeat(1200);
  const records = Array.from({ length: 9_000 }, (_, i) => ({
    eventID: `big-${i}`, eventTime: '2026-11-20T10:00:00Z', eventName: 'PutObject', requestParameters: { key: `${pad}-${i}` },
  }));
  await copyFillsTheDatabaseDisk('big.json.gz', Buffer.from(JSON.stringify({ Records: records })), 9_000);
}, 120_000);

testWithMount('a copy with invalid UTF-8 replaced that fills the database\'s disk fails the run, and the file is not recorded as broken', async () => {
  // 2 MB of bytes that are not UTF-8, each 3 bytes once replaced: a cleaned copy of over 6 MB.
  const body = Buffer.concat([
    Buffer.from('{"Records":[{"eventID":"latin","eventTime":"2026-11-20T10:00:00Z","eventName":"PutObject","userAgent":"'),
    Buffer.alloc(2 * 1024 * 1024, 0xff),
    Buffer.from('"}]}'),
  ]);
  await copyFillsTheDatabaseDisk('latin1.json.gz', body, 1);
}, 120_000);

testWithMount('S3 downloads that fill the temporary folder\'s disk fail the run with advice that names that folder, not the database\'s', () =>
  withSmallDisk('1m', async (dir, tmp) => {
    const s3 = await startTestS3();
    const db = await Database.open(path.join(dir, 'db', 'db.duckdb'));
    const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(tmp);
    try {
      await s3.createBucket('full');
      // Random bytes do not compress: each file is over the temporary folder's 1 MiB.
      const blob = crypto.randomBytes(1_500_000).toString('base64');
      const prefix = dayPrefix('111122223333', 'us-east-1', '2026-11-20');
      for (const name of ['a', 'b']) {
        await s3.put('full', `${prefix}${name}.json.gz`, logFile([{ eventID: name, eventTime: '2026-11-20T10:00:00Z', requestParameters: { blob } }]));
      }
      const failed = (await ingest({ source: 's3://full', db, days: 1, now: NOW, s3Endpoint: s3.endpoint }).catch((err: unknown) => err)) as KindedError;
      expect({ kind: failed.kind, message: failed.message }).toEqual({
        kind: 'disk-full',
        message:
          'none of the 2 log files could be downloaded, e.g. ENOSPC: no space left on device, write: ' +
          `the disk of the temporary folder ${tmp} is full (S3 downloads wait there for their batch): free space on it, ` +
          'or set TMPDIR to a folder on a disk with room',
      });
    } finally {
      tmpdir.mockRestore();
      db.close();
      await s3.stop();
    }
  }), 120_000);

// Node's error for a link names the file linked to as its path (the source folder's, here beside the database) and the
// link as its dest: the advice named the database's disk, which had room.
testWithMount('a folder source\'s links that fill the temporary folder\'s disk get advice that names that folder, wherever the source is', () =>
  withSmallDisk('1m', async (dir, tmp) => {
    const db = await Database.open(path.join(dir, 'db', 'db.duckdb'));
    const tmpdir = jest.spyOn(os, 'tmpdir').mockReturnValue(tmp);
    try {
      // A '?' in its name: DuckDB reads it through a link in the temporary folder, whose disk has room for the links' folder alone.
      const records = JSON.stringify({ Records: [{ eventID: 'a', eventTime: '2026-11-20T10:00:00Z' }] });
      const logs = writeFiles(path.join(dir, 'db', 'logs'), { 'odd?.json': records });
      const failed = (await ingest({ source: logs, db }).catch((err: unknown) => err)) as KindedError;
      expect({ kind: failed.kind, message: failed.message }).toEqual({
        kind: 'disk-full',
        message: expect.stringContaining(
          `: the disk of the temporary folder ${tmp} is full (links to the source's files whose names DuckDB would misread are made there): `
        ),
      });
    } finally {
      tmpdir.mockRestore();
      db.close();
    }
  }, 2), 120_000);

// A disk with inodes for the staging folder and none for the copy's folder in it: mkdtemp fails after the mkdir.
testWithMount('a copy\'s folder that cannot be made leaves no empty staging folder beside the database', () =>
  withSmallDisk('1m', async (_dir, disk) => {
    const staging = path.join(disk, 'db.duckdb.staging');
    expect(() => copyFolder(staging, 'trailhound-records-')).toThrow(/ENOSPC/);
    expect(fs.readdirSync(disk)).toEqual([]);
  }, 2), 120_000);
