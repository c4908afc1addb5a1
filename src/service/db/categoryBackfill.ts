// Schema version 13: the category of the events stored before it, read from their original records. The records are
// kept as delivered (gzip inside Parquet files, or big files of their own: see log_objects), which only Node unpacks,
// so this is a pass in Node over every kept file, one archive at a time, not an UPDATE from SQL alone.
import fs from 'node:fs';
import path from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { eventCategorySql } from '../../model/fieldRules';
import { recordsOf, scanRecords } from '../reports/recordScan';

/**
 * What the category rule reads of a record, as the ingestion's SQL sees it (JSON scalars as text). Absent is '' (a
 * list of strings and NULLs is not bound as strings), which the rule reads as absent too.
 */
interface CategoryFields {
  key: string;
  index: number;
  id: string;
  category: string;
  management: string;
  type: string;
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function fieldsOf(key: string, index: number, record: Record<string, unknown>): CategoryFields {
  return { key, index, id: text(record.eventID), category: text(record.eventCategory), management: text(record.managementEvent), type: text(record.eventType) };
}

/** The category fields of every record of one kept file given whole, or by its path (a big file: read as a stream). */
async function fileFields(key: string, content: Uint8Array | { path: string }): Promise<CategoryFields[]> {
  const fields: CategoryFields[] = [];
  if (!(content instanceof Uint8Array)) {
    const layout = await scanRecords(content.path, () => true, (i, json) => {
      fields.push(fieldsOf(key, i, JSON.parse(json.toString('utf8')) as Record<string, unknown>));
      return false;
    });
    if (layout) return fields;
    content = fs.readFileSync(content.path);
  }
  recordsOf(content).forEach((record, i) => fields.push(fieldsOf(key, i, record)));
  return fields;
}

/**
 * Sets event_category where it is NULL, from each event's original record: by its file and position, where the
 * record's eventID agrees (records without one were stored under an md5: id); events stored before version 4
 * (`legacyRecords`) from the copy each kept. Events whose kept file is gone keep NULL.
 * Memory: FILES_AT_ONCE kept files at a time, and five short fields of each of at most RECORDS_PER_UPDATE records.
 */
export async function fillEventCategories(conn: DuckDBConnection, originalsDir: string, legacyRecords: boolean): Promise<void> {
  if (legacyRecords) {
    const field = (name: string) => `(record['${name}'] ->> '$')`;
    await conn.run(`UPDATE events SET event_category = ${eventCategorySql(field('eventCategory'), field('managementEvent'), field('eventType'))}
      WHERE event_category IS NULL AND record IS NOT NULL`);
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE category_fill (k VARCHAR, i INTEGER, id VARCHAR, category VARCHAR, management VARCHAR, type VARCHAR)`);
  // Records are gathered until there are enough for one pass of the UPDATE over the events (each pass reads them all).
  let pending: CategoryFields[] = [];
  const gather = async (fields: CategoryFields[]) => {
    pending.push(...fields);
    if (pending.length < RECORDS_PER_UPDATE) return;
    await fill(conn, pending);
    pending = [];
  };
  const archives = await conn.runAndReadAll(`SELECT archive, list(key) FROM log_objects GROUP BY archive`);
  for (const [archive, keys] of archives.getRowsJS() as Array<[string, string[]]>) {
    const file = path.join(originalsDir, archive);
    if (!fs.existsSync(file)) continue;
    if (!archive.endsWith('.parquet')) {
      await gather(await fileFields(keys[0], { path: file }));
      continue;
    }
    // A few files at a time, not the whole batch's: memory stays that of FILES_AT_ONCE files, whatever the archive.
    for (let at = 0; at < keys.length; at += FILES_AT_ONCE) {
      const rows = await conn.runAndReadAll(`SELECT key, content FROM read_parquet($file) WHERE key IN (SELECT unnest($keys))`, {
        file,
        keys: listValue(keys.slice(at, at + FILES_AT_ONCE)),
      });
      for (const [key, content] of rows.getRowsJS() as Array<[string, Uint8Array]>) await gather(await fileFields(key, content));
    }
  }
  await fill(conn, pending);
  await conn.run(`DROP TABLE category_fill`);
}

/** Kept log files read at once (each at most 8 MB unpacked; bigger ones are files of their own, read as a stream). */
const FILES_AT_ONCE = 64;
/** Records whose events one UPDATE sets: five short strings each. */
const RECORDS_PER_UPDATE = 100_000;

/** Sets the category of the events of `fields`' records. */
async function fill(conn: DuckDBConnection, fields: CategoryFields[]): Promise<void> {
  if (fields.length === 0) return;
  const column = <K extends keyof CategoryFields>(name: K) => listValue(fields.map((f) => f[name]));
  await conn.run(
    `INSERT INTO category_fill SELECT unnest($k), unnest($i), unnest($id), unnest($category), unnest($management), unnest($type)`,
    { k: column('key'), i: column('index'), id: column('id'), category: column('category'), management: column('management'), type: column('type') }
  );
  await conn.run(`UPDATE events SET event_category = ${eventCategorySql('f.category', 'f.management', 'f.type')}
    FROM category_fill f
    WHERE events.event_category IS NULL AND events.object_key = f.k AND events.record_index = f.i
      AND (events.event_id = f.id OR starts_with(events.event_id, 'md5:'))`);
  await conn.run(`DELETE FROM category_fill`);
}
