// What the service says went wrong with ingestion, as each Grafana user may see it. Its messages name the service's
// side: AWS's AccessDenied text names the IAM role and account ("User: arn:aws:sts::…:assumed-role/… is not
// authorized"), the bucket and KMS key; others name an endpoint, a folder on the service's host or an AWS profile.
// Grafana lets everyone who may query the data source (Viewers, a public dashboard) read the ingestion status, so an
// organization Editor or Admin gets the message whole, anyone else the kind of error and where the details are.
import type { Frame, IngestErrors, IngestStatus } from '../model/api';
import type { PluginContext } from './types';

/** Whether the calling user sees the service's messages whole: an organization Editor or Admin (Grafana's basic role). */
export function seesDetails(context: PluginContext | null | undefined): boolean {
  const role = context?.user?.role;
  return role === 'Admin' || role === 'Editor';
}

/**
 * The kinds of failure, by the words of the service's own messages (src/service/awsErrors.ts, ingest/sources/):
 * visibility.test.ts feeds it those functions' real output, so a rewording there fails a test here.
 */
const KINDS: Array<[RegExp, string]> = [
  [/no AWS credentials found|gave no credentials|refused the credentials/i, 'AWS credentials missing or refused'],
  [/was denied|AccessDenied|not authorized|\(HTTP 403\)/i, 'access denied'],
  [/cannot reach/i, 'an endpoint could not be reached'],
  [/bucket \S+ does not exist/i, 'a bucket that does not exist'],
  [/no CloudTrail logs under/i, 'no CloudTrail logs where a source points'],
  [/is not a folder/i, 'a source folder that is not there'],
  [/out of memory/i, 'out of memory'],
];

/** "access denied": each kind a message holds (a poll of several sources joins theirs), or "an error". */
export function errorKinds(message: string): string {
  const kinds = KINDS.filter(([pattern]) => pattern.test(message)).map(([, kind]) => kind);
  return kinds.length > 0 ? kinds.join('; ') : 'an error';
}

/** A message as someone who does not see the details reads it: its kind, and who has the rest. */
export function shortError(message: string): string {
  const kinds = errorKinds(message);
  return `${kinds[0].toUpperCase()}${kinds.slice(1)}: an organization Editor or Admin sees the details here, and the trailhound service log has them`;
}

const orNull = (message: string | null | undefined) => (message ? shortError(message) : message);

/** The ingestion status without the service's messages: the last poll's, each source's last run's, the backfill's. */
export function shortStatus(status: IngestStatus): IngestStatus {
  return {
    ...status,
    lastPollError: orNull(status.lastPollError) ?? null,
    ...(status.backfill && { backfill: { ...status.backfill, ...(status.backfill.error && { error: shortError(status.backfill.error) }) } }),
    ...(status.sources && { sources: status.sources.map((s) => ({ ...s, lastError: orNull(s.lastError) ?? null })) }),
  };
}

/** How ingest_errors marks a file that could not be fetched: what follows is the S3 error, which names the role. */
const DOWNLOAD_FAILED = 'download failed: ';

/**
 * An unreadable file's reason: a failed download's S3 error is shortened; what is wrong with a file's content (bad
 * gzip, not JSON, no Records) stays, since it names nothing but the file, whose key the list shows anyway.
 */
export function shortReason(reason: string): string {
  return reason.startsWith(DOWNLOAD_FAILED) ? `${DOWNLOAD_FAILED}${shortError(reason.slice(DOWNLOAD_FAILED.length))}` : reason;
}

export function shortErrors(list: IngestErrors): IngestErrors {
  return { ...list, errors: (list.errors ?? []).map((e) => ({ ...e, reason: shortReason(e.reason) })) };
}

/** An `ingest` query's frames: the status's "last poll error" and the unreadable files' "reason" columns. */
export function shortIngestFrame(frame: Frame): Frame {
  const shorten: Record<string, ((text: string) => string) | undefined> = { 'last poll error': shortError, reason: shortReason };
  return {
    ...frame,
    fields: frame.fields.map((field) => {
      const short = shorten[field.name];
      return short && field.type === 'string' ? { ...field, values: field.values.map((v) => (typeof v === 'string' && v ? short(v) : v)) } : field;
    }),
  };
}
