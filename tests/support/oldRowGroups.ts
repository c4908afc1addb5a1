// Kept log files as a day compacted before row groups were bounded by bytes kept them: for compaction's test and its
// benchmark (bench/compaction-old-row-groups.ts), which measure the same day.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import type { Database } from '../../src/service/db/database';

/**
 * Keeps `count` log files of 185 kB of random bytes (keys `prefix` f<n>.json.gz, n from `first`) of `day` in one
 * Parquet file, in row groups of `groupFiles` files, and adds their log_objects rows. A COPY ends a row group only where
 * a chunk read ends: each group is a file of its own first, then all are read into one.
 */
export async function keepRandomLogFiles(
  db: Database,
  { prefix, day, first, count, groupFiles }: { prefix: string; day: string; first: number; count: number; groupFiles: number }
): Promise<void> {
  const partsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-parts-'));
  try {
    const parts: string[] = [];
    for (let from = first; from < first + count; from += groupFiles) {
      parts.push(path.join(partsDir, `part-${from}.parquet`));
      await db.run(
        `COPY (SELECT $prefix || 'f' || r || '.json.gz' AS key, unhex(string_agg(md5(random()::VARCHAR || r || '-' || j), '')) AS content
               FROM range($from, $to) t(r), range(11600) u(j) GROUP BY r ORDER BY r)
         TO $part (FORMAT parquet, COMPRESSION uncompressed)`,
        { prefix, from, to: Math.min(from + groupFiles, first + count), part: parts[parts.length - 1] }
      );
    }
    const archive = `${crypto.randomUUID()}.parquet`;
    await db.run(`SET preserve_insertion_order = true`);
    await db.run(`COPY (SELECT * FROM read_parquet($parts)) TO $target (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE $rows)`, {
      parts: listValue(parts), target: path.join(db.originalsDir, archive), rows: groupFiles,
    });
    await db.run(`INSERT INTO log_objects SELECT $prefix || 'f' || r || '.json.gz', 'logs', 'etag', $archive, $day::DATE FROM range($first, $to) t(r)`, {
      prefix, first, to: first + count, archive, day,
    });
  } finally {
    fs.rmSync(partsDir, { recursive: true, force: true });
  }
}
