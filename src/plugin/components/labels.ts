// Human labels for the model's enums, in the order the editor shows them.
import type {
  Aggregate, Dimension, FilterKey, Format, GroupBy, IngestView, Mfa, QueryType, ReadOnly, ServiceCalls, Status, TimeField,
} from '../../model/query';

type Options<T> = Array<{ value: T; label: string; description?: string }>;

export const REPORT_TYPES: Options<QueryType> = [
  { value: 'events', label: 'Events', description: 'Event counts over time, top lists, or the events themselves' },
  { value: 'totals', label: 'Summary totals', description: 'Headline numbers: trails, events, errors, users, IPs …' },
  { value: 'trails', label: 'List of Trails', description: 'The trail inventory and its logging status' },
  { value: 'ingest', label: 'Ingestion', description: 'How far ingestion has got: objects, events, errors, lag; the files it could not read' },
];

export const INGEST_VIEWS: Options<IngestView> = [
  { value: 'status', label: 'Status', description: 'Log files and events stored, errors, newest event, lag, last poll' },
  { value: 'errors', label: 'Unreadable files', description: 'The log files ingestion could not read, newest first, with why' },
];

export const FORMATS: Options<Format> = [
  { value: 'timeseries', label: 'Time series' },
  { value: 'table', label: 'Table' },
  { value: 'list', label: 'Event list' },
  { value: 'logs', label: 'Log lines' },
];

export const GROUP_BYS: Options<GroupBy> = [
  { value: 'user', label: 'User' },
  { value: 'eventName', label: 'Event name' },
  { value: 'sourceIp', label: 'IP address' },
  { value: 'service', label: 'Service' },
  { value: 'region', label: 'Region' },
  { value: 'account', label: 'Account' },
  { value: 'userAndAccount', label: 'User and account', description: 'A user (or role) of the same name in another account is a group of its own' },
  { value: 'resource', label: 'Resource' },
  { value: 'errorCode', label: 'Error code' },
  { value: 'identityType', label: 'Identity type' },
  {
    value: 'role',
    label: 'Role',
    description: "The role a role session acted through (an IAM Identity Center user's permission set); (none) for other events",
  },
  {
    value: 'permissionSet',
    label: 'Permission set',
    description: "An IAM Identity Center user's permission set, one group for its roles in every account; (none) for other events",
  },
  {
    value: 'eventCategory',
    label: 'Event category',
    description: 'Management, Data (S3 object calls, Lambda Invoke …), NetworkActivity or Insight events; (unknown) where it is not known',
  },
  { value: 'none', label: 'Nothing (one total)' },
];

export const AGGREGATES: Options<Aggregate> = [
  { value: 'auto', label: 'Auto' },
  { value: 'hour', label: 'Hour' },
  { value: 'day', label: 'Day' },
];

export const TIME_FIELDS: Options<TimeField> = [
  { value: 'event', label: 'Event time', description: 'When the call was made (eventTime)' },
  { value: 'arrival', label: 'Arrival time', description: 'When Trailhound stored the event (at most a day late)' },
];

export const TIME_FIELD_TOOLTIP =
  'What the time range applies to: when the calls were made, or when Trailhound stored them. ' +
  'Alert rules use arrival time, so that events delivered late still count (up to a day late).';

/** The Status field's tooltip: what tells an error from a refusal, which the buttons' words do not say. */
export const STATUS_TOOLTIP =
  'Error: any call that failed (an error code or message, a failed sign-in), refusals included. Unauthorized: the calls refused as not ' +
  'authorized (AccessDenied, UnauthorizedOperation, failed sign-ins …). Success: every other call';

export const STATUSES: Options<Status> = [
  { value: 'all', label: 'All' },
  { value: 'success', label: 'Success' },
  { value: 'error', label: 'Error' },
  { value: 'unauthorized', label: 'Unauthorized' },
];

export const READ_ONLY: Options<ReadOnly> = [
  { value: 'all', label: 'All' },
  { value: 'write', label: 'Write' },
  { value: 'read', label: 'Read' },
];

export const MFA_OPTIONS: Options<Mfa> = [
  { value: 'all', label: 'All' },
  { value: 'used', label: 'Used' },
  { value: 'notUsed', label: 'Not used' },
];

export const MFA_TOOLTIP =
  "IAM users' and root's console logins and role sessions record whether MFA was used; other events (federated console logins too) match only All";

export const SERVICE_CALLS_OPTIONS: Options<ServiceCalls> = [
  { value: 'include', label: 'Include' },
  { value: 'exclude', label: 'Exclude' },
];

export const SERVICE_CALLS_TOOLTIP =
  'What AWS services did: calls a service made for an identity (invokedBy: CloudFormation, Auto Scaling …), calls of the AWSService identity, ' +
  'and AWS service events. Exclude leaves them out, as the CIS root-activity alert does';

/** The filter fields, in the order the editor lists them. */
export const FILTER_LABELS: Record<FilterKey, string> = {
  region: 'Region',
  service: 'Service',
  eventName: 'Event name',
  user: 'User',
  sourceIp: 'IP address',
  account: 'Account',
  errorCode: 'Error code',
  identityType: 'Identity type',
  role: 'Role',
  permissionSet: 'Permission set',
  eventCategory: 'Event category',
};

/** What a filter's values are, and what the names of its own groups mean ((none) …), shown beside its label. */
export const FILTER_TOOLTIPS: Record<FilterKey, string> = {
  region: 'The AWS region the call was made in (us-east-1, eu-west-1 …)',
  service: 'The AWS service called: its event source without .amazonaws.com (ec2, s3, iam …)',
  eventName: 'The API action called (RunInstances, PutBucketPolicy, ConsoleLogin …)',
  user: "Who made the call: an IAM user's name, a role's, an IAM Identity Center user (the person, not the permission set's role), root …",
  sourceIp:
    "The caller's IP address as CloudTrail writes it: calls AWS services make for you show the service (ec2.amazonaws.com) or AWS Internal. " +
    '(none): events without one (Insight events)',
  account: 'The AWS account whose trail logged the call (recipientAccountId)',
  identityType: 'userIdentity.type as written: IAMUser, AssumedRole, Root (the root user itself), AWSService, FederatedUser …; Unknown where there is none',
  errorCode:
    '(none): successful calls; (error without code): failures without one, such as a failed sign-in (a console login, an IAM Identity Center ' +
    'credential)',
  role:
    "The role a role session acted through: an IAM Identity Center user's permission set is its role AWSReservedSSO_<permission set>_…, " +
    'one per account. (none): every other call',
  permissionSet:
    "An IAM Identity Center user's permission set, such as AdministratorAccess: its roles in every account. (none): every call made " +
    'through no Identity Center role',
  eventCategory:
    'Management: control-plane calls, what every trail logs; Data: S3 object calls, Lambda Invoke … (often most of the volume); ' +
    'NetworkActivity; Insight. (unknown): events whose category is not known (stored by an older version, their log file gone)',
};

export const DIMENSION_OPTIONS: Options<Dimension> = [
  { value: 'region', label: 'Region' },
  { value: 'service', label: 'Service' },
  { value: 'eventName', label: 'Event name' },
  { value: 'user', label: 'User' },
  { value: 'sourceIp', label: 'IP address' },
  { value: 'account', label: 'Account' },
  { value: 'errorCode', label: 'Error code' },
  { value: 'identityType', label: 'Identity type' },
  { value: 'role', label: 'Role' },
  { value: 'permissionSet', label: 'Permission set' },
  { value: 'eventCategory', label: 'Event category' },
];
