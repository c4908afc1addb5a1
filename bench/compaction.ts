// npx tsx bench/compaction.ts [files=20000] [perArchive=70] [bytes=2000] [memoryLimit] [days=1]
// `days` finished days of `files` kept log files in all, in Parquet files of `perArchive` each (as 5-minute polls leave
// them; with days > 1 each Parquet file holds every day's, in turn, as a first load's batches do),
// written straight into a new database's originals folder (no ingestion: only log_objects and the files matter here),
// then compacted once. Prints one JSON line: time, peak RSS, files and bytes. Figures: docs/DESIGN.md, "Compaction".
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { Database } from '../src/service/db/database';
import { WRITTEN_PARQUET_OPTIONS } from '../src/service/ingest/keptRowGroups';
import { compactOriginals } from '../src/service/ingest/originals';

const files = Number(process.argv[2] ?? 20_000);
const perArchive = Number(process.argv[3] ?? 70);
const bytes = Number(process.argv[4] ?? 2000);
const memoryLimit = process.argv[5] || undefined;
const days = Number(process.argv[6] ?? 1);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-compaction-'));
  try {
    const file = path.join(dir, 'db.duckdb');
    const setup = await Database.open(file);
    fs.mkdirSync(setup.originalsDir, { recursive: true });
    const dayOf = (n: number) => `2026-11-${String(14 - (n % days)).padStart(2, '0')}`;
    const key = (n: number) => `AWSLogs/111122223333/CloudTrail/eu-west-1/${dayOf(n).replaceAll('-', '/')}/111122223333_CloudTrail_eu-west-1_${n}.json.gz`;
    for (let first = 0; first < files; first += perArchive) {
      const keys = Array.from({ length: Math.min(perArchive, files - first) }, (_, i) => key(first + i));
      const archive = `${crypto.randomUUID()}.parquet`;
      // Random bytes (hex) that do not compress much, as gzip files do not.
      await setup.run(
        `COPY (SELECT k AS key, unhex(substr(repeat(md5(k), $reps), 1, $len))::BLOB AS content FROM (SELECT unnest($keys) AS k))
         TO '${path.join(setup.originalsDir, archive)}' (${WRITTEN_PARQUET_OPTIONS})`,
        { keys: listValue(keys), reps: Math.ceil((bytes * 2) / 32), len: bytes * 2 }
      );
      await setup.run(`INSERT INTO log_objects SELECT unnest($keys), 'bench', 'etag', $archive, unnest($days)::DATE`, {
        keys: listValue(keys), archive, days: listValue(keys.map((_, i) => dayOf(first + i))),
      });
    }
    setup.close();
    const db = await Database.open(file, memoryLimit ? { memoryLimit } : {});
    try {
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const started = performance.now();
      const summary = await compactOriginals(db, { now: new Date('2026-11-20T12:00:00Z') });
      const seconds = (performance.now() - started) / 1000;
      clearInterval(timer);
      // An hour later, nothing due: what finding the due days costs each hour (its rows checkpointed, as by then).
      await db.run('CHECKPOINT');
      const idleStarted = performance.now();
      await compactOriginals(db, { now: new Date('2026-11-20T13:00:00Z') });
      const idleSeconds = (performance.now() - idleStarted) / 1000;
      console.log(JSON.stringify({
        files, perArchive, bytes, memoryLimit, days, seconds: Number(seconds.toFixed(2)), idleSeconds: Number(idleSeconds.toFixed(2)),
        peakRssAddedMB: Math.round((peak - rssBefore) / 1e6),
        daysCompacted: summary.days, filesRead: summary.filesRead, writtenMB: Number((summary.bytesWritten / 1e6).toFixed(1)), failed: summary.failed,
      }));
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
