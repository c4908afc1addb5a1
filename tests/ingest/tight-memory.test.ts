// Ingestion under a tight memory limit: files too big for it wait for a later try, saying why, and the rest are
// loaded in smaller batches. Never a crash: DuckDB's list_distinct, out of memory there, killed the process with a
// segfault (see src/service/db/distinct.ts), and every later run came back to the same files to crash again. Here it
// did in about half the runs: src/service/db/distinct.test.ts is the certain check that no statement uses it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeLogFolder } from '../../src/generator';
import { Database } from '../../src/service/db/database';
import { runCli } from '../support/cli';
import { dayPrefix, eventFiles, tempDir, writeFiles } from '../support/temp';

test('at TRAILHOUND_MEMORY_LIMIT=100MB, every file loads in smaller batches or waits for a later try, without a crash', async () => {
  const dir = tempDir();
  try {
    const logs = path.join(dir, 'logs');
    const now = new Date();
    await writeLogFolder(logs, { events: 60_000, days: 2, seed: 4, end: now });
    const today = now.toISOString().slice(0, 10);
    for (let f = 0; f < 3; f++) {
      const records = Array.from({ length: 3000 }, (_, k) => ({
        eventID: `big-${f}-${k}`, eventTime: `${today}T00:00:01Z`, eventName: 'PutObject', eventSource: 's3.amazonaws.com',
        requestParameters: { bucketName: `bucket-${k % 7}`, pad: 'x'.repeat(4000 + k) },
      }));
      writeFiles(logs, { [`${dayPrefix('111122223333', 'us-east-1', today)}big-${f}.json.gz`]: zlib.gzipSync(JSON.stringify({ Records: records })) });
    }
    const db = path.join(dir, 'db.duckdb');
    const run = await runCli(['ingest', '--source', logs, '--db', db, '--days', '2', '--concurrency', '1', '--json'], { TRAILHOUND_MEMORY_LIMIT: '100MB' });
    // A crash is no exit code (killed by SIGSEGV): its stderr says what there is to say.
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const database = await Database.open(db);
    try {
      // Every event file is loaded or waits for its next try, saying it ran out of memory: how many of each depends on
      // the machine (DuckDB's threads share the limit). Here: the three big ones wait, the rest load in smaller batches.
      const files = await database.all<{ key: string; reason: string }>(`SELECT key, reason FROM ingest_errors ORDER BY key`);
      expect(files.filter((f) => !/memory/i.test(f.reason))).toEqual([]);
      expect(summary.errors).toBe(files.length);
      const stored = await database.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ingested_objects`);
      expect(stored[0].n + files.length).toBe(eventFiles(logs).files);
      // Memory was tight: batches were halved, or files had to wait.
      expect(summary.halved + files.length).toBeGreaterThan(0);
    } finally {
      database.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
