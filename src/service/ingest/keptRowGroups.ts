// The row groups of the kept Parquet files (the log files as delivered: key, content), which ingestion writes
// (loader.ts keepOriginals) and compaction rewrites (originals.ts). DuckDB reads and writes a row group's contents in
// one piece, so what a compaction's copy and a record's read-back (reports/records.ts keptIn) hold follows its bytes:
// they are bounded by bytes as well as by rows. In row groups of 64 files of 180 kB (12 MB, up to 22 MB compacted) a
// day's compaction ran out of an 80 MB memory limit now and then; in row groups of about 4 MB it peaks at 16-23 MB
// (docs/DESIGN.md, "Compaction").
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { literalPath } from '../db/filePaths';

/** At most this many log files in a row group: small ones are many to a row group, as a lookup reads each one's keys. */
const MAX_ROWS = 64;
/** About this many bytes of log files in a row group (a file of more is a row group of its own, of 8 MB at most: BIG_FILE_BYTES). */
export const ROW_GROUP_BYTES = 4 * 1024 * 1024;

/**
 * The options of ingestion's COPY of a batch's log files: a row group ends once it holds 64 files or ROW_GROUP_BYTES
 * (read_blob gives a file at a time, so it is at most one file past that). DuckDB takes a size in bytes only where the
 * insertion order is not preserved (the service's setting for ingestion), as then each thread writes row groups of its own.
 */
export const WRITTEN_PARQUET_OPTIONS = `FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE ${MAX_ROWS}, ROW_GROUP_SIZE_BYTES ${ROW_GROUP_BYTES}`;

/** The options of compaction's COPY, which preserves the insertion order: its `$rowGroupRows` is copiedRowGroupRows'. */
export const COPIED_PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE $rowGroupRows';

/**
 * The ROW_GROUP_SIZE of a copy from the kept Parquet `files`, in insertion order. Such a copy ends a row group it
 * writes once it holds that many rows, only where a chunk it read ends, and a chunk lies within a row group read: a
 * row group written is the chunks before (fewer rows than this, so at most ROW_GROUP_BYTES by the read row groups'
 * largest bytes a row) and one more, at most a row group read. So the row groups written stay about as big as those
 * read (64 files, for files written before these bounds).
 */
export async function copiedRowGroupRows(conn: DuckDBConnection, files: string[]): Promise<number> {
  const largest = await conn.runAndReadAll(
    `SELECT max(row_group_bytes / row_group_num_rows)::DOUBLE FROM parquet_metadata($files) WHERE column_id = 0 AND row_group_num_rows > 0`,
    { files: listValue(files.map(literalPath)) }
  );
  const bytesPerRow = Math.max(1, Number(largest.getRowsJS()[0]?.[0] ?? 0));
  return Math.max(1, Math.min(MAX_ROWS, Math.floor(ROW_GROUP_BYTES / bytesPerRow)));
}
