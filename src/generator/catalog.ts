// What the generated accounts contain: principals, and the API calls they make, with CloudTrail's real shapes.
import type { Rng } from './rng';

export type CloudTrailRecord = Record<string, unknown>;

export interface Principal {
  /** Relative weight: a few principals make most calls, as in real accounts. */
  weight: number;
  identity(account: string, rng: Rng): Record<string, unknown>;
  /** sourceIPAddress values this principal calls from. */
  ips: string[];
  userAgent: string;
  /** Principals that only use a few services (AWS services) list them. */
  services?: string[];
}

const iamUser = (name: string, weight: number, ips: string[], userAgent = 'aws-cli/2.17.20 md/Python#3.11.8 os/linux'): Principal => ({
  weight,
  ips,
  userAgent,
  identity: (account, rng) => ({
    type: 'IAMUser',
    principalId: `AIDA${name.toUpperCase().padEnd(17, 'X')}`,
    arn: `arn:aws:iam::${account}:user/${name}`,
    accountId: account,
    accessKeyId: `AKIA${rng.alnum(16).toUpperCase()}`,
    userName: name,
  }),
});

/**
 * A role's sessions; `rolePath` is the role's IAM path ('' for /), as its session issuer's ARN shows it. `role` may be
 * a function of the account, for roles whose name differs per account.
 */
const assumedRole = (
  role: string | ((account: string) => string), session: (rng: Rng) => string, weight: number, ips: string[], userAgent: string, rolePath = ''
): Principal => ({
  weight,
  ips,
  userAgent,
  identity: (account, rng) => {
    const s = session(rng);
    const name = typeof role === 'string' ? role : role(account);
    return {
      type: 'AssumedRole',
      principalId: `AROA${name.toUpperCase().replace(/[^A-Z]/g, '').padEnd(17, 'Y').slice(0, 17)}:${s}`,
      arn: `arn:aws:sts::${account}:assumed-role/${name}/${s}`,
      accountId: account,
      accessKeyId: `ASIA${rng.alnum(16).toUpperCase()}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROA${name.length}`,
          arn: `arn:aws:iam::${account}:role/${rolePath}${name}`,
          accountId: account,
          userName: name,
        },
        attributes: { creationDate: '2026-01-01T00:00:00Z', mfaAuthenticated: 'false' },
      },
    };
  },
});

/**
 * The role Identity Center makes for permission set `name` in `account`: AWSReservedSSO_<name>_<16 hex digits>, the
 * digits differing per account (here fixed for an account and permission set: FNV-1a).
 */
export function permissionSetRole(account: string, name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of `${account}/${name}`) h = BigInt.asUintN(64, (h ^ BigInt(c.charCodeAt(0))) * 0x100000001b3n);
  return `AWSReservedSSO_${name}_${h.toString(16).padStart(16, '0')}`;
}

/**
 * An IAM Identity Center permission set's role: one per permission set and account (permissionSetRole), under Identity
 * Center's path, shared by everyone given the permission set, each session named after its person.
 */
const permissionSet = (name: string, people: string[], weight: number, ips: string[], userAgent: string): Principal =>
  assumedRole((account) => permissionSetRole(account, name), (rng) => rng.pick(people), weight, ips, userAgent, 'aws-reserved/sso.amazonaws.com/');

const awsService = (service: string, weight: number, services: string[]): Principal => ({
  weight,
  ips: [service, 'AWS Internal'],
  userAgent: service,
  services,
  identity: () => ({ type: 'AWSService', invokedBy: service }),
});

/** IPv4 and IPv6 addresses from the documentation ranges, and one office NAT. */
const office = ['198.51.100.23', '198.51.100.24'];
const vpn = ['203.0.113.10', '2001:db8:85a3::8a2e:370:7334'];

// Root is rare, as it should be (about 1 call in 1,300, three a day in the sample): the "Root account activity"
// alert then fires now and then on the sample (about 4% of the time), not half the time.
export const ROOT: Principal = {
  weight: 0.06,
  ips: ['198.51.100.23'],
  userAgent: 'Mozilla/5.0 AWS-Console',
  identity: (account) => ({ type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account }),
};

export const PRINCIPALS: Principal[] = [
  iamUser('alice', 30, [...office, vpn[0]]),
  iamUser('bob', 14, [office[1], '192.0.2.77'], 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AWS-Console'),
  iamUser('carol', 6, ['192.0.2.130', vpn[1]]),
  iamUser('mallory', 2, ['185.220.101.4', '45.155.205.99'], 'python-requests/2.31.0'),
  assumedRole('Deployer', (rng) => `ci-run-${rng.int(1000, 9999)}`, 25, ['34.201.10.5', '34.201.10.6'], 'aws-sdk-go-v2/1.30.3 os/linux'),
  // Two people share the ReadOnly permission set; one of them also has AdministratorAccess.
  permissionSet('ReadOnly', ['dave@example.com', 'grace@example.com'], 8, office, 'Mozilla/5.0 (Windows NT 10.0) AWS-Console'),
  permissionSet('AdministratorAccess', ['dave@example.com'], 2, office, 'Mozilla/5.0 (Windows NT 10.0) AWS-Console'),
  assumedRole('lambda-orders-exec', () => 'orders-processor', 10, ['lambda.amazonaws.com'], 'aws-sdk-nodejs/3.600.0'),
  awsService('autoscaling.amazonaws.com', 5, ['ec2']),
  awsService('cloudformation.amazonaws.com', 3, ['ec2', 's3', 'iam', 'lambda']),
  ROOT,
  {
    weight: 1,
    ips: ['192.0.2.201'],
    userAgent: 'aws-cli/2.17.20',
    identity: (account) => ({
      type: 'FederatedUser',
      principalId: `${account}:erin`,
      arn: `arn:aws:sts::${account}:federated-user/erin`,
      accountId: account,
      sessionContext: { sessionIssuer: { type: 'IAMUser', userName: 'broker', arn: `arn:aws:iam::${account}:user/broker` } },
    }),
  },
  {
    weight: 1,
    ips: ['192.0.2.55'],
    userAgent: 'aws-sdk-java/2.25',
    identity: () => ({
      type: 'SAMLUser', principalId: 'SAML:frank@example.com', userName: 'frank@example.com', identityProvider: 'arn:aws:iam::111122223333:saml-provider/Okta',
    }),
  },
  {
    weight: 1,
    ips: ['192.0.2.56'],
    userAgent: 'aws-sdk-js/3',
    identity: () => ({ type: 'WebIdentityUser', principalId: 'accounts.google.com:1234', userName: 'app-user-1234', identityProvider: 'accounts.google.com' }),
  },
];

export interface EventTemplate {
  service: string;
  name: string;
  weight: number;
  readOnly?: boolean;
  /** Global services (IAM, STS, sign-in) log to us-east-1 and are delivered by every trail that includes them. */
  global?: boolean;
  eventType?: string;
  /** A data event (S3 object calls, Lambda Invoke): logged only where the trail asks for them, managementEvent false. */
  dataEvent?: boolean;
  request?(rng: Rng, account: string): unknown;
  response?(rng: Rng, account: string): unknown;
  resources?(rng: Rng, account: string, region: string): unknown[];
}

const instanceId = (rng: Rng) => `i-0${rng.hex(16)}`;
const bucket = (rng: Rng) => rng.pick(['acme-logs', 'acme-assets', 'acme-backups', 'orders-exports']);
const items = (ids: string[], key = 'instanceId') => ({ items: ids.map((id) => ({ [key]: id })) });

export const EVENTS: EventTemplate[] = [
  { service: 'ec2', name: 'DescribeInstances', weight: 30, readOnly: true, request: () => ({ filterSet: {}, instancesSet: {} }) },
  { service: 'ec2', name: 'DescribeSecurityGroups', weight: 10, readOnly: true, request: () => ({ securityGroupSet: {}, filterSet: {} }) },
  {
    service: 's3', name: 'GetObject', weight: 25, readOnly: true, dataEvent: true,
    request: (rng) => ({ bucketName: bucket(rng), key: `data/${rng.int(1, 5000)}.json`, Host: 's3.amazonaws.com' }),
  },
  {
    service: 's3', name: 'PutObject', weight: 12, readOnly: false, dataEvent: true,
    request: (rng) => ({ bucketName: bucket(rng), key: `uploads/${rng.hex(8)}.csv` }),
  },
  { service: 's3', name: 'ListBuckets', weight: 4, readOnly: true, request: () => ({ Host: 's3.amazonaws.com' }) },
  {
    service: 'kms', name: 'Decrypt', weight: 14, readOnly: true, request: () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    resources: (rng, account, region) => [{ accountId: account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${account}:key/${rng.uuid()}` }],
  },
  {
    service: 'logs', name: 'PutLogEvents', weight: 10, readOnly: false,
    request: (rng) => ({ logGroupName: `/aws/lambda/orders-${rng.int(1, 3)}`, logStreamName: rng.hex(12) }),
  },
  {
    service: 'sts', name: 'AssumeRole', weight: 8, readOnly: false, global: true,
    request: (rng) => ({ roleArn: 'arn:aws:iam::111122223333:role/Deployer', roleSessionName: `ci-run-${rng.int(1000, 9999)}`, durationSeconds: 3600 }),
  },
  { service: 'sts', name: 'GetCallerIdentity', weight: 5, readOnly: true, global: true },
  { service: 'iam', name: 'ListRoles', weight: 4, readOnly: true, global: true, request: () => ({ maxItems: 100 }) },
  { service: 'iam', name: 'GetUser', weight: 3, readOnly: true, global: true, request: (rng) => ({ userName: rng.pick(['alice', 'bob', 'carol']) }) },
  {
    service: 'lambda', name: 'Invoke', weight: 6, readOnly: false, dataEvent: true,
    request: (rng) => ({ functionName: `orders-${rng.int(1, 3)}`, invocationType: 'RequestResponse' }),
  },
  {
    service: 'ssm', name: 'GetParameter', weight: 5, readOnly: true,
    request: (rng) => ({ name: `/app/${rng.pick(['db', 'api'])}/url`, withDecryption: true }),
  },
  { service: 'secretsmanager', name: 'GetSecretValue', weight: 3, readOnly: true, request: (rng) => ({ secretId: `prod/${rng.pick(['db', 'stripe'])}` }) },
  { service: 'rds', name: 'DescribeDBInstances', weight: 3, readOnly: true, request: () => ({ dBInstanceIdentifier: 'orders-db' }) },
  {
    service: 'ec2', name: 'RunInstances', weight: 2, readOnly: false,
    request: (rng) => ({
      instancesSet: { items: [{ imageId: `ami-0${rng.hex(16)}`, minCount: 1, maxCount: 1 }] },
      instanceType: rng.pick(['t3.micro', 'm6i.large', 'p4d.24xlarge']),
    }),
    response: (rng) => ({ requestId: rng.uuid(), reservationId: `r-0${rng.hex(16)}`, instancesSet: items([instanceId(rng)]) }),
  },
  { service: 'ec2', name: 'StopInstances', weight: 1, readOnly: false, request: (rng) => ({ instancesSet: items([instanceId(rng)]), force: false }) },
  { service: 'ec2', name: 'TerminateInstances', weight: 1, readOnly: false, request: (rng) => ({ instancesSet: items([instanceId(rng), instanceId(rng)]) }) },
  {
    service: 'ec2', name: 'AuthorizeSecurityGroupIngress', weight: 1, readOnly: false,
    request: (rng) => ({
      groupId: `sg-0${rng.hex(16)}`,
      ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] },
    }),
  },
  { service: 's3', name: 'CreateBucket', weight: 0.5, readOnly: false, request: (rng) => ({ bucketName: `tmp-${rng.hex(6)}`, Host: 's3.amazonaws.com' }) },
  {
    service: 's3', name: 'PutBucketPolicy', weight: 0.5, readOnly: false,
    request: (rng) => ({
      bucketName: bucket(rng), bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }] },
    }),
  },
  {
    service: 'iam', name: 'CreateUser', weight: 0.3, readOnly: false, global: true, request: (rng) => ({ userName: `svc-${rng.hex(4)}` }),
    response: (rng, account) => ({
      user: { userName: `svc-${rng.hex(4)}`, arn: `arn:aws:iam::${account}:user/svc`, createDate: 'Nov 20, 2026 8:00:00 AM' },
    }),
  },
  {
    service: 'iam', name: 'AttachRolePolicy', weight: 0.3, readOnly: false, global: true,
    request: () => ({ roleName: 'Deployer', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
  },
  {
    service: 'cloudtrail', name: 'StopLogging', weight: 0.05, readOnly: false,
    request: (rng, account) => ({ name: `arn:aws:cloudtrail:us-east-1:${account}:trail/org-trail-${rng.int(1, 2)}` }),
  },
  { service: 'cloudtrail', name: 'DeleteTrail', weight: 0.02, readOnly: false, request: () => ({ name: 'legacy-trail' }) },
  { service: 'cloudtrail', name: 'UpdateTrail', weight: 0.05, readOnly: false, request: () => ({ name: 'org-trail-1', s3BucketName: 'acme-cloudtrail' }) },
  { service: 'signin', name: 'ConsoleLogin', weight: 1.5, global: true, eventType: 'AwsConsoleSignIn' },
];

/** Error codes with their messages, split by whether they are unauthorized attempts. */
export const UNAUTHORIZED_ERRORS: Array<[string, string]> = [
  ['AccessDenied', 'User: {arn} is not authorized to perform: {action} because no identity-based policy allows the {action} action'],
  ['Client.UnauthorizedOperation', 'You are not authorized to perform this operation.'],
  ['UnauthorizedOperation', 'You are not authorized to perform this operation.'],
  ['AccessDeniedException', 'User: {arn} is not authorized to perform: {action}'],
];

export const OTHER_ERRORS: Array<[string, string]> = [
  ['ThrottlingException', 'Rate exceeded'],
  ['Client.InvalidParameterValue', 'Value () for parameter groupId is invalid. The value cannot be empty'],
  ['NoSuchBucket', 'The specified bucket does not exist'],
  ['ResourceNotFoundException', 'Function not found'],
];
