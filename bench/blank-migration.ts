// Times schema version 21's migration (blank values read as absent) on a generated version 20 database of N events
// (default 10 M), one in a thousand with a blank value somewhere: its statements alone, in one transaction, then the
// whole open from version 20 again (the statements find nothing left). Usage: npx tsx bench/blank-migration.ts [events] [dir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database } from '../src/service/db/database';
import { BLANK_VALUES_SQL, RESOURCE_INDEX_SELECT, SCHEMA_SQL } from '../src/service/db/schema';

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 10_000_000);
  const dir = fs.mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), 'blank-migration-'));
  const file = path.join(dir, 'v20.duckdb');
  try {
    const old = await DuckDBInstance.create(file);
    const conn = await old.connect();
    await conn.run(SCHEMA_SQL);
    // i % 1000 picks which column of the event is blank (0 to 10), else none.
    const blank = (n: number, column: string, otherwise: string) => `CASE WHEN i % 1000 = ${n} THEN ' ' ELSE ${otherwise} END AS ${column}`;
    await conn.run(`INSERT INTO events BY NAME
      SELECT 'e-' || i AS event_id, TIMESTAMP '2026-01-01' + to_seconds(i % 2592000) AS event_time,
        ${blank(0, 'event_name', "'RunInstances'")}, ${blank(1, 'event_source', "'ec2.amazonaws.com'")}, ${blank(1, 'service', "'ec2'")},
        ${blank(2, 'region', "'us-east-1'")}, '111122223333' AS account, 'user-' || (i % 500) AS user_name, ${blank(3, 'identity_type', "'IAMUser'")},
        ${blank(4, 'invoked_by', 'NULL')}, ${blank(5, 'principal_arn', "'arn:aws:iam::111122223333:user/u'")},
        ${blank(6, 'source_ip', "'203.0.113.' || (i % 250)")}, false AS source_is_ip, false AS read_only, ${blank(7, 'error_code', 'NULL')},
        i % 1000 = 7 AS is_error, false AS is_unauthorized, ${blank(8, 'event_category', "'Management'")}, 'k' || (i // 1000) AS object_key,
        CASE WHEN i % 1000 = 9 THEN [{'id': ' ', 'name': ' '}, {'id': 'i-' || i, 'name': 'i-' || i}]
             ELSE [{'id': 'i-' || (i % 10000), 'name': 'i-' || (i % 10000)}] END AS resources
      FROM range(${events}) t(i)`);
    await conn.run(`INSERT INTO event_resources ${RESOURCE_INDEX_SELECT('events')}`);
    await conn.run(`INSERT INTO meta VALUES ('schema_version', '20')`);
    conn.closeSync();
    old.closeSync();
    const migrating = await DuckDBInstance.create(file);
    const direct = await migrating.connect();
    let started = performance.now();
    await direct.run('BEGIN TRANSACTION');
    for (const sql of BLANK_VALUES_SQL) await direct.run(sql);
    await direct.run('COMMIT');
    const migration = (performance.now() - started) / 1000;
    direct.closeSync();
    migrating.closeSync();
    started = performance.now();
    const db = await Database.open(file);
    const again = (performance.now() - started) / 1000;
    const left = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE region = ' ' OR source_ip = ' ' OR error_code = ' '`);
    db.close();
    console.log(
      `${events} events: the migration's statements took ${migration.toFixed(1)} s; the open from version 20 again (nothing left) ` +
        `${again.toFixed(1)} s; blank values left: ${left?.n}`
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
