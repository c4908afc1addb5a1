// CloudTrail field rules (DESIGN.md, "CloudTrail field rules"), kept as data so that the ingestion SQL,
// the documentation and the editor's help all say the same thing. Pure, no I/O.

/** An error code matching one of these (whole-string regular expressions) is an unauthorized attempt. */
export const UNAUTHORIZED_ERROR_CODES = [
  'AccessDenied.*',
  // A network activity event refused by a VPC endpoint's policy; its message ("The request was denied due to a VPC
  // endpoint policy") does not say "not authorized".
  'VpceAccessDenied',
  // EC2 writes Client.UnauthorizedOperation; WorkDocs and Server Migration Service UnauthorizedOperationException.
  '.*UnauthorizedOperation(Exception)?',
  '.*NotAuthorized.*',
  'UnauthorizedException',
  // EC2 prefixes its codes with Client. in CloudTrail (Client.UnauthorizedOperation); its credential refusal too.
  '(Client\\.)?AuthFailure',
  'Forbidden.*',
  // SNS refuses with this code ("User: arn:… is not authorized to perform: SNS:Subscribe …").
  'AuthorizationError',
] as const;

/**
 * An errorMessage containing this (case-insensitive) is an unauthorized attempt too. AWS writes it inside the
 * sentence ("User: arn:… is not authorized to perform: …", "You are not authorized to …"), so not only at the start.
 */
export const UNAUTHORIZED_MESSAGE_TEXT = 'not authorized';

/** SQL: the error code or message (expressions) says the call was refused as unauthorized; NULLs say no. */
export const unauthorizedSql = (code: string, message: string) =>
  `(coalesce(regexp_full_match(${code}, '^(${UNAUTHORIZED_ERROR_CODES.join('|')})$'), false)
    OR coalesce(contains(lower(${message}), '${UNAUTHORIZED_MESSAGE_TEXT}'), false))`;

/** The group (and filter value) of the events that have no value of a dimension where that is news: no code, no role. */
export const NONE_GROUP = '(none)';

/** The source IP group (and filter value) of the events whose record has no sourceIPAddress (Insight events); no address is written so. */
export const NO_SOURCE_IP = NONE_GROUP;

/** Error-code groups (and filter values) of events without an error code: successes, and failures without one. */
export const SUCCESS_CODE = NONE_GROUP;
export const NO_CODE = '(error without code)';

/**
 * The role group (and filter value) of the events that are not role sessions (no role_name). IAM role names are
 * letters, digits and +=,.@_- only, so no role is called so.
 */
export const NO_ROLE = NONE_GROUP;

/** The event source of AWS sign-in: console logins, CheckMfa, IAM Identity Center's sign-in steps. */
export const SIGN_IN_SOURCE = 'signin.amazonaws.com';

/**
 * Sign-in events that write their outcome, "Success" or "Failure", under their own name, with the document that holds
 * it. A failure has no errorCode, and an errorMessage only sometimes (a failed ConsoleLogin's "Failed authentication",
 * not in every version; none for IAM Identity Center's steps): the outcome says it. ConsoleLogin and CheckMfa (IAM users,
 * root, federated console sign-ins) write it in responseElements; IAM Identity Center's sign-in steps, a password or an
 * MFA code checked (CredentialVerification) among them, in serviceEventDetails.
 *
 * What AWS documents: a refused console password or MFA code is a ConsoleLogin "Failure" (its MFAUsed "Yes" when an MFA
 * code was asked), and CheckMfa, the sign-in asking whether an IAM user needs MFA, is shown only as "Success"
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html). CheckMfa "Failure" is read the same way
 * but is nowhere shown. SwitchRole (a console role switch, "SwitchRole": "Success" in responseElements in records seen)
 * is not here: no AWS page shows one, failed or not, so what a refused switch writes is not known (the sts:AssumeRole a
 * switch needs, refused, would be an AccessDenied, which its error code counts; unconfirmed for the console).
 */
export const SIGN_IN_OUTCOMES = [
  { eventName: 'ConsoleLogin', in: 'responseElements' },
  { eventName: 'CheckMfa', in: 'responseElements' },
  { eventName: 'CredentialChallenge', in: 'serviceEventDetails' },
  { eventName: 'CredentialVerification', in: 'serviceEventDetails' },
  { eventName: 'UserAuthentication', in: 'serviceEventDetails' },
] as const;
export const SIGN_IN_FAILURE = 'Failure';

/**
 * SQL: the sign-in event failed, from its event name and its documents' JSON (expressions, by document name). NULL for
 * other events. A failed sign-in is an error and an unauthorized attempt, as a refused call is.
 */
export const signInFailureSql = (name: string, doc: (field: (typeof SIGN_IN_OUTCOMES)[number]['in']) => string) =>
  `(CASE ${name} ${SIGN_IN_OUTCOMES.map((o) => `WHEN '${o.eventName}' THEN (${doc(o.in)} ->> '$.${o.eventName}') = '${SIGN_IN_FAILURE}'`).join(' ')} END)`;

/** The same, of a record as CloudTrail wrote it (the stored events' migration reads their originals). */
export function isFailedSignIn(record: Record<string, unknown>): boolean {
  const outcome = SIGN_IN_OUTCOMES.find((o) => o.eventName === record.eventName);
  const doc = outcome ? record[outcome.in] : undefined;
  return typeof doc === 'object' && doc !== null && (doc as Record<string, unknown>)[outcome!.eventName] === SIGN_IN_FAILURE;
}

/** Not an error: EC2 answers a successful dry run with this code. */
export const DRY_RUN_SUCCESS_CODE = 'Client.DryRunOperation';

/**
 * A console sign-in (signin.amazonaws.com ConsoleLogin) says whether MFA was used only for these identities.
 * Federated sign-ins (SSO, SAML: an AssumedRole …) say MFAUsed "No" whatever their identity provider checked, so
 * their MFA is unknown (the CIS benchmark's metric filter counts IAM users only).
 */
export const SIGN_IN_MFA_IDENTITY_TYPES = ['IAMUser', 'Root'] as const;

/** SQL: the event is a federated console sign-in, from its event source, event name and identity type expressions. */
export const federatedSignInSql = (source: string, name: string, identityType: string) =>
  `(${source} = '${SIGN_IN_SOURCE}' AND ${name} = 'ConsoleLogin' AND ${identityType} NOT IN (${SIGN_IN_MFA_IDENTITY_TYPES.map((t) => `'${t}'`).join(', ')}))`;

/**
 * IAM Identity Center (SSO) creates a role per permission set in each account it is assigned to, named
 * AWSReservedSSO_<permission set>_<suffix> under this path (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/[region/]…),
 * and signs its users in to it with their user name as the role session name. Such a role's session is the person.
 */
export const IDENTITY_CENTER_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/';
/** The name every permission-set role starts with. */
export const IDENTITY_CENTER_ROLE_PREFIX = 'AWSReservedSSO_';

/**
 * SQL: a role session's role is an Identity Center permission set's, from its issuer's ARN and role name (expressions).
 * The path says so where the record names the issuer; a federated console sign-in names none, and there the name does.
 */
export const identityCenterRoleSql = (issuerArn: string, role: string) =>
  `(CASE WHEN nullif(${issuerArn}, '') IS NULL THEN coalesce(starts_with(${role}, '${IDENTITY_CENTER_ROLE_PREFIX}'), false)
         ELSE contains(${issuerArn}, ':role${IDENTITY_CENTER_ROLE_PATH}') END)`;

/**
 * SQL: the permission set of an Identity Center role (expression), its name without the prefix and the 16 hex digits
 * Identity Center adds per account (AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d: AdministratorAccess). A name
 * without those digits keeps all after the prefix. Only for roles identityCenterRoleSql recognises.
 */
export const permissionSetSql = (role: string) => `nullif(regexp_extract(${role}, '^${IDENTITY_CENTER_ROLE_PREFIX}(.+?)(_[0-9a-fA-F]{16})?$', 1), '')`;

/**
 * The permission-set group (and filter value) of the events made through none. Permission set names are letters,
 * digits and +=,.@_- only, so none is called so.
 */
export const NO_PERMISSION_SET = NONE_GROUP;

/**
 * CloudTrail's event categories (eventCategory, since eventVersion 1.07): management events (control plane: the
 * default of every trail), data events (S3 object calls, Lambda Invoke …: logged only where a trail asks, and often
 * most of its volume), network activity events (VPC endpoint calls), Insights events.
 */
export const EVENT_CATEGORIES = ['Management', 'Data', 'NetworkActivity', 'Insight'] as const;

/**
 * The data events a record may carry without saying so: before eventVersion 1.06 a record has neither managementEvent
 * nor eventCategory (and a service may write 1.05 long after), while S3 object calls (since November 2016) and Lambda
 * Invoke (since November 2017) were already logged as data events. By event source, the event names AWS documents as
 * data events: S3's object-level actions, with the bucket-level calls it logs as object-level ones (ListObjects,
 * ListObjectVersions, HeadBucket, DeleteObjects); bucket-level calls (ListBuckets, CreateBucket, PutBucketAcl …,
 * GetObjectLockConfiguration) are management events. Sources: DESIGN.md, "event category".
 */
export const UNMARKED_DATA_EVENTS: Readonly<Record<string, readonly string[]>> = {
  's3.amazonaws.com': [
    'AbortMultipartUpload', 'CompleteMultipartUpload', 'CopyObject', 'CreateMultipartUpload', 'DeleteObject', 'DeleteObjects',
    'GetObject', 'GetObjectAcl', 'GetObjectAttributes', 'GetObjectTagging', 'GetObjectTorrent', 'HeadBucket', 'HeadObject',
    'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListParts', 'PostObject', 'PutObject', 'PutObjectAcl',
    'PutObjectTagging', 'RestoreObject', 'SelectObjectContent', 'UploadPart', 'UploadPartCopy',
  ],
  'lambda.amazonaws.com': ['Invoke'],
};

/**
 * SQL: the event source and name (expressions) are one of UNMARKED_DATA_EVENTS; NULLs say no. A list_contains, not an
 * IN list: DuckDB turns a long IN list into a join, which held a big file's records in memory (out of memory at 128 MB).
 */
export const unmarkedDataEventSql = (source: string, name: string) =>
  `coalesce(${Object.entries(UNMARKED_DATA_EVENTS)
    .map(([s, names]) => `(${source} = '${s}' AND list_contains([${names.map((n) => `'${n}'`).join(', ')}], ${name}))`)
    .join(' OR ')}, false)`;

/**
 * SQL: an event's category from its eventCategory, managementEvent (since 1.06), eventType, eventSource and eventName
 * (expressions; the first three as JSON text). Before eventCategory, the events a trail logged besides management
 * events were data events (network activity came in 2024, with the field). A record that says neither is a data event
 * when it is one of UNMARKED_DATA_EVENTS, else a management event, what trails log by default.
 */
export const eventCategorySql = (category: string, managementEvent: string, eventType: string, source: string, name: string) =>
  `CASE WHEN nullif(${category}, '') IS NOT NULL THEN ${category}
        WHEN ${managementEvent} = 'true' THEN 'Management' WHEN ${managementEvent} = 'false' THEN 'Data'
        WHEN ${eventType} = 'AwsCloudTrailInsight' THEN 'Insight'
        WHEN ${unmarkedDataEventSql(source, name)} THEN 'Data' ELSE 'Management' END`;

/**
 * The event-category group (and filter value) of the events without one: stored before Trailhound kept the category
 * (schema version 13), their kept log file gone since. No category is written so.
 */
export const UNKNOWN_CATEGORY = '(unknown)';

/**
 * What an AWS service did, rather than someone using the account: a call a service made for an identity
 * (userIdentity.invokedBy), a call of the AWSService identity, an AWS service event. The CIS benchmark's root-activity
 * filter leaves these out; a query leaves them out with serviceCalls: exclude. A service event of AWS sign-in is not one:
 * IAM Identity Center writes a person's sign-in steps (CredentialChallenge, CredentialVerification, UserAuthentication)
 * as AwsServiceEvent, because no public API lies behind them (https://docs.aws.amazon.com/singlesignon/latest/userguide/understanding-sign-in-events.html).
 * Nor is a call invoked by AWS sign-in: older records write a console user's own calls so (invokedBy and userAgent
 * signin.amazonaws.com, https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html, GetUserPolicy).
 */
export const serviceCallSql = (invokedBy: string, identityType: string, eventType: string, eventSource: string) =>
  `(coalesce(${invokedBy} <> '${SIGN_IN_SOURCE}', false) OR ${identityType} = 'AWSService'
    OR coalesce(${eventType} = 'AwsServiceEvent' AND ${eventSource} IS DISTINCT FROM '${SIGN_IN_SOURCE}', false))`;

/** Event names that read and never change anything, for records that do not carry `readOnly`. */
export const READ_ONLY_NAME_PREFIXES = ['Describe', 'List', 'Get', 'Head', 'Lookup', 'BatchGet', 'Search'] as const;

/**
 * Identifier keys the common services put at the top of requestParameters / responseElements.
 * Each found value becomes a resource of the event, beside every resources[].ARN.
 */
export const RESOURCE_ID_KEYS = [
  'instanceId',
  'bucketName',
  'dBInstanceIdentifier',
  'dBClusterIdentifier',
  'dBSnapshotIdentifier',
  'functionName',
  'groupId',
  'roleName',
  'userName',
  'policyArn',
  'tableName',
  'keyId',
  'secretId',
  'snapshotId',
  'imageId',
  'volumeId',
  'vpcId',
  'subnetId',
  'trailName',
  'topicArn',
  'queueUrl',
  'stackName',
  'clusterName',
  'repositoryName',
  'loadBalancerName',
  'distributionId',
  'hostedZoneId',
  'logGroupName',
  'parameterName',
] as const;

/**
 * Identifiers some services keep under generic keys, by event source, as JSON paths relative to requestParameters /
 * responseElements: CloudTrail names the trail (or its ARN) "name" in StopLogging, DeleteTrail, UpdateTrail …;
 * CloudFront names the distribution "id" and returns it as distribution.id / distribution.aRN; Systems Manager names
 * the instances a command runs on "instanceIds" (SendCommand) and a session's instance "target" (StartSession), so an
 * instance's id finds who ran commands or opened a shell on it. A path may be a list's ([*]).
 */
export const SERVICE_RESOURCE_ID_PATHS: Readonly<Record<string, readonly string[]>> = {
  'cloudtrail.amazonaws.com': ['$.name', '$.trailARN'],
  'cloudfront.amazonaws.com': ['$.id', '$.distribution.id', '$.distribution.aRN'],
  'ssm.amazonaws.com': ['$.target', '$.instanceIds[*]'],
};

/** List-valued identifiers (EC2's item sets), as JSON paths relative to requestParameters / responseElements. */
export const RESOURCE_ID_LIST_PATHS = ['$.instancesSet.items[*].instanceId', '$.resourcesSet.items[*].resourceId'] as const;

/**
 * A blank value (RE2, whole string): '' or only whitespace, the characters JavaScript's trim() removes (\s: tab, line
 * feed, form feed, carriage return, space; \v; \p{Z}: the Unicode spaces and line and paragraph separators; the BOM).
 * The query model drops such a filter value, and Grafana's variables and ad hoc filters too, so a value stored blank
 * would be a group that no filter can pick: ingestion stores a blank field as absent.
 */
export const BLANK_PATTERN = '[\\s\\v\\p{Z}\\x{FEFF}]*';

/** SQL: whether the text (an expression) is blank; NULL for NULL. */
export const blankSql = (text: string) => `regexp_full_match(${text}, '${BLANK_PATTERN}')`;

/** SQL: the text (an expression, best a column: it is read twice) when not blank, else NULL. */
export const presentSql = (text: string) => `CASE WHEN NOT ${blankSql(text)} THEN ${text} END`;

const IPV4 = '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** A strict IPv4 address (no leading zeros: 255.090.254.5 is not an address). */
export const IPV4_PATTERN = `^${IPV4}$`;

/**
 * An IPv6 address, as RFC 3986 writes its grammar: eight groups of up to four hex digits, the last two of which may be
 * an IPv4 address, and one run of groups left out as "::" (`::`, `2001:db8::1`, `::ffff:192.0.2.1`); a link-local
 * address's zone (`fe80::1%eth0`) too, as Node's net.isIP reads them. Not `1::2::3`, `:::` or seven groups without "::",
 * which its first form, of two to seven groups of none to four digits, took for addresses. RE2 syntax.
 */
export const IPV6_PATTERN = (() => {
  const group = '[0-9A-Fa-f]{1,4}';
  const groups = (n: number) => (n === 0 ? '' : `(${group}:){${n}}`);
  const last32 = `(${group}:${group}|${IPV4})`;
  // Up to `before` groups, "::", then `tail` (whose last two groups may be an IPv4 address).
  const compressed = (before: number, tail: string) => `((${group}:){0,${before - 1}}${group})?::${tail}`;
  const forms = [
    `${groups(6)}${last32}`,
    `::${groups(5)}${last32}`,
    compressed(1, `${groups(4)}${last32}`),
    compressed(2, `${groups(3)}${last32}`),
    compressed(3, `${groups(2)}${last32}`),
    compressed(4, `${groups(1)}${last32}`),
    compressed(5, last32),
    compressed(6, group),
    compressed(7, ''),
  ];
  return `^(${forms.join('|')})(%[0-9A-Za-z.:-]+)?$`;
})();

/** SQL: whether the text (an expression) is an IPv4 or IPv6 address; NULL for NULL. */
export const isIpSql = (text: string) => `(regexp_full_match(${text}, '${IPV4_PATTERN}') OR regexp_full_match(${text}, '${IPV6_PATTERN}'))`;
