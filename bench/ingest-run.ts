// One side of the ingest benchmark, in its own process so that its peak RSS is its own.
//   ours <logs> <db>: trailhound's ingestion (the same code as `trailhound ingest`)
//   raw  <logs> <db>: DuckDB's own read_json of the same event files, every record stored as JSON in a table.
//        (read_json's schema auto-detection cannot serve as the baseline: on varied CloudTrail records it fails
//        with "unknown key" as soon as a file holds a shape its sample did not.)
// As the trailhound executable does, before DuckDB loads (the raw side is started with DuckDB's own allocator
// settings: see ingest.bench.ts).
import '../src/service/env';
import fs from 'node:fs';
import { DuckDBInstance, listValue } from '@duckdb/node-api';
import { Database, databaseFiles } from '../src/service/db/database';
import { DEFAULTS, memoryLimit } from '../src/service/config';
import { ingest } from '../src/service/ingest';

async function main() {
  const [side, logs, db] = process.argv.slice(2);
  for (const leftover of Object.values(databaseFiles(db))) fs.rmSync(leftover, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  let events = 0;
  if (side === 'ours') {
    const database = await Database.open(db, { memoryLimit: memoryLimit(DEFAULTS.memoryLimit) });
    const summary = await ingest({ source: logs, db: database, days: 3650 });
    events = summary.events + summary.duplicates;
    await database.run('CHECKPOINT');
    database.close();
  } else {
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    await conn.run(
      `CREATE TABLE raw AS SELECT unnest(Records) AS record
       FROM read_json($glob, columns = {Records: 'JSON[]'}, maximum_object_size = 268435456)`,
      // Event files only, with and without an organization folder: the same files trailhound reads.
      { glob: listValue([`${logs}/AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz`, `${logs}/AWSLogs/*/*/CloudTrail/*/*/*/*/*.json.gz`]) }
    );
    const reader = await conn.runAndReadAll('SELECT count(*) FROM raw');
    events = Number(reader.getRowsJS()[0][0]);
    await conn.run('CHECKPOINT');
    conn.closeSync();
    instance.closeSync();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ side, events, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
