// The DuckDB schema that ingestion writes and every report reads.
// Times are TIMESTAMP in UTC (no time zone), so DuckDB never shifts them by the host's zone.
import { KEY_DATE_SQL } from '../ingest/keys';
import { distinctSql } from './distinct';
import {
  blankSql,
  federatedSignInSql,
  IDENTITY_CENTER_ROLE_PREFIX,
  isIpSql,
  permissionSetSql,
  unauthorizedSql,
  unmarkedDataEventSql,
} from '../../model/fieldRules';

export const SCHEMA_VERSION = 22;

/** Rows of the resource index for the events of `relation` (columns event_time, event_id, resources). */
export const RESOURCE_INDEX_SELECT = (relation: string) =>
  `SELECT hash(k) AS key_hash, event_time, event_id
   FROM (SELECT event_time, event_id, unnest(${distinctSql('keys')}) AS k
         FROM (SELECT event_time, event_id, flatten(list_transform(resources, r -> [r.id, r.name])) AS keys FROM ${relation}))`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key VARCHAR PRIMARY KEY,
  value VARCHAR
);

-- One row per unique CloudTrail event (eventID); the normalised columns serve reports. The original record is
-- record_index in its log file's Records array; the file itself is kept whole (see log_objects).
CREATE TABLE IF NOT EXISTS events (
  event_id          VARCHAR NOT NULL,
  event_time        TIMESTAMP NOT NULL,
  event_name        VARCHAR NOT NULL,
  event_source      VARCHAR NOT NULL,   -- ec2.amazonaws.com
  service           VARCHAR NOT NULL,   -- ec2
  region            VARCHAR NOT NULL,   -- awsRegion, as written (not validated)
  account           VARCHAR NOT NULL,   -- recipientAccountId, else the key's account
  user_name         VARCHAR NOT NULL,   -- never empty, see the field rules
  identity_type     VARCHAR NOT NULL,   -- IAMUser, AssumedRole, Root, AWSService, … or 'Unknown'
  invoked_by        VARCHAR,            -- userIdentity.invokedBy: the AWS service that made the call (NULL: the identity itself)
  session_name      VARCHAR,            -- AssumedRole session name
  role_name         VARCHAR,            -- AssumedRole: the role the call was made through (an Identity Center user's permission set), RoleX (account B) for B's
  permission_set    VARCHAR,            -- an IAM Identity Center role's permission set (AdministratorAccess), one name across accounts
  event_category    VARCHAR,            -- Management, Data, NetworkActivity, Insight (NULL: not known, its kept log file gone)
  identity_provider VARCHAR,            -- SAML / web identity / Identity Center provider
  principal_arn     VARCHAR,
  source_ip         VARCHAR NOT NULL,   -- sourceIPAddress as it is ('' when absent)
  source_is_ip      BOOLEAN NOT NULL,   -- false for service names, 'AWS Internal' and malformed values
  user_agent        VARCHAR,
  event_type        VARCHAR,            -- AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, …
  read_only         BOOLEAN NOT NULL,   -- CloudTrail's readOnly; when absent, read from the event name (Describe*, List*, Get* …)
  error_code        VARCHAR,
  error_message     VARCHAR,
  is_error          BOOLEAN NOT NULL,
  is_unauthorized   BOOLEAN NOT NULL,
  mfa_used          BOOLEAN,            -- MFA behind the call: a console login's MFAUsed, a session's mfaAuthenticated; NULL when the record does not say
  resources         STRUCT(id VARCHAR, name VARCHAR)[] NOT NULL,
  object_key        VARCHAR NOT NULL,   -- the log file it came from (first delivery)
  record_index      INTEGER,            -- its position in that file's Records (NULL for events stored before version 4)
  arrived_at        TIMESTAMP           -- when Trailhound stored it (its batch's transaction began; in a first load, event_time for
                                        -- what happened before the run started): what alert rules count by
);

-- Version 2 added mfa_used; events stored before it have NULL (unknown).
ALTER TABLE events ADD COLUMN IF NOT EXISTS mfa_used BOOLEAN;
-- Version 4 keeps the original records in log_objects instead of a per-event copy.
ALTER TABLE events ADD COLUMN IF NOT EXISTS record_index INTEGER;
-- Version 7 keeps when each event arrived (ARRIVED_AT_SQL fills it in for events stored before).
ALTER TABLE events ADD COLUMN IF NOT EXISTS arrived_at TIMESTAMP;
-- Version 8 keeps which AWS service made a call (INVOKED_BY_SQL fills it in where stored events say).
ALTER TABLE events ADD COLUMN IF NOT EXISTS invoked_by VARCHAR;
-- Version 10 keeps the role of a role session apart from its user (IDENTITY_CENTER_USER_SQL fills it in).
ALTER TABLE events ADD COLUMN IF NOT EXISTS role_name VARCHAR;
-- Version 12 keeps an Identity Center role's permission set (PERMISSION_SET_SQL fills it in).
ALTER TABLE events ADD COLUMN IF NOT EXISTS permission_set VARCHAR;
-- Version 13 keeps the event category (fillEventCategories reads it back from the kept log files for events stored before).
ALTER TABLE events ADD COLUMN IF NOT EXISTS event_category VARCHAR;

-- Every log file that gave at least one event, kept byte for byte as delivered (gzip as it came), so the original
-- records are at hand without a copy per event. The files themselves live outside the database, in Parquet files
-- (one per ingested batch) in the folder beside it (Database.originalsDir): written straight to disk, they cost
-- neither the WAL nor memory.
CREATE TABLE IF NOT EXISTS log_objects (
  key     VARCHAR PRIMARY KEY,      -- = events.object_key: the S3 key, or key#etag for a rewritten file's later version
  source  VARCHAR NOT NULL,
  etag    VARCHAR NOT NULL,
  archive VARCHAR NOT NULL,         -- the Parquet file (in originalsDir) holding it (columns key, content), or for a
                                    -- file over 8 MB unpacked its own copy there (<uuid>.json.gz or .json)
  day     DATE                      -- its key's day folder (KEY_DATE_SQL), which compaction groups by: NULL outside the CloudTrail layout
);
-- Version 20: the key's day, stored (LOG_OBJECT_DAY_SQL fills it in for rows stored before): compaction looks for its
-- due days each hour, and the regexp over every key took ~1.5 s a million kept files.
ALTER TABLE log_objects ADD COLUMN IF NOT EXISTS day DATE;

-- Kept Parquet files that compaction found it cannot read (cut short, a damaged page), as they were then: named once,
-- left as they are, and not read again each hour until they change (restored from a backup) or hold no kept log file.
-- Added in version 20.
CREATE TABLE IF NOT EXISTS unreadable_originals (
  archive     VARCHAR PRIMARY KEY, -- as log_objects.archive
  bytes       BIGINT NOT NULL,     -- its size and modification time (ns) when found, -1 and 0 if it was gone
  modified_ns BIGINT NOT NULL,
  reason      VARCHAR NOT NULL,    -- DuckDB's words
  found_at    TIMESTAMP NOT NULL
);

-- The resource index: one row per event and resource id or name, by hash. A resource-id filter finds its events
-- here first, so the report reads only the row groups of their times instead of every event's resources.
CREATE TABLE IF NOT EXISTS event_resources (
  key_hash   UBIGINT NOT NULL,    -- hash(id or name)
  event_time TIMESTAMP NOT NULL,
  event_id   VARCHAR NOT NULL
);

-- The ledger: one row per ingested log object. (source, key, etag) seen means skip.
CREATE TABLE IF NOT EXISTS ingested_objects (
  source      VARCHAR NOT NULL,
  key         VARCHAR NOT NULL,
  etag        VARCHAR NOT NULL,
  size        BIGINT NOT NULL,
  records     INTEGER NOT NULL,
  inserted    INTEGER NOT NULL,
  duplicates  INTEGER NOT NULL,
  ingested_at TIMESTAMP NOT NULL,
  -- Set by a prune that removed some of the file's events (those before this instant, its cutoff): a run that keeps
  -- events from before it (one without a retention, or under a longer one) reads the file again. Added in version 17.
  events_pruned_before TIMESTAMP,
  PRIMARY KEY (source, key, etag)
);

-- Objects that could not be read, with why. Ingestion carries on past them.
CREATE TABLE IF NOT EXISTS ingest_errors (
  source     VARCHAR NOT NULL,
  key        VARCHAR NOT NULL,
  etag       VARCHAR NOT NULL,
  reason     VARCHAR NOT NULL,
  failed_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (source, key, etag)
);
-- Version 11: the reason's kind (model/api.ts ErrorKind), found where the error was caught.
ALTER TABLE ingest_errors ADD COLUMN IF NOT EXISTS kind VARCHAR;
-- Version 15: a file that ran out of memory waits before its next try (ingest/loader.ts recordOutOfMemory): its failures
-- so at one memory limit, when it is tried again, and the limit it failed at (another limit tries it at once).
ALTER TABLE ingest_errors ADD COLUMN IF NOT EXISTS attempts INTEGER;
ALTER TABLE ingest_errors ADD COLUMN IF NOT EXISTS retry_at TIMESTAMP;
ALTER TABLE ingest_errors ADD COLUMN IF NOT EXISTS memory_limit VARCHAR;

-- Records that cannot be an event (no readable eventTime, or not a JSON object), kept whole so nothing is lost.
CREATE TABLE IF NOT EXISTS rejected_records (
  source      VARCHAR NOT NULL,
  key         VARCHAR NOT NULL,
  reason      VARCHAR NOT NULL,
  record      JSON NOT NULL,
  rejected_at TIMESTAMP NOT NULL
);

-- One row per ingestion run (CLI or poll), for /api/ingest/status. A failure that repeats its source's previous run's error
-- replaces that run's row (ingest/index.ts foldRepeatedFailure): a source that never opens does not add one per poll.
CREATE TABLE IF NOT EXISTS ingest_runs (
  source      VARCHAR NOT NULL,
  started_at  TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  objects     INTEGER,
  events      INTEGER,
  duplicates  INTEGER,
  skipped     INTEGER,
  errors      INTEGER,
  error       VARCHAR
);
-- A run the service's shutdown stopped after a whole batch: not failed, but not a complete read of its days either.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS stopped BOOLEAN;
-- The first day of the run's window (YYYY-MM-DD): a run that did not complete is read again from there.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS window_from VARCHAR;
-- Version 11: the error's kind (model/api.ts ErrorKind).
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS error_kind VARCHAR;

-- The trail inventory from the CloudTrail API (DescribeTrails + GetTrailStatus).
CREATE TABLE IF NOT EXISTS trails (
  arn                           VARCHAR PRIMARY KEY,
  name                          VARCHAR NOT NULL,
  home_region                   VARCHAR,
  s3_bucket                     VARCHAR,
  s3_key_prefix                 VARCHAR,
  is_logging                    BOOLEAN,
  include_global_service_events BOOLEAN,
  is_multi_region               BOOLEAN,
  is_organization_trail         BOOLEAN,
  logging_started               TIMESTAMP,
  logging_stopped               TIMESTAMP,
  last_delivery                 TIMESTAMP,
  last_delivery_error           VARCHAR,
  last_notification             TIMESTAMP,
  last_notification_error       VARCHAR,
  sns_topic                     VARCHAR,
  synced_at                     TIMESTAMP NOT NULL
);
`;

/**
 * Version 5: a federated console sign-in's MFA is unknown, not "not used" (see normalise.ts); events stored before
 * it are corrected once.
 */
export const FEDERATED_SIGN_IN_MFA_SQL = `UPDATE events SET mfa_used = NULL
  WHERE mfa_used IS NOT NULL AND ${federatedSignInSql('event_source', 'event_name', 'identity_type')}`;

/**
 * Version 6: "not authorized" anywhere in the error message, and SNS's AuthorizationError, make an unauthorized
 * attempt (before, only a message starting with it, which AWS never writes); version 9: UnauthorizedOperationException
 * too; version 18: VpceAccessDenied (a VPC endpoint's policy refused it). Events stored before are corrected once, by
 * the rule as it is now.
 */
export const UNAUTHORIZED_MESSAGE_SQL = `UPDATE events SET is_unauthorized = true
  WHERE NOT is_unauthorized AND ${unauthorizedSql('error_code', 'error_message')}`;

/** SQL: the caller's account, the fifth part of its ARN ('' where the ARN says none). */
const CALLER_ACCOUNT = "split_part(principal_arn, ':', 5)";
/** SQL: `column` (a user or role name) with the caller's account, as `RoleX (account B)`; NULL stays NULL. */
const withCallerAccount = (column: string) => `${column} || ' (account ' || ${CALLER_ACCOUNT} || ')'`;
/** SQL: the caller is of another account than the event's, and the event's own account is known. */
const OTHER_ACCOUNT_CALLER = `${CALLER_ACCOUNT} NOT IN ('', account) AND account <> 'unknown'`;

/**
 * Names a caller of another account than the event's with its account, in `table` (each batch's at ingestion; in
 * version 18 the events stored before): a role of account B reading account A's bucket is in A's log under its name
 * alone, and is `RoleX (account B)`, not A's own RoleX. Its role too (version 19), so that grouped or filtered by
 * role B's RoleX is not A's either. Not for a name that is the ARN itself (it says its account; such a role session
 * has no role name either), nor an event whose own account is not known. A space and parentheses are in no IAM name,
 * so the label names no other user or role. The permission set stays one name across accounts.
 */
export const CALLER_ACCOUNT_USER_SQL = (table: string) =>
  `UPDATE ${table} SET user_name = ${withCallerAccount('user_name')}, role_name = ${withCallerAccount('role_name')}
    WHERE ${OTHER_ACCOUNT_CALLER} AND user_name <> principal_arn`;

/** Version 19: the role of the events version 18 named with their caller's account (it named their user only). */
export const CALLER_ACCOUNT_ROLE_SQL = `UPDATE events SET role_name = ${withCallerAccount('role_name')}
  WHERE ${OTHER_ACCOUNT_CALLER} AND role_name IS NOT NULL`;

/**
 * Version 7: events stored before it arrived with their log file, whose ledger row says when. A file rewritten under
 * the same key keeps its events under the key for the first version that stored any (an earlier one that held only
 * duplicates was not kept), and under key#etag for later ones. An event whose file has no ledger row keeps no
 * arrival time.
 */
export const ARRIVED_AT_SQL = `UPDATE events SET arrived_at = arrival.t
  FROM (SELECT k, coalesce(min(t) FILTER (WHERE inserted > 0), min(t)) AS t
        FROM (SELECT key AS k, ingested_at AS t, inserted FROM ingested_objects
              UNION ALL SELECT key || '#' || etag, ingested_at, inserted FROM ingested_objects)
        GROUP BY k) AS arrival
  WHERE events.object_key = arrival.k AND events.arrived_at IS NULL`;

/**
 * Version 8: an AWSService identity's user is its invokedBy (the field rules), so its events stored before say which
 * service made them. Other identities' calls that a service made for them cannot be told apart any more: they count
 * as the identity's own.
 */
export const INVOKED_BY_SQL = `UPDATE events SET invoked_by = user_name WHERE identity_type = 'AWSService' AND invoked_by IS NULL`;

/**
 * Version 10: a role session's role is kept in its own column, and the user of an IAM Identity Center permission
 * set's role is the person (its session name), not the role. Events stored before had the role as their user; the
 * issuer's ARN, whose path marks such a role at ingestion, was not stored, so they are known by the role's name. A
 * user that is no role's name (the principal ARN, or the principal id AROA…:session when the record named neither
 * issuer nor ARN: IAM role names have no colon) had no role to keep, as ingestion now keeps none.
 */
export const IDENTITY_CENTER_USER_SQL = [
  `UPDATE events SET role_name = user_name
   WHERE identity_type = 'AssumedRole' AND role_name IS NULL AND regexp_full_match(user_name, '[\\w+=,.@-]{1,64}')`,
  `UPDATE events SET user_name = session_name
   WHERE identity_type = 'AssumedRole' AND starts_with(role_name, '${IDENTITY_CENTER_ROLE_PREFIX}') AND user_name = role_name AND session_name <> ''`,
];

/**
 * Version 12: the permission set of an Identity Center role's events. The issuer's ARN, whose path marks such a role
 * at ingestion, is not stored (nor does the principal ARN, assumed-role/<role>/<session>, carry the path), but what
 * ingestion decided by it is: since version 10 an Identity Center role's user is its session (the person), any other
 * role's user the role. So a role named AWSReservedSSO_… whose user is the role while it has a session name was seen
 * not to be Identity Center's; the others are known by the role's name, as version 10's migration knew them.
 */
export const PERMISSION_SET_SQL = `UPDATE events SET permission_set = ${permissionSetSql('role_name')}
  WHERE identity_type = 'AssumedRole' AND permission_set IS NULL AND starts_with(role_name, '${IDENTITY_CENTER_ROLE_PREFIX}')
    AND NOT (user_name = role_name AND coalesce(session_name, '') <> '')`;

/**
 * Version 11: the kind of each stored error (model/api.ts ErrorKind), from the words that earlier versions wrote (they
 * do not change any more): the one place the kind is read from a message.
 */
const kindFromWords = (column: string, otherwise: string) => `CASE
    WHEN regexp_matches(${column}, 'no AWS credentials found|gave no credentials|refused the credentials', 'i') THEN 'credentials'
    WHEN regexp_matches(${column}, 'was denied|AccessDenied|not authorized|\\(HTTP 403\\)', 'i') THEN 'access-denied'
    WHEN regexp_matches(${column}, 'cannot reach|download stalled', 'i') THEN 'unreachable'
    WHEN regexp_matches(${column}, 'bucket \\S+ does not exist', 'i') THEN 'no-bucket'
    WHEN regexp_matches(${column}, 'no CloudTrail logs under', 'i') THEN 'no-logs'
    WHEN regexp_matches(${column}, 'is not a folder', 'i') THEN 'no-folder'
    WHEN regexp_matches(${column}, 'out of memory', 'i') THEN 'out-of-memory'
    WHEN starts_with(${column}, 'download failed: ') THEN 'other'
    WHEN regexp_matches(${column}, 'unpacks to more than|over 16 MB unpacked|a JSON value over', 'i') THEN 'too-big'
    WHEN regexp_matches(${column}, 'gzip', 'i') THEN 'bad-gzip'
    WHEN regexp_matches(${column}, 'no "Records" array', 'i') THEN 'no-records'
    WHEN regexp_matches(${column}, 'JSON|utf-8', 'i') THEN 'bad-json'
    ELSE ${otherwise} END`;
export const ERROR_KIND_SQL = [
  `UPDATE ingest_errors SET kind = ${kindFromWords('reason', "'unreadable'")} WHERE kind IS NULL`,
  `UPDATE ingest_runs SET error_kind = ${kindFromWords('error', "'other'")} WHERE error IS NOT NULL AND error_kind IS NULL`,
];

/**
 * Version 16: a record that says no category (neither eventCategory nor managementEvent: eventVersion 1.05 and before)
 * is a data event when it is one of UNMARKED_DATA_EVENTS (S3 object calls, Lambda Invoke); versions 13 to 15 counted
 * every such record a management event. Stored events keep neither the record's fields nor its eventVersion, so the
 * event names decide: AWS documents these operations as data events only, and a record that called one a management
 * event is not known. Reading the kept records again would cost what version 13's pass did (~10 s a million events).
 */
export const UNMARKED_DATA_EVENTS_SQL = `UPDATE events SET event_category = 'Data'
  WHERE event_category = 'Management' AND ${unmarkedDataEventSql('event_source', 'event_name')}`;

/** Version 20: the day of each kept log file's key, for the rows stored before (see log_objects.day). */
export const LOG_OBJECT_DAY_SQL = `UPDATE log_objects SET day = ${KEY_DATE_SQL('key')} WHERE day IS NULL`;

/** SQL: the column holds a blank value (fieldRules.ts blankSql) other than '' (NULL: no). */
const blankNotEmpty = (column: string) => `(${column} <> '' AND ${blankSql(column)})`;
/** SQL: the event keeps a resource whose id is blank (ingestion stored '' never, a blank id since version 21 neither). */
const BLANK_RESOURCE = `list_bool_or(list_transform(resources, r -> ${blankSql('r.id')}))`;
/** SQL: the event's resources without those of a blank id. */
const PRESENT_RESOURCES = `list_filter(resources, r -> NOT ${blankSql('r.id')})`;
/** The columns version 21 corrects, each with the condition that it holds a blank value and what ingestion now writes then. */
const BLANK_COLUMNS: Array<{ column: string; blank: string; absent: string }> = [
  // '' too for the nullable ones: ingestion stored an empty principal ARN and error code as written.
  ...['principal_arn', 'error_code', 'invoked_by', 'event_category'].map((column) => ({ column, blank: blankSql(column), absent: 'NULL' })),
  ...[['event_name', "'unknown'"], ['region', "'unknown'"], ['identity_type', "'Unknown'"], ['event_source', "''"], ['source_ip', "''"]].map(
    ([column, absent]) => ({ column, blank: blankNotEmpty(column), absent })
  ),
  // The service is the event source's, without .amazonaws.com: 'unknown' where that is blank, or blank before the suffix
  // ('  .amazonaws.com'), the source kept as written, as ingestion now stores them.
  { column: 'service', blank: blankNotEmpty('service'), absent: "'unknown'" },
];

/**
 * Version 21: a blank value (whitespace only) is an absent one, as ingestion stores it since this version; events stored
 * before get, in their self-contained columns, what ingestion now writes for an absent field (the region 'unknown', the
 * source IP '', the error code NULL …), and lose their resources of a blank id, with those ids' rows of the resource
 * index. Only the rows holding one are written. Derived columns (user, account, role, session, identity provider) and
 * the event id are left: what they fall back to (the principal id, the record's hash …) is not stored.
 */
export const BLANK_VALUES_SQL = [
  // The index first, while the events still say which ids were blank: their rows go, and the event's other ids are indexed again.
  `DELETE FROM event_resources WHERE event_id IN (SELECT event_id FROM events WHERE ${BLANK_RESOURCE})`,
  `INSERT INTO event_resources ${RESOURCE_INDEX_SELECT(
    `(SELECT event_time, event_id, ${PRESENT_RESOURCES} AS resources FROM events WHERE ${BLANK_RESOURCE})`
  )}`,
  `UPDATE events SET ${BLANK_COLUMNS.map((c) => `${c.column} = CASE WHEN ${c.blank} THEN ${c.absent} ELSE ${c.column} END`).join(', ')},
     resources = CASE WHEN ${BLANK_RESOURCE} THEN ${PRESENT_RESOURCES} ELSE resources END
   WHERE ${BLANK_COLUMNS.map((c) => c.blank).join(' OR ')} OR ${BLANK_RESOURCE}`,
];

/** Fills the resource index from stored events: for files written before schema version 3. */
export const BACKFILL_RESOURCE_INDEX_SQL = `INSERT INTO event_resources ${RESOURCE_INDEX_SELECT('events')}`;

/**
 * Version 22: whether the source is an IP address, by the exact IPv6 grammar (fieldRules.ts IPV6_PATTERN): before it,
 * `1::2::3` or `:::` counted as addresses in the Summary, and `1:2:3:4:5:6:7::` did not. Only the rows it changes are written.
 */
export const SOURCE_IS_IP_SQL = `UPDATE events SET source_is_ip = NOT source_is_ip WHERE source_is_ip <> coalesce(${isIpSql('source_ip')}, false)`;
