// The design's field rules, written a second time in plain TypeScript straight from DESIGN.md, so tests can
// compute what a report must say from the raw records without asking the SQL that is under test.
import net from 'node:net';
import zlib from 'node:zlib';
import { generateLogObjects, type GenerateOptions } from '../../src/generator';
import type { CloudTrailRecord } from './stratus';

export function oracleUser(r: CloudTrailRecord): string {
  const id = r.userIdentity ?? {};
  const name = (() => {
    switch (id.type) {
      case 'IAMUser':
      case 'SAMLUser':
      case 'WebIdentityUser':
      case 'IdentityCenterUser':
        return id.userName;
      case 'AssumedRole':
        return id.sessionContext?.sessionIssuer?.userName ?? id.arn?.split('/')[1];
      case 'Root':
        return 'root';
      case 'FederatedUser':
        return id.arn?.split('federated-user/')[1];
      case 'AWSService':
        return id.invokedBy;
      case 'AWSAccount':
        return id.accountId;
      default:
        throw new Error(`identity type ${id.type} is not in the design's rules: extend the oracle`);
    }
  })();
  return name || id.arn || id.principalId;
}

export const oracleService = (r: CloudTrailRecord): string => String(r.eventSource).replace(/\.amazonaws\.com$/, '');

const failedLogin = (r: CloudTrailRecord) => r.eventName === 'ConsoleLogin' && r.responseElements?.ConsoleLogin === 'Failure';

export function oracleIsError(r: CloudTrailRecord): boolean {
  if (r.errorCode === 'Client.DryRunOperation') return false;
  return r.errorCode !== undefined || r.errorMessage !== undefined || failedLogin(r);
}

export function oracleUnauthorized(r: CloudTrailRecord): boolean {
  const code: string = r.errorCode ?? '';
  return (
    /^AccessDenied|UnauthorizedOperation$|NotAuthorized|^UnauthorizedException$|^AuthFailure$|^Forbidden/.test(code) ||
    /^not authorized/i.test(r.errorMessage ?? '') ||
    failedLogin(r)
  );
}

export function oracleReadOnly(r: CloudTrailRecord): boolean {
  if (typeof r.readOnly === 'boolean') return r.readOnly;
  return /^(Describe|List|Get|Head|Lookup|BatchGet|Search)/.test(r.eventName);
}

/** MFA behind the call where the record says: a console login's MFAUsed, a session's mfaAuthenticated. */
export function oracleMfa(r: CloudTrailRecord): boolean | null {
  const login = r.additionalEventData?.MFAUsed;
  const session = r.userIdentity?.sessionContext?.attributes?.mfaAuthenticated;
  // A federated console sign-in does not know what its identity provider checked.
  const signIn = r.eventSource === 'signin.amazonaws.com' && r.eventName === 'ConsoleLogin';
  if (signIn && !['IAMUser', 'Root'].includes(String(r.userIdentity?.type ?? 'Unknown'))) return null;
  if (login === 'Yes' || session === 'true') return true;
  if (login === 'No' || session === 'false') return false;
  return null;
}

/** What an AWS service did: a call it made for an identity (invokedBy), a call as itself, an AWS service event. */
export const oracleServiceCall = (r: CloudTrailRecord): boolean =>
  Boolean(r.userIdentity?.invokedBy) || r.userIdentity?.type === 'AWSService' || r.eventType === 'AwsServiceEvent';

/** Node's own parser decides what an IP address is (the service uses patterns in SQL). */
export const oracleIsIp = (r: CloudTrailRecord): boolean => net.isIP(String(r.sourceIPAddress ?? '')) !== 0;

/** Every unique record a generator run produces (duplicate deliveries once, digests skipped). */
export function generatedRecords(options: GenerateOptions): CloudTrailRecord[] {
  const byId = new Map<string, CloudTrailRecord>();
  for (const object of generateLogObjects(options)) {
    if (object.records === 0) continue;
    for (const r of JSON.parse(zlib.gunzipSync(object.body).toString('utf8')).Records) byId.set(r.eventID, r);
  }
  return [...byId.values()];
}

/** Counts by key, as a plain object. */
export function countBy<T>(items: T[], key: (item: T) => string | undefined | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined && k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
