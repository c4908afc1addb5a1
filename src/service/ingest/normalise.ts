// The CloudTrail field rules as one DuckDB SELECT. Normalising in DuckDB keeps ingestion at the speed of
// DuckDB's own JSON reader: each record is parsed once, by one multi-path json_extract_string.
//
// Only constants from src/model/fieldRules.ts are written into the SQL text (JSON paths and patterns, which
// DuckDB needs as constants); every value that comes from outside (file names, keys, sizes) is a bound parameter.
import {
  DRY_RUN_SUCCESS_CODE,
  IPV4_PATTERN,
  IPV6_PATTERN,
  READ_ONLY_NAME_PREFIXES,
  RESOURCE_ID_KEYS,
  RESOURCE_ID_LIST_PATHS,
  UNAUTHORIZED_ERROR_CODES,
  UNAUTHORIZED_MESSAGE_PREFIX,
} from '../../model/fieldRules';

/** A SQL string literal for a constant of our own code (never for outside input). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

// The paths read from each record, in order; EXTRACT[name] is the 1-based list index in SQL.
const PATHS = {
  eventID: '$.eventID',
  eventTime: '$.eventTime',
  eventName: '$.eventName',
  eventSource: '$.eventSource',
  awsRegion: '$.awsRegion',
  recipientAccountId: '$.recipientAccountId',
  sourceIPAddress: '$.sourceIPAddress',
  userAgent: '$.userAgent',
  errorCode: '$.errorCode',
  errorMessage: '$.errorMessage',
  readOnly: '$.readOnly',
  eventType: '$.eventType',
  idType: '$.userIdentity.type',
  idUserName: '$.userIdentity.userName',
  idArn: '$.userIdentity.arn',
  idPrincipalId: '$.userIdentity.principalId',
  idAccountId: '$.userIdentity.accountId',
  idInvokedBy: '$.userIdentity.invokedBy',
  issuerUserName: '$.userIdentity.sessionContext.sessionIssuer.userName',
  identityProvider: '$.userIdentity.identityProvider',
  federatedProvider: '$.userIdentity.sessionContext.webIdFederationData.federatedProvider',
  onBehalfOfUserId: '$.userIdentity.onBehalfOf.userId',
  identityStoreArn: '$.userIdentity.onBehalfOf.identityStoreArn',
  consoleLogin: '$.responseElements.ConsoleLogin',
  requestParameters: '$.requestParameters',
  responseElements: '$.responseElements',
} as const;

const names = Object.keys(PATHS) as Array<keyof typeof PATHS>;
const v = (name: keyof typeof PATHS) => `v[${names.indexOf(name) + 1}]`;
const paths = `[${Object.values(PATHS).map(literal).join(', ')}]`;
const keyPaths = `[${RESOURCE_ID_KEYS.map((k) => literal(`$.${k}`)).join(', ')}]`;

const unauthorizedCodes = literal(`^(${UNAUTHORIZED_ERROR_CODES.join('|')})$`);
const readOnlyNames = literal(`^(${READ_ONLY_NAME_PREFIXES.join('|')})`);

/** Identifiers in one requestParameters / responseElements document (list-valued ones only where present). */
function idsIn(doc: string): string {
  const lists = RESOURCE_ID_LIST_PATHS.map(
    (p) => `CASE WHEN contains(${doc}, 'Set"') THEN json_extract_string(${doc}, ${literal(p)}) END`
  );
  return [`json_extract_string(${doc}, ${keyPaths})`, ...lists].map((e) => `coalesce(${e}, [])`).join(', ');
}

/** Every identifier of the record: resources[].ARN and the ids in its request and response. */
const resourceIds = [
  `CASE WHEN contains(r, '"ARN"') THEN json_extract_string(r, '$.resources[*].ARN') END`,
].map((e) => `coalesce(${e}, [])`).concat(idsIn(v('requestParameters')), idsIn(v('responseElements'))).join(',\n               ');

/**
 * SELECT that turns rows (object_key VARCHAR, r JSON) of relation `input` into rows shaped like the
 * `events` table, plus `event_time` NULL for records whose eventTime cannot be read (the caller rejects those).
 */
export function normaliseSql(input: string): string {
  return `
WITH x AS (
  SELECT object_key, r, json_extract_string(r, ${paths}) AS v FROM ${input}
), y AS (
  SELECT *,
    coalesce(${v('idType')}, 'Unknown') AS identity_type,
    ${v('errorCode')} = ${literal(DRY_RUN_SUCCESS_CODE)} AS dry_run,
    ${v('consoleLogin')} = 'Failure' AS console_failure
  FROM x
)
SELECT
  coalesce(${v('eventID')}, 'md5:' || md5(r::VARCHAR)) AS event_id,
  timezone('UTC', try_cast(${v('eventTime')} AS TIMESTAMPTZ)) AS event_time,
  coalesce(nullif(${v('eventName')}, ''), 'unknown') AS event_name,
  coalesce(${v('eventSource')}, '') AS event_source,
  coalesce(nullif(regexp_replace(${v('eventSource')}, '\\.amazonaws\\.com$', ''), ''), 'unknown') AS service,
  coalesce(nullif(${v('awsRegion')}, ''), 'unknown') AS region,
  coalesce(nullif(${v('recipientAccountId')}, ''), nullif(${v('idAccountId')}, ''),
           nullif(regexp_extract(object_key, 'AWSLogs/(?:o-[a-z0-9]+/)?([0-9]{12})/', 1), ''), 'unknown') AS account,
  coalesce(
    nullif(CASE identity_type
      WHEN 'IAMUser' THEN ${v('idUserName')}
      WHEN 'AssumedRole' THEN coalesce(${v('issuerUserName')}, nullif(regexp_extract(${v('idArn')}, 'assumed-role/([^/]+)', 1), ''))
      WHEN 'Root' THEN 'root'
      WHEN 'FederatedUser' THEN nullif(regexp_extract(${v('idArn')}, 'federated-user/(.+)$', 1), '')
      WHEN 'AWSService' THEN ${v('idInvokedBy')}
      WHEN 'AWSAccount' THEN ${v('idAccountId')}
      WHEN 'IdentityCenterUser' THEN coalesce(${v('idUserName')}, ${v('onBehalfOfUserId')})
      ELSE ${v('idUserName')}
    END, ''),
    nullif(${v('idArn')}, ''), nullif(${v('idPrincipalId')}, ''), nullif(${v('idInvokedBy')}, ''), 'unknown'
  ) AS user_name,
  identity_type,
  CASE WHEN identity_type = 'AssumedRole' THEN nullif(regexp_extract(${v('idArn')}, 'assumed-role/[^/]+/(.+)$', 1), '') END AS session_name,
  coalesce(${v('identityProvider')}, ${v('federatedProvider')}, ${v('identityStoreArn')}) AS identity_provider,
  ${v('idArn')} AS principal_arn,
  coalesce(${v('sourceIPAddress')}, '') AS source_ip,
  coalesce(regexp_full_match(${v('sourceIPAddress')}, ${literal(IPV4_PATTERN)})
           OR regexp_full_match(${v('sourceIPAddress')}, ${literal(IPV6_PATTERN)}), false) AS source_is_ip,
  ${v('userAgent')} AS user_agent,
  ${v('eventType')} AS event_type,
  CASE WHEN ${v('readOnly')} IN ('true', 'false') THEN ${v('readOnly')} = 'true'
       ELSE coalesce(regexp_matches(${v('eventName')}, ${readOnlyNames}), false) END AS read_only,
  ${v('errorCode')} AS error_code,
  ${v('errorMessage')} AS error_message,
  coalesce(NOT dry_run, true) AND (${v('errorCode')} IS NOT NULL OR ${v('errorMessage')} IS NOT NULL OR coalesce(console_failure, false)) AS is_error,
  coalesce(regexp_full_match(${v('errorCode')}, ${unauthorizedCodes}), false)
    OR coalesce(starts_with(lower(${v('errorMessage')}), ${literal(UNAUTHORIZED_MESSAGE_PREFIX)}), false)
    OR coalesce(console_failure, false) AS is_unauthorized,
  list_transform(
    list_distinct(list_filter(
      flatten([${resourceIds}]),
      id -> id IS NOT NULL AND id <> '' AND left(id, 1) NOT IN ('{', '['))),
    id -> {'id': id, 'name': CASE WHEN starts_with(id, 'arn:') THEN coalesce(nullif(regexp_extract(id, '([^/:]+)/?$', 1), ''), id) ELSE id END}
  ) AS resources,
  object_key,
  r AS record
FROM y`;
}

/** Column order of `events`, as normaliseSql produces it. */
export const EVENT_COLUMNS = [
  'event_id', 'event_time', 'event_name', 'event_source', 'service', 'region', 'account', 'user_name',
  'identity_type', 'session_name', 'identity_provider', 'principal_arn', 'source_ip', 'source_is_ip',
  'user_agent', 'event_type', 'read_only', 'error_code', 'error_message', 'is_error', 'is_unauthorized',
  'resources', 'object_key', 'record',
] as const;
