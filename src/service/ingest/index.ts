// Ingestion: list the window's log objects, skip what the ledger has, fetch with bounded concurrency,
// and load in batches. Re-running is always safe: the ledger and eventID dedupe make it idempotent.
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { causeChain, isErrorLike } from '../../model/errorChain';
import { messageOf } from '../../model/errorMessage';
import type { Database } from '../db/database';
import { duckDbMisreads } from '../db/filePaths';
import { FETCH_FAILED_SQL, OUT_OF_MEMORY, OUT_OF_MEMORY_DUE, triedAgain } from './fileFailures';
import { BIG_FILE_BYTES } from './fileSizes';
import { dayWindow, inDayOrder, inWindow, isLogFileName, parseKey, type DayWindow } from './keys';
import { BatchLoader, type FileOutcome, type HalvedBatch, type LocalLogFile } from './loader';
import { FolderSource, folderLedger } from './sources/folder';
import { parseS3Url, s3Ledger, s3SourceId, S3Source, type BucketRegions, type ThrottleWaits } from './sources/s3';
import { READ_FAILED, type ErrorKind } from '../../model/api';
import { isDiskFull, kinded, kindOf } from '../errorKind';
import { refusalOf, type Refusal } from './sources/nesting';
import { retentionCutoff } from './retention';
import { ListingThrottled, ObjectGoneError, type FetchedObject, type LogObjectRef, type LogSource } from './sources/source';

export interface IngestOptions {
  /** s3://bucket[/prefix] or a local folder. */
  source: string;
  db: Database;
  days?: number;
  since?: string;
  s3Endpoint?: string;
  /** How long an S3 request may go without a byte before it fails (default 60 s; tests shorten it). */
  s3IdleTimeoutMs?: number;
  /** The waits of a listing S3 throttles (default sources/s3.ts THROTTLE_WAITS; tests shorten them). */
  s3ThrottleWaits?: ThrottleWaits;
  /** Parallel downloads (S3). */
  concurrency?: number;
  /** The S3 buckets' Regions learned by earlier runs (the service's, so that HeadBucket is asked once per bucket); without it, the run's own. */
  bucketRegions?: BucketRegions;
  /** Called, with a line to say, when an S3 bucket's Region cannot be learned (HeadBucket refused): once per bucket per `bucketRegions`. */
  onRegionUnknown?: (said: string) => void;
  now?: Date;
  /**
   * The retention the caller prunes to after this run (serve's, ingest --retention-days): files a prune took events
   * from are not read again for events this one's prune would take out again. Without it the run keeps all it reads.
   */
  retentionDays?: number;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Tries at once the files whose download was denied, waiting for their next try (ingest --retry-denied, a backfill):
   * the user says the access is fixed. Without it they wait (BatchLoader.recordDownloadFailures).
   */
  retryDenied?: boolean;
  /** Called for each file that could not be ingested: why, and whether a later run tries it again as it is (triedAgain). */
  onFileError?: (key: string, reason: string, retried: boolean) => void;
  /**
   * Called once a run when the listing left something out unread (a folder's links that lead outside it): not an
   * error of a file, so not in ingest_errors. Without it, onFileError hears of it (the CLI's warnings).
   */
  onPassedOver?: (key: string, reason: string, what: string) => void;
  /** Called for each batch that ran out of DuckDB's memory and is loaded again in two parts (summary.halved counts them). */
  onHalved?: (batch: HalvedBatch) => void;
  /**
   * Stops the run after the batch being loaded (the service's shutdown): that batch commits whole with its ledger
   * rows, and the next run finds the rest by the ledger.
   */
  signal?: AbortSignal;
}

export interface IngestSummary {
  source: string;
  window: DayWindow;
  /** Log objects ingested by this run. */
  objects: number;
  /** New events stored. */
  events: number;
  /** Events skipped because their eventID was already stored. */
  duplicates: number;
  /** Objects that are not event files: other names, and in a folder digests and Insights (S3 listings never reach theirs). */
  skipped: number;
  /** Objects already in the ledger, not read again. */
  unchanged: number;
  /** Objects found unreadable by an earlier run and unchanged since (still in ingest_errors), not read again. */
  unreadable: number;
  /** Objects that ran out of memory in an earlier run, not read again until their wait is over (ingest_errors.retry_at). */
  waiting: number;
  /** Objects whose download was denied in an earlier run and unchanged since, not fetched again until their wait is over. */
  denied: number;
  /** Objects that could not be read (see ingest_errors). */
  errors: number;
  /** Records kept in rejected_records (no usable eventTime, or not an object). */
  rejected: number;
  /** Batches that ran out of DuckDB's memory and were loaded again in two parts (each part may be halved again, and counts too). */
  halved: number;
  /** Stopped by the signal before the end of its window: not a complete read of it (ingest_runs.stopped). */
  stopped: boolean;
  /**
   * Log files listed whose key names no day (outside AWSLogs' day folders: a folder of plain .json files), which the
   * window does not pick: read whatever their events' dates. Absent where nothing counts them.
   */
  undated?: number;
  /** Log files listed in AWSLogs' day folders, which the window picks. */
  dated?: number;
  durationMs: number;
}

export interface IngestProgress {
  unitsDone: number;
  units: number;
  objectsDone: number;
  /** Objects to ingest found so far (grows as units are listed). */
  objectsFound: number;
  events: number;
}

/**
 * Files and (estimated) uncompressed bytes per batch. Big batches keep DuckDB's threads busy, write whole row
 * groups straight to the file instead of through the WAL, and bound the downloads waiting on disk. A batch keeps
 * only events-shaped rows in memory (no record copies), so 256 MB of logs (~200 k events) fits ingest's 224 MB
 * memory limit (the loader halves a batch that does not); measured at 1 M and 10 M events (npm run
 * bench:ingest), 64 MB batches were 25% slower and 160 MB ones 20% slower.
 */
const BATCH_FILES = 1000;
export const BATCH_BYTES = 256 * 1024 * 1024;

/** The name a source's runs and ledger rows carry (LogSource.id), without opening it. */
export function sourceId(spec: string): string {
  return spec.startsWith('s3://') ? s3SourceId(parseS3Url(spec)) : path.resolve(spec);
}

/** The name a source's files carry in the ledger (LogSource.ledger) and what their keys start with (keyScope), without opening it. */
export function sourceLedger(spec: string): { ledger: string; keyScope: string } {
  return spec.startsWith('s3://') ? s3Ledger(parseS3Url(spec)) : folderLedger(spec);
}

/** The sources in order, each once by the name its runs carry (s3://b and s3://b/ are one); onRepeat hears of the others. */
export function distinctSources(sources: string[], onRepeat: (source: string) => void): string[] {
  const seen = new Set<string>();
  return sources.filter((source) => {
    const id = sourceId(source);
    if (seen.has(id)) {
      onRepeat(source);
      return false;
    }
    seen.add(id);
    return true;
  });
}

export function openSource(
  spec: string,
  options: Pick<IngestOptions, 's3Endpoint' | 's3IdleTimeoutMs' | 's3ThrottleWaits' | 'signal' | 'bucketRegions' | 'onRegionUnknown'> = {}
): LogSource {
  // Another URL (a bucket's https:// address, an S3-compatible server's) was read as a folder: "there is nothing at …/https:/…".
  // So was a mistyped s3:// (s3:/logs, s3:logs), unless a folder has that name; a scheme is two letters or more (not C:).
  const url = /^[a-z][a-z\d+.-]*:\/\//i.test(spec) || (/^[a-z][a-z\d+.-]+:/i.test(spec) && !fs.existsSync(spec));
  if (url && !spec.startsWith('s3://')) {
    throw new Error(`${spec} is not a source: give s3://bucket[/prefix] (an S3-compatible server's address goes in --s3-endpoint) or a folder`);
  }
  // Downloads, and a folder source's links, are read by DuckDB from there (filePaths.ts); a big file's copies go beside the database.
  const misread = duckDbMisreads(os.tmpdir());
  if (misread) {
    throw new Error(`DuckDB cannot read the log files put in the temporary folder ${os.tmpdir()}: its path ${misread}. Set TMPDIR to another folder`);
  }
  return spec.startsWith('s3://')
    ? new S3Source(parseS3Url(spec), {
      endpoint: options.s3Endpoint,
      idleTimeoutMs: options.s3IdleTimeoutMs,
      throttleWaits: options.s3ThrottleWaits,
      signal: options.signal,
      bucketRegions: options.bucketRegions,
      onRegionUnknown: options.onRegionUnknown,
    })
    : new FolderSource(spec);
}

/**
 * Listings of units run ahead of the one being read: each S3 listing is a round trip or more, and a first load of an
 * organization's trail has thousands of units. Few: each holds its unit's whole listing (a busy day, 10,000s of keys).
 */
const LIST_AHEAD = 4;

/**
 * The listing of unit i, for i = 0, 1, 2 … in turn, with the next LIST_AHEAD units' listings already under way.
 * Each is awaited in its turn: a failure ahead is not an unhandled rejection meanwhile, and one the stop aborted is
 * never awaited.
 */
function listedAhead(source: LogSource, units: string[], window: DayWindow): (i: number) => Promise<LogObjectRef[]> {
  const listings = new Map<number, Promise<LogObjectRef[]>>();
  return (i) => {
    for (let j = i; j < Math.min(units.length, i + 1 + LIST_AHEAD); j++) {
      if (listings.has(j)) continue;
      const listing = source.list(units[j], window);
      listing.catch(() => undefined);
      listings.set(j, listing);
    }
    const listing = listings.get(i)!;
    listings.delete(i);
    return listing;
  };
}

/** Runs promise-returning jobs with at most `limit` in flight, keeping results in order; none starts once `halted` says so. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>, halted: () => boolean): Promise<Array<R | undefined>> {
  const results = new Array<R | undefined>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !halted()) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Groups listed files into load batches; a file over BIG_FILE_BYTES goes alone (see fileSizes.ts). */
export function batches(refs: LogObjectRef[]): LogObjectRef[][] {
  const out: LogObjectRef[][] = [];
  let current: LogObjectRef[] = [];
  let bytes = 0;
  const lone: LogObjectRef[][] = [];
  for (const ref of refs) {
    // Compressed size × 10 approximates the JSON DuckDB will hold.
    const weight = ref.key.endsWith('.gz') ? ref.size * 10 : ref.size;
    if (weight > BIG_FILE_BYTES) {
      lone.push([ref]);
      continue;
    }
    if (current.length > 0 && (current.length >= BATCH_FILES || bytes + weight > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(ref);
    bytes += weight;
  }
  if (current.length > 0) out.push(current);
  // Before the last (still filling) batch: the caller keeps that one open for the next listing unit.
  return out.length > 0 ? [...out.slice(0, -1), ...lone, out[out.length - 1]] : lone;
}

/**
 * SQL over ingest_errors: a failed download waiting for its next try (one the source denied, retry_at), unless the run
 * tries them at once ($retryDenied). One without a wait is tried at every run.
 */
const DOWNLOAD_WAITING = `${FETCH_FAILED_SQL} AND coalesce(retry_at > now()::TIMESTAMP, false) AND NOT $retryDenied::BOOLEAN`;

/**
 * What an earlier run made of a listed file: ingested, unreadable, out of memory and waiting for its next try, or
 * denied and waiting for its next try.
 */
type DealtWith = 'ingested' | 'unreadable' | 'waiting' | 'denied';

/**
 * The listed files this source has already dealt with, as it is now (same ETag): ingested, or found unreadable (a
 * corrupt gzip stays corrupt; read again only once it changes, not failed again at every poll). A failed download is
 * tried again, a denied one (DOWNLOAD_WAITING) and a file that ran out of memory (OUT_OF_MEMORY_DUE) once its wait is over.
 */
async function alreadyDealtWith(
  db: Database, source: string, refs: LogObjectRef[], keptFrom: Date | null, retryDenied: boolean, conn: DuckDBConnection
): Promise<Map<string, DealtWith>> {
  if (refs.length === 0) return new Map();
  const rows = await db.all<{ key: string; etag: string; state: DealtWith }>(
    // IN (unnest): a hash join. list_contains scanned the listed keys for every ledger row: 16 s for a day of 50 000 files.
    // A file a prune took events from is read again by a run that keeps events from before that prune's cutoff
    // (retention.ts): one without a retention (keptFrom NULL), or under a longer one. Not by the window's first day:
    // a day holds the hours before a cutoff on it, and a run under the same retention starts on that day too.
    `SELECT key, etag, 'ingested' AS state FROM ingested_objects WHERE source = $source AND key IN (SELECT unnest($keys))
       AND (events_pruned_before IS NULL OR coalesce($keptFrom::TIMESTAMP >= events_pruned_before, false))
     UNION ALL
     SELECT key, etag, CASE WHEN starts_with(reason, $memory) THEN 'waiting' WHEN ${FETCH_FAILED_SQL} THEN 'denied' ELSE 'unreadable' END
     FROM ingest_errors
     WHERE source = $source AND key IN (SELECT unnest($keys)) AND (NOT ${FETCH_FAILED_SQL} OR (${DOWNLOAD_WAITING})) AND NOT (${OUT_OF_MEMORY_DUE})`,
    { source, keys: listValue(refs.map((r) => r.key)), keptFrom: keptFrom?.toISOString() ?? null, memory: OUT_OF_MEMORY, retryDenied },
    conn
  );
  const dealtWith = new Map(rows.map((r) => [`${r.key}\u0000${r.etag}`, r.state]));
  // A listing without ETags (an S3-compatible server's) names no version: any recorded version of the key is the file
  // as it is. The ledger holds the download's ETag, which such a listing never gave: each poll read every file again.
  for (const r of rows) if (!dealtWith.has(`${r.key}\u0000`)) dealtWith.set(`${r.key}\u0000`, r.state);
  return dealtWith;
}

/**
 * The files an earlier run recorded that this one tries again, by key: failed downloads (a denied one once its wait is
 * over, or with retryDenied), and files that ran out of memory whose wait is over. Fetched whether or not the run lists
 * their folder (a poll lists only its last days), so that none waits for ever.
 */
async function retriesDue(db: Database, source: LogSource, retryDenied: boolean): Promise<LogObjectRef[]> {
  // Only the source's own: another folder of its trail (another account) may be one it cannot read.
  return db.all<LogObjectRef>(
    `SELECT key, etag, 0::INTEGER AS size FROM ingest_errors
     WHERE source = $source AND starts_with(key, $scope)
       AND ((${FETCH_FAILED_SQL} AND NOT (${DOWNLOAD_WAITING})) OR (${OUT_OF_MEMORY_DUE})) ORDER BY key`,
    { source: source.ledger, scope: source.keyScope, retryDenied }
  );
}

/** SQL over ingest_runs: a run that completed its window (finished, without an error, and not stopped part-way). */
export const COMPLETED_RUN = 'finished_at IS NOT NULL AND error IS NULL AND stopped IS NOT TRUE';

/** SQL over ingest_runs: a completed run that ended its source's first load (see ingest). */
export const ENDED_FIRST_LOAD = `${COMPLETED_RUN} AND (window_from IS NULL OR window_from <= strftime(started_at - INTERVAL 1 DAY, '%Y-%m-%d'))`;

/**
 * A run on record that ended before it read a file: its source could not be opened (error), or a stop came before
 * its turn (stopped). Either way it did not complete its window, so the next run reads from its first day.
 */
export async function recordEndedRun(
  db: Database,
  source: string,
  started: Date,
  from: string,
  end: { error: string; kind: ErrorKind } | { stopped: true }
): Promise<void> {
  const run = { source: sourceId(source), started: started.toISOString() };
  await db.run(
    `INSERT INTO ingest_runs (source, started_at, window_from, finished_at, error, stopped, error_kind)
     VALUES ($source, $started::TIMESTAMP, $from, now()::TIMESTAMP, $error, $stopped, $kind)`,
    { ...run, from, error: 'error' in end ? end.error : null, stopped: 'stopped' in end ? true : null, kind: 'error' in end ? end.kind : null }
  );
  if ('error' in end) await foldRepeatedFailure(db, run.source, run.started, end.error, end.kind);
}

/**
 * Failures whose error names what changes from run to run while their cause lasts: a throttled run names the day folders
 * it skipped, how many, and the tries each had (fewer once the run's cap of waits is spent). Repeated, they are folded by
 * their kind, not only by their words.
 */
const FOLDED_BY_KIND: readonly ErrorKind[] = ['throttled'];

/** A run's error when none of the files it tried could be fetched (`fetched`: downloaded, or read from a folder). */
const noneFetched = (failed: number, fetched: string, example: string) =>
  `${failed === 1 ? `the 1 log file could not be ${fetched}` : `none of the ${failed} log files could be ${fetched}`}, e.g. ${example}`;

/**
 * What noneFetched's errors match (RE2, for DuckDB): the count and the example, which names a file, change from poll to
 * poll while their cause lasts (a bucket policy's denial, a disabled KMS key). Repeated with the same kind, they fold.
 */
const NONE_FETCHED_RE = '^(the 1 log file could not be|none of the [0-9]+ log files could be) (downloaded|read), e\\.g\\. ';

/**
 * A failed run (source, started) replaces its source's run before it when that one failed with the same error, with
 * the same kind of FOLDED_BY_KIND, or, both failing to fetch any file (noneFetched), with the same kind: a source that
 * never opens (a mistyped folder, a bucket that does not exist), a prefix S3 throttles for hours, or downloads a bucket
 * policy denies would otherwise add a row at every poll, forever. A failure of another kind, or another failure (a
 * listing denied after downloads were), keeps its own row. The row kept is the latest attempt's, so the status still
 * says the source fails, why, and when it last did; it keeps the earlier first day of the two (window_from), which the
 * next good run reads from.
 */
async function foldRepeatedFailure(db: Database, source: string, started: string, error: string, kind: ErrorKind): Promise<void> {
  await db.transaction(async (conn) => {
    const previous = await conn.runAndReadAll(
      `DELETE FROM ingest_runs
       WHERE source = $source AND stopped IS NOT TRUE
         AND (error = $error OR error_kind = $foldedKind
              OR (error_kind = $kind AND regexp_matches(error, $noneFetched) AND regexp_matches($error, $noneFetched)))
         AND started_at = (SELECT max(started_at) FROM ingest_runs WHERE source = $source AND started_at < $started::TIMESTAMP)
       RETURNING window_from`,
      { source, started, error, kind, foldedKind: FOLDED_BY_KIND.includes(kind) ? kind : null, noneFetched: NONE_FETCHED_RE }
    );
    if (previous.currentRowCount === 0) return;
    await conn.run(`UPDATE ingest_runs SET window_from = least(window_from, $from::VARCHAR) WHERE source = $source AND started_at = $started::TIMESTAMP`, {
      source,
      started,
      from: previous.getRowsJS()[0][0] as string | null,
    });
  });
}

export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const window = dayWindow(options);
  const { db } = options;
  // The first instant whose events the run keeps: under a retention, its cutoff as the prune after the run sets it.
  const keptFrom = options.retentionDays ? retentionCutoff(options.retentionDays, options.now ?? new Date(started)).before : null;
  // A source's first load is history, not news: until one of its runs completes, what happened before the run started
  // arrives when it happened, or the alert rules (which count by arrival) would see a day of ordinary failed logins
  // stored at once as a burst. What happens during a run of hours stays news, or it would reach no rule. A run that
  // read less than a day back (--days 1) does not end the first load, or the next run's yesterday would be that burst;
  // a run from before the window_from column does.
  const firstLoad = !(await db.one(
    `SELECT 1 FROM ingest_runs WHERE source = $source AND ${ENDED_FIRST_LOAD} LIMIT 1`,
    { source: sourceId(options.source) }
  ));
  // Ends the source's requests in flight: at a stop, and once a load fails (the next batch's downloads are not wanted).
  // A listener, not AbortSignal.any, which leaks on Node 20.
  const halt = new AbortController();
  const stop = () => halt.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) halt.abort();
  let source: LogSource;
  try {
    source = openSource(options.source, { ...options, signal: halt.signal });
  } catch (err) {
    options.signal?.removeEventListener('abort', stop);
    // A source that cannot even be opened (a folder that is gone) is a failed run too: the ingestion status says why.
    await recordEndedRun(db, options.source, new Date(started), window.from, { error: messageOf(err), kind: kindOf(err) });
    throw err;
  }
  // A folder's files are read from disk, not downloaded: its mark (fetchFailed) says which.
  const fromFolder = source.fetchFailed === READ_FAILED;
  const summary: IngestSummary = {
    source: source.id, window, objects: 0, events: 0, duplicates: 0, skipped: 0, unchanged: 0, unreadable: 0, waiting: 0, denied: 0, errors: 0, rejected: 0,
    halved: 0, stopped: false, durationMs: 0,
  };
  const loader = new BatchLoader(db, source.ledger, firstLoad ? new Date(started) : undefined, (batch) => {
    summary.halved++;
    options.onHalved?.(batch);
  });
  const stopping = () => options.signal?.aborted ?? false;
  // Each request in flight listens to the signal (twice for a download: the SDK and the stall watchdog), more than
  // Node's default of 10 warns about. They are removed as the requests end: none outlives the run.
  setMaxListeners(0, halt.signal);
  // This run's row is (source, started_at): a row left unfinished by a killed run is not this one.
  const runStarted = new Date(started).toISOString();
  const finishRun = (error: string | null, kind: ErrorKind | null = null) =>
    db.run(
      `UPDATE ingest_runs SET finished_at = now()::TIMESTAMP, objects = $objects, events = $events, duplicates = $duplicates,
              skipped = $skipped, errors = $errors, error = $error, stopped = $stopped, error_kind = $kind
       WHERE source = $source AND started_at = $started::TIMESTAMP AND finished_at IS NULL`,
      { source: source.id, started: runStarted, objects: summary.objects, events: summary.events, duplicates: summary.duplicates,
        skipped: summary.skipped, errors: summary.errors, error, stopped: summary.stopped, kind }
    );

  const finished = async () => {
    summary.durationMs = Date.now() - started;
    await finishRun(null);
    return summary;
  };

  const progress: IngestProgress = { unitsDone: 0, units: 0, objectsDone: 0, objectsFound: 0, events: 0 };
  const report = () => options.onProgress?.({ ...progress, events: summary.events });
  const tally = (outcome: FileOutcome) => {
    if (outcome.error) {
      summary.errors++;
      options.onFileError?.(outcome.key, outcome.error, triedAgain(outcome.error));
    } else {
      summary.objects++;
      summary.events += outcome.inserted;
      summary.duplicates += outcome.duplicates;
      summary.rejected += outcome.rejected;
    }
    progress.objectsDone++;
  };

  const downloads = { tried: 0, failed: 0, firstError: '', firstKind: 'other' as ErrorKind, firstCause: undefined as unknown };
  const onLoaded = async (outcomes: FileOutcome[], notFetched: NotFetched[], gone: LogObjectRef[]) => {
    // Deleted since the listing: skipped, and no longer retried. Done with, for the progress bar, which they would
    // otherwise leave short of its end.
    for (const ref of gone) await loader.forgetError(ref.key);
    summary.skipped += gone.length;
    progress.objectsDone += gone.length;
    downloads.tried += outcomes.length + notFetched.length;
    downloads.failed += notFetched.length;
    if (!downloads.firstError && notFetched.length > 0) {
      Object.assign(downloads, { firstError: notFetched[0].error, firstKind: notFetched[0].kind, firstCause: notFetched[0].cause });
    }
    // Recorded, so the status shows them; not in the ledger, so later runs fetch them again (retriesDue), a denied one
    // once its wait is over.
    const failures = notFetched.map(({ ref, error, kind }) => ({ file: ref, error, kind }));
    outcomes.push(...(await loader.recordDownloadFailures(failures, source.fetchFailed)));
    outcomes.forEach(tally);
    report();
  };

  // The listing looks up the ledger on a connection of its own while a batch loads on the main one.
  let ledger: DuckDBConnection | undefined;
  try {
    // Inside the try: a database that refuses even this row must still close the source (its downloads folder).
    await db.run(`INSERT INTO ingest_runs (source, started_at, window_from) VALUES ($source, $started::TIMESTAMP, $from)`, {
      source: source.id,
      started: runStarted,
      from: window.from,
    });
    const units = inDayOrder(await source.plan(window));
    for (const passed of source.passedOver?.() ?? []) {
      if (options.onPassedOver) options.onPassedOver(passed.key, passed.reason, passed.what);
      else options.onFileError?.(passed.key, passed.reason, false);
    }
    progress.units = units.length;
    report();
    // Downloads that failed in an earlier run, and files that ran out of memory whose wait is over: fetched again by
    // key, unless this run's listing finds them anyway (a poll lists only its last days). Kept by key, so memory follows
    // the failures, not the listing.
    const retryDenied = options.retryDenied ?? false;
    const retries = new Map((await retriesDue(db, source, retryDenied)).map((ref) => [ref.key, ref]));
    // Whether the listing reached its end: a run stopped before it did has not read its window.
    let listedAll = false;
    // Units whose listing S3 throttled past the source's retries: skipped, and the run's error once the rest is read.
    const throttled: ListingThrottled[] = [];
    // The window's files to read, in load batches, listed as the loads ask for them. Batches span listing units: one
    // day folder alone is too small a transaction to be efficient.
    const listings = listedAhead(source, units, window);
    ledger = await db.connect();
    async function* planned(ledger: DuckDBConnection): AsyncGenerator<LogObjectRef[]> {
      let pending: LogObjectRef[] = [];
      for (let i = 0; i < units.length; i++) {
        if (stopping()) return;
        let listed: LogObjectRef[];
        try {
          listed = await listings(i);
        } catch (err) {
          if (!(err instanceof ListingThrottled)) throw err;
          throttled.push(err);
          progress.unitsDone++;
          report();
          continue;
        }
        const events = listed.filter((ref) => {
          const { kind, day } = parseKey(ref.key);
          // Digests, Insights, and anything else someone put beside the logs (notes, signatures, exports).
          if (kind === 'digest' || kind === 'insight' || !isLogFileName(ref.key)) {
            summary.skipped++;
            return false;
          }
          if (day === undefined) summary.undated = (summary.undated ?? 0) + 1;
          else summary.dated = (summary.dated ?? 0) + 1;
          return inWindow(day, window);
        });
        for (const ref of events) retries.delete(ref.key);
        const seen = await alreadyDealtWith(db, source.ledger, events, keptFrom, retryDenied, ledger);
        const todo: LogObjectRef[] = [];
        for (const ref of events) {
          const state = seen.get(`${ref.key}\u0000${ref.etag}`);
          if (state) summary[state === 'ingested' ? 'unchanged' : state]++;
          else todo.push(ref);
        }
        progress.objectsFound += todo.length;
        progress.unitsDone++;
        report();
        pending.push(...todo);
        // All but the last batch are full; the last waits for the next unit's files.
        const work = batches(pending);
        if (work.length > 1) {
          pending = work.pop()!;
          yield* work;
        }
      }
      if (stopping()) return;
      progress.objectsFound += retries.size;
      pending.push(...retries.values());
      report();
      listedAll = true;
      yield* batches(pending);
    }
    // Whether every batch was loaded: a stop that comes once they are is no stop.
    const complete = (await loadPipelined(source, loader, planned(ledger), options.concurrency ?? 8, options.signal, halt, onLoaded)) && listedAll;
    // Stopped: what was loaded is committed, the rest (still listed, or never listed) is the next run's.
    summary.stopped = !complete && stopping();
    // Not a completed run: the next one reads the window again, these units with it.
    if (!summary.stopped && throttled.length > 0) throw throttledUnits(throttled);
    if (!summary.stopped && downloads.failed > 0 && downloads.failed === downloads.tried) {
      // Nothing could be fetched: the run failed (permissions, KMS, network), whatever the ledger says.
      const fetched = fromFolder ? 'read' : 'downloaded';
      // Caused by the first failure: a full disk's advice names the folder it names (diskFull).
      throw kinded(noneFetched(downloads.failed, fetched, downloads.firstError), downloads.firstKind, downloads.firstCause);
    }
    return await finished();
  } catch (err) {
    if (stopping() && (err as { name?: string } | undefined)?.name === 'AbortError') {
      // A request the stop aborted (a listing in flight): a stopped run, like one stopped between batches. Any other
      // error (a full disk while the last batch loaded) stays the run's error, stop or not.
      summary.stopped = true;
      return await finished();
    }
    const failure = diskFull(err, db.file, fromFolder ? 'folder' : 's3');
    const error = messageOf(failure);
    const kind = kindOf(failure);
    // On a full disk this write may fail too: the error still reaches the log (serve) or stderr (ingest).
    await finishRun(error, kind)
      .then(() => foldRepeatedFailure(db, source.id, runStarted, error, kind))
      .catch(() => undefined);
    throw failure;
  } finally {
    ledger?.closeSync();
    source.close();
    options.signal?.removeEventListener('abort', stop);
  }
}

/** How many throttled units a run's error names: an organization trail's load lists thousands. */
const THROTTLED_NAMED = 5;

/** A run's error for the units skipped as S3 throttled their listings: which, and that the next run lists them again. */
function throttledUnits(skipped: ListingThrottled[]): Error {
  const named = skipped.slice(0, THROTTLED_NAMED).map((unit) => unit.where).join(', ');
  const more = skipped.length > THROTTLED_NAMED ? ` and ${skipped.length - THROTTLED_NAMED} more` : '';
  const one = skipped.length === 1;
  return kinded(
    `S3 is throttling requests under ${one ? 'a day folder' : `${skipped.length} day folders`}, skipped: ${named}${more} (${skipped[0].why}). ` +
      `The rest of the window was read, and the next poll (or ingest run) lists ${one ? 'it' : 'them'} again. Should it go on, something else ` +
      `may be making requests under ${one ? 'that prefix' : 'those prefixes'} (S3 takes some thousands a second per prefix)`,
    'throttled',
    skipped[0]
  );
}

/** What a run of each kind of source puts in the temporary folder: what filled its disk. */
const TEMPORARY_USE = {
  s3: 'S3 downloads wait there for their batch',
  folder: "links to the source's files whose names DuckDB would misread are made there",
} as const;

/**
 * A full disk, said with what to do, and which disk: the database's (its file, WAL, kept files, spill files and the big
 * copies of a file being read, Database.stagingDir), or the temporary folder's (S3 downloads, a folder source's links),
 * by the path the error names (Node's error, DuckDB's words, or diskFullIn's). DuckDB's words name the file it could not
 * write, not that the run will keep failing (every retry reads its files again first) until there is room.
 */
function diskFull(err: unknown, dbFile: string, sourceKind: 'folder' | 's3'): unknown {
  if (!isDiskFull(err)) return err;
  const message = messageOf(err);
  const written = pathWritten(err);
  const retention = 'a retention (--retention-days, or TRAILHOUND_RETENTION_DAYS) keeps the database from filling it again';
  const dbFolder = dbFile === ':memory:' ? undefined : path.dirname(path.resolve(dbFile));
  // The innermost of the two that holds it: either may be inside the other.
  const [folder] = [dbFolder, os.tmpdir()]
    .filter((f): f is string => f !== undefined && written !== undefined && isWithin(written, f))
    .sort((a, b) => b.length - a.length);
  const advice =
    folder === undefined
      ? `free space on that disk, or give it more; ${retention}`
      : folder === dbFolder
        ? `the disk of the database's folder ${dbFolder} is full: free space on it, or give it more; ${retention}`
        : `the disk of the temporary folder ${folder} is full (${TEMPORARY_USE[sourceKind]}): free space on it, or set ` +
          'TMPDIR to a folder on a disk with room';
  return kinded(`${message}: ${advice}`, 'disk-full', err);
}

/**
 * The path a full disk's error names: Node's (or diskFullIn's) `path`, or its `dest` where it has one (a link's error:
 * its path is the file linked to), or the file DuckDB quotes, of the error or of its causes.
 */
function pathWritten(err: unknown): string | undefined {
  // causeChain knows errors by their message, not `instanceof Error`: Node's and DuckDB's may come from another realm (a test's sandbox).
  for (const e of isErrorLike(err) ? causeChain(err).errors : []) {
    const { path: source, dest } = e as { path?: unknown; dest?: unknown };
    const named = typeof dest === 'string' ? dest : source;
    if (typeof named === 'string') return named;
    const quoted = /"([^"]*[\\/][^"]*)"/.exec(messageOf(e))?.[1];
    if (quoted) return quoted;
  }
  return undefined;
}

const isWithin = (file: string, folder: string) => {
  const relative = path.relative(folder, path.resolve(file));
  return !relative.startsWith('..') && !path.isAbsolute(relative);
};

/** A file of a batch on local disk, with why DuckDB must not read it when its scan refused it (refusalOf). */
interface Fetched {
  ref: LogObjectRef;
  fetched: FetchedObject;
  refused: Refusal | undefined;
}

/** A file of a batch deleted from the source since it was listed: nothing to fetch, now or later. */
interface Gone {
  ref: LogObjectRef;
  gone: true;
}

/** A file whose download failed, and why. */
interface NotFetched {
  ref: LogObjectRef;
  error: string;
  kind: ErrorKind;
  /** The error itself: for the run's, when no file could be fetched. */
  cause: unknown;
}

/**
 * Loads the files but those removed since they were fetched (their keys into `removed`). A folder source's files are
 * read where they are, and a tool tidying the folder may remove one between its look and DuckDB's read: DuckDB cannot
 * open it, which fails the batch, and failing the run for it left every other file unread until the next run. The
 * failed load stored nothing (one transaction): the rest are loaded again without it.
 */
async function loadPresent(loader: BatchLoader, files: LocalLogFile[], removed: Set<string>): Promise<FileOutcome[]> {
  try {
    return await loader.load(files);
  } catch (err) {
    const gone = files.filter((f) => !fs.existsSync(f.path));
    if (gone.length === 0) throw err;
    for (const f of gone) removed.add(f.key);
    return loadPresent(loader, files.filter((f) => !removed.has(f.key)), removed);
  }
}

/**
 * Lists and downloads batch k+1 while DuckDB loads batch k, asking `work` for each batch only once the one before is
 * fetched, so that no more than two batches wait on disk. Once `signal` (the stop) is aborted, no further batch is
 * loaded; once `halt` is (the stop, or a failed load), no further download starts. True when every batch `work` gave was.
 */
async function loadPipelined(
  source: LogSource,
  loader: BatchLoader,
  work: AsyncIterator<LogObjectRef[]>,
  concurrency: number,
  signal: AbortSignal | undefined,
  halt: AbortController,
  onLoaded: (outcomes: FileOutcome[], notFetched: NotFetched[], gone: LogObjectRef[]) => Promise<void>
): Promise<boolean> {
  const fetchBatch = (refs: LogObjectRef[]) =>
    mapLimited(refs, concurrency, async (ref): Promise<Fetched | Gone | NotFetched> => {
      try {
        const fetched = await source.fetch(ref);
        // Checked beside the download, so the scan overlaps the load of the batch before, as the download does.
        const refused = await refusalOf(fetched.path).catch((err: unknown) => {
          fetched.release();
          throw err;
        });
        return { ref, fetched, refused };
      } catch (err) {
        if (err instanceof ObjectGoneError) return { ref, gone: true };
        // Credentials refused (expired, unknown) are refused for every file after it: the run fails, as on a full disk,
        // with no file at fault. Recorded, each file of the rest of the run was a download error, all retried by key.
        if (kindOf(err) === 'credentials') {
          halt.abort();
          throw err;
        }
        return { ref, error: messageOf(err), kind: kindOf(err), cause: err };
      }
    }, () => halt.signal.aborted);
  // The next batch: listed (a poll's listing reads S3 and the ledger), then fetched, while the one before loads.
  const following = () => {
    const batch = work.next().then((r) => (r.done ? undefined : fetchBatch(r.value)));
    // Awaited in its turn, once the load before it is done; until then its failure is not an unhandled rejection.
    batch.catch(() => undefined);
    return batch;
  };
  let next = following();
  for (;;) {
    // Awaited even when stopping, to release what it downloaded. An abort during its downloads leaves it partial
    // (mapLimited starts no more), and such a batch is never loaded: aborted stays aborted. A listing that failed
    // throws here, once the batch before is loaded, with nothing of this one fetched.
    const batch = await next;
    if (!batch) return true;
    // Undefined for the files mapLimited did not start, once halted.
    const tried = batch.filter((f) => f !== undefined);
    const ready = tried.filter((f): f is Fetched => 'fetched' in f);
    // A stop during this batch's listing or fetch: it is not loaded (a load takes seconds a shutdown may not have).
    if (signal?.aborted) {
      ready.forEach((f) => f.fetched.release());
      return false;
    }
    next = following();
    try {
      // Recorded as fetched: a retry (retriesDue) names the version that failed, and a rewrite since is read as it is now.
      const files: LocalLogFile[] = ready.map(({ ref, fetched: f }) => ({ path: f.path, key: ref.key, etag: f.etag, size: f.size }));
      // Unreadable as they are: recorded for this version (ETag), read again only once they change.
      const refused = new Map(ready.flatMap(({ ref, refused: refusal }) => (refusal ? [[ref.key, refusal]] : [])));
      const unreadable = files.filter((f) => refused.has(f.key)).map((file) => ({ file, ...refused.get(file.key)! }));
      const removed = new Set<string>();
      const outcomes = [...(await loader.recordErrors(unreadable)), ...(await loadPresent(loader, files.filter((f) => !refused.has(f.key)), removed))];
      const notFetched = tried.filter((f): f is NotFetched => 'error' in f);
      const gone = [...tried.flatMap((f) => ('gone' in f ? [f.ref] : [])), ...ready.filter(({ ref }) => removed.has(ref.key)).map(({ ref }) => ref)];
      await onLoaded(outcomes, notFetched, gone);
    } catch (err) {
      // The next batch's listing and downloads in flight are aborted, and what they fetched released, before the error
      // goes up: left running, the batch went on downloading after the run had failed and closed its source, and the
      // failure waited for a stalled download's idle timeout.
      halt.abort();
      for (const f of (await next.catch(() => undefined)) ?? []) if (f && 'fetched' in f) f.fetched.release();
      throw err;
    } finally {
      ready.forEach(({ fetched: f }) => f.release());
    }
  }
  return true;
}
