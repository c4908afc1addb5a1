// A deterministic generator of realistic CloudTrail log files in the real S3 key layout. It feeds the bundled
// sample, the tests and the benchmarks. It streams one file at a time, so any size works in flat memory.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { EVENTS, OTHER_ERRORS, PRINCIPALS, ROOT, UNAUTHORIZED_ERRORS, type CloudTrailRecord, type EventTemplate } from './catalog';
import { cumulative, Rng } from './rng';

export interface GenerateOptions {
  /** Unique events to produce. Duplicate deliveries of global events come on top (see LogObject.records). */
  events: number;
  /** Spread over `days` calendar days (UTC) up to `end`, as `ingest --days` reads them (default 14). */
  days?: number;
  /** Default: now. */
  end?: Date;
  /** Where the events begin instead (the live sample adds the minutes since its last delivery). */
  start?: Date;
  /** Same options and seed → byte-identical output. Default 1. */
  seed?: number;
  /** Average records per log file (default 500; each file varies around it). */
  eventsPerFile?: number;
  /** Key prefix before AWSLogs/. */
  prefix?: string;
  /** Also write CloudTrail-Digest files (default true). */
  digest?: boolean;
}

export interface LogObject {
  key: string;
  /** The gzipped file body. */
  body: Buffer;
  /** Records in the file (0 for a digest file). */
  records: number;
}

interface Account {
  id: string;
  org?: string;
  weight: number;
}

export const ACCOUNTS: Account[] = [
  { id: '111122223333', weight: 6 },
  { id: '444455556666', org: 'o-a1b2c3d4e5', weight: 3 },
  { id: '777788889999', weight: 1 },
];

/** Real regions, and one made up: region strings are never validated. */
export const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'mars-north-1'];
const REGION_WEIGHTS = [10, 4, 3, 2, 1, 1];

const ALL_EVENTS = cumulative(EVENTS.map((e) => e.weight));
const REGIONAL = EVENTS.filter((e) => !e.global);
const REGIONAL_EVENTS = cumulative(REGIONAL.map((e) => e.weight));
const PRINCIPAL_WEIGHTS = cumulative(PRINCIPALS.map((p) => p.weight));
const ACCOUNT_WEIGHTS = cumulative(ACCOUNTS.map((a) => a.weight));
const REGION_CUMULATIVE = cumulative(REGION_WEIGHTS);
/** S3 names the bucket (and object) of a call in resources too, as well as in its parameters. */
function s3Resources(request: unknown, account: string): unknown[] | undefined {
  const { bucketName, key } = (request ?? {}) as { bucketName?: unknown; key?: unknown };
  if (typeof bucketName !== 'string') return undefined;
  const bucket = { accountId: account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucketName}` };
  return typeof key === 'string' ? [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucketName}/${key}` }, bucket] : [bucket];
}

// Root signs in rarely, and only through the few console logins given to it below.
const CONSOLE_USERS = PRINCIPALS.filter((p) => p.userAgent.includes('Console') && p !== ROOT);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const stamp = (t: Date) => `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}T${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}Z`;
const dayPath = (t: Date) => `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}`;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function accountRoot(prefix: string, account: Account): string {
  return `${prefix}AWSLogs/${account.org ? `${account.org}/` : ''}${account.id}`;
}

function record(rng: Rng, template: EventTemplate, account: string, region: string, timeMs: number): CloudTrailRecord {
  let principal = rng.weighted(PRINCIPALS, PRINCIPAL_WEIGHTS);
  if (principal.services && !principal.services.includes(template.service)) principal = PRINCIPALS[0];
  if (template.name === 'ConsoleLogin') principal = rng.chance(0.02) ? ROOT : rng.pick(CONSOLE_USERS);
  const identity = principal.identity(account, rng);
  // A federated console sign-in names the role session only, not the role that issued it.
  if (template.name === 'ConsoleLogin' && identity.type === 'AssumedRole') delete identity.sessionContext;
  const rec: CloudTrailRecord = {
    eventVersion: '1.10',
    userIdentity: identity,
    eventTime: iso(timeMs),
    eventSource: `${template.service}.amazonaws.com`,
    eventName: template.name,
    awsRegion: region,
    sourceIPAddress: rng.pick(principal.ips),
    userAgent: principal.userAgent,
  };
  const attacker = principal.ips[0].startsWith('185.');
  const failed = rng.chance(attacker ? 0.6 : 0.06);
  if (template.name === 'ConsoleLogin') {
    const fail = rng.chance(0.15);
    if (fail) rec.errorMessage = 'Failed authentication';
    rec.requestParameters = null;
    rec.responseElements = { ConsoleLogin: fail ? 'Failure' : 'Success' };
    // CloudTrail writes MFAUsed "No" for every federated (SSO) sign-in: the identity provider did any MFA.
    const mfa = rng.chance(0.7) && ['IAMUser', 'Root'].includes(String(identity.type));
    rec.additionalEventData = { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa ? 'Yes' : 'No' };
  } else {
    if (failed) {
      const unauthorized = rng.chance(attacker ? 0.9 : 0.55);
      const [code, message] = rng.pick(unauthorized ? UNAUTHORIZED_ERRORS : OTHER_ERRORS);
      rec.errorCode = code;
      rec.errorMessage = message.replace(/\{arn\}/g, String(identity.arn ?? identity.invokedBy)).replace(/\{action\}/g, `${template.service}:${template.name}`);
    } else if (template.service === 'ec2' && !template.readOnly && rng.chance(0.02)) {
      rec.errorCode = 'Client.DryRunOperation';
      rec.errorMessage = 'Request would have succeeded, but DryRun flag is set.';
    }
    rec.requestParameters = template.request?.(rng, account) ?? null;
    rec.responseElements = rec.errorCode ? null : (template.response?.(rng, account) ?? null);
  }
  rec.requestID = rng.uuid();
  rec.eventID = rng.uuid();
  if (template.readOnly !== undefined) rec.readOnly = template.readOnly;
  const resources = template.resources?.(rng, account, region) ?? s3Resources(rec.requestParameters, account);
  if (resources) rec.resources = resources;
  rec.eventType = template.eventType ?? 'AwsApiCall';
  rec.managementEvent = !template.dataEvent;
  rec.recipientAccountId = account;
  rec.eventCategory = template.dataEvent ? 'Data' : 'Management';
  if (!principal.services) {
    rec.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${template.service}.${region}.amazonaws.com` };
  }
  return rec;
}

function logObject(key: string, records: CloudTrailRecord[]): LogObject {
  // Level 1: CloudTrail-compatible gzip, fast enough to make millions of events for benchmarks.
  return { key, body: zlib.gzipSync(JSON.stringify({ Records: records }), { level: 1 }), records: records.length };
}

/** The fewest log files a day a run of the default file size is spread over. */
const FILES_PER_DAY = 2;

/**
 * Yields log files oldest first. Global events (IAM, STS, sign-in) in us-east-1 are, half of the time, delivered
 * a second time by another trail, in a file of their own with the same eventID and content: as real CloudTrail does.
 */
export function* generateLogObjects(options: GenerateOptions): Generator<LogObject> {
  const rng = new Rng(options.seed ?? 1);
  const days = options.days ?? 14;
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const endMs = (options.end ?? new Date()).getTime();
  // The same calendar days as `trailhound ingest --days N`: today and the N - 1 days before it (UTC).
  const startMs = options.start?.getTime() ?? Math.floor(endMs / 86_400_000) * 86_400_000 - (days - 1) * 86_400_000;
  // Files of 500 would hold a small run whole (100 events over 30 days: one file, in the last minutes): by default, at
  // least FILES_PER_DAY files a day, so the events span the days asked for.
  const perFile = options.eventsPerFile ?? Math.min(500, Math.max(1, options.events / (FILES_PER_DAY * ((endMs - startMs) / 86_400_000))));
  let remaining = options.events;
  let currentDay = '';
  let slots = new Map<string, { account: Account; region: string; files: string[]; last: number }>();
  let secondTrail = new Map<string, CloudTrailRecord[]>();

  function* endOfDay(): Generator<LogObject> {
    for (const [accountId, records] of secondTrail) {
      const account = ACCOUNTS.find((a) => a.id === accountId)!;
      const last = Date.parse(String(records[records.length - 1].eventTime)) + 60_000;
      const t = new Date(Math.min(last, endMs));
      const key = `${accountRoot(prefix, account)}/CloudTrail/us-east-1/${dayPath(t)}/${account.id}_CloudTrail_us-east-1_${stamp(t)}_${rng.alnum(16)}.json.gz`;
      yield logObject(key, records);
    }
    if (options.digest ?? true) {
      for (const { account, region, files, last } of slots.values()) {
        const t = new Date(last);
        const body = {
          awsAccountId: account.id,
          digestStartTime: iso(last - 3_600_000),
          digestEndTime: iso(last),
          digestS3Bucket: 'acme-cloudtrail',
          digestPublicKeyFingerprint: rng.hex(32),
          digestSignatureAlgorithm: 'SHA256withRSA',
          logFiles: files.map((key) => ({ s3Bucket: 'acme-cloudtrail', s3Object: key, hashValue: rng.hex(64), hashAlgorithm: 'SHA-256' })),
        };
        yield {
          key: `${accountRoot(prefix, account)}/CloudTrail-Digest/${region}/${dayPath(t)}/` +
            `${account.id}_CloudTrail-Digest_${region}_org-trail_us-east-1_${stamp(t)}.json.gz`,
          body: zlib.gzipSync(JSON.stringify(body), { level: 1 }),
          records: 0,
        };
      }
    }
    slots = new Map();
    secondTrail = new Map();
  }

  while (remaining > 0) {
    const count = Math.min(remaining, Math.max(1, Math.round(perFile * (0.5 + rng.next()))));
    // Files advance through the window as the events are produced, so every day gets its share.
    const done = options.events - remaining;
    const fileEnd = Math.min(endMs, startMs + Math.floor(((done + count) / options.events) * (endMs - startMs)));
    const fileStart = Math.max(startMs, fileEnd - 5 * 60_000);
    const day = new Date(fileEnd).toISOString().slice(0, 10);
    if (day !== currentDay) {
      yield* endOfDay();
      currentDay = day;
    }
    const account = rng.weighted(ACCOUNTS, ACCOUNT_WEIGHTS);
    const region = rng.weighted(REGIONS, REGION_CUMULATIVE);
    const records: CloudTrailRecord[] = [];
    for (let i = 0; i < count; i++) {
      const template = region === 'us-east-1' ? rng.weighted(EVENTS, ALL_EVENTS) : rng.weighted(REGIONAL, REGIONAL_EVENTS);
      const at = fileStart + Math.floor(((i + rng.next()) / count) * (fileEnd - fileStart));
      const rec = record(rng, template, account.id, region, at);
      records.push(rec);
      if (template.global && rng.chance(0.5)) {
        const list = secondTrail.get(account.id) ?? [];
        list.push(rec);
        secondTrail.set(account.id, list);
      }
    }
    const t = new Date(fileEnd);
    const key = `${accountRoot(prefix, account)}/CloudTrail/${region}/${dayPath(t)}/${account.id}_CloudTrail_${region}_${stamp(t)}_${rng.alnum(16)}.json.gz`;
    const slot = slots.get(`${account.id}/${region}`) ?? { account, region, files: [], last: fileEnd };
    slot.files.push(key);
    slot.last = fileEnd;
    slots.set(`${account.id}/${region}`, slot);
    remaining -= count;
    yield logObject(key, records);
  }
  yield* endOfDay();
}

export interface FolderSummary {
  files: number;
  records: number;
  digests: number;
}

/** Writes the generated logs under dir, in their S3 key layout. */
export async function writeLogFolder(dir: string, options: GenerateOptions, onProgress?: (events: number) => void): Promise<FolderSummary> {
  const summary: FolderSummary = { files: 0, records: 0, digests: 0 };
  const made = new Set<string>();
  for (const object of generateLogObjects(options)) {
    const file = path.join(dir, object.key);
    const folder = path.dirname(file);
    if (!made.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    await fs.promises.writeFile(file, object.body);
    if (object.records === 0) summary.digests++;
    else summary.files++;
    summary.records += object.records;
    onProgress?.(summary.records);
  }
  return summary;
}
