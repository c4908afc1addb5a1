// The kind of an ingestion error (src/model/api.ts ErrorKind), found where it is caught from what the error is (the
// AWS SDK's error name and HTTP status, a system error code, DuckDB's error type), not from a message's words, and
// carried on the Error the service makes for a person to read.
import { isErrorKind, type ErrorKind } from '../model/api';
import { messageOf } from '../model/errorMessage';
import { CREDENTIAL_ERROR_NAMES, isMissingCredentials, networkErrorCode } from './awsErrors';

/** An error with its kind, or with the kinds of several sources' errors joined in one message. */
export type KindedError = Error & { kind?: ErrorKind; kinds?: ErrorKind[] };

/** A new error for a person to read that keeps its kind. */
export function kinded(message: string, kind: ErrorKind, cause?: unknown): KindedError {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { kind });
}

/** DuckDB's error type, which it names first: "Out of Memory Error: failed to allocate …". */
export function isOutOfMemory(err: unknown): boolean {
  return /Out of Memory/i.test(messageOf(err));
}

/**
 * A full disk (or quota): Node's ENOSPC or EDQUOT, or DuckDB's IO Error, which carries no code, only the system's words
 * ("Could not write file …: No space left on device").
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return /No space left on device|Disk quota exceeded/i.test(messageOf(err));
}

/**
 * A full disk's error, given the folder it was writing in when the system's error names no path (a write's ENOSPC does
 * not): the advice then names the disk that filled (ingest/index.ts diskFull). Any other error as it is.
 */
export function diskFullIn(err: unknown, folder: string): unknown {
  if (isDiskFull(err) && typeof err === 'object' && err !== null && typeof (err as { path?: unknown }).path !== 'string') Object.assign(err, { path: folder });
  return err;
}

const ACCESS_CODES = ['EACCES', 'EPERM'];

/**
 * S3's answers (400) to a GetObject of an SSE-KMS object whose key it may not use: disabled, in another state than
 * enabled (pending deletion, pending import, unavailable), or deleted. Refused as a denied kms:Decrypt is, and no more
 * likely to pass at the next poll: the key's owner has to act.
 */
export const KMS_KEY_UNUSABLE = ['KMS.DisabledException', 'KMS.KMSInvalidStateException', 'KMS.NotFoundException'] as const;

/**
 * S3's answers (503) when a prefix gets more requests than it takes at the time: a moment's, not the service's fault,
 * passed once S3 has scaled the prefix up. The AWS SDK tries them three times, and a listing more (S3Source). Also
 * S3's 400 for an SSE-KMS download when KMS throttles its Decrypt calls: the same moment's refusal, from the key's quota.
 */
export const THROTTLED = ['SlowDown', 'ServiceUnavailable', 'KMS.ThrottlingException'];

/** The kind of an error as caught: the one it carries, else what the error itself is. */
export function kindOf(err: unknown): ErrorKind {
  const e = err as { kind?: unknown; kinds?: unknown; name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (isErrorKind(e?.kind)) return e.kind;
  if (Array.isArray(e?.kinds) && e.kinds.length === 1 && isErrorKind(e.kinds[0])) return e.kinds[0];
  if (isMissingCredentials(err)) return 'credentials';
  if (networkErrorCode(err)) return 'unreachable';
  const name = typeof e?.name === 'string' ? e.name : '';
  if (name === 'NoSuchBucket') return 'no-bucket';
  if (THROTTLED.includes(name)) return 'throttled';
  if (CREDENTIAL_ERROR_NAMES.includes(name)) return 'credentials';
  if (name === 'AccessDenied' || e?.$metadata?.httpStatusCode === 403 || ACCESS_CODES.includes(String(e?.code))) return 'access-denied';
  if ((KMS_KEY_UNUSABLE as readonly string[]).includes(name)) return 'access-denied';
  if (isOutOfMemory(err)) return 'out-of-memory';
  if (isDiskFull(err)) return 'disk-full';
  return 'other';
}

/** The kinds of an error that may join several sources' (service.ts), in its message's order. */
export function kindsOf(err: unknown): ErrorKind[] {
  const kinds = (err as { kinds?: unknown } | undefined)?.kinds;
  return Array.isArray(kinds) && kinds.every(isErrorKind) ? kinds : [kindOf(err)];
}
