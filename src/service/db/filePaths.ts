// Paths as DuckDB's file readers (read_json, read_blob, read_parquet) take them. A path that holds *, ? or [ is a glob
// pattern to them: /data/trail [prod]/a.json reads /data/trail p/a.json when that exists, and a folder trail* reads
// trail-old's files beside its own. Matching nothing, DuckDB falls back to the path as written, which is why this went
// unseen. Bracketed ([*], [?], [[]), each such character matches only itself. COPY … TO writes a path as it is.
import path from 'node:path';

const GLOB_CHARACTER = /[*?[]/;

/**
 * Why DuckDB cannot be given `file` to read, as a phrase; undefined when it can. read_json tells a gzip file by its
 * name up to the first ? (a URL's query string): past one, a .json.gz is read as text. And DuckDB's glob splits a path
 * at backslashes too, which a Linux name may hold, so no escaping names a file whose path has one and a glob character.
 */
export function duckDbMisreads(file: string): string | undefined {
  if (file.includes('?')) return "holds a '?', after which DuckDB no longer sees a file's .gz";
  if (process.platform !== 'win32' && file.includes('\\') && GLOB_CHARACTER.test(file)) {
    return 'holds a backslash and one of * [, and DuckDB takes the backslash for a folder separator there';
  }
  return undefined;
}

/**
 * `file` for a DuckDB file reader, to be read as the one file it names. DuckDB takes an absolute path's first part (its
 * top folder, or drive) as written, and matches each part after it: escaped there, that part would name another folder.
 */
export function literalPath(file: string): string {
  if (!GLOB_CHARACTER.test(file)) return file;
  const misread = duckDbMisreads(file);
  if (misread) throw new Error(`DuckDB cannot read ${file}: its path ${misread}. Rename the folder, or reach it through a symbolic link without them`);
  const top = path.isAbsolute(file) ? /^[\\/]*[^\\/]*/.exec(file)![0] : '';
  return top + file.slice(top.length).replace(/[*?[]/g, (c) => `[${c}]`);
}

/**
 * Why DuckDB cannot keep a database at `file` (--db), with what to do; undefined when it can. Its write-ahead log is
 * named by putting .wal before the path's first ? (a URL's query), so a commit fails, or writes the log into another
 * folder; and the log files kept beside it are read back through literalPath. Said before anything is written.
 */
export function unusableDatabasePath(file: string): Error | undefined {
  const misread = file.includes('?')
    ? "holds a '?', before which DuckDB puts the .wal of the database's write-ahead log"
    : duckDbMisreads(path.resolve(file));
  if (!misread) return undefined;
  return new Error(
    `cannot open the database ${file} (--db, or TRAILHOUND_DB): DuckDB cannot keep a database there, as its path ${misread}. ` +
      // Not a link to the folder: DuckDB follows it to the path it names.
      'Rename the folder, or keep the database in another one'
  );
}
