// The wire contract between the service's HTTP API and its clients (backend plugin, CLI, tests).
import type { TrailhoundQuery } from './query';

export type FieldType = 'time' | 'number' | 'string' | 'boolean';

/** One column of a frame. Times are epoch milliseconds; a missing value is null. */
export interface FrameField {
  name: string;
  type: FieldType;
  values: Array<number | string | boolean | null>;
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
}

/** A frame's notice, as Grafana reads meta.notices (shown in the panel's header). */
export interface Notice {
  severity: 'info' | 'warning';
  text: string;
}

/** A columnar data frame, as Grafana models it. */
export interface Frame {
  name?: string;
  meta?: Record<string, unknown>;
  fields: FrameField[];
}

/**
 * A time series' frame without points: where a series has no events, still the one its notices are shown on (a
 * retention that emptied the range, a zone drawn in UTC). A new one each time: frames are built up in place.
 */
export function noPointsFrame(meta?: Frame['meta']): Frame {
  return {
    name: 'events',
    ...(meta && { meta }),
    fields: [
      { name: 'time', type: 'time', values: [] },
      { name: 'events', type: 'number', values: [] },
    ],
  };
}

export interface TimeRange {
  /** ISO 8601 or epoch milliseconds. */
  from: string | number;
  to: string | number;
  /** The IANA time zone whose days and hours a time series' buckets are (Europe/Berlin); UTC when absent. */
  timeZone?: string;
}

export interface QueryRequest {
  range: TimeRange;
  intervalMs?: number;
  maxDataPoints?: number;
  queries: Array<TrailhoundQuery & { refId: string }>;
}

/**
 * Added: the code of every error answer, beside its `error` (a query's failed result too): a stable name to act on
 * instead of the words, which change from one version to the next. The one list of them; docs/DESIGN.md's and
 * README's tables name each. Absent from every answer of services up to 0.1.0, which have only the words (and from
 * the builds after it that coded only the refusals of the unknown). More codes may come: a client treats one it does
 * not know as the HTTP status says.
 */
export const API_ERROR_CODES = [
  /** 400 (or 408, 415): a request the service cannot take as it is, which the words say how to fix. */
  'invalid-request',
  /** 400: a field or parameter the service does not know (`refuseUnknownFields`): a client newer than the service. */
  'unknown-field',
  /** 400: a value that is not one of a field's (a groupBy, a dimension, a time field). */
  'unknown-value',
  /** 400: a filter (or exclusion) the service does not know. */
  'unknown-filter',
  /** 404: no such endpoint; 405 (with an Allow header): a known path called with another method. */
  'unknown-endpoint',
  /**
   * 400, 413 or 431: more than the service answers at once (a body or headers over their limits, over 50 queries, a
   * points or rows budget): ask for less, or split it.
   */
  'too-large',
  /** 401: the bearer token is missing or wrong. */
  'unauthorized',
  /** 503: the service is opening its database; queries answer in a moment. */
  'starting',
  /** 503: the service is upgrading its database (minutes); queries answer when it is done. */
  'upgrading',
  /** 404: no stored event has that eventID (or the retention removed it as it was read). */
  'not-found',
  /** 409: a backfill is already running. */
  'backfill-running',
  /** 501: this service does not ingest (no source), so it has no backfill. */
  'no-backfill',
  /** 504: a query, or the whole request, ran longer than the service lets it, and was stopped. */
  'timeout',
  /** 499: the client closed the connection before the answer (no one reads it; a metric counts it). */
  'client-closed',
  /** 500: an event's kept log file is damaged or does not hold it; the words name the file. */
  'unreadable-record',
  /** 500: anything unexpected; the words name the id of its line in the service log, and nothing else. */
  'internal',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Added: the header on every answer of the service (its version), success or error, on every route: a client takes an
 * answer that has it for the service's own, as a proxy's own page (a sign-in, a gateway's 502 or 504) does not carry
 * its upstream's headers. An answer without it is a proxy's, or an older service's (readHttpAnswer).
 */
export const SERVICE_HEADER = 'trailhound-version';

/** Every error answer of the API (and a query's failed result, with its status). */
export interface ApiError {
  error: string;
  /** Added: absent from 0.1.0's answers. */
  code?: ApiErrorCode;
}

/** The codes of a refusal of something the service does not know: what a client newer than the service sends. */
export const UNKNOWN_CODES = ['unknown-field', 'unknown-value', 'unknown-filter', 'unknown-endpoint'] as const satisfies readonly ApiErrorCode[];

export type QueryResult = { frames: Frame[] } | (ApiError & { status: number });

export interface QueryResponse {
  results: Record<string, QueryResult>;
}

/**
 * Added: a line of POST /api/query's answer when the client asks for `Accept: application/x-ndjson` (a service older
 * than this answers QueryResponse's JSON whatever it is asked: a client checks the answer's Content-Type). A refId and
 * a part of its result: one frame (the frames of a result come in order, one line each, one line of none for a result
 * without frames), or its error. The last line is `{ end: true }`; an answer without it was cut short.
 */
export type QueryResultLine = ({ refId: string } & QueryResult) | { end: true };

/**
 * GET /api/health: always 200 while the process runs (a liveness check: a restart would start a migration over).
 * `status` is always 'ok': clients since 0.1.0 (its plugin's Save & test) take anything else for something that is not
 * a Trailhound service, so whether queries answer is in `database`: 'open' once they do; while the service opens its
 * database, 'starting', or 'upgrading' during a migration that reads the kept log files back (minutes on a big
 * database), and every other endpoint answers 503.
 */
export interface HealthResponse {
  status: 'ok';
  version: string;
  /** Added: absent from 0.1.0, which answered only once its database was open. */
  database?: 'open' | DatabaseOpening['status'];
  /** While starting or upgrading: what the service does, for a person. */
  message?: string;
  /** While upgrading. */
  upgrade?: DatabaseUpgrade;
}

/** What the service's database is doing before it is open (HealthResponse's `database`, `message` and `upgrade`). */
export interface DatabaseOpening {
  status: 'starting' | 'upgrading';
  message: string;
  upgrade?: DatabaseUpgrade;
}

/** A migration that reads the kept log files back. No counts: /api/health needs no token, and tells nothing of the data. */
export interface DatabaseUpgrade {
  fromVersion: number;
  toVersion: number;
  /** ISO 8601. */
  startedAt: string;
  /** About how long it takes in all (~10 s a million events), rounded up to a coarse step (30 s, 1, 2, 5 … minutes). */
  estimatedSeconds: number;
  /** How far the pass over the kept log files running now is, once one runs. */
  progress?: { step: string; percent: number };
}

export interface IngestStatus {
  objects: number;
  events: number;
  errors: number;
  skipped: number;
  newestEvent: string | null;
  oldestEvent: string | null;
  /** Seconds between now and the newest event, null when there are none. */
  lagSeconds: number | null;
  lastPoll: string | null;
  lastPollError: string | null;
  /**
   * The kind of each failing source's error in lastPollError, in its order (one when a single source failed); null
   * when the last poll did not fail. Absent from services older than the field: a client then has only the words.
   */
  lastPollErrorKinds?: ErrorKind[] | null;
  /**
   * The last backfill asked for with POST /api/backfill since the service started; null when none was.
   * Absent from services older than this field, and from `trailhound report ingest`, which has no service.
   */
  backfill?: BackfillStatus | null;
  /** The last prune under a retention (serve/ingest --retention-days, trailhound prune); null when none ran. */
  retention?: RetentionStatus | null;
  /** Each source the service reads, in its order; null for a database no service has read into. */
  sources?: SourceStatus[] | null;
}

/** GET /api/ingest/errors: the log files ingestion could not read, kept until a later run reads them (or the retention drops their day). */
export interface IngestErrors {
  /** How many there are in all; `errors` holds at most the limit asked for. */
  total: number;
  /** Newest failure first. */
  errors: IngestError[];
}

/**
 * How an IngestError's reason starts for a file that could not be fetched, as opposed to one fetched whose content
 * could not be read: an S3 object whose download failed (what follows is S3's error), a folder's file that could not be
 * read from disk (its path on the service's disk follows).
 */
export const DOWNLOAD_FAILED = 'download failed: ';
export const READ_FAILED = 'read failed: ';
export const FETCH_FAILED_MARKS = [DOWNLOAD_FAILED, READ_FAILED] as const;

export interface IngestError {
  /** As the service was given it, as in SourceStatus (the resolved folder or s3://bucket/prefix/ for a file only ingest read). */
  source: string;
  /** The S3 key, or the file's path under its folder. */
  key: string;
  /** Why it could not be read (or fetched: "download failed: …" from S3, "read failed: …" from a folder's disk). */
  reason: string;
  /** The reason's kind: a file kind (FILE_ERROR_KINDS) or out-of-memory when it was read, another when its download failed. Absent from older services. */
  kind?: ErrorKind;
  /** When it last failed (ISO). */
  failedAt: string;
  /**
   * Added: when a file that ran out of memory, or whose download was refused, is tried again (ISO), its wait doubling
   * after each failure (a service with another memory limit tries the first at once; a backfill, the second). Absent
   * for other files (another failed download is tried at every run) and from older services.
   */
  retryAt?: string;
}

export interface SourceStatus {
  /** As the service was given it (--source, TRAILHOUND_SOURCE): s3://bucket/prefix or a folder, perhaps relative to where it runs. */
  source: string;
  /** Log files ingested from it. */
  objects: number;
  /** When its last run finished (ISO); null before its first. */
  lastRun: string | null;
  /** Why that run failed; null when it did not. */
  lastError: string | null;
  /** lastError's kind; null when it did not fail. Absent from older services. */
  lastErrorKind?: ErrorKind | null;
}

export interface RetentionStatus {
  /** Days of events kept. */
  days: number;
  /** Events before this time were removed (ISO). */
  before: string;
  /** When (ISO). */
  prunedAt: string;
}

export interface BackfillStatus {
  days: number;
  /** running also while it waits for the poll in progress: ingestion runs one at a time. */
  state: 'running' | 'done' | 'failed';
  /** ISO times. */
  startedAt: string;
  finishedAt?: string;
  /** Why it failed. */
  error?: string;
  /** The kind of each failing source's error in `error`, in its order. Absent from older services. */
  errorKinds?: ErrorKind[];
}

/**
 * What kind of failure an ingestion error message is: a stable, machine-readable name beside the message, derived
 * where the error is caught (the AWS SDK's error names and codes, system error codes, DuckDB's error types), so that
 * clients need not read the message's words, which may change. New kinds may be added: a client treats one it does
 * not know as it treats `other`.
 *
 * About the service's side (its credentials, permissions, endpoints, folders, memory):
 * - `credentials`: no AWS credentials, or refused ones (InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken, InvalidToken)
 * - `access-denied`: AccessDenied or another 403 (an S3 or KMS permission; a file the service may not read), or an
 *   SSE-KMS key S3 may not use (its 400 KMS.DisabledException, KMS.KMSInvalidStateException, KMS.NotFoundException)
 * - `unreachable`: an endpoint that could not be reached (connection refused, DNS, timeouts, a stalled download)
 * - `throttled`: S3 throttled the requests (its 503 SlowDown or ServiceUnavailable) past every retry
 * - `no-bucket`: NoSuchBucket
 * - `no-logs`: nothing under the source's AWSLogs/
 * - `no-folder`: a folder source that is not there
 * - `out-of-memory`: DuckDB's memory limit (a run, or one file whose records do not fit)
 * - `disk-full`: no space left on the disk (or quota) the database, its kept log files or DuckDB's spill files are on
 * - `other`: none of these
 *
 * About a log file's content (FILE_ERROR_KINDS; the message names only the file):
 * - `bad-gzip`: not gzip, or a broken gzip stream
 * - `bad-json`: not JSON, or cut short
 * - `no-records`: JSON without CloudTrail's Records array
 * - `too-big`: unpacks too far (a gzip bomb), or too big a value for a file not in CloudTrail's layout
 * - `unreadable`: another fault of the file's content
 */
export const ERROR_KINDS = [
  'credentials',
  'access-denied',
  'unreachable',
  'throttled',
  'no-bucket',
  'no-logs',
  'no-folder',
  'out-of-memory',
  'disk-full',
  'other',
  'bad-gzip',
  'bad-json',
  'no-records',
  'too-big',
  'unreadable',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The kinds that say what is wrong with a log file's content. */
export const FILE_ERROR_KINDS: readonly ErrorKind[] = ['bad-gzip', 'bad-json', 'no-records', 'too-big', 'unreadable'];

export const isErrorKind = (value: unknown): value is ErrorKind => typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value);
