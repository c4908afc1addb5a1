// The bundled sample: generated CloudTrail logs of the last 14 days, so `npm start` shows real-looking reports
// without an AWS account. Made once; after that, the sample goes on as a trail would: each start and each poll of
// serve delivers the minutes since the last delivery (the time serve was stopped too), so the dashboards move, the
// "no events arriving" alert stays quiet, and a restart adds only what is new, never a second sample.
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNTS, writeLogFolder } from '../generator';
import type { TrailRecord } from './trails';

export const SAMPLE_EVENTS = 50_000;
export const SAMPLE_DAYS = 14;
const DAY_MS = 86_400_000;
/** When the sample's events were last delivered (an ISO time in this file, in the sample's folder). */
const DELIVERED = '.delivered';

/** The folder of sample logs, made on first use and brought up to `now`. */
export async function ensureSampleLogs(dataDir: string, now = new Date()): Promise<string> {
  const dir = path.join(dataDir, 'sample-logs');
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new Error(`${dir} is in the way of the sample logs: it is not a folder. Move it, or give a --source`);
  }
  // Made already (by an older version, one folder per day): kept and delivered on, so its events are not doubled.
  const made = fs.existsSync(path.join(dir, '.complete')) ? dir : olderSample(dir);
  if (made) {
    await deliverSampleLogs(made, now);
    return made;
  }
  // A sample left half-made by a killed start is made again.
  fs.rmSync(dir, { recursive: true, force: true });
  await writeLogFolder(dir, { events: SAMPLE_EVENTS, days: SAMPLE_DAYS, end: now, seed: Number(now.toISOString().slice(0, 10).replace(/-/g, '')) });
  fs.writeFileSync(path.join(dir, DELIVERED), now.toISOString());
  fs.writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

/** Whether ensureSampleLogs finds a sample made already (else it makes one: seconds, which serve says first). */
export function sampleLogsMade(dataDir: string): boolean {
  const dir = path.join(dataDir, 'sample-logs');
  // A file in its way is no sample: ensureSampleLogs says so.
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return false;
  return fs.existsSync(path.join(dir, '.complete')) || olderSample(dir) !== undefined;
}

/** The newest complete sample of the older layout (sample-logs/<day>/), if any. */
function olderSample(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const days = fs.readdirSync(dir).filter((name) => /^\d{4}-\d{2}-\d{2}$/.test(name) && fs.existsSync(path.join(dir, name, '.complete')));
  return days.length > 0 ? path.join(dir, days.sort().at(-1)!) : undefined;
}

/**
 * Adds the sample's events since its last delivery, at the sample's rate (about 2.5 a minute), as new log files in
 * `dir`; at most the sample's 14 days. Returns how many events it wrote (none when less than one is due).
 */
export async function deliverSampleLogs(dir: string, now = new Date()): Promise<number> {
  const marker = path.join(dir, DELIVERED);
  if (!fs.existsSync(marker)) {
    // A sample made before deliveries existed: they start from now.
    fs.writeFileSync(marker, now.toISOString());
    return 0;
  }
  const last = new Date(fs.readFileSync(marker, 'utf8').trim());
  const start = new Date(Math.max(last.getTime(), now.getTime() - SAMPLE_DAYS * DAY_MS));
  const events = Math.floor(((now.getTime() - start.getTime()) / (SAMPLE_DAYS * DAY_MS)) * SAMPLE_EVENTS);
  if (!(events >= 1)) return 0;
  // Seeded by the time: each delivery is new, and the same one again would be byte for byte the same.
  await writeLogFolder(dir, { events, start, end: now, seed: now.getTime() % 2_147_483_647, digest: false });
  fs.writeFileSync(marker, now.toISOString());
  return events;
}

/**
 * The sample's trail inventory, as `trails sync` would store it for the accounts the sample's logs come from: the
 * organization trail, an account trail that delivers global events a second time, and one that was stopped.
 */
export function sampleTrails(now = new Date()): TrailRecord[] {
  const [main, member] = ACCOUNTS;
  const org = member.org!;
  const delivered = new Date(now.getTime() - 4 * 60_000);
  const trail = (account: string, name: string, fields: Partial<TrailRecord>): TrailRecord => ({
    arn: `arn:aws:cloudtrail:us-east-1:${account}:trail/${name}`,
    name,
    homeRegion: 'us-east-1',
    s3Bucket: 'acme-cloudtrail',
    s3KeyPrefix: null,
    isLogging: true,
    includeGlobalServiceEvents: true,
    isMultiRegion: true,
    isOrganizationTrail: false,
    loggingStarted: new Date(now.getTime() - 400 * DAY_MS),
    loggingStopped: null,
    lastDelivery: delivered,
    lastDeliveryError: null,
    lastNotification: null,
    lastNotificationError: null,
    snsTopic: null,
    ...fields,
  });
  return [
    // A trail with a topic notifies of each file it delivers; a prefix shows the List of Trails' S3 key prefix column filled.
    trail(main.id, 'acme-org-trail', { isOrganizationTrail: true, snsTopic: `cloudtrail-${org}`, lastNotification: delivered }),
    trail(main.id, 'security-audit', { s3Bucket: 'acme-security-audit', s3KeyPrefix: 'audit', isMultiRegion: false }),
    trail(member.id, 'legacy-dev-trail', {
      s3Bucket: 'acme-dev-logs',
      isLogging: false,
      isMultiRegion: false,
      includeGlobalServiceEvents: false,
      loggingStopped: new Date(now.getTime() - 30 * DAY_MS),
      lastDelivery: new Date(now.getTime() - 30 * DAY_MS),
      lastDeliveryError: 'AccessDenied',
    }),
  ];
}
