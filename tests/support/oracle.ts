// The design's field rules, written a second time in plain TypeScript straight from DESIGN.md, so tests can
// compute what a report must say from the raw records without asking the SQL that is under test.
import net from 'node:net';
import zlib from 'node:zlib';
import { generateLogObjects, type GenerateOptions } from '../../src/generator';
import { RESOURCE_ID_KEYS, RESOURCE_ID_LIST_PATHS, SERVICE_RESOURCE_ID_PATHS, UNMARKED_DATA_EVENTS } from '../../src/model/fieldRules';
import type { ResolvedQuery } from '../../src/model/query';
import type { CloudTrailRecord } from './stratus';

/** The role of a role session (AssumedRole): its issuer's name, else the name in its assumed-role/<role>/<session> ARN. */
function roleOf(r: CloudTrailRecord): string | null {
  const id = r.userIdentity ?? {};
  if (id.type !== 'AssumedRole') return null;
  return (id.sessionContext?.sessionIssuer?.userName ?? id.arn?.split('/')[1]) || null;
}

/** A role session's role, and for a role of another account than the record's that account too, as its user is named. */
export function oracleRole(r: CloudTrailRecord): string | null {
  const role = roleOf(r);
  const caller = otherCallerAccount(r);
  return role !== null && caller ? `${role} (account ${caller})` : role;
}

/** Whether a role session's role is one Identity Center made: its issuer's path says so. */
function viaIdentityCenter(id: CloudTrailRecord): boolean {
  const issuerArn: string = id.sessionContext?.sessionIssuer?.arn ?? '';
  // A federated console sign-in names no issuer: there only the role's name (AWSReservedSSO_…) tells.
  return issuerArn
    ? /^arn:[a-z-]+:iam::\d*:role\/aws-reserved\/sso\.amazonaws\.com\//.test(issuerArn)
    : /^AWSReservedSSO_/.test(id.sessionContext?.sessionIssuer?.userName ?? String(id.arn ?? '').split('/')[1] ?? '');
}

/** The permission set of an Identity Center role's session: the role's name without AWSReservedSSO_ and its account's suffix. */
export function oraclePermissionSet(r: CloudTrailRecord): string | null {
  const role = roleOf(r);
  if (role === null || !viaIdentityCenter(r.userIdentity)) return null;
  const name = role.startsWith('AWSReservedSSO_') ? role.slice('AWSReservedSSO_'.length) : '';
  return name.replace(/_[0-9a-fA-F]{16}$/, '') || null;
}

/**
 * The person behind a role session of an IAM Identity Center permission set: Identity Center keeps those roles under
 * role/aws-reserved/sso.amazonaws.com/ (one per permission set and account) and names each session after its user.
 * The session name ends the ARN, and follows the colon of the principal id (roleId:session) when the ARN lacks it.
 */
function identityCenterPerson(id: CloudTrailRecord): string | undefined {
  if (!viaIdentityCenter(id)) return undefined;
  const fromArn = String(id.arn ?? '').split('/').slice(2).join('/');
  const principalId = String(id.principalId ?? '');
  return fromArn || (principalId.includes(':') ? principalId.slice(principalId.indexOf(':') + 1) : '') || undefined;
}

/**
 * A record's user: its name, and for a caller of another account than the record's (a role of account B reading
 * account A's bucket, as its ARN says) that account too, as `RoleX (account B)`; not where the record's own
 * account is not known.
 */
export function oracleUser(r: CloudTrailRecord): string {
  const name = userName(r);
  const caller = otherCallerAccount(r);
  return caller && name !== String(r.userIdentity?.arn ?? '') ? `${name} (account ${caller})` : name;
}

/** The caller's account (its ARN's) where it is another than the record's, and the record's own is known. */
function otherCallerAccount(r: CloudTrailRecord): string | undefined {
  const caller = String(r.userIdentity?.arn ?? '').split(':')[4] ?? '';
  const account = accountOf(r);
  return caller && caller !== account && account !== 'unknown' ? caller : undefined;
}

function userName(r: CloudTrailRecord): string {
  const id = r.userIdentity ?? {};
  const name = (() => {
    switch (id.type) {
      case 'IAMUser':
        return id.userName;
      case 'SAMLUser':
      case 'WebIdentityUser':
      case 'IdentityCenterUser':
      case 'Unknown': // IAM Identity Center's sign-in steps: the user name typed; since July 2025 none, the user id; for an unknown name, masked
        return id.userName ?? id.onBehalfOf?.userId ?? r.additionalEventData?.UserName;
      case 'AssumedRole':
        return identityCenterPerson(id) ?? id.sessionContext?.sessionIssuer?.userName ?? id.arn?.split('/')[1];
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
  return name || id.arn || id.principalId || id.invokedBy || 'unknown';
}

export const oracleService = (r: CloudTrailRecord): string => String(r.eventSource).replace(/\.amazonaws\.com$/, '');

/** Where a sign-in event writes its own outcome: ConsoleLogin and CheckMfa in responseElements, IAM Identity Center's steps in serviceEventDetails. */
const SIGN_IN_OUTCOME_IN: Record<string, string> = {
  ConsoleLogin: 'responseElements',
  CheckMfa: 'responseElements',
  CredentialChallenge: 'serviceEventDetails',
  CredentialVerification: 'serviceEventDetails',
  UserAuthentication: 'serviceEventDetails',
};
const failedLogin = (r: CloudTrailRecord) => SIGN_IN_OUTCOME_IN[r.eventName] !== undefined && r[SIGN_IN_OUTCOME_IN[r.eventName]]?.[r.eventName] === 'Failure';

export function oracleIsError(r: CloudTrailRecord): boolean {
  if (r.errorCode === 'Client.DryRunOperation') return false;
  return r.errorCode !== undefined || r.errorMessage !== undefined || failedLogin(r);
}

export function oracleUnauthorized(r: CloudTrailRecord): boolean {
  const code: string = r.errorCode ?? '';
  return (
    /^AccessDenied|^VpceAccessDenied$|UnauthorizedOperation(Exception)?$|NotAuthorized|^UnauthorizedException$|^(Client\.)?AuthFailure$|^Forbidden|^AuthorizationError$/
      .test(code) ||
    // Anywhere in the message: AWS writes "User: arn:… is not authorized to perform: …".
    /not authorized/i.test(r.errorMessage ?? '') ||
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

/**
 * What an AWS service did: a call it made for an identity (invokedBy), a call as itself, an AWS service event other
 * than AWS sign-in's (IAM Identity Center's sign-in steps are a person's); a call invoked by sign-in is a console user's own.
 */
export const oracleServiceCall = (r: CloudTrailRecord): boolean =>
  (Boolean(r.userIdentity?.invokedBy) && r.userIdentity?.invokedBy !== 'signin.amazonaws.com') ||
  r.userIdentity?.type === 'AWSService' ||
  (r.eventType === 'AwsServiceEvent' && r.eventSource !== 'signin.amazonaws.com');

/**
 * CloudTrail's event category: eventCategory (since 1.07), else managementEvent (since 1.06; before eventCategory the
 * others were data events), else an Insights event's type, else a data event where AWS documents its source and name as
 * one (the list is data, shared with the service), else a management event, what every trail logs.
 */
export function oracleEventCategory(r: CloudTrailRecord): string {
  if (r.eventCategory) return r.eventCategory;
  if (typeof r.managementEvent === 'boolean') return r.managementEvent ? 'Management' : 'Data';
  if (r.eventType === 'AwsCloudTrailInsight') return 'Insight';
  return Object.hasOwn(UNMARKED_DATA_EVENTS, r.eventSource) && UNMARKED_DATA_EVENTS[r.eventSource].includes(r.eventName) ? 'Data' : 'Management';
}

/** Node's own parser decides what an IP address is (the service uses patterns in SQL). */
export const oracleIsIp = (r: CloudTrailRecord): boolean => net.isIP(String(r.sourceIPAddress ?? '')) !== 0;

export const accountOf = (r: CloudTrailRecord): string => r.recipientAccountId || r.userIdentity?.accountId || 'unknown';

/** An identifier's value as text: a string itself, a number or boolean its JSON; null, absent, objects and lists none. */
const idText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? JSON.stringify(v) : undefined;

/** The values at a JSON path of fieldRules.ts ($.a.b, $.a[*].b): a step of a list ([*]) takes each of its items. */
function valuesAt(doc: unknown, jsonPath: string): string[] {
  let found: unknown[] = [doc];
  for (const step of jsonPath.slice(2).split('.')) {
    const key = step.replace(/\[\*\]$/, '');
    const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    found = found.flatMap((v) => (isObject(v) && Object.hasOwn(v, key) ? [v[key]] : []));
    if (step.endsWith('[*]')) found = found.flatMap((v) => (Array.isArray(v) ? v : []));
  }
  return found.map(idText).filter((v): v is string => v !== undefined);
}

/**
 * The ids of the resources an event touched: every resources[].ARN, the identifier keys and item sets of its
 * requestParameters and responseElements, and its service's own paths; each once. Not blank ones, objects or lists,
 * nor text that begins as one (DESIGN, resources).
 */
export function oracleResourceIds(r: CloudTrailRecord): string[] {
  const ids: string[] = Array.isArray(r.resources) ? r.resources.flatMap((item: unknown) => valuesAt(item, '$.ARN')) : [];
  for (const doc of [r.requestParameters, r.responseElements]) {
    for (const key of RESOURCE_ID_KEYS) ids.push(...valuesAt(doc, `$.${key}`));
    for (const listPath of RESOURCE_ID_LIST_PATHS) ids.push(...valuesAt(doc, listPath));
    for (const servicePath of SERVICE_RESOURCE_ID_PATHS[r.eventSource] ?? []) ids.push(...valuesAt(doc, servicePath));
  }
  return [...new Set(ids)].filter((id) => id.trim() !== '' && !id.startsWith('{') && !id.startsWith('['));
}

/** A record's value of each dimension: what filters match and what groups are named by (resources aside). */
export const oracleDimension: Partial<Record<string, (r: CloudTrailRecord) => string>> = {
  user: oracleUser,
  eventName: (r) => r.eventName,
  sourceIp: (r) => r.sourceIPAddress,
  service: oracleService,
  region: (r) => r.awsRegion,
  account: accountOf,
  // As the service groups them: successes and failures without a code get groups of their own.
  errorCode: (r) => r.errorCode ?? (oracleIsError(r) ? '(error without code)' : '(none)'),
  identityType: (r) => r.userIdentity?.type ?? 'Unknown',
  // A role session's role; other events are a group of their own, named as successes' error codes are.
  role: (r) => oracleRole(r) ?? '(none)',
  permissionSet: (r) => oraclePermissionSet(r) ?? '(none)',
  eventCategory: oracleEventCategory,
};

/** Whether a query counts a record, its time (and resource id) aside: status, read-only, MFA, service calls, filters, exclusions. */
export function oracleMatches(r: CloudTrailRecord, q: ResolvedQuery): boolean {
  if (q.status === 'success' && oracleIsError(r)) return false;
  if (q.status === 'error' && !oracleIsError(r)) return false;
  if (q.status === 'unauthorized' && !oracleUnauthorized(r)) return false;
  if (q.readOnly === 'read' && !oracleReadOnly(r)) return false;
  if (q.readOnly === 'write' && oracleReadOnly(r)) return false;
  if (q.mfa === 'used' && oracleMfa(r) !== true) return false;
  if (q.mfa === 'notUsed' && oracleMfa(r) !== false) return false;
  if (q.serviceCalls === 'exclude' && oracleServiceCall(r)) return false;
  for (const [key, values] of Object.entries(q.filters)) if (values?.length && !values.includes(oracleDimension[key]!(r))) return false;
  for (const [key, values] of Object.entries(q.exclude)) if (values?.includes(oracleDimension[key]!(r))) return false;
  return true;
}

/** How many of the sorted times are at most t. */
function atMost(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Peaks as the query model's peakWindow defines them, counted one event at a time: for each record of the range, the
 * records of its group (every matching record, stored whenever, in the range or not) made in the window up to it
 * (e - W < x <= e, by eventTime); per group, the highest in each bucket of the record's `bucket`.
 */
export function oraclePeaks(
  matching: CloudTrailRecord[],
  options: { groups: (r: CloudTrailRecord) => string[]; inRange: (r: CloudTrailRecord) => boolean; bucket: (r: CloudTrailRecord) => number; windowMs: number }
): Map<string, Map<number, number>> {
  const times = new Map<string, number[]>();
  for (const r of matching) for (const g of options.groups(r)) times.set(g, [...(times.get(g) ?? []), Date.parse(r.eventTime)]);
  for (const list of times.values()) list.sort((a, b) => a - b);
  const peaks = new Map<string, Map<number, number>>();
  for (const r of matching.filter(options.inRange)) {
    const t = Date.parse(r.eventTime);
    for (const g of options.groups(r)) {
      const sorted = times.get(g)!;
      const n = atMost(sorted, t) - atMost(sorted, t - options.windowMs);
      const b = options.bucket(r);
      if (!peaks.has(g)) peaks.set(g, new Map());
      peaks.get(g)!.set(b, Math.max(n, peaks.get(g)!.get(b) ?? 0));
    }
  }
  return peaks;
}

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
