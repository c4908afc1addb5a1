// Settings come from flags first, then TRAILHOUND_* variables, then these defaults.
import fs from 'node:fs';

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

/** A TRAILHOUND_* variable that must be a whole number, 1 or more, as its flag must (commands/options.ts positiveInt). */
export function envPositiveInt(name: string, ifUnset = 'for the default'): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`TRAILHOUND_${name}=${value}: expected a whole number, 1 or more (or unset it ${ifUnset})`);
  }
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

/** The sources `serve` reads: each --source, else TRAILHOUND_SOURCE's comma-separated list; none means the sample. */
export function sourceList(flags?: string[]): string[] {
  // An empty --source (--source "$UNSET") means the sample, as it always did, not the current folder.
  return (flags ?? (env('SOURCE') ?? '').split(',')).map((s) => s.trim()).filter(Boolean);
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

/** The database file: --db, else TRAILHOUND_DB, else ./data/trailhound.duckdb. */
export function dbPath(flag?: string): string {
  return flag ?? env('DB') ?? DEFAULTS.db;
}

/** Why a command that reads a database cannot run: there is none at `file` (a mistyped --db must not create an empty one). */
export function missingDatabase(file: string): string | undefined {
  return fs.existsSync(file) ? undefined : `there is no database at ${file}: run 'trailhound ingest' (or 'trailhound serve') first, or pass --db`;
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
