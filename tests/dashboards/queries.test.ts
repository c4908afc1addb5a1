// Every dashboard panel and alert rule query, sent the way Grafana sends it: through the built backend
// executable, started by HashiCorp go-plugin's own client (tests/backend/harness), against a real Trailhound
// service holding 20,000 generated events over the last 14 days, the Stratus Red Team records and two trails.
// Each answer must have the shape its panel reads (field names its overrides and transformations use), and
// the counts the raw records give.
import fs from 'node:fs';
import path from 'node:path';
import { listValue } from '@duckdb/node-api';
import { tableFromIPC, Type } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { writeLogFolder, type GenerateOptions } from '../../src/generator';
import { GROUP_BYS, MAX_LIMIT, resolveQuery, type ResolvedQuery } from '../../src/model/query';
import { fetchValues, type ResourceClient } from '../../src/plugin/resources';
import { buildApi } from '../../src/service/api/server';
import { GROUP_LABELS } from '../../src/service/reports/sql';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { storeTrails, type TrailRecord } from '../../src/service/trails';
import { ensureBackendBuilt } from '../backend/support/build';
import { buildHarness, GO_INSTALL_HINT, goAvailable, HarnessSession, type HarnessSettings } from '../backend/support/harness';
import {
  accountOf, countBy, generatedRecords, oracleDimension, oracleMatches, oraclePeaks, oracleRole, oracleUnauthorized, oracleUser,
} from '../support/oracle';
import { CALLER, RECIPIENT, ROLE, roleReads } from '../support/crossAccount';
import { logFile, stratusRecords, writeStratusFolder, type CloudTrailRecord } from '../support/stratus';
import { tempDir, writeFiles } from '../support/temp';
import {
  defaultSelection, interpolate, loadAlertRules, loadDashboards, queryPanels, sampleSelections,
  type AlertRule, type Dashboard, type Json, type Selection,
} from './support';

const haveGo = goAvailable();
if (!haveGo) console.warn(`dashboard queries through the backend SKIPPED: \`go\` is not installed. Install Go and the packages with:\n  ${GO_INSTALL_HINT}`);
const describeWithGo = haveGo ? describe : describe.skip;

const TOKEN = 'dashboards-test-token';
const NOW = Date.now();
const DAY = 86_400_000;
const RANGE = { from: NOW - 14 * DAY, to: NOW + 60_000 };
const GENERATED: GenerateOptions = { events: 20_000, days: 14, end: new Date(NOW), seed: 2026 };

const TRAILS: TrailRecord[] = [
  {
    arn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail-1', name: 'org-trail-1',
    homeRegion: 'us-east-1', s3Bucket: 'acme-cloudtrail', s3KeyPrefix: 'org',
    isLogging: true, includeGlobalServiceEvents: true, isMultiRegion: true,
    isOrganizationTrail: true, loggingStarted: new Date(NOW - 30 * DAY), loggingStopped: null,
    lastDelivery: new Date(NOW - 300_000), lastDeliveryError: null,
    lastNotification: new Date(NOW - 300_000), lastNotificationError: null, snsTopic: 'cloudtrail-notify',
  },
  {
    arn: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/legacy-trail',
    name: 'legacy-trail', homeRegion: 'eu-west-1', s3Bucket: 'legacy-logs', s3KeyPrefix: null,
    isLogging: false, includeGlobalServiceEvents: false, isMultiRegion: false, isOrganizationTrail: false,
    loggingStarted: new Date(NOW - 90 * DAY), loggingStopped: new Date(NOW - 2 * DAY),
    lastDelivery: new Date(NOW - 2 * DAY), lastDeliveryError: 'AccessDenied', lastNotification: null, lastNotificationError: null, snsTopic: null,
  },
];

// ---------------------------------------------------------------- frames

interface Field {
  name: string;
  type: 'time' | 'number' | 'string' | 'boolean' | 'other';
  labels?: Record<string, string>;
  values: unknown[];
}
interface Frame {
  name?: string;
  fields: Field[];
  rows: number;
}

function decode(base64: string): Frame {
  const table = tableFromIPC(Buffer.from(base64, 'base64'));
  const kind = (typeId: Type): Field['type'] =>
    typeId === Type.Timestamp ? 'time'
      : typeId === Type.Float || typeId === Type.Int ? 'number'
      : typeId === Type.Utf8 ? 'string'
      : typeId === Type.Bool ? 'boolean'
      : 'other';
  return {
    name: table.schema.metadata.get('name'),
    rows: table.numRows,
    fields: table.schema.fields.map((f) => ({
      name: f.name,
      type: kind(f.type.typeId),
      labels: f.metadata.get('labels') ? JSON.parse(f.metadata.get('labels')!) : undefined,
      values: [...table.getChild(f.name)!].map((v) => (typeof v === 'bigint' ? Number(v) : v)),
    })),
  };
}

// ---------------------------------------------------------------- the records themselves

/** A group's label names (a pair's two; none ungrouped). */
const labelNames = (q: ResolvedQuery): readonly string[] => (q.groupBy === 'none' ? [] : GROUP_LABELS[q.groupBy]);

/** A record's group labels under a query (a pair's user and account both); undefined where the test cannot tell (resource). */
function labelsOf(q: ResolvedQuery): ((r: CloudTrailRecord) => Record<string, string>) | undefined {
  const names = labelNames(q);
  if (q.groupBy === 'none' || !names.every((n) => oracleDimension[n])) return undefined;
  return (r) => Object.fromEntries(names.map((n) => [n, oracleDimension[n]!(r)]));
}

/** One text per group, from its labels: equal labels, one group, whatever their order. */
const groupKey = (q: ResolvedQuery, labels: Record<string, unknown>): string => JSON.stringify(labelNames(q).map((n) => labels[n]));

/**
 * When each event reached the database. Ingested here in one go, the events get the times a service polling all
 * along would have given them (set in beforeAll): CloudTrail's usual 5 minutes after the call, or what LATE says.
 */
const DELIVERY_MS = 5 * 60_000;
const LATE = new Map<string, number>();
const arrivalOf = (r: CloudTrailRecord): number => LATE.get(r.eventID) ?? Date.parse(r.eventTime) + DELIVERY_MS;

/** A record's time by the query's time field. */
const timeOf = (r: CloudTrailRecord, q: ResolvedQuery): number => (q.timeField === 'arrival' ? arrivalOf(r) : Date.parse(r.eventTime));

/** Whether a record's time puts it in the range, by the query's time field. */
function inRange(r: CloudTrailRecord, q: ResolvedQuery, range: { from: number; to: number }): boolean {
  const t = timeOf(r, q);
  if (!(t >= range.from && t < range.to)) return false;
  // By arrival, news only: what happened at most a day before it arrived.
  return !(q.timeField === 'arrival' && Date.parse(r.eventTime) < arrivalOf(r) - DAY);
}

/** Whether a record matches a query, from the raw record (resource ids aside). */
const matches = (r: CloudTrailRecord, q: ResolvedQuery, range: { from: number; to: number }): boolean => inRange(r, q, range) && oracleMatches(r, q);

describeWithGo('dashboards and alert rules through the backend plugin', () => {
  let dir: string;
  let db: Database;
  let api: FastifyInstance;
  let session: HarnessSession;
  let settings: HarnessSettings;
  let records: CloudTrailRecord[];
  // Ten refused calls by one user across a 5-minute boundary (12:03:00 to 12:06:36): five on each side of 12:05.
  const BURST: CloudTrailRecord[] = Array.from({ length: 10 }, (_, i) => ({
    eventVersion: '1.08', eventID: `burst-${i}`, eventTime: new Date(Date.parse('2023-03-01T12:03:00Z') + i * 24_000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.66', recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', userName: 'eve', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/eve' },
    errorCode: 'AccessDenied', errorMessage: 'Access Denied',
  }));
  // Root calls stored late (a service down for hours): one two hours after it was made, which the root rule counts when
  // it arrives, and one two days after, which is history and never fires.
  const rootCall = (id: string, eventTime: string): CloudTrailRecord => ({
    eventVersion: '1.08', eventID: id, eventTime, eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9', recipientAccountId: '444455556666',
    userIdentity: { type: 'Root', accountId: '444455556666', arn: 'arn:aws:iam::444455556666:root' },
  });
  const LATE_ROOT = [rootCall('late-root', '2022-06-01T10:00:00Z'), rootCall('old-root', '2022-05-30T12:00:00Z')];
  // One call for each CIS change-monitoring rule (its list's first event name), two days ago: most are too rare in
  // generated logs for the rules to have anything to count.
  const CHANGES: CloudTrailRecord[] = loadAlertRules()
    .filter(({ group }) => group.name === 'CIS change monitoring')
    .map(({ rule }, i) => {
      const { filters } = resolveQuery(rule.data[0].model);
      const service = filters.service?.[0] ?? (filters.eventName![0].endsWith('Policy') ? 'iam' : 'ec2');
      return {
        eventVersion: '1.08', eventID: `change-${i}`, eventTime: new Date(NOW - 2 * DAY + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        eventSource: `${service}.amazonaws.com`, eventName: filters.eventName![0], awsRegion: 'eu-central-1', sourceIPAddress: '198.51.100.23',
        recipientAccountId: '111122223333',
        userIdentity: { type: 'IAMUser', userName: 'mallory', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/mallory' },
      };
    });
  const LATE_ARRIVAL = Date.parse('2022-06-01T12:00:00Z');
  // Refused calls whose arrival the peak tests set: eventTime and when Trailhound stored each.
  const MINUTE = 60_000;
  const refusedCall = (id: string, user: string, eventTime: number): CloudTrailRecord => ({
    ...BURST[0], eventID: id, eventTime: new Date(eventTime).toISOString().replace('.000', ''),
    userIdentity: { type: 'IAMUser', userName: user, accountId: '111122223333', arn: `arn:aws:iam::111122223333:user/${user}` },
  });
  /** `count` refused calls by `user`, `every` ms apart from `first`, each stored at `stored(i)`. */
  const refusals = (user: string, count: number, first: string, every: number, stored: (i: number) => number) =>
    Array.from({ length: count }, (_, i) => {
      const r = refusedCall(`${user}-${i}`, user, Date.parse(first) + i * every);
      LATE.set(r.eventID, stored(i));
      return r;
    });
  // After an outage: three hours of a monitoring tool's refusals, one every 10 minutes, all stored at 12:00.
  const BACKLOG_STORED = Date.parse('2021-05-01T12:00:00Z');
  const BACKLOG = refusals('monitor', 18, '2021-05-01T09:00:00Z', 10 * MINUTE, () => BACKLOG_STORED);
  // Six refusals within 25 minutes, stored three hours later.
  const DENSE_STORED = Date.parse('2021-05-02T12:30:00Z');
  const DENSE_LATE = refusals('dense', 6, '2021-05-02T09:00:00Z', 5 * MINUTE, () => DENSE_STORED);
  // Six refusals within 25 minutes: the first three stored at 10:15, the others 40 minutes later.
  const STRADDLE_STORED = [Date.parse('2021-05-03T10:15:00Z'), Date.parse('2021-05-03T10:55:00Z')];
  const STRADDLE = refusals('straddle', 6, '2021-05-03T10:00:00Z', 5 * MINUTE, (i) => STRADDLE_STORED[i < 3 ? 0 : 1]);
  const PEAKS = [...BACKLOG, ...DENSE_LATE, ...STRADDLE];
  // Routine refusals the CIS benchmark's filter leaves out, six of each within 6 minutes: the log delivery service
  // refused writing to a bucket, and a user's HeadBucket calls refused (a tool asking whether buckets exist).
  // An IAM Identity Center user's password refused three times within two minutes: no ConsoleLogin, no errorCode.
  const IDENTITY_CENTER_FAILURES: CloudTrailRecord[] = Array.from({ length: 3 }, (_, i) => ({
    eventVersion: '1.08', eventID: `idc-failure-${i}`, eventTime: new Date(Date.parse('2021-05-05T10:00:00Z') + i * 40_000).toISOString().replace('.000', ''),
    eventSource: 'signin.amazonaws.com', eventName: 'CredentialVerification',
    eventType: 'AwsServiceEvent', awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.9',
    recipientAccountId: '111122223333', userIdentity: { type: 'Unknown', principalId: '111122223333', arn: '', accountId: '111122223333', userName: 'user1' },
    additionalEventData: { AuthWorkflowID: 'adbf67c4-8188-4e2b-8527-fe539e328fa7', CredentialType: 'PASSWORD' },
    serviceEventDetails: { CredentialVerification: 'Failure' },
  }));
  // A trail created and started (CIS 4.5 counts both): a new trail may deliver a copy of everything elsewhere.
  const NEW_TRAIL: CloudTrailRecord[] = ['CreateTrail', 'StartLogging'].map((eventName, i) => ({
    eventVersion: '1.08', eventID: `new-trail-${i}`, eventTime: `2021-05-06T10:0${i}:00Z`,
    eventSource: 'cloudtrail.amazonaws.com', eventName, awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.23', recipientAccountId: '111122223333', requestParameters: { name: 'exfil-trail' },
    userIdentity: { type: 'IAMUser', userName: 'mallory', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/mallory' },
  }));
  const ROUTINE_REFUSALS: CloudTrailRecord[] = Array.from({ length: 12 }, (_, i) => ({
    ...refusedCall(`routine-${i}`, 'prober', Date.parse('2021-05-04T10:00:00Z') + i * 30_000),
    ...(i < 6
      ? {
          eventName: 'PutObject', sourceIPAddress: 'delivery.logs.amazonaws.com',
          userIdentity: { type: 'AWSService', invokedBy: 'delivery.logs.amazonaws.com' },
        }
      : { eventName: 'HeadBucket' }),
  }));
  // What AWS services did for root, which the root rule leaves out as the CIS benchmark's filter does: a call AWS
  // Support made for it, and an AWS service event (a key KMS rotated; AWS sign-in's service events are a person's).
  const ROOT_BY_SERVICE: CloudTrailRecord[] = [
    { ...rootCall('root-by-support', '2022-06-03T10:00:00Z'),
      eventName: 'DescribeCases', eventSource: 'support.amazonaws.com', sourceIPAddress: 'support.amazonaws.com' },
    { ...rootCall('root-service-event', '2022-06-03T10:01:00Z'), eventName: 'RotateKey', eventSource: 'kms.amazonaws.com', eventType: 'AwsServiceEvent' },
  ];
  ROOT_BY_SERVICE[0].userIdentity = { ...ROOT_BY_SERVICE[0].userIdentity, invokedBy: 'support.amazonaws.com' };
  // An IAM user whose name is root: its user is root too, but it is not the root identity.
  const IAM_USER_ROOT: CloudTrailRecord = {
    ...rootCall('iam-user-root', '2022-06-05T10:00:00Z'),
    recipientAccountId: '555566667777',
    userIdentity: { type: 'IAMUser', userName: 'root', accountId: '555566667777', arn: 'arn:aws:iam::555566667777:user/root' },
  };
  // Account B's root user reading account A's bucket, which a bucket policy lets B in: A's copy of the data event
  // (recipientAccountId A, the root user's ARN and account B's).
  const FOREIGN_ROOT: CloudTrailRecord = {
    ...rootCall('foreign-root', '2022-06-07T10:00:00Z'),
    eventSource: 's3.amazonaws.com', eventName: 'GetObject', recipientAccountId: '111122223333', eventCategory: 'Data', managementEvent: false,
    requestParameters: { bucketName: 'acme-shared-exports', key: 'daily/0.parquet' },
    resources: [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-shared-exports', accountId: '111122223333' }],
  };

  // An organization's scanner role, one name in every account, refused in each account it scans.
  const SCANNER_ROLE = 'org-security-scanner';
  /** The scanner's refused calls, one per listed account (an account listed n times, n calls), `apartMs` apart. */
  const scannerRefusals = (idPrefix: string, start: string, apartMs: number, accounts: string[]): CloudTrailRecord[] =>
    accounts.map((account, i) => ({
      eventVersion: '1.08', eventID: `${idPrefix}-${i}`, eventTime: new Date(Date.parse(start) + i * apartMs).toISOString().replace('.000', ''),
      eventSource: 'iam.amazonaws.com', eventName: 'GetAccountAuthorizationDetails',
      awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.77', recipientAccountId: account,
      userIdentity: {
        type: 'AssumedRole', principalId: `AROASCANNER:audit-${i}`, accountId: account, arn: `arn:aws:sts::${account}:assumed-role/${SCANNER_ROLE}/audit-${i}`,
        sessionContext: {
          errorMessage: `User: arn:aws:sts::${account}:assumed-role/${SCANNER_ROLE}/audit-${i} ` +
            'is not authorized to perform: iam:GetAccountAuthorizationDetails',
        },
      },
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:sts::${account}:assumed-role/${SCANNER_ROLE}/audit-${i} is not authorized to perform: iam:GetAccountAuthorizationDetails`,
    }));
  // Refused 6 times in one account and 3 in another within five minutes: more than 5 in one account, 9 by the name alone.
  const SCANNER = scannerRefusals('scanner', '2023-05-10T08:00:00Z', 30_000, [...Array(6).fill('210987654321'), ...Array(3).fill('123456789012')]);
  // A large organization: 150 accounts, each refusing it 6 times within 15 minutes: 150 alert instances at once.
  const ORG_ACCOUNTS = Array.from({ length: 150 }, (_, k) => `3000000${String(k).padStart(5, '0')}`);
  const ORG_SCAN = scannerRefusals('org-scan', '2023-06-10T08:00:00Z', 1_000, ORG_ACCOUNTS.flatMap((a) => Array(6).fill(a)));

  // Account B's DataPipeline role refused 6 times reading account A's bucket, A's own DataPipeline 3 times, within 5 minutes.
  const CROSS_ACCOUNT = [
    ...roleReads('foreign-refused', CALLER, 6, '2023-05-12T08:00:00Z', 30_000, true),
    ...roleReads('own-refused', RECIPIENT, 3, '2023-05-12T08:01:00Z', 30_000, true),
  ];

  beforeAll(async () => {
    dir = tempDir('trailhound-dashboards-');
    const [executable, harness] = await Promise.all([ensureBackendBuilt(), Promise.resolve().then(buildHarness)]);
    await writeLogFolder(path.join(dir, 'generated'), GENERATED);
    writeStratusFolder(path.join(dir, 'stratus'));
    db = await Database.open(path.join(dir, 'db.duckdb'));
    await ingest({ source: path.join(dir, 'generated'), db, now: new Date(NOW) });
    await ingest({ source: path.join(dir, 'stratus'), db });
    writeFiles(path.join(dir, 'burst'), {
      'burst.json.gz': logFile(BURST), 'late.json.gz': logFile(LATE_ROOT),
      'changes.json.gz': logFile(CHANGES), 'root-by-service.json.gz': logFile(ROOT_BY_SERVICE),
      'iam-user-root.json.gz': logFile([IAM_USER_ROOT, FOREIGN_ROOT]), 'scanner.json.gz': logFile(SCANNER), 'org-scan.json.gz': logFile(ORG_SCAN),
      'peaks.json.gz': logFile(PEAKS),
      'routine.json.gz': logFile(ROUTINE_REFUSALS), 'identity-center.json.gz': logFile(IDENTITY_CENTER_FAILURES),
      'new-trail.json.gz': logFile(NEW_TRAIL), 'cross-account.json.gz': logFile(CROSS_ACCOUNT),
      // A log file that cannot be read, for the Unreadable files panels.
      'broken.json.gz': 'not gzip',
    });
    await ingest({ source: path.join(dir, 'burst'), db, days: 36500 });
    for (const r of LATE_ROOT) LATE.set(r.eventID, LATE_ARRIVAL);
    // The arrival times of a service that polled all along (see arrivalOf).
    await db.run(`UPDATE events SET arrived_at = event_time + to_milliseconds($delivery::BIGINT)`, { delivery: DELIVERY_MS });
    for (const at of new Set(LATE.values())) {
      await db.run(`UPDATE events SET arrived_at = $at::TIMESTAMP WHERE event_id IN (SELECT unnest($ids))`, {
        at: new Date(at).toISOString().replace('Z', ''),
        ids: listValue([...LATE].filter(([, t]) => t === at).map(([id]) => id)),
      });
    }
    await storeTrails(db, TRAILS);
    api = await buildApi({ db, token: TOKEN });
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    settings = { uid: 'trailhound', id: 1, url, token: TOKEN, lastUpdatedMS: 1 };
    session = await HarnessSession.start(harness, executable);
    // Every unique event, as the service stores it: an eventID once.
    const byId = new Map<string, CloudTrailRecord>();
    const all = [
      ...generatedRecords(GENERATED), ...stratusRecords().map((s) => s.record), ...BURST, ...LATE_ROOT, ...CHANGES, ...ROOT_BY_SERVICE, IAM_USER_ROOT,
      FOREIGN_ROOT, ...SCANNER, ...ORG_SCAN, ...PEAKS, ...ROUTINE_REFUSALS, ...IDENTITY_CENTER_FAILURES, ...NEW_TRAIL, ...CROSS_ACCOUNT,
    ];
    for (const r of all) if (!byId.has(r.eventID)) byId.set(r.eventID, r);
    records = [...byId.values()];
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    await api?.close();
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Sends one panel's (or rule's) queries as Grafana would, and decodes the answers. */
  async function send(queries: Array<{ refId: string; model: Json }>, range = RANGE, interval?: { intervalMs: number; maxDataPoints: number }) {
    const maxDataPoints = interval?.maxDataPoints ?? 1000;
    const intervalMs = interval?.intervalMs ?? Math.max(1000, Math.round((range.to - range.from) / maxDataPoints));
    const reply = await session.send({
      cmd: 'query',
      settings,
      queries: queries.map(({ refId, model }) => ({
        refId, json: JSON.stringify({ refId, ...model }), from: range.from, to: range.to, intervalMs, maxDataPoints, queryType: model.queryType ?? '',
      })),
    });
    expect(reply.ok).toBe(true);
    const out: Record<string, Frame[]> = {};
    for (const { refId } of queries) {
      const response = reply.result.responses[refId];
      expect({ refId, status: response.status, error: response.error }).toEqual({ refId, status: 200, error: '' });
      out[refId] = (response.frames ?? []).map(decode);
    }
    return out;
  }

  async function runPanel(dashboard: Dashboard, panel: Json, selection: Selection, range = RANGE) {
    const queries = panel.targets.map((t: Json) => ({ refId: t.refId, model: { datasource: t.datasource, ...interpolate(t, dashboard, selection) } }));
    return { queries, frames: await send(queries, range) };
  }

  /** The names a panel's field config and transformations refer to must be in its frames. */
  function referencedFields(panel: Json, query: ResolvedQuery): string[] {
    const names: string[] = [];
    // A panel grouped by $groupBy names its group column after the choice: only the chosen one's overrides apply.
    const groupedByVariable = String(panel.targets?.[0]?.groupBy ?? '').includes('$');
    const otherGroup = (name: string) => groupedByVariable && (GROUP_BYS as readonly string[]).includes(name) && !labelNames(query).includes(name);
    for (const o of panel.fieldConfig?.overrides ?? []) if (o.matcher.id === 'byName' && !otherGroup(o.matcher.options)) names.push(o.matcher.options);
    for (const t of panel.transformations ?? []) {
      if (t.id === 'organize') names.push(...Object.keys(t.options.excludeByName ?? {}), ...Object.keys(t.options.indexByName ?? {}));
    }
    if (panel.options?.xField) names.push(panel.options.xField);
    // sortBy names a column as shown: a column an override renames is sorted by its new name (headers.jsdom.test.ts).
    const shownAs = new Map<string, string>();
    for (const o of panel.fieldConfig?.overrides ?? []) {
      const displayName = o.matcher.id === 'byName' && o.properties.find((p: Json) => p.id === 'displayName')?.value;
      if (displayName) shownAs.set(displayName, o.matcher.options);
    }
    for (const s of panel.options?.sortBy ?? []) names.push(shownAs.get(s.displayName) ?? s.displayName);
    const stat = /^\/\^(.+)\$\/$/.exec(panel.options?.reduceOptions?.fields ?? '');
    if (stat) names.push(stat[1]);
    return [...new Set(names)];
  }

  /** Each group's highest peak in the range, from the raw records. */
  function highestPeaks(q: ResolvedQuery, range: { from: number; to: number }, key: (r: CloudTrailRecord) => string): Record<string, number> {
    const peaks = oraclePeaks(records.filter((r) => oracleMatches(r, q)), {
      groups: (r) => [key(r)], inRange: (r) => inRange(r, q, range), bucket: () => 0, windowMs: q.peakWindow * 60_000,
    });
    return Object.fromEntries([...peaks].map(([g, buckets]) => [g, buckets.get(0)!]));
  }

  /** Checks one panel's answer: shape for its kind, names it refers to, and (for events) the counts of the records. */
  function checkPanel(panel: Json, query: ResolvedQuery, frames: Frame[], range = RANGE, expectRows = true) {
    const where = `${panel.title} (${JSON.stringify(query)})`;
    const matching = records.filter((r) => matches(r, query, range));
    switch (query.queryType) {
      case 'totals': {
        expect(frames).toHaveLength(1);
        expect(frames[0].rows).toBe(1);
        expect(frames[0].fields.every((f) => f.type === 'number')).toBe(true);
        const value = (name: string) => frames[0].fields.find((f) => f.name === name)!.values[0];
        expect([where, value('events'), value('trails'), value('unauthorized')])
          .toEqual([where, matching.length, TRAILS.length, matching.filter(oracleUnauthorized).length]);
        break;
      }
      case 'trails': {
        expect(frames).toHaveLength(1);
        expect(frames[0].rows).toBe(TRAILS.length);
        const logging = frames[0].fields.find((f) => f.name === 'is logging')!;
        expect([logging.type, logging.values]).toEqual(['boolean', [false, true]]); // ordered by name: legacy-trail first
        expect(frames[0].fields.find((f) => f.name === 'last delivery error')!.values).toEqual(['AccessDenied', null]);
        break;
      }
      case 'ingest':
        expect(frames).toHaveLength(1);
        if (query.ingestView === 'errors') {
          // The one broken file of the burst folder: when, its source, its key and why.
          const columns = [['time', 'time'], ['source', 'string'], ['key', 'string'], ['reason', 'string'], ['retry after', 'time']];
          expect(frames[0].fields.map((f) => [f.name, f.type])).toEqual(columns);
          expect(frames[0].fields.slice(1, 3).map((f) => f.values)).toEqual([[path.join(dir, 'burst')], ['broken.json.gz']]);
          break;
        }
        expect(frames[0].rows).toBe(1);
        expect(frames[0].fields.find((f) => f.name === 'events')!.values[0]).toBe(records.length);
        expect(frames[0].fields.find((f) => f.name === 'errors')!.values[0]).toBe(1);
        break;
      case 'events': {
        if (expectRows) expect([where, matching.length > 0]).toEqual([where, true]);
        const labels = labelsOf(query);
        const names = labelNames(query);
        if (query.format === 'timeseries') {
          if (matching.length > 0) expect([where, frames.length > 0]).toEqual([where, true]);
          expect(frames.length).toBeLessThanOrEqual(query.limit);
          for (const f of frames) {
            expect(f.fields.map((x) => [x.name, x.type])).toEqual([['time', 'time'], ['events', 'number']]);
            // Every label of the group, a pair's both, so alert instances carry them all.
            if (query.groupBy !== 'none') expect(Object.keys(f.fields[1].labels ?? {}).sort()).toEqual([...names].sort());
          }
          if (labels) {
            // Each group's events in all, or its highest peak (what the alert rules that count peaks reduce to).
            const peaks = query.peakWindow > 0;
            const key = (r: CloudTrailRecord) => groupKey(query, labels(r));
            const expected = peaks ? highestPeaks(query, range, key) : countBy(matching, key);
            for (const f of frames) {
              const group = groupKey(query, f.fields[1].labels!);
              const values = f.fields[1].values as number[];
              expect([where, group, peaks ? Math.max(...values) : values.reduce((a, b) => a + b, 0)]).toEqual([where, group, expected[group]]);
            }
            expect(frames).toHaveLength(Math.min(query.limit, Object.keys(expected).length));
          }
        } else if (query.format === 'table') {
          expect(frames).toHaveLength(1);
          // A column per label (a pair's user and account), then the count.
          const columns = frames[0].fields.slice(0, -1);
          const events = frames[0].fields[frames[0].fields.length - 1];
          expect(columns.map((c) => [c.name, c.type])).toEqual((names.length ? names : ['group']).map((n) => [n, 'string']));
          expect([events.name, events.type]).toEqual(['events', 'number']);
          if (matching.length > 0) expect([where, frames[0].rows > 0]).toEqual([where, true]);
          expect(frames[0].rows).toBeLessThanOrEqual(query.limit);
          if (labels) {
            const expected = countBy(matching, (r) => groupKey(query, labels(r)));
            const got = Object.fromEntries(events.values.map((n, i) => [groupKey(query, Object.fromEntries(columns.map((c) => [c.name, c.values[i]]))), n]));
            expect(got).toEqual(Object.fromEntries(Object.entries(expected).filter(([g]) => g in got)));
            expect(frames[0].rows).toBe(Math.min(query.limit, Object.keys(expected).length));
          }
        } else {
          expect(frames).toHaveLength(1);
          // By arrival, when each event was stored stands beside when it happened.
          const arrived = query.timeField === 'arrival' ? ['arrived'] : [];
          expect(frames[0].fields.map((f) => f.name)).toEqual([
            'time', ...arrived, 'user', 'identity type', 'role', 'source IP', 'event name', 'service', 'region', 'account', 'resources',
            'error code', 'error message', 'read only', 'MFA', 'event id',
          ]);
          expect(frames[0].rows).toBe(Math.min(query.limit, query.resourceId ? frames[0].rows : matching.length));
          const byId = new Map(matching.map((r) => [r.eventID, r]));
          const column = (name: string) => frames[0].fields.find((f) => f.name === name)?.values ?? [];
          column('event id').forEach((id, i) => {
            const r = byId.get(id as string);
            if (query.resourceId) return;
            expect([where, id, r !== undefined]).toEqual([where, id, true]);
            expect([id, column('time')[i]]).toEqual([id, Date.parse(r!.eventTime)]);
            expect([id, column('identity type')[i]]).toEqual([id, oracleDimension.identityType!(r!)]);
            // An Identity Center user is the person, the permission set's role beside it.
            expect([id, column('user')[i], column('role')[i]]).toEqual([id, oracleDimension.user!(r!), oracleRole(r!)]);
            if (arrived.length) expect([id, column('arrived')[i]]).toEqual([id, arrivalOf(r!)]);
          });
        }
        break;
      }
    }
    if (frames.length > 0) {
      const names = new Set(frames.flatMap((f) => f.fields.map((x) => x.name)));
      const missing = referencedFields(panel, query).filter((n) => !names.has(n));
      expect({ panel: panel.title, missing }).toEqual({ panel: panel.title, missing: [] });
    }
  }

  const dashboards = loadDashboards();

  test.each(dashboards.map(({ file, dashboard }) => [file, dashboard] as const))(
    '%s: every panel with its default variables answers with the frames it reads',
    async (_file, dashboard) => {
      for (const panel of queryPanels(dashboard)) {
        const { queries, frames } = await runPanel(dashboard, panel, defaultSelection(dashboard));
        for (const q of queries) checkPanel(panel, resolveQuery(q.model), frames[q.refId]);
      }
    },
    120_000
  );

  test('CloudTrail Events: every Group by, Aggregate, Status and Read-only choice, and picked filter values', async () => {
    const { dashboard } = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-events')!;
    for (const selection of sampleSelections(dashboard)) {
      if (selection.resourceId) continue; // below, with a resource that exists
      for (const panel of queryPanels(dashboard)) {
        const { queries, frames } = await runPanel(dashboard, panel, selection);
        // Picked sample values may match nothing together with the rest; the counts must agree either way.
        for (const q of queries) checkPanel(panel, resolveQuery(q.model), frames[q.refId], RANGE, false);
      }
    }
  }, 180_000);

  test('CloudTrail Events and Common Searches: a resource / instance id narrows to the events that touched it', async () => {
    const run = records.find((r) =>
      r.eventName === 'RunInstances' && !r.errorCode && Date.parse(r.eventTime) >= RANGE.from && r.responseElements?.instancesSet?.items?.[0]?.instanceId)!;
    const instanceId: string = run.responseElements.instancesSet.items[0].instanceId;
    const events = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-events')!.dashboard;
    const list = queryPanels(events).find((p) => p.targets[0].format === 'list')!;
    const { frames } = await runPanel(events, list, { ...defaultSelection(events), resourceId: instanceId });
    const resources = frames.A[0].fields.find((f) => f.name === 'resources')!.values as string[];
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) expect(r.split(', ')).toContain(instanceId);
    expect(frames.A[0].fields.find((f) => f.name === 'event id')!.values).toContain(run.eventID);

    // Who started it: the Common Search names exactly the user of that RunInstances call.
    const searches = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-common-searches')!.dashboard;
    const table = queryPanels(searches).find((p) => p.title.startsWith('Who started an EC2 instance') && p.type === 'table')!;
    const started = await runPanel(searches, table, { ...defaultSelection(searches), instance_id: instanceId });
    const [users, counts] = started.frames.A[0].fields;
    expect(users.values).toEqual([oracleUser(run)]);
    expect(counts.values).toEqual([1]);
  });

  test('CloudTrail Common Searches: chosen users and IP addresses', async () => {
    const searches = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-common-searches')!.dashboard;
    const selection = { ...defaultSelection(searches), user: ['alice', 'mallory'], sourceIp: ['185.220.101.4', '198.51.100.24'] };
    for (const panel of queryPanels(searches)) {
      const { queries, frames } = await runPanel(searches, panel, selection);
      for (const q of queries) checkPanel(panel, resolveQuery(q.model), frames[q.refId]);
      const groups = frames.A.flatMap((f) => (panel.type === 'table' ? (f.fields[0].values as string[]) : Object.values(f.fields[1].labels ?? {})));
      if (panel.title.startsWith('All activity of chosen IAM users')) expect(new Set(groups)).toEqual(new Set(['alice', 'mallory']));
      if (panel.title.startsWith('All activity of chosen IP addresses')) expect(new Set(groups)).toEqual(new Set(['185.220.101.4', '198.51.100.24']));
    }
  });

  // ---------------------------------------------------------------- alert rules

  const rules = loadAlertRules().map(({ rule }) => rule);

  /** What Grafana does with the answer: B = reduce each series, C = threshold on B, one instance per series. */
  /** Grafana's threshold: is the reduced value B an alarm? */
  function firingOf(rule: AlertRule, b: number): boolean {
    const { type, params } = rule.data.find((d) => d.model.type === 'threshold')!.model.conditions[0].evaluator;
    if (type === 'gt') return b > params[0];
    if (type === 'lt') return b < params[0];
    throw new Error(`threshold type ${type} is not evaluated here`);
  }

  function evaluate(rule: AlertRule, frames: Frame[]) {
    const reduce = rule.data.find((d) => d.model.type === 'reduce')!.model;
    return frames.map((f) => {
      const values = f.fields[1].values as number[];
      const b = reduce.reducer === 'max' ? Math.max(...values) : reduce.reducer === 'sum' ? values.reduce((x, y) => x + y, 0) : values[values.length - 1];
      return { labels: f.fields[1].labels ?? {}, b, firing: firingOf(rule, b) };
    });
  }

  /** The same from the raw records: events (or peaks, with a peakWindow) per group per bucket in the window. */
  function expectedInstances(rule: AlertRule, q: ResolvedQuery, range: { from: number; to: number }, bucketMs: number) {
    const labels = labelsOf(q) ?? (() => ({}));
    const key = (r: CloudTrailRecord) => groupKey(q, labels(r));
    const reduce = rule.data.find((d) => d.model.type === 'reduce')!.model.reducer;
    const buckets = new Map<string, { labels: Record<string, string>; counts: Map<number, number> }>();
    // Without grouping there is always the one series, zero-filled.
    if (q.groupBy === 'none') buckets.set(groupKey(q, {}), { labels: {}, counts: new Map([[range.from, 0]]) });
    const bucketOf = (r: CloudTrailRecord) => Math.floor(timeOf(r, q) / bucketMs) * bucketMs;
    if (q.peakWindow > 0) {
      const matching = records.filter((r) => oracleMatches(r, q));
      const labelsOfGroup = new Map(matching.map((r) => [key(r), labels(r)]));
      const peaks = oraclePeaks(matching, { groups: (r) => [key(r)], inRange: (r) => inRange(r, q, range), bucket: bucketOf, windowMs: q.peakWindow * 60_000 });
      for (const [g, counts] of peaks) buckets.set(g, { labels: labelsOfGroup.get(g)!, counts });
    }
    for (const r of q.peakWindow > 0 ? [] : records.filter((x) => matches(x, q, range))) {
      const l = labels(r);
      const g = groupKey(q, l);
      const b = bucketOf(r);
      if (!buckets.has(g)) buckets.set(g, { labels: l, counts: new Map() });
      const { counts } = buckets.get(g)!;
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    return [...buckets.values()].map(({ labels, counts }) => {
      const values = [...counts.values()];
      const b = reduce === 'max' ? Math.max(...values) : values.reduce((x, y) => x + y, 0);
      return { labels, b, firing: firingOf(rule, b) };
    });
  }

  async function runRule(rule: AlertRule, evaluatedAt: number) {
    const a = rule.data.find((d) => d.refId === 'A')!;
    const range = { from: evaluatedAt - a.relativeTimeRange!.from * 1000, to: evaluatedAt - a.relativeTimeRange!.to * 1000 };
    const interval = { intervalMs: a.model.intervalMs ?? 1000, maxDataPoints: a.model.maxDataPoints ?? 43200 };
    const frames = (await send([{ refId: 'A', model: a.model }], range, interval)).A;
    const q = resolveQuery(a.model);
    for (const f of frames) {
      expect(f.fields.map((x) => [x.name, x.type])).toEqual([['time', 'time'], ['events', 'number']]);
      // Every bucket of the window, so the reduction never sees a gap.
      expect(f.rows).toBe(Math.ceil((range.to - Math.floor(range.from / interval.intervalMs) * interval.intervalMs) / interval.intervalMs));
    }
    const sort = (xs: Array<{ labels: Record<string, string> }>) => [...xs].sort((x, y) => groupKey(q, x.labels).localeCompare(groupKey(q, y.labels)));
    const actual = evaluate(rule, frames);
    expect(sort(actual)).toEqual(sort(expectedInstances(rule, q, range, interval.intervalMs)));
    return actual;
  }

  test.each(rules.map((r) => [r.title, r] as const))('alert rule "%s": evaluated now, and once its events have arrived', async (_title, rule) => {
    // Now: whatever arrived in the last 30 minutes (possibly nothing: no series, which the rule treats as OK).
    await runRule(rule, NOW);
    // Just after the newest matching event arrived: at least one labelled series, one alert instance per group.
    const q = resolveQuery(rule.data[0].model);
    const newest = Math.max(...records.filter((r) => matches(r, q, { from: 0, to: Infinity })).map(arrivalOf));
    expect(Number.isFinite(newest)).toBe(true);
    const instances = await runRule(rule, newest + 60_000);
    expect(instances.length).toBeGreaterThan(0);
    for (const i of instances) expect(Object.keys(i.labels).sort()).toEqual([...labelNames(q)].sort());
  });

  /** Alert instances in the order of their users. */
  const byUser = (xs: Array<{ labels: Record<string, string> }>) => [...xs].sort((x, y) => x.labels.user.localeCompare(y.labels.user));
  /** Alert instances in the order of their accounts. */
  const byAccount = (xs: Array<{ labels: Record<string, string> }>) => [...xs].sort((x, y) => x.labels.account.localeCompare(y.labels.account));

  // The Stratus Red Team records arrive DELIVERY_MS (5 minutes) after they happened: the rules see them then.
  const arrived = (eventTime: string) => Date.parse(eventTime) + DELIVERY_MS;

  test('no events arriving: quiet while events arrive, fires after an hour without any', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-no-events')!;
    const newest = Math.max(...records.map(arrivalOf));
    const [arriving] = await runRule(rule, newest + 60_000);
    expect(arriving).toMatchObject({ labels: {}, firing: false });
    expect(arriving.b).toBeGreaterThan(0);
    expect(await runRule(rule, newest + 3_600_000 + 60_000)).toEqual([{ labels: {}, b: 0, firing: true }]);
  });

  test('failed authorizations: the Stratus Red Team burst is one instance per user and account, and only the burst fires', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    const instances = await runRule(rule, arrived('2024-07-30T21:33:00Z'));
    expect(instances.map((i) => [i.labels.user, i.b, i.firing]).sort()).toEqual([
      ['christophe', 2, false],
      ['stratus-red-team-ec2-get-password-data-role', 30, true],
    ]);
    // Each in the account of its calls.
    const accounts = new Set(records.filter((r) => oracleUnauthorized(r) && r.eventTime.startsWith('2024-07-30T21')).map(accountOf));
    for (const i of instances) expect(accounts).toContain(i.labels.account);
  });

  test('failed authorizations: a role refused in each of 150 accounts fires in every one of them, none left out by the query limit', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    const instances = await runRule(rule, Math.max(...ORG_SCAN.map(arrivalOf)) + 60_000);
    expect(instances.filter((i) => i.labels.user === SCANNER_ROLE && i.firing).map((i) => i.labels.account).sort()).toEqual(ORG_ACCOUNTS);
  });

  test('failed authorizations: one role name refused in two accounts is an instance per account, each with its own count', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    const at = Math.max(...SCANNER.map(arrivalOf)) + 60_000;
    const perAccount = Object.entries(countBy(SCANNER, accountOf));
    expect(perAccount).toHaveLength(2);
    const instances = await runRule(rule, at);
    expect(byAccount(instances))
      .toEqual(byAccount(perAccount.map(([account, b]) => ({ labels: { user: SCANNER_ROLE, account }, b, firing: firingOf(rule, b) }))));
    // Only the account over the threshold fires, and its notification can say which account.
    expect(instances.map((i) => i.firing).sort()).toEqual([false, true]);
    // Grouped by user alone, as the rule was, the accounts' calls add up to one instance that names no account.
    const byUser = { ...rule, data: [{ ...rule.data[0], model: { ...rule.data[0].model, groupBy: 'user' } }, ...rule.data.slice(1)] };
    expect(await runRule(byUser, at)).toEqual([{ labels: { user: SCANNER_ROLE }, b: SCANNER.length, firing: true }]);
  });

  test("failed authorizations: another account's role refused in this one is an instance of its own, named with its account", async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    const at = Math.max(...CROSS_ACCOUNT.map(arrivalOf)) + 60_000;
    const foreign = `${ROLE} (account ${CALLER})`;
    // Not "DataPipeline in account A" with A's own role's 3 refusals added: B's role, in A, 6 times.
    expect(byUser(await runRule(rule, at))).toEqual([
      { labels: { user: ROLE, account: RECIPIENT }, b: 3, firing: false },
      { labels: { user: foreign, account: RECIPIENT }, b: 6, firing: true },
    ]);
    // The name the alert says, picked as the CloudTrail Events dashboard's User, finds B's role's calls and no others.
    const events = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-events')!.dashboard;
    const list = queryPanels(events).find((p) => p.targets[0].format === 'list')!;
    const made = { from: Date.parse('2023-05-12T07:00:00Z'), to: Date.parse('2023-05-12T09:00:00Z') };
    const { frames } = await runPanel(events, list, { ...defaultSelection(events), user: [foreign] }, made);
    expect(frames.A[0].fields.find((f) => f.name === 'user')!.values).toEqual(Array(6).fill(foreign));
    expect(frames.A[0].fields.find((f) => f.name === 'event id')!.values.sort()).toEqual(CROSS_ACCOUNT.slice(0, 6).map((r) => r.eventID).sort());
  });

  test('failed authorizations: a burst split by a 5-minute boundary still fires, once it is in the window', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    // Stored from 12:08:00 to 12:11:36: five on each side of 12:10.
    for (const at of ['2023-03-01T12:12:00Z', '2023-03-01T12:37:00Z']) {
      expect(await runRule(rule, Date.parse(at))).toEqual([{ labels: { user: 'eve', account: accountOf(BURST[0]) }, b: 10, firing: true }]);
    }
    // Before it has arrived, nothing; once it has left the 30-minute window, it resolves.
    expect(await runRule(rule, Date.parse('2023-03-01T12:07:00Z'))).toEqual([]);
    expect(await runRule(rule, Date.parse('2023-03-01T12:45:00Z'))).toEqual([]);
  });

  /** The rule with another query model and reducer: the same window counted another way. */
  const variant = (rule: AlertRule, model: Json, reducer: string): AlertRule => ({
    ...rule,
    data: [
      { ...rule.data[0], model: { ...rule.data[0].model, ...model } },
      { ...rule.data[1], model: { ...rule.data[1].model, reducer } },
      ...rule.data.slice(2),
    ],
  });

  test('failed authorizations after an outage: three hours of sparse refusals stored at once do not fire; summed, they did', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    // At most three of them within 30 minutes of each other (one every 10 minutes).
    expect(await runRule(rule, BACKLOG_STORED + MINUTE)).toEqual([{ labels: { user: 'monitor', account: accountOf(BACKLOG[0]) }, b: 3, firing: false }]);
    // Summed by arrival, the eighteen add up to a false alarm.
    expect(await runRule(variant(rule, { peakWindow: 0 }, 'sum'), BACKLOG_STORED + MINUTE))
      .toEqual([{ labels: { user: 'monitor', account: accountOf(BACKLOG[0]) }, b: 18, firing: true }]);
  });

  test('failed authorizations: six refusals within 25 minutes, stored three hours late, fire when they arrive', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    // Not stored yet when they were made: nothing to count then.
    expect(await runRule(rule, Date.parse(DENSE_LATE[5].eventTime) + 5 * MINUTE)).toEqual([]);
    expect(await runRule(rule, DENSE_STORED + MINUTE)).toEqual([{ labels: { user: 'dense', account: accountOf(DENSE_LATE[0]) }, b: 6, firing: true }]);
    expect(await runRule(rule, DENSE_STORED + 31 * MINUTE)).toEqual([]);
  });

  test('failed authorizations: three refusals stored 40 minutes before three more made within the same 30 minutes fire with the second three', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    expect(await runRule(rule, STRADDLE_STORED[0] + MINUTE)).toEqual([{ labels: { user: 'straddle', account: accountOf(STRADDLE[0]) }, b: 3, firing: false }]);
    expect(await runRule(rule, STRADDLE_STORED[1] + MINUTE)).toEqual([{ labels: { user: 'straddle', account: accountOf(STRADDLE[0]) }, b: 6, firing: true }]);
    // Summed by arrival, each window held three: the six were never seen together.
    expect(await runRule(variant(rule, { peakWindow: 0 }, 'sum'), STRADDLE_STORED[1] + MINUTE))
      .toEqual([{ labels: { user: 'straddle', account: accountOf(STRADDLE[0]) }, b: 3, firing: false }]);
  });

  test('failed authorizations: the log delivery service and HeadBucket refused (routine, as the CIS filter says) do not fire', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-failed-authorizations')!;
    const at = Math.max(...ROUTINE_REFUSALS.map(arrivalOf)) + MINUTE;
    expect(await runRule(rule, at)).toEqual([]);
    // Counted, each is a burst of six.
    const counted = variant(rule, { exclude: {} }, 'max');
    const instances = await runRule(counted, at);
    expect(instances.map((i) => [i.labels.user, i.labels.account, i.b, i.firing]).sort()).toEqual([
      ['delivery.logs.amazonaws.com', accountOf(ROUTINE_REFUSALS[0]), 6, true],
      ['prober', accountOf(ROUTINE_REFUSALS[0]), 6, true],
    ]);
  });

  test("failed console logins: an IAM Identity Center user's password refused three times fires, though no ConsoleLogin failed", async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-console-login-failures')!;
    const at = Math.max(...IDENTITY_CENTER_FAILURES.map(arrivalOf)) + MINUTE;
    expect(await runRule(rule, at)).toEqual([{ labels: { user: 'user1', account: '111122223333' }, b: 3, firing: true }]);
  });

  test('root activity stored two hours late fires when it arrives; a call stored two days late is history', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-root-activity')!;
    // Counted by when it happened, the late call would have been missed: it was not stored yet.
    expect(await runRule(rule, Date.parse('2022-06-01T10:05:00Z'))).toEqual([]);
    expect(await runRule(rule, Date.parse('2022-06-01T12:05:00Z'))).toEqual([{ labels: { user: 'root', account: '444455556666' }, b: 1, firing: true }]);
  });

  test('root activity: what AWS services did for root (invokedBy, an AWS service event) does not fire, as in the CIS filter', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-root-activity')!;
    expect(await runRule(rule, arrived('2022-06-03T10:01:00Z') + 60_000)).toEqual([]);
    // Counted with them, the same window would fire.
    const counted = { ...rule, data: [{ ...rule.data[0], model: { ...rule.data[0].model, serviceCalls: 'include' } }, ...rule.data.slice(1)] };
    expect(await runRule(counted, arrived('2022-06-03T10:01:00Z') + 60_000)).toEqual([
      { labels: { user: 'root', account: '444455556666' }, b: 2, firing: true },
    ]);
  });

  test('root activity: an IAM user named root is not the root identity, and does not fire', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-root-activity')!;
    expect(await runRule(rule, arrived(IAM_USER_ROOT.eventTime) + 60_000)).toEqual([]);
    // Its user is root: a rule on the user name would have fired.
    expect(oracleUser(IAM_USER_ROOT)).toBe('root');
  });

  test("root activity: another account's root user acting in this one is named as that account's root, not this one's", async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-root-activity')!;
    // Grouped by account alone, as the rule was, it was "the root user of account 111122223333".
    expect(await runRule(rule, arrived(FOREIGN_ROOT.eventTime) + 60_000)).toEqual([
      { labels: { user: 'root (account 444455556666)', account: '111122223333' }, b: 1, firing: true },
    ]);
  });

  test('CloudTrail Alerts: opened from the root alert, its panels show the call stored two hours late', async () => {
    const { dashboard } = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-alerts')!;
    const rule = rules.find((r) => r.uid === 'trailhound-root-activity')!;
    const panels = queryPanels(dashboard);
    const chart = panels.find((p) => String(p.id) === rule.annotations.__panelId__)!;
    const list = panels[panels.indexOf(chart) + 1];
    // A notification's panel link opens it from an hour before the alert started to when the notification was sent (or
    // the alert resolved): fixed times in the link, whenever it is followed.
    const startsAt = LATE_ARRIVAL + 60_000;
    const range = { from: startsAt - 3_600_000, to: startsAt + 600_000 };
    const series = (await runPanel(dashboard, chart, {}, range)).frames.A;
    const sums = series.map((f) => [f.fields[1].labels, (f.fields[1].values as number[]).reduce((a, b) => a + b, 0)]);
    expect(sums).toEqual([[{ user: 'root', account: '444455556666' }, 1]]);
    const [events] = (await runPanel(dashboard, list, {}, range)).frames.A;
    const row = Object.fromEntries(events.fields.map((f) => [f.name, f.values[0]]));
    expect([events.rows, row['event id'], row.time, row.arrived]).toEqual([1, 'late-root', Date.parse('2022-06-01T10:00:00Z'), LATE_ARRIVAL]);
  });

  test("CloudTrail Events: the value lists follow its Time choice, as its panels do: by arrival, a late call's user is listed when it arrives", async () => {
    const { dashboard } = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-events')!;
    // The frontend's own lookup (resources.ts), its getResource a resource call through go-plugin's host.
    const client: ResourceClient = {
      async getResource<T>(resourcePath: string, params: Record<string, unknown> = {}) {
        const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
        const reply = await session.send({ cmd: 'resource', settings, path: resourcePath, url: `${resourcePath}?${query}` });
        expect({ resourcePath, code: reply.result.code }).toEqual({ resourcePath, code: 200 });
        return JSON.parse(reply.result.body) as T;
      },
      postResource: () => Promise.reject(new Error('not a lookup')),
    };
    const lateRoot = oracleUser(LATE_ROOT[0]);
    const stored = { from: LATE_ARRIVAL - 3_600_000, to: LATE_ARRIVAL + 3_600_000 };
    const made = { from: Date.parse(LATE_ROOT[0].eventTime) - 3_600_000, to: Date.parse(LATE_ROOT[0].eventTime) + 3_600_000 };
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const cases = [['arrival', stored, true], ['event', stored, false], ['event', made, true], ['arrival', made, false]] as const;
      for (const [timeField, range, listsLateRoot] of cases) {
        // The variable's query as the frontend sends it: $timeField expanded to the dashboard's choice.
        const model = interpolate({ timeField: v.query.timeField }, dashboard, { ...defaultSelection(dashboard), timeField });
        const listed = (await fetchValues(client, v.query.dimension, { ...range, timeField: model.timeField, limit: MAX_LIMIT })).map((x) => x.value);
        const q = resolveQuery({ timeField });
        const expected = new Set(records.filter((r) => matches(r, q, range)).map(oracleDimension[v.query.dimension]!));
        expect({ variable: v.name, timeField, range, listed: new Set(listed) }).toEqual({ variable: v.name, timeField, range, listed: expected });
        if (v.name === 'user') expect([timeField, range, listed.includes(lateRoot)]).toEqual([timeField, range, listsLateRoot]);
      }
    }
  });

  test("an ad hoc filter's values narrowed by hundreds of ARNs: the frontend posts them, through go-plugin's host, past what a URL holds", async () => {
    // The frontend's own lookup (resources.ts), each of its calls a resource call through go-plugin's host.
    const call = async (cmd: object) => {
      const reply = await session.send({ cmd: 'resource', settings, ...cmd });
      return { code: reply.result.code, body: JSON.parse(reply.result.body) };
    };
    const client: ResourceClient = {
      async getResource<T>(resourcePath: string, params: Record<string, unknown> = {}) {
        const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
        const answer = await call({ path: resourcePath, url: `${resourcePath}?${query}` });
        expect({ resourcePath, answer }).toEqual({ resourcePath, answer: { code: 200, body: expect.anything() } });
        return answer.body as T;
      },
      async postResource<T>(resourcePath: string, data: Record<string, unknown> = {}) {
        const answer = await call({ path: resourcePath, method: 'POST', body: JSON.stringify(data), headers: { 'Content-Type': 'application/json' } });
        expect({ resourcePath, answer }).toEqual({ resourcePath, answer: { code: 200, body: expect.anything() } });
        return answer.body as T;
      },
    };
    const user = oracleUser(records[0]);
    const arns = Array.from({ length: 300 }, (_, i) => `arn:aws:iam::123456789012:role/service-role/some-long-role-name-${i}`);
    const filters = { user: [...arns, user] };
    expect(encodeURIComponent(JSON.stringify(filters)).length).toBeGreaterThan(20 * 1024);
    const range = { from: 0, to: Date.UTC(2100, 0, 1) };
    const listed = await fetchValues(client, 'region', { ...range, limit: MAX_LIMIT, filters, exclude: { eventName: arns } });
    const expected = countBy(records.filter((r) => oracleUser(r) === user && matches(r, resolveQuery({}), range)), oracleDimension.region!);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(Object.fromEntries(listed.map((v) => [v.value, v.count]))).toEqual(expected);
  });

  test('console login without MFA: the Stratus Red Team login fires for its user', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-console-login-without-mfa')!;
    const login = records.find((r) => r.eventName === 'ConsoleLogin' && r.additionalEventData?.MFAUsed === 'No' && r.eventTime < '2025')!;
    const instances = await runRule(rule, arrived(login.eventTime) + 60_000);
    expect(instances).toContainEqual({ labels: { user: oracleUser(login), account: accountOf(login) }, b: 1, firing: true });
  });

  test('CloudTrail configuration changes: a trail created and started fires, as CIS 4.5 counts them', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-logging-stopped')!;
    const at = Math.max(...NEW_TRAIL.map(arrivalOf)) + MINUTE;
    expect(await runRule(rule, at)).toEqual([{ labels: { user: 'mallory', account: '111122223333' }, b: 2, firing: true }]);
  });

  test('logging stopped: the Stratus Red Team DeleteTrail, PutEventSelectors and StopLogging fire for their user, in each account', async () => {
    const rule = rules.find((r) => r.uid === 'trailhound-logging-stopped')!;
    // 12:46:41 DeleteTrail, 12:50:02 PutEventSelectors, 13:06:24 StopLogging: all within the 30 minutes before 13:10,
    // each by an IAM user christophe of another of the Stratus Red Team's accounts.
    const calls = records.filter((r) => ['DeleteTrail', 'PutEventSelectors', 'StopLogging'].includes(r.eventName) && r.eventTime.startsWith('2024-07-31T1'));
    expect(calls.map(oracleUser)).toEqual(['christophe', 'christophe', 'christophe']);
    const instances = await runRule(rule, arrived('2024-07-31T13:10:00Z'));
    const perAccount = Object.entries(countBy(calls, accountOf));
    expect(byAccount(instances)).toEqual(byAccount(perAccount.map(([account, b]) => ({ labels: { user: 'christophe', account }, b, firing: true }))));
  });
});
