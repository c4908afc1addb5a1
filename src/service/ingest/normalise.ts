// The CloudTrail field rules as one DuckDB SELECT. Normalising in DuckDB keeps ingestion close to the speed of
// DuckDB's own JSON reader: each record is parsed once into top-level fields, and each nested document (the
// identity, the parameters) once more by one multi-path json_extract_string.
//
// Only constants from src/model/fieldRules.ts are written into the SQL text (JSON paths and patterns, which
// DuckDB needs as constants); every value that comes from outside (file names, keys, sizes) is a bound parameter.
import {
  blankSql,
  DRY_RUN_SUCCESS_CODE,
  eventCategorySql,
  federatedSignInSql,
  identityCenterRoleSql,
  isIpSql,
  permissionSetSql,
  presentSql,
  READ_ONLY_NAME_PREFIXES,
  RESOURCE_ID_KEYS,
  RESOURCE_ID_LIST_PATHS,
  SERVICE_RESOURCE_ID_PATHS,
  signInFailureSql,
  unauthorizedSql,
} from '../../model/fieldRules';
import { distinctSql } from '../db/distinct';

/** A SQL string literal for a constant of our own code (never for outside input). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

// The record arrives as MAP(VARCHAR, JSON): DuckDB's reader splits it into top-level fields once and keeps each
// value as JSON text. Scalars are read from their field; nested paths parse only their subtree.
const field = (name: string) => `(r[${literal(name)}] ->> '$')`;

const IDENTITY = {
  type: '$.type',
  userName: '$.userName',
  arn: '$.arn',
  principalId: '$.principalId',
  accountId: '$.accountId',
  invokedBy: '$.invokedBy',
  issuerUserName: '$.sessionContext.sessionIssuer.userName',
  issuerArn: '$.sessionContext.sessionIssuer.arn',
  mfaAuthenticated: '$.sessionContext.attributes.mfaAuthenticated',
  identityProvider: '$.identityProvider',
  federatedProvider: '$.sessionContext.webIdFederationData.federatedProvider',
  onBehalfOfUserId: '$.onBehalfOf.userId',
  identityStoreArn: '$.onBehalfOf.identityStoreArn',
} as const;
const identityPaths = `[${Object.values(IDENTITY).map(literal).join(', ')}]`;
const id = (name: keyof typeof IDENTITY) => `ident[${Object.keys(IDENTITY).indexOf(name) + 1}]`;

const keyPaths = `[${RESOURCE_ID_KEYS.map((k) => literal(`$.${k}`)).join(', ')}]`;
const readOnlyNames = literal(`^(${READ_ONLY_NAME_PREFIXES.join('|')})`);

/** Identifiers in one requestParameters / responseElements document (list-valued ones only where present). */
function idsIn(doc: string): string {
  const lists = RESOURCE_ID_LIST_PATHS.map(
    (p) => `CASE WHEN contains(${doc}, 'Set"') THEN json_extract_string(${doc}, ${literal(p)}) END`
  );
  return [`json_extract_string(${doc}, ${keyPaths})`, ...lists].map((e) => `coalesce(${e}, [])`).join(', ');
}

/** Identifiers under the generic keys of the few services in SERVICE_RESOURCE_ID_PATHS, read only for their events. */
function serviceIdsIn(doc: string): string {
  // DuckDB reads several paths at once only when none is a list's ([*]): those are read one by one.
  const cases = Object.entries(SERVICE_RESOURCE_ID_PATHS).map(([source, paths]) => {
    const single = paths.filter((p) => !p.includes('[*]'));
    const lists = paths.filter((p) => p.includes('[*]')).map((p) => `coalesce(json_extract_string(${doc}, ${literal(p)}), [])`);
    const all = [...(single.length ? [`coalesce(json_extract_string(${doc}, [${single.map(literal).join(', ')}]), [])`] : []), ...lists];
    return `WHEN ${literal(source)} THEN ${all.length === 1 ? all[0] : `flatten([${all.join(', ')}])`}`;
  });
  return `coalesce(CASE ${field('eventSource')} ${cases.join(' ')} END, [])`;
}

const resourceIds = [
  `coalesce(json_extract_string(r['resources'], '$[*].ARN'), [])`,
  idsIn(`r['requestParameters']`),
  idsIn(`r['responseElements']`),
  serviceIdsIn(`r['requestParameters']`),
  serviceIdsIn(`r['responseElements']`),
].join(',\n               ');

/**
 * The identifiers of the resources an event touched, from a record `r`: every resources[].ARN and the identifiers in
 * requestParameters / responseElements. The NULLs (most of the ~60 candidates) go first, so that the other tests run on
 * the few left.
 */
const RESOURCE_IDS_SQL = `list_filter(flatten([${resourceIds}]), id -> id IS NOT NULL AND NOT ${blankSql('id')} AND left(id, 1) NOT IN ('{', '['))`;

/**
 * The resources of the identifiers `ids` (a column), each once, with a friendly name (an ARN's last part; the ARN itself
 * where that is blank, as arn:aws:iam::123456789012:user/  names no one).
 */
const resourcesSql = (ids: string) => `list_transform(${distinctSql(ids)},
    id -> {'id': id, 'name': CASE WHEN starts_with(id, 'arn:') THEN coalesce(${presentSql(`regexp_extract(id, '([^/:]+)/?$', 1)`)}, id) ELSE id END})`;

/**
 * The event's identity: a record without eventID gets a stable id from its content, so a re-delivery still dedupes.
 * A blank (empty or whitespace only) or non-string eventID counts as missing: "" or "  " made every such record of a
 * batch one event, and a number's id never matched its record when read back (records.ts finds an md5 id by its position).
 */
// CASE, not coalesce: DuckDB evaluates every coalesce argument, and hashing every record is expensive.
const EVENT_ID_SQL = `CASE WHEN json_type(event_id_json) = 'VARCHAR' AND NOT ${blankSql("event_id_json ->> '$'")}
  THEN event_id_json ->> '$'
  ELSE 'md5:' || md5(to_json(r)::VARCHAR) END`;
/**
 * eventTime as a UTC TIMESTAMP; NULL when missing, not a time, before 1970 or more than a day ahead of this clock
 * (such records are kept aside, not stored: no report could reach them, and a year 99999 would freeze the lag at 0).
 */
// CloudTrail writes 2026-11-20T10:00:00Z: parsed directly; any other form (offsets, fractions) goes the general way.
/** SQL: eventTime's text `raw` in CloudTrail's own form, as a TIMESTAMP (NULL in any other). */
const cloudTrailTimeSql = (raw: string) => `try_strptime(${raw}, '%Y-%m-%dT%H:%M:%SZ')`;
/** SQL: eventTime's text `raw` as a UTC TIMESTAMP, NULL when it is not a time; `direct` is cloudTrailTimeSql of it. */
const parsedTimeSql = (raw: string, direct: string) => `CASE WHEN ${direct} IS NULL THEN timezone('UTC', try_cast(${raw} AS TIMESTAMPTZ)) ELSE ${direct} END`;
/** SQL: eventTime's text `raw` as ingestion reads it (a UTC TIMESTAMP, NULL when it is not a time), for what reads records back. */
export const eventTimeSql = (raw: string) => parsedTimeSql(raw, cloudTrailTimeSql(raw));
const PARSED_TIME_SQL = parsedTimeSql('event_time_raw', 'event_time_utc');
const EVENT_TIME_SQL = `CASE WHEN parsed_time >= TIMESTAMP '1970-01-01' AND parsed_time < now()::TIMESTAMP + INTERVAL 1 DAY THEN parsed_time END`;

/**
 * SELECT that turns rows (object_key VARCHAR, ord INTEGER — the index in the file's Records, r MAP(VARCHAR, JSON))
 * of relation `input` into rows shaped like the `events` table, with `event_time` NULL for records whose eventTime
 * cannot be read or lies outside 1970 … tomorrow (the caller rejects those). Everything comes from one read of each record.
 */
export function normaliseSql(input: string): string {
  return `
WITH x AS (
  SELECT object_key, ord, r, ${RESOURCE_IDS_SQL} AS resource_ids,
    r['eventID'] AS event_id_json, ${field('eventTime')} AS event_time_raw,
    ${field('eventName')} AS event_name_raw,
    ${field('eventSource')} AS event_source_raw, ${field('awsRegion')} AS region_raw, ${field('recipientAccountId')} AS recipient,
    ${field('sourceIPAddress')} AS ip, ${field('errorCode')} AS error_code, ${field('errorMessage')} AS error_message,
    json_extract_string(r['userIdentity'], ${identityPaths}) AS ident,
    ${signInFailureSql(field('eventName'), (doc) => `r[${literal(doc)}]`)} AS sign_in_failure,
    r['additionalEventData'] ->> '$.MFAUsed' AS mfa_login,
    r['additionalEventData'] ->> '$.UserName' AS sign_in_user_name, ${field('eventCategory')} AS category_raw
  FROM ${input}
), y AS (
  -- A blank field (whitespace only, fieldRules.ts BLANK_PATTERN) is an absent one, for every rule below: stored as
  -- written it was a group that no filter could take (the model drops a blank value). Replaced here, in a projection
  -- the SELECT has anyway: one more ran a 12 MB file out of memory before (loader.ts).
  SELECT * REPLACE (${['event_name_raw', 'event_source_raw', 'region_raw', 'recipient', 'ip', 'error_code', 'sign_in_user_name', 'category_raw']
    .map((c) => `${presentSql(c)} AS ${c}`)
    .join(', ')},
      list_transform(ident, v -> ${presentSql('v')}) AS ident),
    -- A blank errorCode still says the call failed: the event is an error without a code.
    error_code IS NOT NULL AS error_code_given,
    coalesce(${presentSql(id('type'))}, 'Unknown') AS identity_type,
    ${cloudTrailTimeSql('event_time_raw')} AS event_time_utc,
    coalesce(error_code = ${literal(DRY_RUN_SUCCESS_CODE)}, false) AS dry_run
  FROM x
), z AS (
  SELECT *, ${PARSED_TIME_SQL} AS parsed_time,
    CASE WHEN identity_type = 'AssumedRole'
      THEN coalesce(${id('issuerUserName')}, ${presentSql(`regexp_extract(${id('arn')}, 'assumed-role/([^/]+)', 1)`)}) END AS assumed_role,
    -- The session name is the ARN's last part, and follows the role id in the principal id (AROA…:name) when an ARN lacks it.
    -- A blank part (assumed-role/  /s, AROA…:  ) names no one: absent, as a blank field is.
    CASE WHEN identity_type = 'AssumedRole' THEN coalesce(${presentSql(`regexp_extract(${id('arn')}, 'assumed-role/[^/]+/(.+)$', 1)`)},
      ${presentSql(`regexp_extract(${id('principalId')}, '^[^:]+:(.+)$', 1)`)}) END AS role_session
  FROM y
)
SELECT
  ${EVENT_ID_SQL} AS event_id,
  ${EVENT_TIME_SQL} AS event_time,
  coalesce(nullif(event_name_raw, ''), 'unknown') AS event_name,
  coalesce(event_source_raw, '') AS event_source,
  -- The source is not blank (y), but what comes before its suffix may be ('  .amazonaws.com'): no service either.
  coalesce(CASE WHEN suffix(event_source_raw, '.amazonaws.com') THEN ${presentSql('left(event_source_raw, -14)')} ELSE event_source_raw END,
    'unknown') AS service,
  coalesce(nullif(region_raw, ''), 'unknown') AS region,
  -- The key's account logged the event, as recipientAccountId says (records before 2014 lack it); the caller's account
  -- may be another one, and is the last resort for files outside the AWSLogs layout.
  coalesce(nullif(recipient, ''), nullif(regexp_extract(object_key, 'AWSLogs/(?:o-[a-z0-9]+/)?([0-9]{12})/', 1), ''),
    nullif(${id('accountId')}, ''), 'unknown') AS account,
  coalesce(
    nullif(CASE identity_type
      WHEN 'IAMUser' THEN ${id('userName')}
      -- An Identity Center permission set's role is shared by everyone given that permission set: its session is the person.
      WHEN 'AssumedRole' THEN CASE WHEN ${identityCenterRoleSql(id('issuerArn'), 'assumed_role')} AND role_session IS NOT NULL
        THEN role_session ELSE assumed_role END
      WHEN 'Root' THEN 'root'
      WHEN 'FederatedUser' THEN ${presentSql(`regexp_extract(${id('arn')}, 'federated-user/(.+)$', 1)`)}
      WHEN 'AWSService' THEN ${id('invokedBy')}
      WHEN 'AWSAccount' THEN ${id('accountId')}
      -- IdentityCenterUser, and Unknown (IAM Identity Center's sign-in steps): since July 2025 no userName, only the
      -- Identity Center user id (onBehalfOf.userId); SAMLUser, WebIdentityUser: userName. A step for a name Identity
      -- Center does not know has neither: its additionalEventData.UserName says HIDDEN_DUE_TO_SECURITY_REASONS (user
      -- guide, "Username in sign-in CloudTrail events"), as a refused IAM console name does, where the principal id
      -- would make the account itself the user.
      ELSE coalesce(${id('userName')}, ${id('onBehalfOfUserId')}, sign_in_user_name)
    END, ''),
    nullif(${id('arn')}, ''), nullif(${id('principalId')}, ''), nullif(${id('invokedBy')}, ''), 'unknown'
  ) AS user_name,
  identity_type,
  nullif(${id('invokedBy')}, '') AS invoked_by,
  role_session AS session_name,
  nullif(assumed_role, '') AS role_name,
  -- Only a role Identity Center made (its issuer's path says so) has a permission set: an IAM role of the same name does not.
  CASE WHEN identity_type = 'AssumedRole' AND ${identityCenterRoleSql(id('issuerArn'), 'assumed_role')}
    THEN ${permissionSetSql('assumed_role')} END AS permission_set,
  coalesce(${id('identityProvider')}, ${id('federatedProvider')}, ${id('identityStoreArn')}) AS identity_provider,
  ${id('arn')} AS principal_arn,
  coalesce(ip, '') AS source_ip,
  coalesce(${isIpSql('ip')}, false) AS source_is_ip,
  ${field('userAgent')} AS user_agent,
  ${field('eventType')} AS event_type,
  ${eventCategorySql('category_raw', field('managementEvent'), field('eventType'), 'event_source_raw', 'event_name_raw')} AS event_category,
  CASE WHEN r['readOnly'] IN ('true', 'false') THEN r['readOnly'] = 'true'
       ELSE coalesce(regexp_matches(event_name_raw, ${readOnlyNames}), false) END AS read_only,
  error_code,
  error_message,
  -- A failed sign-in (ConsoleLogin, an IAM Identity Center credential …) says so in its outcome, not in an errorCode.
  NOT dry_run AND (error_code_given OR error_message IS NOT NULL OR coalesce(sign_in_failure, false)) AS is_error,
  ${unauthorizedSql('error_code', 'error_message')} OR coalesce(sign_in_failure, false) AS is_unauthorized,
  -- A federated console sign-in's MFA is unknown, not "not used" (fieldRules.ts SIGN_IN_MFA_IDENTITY_TYPES).
  CASE WHEN ${federatedSignInSql('event_source_raw', 'event_name_raw', 'identity_type')} THEN NULL
       WHEN mfa_login = 'Yes' OR ${id('mfaAuthenticated')} = 'true' THEN true
       WHEN mfa_login = 'No' OR ${id('mfaAuthenticated')} = 'false' THEN false END AS mfa_used,
  ${resourcesSql('resource_ids')} AS resources,
  object_key,
  ord AS record_index
FROM z`;
}
