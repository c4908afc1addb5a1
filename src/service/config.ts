// Settings come from flags first, then TRAILHOUND_* variables, then these defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DEFAULTS = {
  db: './data/trailhound.duckdb',
  listen: '127.0.0.1:7480',
  days: 14,
  pollIntervalSeconds: 300,
  concurrency: 8,
  /**
   * DuckDB's memory cap for `ingest`. Batches of 256 MB of logs fit (a batch that does not is loaded in halves);
   * with what DuckDB and Node use beside it, ingestion peaks below 512 MB RSS (npm run bench:ingest).
   */
  memoryLimit: '224MB',
  /** For `serve`, where report queries run beside ingestion. */
  serveMemoryLimit: '512MB',
} as const;

/** Reads a TRAILHOUND_* variable; empty counts as unset. */
export function env(name: string): string | undefined {
  const value = process.env[`TRAILHOUND_${name}`];
  return value === undefined || value === '' ? undefined : value;
}

/** What a count, a number of days or seconds, given as a flag or a TRAILHOUND_* variable, must be. */
export const POSITIVE_WHOLE_EXPECTED = 'expected a whole number, 1 or more, in decimal digits';

/**
 * The whole number, 1 or more, that `text` writes in decimal digits only; else undefined. Number() alone also reads
 * 0x10 as 16, 0b1, 1e3, Infinity, and " 5 " or "" (as 0): no one means a hex number of days.
 */
export function positiveWhole(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/** A TRAILHOUND_* variable that must be a whole number, 1 or more, as its flag must (commands/options.ts positiveInt). */
export function envPositiveInt(name: string, ifUnset = 'for the default'): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const n = positiveWhole(value);
  if (n === undefined) throw new Error(`TRAILHOUND_${name}=${value}: ${POSITIVE_WHOLE_EXPECTED} (or unset it ${ifUnset})`);
  return n;
}

/** A hundred years: more is a typo, and events before 1970 are refused at ingestion anyway. */
export const MAX_RETENTION_DAYS = 36_500;

/** Days of events to keep (ingest/retention.ts): --retention-days, else TRAILHOUND_RETENTION_DAYS; undefined keeps all. */
export function retentionDays(flag?: number): number | undefined {
  // Unset, serve and ingest keep every event, and prune asks for a number: no default to offer.
  const days = flag ?? envPositiveInt('RETENTION_DAYS', 'to keep every event');
  if (days !== undefined && days > MAX_RETENTION_DAYS) {
    throw new Error(`--retention-days (or TRAILHOUND_RETENTION_DAYS) ${days}: at most ${MAX_RETENTION_DAYS} days (a hundred years)`);
  }
  return days;
}

/** The sources `serve` reads: each --source, else TRAILHOUND_SOURCE's comma-separated list (sourcesIn); none means the sample. */
export function sourceList(flags?: string[]): string[] {
  // An empty --source (--source "$UNSET") means the sample, as it always did, not the current folder.
  return (flags ?? sourcesIn(env('SOURCE') ?? '')).map((s) => s.trim()).filter(Boolean);
}

/** Text after a comma that starts a source of its own: s3://, an absolute or ./ ../ path, . or .., or nothing (a,,b). */
const STARTS_SOURCE = /^\s*(s3:\/\/|\.{0,2}\/|\.{0,2}\s*$)/;

/**
 * A comma-separated list of sources, where a comma may also be part of a name (a folder /data/trail,2024, an S3
 * prefix). A comma before s3://, /, ./ or ../ always separates. Otherwise it is kept in an S3 prefix (a bucket's name
 * has none), and in a folder's name when the folder exists with it: the longest run of pieces that names one is one
 * source. So a list as it was written before (s3://a,s3://b; ./x,./y; logs,archive) reads as it did.
 */
export function sourcesIn(value: string): string[] {
  const runs: string[][] = [];
  for (const piece of value.split(',')) {
    if (runs.length === 0 || STARTS_SOURCE.test(piece)) runs.push([piece]);
    else runs[runs.length - 1].push(piece);
  }
  return runs.flatMap((pieces) => {
    // Past the bucket, the commas are the prefix's.
    if (/^\s*s3:\/\/[^/]*\/\s*\S/.test(pieces[0])) return [pieces.join(',')];
    // A bucket's name has no comma, and a prefix does not start with one: s3://a,logs and s3://a/,logs are two sources.
    if (/^\s*s3:\/\//.test(pieces[0])) return [pieces[0], ...folderNames(pieces.slice(1))];
    return folderNames(pieces);
  });
}

/** Pieces of a list, joined where a folder's name holds the comma: the longest run from each piece that names a folder. */
function folderNames(pieces: string[]): string[] {
  const names: string[] = [];
  for (let from = 0; from < pieces.length; ) {
    let to = pieces.length;
    while (to > from + 1 && !isFolder(pieces.slice(from, to).join(',').trim())) to--;
    names.push(pieces.slice(from, to).join(','));
    from = to;
  }
  return names;
}

function isFolder(name: string): boolean {
  try {
    return fs.statSync(name).isDirectory();
  } catch {
    // Nothing there, or a file on the way (ENOTDIR): not one folder, so a list.
    return false;
  }
}

/**
 * An S3- or CloudTrail-compatible endpoint (`setting` names its flag and variable): an http(s) URL. The AWS SDK's own
 * refusal of 127.0.0.1:9000 says only "Invalid URL", and it takes localhost:9000 for a URL of the scheme localhost:,
 * which fails at the first request as "Unknown: UnknownError".
 */
export function endpointUrl(value: string | undefined, setting: string, example = 'http://127.0.0.1:9000'): string | undefined {
  if (value === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`${setting} ${value}: expected an http:// or https:// URL, e.g. ${example}`);
  }
  return value;
}

export const s3EndpointUrl = (value?: string) => endpointUrl(value, '--s3-endpoint (or TRAILHOUND_S3_ENDPOINT)');
export const cloudtrailEndpointUrl = (value?: string) => endpointUrl(value, '--cloudtrail-endpoint (or TRAILHOUND_CLOUDTRAIL_ENDPOINT)');

/**
 * The database file: --db, else TRAILHOUND_DB, else ./data/trailhound.duckdb. A leading ~ (a variable quoted, or set
 * by systemd's Environment=, which no shell expands) is the home folder: DuckDB reads it so, and Node made a folder
 * named ~ for the kept log files and the token.
 */
export function dbPath(flag?: string): string {
  const file = flag ?? env('DB') ?? DEFAULTS.db;
  return /^~(\/|$)/.test(file) ? path.join(os.homedir(), file.slice(1)) : file;
}

/** Why a command that reads a database cannot run: there is none at `file` (a mistyped --db must not create an empty one). */
export function missingDatabase(file: string): string | undefined {
  try {
    fs.statSync(file);
    return undefined;
  } catch (err) {
    // Only when it is not there: a folder this user may not read hides a database, whose open then says so.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return undefined;
    return `there is no database at ${file}: run 'trailhound ingest' (or 'trailhound serve') first, or pass --db`;
  }
}

/** `file`, when a database is there; else the error missingDatabase says. */
export function existingDatabase(file: string): string {
  const missing = missingDatabase(file);
  if (missing) throw new Error(missing);
  return file;
}

/** DuckDB's memory cap: TRAILHOUND_MEMORY_LIMIT (e.g. 1GB), else the command's default. */
export function memoryLimit(fallback: string): string {
  const value = env('MEMORY_LIMIT');
  if (value === undefined) return fallback;
  // DuckDB's own refusal says only "Failed to set config".
  if (!/^\d+(\.\d+)?\s*(B|[KMGT]B?|[KMGT]iB)$/i.test(value)) {
    throw new Error(`TRAILHOUND_MEMORY_LIMIT=${value}: expected a size with its unit, e.g. 512MB or 2GB (or unset it for the default, ${fallback})`);
  }
  return value;
}
