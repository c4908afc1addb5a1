// What the AWS SDK's errors mean for a user: shared by the S3 source and the trail inventory.

export const NO_CREDENTIALS =
  'No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance/task role is available.';

export function isMissingCredentials(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | undefined;
  return e?.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '');
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'];

/** The system error code when the endpoint could not be reached at all (no answer, unlike a denied request). */
export function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: string } | undefined;
  const code = [e?.code, e?.cause?.code].find((c): c is string => typeof c === 'string' && NETWORK_CODES.includes(c));
  return code ?? NETWORK_CODES.find((c) => e?.message?.includes(c));
}
