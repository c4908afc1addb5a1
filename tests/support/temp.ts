import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { ingest, type IngestSummary } from '../../src/service/ingest';
import { originalFiles, originalRecords } from '../../src/service/reports/records';
import { logFile, type CloudTrailRecord } from './stratus';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'trailhound-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs `body` with a temporary folder and a new database in it (`db.duckdb`); both are removed afterwards. */
export async function withTempDatabase<T>(body: (dir: string, db: Database) => Promise<T>): Promise<T> {
  const dir = tempDir();
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  try {
    return await body(dir, db);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The event log files under `root` (not digests), and the distinct eventIDs in them. */
export function eventFiles(root: string): { files: number; unique: number } {
  const ids = new Set<string>();
  let files = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes(`${path.sep}CloudTrail${path.sep}`)) {
        files++;
        for (const r of JSON.parse(zlib.gunzipSync(fs.readFileSync(p)).toString()).Records) ids.add(r.eventID);
      }
    }
  };
  walk(root);
  return { files, unique: ids.size };
}

/** How many rows `from` (a table, or a table with its WHERE clause) holds. */
export async function rowCount(db: Database, from: string): Promise<number> {
  return Number((await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM ${from}`))!.n);
}

/** The S3 key layout for a day, e.g. AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/. */
export function dayPrefix(account: string, region: string, day: string, org?: string): string {
  return `AWSLogs/${org ? `${org}/` : ''}${account}/CloudTrail/${region}/${day.replace(/-/g, '/')}/`;
}

/** Writes files into a folder (creating sub-folders) and returns the folder. */
export function writeFiles(dir: string, files: Record<string, Buffer | string>): string {
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), body);
  }
  return dir;
}

/** Ingests the given records (one log file each list) from a temporary folder into a new database. */
export async function ingestRecords(
  files: CloudTrailRecord[][],
  options: { now?: Date; days?: number } = {}
): Promise<{ db: Database; summary: IngestSummary; cleanup: () => void }> {
  const dir = tempDir();
  files.forEach((records, i) => writeFiles(dir, { [`logs/file-${String(i).padStart(4, '0')}.json.gz`]: logFile(records) }));
  const db = await Database.open(path.join(dir, 'test.duckdb'));
  const summary = await ingest({ source: path.join(dir, 'logs'), db, ...options });
  return { db, summary, cleanup: () => { db.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

/** The original records of stored events, by event id, read back the way the service reads them (every event when no ids are given). */
export async function storedRecords(db: Database, ids?: string[]): Promise<Map<string, Record<string, unknown>>> {
  const conn = await db.connect();
  try {
    const wanted = ids ?? (await db.all<{ id: string }>('SELECT event_id AS id FROM events')).map((r) => r.id);
    return (await originalRecords(conn, db.originalsDir, wanted)).found;
  } finally {
    conn.closeSync();
  }
}

/**
 * What ingestion left in a database, to compare two ways to it: the events (but when they arrived), their resources,
 * the unreadable files, the records set aside, the ledger with its counts, and each event's record read back.
 */
export async function storedState(db: Database) {
  const events = await db.all<{ event_id: string }>(`SELECT * EXCLUDE (arrived_at) FROM events ORDER BY ALL`);
  const ids = [...new Set(events.map((e) => e.event_id))].sort();
  const records = await storedRecords(db, ids);
  return {
    events,
    resources: await db.all(`SELECT * FROM event_resources ORDER BY ALL`),
    errors: await db.all<{ key: string; kind: string; reason: string }>(`SELECT key, kind, reason FROM ingest_errors ORDER BY ALL`),
    rejected: await db.all(`SELECT reason, record::VARCHAR AS record FROM rejected_records ORDER BY ALL`),
    ledger: await db.all(`SELECT key, size, records, inserted, duplicates FROM ingested_objects ORDER BY ALL`),
    records: ids.map((id) => [id, records.get(id)]),
  };
}

/** A kept log file, as delivered, read back the way the service reads it. */
export async function storedFile(db: Database, key: string): Promise<Buffer | undefined> {
  const conn = await db.connect();
  try {
    const content = (await originalFiles(conn, db.originalsDir, [key])).get(key);
    return content && (content instanceof Uint8Array ? Buffer.from(content) : fs.readFileSync(content.path));
  } finally {
    conn.closeSync();
  }
}
