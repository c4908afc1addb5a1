// What the service says went wrong with ingestion, as each Grafana user may see it. Its messages name the service's
// side: AWS's AccessDenied text names the IAM role and account ("User: arn:aws:sts::…:assumed-role/… is not
// authorized"), the bucket and KMS key; others name an endpoint, a folder on the service's host or an AWS profile.
// Grafana lets everyone who may query the data source (Viewers, a public dashboard) read the ingestion status, so an
// organization Editor or Admin gets the message whole, anyone else the kind of error and where the details are.
import {
  FETCH_FAILED_MARKS,
  FILE_ERROR_KINDS,
  isErrorKind,
  type BackfillStatus,
  type ErrorKind,
  type Frame,
  type IngestError,
  type IngestErrors,
  type IngestStatus,
  type RetentionStatus,
  type SourceStatus,
} from '../model/api';
import type { PluginContext } from './types';

/** Whether the calling user sees the service's messages whole: an organization Editor or Admin (Grafana's basic role). */
export function seesDetails(context: PluginContext | null | undefined): boolean {
  const role = context?.user?.role;
  return role === 'Admin' || role === 'Editor';
}

/** How a Viewer reads each kind the service names beside its messages (model/api.ts ErrorKind). */
const KIND_TEXT: Record<ErrorKind, string> = {
  credentials: 'AWS credentials missing or refused',
  'access-denied': 'access denied',
  unreachable: 'an endpoint could not be reached',
  throttled: 'S3 throttled the requests',
  'no-bucket': 'a bucket that does not exist',
  'no-logs': 'no CloudTrail logs where a source points',
  'no-folder': 'a source folder that is not there',
  'out-of-memory': 'out of memory',
  'disk-full': 'the disk is full',
  other: 'an error',
  'bad-gzip': 'a file that is not gzip',
  'bad-json': 'a file that is not JSON',
  'no-records': 'a file without Records',
  'too-big': 'a file too big for what it is',
  unreadable: 'an unreadable file',
};

/**
 * Only for a service older than the kinds it sends (0.1.0's first builds): the kinds by the words of its messages
 * (src/service/awsErrors.ts, ingest/sources/). visibility.test.ts feeds it those functions' real output, so a
 * rewording there fails a test here; a service that sends kinds is never read by its words.
 */
const KINDS_BY_WORDS: Array<[RegExp, string]> = [
  [/no AWS credentials found|gave no credentials|refused the credentials/i, 'AWS credentials missing or refused'],
  [/was denied|AccessDenied|not authorized|\(HTTP 403\)/i, 'access denied'],
  [/cannot reach/i, 'an endpoint could not be reached'],
  [/bucket \S+ does not exist/i, 'a bucket that does not exist'],
  [/no CloudTrail logs under/i, 'no CloudTrail logs where a source points'],
  [/is not a folder/i, 'a source folder that is not there'],
  [/out of memory/i, 'out of memory'],
];

/**
 * "access denied": each kind of a message (a poll of several sources joins theirs), or "an error". `kinds` are what the
 * service said; without them (an older service), or with one this plugin does not know, the message's words decide.
 */
export function errorKinds(message: string, kinds?: readonly unknown[] | null): string {
  const texts =
    kinds && kinds.length > 0 && kinds.every(isErrorKind)
      ? kinds.map((kind) => KIND_TEXT[kind])
      : KINDS_BY_WORDS.filter(([pattern]) => pattern.test(message)).map(([, kind]) => kind);
  const distinct = [...new Set(texts)];
  return distinct.length > 0 ? distinct.join('; ') : 'an error';
}

/** A message as someone who does not see the details reads it: its kind, and who has the rest. */
export function shortError(message: string, kinds?: readonly unknown[] | null): string {
  const text = errorKinds(message, kinds);
  return `${text[0].toUpperCase()}${text.slice(1)}: an organization Editor or Admin sees the details here, and the trailhound service log has them`;
}

const one = (kind: unknown) => (kind === undefined || kind === null ? undefined : [kind]);
const shortOrNull = (message: unknown, kinds?: readonly unknown[] | null) => (typeof message === 'string' && message ? shortError(message, kinds) : null);

/**
 * What a Viewer reads of an object the service sent: each field of its type, either kept (KEEP: a number, a text,
 * true or false, null, or a list of those; anything else is dropped) or made by its function. A field the list does
 * not name is dropped: a newer service's new field (perhaps a message naming its role) reaches no Viewer until this
 * plugin says how it may. The type names every field of the model, so a field added there must be decided here.
 */
const KEEP = 'keep';
type Allowed<T> = { readonly [K in keyof Required<T>]: typeof KEEP | ((whole: T) => T[K] | undefined) };

const isPlain = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const keepPlain = (v: unknown) => (isPlain(v) || (Array.isArray(v) && v.every(isPlain)) ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function allowed<T extends object>(value: T, fields: Allowed<T>): T {
  const out: Record<string, unknown> = {};
  if (!isObject(value)) return out as T;
  for (const [key, rule] of Object.entries(fields) as Array<[keyof T & string, Allowed<T>[keyof T]]>) {
    if (!Object.hasOwn(value, key)) continue;
    const kept = rule === KEEP ? keepPlain(value[key]) : rule(value);
    if (kept !== undefined) out[key] = kept;
  }
  return out as T;
}

/** An object field: null stays null, an object keeps its allowed fields, anything else is dropped. */
const nested = <T extends object>(v: T | null | undefined, fields: Allowed<T>) => (v === null ? null : isObject(v) ? allowed(v, fields) : undefined);

const BACKFILL_FIELDS: Allowed<BackfillStatus> = {
  days: KEEP,
  state: KEEP,
  startedAt: KEEP,
  finishedAt: KEEP,
  error: (b) => shortOrNull(b.error, b.errorKinds) ?? undefined,
  errorKinds: KEEP,
};
const RETENTION_FIELDS: Allowed<RetentionStatus> = { days: KEEP, before: KEEP, prunedAt: KEEP };
const SOURCE_FIELDS: Allowed<SourceStatus> = {
  source: KEEP,
  objects: KEEP,
  lastRun: KEEP,
  lastError: (s) => shortOrNull(s.lastError, one(s.lastErrorKind)),
  lastErrorKind: KEEP,
};
const STATUS_FIELDS: Allowed<IngestStatus> = {
  objects: KEEP,
  events: KEEP,
  errors: KEEP,
  skipped: KEEP,
  newestEvent: KEEP,
  oldestEvent: KEEP,
  lagSeconds: KEEP,
  lastPoll: KEEP,
  lastPollError: (s) => shortOrNull(s.lastPollError, s.lastPollErrorKinds),
  lastPollErrorKinds: KEEP,
  backfill: (s) => nested(s.backfill, BACKFILL_FIELDS),
  retention: (s) => nested(s.retention, RETENTION_FIELDS),
  sources: (s) => (s.sources === null ? null : Array.isArray(s.sources) ? s.sources.map((source) => allowed(source, SOURCE_FIELDS)) : undefined),
};

/**
 * The ingestion status as a Viewer reads it: the fields this plugin knows a Viewer may read, the service's messages
 * (the last poll's, each source's last run's, the backfill's) shortened to their kind, every other field dropped.
 */
export function shortStatus(status: IngestStatus): IngestStatus {
  return allowed(status, STATUS_FIELDS);
}

/** The kinds of a file read but not loaded: what is wrong with its content, or that it did not fit in memory. */
const READ_KINDS: readonly ErrorKind[] = [...FILE_ERROR_KINDS, 'out-of-memory'];

/**
 * An unreadable file's reason: a failed download's S3 error is shortened; what is wrong with a file's content (bad
 * gzip, not JSON, no Records) stays, since it names nothing but the file, whose key the list shows anyway. The kind
 * says which is which; without a kind this plugin knows (an older service), the service's "download failed: " mark.
 */
export function shortReason(reason: string, kind?: unknown): string {
  const known = isErrorKind(kind);
  const mark = FETCH_FAILED_MARKS.find((m) => reason.startsWith(m)) ?? '';
  if (known ? READ_KINDS.includes(kind) : !mark) return reason;
  return `${mark}${shortError(reason.slice(mark.length), known ? [kind] : undefined)}`;
}

const FILE_FIELDS: Allowed<IngestError> = {
  source: KEEP,
  key: KEEP,
  reason: (e) => (typeof e.reason === 'string' ? shortReason(e.reason, e.kind) : undefined),
  kind: KEEP,
  failedAt: KEEP,
  retryAt: KEEP,
};

/** The unreadable files as a Viewer reads them: the fields a Viewer may read, a failed download's reason shortened. */
export function shortErrors(list: IngestErrors): IngestErrors {
  return allowed(list, { total: KEEP, errors: (l) => (Array.isArray(l.errors) ? l.errors.map((e) => allowed(e, FILE_FIELDS)) : []) });
}

/** How a Viewer reads a column of an ingest frame: kept as it is, or each text shortened (a column of another type is dropped). */
type Column = typeof KEEP | ((text: string, row: number) => string);

/**
 * The columns of the `ingest` frames (the service's ingestFrame and ingestErrorsFrame) a Viewer may read, by frame and
 * column name; the shortened ones by the kinds the service puts in the frame's meta.custom (lastPollErrorKinds;
 * reasonKinds, row by row), else by their words. A column a newer service adds, or a frame of another name, is dropped.
 */
function viewerColumns(frame: Frame): Record<string, Column> {
  const custom = (frame.meta?.custom ?? {}) as { lastPollErrorKinds?: unknown; reasonKinds?: unknown };
  const pollKinds = Array.isArray(custom.lastPollErrorKinds) ? custom.lastPollErrorKinds : undefined;
  const reasonKinds = Array.isArray(custom.reasonKinds) ? custom.reasonKinds : [];
  switch (frame.name) {
    case 'ingestion':
      return {
        objects: KEEP, events: KEEP, errors: KEEP, skipped: KEEP, 'newest event': KEEP, lag: KEEP, 'last poll': KEEP, 'oldest event': KEEP, retention: KEEP,
        'last poll error': (text) => shortError(text, pollKinds),
      };
    case 'unreadable files':
      // 'retry after' is a time the settings page shows a Viewer too (retryAt): it names nothing.
      return { time: KEEP, source: KEEP, key: KEEP, reason: (text, row) => shortReason(text, reasonKinds[row]), 'retry after': KEEP };
    default:
      return {};
  }
}

/** An `ingest` query's frame as a Viewer reads it: the columns viewerColumns allows, its messages shortened. */
export function shortIngestFrame(frame: Frame): Frame {
  const columns = viewerColumns(frame);
  return {
    ...frame,
    fields: frame.fields.flatMap((field) => {
      const column = Object.hasOwn(columns, field.name) ? columns[field.name] : undefined;
      if (column === undefined) return [];
      if (column === KEEP) return [field];
      if (field.type !== 'string') return [];
      return [{ ...field, values: field.values.map((v, row) => (typeof v === 'string' && v ? column(v, row) : v)) }];
    }),
  };
}
