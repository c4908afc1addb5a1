// Small formatters for the ingestion panel.
import type { BackfillStatus, RetentionStatus, SourceStatus } from '../../model/api';

/** 42 → "42 s", 600 → "10 min", 7200 → "2 h", 259200 → "3 days". */
export function formatLag(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return 'no events yet';
  }
  if (seconds < 90) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 90 * 60) {
    return `${Math.round(seconds / 60)} min`;
  }
  if (seconds < 48 * 3600) {
    return `${Math.round(seconds / 3600)} h`;
  }
  return `${Math.round(seconds / 86400)} days`;
}

/** ISO time → the browser's local date and time; missing → "never". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return 'never';
  }
  const date = new Date(iso);
  return Number.isNaN(date.valueOf()) ? iso : date.toLocaleString();
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString();
}

/** The last backfill: "90 days, running since …", "90 days, finished …", "90 days, failed: …". */
export function formatBackfill(b: BackfillStatus): string {
  const what = formatDays(b.days);
  if (b.state === 'running') return `${what}, running since ${formatTime(b.startedAt)}`;
  if (b.state === 'done') return `${what}, finished ${formatTime(b.finishedAt)}`;
  return `${what}, failed: ${b.error ?? 'no reason given'}`;
}

/** `n` with its noun, plural unless n is 1: (1, 'day') → "1 day", (1000, 'day') → "1,000 days". */
export function formatCounted(n: number, noun: string): string {
  return `${n.toLocaleString()} ${noun}${n === 1 ? '' : 's'}`;
}

/** 1 → "1 day", 1000 → "1,000 days". */
export const formatDays = (n: number) => formatCounted(n, 'day');

/** The last prune: "90 days: events before … removed at …". */
export function formatRetention(r: RetentionStatus): string {
  return `${formatDays(r.days)}: events before ${formatTime(r.before)} removed at ${formatTime(r.prunedAt)}`;
}

/** One source of several: "68 log files, last read …", or why its last run failed. */
export function formatSource(s: SourceStatus): string {
  const files = formatCounted(s.objects, 'log file');
  if (s.lastError) return `${files}, its last run failed: ${s.lastError}`;
  return s.lastRun ? `${files}, last read ${formatTime(s.lastRun)}` : `${files}, not read yet`;
}

/**
 * A log file's key as a list shows it: its file name, which for CloudTrail names the account, region and time
 * (`…/123456789012_CloudTrail_us-east-1_20261125T1005Z_x.json.gz`); the folders before it say the same again.
 */
export function shortKey(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name === key || name === '' ? key : `…/${name}`;
}
