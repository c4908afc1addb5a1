// Settings come from flags first, then TRAILHOUND_* variables, then these defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_LIMIT, PEAK_WINDOW } from '../model/query';
import { ENDPOINT_FLAG, SDK_SERVICES, sdkEndpoint, unreadIgnoreSettings, type EndpointService } from './awsEndpoints';

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

/** A whole-number setting's largest value, and why: said when a larger one is refused. */
export interface Bound {
  max: number;
  why: string;
  /** What 0 means, for a setting that takes it (report --peak-window 0: plain counts); others start at 1. */
  zero?: string;
}

/**
 * Each whole-number setting's bound. A count far past any use is a typo (a key held down, a unit mixed up): it is
 * refused, naming the setting and its range, rather than run for ever, or rounded past 2^53 where Number() loses digits.
 */
export const BOUNDS = {
  /** serve's and ingest's window starts at CloudTrail's start whatever the count: only digits Number() would round are refused. */
  days: { max: Number.MAX_SAFE_INTEGER, why: 'a window reaching back before 2013-11-13, when CloudTrail began, starts on that day' },
  // Past 50 the downloads only wait for one of the S3 client's 50 connections (the SDK's maxSockets), and a batch holds 1000 files.
  concurrency: { max: 50, why: "more downloads at once only wait for one of the S3 client's 50 connections" },
  // Node's timers wrap around after ~24.8 days, and CloudTrail wants watching more often than daily anyway.
  pollSeconds: { max: 86_400, why: 'a day' },
  // Events before 1970 are refused at ingestion anyway.
  retentionDays: { max: 36_500, why: 'a hundred years' },
  // About 15 GB of logs and half an hour of writing; 10 million (the benchmarks') take a few minutes.
  events: { max: 100_000_000, why: 'a hundred million, about 15 GB of log files' },
  // The generator's random state is 32 bits (generator/rng.ts): seed 4294967297 wrote seed 1's files.
  seed: { max: 4_294_967_295, why: 'the generator keeps 32 bits of it: a larger seed repeats a smaller one\'s files' },
  // report's, as the query model bounds them (the API refuses more).
  limit: { max: MAX_LIMIT, why: 'the most a report lists' },
  peakWindow: { max: PEAK_WINDOW.max, why: 'a day', zero: 'for plain counts' },
} as const satisfies Record<string, Bound>;

/** What a value over `bound` is told (and any other, where 0 is taken too). */
const overBound = (bound: Bound) => `expected a whole number from 1 to ${bound.max} (${bound.why})${bound.zero ? `, or 0 ${bound.zero}` : ''}`;

/**
 * Why `text` is not a whole number from 1 to bound.max in decimal digits (or 0, where bound.zero); undefined when it
 * is one. Number() alone also reads 0x10 as 16, 0b1, 1e3, Infinity, " 5 " or "" (as 0), and rounds 10.0000000000000001
 * to 10: no one means a hex number of days, and a fraction is refused however many digits it has.
 */
export function wholeNumberProblem(text: string, bound: Bound): string | undefined {
  if (!/^\d+$/.test(text)) return bound.zero ? overBound(bound) : POSITIVE_WHOLE_EXPECTED;
  if (/^0+$/.test(text)) return bound.zero ? undefined : POSITIVE_WHOLE_EXPECTED;
  // Compared as digits: past 2^53 Number() rounds, and 9007199254740993 passed as 9007199254740992.
  return BigInt(text) > BigInt(bound.max) ? overBound(bound) : undefined;
}

/** A TRAILHOUND_* variable that must be a whole number from 1 to bound.max, as its flag must (commands/options.ts wholeFlag). */
export function envPositiveInt(name: string, bound: Bound, ifUnset = 'for the default'): number | undefined {
  const value = env(name);
  if (value === undefined) return undefined;
  const problem = wholeNumberProblem(value, bound);
  if (problem) throw new Error(`TRAILHOUND_${name}=${value}: ${problem} (or unset it ${ifUnset})`);
  return Number(value);
}

/** Days of events to keep (ingest/retention.ts): --retention-days (bounded as it is read), else TRAILHOUND_RETENTION_DAYS; undefined keeps all. */
export function retentionDays(flag?: number): number | undefined {
  // Unset, serve and ingest keep every event, and prune asks for a number: no default to offer.
  return flag ?? envPositiveInt('RETENTION_DAYS', BOUNDS.retentionDays, 'to keep every event');
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

/** A flag's endpoint (or its TRAILHOUND_ variable's), as endpointUrl checks it, named with both. */
export const s3EndpointUrl = (flag: string | undefined) => endpointUrl(flag, ENDPOINT_FLAG.S3);
export const cloudtrailEndpointUrl = (flag: string | undefined) => endpointUrl(flag, ENDPOINT_FLAG.CloudTrail);

/**
 * Every endpoint the AWS SDK would take by itself (awsEndpoints.ts sdkEndpoint: its variables, then its config file)
 * for a service Trailhound's clients call, checked as endpointUrl checks a flag: for a command that asks AWS. The SDK
 * refused one only at the first request that used it, as "Invalid URL" or "UnknownError", and took no endpoint at all
 * from a profile naming a services section the file has not. `flags`: the services whose endpoint a flag gives, which
 * the SDK then never reads. All of them, not only the services this command asks: they are the same deployment's
 * settings (serve asks both, and the credential chain STS or SSO), and a mistake is said at the first command. An ignore
 * setting that is neither true nor false is told to `warn`.
 */
export async function checkSdkEndpoints(flags: Partial<Record<EndpointService, string>>, warn: (message: string) => void): Promise<void> {
  // An ignore setting the SDK passes over decides, unseen, whether every endpoint below is used.
  for (const said of await unreadIgnoreSettings()) warn(said);
  for (const service of SDK_SERVICES) {
    if (service in flags && flags[service as EndpointService]) continue;
    const { endpoint, problem } = await sdkEndpoint(service);
    if (problem) throw new Error(problem);
    if (endpoint) endpointUrl(endpoint.url, endpoint.setting);
  }
}

/**
 * The database file: --db, else TRAILHOUND_DB, else ./data/trailhound.duckdb. A leading ~ (a variable quoted, or set
 * by systemd's Environment=, which no shell expands) is the home folder: DuckDB reads it so, and Node made a folder
 * named ~ for the kept log files and the token.
 */
export function dbPath(flag?: string): string {
  const file = flag ?? env('DB') ?? DEFAULTS.db;
  return /^~(\/|$)/.test(file) ? path.join(os.homedir(), file.slice(1)) : file;
}

/**
 * Why a command that reads a database cannot run: there is none at `file` (a mistyped --db must not create an empty one).
 * `flag` is the command's --db: a file named by it (or TRAILHOUND_DB) is to be checked, not named again with --db.
 */
export function missingDatabase(file: string, flag?: string): string | undefined {
  try {
    fs.statSync(file);
    return undefined;
  } catch (err) {
    // Only when it is not there: a folder this user may not read hides a database, whose open then says so.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return undefined;
    const named = flag !== undefined ? '--db' : env('DB') !== undefined ? 'TRAILHOUND_DB' : undefined;
    const run = "run 'trailhound ingest' (or 'trailhound serve')";
    return `there is no database at ${file}: ${named ? `check ${named}, or ${run} with that ${named} first` : `${run} first, or pass --db`}`;
  }
}

/** The database file dbPath names for `flag` (a command's --db), when a database is there; else the error missingDatabase says. */
export function existingDatabase(flag: string | undefined): string {
  const file = dbPath(flag);
  const missing = missingDatabase(file, flag);
  if (missing) throw new Error(missing);
  return file;
}

/** 1000TB: far past any machine's memory, and well within the 2^64 bytes DuckDB can be given. */
const MAX_MEMORY_BYTES = 1e15;

/** The bytes of a size memoryLimit takes, as DuckDB reads it: KB, MB … are powers of 1000, KiB, MiB … of 1024. */
function sizeBytes(size: string): number {
  const [, amount, unit] = /^([\d.]+)\s*(\w+)$/.exec(size)!;
  const power = 'BKMGT'.indexOf(unit[0].toUpperCase());
  return Number(amount) * (/i/i.test(unit) ? 1024 : 1000) ** power;
}

/** DuckDB's memory cap: TRAILHOUND_MEMORY_LIMIT (e.g. 1GB), else the command's default. */
export function memoryLimit(fallback: string): string {
  const value = env('MEMORY_LIMIT');
  if (value === undefined) return fallback;
  // DuckDB's own refusal says only "Failed to set config".
  if (!/^\d+(\.\d+)?\s*(B|[KMGT]B?|[KMGT]iB)$/i.test(value)) {
    throw new Error(`TRAILHOUND_MEMORY_LIMIT=${value}: expected a size with its unit, e.g. 512MB or 2GB (or unset it for the default, ${fallback})`);
  }
  // DuckDB's refusal of a size past 2^64 bytes says only "Failed to set config", and was taken for the --db's.
  if (sizeBytes(value) > MAX_MEMORY_BYTES) {
    throw new Error(`TRAILHOUND_MEMORY_LIMIT=${value}: at most 1000TB (or unset it for the default, ${fallback})`);
  }
  return value;
}
