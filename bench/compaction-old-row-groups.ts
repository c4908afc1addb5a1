// npx tsx bench/compaction-old-row-groups.ts [memoryLimit=80MB] [threads=4] [rowGroupFiles=127]
// A day compacted before row groups were bounded by bytes: 500 log files of 185 kB (random bytes) in one Parquet file
// of row groups of `rowGroupFiles` files (23 MB at 127), and 10 more files of the day in a batch's file since, so the
// day is due again. Compacts it once under `memoryLimit` and prints one JSON line: the outcome, the peak of
// duckdb_memory() (polled every 10 ms), the row groups read and written. Figures: docs/DESIGN.md, "Compaction".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { Database } from '../src/service/db/database';
import { compactOriginals } from '../src/service/ingest/originals';
import { keepRandomLogFiles } from '../tests/support/oldRowGroups';

const memoryLimit = process.argv[2] ?? '80MB';
const threads = Number(process.argv[3] ?? 4);
const rowGroupFiles = Number(process.argv[4] ?? 127);
const DAY = '2026-11-14';
const PREFIX = `AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/14/111122223333_CloudTrail_eu-west-1_`;

const rowGroups = async (db: Database) =>
  (await db.all<{ rows: bigint; bytes: bigint }>(
    `SELECT row_group_num_rows AS rows, row_group_bytes AS bytes FROM parquet_metadata($files) WHERE column_id = 0`, {
    files: listValue(fs.readdirSync(db.originalsDir).filter((f) => f.endsWith('.parquet')).map((f) => path.join(db.originalsDir, f))),
  })).map((r) => ({ files: Number(r.rows), mb: Number((Number(r.bytes) / 1e6).toFixed(1)) }));

async function main(dir: string): Promise<Record<string, unknown>> {
  const file = path.join(dir, 'db.duckdb');
  const setup = await Database.open(file);
  fs.mkdirSync(setup.originalsDir, { recursive: true });
  await keepRandomLogFiles(setup, { prefix: PREFIX, day: DAY, first: 0, count: 500, groupFiles: rowGroupFiles });
  await keepRandomLogFiles(setup, { prefix: PREFIX, day: DAY, first: 500, count: 10, groupFiles: 10 });
  const read = await rowGroups(setup);
  setup.close();
  const db = await Database.open(file, { memoryLimit, threads });
  const watcher = await db.connect();
  let peak = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const r = await watcher.runAndReadAll(`SELECT sum(memory_usage_bytes)::DOUBLE FROM duckdb_memory()`);
      peak = Math.max(peak, Number(r.getRowsJS()[0][0]));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    const started = performance.now();
    const summary = await compactOriginals(db, { now: new Date('2026-11-20T12:00:00Z') });
    const seconds = (performance.now() - started) / 1000;
    polling = false;
    await poll;
    const written = await rowGroups(db);
    return {
      memoryLimit, threads, rowGroupFiles, seconds: Number(seconds.toFixed(2)), peakMB: Math.round(peak / 1e6), days: summary.days,
      failed: summary.failed.map((f) => f.error.slice(0, 200)),
      readLargestMB: Math.max(...read.map((g) => g.mb)), writtenGroups: written.length,
      writtenFiles: `${Math.min(...written.map((g) => g.files))}-${Math.max(...written.map((g) => g.files))}`,
      writtenLargestMB: Math.max(...written.map((g) => g.mb)),
    };
  } finally {
    polling = false;
    await poll;
    watcher.closeSync();
    db.close();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-old-row-groups-'));
process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
main(dir).then(
  (line) => console.log(JSON.stringify(line)),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  }
);
