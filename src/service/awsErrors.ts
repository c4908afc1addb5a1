// What the AWS SDK's errors mean for a user: shared by the S3 source and the trail inventory.
import { causeChain, isErrorLike } from '../model/errorChain';

/** What to do when the SDK's default credential chain found nothing: a named profile has its own likely causes. */
export function noCredentials(profile = process.env.AWS_PROFILE): string {
  if (profile) {
    return `AWS profile "${profile}" gave no credentials: check that it is in ~/.aws/config or ~/.aws/credentials, ` +
      `and for an SSO profile run "aws sso login --profile ${profile}".`;
  }
  return 'No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance/task role is available.';
}

export function isMissingCredentials(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  return e?.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '');
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'];

/** The system error code when the endpoint could not be reached at all (no answer, unlike a denied request). */
export function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: string; name?: unknown } | undefined;
  const code = [e?.code, e?.cause?.code].find((c): c is string => typeof c === 'string' && NETWORK_CODES.includes(c));
  // The SDK's own timeouts (no connection within 10 s, no byte for 60 s, no answer to a listing within 15 s: a firewall
  // that drops packets, a server that hangs) are a TimeoutError: they are as unreachable as a refused connection.
  return code ?? NETWORK_CODES.find((c) => e?.message?.includes(c)) ?? (e?.name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
}

/** The SDK's message without its package's name and its note on where the timeout was set, which say nothing to a user. */
const sdkMessage = (err: unknown) =>
  ((err as { message?: string } | undefined)?.message ?? '')
    .replace(/^@smithy\/[\w-]+ - /, '')
    .replace(/ \((configured by client requestHandler|service default socket timeout)\)/, '')
    // The answer timeout (awsTimeouts.ts): "[ERROR] a request has exceeded the configured 15000 ms requestTimeout".
    .replace(/^\[ERROR\] a request has exceeded the configured (\d+) ms requestTimeout\b.*/, 'no answer within $1 ms')
    .replace(/\.$/, '');

/** One AWS service as the user configures it: its name, and the flag that points it at another endpoint. */
export interface AwsService {
  /** "S3", "CloudTrail" */
  name: string;
  /** How to name it without a custom endpoint: "S3", "the CloudTrail API". */
  aws: string;
  /** What to check about a custom endpoint: "--s3-endpoint (or TRAILHOUND_S3_ENDPOINT) and that the server runs". */
  endpointCheck: string;
  /** The setting that names a custom endpoint: "--s3-endpoint (or TRAILHOUND_S3_ENDPOINT)". */
  setting: string;
}

/**
 * What to add when AWS does not know the access key: AWS GovCloud (US) and AWS China are partitions of their own, whose
 * keys the others do not know, and the SDK asks the Region of AWS_REGION (else us-east-1) whatever the bucket's.
 */
export function otherPartition(region: string, what: string): string {
  const partition = region.startsWith('us-gov-') ? 'AWS GovCloud (US)' : region.startsWith('cn-') ? 'AWS China' : undefined;
  if (partition) return ` AWS_REGION is ${region}, in ${partition}: only its own keys are known there.`;
  return ` Keys of AWS GovCloud (US) and of AWS China are known only there: for ${what} in one of them, set AWS_REGION to its Region (this asked ${region}).`;
}

/** 403s that are about the credentials themselves, not about what they may do (the AWS SDK's error names). */
export const CREDENTIAL_ERROR_NAMES = ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'];

/** When `err` means the service could not be reached at all: which endpoint, and what to check. */
export function unreachable(err: unknown, service: AwsService, endpoint: string | undefined): string | undefined {
  const code = networkErrorCode(err);
  if (!code) return undefined;
  const where = endpoint ? `the ${service.name} endpoint ${endpoint}` : service.aws;
  const check = endpoint ? service.endpointCheck : 'the network, proxy settings and AWS_REGION';
  return `cannot reach ${where} (${code}, ${sdkMessage(err)}): check ${check}`;
}

/**
 * When the endpoint answered, but not as the service does: no error code the SDK can read, only its "UnknownError" (an
 * empty 404) or a "Deserialization error" (a web page, another API's JSON). Another server at that address (Grafana,
 * trailhound's own API), or a proxy in the way; the SDK's words send a user to a hidden `$response` field.
 */
export function notTheService(err: unknown, service: AwsService, endpoint: string | undefined): string | undefined {
  const e = err as { message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined || (e?.message !== 'UnknownError' && !/Deserialization error/.test(e?.message ?? ''))) return undefined;
  if (!endpoint) return `${service.aws} answered HTTP ${status}, but not as ${service.name} does: a proxy in the way? Check the network and proxy settings`;
  return `the ${service.name} endpoint ${endpoint} answered HTTP ${status}, but not as ${service.name} does: ` +
    `check that ${service.setting} is the address of the ${service.name}-compatible server`;
}

/** What identifies AWS's answer to a failed call, for a log line (see awsAnswerOf). */
export interface AwsAnswer {
  /** AWS's error code, as the SDK names the error: AccessDenied, NoSuchBucket, ExpiredToken, SlowDown. */
  awsError: string;
  httpStatus: number;
  /** The ids that AWS Support asks for (S3's x-amz-request-id and x-amz-id-2). */
  requestId?: string;
  extendedRequestId?: string;
}

/** The SDK's `$metadata` of an error, if it has one. */
const metadataOf = (e: Error) => (e as { $metadata?: { httpStatusCode?: unknown; requestId?: unknown; extendedRequestId?: unknown } | null }).$metadata;

/**
 * AWS's answer in `err` or its causes (the SDK's errors carry `$metadata`): our errors wrap the SDK's in words a user
 * can act on, and a log line that gave those words alone lost the code and the request id. Undefined when no AWS
 * service answered (unreachable, no credentials, a file's fault).
 */
export function awsAnswerOf(err: unknown): AwsAnswer | undefined {
  if (!isErrorLike(err)) return undefined;
  // The SDK gives a call that got no answer (refused, timed out) $metadata too, with its attempts but no HTTP status.
  const answered = causeChain(err).errors.find((e) => typeof metadataOf(e)?.httpStatusCode === 'number');
  if (!answered) return undefined;
  const { httpStatusCode, requestId, extendedRequestId } = metadataOf(answered)!;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const answer: AwsAnswer = { awsError: answered.name, httpStatus: httpStatusCode as number };
  if (text(requestId)) answer.requestId = text(requestId);
  if (text(extendedRequestId)) answer.extendedRequestId = text(extendedRequestId);
  return answer;
}
