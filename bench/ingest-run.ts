// One side of the ingest benchmark, in its own process so that its peak RSS is its own.
//   ours <logs> <db>: trailhound's ingestion (the same code as `trailhound ingest`)
//   raw  <logs> <db>: DuckDB's own read_json of the same event files, every record stored as JSON in a table.
//        (read_json's schema auto-detection cannot serve as the baseline: on varied CloudTrail records it fails
//        with "unknown key" as soon as a file holds a shape its sample did not.)
//   same <logs> <db>: the same parse, normalisation and write as trailhound, as one DuckDB INSERT over all files,
//        without what makes ingestion safe to re-run (dedupe, ledger, kept log files, resource index, batches):
//        the cost of the work itself, to tell it apart from the cost of the pipeline around it.
//   normalise <logs> <db>: the same parse and normalisation, every column of every event computed (folded into a
//        checksum), and nothing stored: the least work an ingestion that normalises does, so its events/s is the
//        highest such an ingestion can reach on this machine (the ceiling of the ratio to read_json).
// As the trailhound executable does, before DuckDB loads (the raw side is started with DuckDB's own allocator
// settings: see ingest.bench.ts).
import '../src/service/env';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, listValue } from '@duckdb/node-api';
import { Database, removeDatabase } from '../src/service/db/database';
import { literalPath } from '../src/service/db/filePaths';
import { DEFAULTS, memoryLimit } from '../src/service/config';
import { ingest } from '../src/service/ingest';
import { normaliseSql } from '../src/service/ingest/normalise';

/** Whether any file matches `pattern`'s path segments under `dir` ('*' any name; '*.json.gz' any name so ending). */
function matches(dir: string, pattern: string[]): boolean {
  const [first, ...rest] = pattern;
  const fits = (name: string) => (first.startsWith('*') ? name.endsWith(first.slice(1)) : name === first);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => fits(e.name) && (rest.length === 0 ? e.isFile() : e.isDirectory() && matches(path.join(dir, e.name), rest)));
}

/**
 * Event files only, with and without an organization folder: the same files trailhound reads. Only the patterns that
 * match a file: read_json fails on one that matches none, as the organization one did at small sizes (300 generated
 * events: no file fell to the organization's account). At 1 M both match, and the query is the one it always was.
 */
function eventFiles(logs: string) {
  const patterns = ['AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz', 'AWSLogs/*/*/CloudTrail/*/*/*/*/*.json.gz'].filter((p) => matches(logs, p.split('/')));
  if (patterns.length === 0) throw new Error(`no CloudTrail event files under ${logs}/AWSLogs`);
  // The folder as written (brackets around any * ? [ in it), the patterns after it as patterns.
  return listValue(patterns.map((p) => `${literalPath(path.resolve(logs))}/${p}`));
}

/** Every record of the files in `$glob`, as trailhound's loader gives them to normaliseSql: (object_key, ord, r). */
const RECORDS = `(SELECT filename AS object_key, unnest(range(len(Records)))::INTEGER AS ord, unnest(Records) AS r
  FROM read_json($glob, columns = {Records: 'MAP(VARCHAR, JSON)[]'}, filename = true, maximum_object_size = 268435456))`;

async function main() {
  const [side, logs, db] = process.argv.slice(2);
  removeDatabase(db);
  // Which patterns match is found before the clock starts (and only by the sides that read them): what is timed is
  // DuckDB's own globbing and reading, as before.
  const glob = side === 'ours' ? listValue([]) : eventFiles(logs);
  const started = process.hrtime.bigint();
  let events = 0;
  if (side === 'ours') {
    const database = await Database.open(db, { memoryLimit: memoryLimit(DEFAULTS.memoryLimit) });
    const summary = await ingest({ source: logs, db: database, days: 3650 });
    events = summary.events + summary.duplicates;
    await database.run('CHECKPOINT');
    database.close();
  } else if (side === 'same') {
    const database = await Database.open(db);
    await database.run(`INSERT INTO events BY NAME SELECT * FROM (${normaliseSql(RECORDS)}) WHERE event_time IS NOT NULL`, { glob });
    events = Number((await database.all<{ n: bigint }>('SELECT count(*) AS n FROM events'))[0].n);
    await database.run('CHECKPOINT');
    database.close();
  } else if (side === 'normalise') {
    // Folded into a sum of hashes, every column is computed: with count(*) alone DuckDB would skip the unused ones.
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const reader = await conn.runAndReadAll(
      `SELECT count(*) FILTER (WHERE event_time IS NOT NULL), sum(hash(COLUMNS(*))) FROM (${normaliseSql(RECORDS)})`,
      { glob }
    );
    events = Number(reader.getRowsJS()[0][0]);
    conn.closeSync();
    instance.closeSync();
  } else {
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    await conn.run(
      `CREATE TABLE raw AS SELECT unnest(Records) AS record
       FROM read_json($glob, columns = {Records: 'JSON[]'}, maximum_object_size = 268435456)`,
      { glob }
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
