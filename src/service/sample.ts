// The bundled sample: generated CloudTrail logs for the last 14 days, so `npm start` shows real-looking reports
// without an AWS account. Made on first use (and again on a later day, so the window stays full). While serve runs,
// each poll delivers the minutes since the last one, as CloudTrail would, and the sample's trails report them: the
// dashboards move and the "no events arriving" alert stays quiet.
import fs from 'node:fs';
import path from 'node:path';
import { ACCOUNTS, writeLogFolder } from '../generator';
import type { TrailRecord } from './trails';

export const SAMPLE_EVENTS = 50_000;
const SAMPLE_DAYS = 14;
const DAY_MS = 86_400_000;
/** When the sample's events were last delivered (an ISO time in this file, in the sample's folder). */
const DELIVERED = '.delivered';

/** The folder of sample logs for today, created if missing. */
export async function ensureSampleLogs(dataDir: string, now = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const dir = path.join(dataDir, 'sample-logs', day);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    await writeLogFolder(dir, { events: SAMPLE_EVENTS, days: SAMPLE_DAYS, end: now, seed: Number(day.replace(/-/g, '')) });
    fs.writeFileSync(path.join(dir, DELIVERED), now.toISOString());
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}

/**
 * Adds the sample's events since its last delivery, at the sample's rate (about 2.5 a minute), as new log files in
 * `dir`; at most a day's worth. Returns how many events it wrote (none when less than one is due).
 */
export async function deliverSampleLogs(dir: string, now = new Date()): Promise<number> {
  const marker = path.join(dir, DELIVERED);
  const last = fs.existsSync(marker) ? new Date(fs.readFileSync(marker, 'utf8').trim()) : now;
  const start = new Date(Math.max(last.getTime(), now.getTime() - DAY_MS));
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
    lastDelivery: new Date(now.getTime() - 4 * 60_000),
    lastDeliveryError: null,
    lastNotification: null,
    lastNotificationError: null,
    snsTopic: null,
    ...fields,
  });
  return [
    trail(main.id, 'acme-org-trail', { isOrganizationTrail: true, snsTopic: `cloudtrail-${org}` }),
    trail(main.id, 'security-audit', { s3Bucket: 'acme-security-audit', isMultiRegion: false }),
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
