// The row groups of the kept Parquet files (the log files as delivered: key, content), which ingestion writes
// (loader.ts keepOriginals) and compaction rewrites (originals.ts). DuckDB reads and writes a row group's contents in
// one piece, so what a compaction's copy and a record's read-back (reports/records.ts keptIn) hold follows its bytes:
// they are bounded by bytes as well as by rows. In row groups of 64 files of 180 kB (12 MB, up to 22 MB compacted) a
// day's compaction ran out of an 80 MB memory limit now and then; in row groups of about 4 MB it peaks at 16-23 MB
// (docs/DESIGN.md, "Compaction").

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

/** The options of compaction's COPY, which preserves the insertion order: its `$rowGroupRows` is copiedRowGroups' `rows`. */
export const COPIED_PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE $rowGroupRows';

/** A row group read of more bytes than this is read in slices (`CopiedRowGroups.oversized`). */
const OVERSIZED_BYTES = 2 * ROW_GROUP_BYTES;

/** How a copy from kept Parquet files writes its row groups, from those files' footers (copiedRowGroups). */
export interface CopiedRowGroups {
  /** Its ROW_GROUP_SIZE: as many files as make ROW_GROUP_BYTES at the read row groups' largest bytes a file, 64 at most. */
  rows: number;
  /**
   * The files (by base name) with a row group of more than OVERSIZED_BYTES and more files than `rows`, each with the
   * files a slice of it holds: a day compacted before row groups were bounded by bytes (up to 127 files, 23 MB of 180 kB
   * files). The copy reads them in slices, each a query of its own, as a row group it writes ends only where a chunk
   * read ends: read whole, such a row group was written whole again, and a copy held it twice (a day of them ran out
   * of an 80 MB memory limit). A slice holds `rows` files, or more where SLICED_FOOTERS says so.
   */
  oversized: Map<string, number>;
}

/**
 * At most this many slices times the row groups of the file each reads, in one copy: every slice is a query that
 * reads and keeps its file's whole footer (DuckDB keeps no footer cache here), so their memory, outside DuckDB's
 * limit, grew with the square of an old day's size (measured on one thread: 1 000 slices of a file of 1 200 row
 * groups, +233 MB of RSS; 3 000 of 400, +430 MB). Within this, ~40-70 MB: an old day of 9 GB (about 394 row groups of
 * 127 files) is read in slices of ~94 files, not 22, and is still written in smaller row groups than it had.
 */
const SLICED_FOOTERS = 200_000;

/** Of a kept Parquet file's row groups, from its footer (ROW_GROUPS_SQL): what a copy from it needs. */
export interface RowGroupsOf {
  /** The largest bytes a row (a log file) of a row group, the largest row group's bytes, and its most rows. */
  perRow: number;
  largest: number;
  most: number;
  /** Its rows (log files), and how many row groups hold them. */
  rows: number;
  rowGroups: number;
}

/**
 * Each of the kept Parquet `$files` (file_name) with its rows (`n`, all its row groups') and RowGroupsOf, from
 * parquet_metadata: a row per column of each row group, of which the key column's (column_id 0) stands for its row group.
 */
export const ROW_GROUPS_SQL = `SELECT file_name AS file, sum(row_group_num_rows) AS n,
    coalesce(max(row_group_bytes / row_group_num_rows) FILTER (WHERE row_group_num_rows > 0), 0)::DOUBLE AS "perRow",
    max(row_group_bytes)::DOUBLE AS largest, max(row_group_num_rows)::DOUBLE AS most, count(*)::DOUBLE AS "rowGroups"
  FROM parquet_metadata($files) WHERE column_id = 0 GROUP BY file_name`;

/**
 * The row groups of a copy from the kept Parquet `files` (by name, with their RowGroupsOf), in insertion order. Such a
 * copy ends a row group it writes once it holds `rows` rows, only where a chunk it read ends, and a chunk lies within a
 * row group read (and within a slice, for an oversized file): a row group written is the chunks before (fewer rows than
 * `rows`, so at most ROW_GROUP_BYTES by the read row groups' largest bytes a row) and one more, at most a row group
 * read or a slice.
 */
export function copiedRowGroups(files: Array<[string, RowGroupsOf]>): CopiedRowGroups {
  const bytesPerRow = files.reduce((largest, [, of]) => Math.max(largest, of.perRow), 1);
  const rows = Math.max(1, Math.min(MAX_ROWS, Math.floor(ROW_GROUP_BYTES / bytesPerRow)));
  const big = files.filter(([, of]) => of.largest > OVERSIZED_BYTES && of.most > rows);
  // One slice size for all of them, as many files as keep their slices' footers within SLICED_FOOTERS.
  const footers = big.reduce((sum, [, of]) => sum + of.rows * of.rowGroups, 0);
  const slice = Math.max(rows, Math.ceil(footers / SLICED_FOOTERS));
  // A slice as big as a row group read gains nothing: such a file is read whole, as before row groups were bounded.
  return { rows, oversized: new Map(big.filter(([, of]) => of.most > slice).map(([file]) => [file, slice])) };
}
