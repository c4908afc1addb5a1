import type { DayWindow } from '../keys';

/** One log object as listed: enough to check the ledger and to fetch it. */
export interface LogObjectRef {
  key: string;
  etag: string;
  size: number;
}

/** A local copy of an object, readable by DuckDB; release() removes it if it was a temporary download. */
export interface FetchedObject {
  path: string;
  /**
   * The ETag and size of the version fetched, which the ledger records: not always the ref's. A retry is fetched by key
   * with the ETag it failed with, and the object may have been rewritten since (as it may between a listing and a fetch).
   */
  etag: string;
  size: number;
  release(): void;
}

/** Where log files come from: an S3 bucket or a local folder with the same layout. */
export interface LogSource {
  /** Names the source in ingest_runs: s3://bucket/prefix or the folder's absolute path, down to the folder given. */
  readonly id: string;
  /**
   * Names the source's files in the ledger (ingested_objects, ingest_errors, log_objects): the trail's root when the
   * source is a folder of its layout (an account's), so that a file has one ledger row whichever of them reads it.
   */
  readonly ledger: string;
  /** What every key this source lists starts with ('' for all its ledger's): whose failed downloads it retries. */
  readonly keyScope: string;
  /** How ingest_errors marks its file that could not be fetched (fileFailures.ts): S3's failed download, a folder's failed read. */
  readonly fetchFailed: string;
  /** The listing units inside the window (S3: one per account, region and day), so progress can be shown. */
  plan(window: DayWindow): Promise<string[]>;
  /** Every object under one unit of the plan, event files or not (the caller sorts them out). */
  list(unit: string, window: DayWindow): Promise<LogObjectRef[]>;
  fetch(ref: LogObjectRef): Promise<FetchedObject>;
  /** What the last plan left out unread that the user should hear of, once a run: a folder's links it does not follow, … */
  passedOver?(): PassedOver[];
  close(): void;
}

/** Files a listing left out, said once a run: one of them (key), why and what to do (reason), and what they are (what). */
export interface PassedOver {
  key: string;
  reason: string;
  what: string;
}

/** The object is no longer there (deleted or expired between listing and download): nothing to fetch, now or later. */
export class ObjectGoneError extends Error {
  constructor(key: string) {
    super(`${key} is gone (deleted after it was listed)`);
    this.name = 'ObjectGoneError';
  }
}

/**
 * A unit's listing that the source's server throttled, still after the source's retries (S3's 503 SlowDown): the run
 * skips the unit, reads the others, and then fails naming it (ingest/index.ts), so that the next poll lists it again.
 */
export class ListingThrottled extends Error {
  readonly kind = 'throttled';

  /** `where`: the unit as a person finds it (s3://bucket/key prefix/); `why`: what the server said, and how often. */
  constructor(
    readonly where: string,
    readonly why: string,
    message: string,
    cause: unknown
  ) {
    super(message, { cause });
    this.name = 'ListingThrottled';
  }
}
