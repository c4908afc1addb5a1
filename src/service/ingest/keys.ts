// CloudTrail's S3 key layout:
//   [prefix/]AWSLogs/[o-xxxxxxxxxx/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
// Digest and Insight files live beside it (CloudTrail-Digest/, CloudTrail-Insight/) and are not event files.

export type KeyKind = 'events' | 'digest' | 'insight' | 'other';

export interface ParsedKey {
  kind: KeyKind;
  account?: string;
  organization?: string;
  region?: string;
  /** YYYY-MM-DD of the day folder. */
  day?: string;
}

/** A CloudTrail key: groups 1 organization, 2 account, 3 folder, 4 region, 5–7 the day folder's year, month, day. */
export const LAYOUT =
  /(?:^|\/)AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight)\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+$/;

// The day folder of a CloudTrail key (the same pattern as parseKey's), as YYYY-MM-DD; NULL for other names, whose
// files a folder source lists on every run. A constant of our own, so it is written into the SQL (see normalise.ts).
// Once the pattern matches, the day is the folder's last 10 characters: three regexp_extract calls (capture groups)
// took 13 s for a million keys, 5 times as long, and compaction finds its due days this way every hour.
export const KEY_DAY_SQL = (column: string) => {
  const pattern = `'${LAYOUT.source.replace(/'/g, "''")}'`;
  return `CASE WHEN regexp_matches(${column}, ${pattern}) THEN replace(right(parse_dirpath(${column}, 'forward_slash'), 10), '/', '-') END`;
};

/** KEY_DAY_SQL as a DATE (log_objects.day); NULL for a folder name that is no date (a month 13). */
export const KEY_DATE_SQL = (column: string) => `TRY_CAST(${KEY_DAY_SQL(column)} AS DATE)`;

export function parseKey(key: string): ParsedKey {
  const m = LAYOUT.exec(key);
  if (!m) {
    return { kind: /(?:^|\/)CloudTrail-(Digest|Insight)\//.test(key) ? (key.includes('Digest') ? 'digest' : 'insight') : 'other' };
  }
  const [, organization, account, folder, region, y, mo, d] = m;
  const kind: KeyKind = folder === 'CloudTrail' ? 'events' : folder === 'CloudTrail-Digest' ? 'digest' : 'insight';
  return { kind, account, organization, region, day: `${y}-${mo}-${d}` };
}

/**
 * Where a source that names a path (an S3 prefix, a folder; '' or ending in '/') starts: `root`, the trail's own
 * prefix, which keys are relative to and the ledger names; and `scope`, the folder of the layout below it that alone
 * is listed: '' (the whole trail), or AWSLogs/ followed by an organization, an account, its CloudTrail/ or a region
 * folder. A reader granted only an account's folder is refused a listing of AWSLogs/; a file still has the same key,
 * and one ledger row, whichever of them reads it.
 */
export interface SourceScope {
  root: string;
  scope: string;
}

/** A folder of the layout a source may start at: groups 1 the trail's prefix, 2 the folder from AWSLogs/ on. */
const STARTING_FOLDER = /^((?:.*\/)?)(AWSLogs\/(?:o-[a-z0-9]+\/)?(?:\d{12}\/(?:CloudTrail\/(?:[^/]+\/)?)?)?)$/;

/**
 * The root and scope of a source's path; for a path inside the layout that is not a folder a source can start at
 * (a day folder, CloudTrail-Digest/, a name that is no account), the nearest folder above it that is (AWSLogs/ itself:
 * the trail's prefix).
 */
export function sourceScope(path: string): SourceScope | { startAt: string } {
  const m = STARTING_FOLDER.exec(path);
  if (m) return { root: m[1], scope: m[2] === 'AWSLogs/' ? '' : m[2] };
  if (!/(?:^|\/)AWSLogs\//.test(path)) return { root: path, scope: '' };
  let above = path;
  let up: RegExpExecArray | null = null;
  while (!up) {
    above = above.replace(/[^/]*\/$/, '');
    up = STARTING_FOLDER.exec(above);
  }
  return { startAt: up[2] === 'AWSLogs/' ? up[1] : above };
}

/** The day of a folder in CloudTrail's layout (…/CloudTrail/<region>/YYYY/MM/DD, with or without a trailing slash), as a file in it has. */
export function folderDay(folder: string): string | undefined {
  return parseKey(`${folder.endsWith('/') ? folder : `${folder}/`}x.json.gz`).day;
}

/**
 * Listing units (day folders) day by day: every account and region of a day before the next day; units without a day
 * (a folder of plain files) first, in their order. Loaded so, each of the events table's row groups holds hours, not
 * the whole window, and DuckDB's min/max per row group skips the rest for a time range: an alert rule's last minutes,
 * a report's day, the look-up of a batch's duplicates among the stored events of its time span.
 */
export function inDayOrder(units: string[]): string[] {
  return units
    .map((unit, i) => ({ unit, day: folderDay(unit) ?? '', i }))
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.i - b.i))
    .map((u) => u.unit);
}

/**
 * True for names ingestion reads: CloudTrail writes .json.gz; plain .json is accepted for exports and tests.
 * Lower case only, as CloudTrail writes them: DuckDB takes gzip from a lower-case .gz.
 */
export function isLogFileName(key: string): boolean {
  return /\.json(\.gz)?$/.test(key);
}

/** A window of whole UTC days, inclusive, as YYYY-MM-DD. */
export interface DayWindow {
  from: string;
  to: string;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * CloudTrail began delivering logs on this day: no bucket has an earlier day folder. A window starts here at the
 * earliest, since every day of it costs one LIST request per account and region (--days 36500 made 620,000 of them).
 */
export const CLOUDTRAIL_BEGAN = '2013-11-13';

const DAY_MS = 86_400_000;

/** The most days a window can have: every day since CloudTrail began, today (UTC) included. */
export function cloudTrailDays(now = new Date()): number {
  return Math.floor(now.getTime() / DAY_MS) - Date.parse(CLOUDTRAIL_BEGAN) / DAY_MS + 1;
}

/**
 * The day a window asked for would start on, when that is before CloudTrail began (dayWindow starts at CLOUDTRAIL_BEGAN
 * instead); "0001-01-01 or earlier" for days further back than that.
 */
export function beforeCloudTrail(options: { days?: number; since?: string; now?: Date }): string | undefined {
  const from = unclippedWindow(options).from;
  if (from >= CLOUDTRAIL_BEGAN) return undefined;
  return from === FIRST_DAY ? `${FIRST_DAY} or earlier` : from;
}

/** The last `days` days up to and including today (UTC), or from `since` to today; never before CloudTrail began. */
export function dayWindow(options: { days?: number; since?: string; now?: Date }): DayWindow {
  const { from, to } = unclippedWindow(options);
  return { from: from < CLOUDTRAIL_BEGAN ? CLOUDTRAIL_BEGAN : from, to };
}

function unclippedWindow(options: { days?: number; since?: string; now?: Date }): DayWindow {
  const now = options.now ?? new Date();
  const to = isoDay(now);
  if (options.since) {
    // Date.parse rolls 2026-02-30 over to March 2: a date must read back as itself.
    if (!/^\d{4}-\d{2}-\d{2}$/.test(options.since)) throw new Error(`--since ${options.since}: expected a date like 2026-11-01`);
    if (Number.isNaN(Date.parse(options.since)) || isoDay(new Date(options.since)) !== options.since) {
      // In the form asked for: the form is not what is wrong.
      throw new Error(`--since ${options.since}: the calendar has no such day`);
    }
    if (options.since > to) {
      // Days are UTC's: east of it, the local date can be a day ahead.
      throw new Error(`--since ${options.since} is in the future: today is ${to} (UTC); give a day up to it`);
    }
    return { from: options.since, to };
  }
  const days = options.days ?? 14;
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`--days ${days}: expected a whole number of days, 1 or more`);
  }
  // Any number of days: --days 1000000000 reached back past the dates a Date can hold ("Invalid time value"). The
  // window is clipped at CloudTrail's start anyway.
  return { from: isoDay(new Date(Math.max(now.getTime() - (days - 1) * DAY_MS, Date.parse(FIRST_DAY)))), to };
}

/** The first day a window is written with (as YYYY-MM-DD, years have four digits). */
const FIRST_DAY = '0001-01-01';

/** Every day of the window as its S3 path segment, YYYY/MM/DD. */
export function daysOf(window: DayWindow): string[] {
  const out: string[] = [];
  for (let t = Date.parse(window.from); isoDay(new Date(t)) <= window.to; t += DAY_MS) {
    out.push(isoDay(new Date(t)).replace(/-/g, '/'));
  }
  return out;
}

/** Whether a day is in the window; a file outside CloudTrail's layout has no day, and is in every window. */
export function inWindow(day: string | undefined, window: DayWindow): boolean {
  return day === undefined || (day >= window.from && day <= window.to);
}
