// The bundled sample: generated CloudTrail logs for the last 14 days, so `npm start` shows real-looking reports
// without an AWS account. Made on first use (and again on a later day, so the window stays full).
import fs from 'node:fs';
import path from 'node:path';
import { writeLogFolder } from '../generator';

export const SAMPLE_EVENTS = 50_000;

/** The folder of sample logs for today, created if missing. */
export async function ensureSampleLogs(dataDir: string, now = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  const dir = path.join(dataDir, 'sample-logs', day);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    await writeLogFolder(dir, { events: SAMPLE_EVENTS, days: 14, end: now, seed: Number(day.replace(/-/g, '')) });
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}
