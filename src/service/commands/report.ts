// trailhound report <events|totals|trails|ingest>: any report of the product, in the terminal (ingest --errors: the
// log files ingestion could not read).
// It reads the DuckDB file itself; while `serve` holds the file, it asks the running service instead.
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Frame, QueryResponse } from '../../model/api';
import { didYouMean } from '../../model/closest';
import { COMMON_SEARCHES, commonSearch, type CommonSearch } from '../../model/commonSearches';
import {
  AGGREGATES, DEFAULT_ERRORS_LIMIT, DEFAULT_QUERY, EVENT_LISTS, FORMATS, GROUP_BYS, MAX_LIMIT, MFA, PEAK_WINDOW, QUERY_TYPES, QueryError, READ_ONLY,
  SERVICE_CALLS, STATUSES, TIME_FIELDS,
  resolveQuery, withoutDefaults, type FilterKey, type TrailhoundQuery,
} from '../../model/query';
import { readHttpAnswer, withoutToken } from '../../model/httpAnswer';
import { plainHttpHost } from '../../model/settings';
import { BOUNDS, DEFAULTS, dbPath, endpointUrl, env, missingDatabase } from '../config';
import type { Database } from '../db/database';
import { minute, NO_EVENTS, printFrames } from '../reports/print';
import type { Range } from '../reports/sql';
import { terminalWidth } from '../table';
import { readToken, type Token } from '../api/token';
import * as lazy from './lazy';
import { collect, warn, wholeFlag, withEnvironment } from './options';
import { parseListen } from './serve';

const DAY = 86_400_000;
/**
 * A time series' rows at most, as Grafana's max data points (a panel's width in pixels) is its points: with aggregate
 * auto, the buckets fit the range in this many (12 hours over the default 14 days, an hour over 2 days), a screenful
 * rather than 672 rows of half hours.
 */
export const SERIES_ROWS = 50;

interface ReportOptions {
  groupBy?: string;
  aggregate?: string;
  status?: string;
  readOnly?: string;
  mfa?: string;
  timeField?: string;
  serviceCalls?: string;
  peakWindow?: number;
  resourceId?: string;
  region?: string[];
  service?: string[];
  eventName?: string[];
  user?: string[];
  sourceIp?: string[];
  account?: string[];
  errorCode?: string[];
  identityType?: string[];
  role?: string[];
  permissionSet?: string[];
  eventCategory?: string[];
  format?: string;
  from?: string;
  to?: string;
  timeZone?: string;
  limit?: number;
  preset?: string;
  db?: string;
  json?: boolean;
  errors?: boolean;
}

/** Where a serve on this machine answers, from its listen address: one on every interface (:7480, 0.0.0.0, ::) on loopback. */
export function localServiceUrl(listen: string): string {
  try {
    const { host, port } = parseListen(listen);
    const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  } catch {
    // serve refuses such an address itself, and says why.
    return `http://${DEFAULTS.listen}`;
  }
}

/** Grafana's relative times' units, as far as each is a fixed length (its M and y, months and years, are not). */
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY };
const RELATIVE = /^now(?:-(\d+)([smhdw]))?$/;
const TIME_FORMS = 'now, now-7d, now-12h or now-30m (s, m, h, d, w), an ISO time or day (2026-11-20T08:00:00Z, 2026-11-20) or epoch milliseconds';

/**
 * --from or --to as epoch milliseconds: Grafana's relative times (now, now-7d …), counted from `now`, else what the
 * API reads (parseTime: ISO, UTC unless it names a zone, or epoch milliseconds). The API itself takes no relative
 * times: the CLI sends it the times they come to.
 */
export function timeFlag(flag: string, value: string, now: number): number {
  const { MAX_TIME, MIN_TIME } = lazy.reports();
  const ms = readTimeFlag(flag, value, now);
  // A --from before 1970 (or a --to after 9999) is answered from 1970 (or to 9999), as the API answers such a range
  // (parseRange): every stored event is within. A --to before it, or a --from after it, leaves no time to answer for.
  if (flag === '--to' && !(ms > MIN_TIME)) throw new QueryError(flag, `"${value}" is not after 1970-01-01, the earliest time the service can answer for`);
  if (flag === '--from' && !(ms <= MAX_TIME)) throw new QueryError(flag, `"${value}" is after 9999-12-31, the last time the service can answer for`);
  return Math.min(Math.max(ms, MIN_TIME), MAX_TIME);
}

function readTimeFlag(flag: string, value: string, now: number): number {
  const relative = RELATIVE.exec(value.trim());
  if (relative) return relative[1] === undefined ? now : now - Number(relative[1]) * UNITS[relative[2]];
  try {
    return lazy.reports().parseTime(flag, value);
  } catch (err) {
    // The forms, for a value in none of them; parseTime's own reason for one that is (a day the calendar has not).
    if (!(err instanceof QueryError && / is not a time \(/.test(err.message))) throw err;
    // "7d" reads as a week ago or as 7 days ahead: Grafana's own syntax says which.
    const ago = /^\d+[smhdw]$/.test(value.trim()) ? ` (did you mean now-${value.trim()}?)` : '';
    throw new QueryError(flag, `"${value}" is not a time${ago}: use ${TIME_FORMS}`);
  }
}

/** What to do when the serve that holds the file does not answer where report asked: it listens at another --listen. */
const listensElsewhere = (serve: string) => `if ${serve} listens elsewhere (its --listen), give its address: TRAILHOUND_LISTEN or --service-url`;

/**
 * A printed report that found nothing, with the range it looked at (`nothing`, noEventsIn): in place of its "(no events
 * match)", before the notices under it (a retention's, which dropped the range), or under totals of zeros.
 */
export function sayRange(printed: string, nothing: string, noTotals: boolean): string {
  if (printed === NO_EVENTS || printed.startsWith(`${NO_EVENTS}\n`)) return nothing + printed.slice(NO_EVENTS.length);
  return noTotals ? `${printed}\n${nothing}` : printed;
}

/** An empty events report, with its range; `lookedBack`: the range is the default one, the last 14 days. */
export function noEventsIn(range: { from: number; to: number }, lookedBack: boolean): string {
  const within = `from ${minute(range.from)} to ${minute(range.to)} UTC`;
  return lookedBack ? `(no events match in the last 14 days, ${within}: --from and --to set another range)` : `(no events match ${within})`;
}

/** The flag that gives a preset its input, where it filters nothing without one. */
const PRESET_FLAGS: Partial<Record<CommonSearch['input'], { option: 'user' | 'sourceIp'; flag: string; example: string }>> = {
  users: { option: 'user', flag: '--user', example: 'alice' },
  ips: { option: 'sourceIp', flag: '--source-ip', example: '198.51.100.23' },
};

/** The query the flags describe: a preset first (if any), then every flag given on top of it. */
export function queryFromFlags(type: string, o: ReportOptions): TrailhoundQuery {
  const preset = o.preset ? commonSearch(o.preset) : undefined;
  if (o.preset && !preset) throw new QueryError('preset', `"${o.preset}" is not one of ${COMMON_SEARCHES.map((s) => s.id).join(', ')}`);
  // Without its input such a preset filters nothing, and its report is every event: the Grafana editor may show that
  // for an empty variable, but a flag left out here is a mistake. ec2-started-by without an id lists every launch, as designed.
  const needed = preset && PRESET_FLAGS[preset.input];
  if (needed && !o[needed.option]?.length) {
    throw new QueryError(needed.flag, `the ${preset.id} preset needs at least one ${needed.flag}, e.g. --preset ${preset.id} ${needed.flag} ${needed.example}`);
  }
  const base = preset?.query({ instanceId: o.resourceId, users: o.user, ips: o.sourceIp }) ?? {};
  const filters = { ...base.filters };
  // Every filter of the model has its flag.
  const lists: Record<FilterKey, string[] | undefined> = {
    region: o.region, service: o.service, eventName: o.eventName, user: o.user, sourceIp: o.sourceIp, account: o.account, errorCode: o.errorCode,
    identityType: o.identityType, role: o.role, permissionSet: o.permissionSet, eventCategory: o.eventCategory,
  };
  for (const [key, values] of Object.entries(lists)) if (values?.length) filters[key as FilterKey] = values;
  const given = <T>(v: T | undefined, fallback: T | undefined) => (v === undefined ? fallback : v);
  return {
    ...base,
    queryType: type as TrailhoundQuery['queryType'],
    groupBy: given(o.groupBy, base.groupBy) as TrailhoundQuery['groupBy'],
    aggregate: given(o.aggregate, base.aggregate) as TrailhoundQuery['aggregate'],
    status: given(o.status, base.status) as TrailhoundQuery['status'],
    readOnly: given(o.readOnly, base.readOnly) as TrailhoundQuery['readOnly'],
    mfa: given(o.mfa, base.mfa) as TrailhoundQuery['mfa'],
    timeField: given(o.timeField, base.timeField) as TrailhoundQuery['timeField'],
    serviceCalls: given(o.serviceCalls, base.serviceCalls) as TrailhoundQuery['serviceCalls'],
    peakWindow: given(o.peakWindow, base.peakWindow),
    format: given(o.format, base.format ?? 'table') as TrailhoundQuery['format'],
    resourceId: given(o.resourceId, base.resourceId),
    limit: given(o.limit, base.limit),
    filters,
    ingestView: o.errors ? 'errors' : undefined,
  };
}

/** A query model's error named by the flag that gave the field (peakWindow: --peak-window, filters.user: --user), where there is one. */
function byFlag(err: QueryError, command: Command): QueryError {
  const flag = `--${err.field.replace(/^filters\./, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (!command.options.some((option) => option.long === flag)) return err;
  return new QueryError(flag, err.message.slice(err.field.length + 2));
}

/**
 * What to say before the token goes to `url`: on another host over plain http anyone on the way can read it (and,
 * without TRAILHOUND_TOKEN, it is the local data folder's). Loopback, a private network (as the settings page judges
 * it), or https is not warned of.
 */
export function plainHttpWarning(url: string): string | undefined {
  if (plainHttpHost(url) === undefined) return undefined;
  return `${url} looks public, asked over plain http: the bearer token crosses the network readable; use https (a TLS proxy) or an SSH tunnel`;
}

/** A query response's result for refId A; undefined for any other body. */
function parsedQueryResult(text: string): QueryResponse['results'][string] | undefined {
  try {
    return (JSON.parse(text) as Partial<QueryResponse> | null)?.results?.A;
  } catch {
    return undefined;
  }
}

/**
 * Asks a running `trailhound serve` for the report (its bearer token from the environment or the data folder).
 * `heldFile`: the database a serve holds, when `url` is where serve listens by default, not a URL the user named.
 */
async function askService(
  url: string,
  dataDir: string,
  token: Token | undefined,
  body: object,
  heldFile?: string
): Promise<{ frames: Frame[] } | { error: string; status: number }> {
  const secret = token?.token ?? '';
  const insecure = plainHttpWarning(url);
  if (insecure) warn(insecure);
  const res = await fetch(`${url.replace(/\/+$/, '')}/api/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.ok) {
    // Not the service's when it is no query response: a proxy's sign-in page answered with 200, another app's JSON.
    const result = parsedQueryResult(text);
    if (result) return result;
  }
  const answer = readHttpAnswer(res.status, res.headers, text, secret);
  // The service's own answer (its header, or an older service's code or words: readHttpAnswer): its code says what it
  // is; a service up to 0.1.0 gives none, only its {error} JSON, which is then taken by the status alone. Anything else
  // (a page, a code no service sent) is not the service's: a proxy's, say.
  const theService = (...codes: string[]) => answer.from === 'service' && (answer.code === undefined || codes.includes(answer.code));
  const page = () => `${url} answered HTTP ${res.status}${answer.snippet ? ` "${answer.snippet}"` : ''}, not as the Trailhound service does`;
  // Opening or upgrading its database (minutes, once): the service is the right one, and stopping it would roll the
  // upgrade back. Its own words, whole, say how far it is.
  if (res.status === 503 && theService('starting', 'upgrading')) {
    const wait = answer.code === 'upgrading' ? ' (do not stop it meanwhile: a stop rolls the upgrade back, and the next start begins it again)' : '';
    return { error: `the service at ${url} cannot answer now: ${answer.error}${wait}`, status: 503 };
  }
  // A proxy's page for the service behind it (503, 502 Bad Gateway or 504 Gateway Timeout not the service's: its own 504
  // for a query too long has its {error}): a restart (an upgrade) read as the service failing.
  if (res.status === 503 || answer.from === 'gateway') {
    const says = res.status === 503 ? 'says it is down' : 'did not get its answer';
    const why = `a proxy in front of it ${says}: it may be stopped or restarting (an upgrade, say); try again in a moment, and if it lasts, check that it runs`;
    return { error: `${page()}: ${why}`, status: res.status };
  }
  // Which token was refused, as the service answers alike whatever was wrong: a TRAILHOUND_TOKEN left set by another
  // setup (Docker's) wins over the token file, and a service elsewhere has a token file this command cannot see.
  if (res.status === 401 && theService('unauthorized')) {
    const none = `no token (TRAILHOUND_TOKEN is not set, and there is no token file in ${dataDir})`;
    const sent = !token ? none : token.file ? `the token in ${token.file}` : 'the token in TRAILHOUND_TOKEN';
    // The token file of the database in use, refused: most likely another serve answers here, and the one that holds
    // it listens elsewhere (started with TRAILHOUND_LISTEN, which this command was not given).
    const elsewhere =
      token?.file && heldFile
        ? `; or, ${listensElsewhere(`the serve that holds ${heldFile}`)}`
        : '';
    return {
      error: `the service at ${url} refused ${sent}: set TRAILHOUND_TOKEN to its token (serve logs where its token file is)${elsewhere}`,
      status: 401,
    };
  }
  // A 403 too, as the plugin reads it: an auth proxy turns away a path it does not let through (the service never answers 403).
  if (res.status === 401 || answer.from === 'sign-in') {
    // Not the token's fault: setting another one would not help.
    const why =
      'a proxy in front of it (or another app at that URL) asks for a sign-in of its own: point --service-url (or TRAILHOUND_URL) at the service ' +
      'itself, or at a proxy that passes the Authorization header on';
    return { error: `${page()}: ${why}`, status: res.status };
  }
  throw new Error(`${url} answered ${res.status}: ${withoutToken(text, secret).slice(0, 200)}`);
}

export function reportCommand(): Command {
  const choices = (flag: string, text: string, values: readonly string[]) => new Option(flag, text).choices(values);
  const definition = new Command('report')
    .description('print a report: events (grouped counts, series or the events themselves), totals, trails or ingest (--errors: the files it could not read)')
    .argument('<type>', QUERY_TYPES.join(' | '))
    .addOption(new Option('--preset <name>', 'a Common Search').choices(COMMON_SEARCHES.map((s) => s.id)))
    // Defaults in the text only: a default value would override a preset's.
    .addOption(choices('--group-by <dimension>', `group events by (default: ${DEFAULT_QUERY.groupBy})`, GROUP_BYS))
    .addOption(
      choices(
        '--aggregate <bucket>',
        `bucket width of a timeseries (default: ${DEFAULT_QUERY.aggregate}: the range in ${SERIES_ROWS} rows at most, ` +
          'e.g. 12 hours over 14 days, an hour over 2)',
        AGGREGATES
      )
    )
    .addOption(
      choices(
        '--format <format>',
        'events as a table of counts by group, a timeseries of them, a list of the events themselves, or the events as log lines (default: table)',
        FORMATS
      )
    )
    .addOption(choices('--status <status>', `only successful, failed or unauthorized calls (default: ${DEFAULT_QUERY.status})`, STATUSES))
    .addOption(choices('--read-only <which>', `only write or read calls (default: ${DEFAULT_QUERY.readOnly})`, READ_ONLY))
    .addOption(
      choices('--mfa <which>', `only calls made with (used) or without (notUsed) MFA, where the record says (default: ${DEFAULT_QUERY.mfa})`, MFA)
    )
    .addOption(
      choices(
        '--time-field <time>',
        `what --from and --to apply to: when the call was made (event), or when it was stored (arrival) (default: ${DEFAULT_QUERY.timeField})`,
        TIME_FIELDS
      )
    )
    .addOption(
      choices(
        '--service-calls <which>',
        'include or exclude what AWS services did: calls a service made for an identity (invokedBy), calls of the AWSService identity, ' +
          `AWS service events (default: ${DEFAULT_QUERY.serviceCalls})`,
        SERVICE_CALLS
      )
    )
    .option(
      '--peak-window <minutes>',
      "count peaks (table and timeseries): each group's most events made within this many minutes of each other " +
        `(${PEAK_WINDOW.min} to ${PEAK_WINDOW.max}; 0: plain counts)`,
      wholeFlag(BOUNDS.peakWindow)
    )
    .option('--resource-id <id>', 'only events on this resource: an instance id, bucket name, ARN …')
    .option('--region <region>', 'only events in this region, e.g. us-east-1 (repeatable)', collect)
    .option('--service <service>', 'only calls to this service, e.g. ec2 (repeatable)', collect)
    .option('--event-name <name>', 'only this API call, e.g. RunInstances (repeatable)', collect)
    .option('--user <user>', "only this user's calls (repeatable)", collect)
    .option('--source-ip <ip>', 'only calls from this IP address (repeatable)', collect)
    .option('--account <account>', 'only events of this AWS account id (repeatable)', collect)
    .option('--error-code <code>', 'only calls that failed with this code, e.g. AccessDenied (repeatable)', collect)
    .option('--identity-type <type>', 'only callers of this userIdentity.type, e.g. Root, IAMUser, AssumedRole (repeatable)', collect)
    .option(
      '--role <role>',
      "only this role's sessions, e.g. Deployer, AWSReservedSSO_AdministratorAccess_… (an Identity Center permission set's); (none): calls made " +
        'without a role (repeatable)',
      collect
    )
    .option(
      '--permission-set <name>',
      'only the roles of this IAM Identity Center permission set, in every account, e.g. AdministratorAccess; (none): calls made without one ' +
        '(repeatable)',
      collect
    )
    .option(
      '--event-category <category>',
      'only events of this category: Management, Data (S3 object calls, Lambda Invoke …), NetworkActivity or Insight; (unknown): not known ' +
        '(repeatable)',
      collect
    )
    .option(
      '--from <time>',
      "where the report begins: now-7d, now-12h, now-30m (Grafana's relative times: s, m, h, d, w), an ISO time or day " +
        '(2026-11-20T08:00:00Z, 2026-11-20; UTC unless it names a zone) or epoch milliseconds (default: now-14d)'
    )
    .option(
      '--to <time>',
      'where the report ends, written as --from; a day means its midnight, where it begins, so the day is left out ' +
        '(default: now; without --from, the report covers the 14 days before it)'
    )
    .option(
      '--time-zone <zone>',
      "the IANA time zone (Australia/Sydney) whose days and hours a timeseries' buckets are, and the times are printed in (default: UTC)"
    )
    .option('--errors', 'with ingest: the log files it could not read (corrupt, not JSON, no Records), newest first, each with its source and why')
    .option(
      '--limit <n>',
      `top N groups, or events or unreadable files listed (default: ${DEFAULT_QUERY.limit}; ` +
        `${DEFAULT_ERRORS_LIMIT} unreadable files with ingest --errors; at most ${MAX_LIMIT})`,
      wholeFlag(BOUNDS.limit)
    )
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option(
      '--service-url <url>',
      "a running service to ask (env TRAILHOUND_URL). Not given: report reads the database file, and asks a serve at TRAILHOUND_LISTEN's " +
        'address only while it holds the file. Given (a service in Docker, on another host): the service answers, unless --db or ' +
        'TRAILHOUND_DB names a file here',
      env('URL') ?? localServiceUrl(env('LISTEN') ?? DEFAULTS.listen)
    )
    .option('--json', 'print the frames the API returns for this query')
    .action(async (type: string, o: ReportOptions & { serviceUrl: string }, command: Command) => {
      // Exit 1 and the `trailhound: ` prefix, as for a bad flag (commander's) and every other command's errors.
      // The error behind the message, whose stack TRAILHOUND_DEBUG asks for, as main prints every other command's.
      let caught: unknown;
      const fail = (message: string): never => {
        process.stderr.write(`trailhound: ${message}\n`);
        if (process.env.TRAILHOUND_DEBUG && caught instanceof Error) process.stderr.write(`${caught.stack}\n`);
        process.exit(1);
      };
      // With the hint commander gives after its own usage errors.
      if (!(QUERY_TYPES as readonly string[]).includes(type)) {
        fail(`report type "${type}" is not one of ${QUERY_TYPES.join(', ')}${didYouMean(type, QUERY_TYPES)}\n(run 'trailhound report --help' for usage)`);
      }
      if (o.errors && type !== 'ingest') fail(`--errors lists the files ingestion could not read: use it with 'report ingest', not '${type}'`);
      const now = Date.now();
      const { Database, DatabaseLockedError, deniedToThisUser } = lazy.database();
      const { defaultFrom, errorResult, parseRange, Reports } = lazy.reports();
      let result: { frames: Frame[] } | { error: string; status: number };
      let peakMinutes = 0;
      let range: Range | undefined;
      try {
        const query = resolveQuery(queryFromFlags(type, o));
        if (lazy.reportSql().countsPeaks(query)) peakMinutes = query.peakWindow;
        const from = o.from === undefined ? undefined : timeFlag('--from', o.from, now);
        const to = o.to === undefined ? now : timeFlag('--to', o.to, now);
        // The range's own words, "to" must be after "from", name a --to that may not have been given (now).
        if (from !== undefined && to <= from) {
          const end = o.to === undefined ? 'now' : `--to ${o.to}`;
          throw new QueryError('--from', `${o.from} (${minute(from)} UTC) is not before ${end} (${minute(to)} UTC): give a --from before it`);
        }
        range = parseRange(
          { from: from ?? defaultFrom(to), to, timeZone: o.timeZone },
          { from: '--from', to: '--to', range: '--from/--to', timeZone: '--time-zone' }
        );
        const file = dbPath(o.db);
        // A service named by the user (--service-url, TRAILHOUND_URL) answers when there is no file here: one in Docker
        // or on another host keeps its database where this command cannot read it.
        const serviceNamed = command.getOptionValueSource('serviceUrl') === 'cli' || env('URL') !== undefined;
        // Named without a database (--db, TRAILHOUND_DB), it answers even when the default file is here: that one is
        // what an earlier npm start left, not the named service's, and its events would be printed without a word.
        const askNamed = serviceNamed && o.db === undefined && env('DB') === undefined;
        const missing = askNamed ? undefined : missingDatabase(file, o.db);
        if (missing && !serviceNamed) {
          fail(`${missing}; for a service running elsewhere (Docker, another host), give its --service-url (or TRAILHOUND_URL) and TRAILHOUND_TOKEN`);
        }
        let db: Database | undefined;
        // Not this user's to read (a service account's data folder): the service named answers instead.
        let denied = false;
        try {
          if (!missing && !askNamed) db = await Database.open(file, { readOnly: true });
        } catch (err) {
          denied = serviceNamed && deniedToThisUser(err);
          if (!(err instanceof DatabaseLockedError) && !denied) throw err;
          // Held by an ingest (a cron job's) or a prune, which answers no queries: the serve there, if any, is not the
          // one to blame, and may read another database.
          if (err instanceof DatabaseLockedError && err.holder && err.holder !== 'serve' && !serviceNamed) throw err;
        }
        if (db) {
          try {
            // Read-only, the file is not upgraded: one an older version wrote has no arrival times (before schema
            // version 7), no invoked_by (before 8), no role_name (before 10), no permission_set (before 12) or no event_category (before 13) yet.
            const stored = db;
            const lacks = async (column: string) => !(await stored.hasColumn('events', column));
            const older = (field: string, without: string) =>
              new QueryError(
                field,
                `${file} was written by an older Trailhound, without ${without}: run 'trailhound ingest' (or 'trailhound serve') once to upgrade it`
              );
            if (query.timeField === 'arrival' && (await lacks('arrived_at'))) throw older('timeField', 'arrival times');
            if (query.serviceCalls === 'exclude' && (await lacks('invoked_by'))) throw older('serviceCalls', 'which AWS service made each call');
            const listed = query.queryType === 'events' && EVENT_LISTS.includes(query.format);
            if (listed && (await lacks('role_name'))) throw older('format', 'the role of each role session');
            const byPermissionSet = query.groupBy === 'permissionSet' || query.filters.permissionSet?.length;
            if (byPermissionSet && (await lacks('permission_set'))) throw older('permissionSet', 'the permission set of each Identity Center role');
            const byCategory = query.groupBy === 'eventCategory' || query.filters.eventCategory?.length;
            if (byCategory && (await lacks('event_category'))) throw older('eventCategory', 'the category of each event');
            // No service holds the file: every source's last run is news, not only those the last serve read.
            result = { frames: await new Reports(db, undefined, undefined, 'every').frames(query, range, undefined, SERIES_ROWS) };
          } finally {
            db.close();
          }
        } else {
          // fetch's own words for 127.0.0.1:7480 are "Failed to parse URL", for localhost:7480 "unknown scheme".
          endpointUrl(o.serviceUrl, '--service-url (or TRAILHOUND_URL)', `http://${DEFAULTS.listen}`);
          // A token no client can send is an error of its own, not a service that could not be asked.
          const dataDir = path.dirname(path.resolve(file));
          const token = readToken(dataDir);
          // The file is held by a serve, and report found its address itself (TRAILHOUND_LISTEN, or the default).
          const held = !missing && !denied && !serviceNamed;
          try {
            const body = { range, maxDataPoints: SERIES_ROWS, queries: [{ ...withoutDefaults(query), refId: 'A' }] };
            result = await askService(o.serviceUrl, dataDir, token, body, held ? file : undefined);
          } catch (err) {
            caught = err;
            // fetch says only "fetch failed"; its cause says why (connect ECONNREFUSED 127.0.0.1:7480, bad port).
            const cause = (err as Error).cause as NodeJS.ErrnoException | undefined;
            const why = [(err as Error).message, cause?.message || cause?.code].filter(Boolean).join(': ');
            const asked = askNamed
              ? 'asking the service'
              : missing
                ? `there is no database at ${file}, and asking the service`
                : denied
                  ? `this user may not read ${file}, and asking the service`
                  : `${file} is in use by a running 'trailhound serve', and asking it`;
            // Nothing there, most likely: the serve that holds the file was started with a --listen this command was not given.
            if (held) return fail(`${asked} at ${o.serviceUrl} failed (${why}): ${listensElsewhere('it')}; or stop it first.`);
            const instead = askNamed ? ', or give a --db to read a database here' : missing || denied ? '' : ', or stop it first';
            return fail(
              `${asked} at ${o.serviceUrl} failed (${why}). Point --service-url (or TRAILHOUND_URL) and TRAILHOUND_TOKEN at the running service${instead}.`
            );
          }
        }
      } catch (err) {
        caught = err;
        result = errorResult(err instanceof QueryError ? byFlag(err, command) : err);
      }
      if ('error' in result) return fail(result.error);
      if (o.json) return console.log(JSON.stringify(result));
      // Fitted to a terminal; piped (grep, a file), each row whole on its line.
      const zone = range?.timeZone ? { zone: range.timeZone, shown: o.timeZone ?? range.timeZone } : undefined;
      const printed = printFrames(result.frames, peakMinutes, terminalWidth(), zone);
      // Nothing: over which range, which older logs (generated ones, a --since ingest) may lie outside. Totals of no
      // events are a table of zeros, which says no more about the range than an empty report did.
      const nothing = range && noEventsIn(range, o.from === undefined && o.to === undefined);
      const noTotals = type === 'totals' && result.frames[0]?.fields.find((f) => f.name === 'events')?.values[0] === 0;
      console.log(nothing ? sayRange(printed, nothing, noTotals) : printed);
    });
  return withEnvironment(definition, ['TRAILHOUND_TOKEN', 'TRAILHOUND_LISTEN']);
}
