// `trailhound report` as a user runs it: aligned tables, --json frames, presets, mistakes, and a database held by
// a running `serve` (then the report comes from the service).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { queryFromFlags, sayRange, SERIES_ROWS, timeFlag } from '../../src/service/commands/report';
import { Database } from '../../src/service/db/database';
import { startService } from '../../src/service/service';
import { countBy, oracleEventCategory, oracleIsError, oraclePeaks, oraclePermissionSet, oracleRole, oracleUnauthorized, oracleUser } from '../support/oracle';
import { HAS_SCRIPT, runCli, runCliOnTerminal, spawnServe } from '../support/cli';
import { logFile, stratusRecords, writeStratusFolder } from '../support/stratus';
import { tempDir, writeFiles } from '../support/temp';
import { memoryLogger, waitFor } from '../support/watch';
import { refusedUrl } from '../support/net';

const records = stratusRecords().map((x) => x.record);
const SINCE = ['--from', '2000-01-01T00:00:00Z'];
let dir: string;
let db: string;

beforeAll(async () => {
  dir = tempDir();
  db = path.join(dir, 'data', 'trailhound.duckdb');
  writeStratusFolder(path.join(dir, 'logs'));
  const ingested = await runCli(['ingest', '--source', path.join(dir, 'logs'), '--db', db, '--json']);
  expect(ingested.code).toBe(0);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The records are years old: reports look back to 2000 unless a test says otherwise (the last flag wins).
const report = ([type, ...args]: string[], env: NodeJS.ProcessEnv = {}) => runCli(['report', type, '--db', db, ...SINCE, ...args], env);
const table = (frame: any) => Object.fromEntries(frame.fields[0].values.map((g: string, i: number) => [g, frame.fields[1].values[i]]));

test('totals --json: the frames the API returns', async () => {
  const r = await report(['totals', '--json']);
  expect(r.code).toBe(0);
  const { frames } = JSON.parse(r.stdout);
  const got = Object.fromEntries(frames[0].fields.map((f: any) => [f.name, f.values[0]]));
  expect(got).toMatchObject({ events: records.length, errors: records.filter(oracleIsError).length, unauthorized: records.filter(oracleUnauthorized).length });
});

test('events grouped by user, as an aligned table', async () => {
  const r = await report(['events', '--group-by', 'user', '--limit', '5']);
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^user\s+events$/);
  expect(lines[1]).toMatch(/^-+\s+-+$/);
  const column = lines[0].indexOf('events');
  const expected = Object.entries(countBy(records, oracleUser)).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).slice(0, 5);
  expect(lines.slice(2)).toHaveLength(5);
  lines.slice(2).forEach((line, i) => {
    expect(line.slice(0, column).trim()).toBe(expected[i][0]);
    expect(line.slice(column).trim()).toBe(String(expected[i][1]));
    // Right-aligned: each count ends where its heading does.
    expect(line).toHaveLength(lines[0].length);
  });
});

test('--format list: piped, each event whole on its line; on a terminal, fitted to its width with nothing left out', async () => {
  const args = ['events', '--format', 'list', '--status', 'unauthorized', '--limit', '5'];
  const frame = JSON.parse((await report([...args, '--json'])).stdout).frames[0];
  const messages: string[] = frame.fields.find((f: any) => f.name === 'error message').values;
  const ids: string[] = frame.fields.find((f: any) => f.name === 'event id').values;
  expect(messages).toHaveLength(5);
  expect(Math.max(...messages.map((m) => m.length))).toBeGreaterThan(150);
  // Piped (grep, a file): a line an event, the message and id on it whole, however wide.
  const piped = await report(args);
  const lines = piped.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(2 + 5);
  lines.slice(2).forEach((line, i) => {
    expect(line).toContain(messages[i]);
    expect(line.trimEnd().endsWith(ids[i])).toBe(true);
  });
  if (!HAS_SCRIPT) return console.warn("the terminal half of this test SKIPPED: no util-linux 'script' here to make a terminal");
  // On an 80-column terminal: no line wider, each event a record, every character of the message still there.
  const shown = await runCliOnTerminal(['report', ...args, '--db', db, ...SINCE], 80);
  expect(shown.code).toBe(0);
  const printed = shown.output.trimEnd().split('\n');
  expect(Math.max(...printed.map((l) => l.length))).toBeLessThanOrEqual(80);
  expect(printed.filter((l) => /^-\[ \d+ \]$/.test(l))).toHaveLength(5);
  const bare = (text: string) => text.replace(/\s+/g, '');
  for (const message of messages) expect(bare(shown.output)).toContain(bare(`error message ${message} read only`));
  for (const id of ids) expect(printed).toContain(`event id       ${id}`);
});

test('no events match: says over which range, and, when it is the default 14 days, how to set another', async () => {
  // The records are years old: the default range misses them all, as it misses logs generated or ingested for older days.
  const looked = await runCli(['report', 'events', '--db', db]);
  const minute = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d';
  const lastDays = new RegExp(`^\\(no events match in the last 14 days, from ${minute} to ${minute} UTC: --from and --to set another range\\)\\n$`);
  expect([looked.code, looked.stdout]).toEqual([0, expect.stringMatching(lastDays)]);
  const nobody = await report(['events', '--user', 'nobody', '--to', '2026-01-01']);
  expect(nobody.stdout).toBe('(no events match from 2000-01-01 00:00 to 2026-01-01 00:00 UTC)\n');
  // Programs get the frames, as ever: an empty one.
  const frames = JSON.parse((await report(['events', '--user', 'nobody', '--json'])).stdout).frames;
  expect(frames.map((f: any) => f.fields.map((field: any) => field.values))).toEqual([[[], []]]);
  // Totals of nothing are zeros: under them, the same line, not zeros a newcomer takes for a quiet fortnight.
  const totals = await runCli(['report', 'totals', '--db', db]);
  const [table, line] = totals.stdout.split(/\n(?=\()/);
  expect(table).toMatch(/^totals +value\n/);
  expect(table).toMatch(/^events +0$/m);
  expect(`${line}`).toMatch(lastDays);
  expect((await report(['totals', '--to', '2000-01-02'])).stdout).toMatch(/\n\(no events match from 2000-01-01 00:00 to 2000-01-02 00:00 UTC\)\n$/);
  // Totals of some events: the table alone.
  expect((await report(['totals'])).stdout).not.toMatch(/no events match/);
});

test("an empty report with notices under it (a retention's) still says over which range it looked", () => {
  const range = '(no events match from 2020-01-01 00:00 to 2020-01-02 00:00 UTC)';
  const retention = '(Events before 2026-08-30 are pruned: this range reaches back before them)';
  // It printed "(no events match)" and the notice alone.
  expect(sayRange(`(no events match)\n${retention}`, range, false)).toBe(`${range}\n${retention}`);
  expect(sayRange('(no events match)', range, false)).toBe(range);
  expect(sayRange('totals  value\nevents  0', range, true)).toBe(`totals  value\nevents  0\n${range}`);
  expect(sayRange('time  events\n…', range, false)).toBe('time  events\n…');
});

test('--to alone looks at the 14 days before it, not from 14 days before now (which a past --to comes before)', async () => {
  const r = await runCli(['report', 'events', '--db', db, '--user', 'nobody', '--to', '2026-01-01']);
  expect([r.code, r.stdout, r.stderr]).toEqual([0, '(no events match from 2025-12-18 00:00 to 2026-01-01 00:00 UTC)\n', '']);
});

test('events grouped by userAndAccount: a user and an account column, a row for each account a user acted in', async () => {
  const r = await report(['events', '--group-by', 'userAndAccount', '--limit', '5']);
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^user\s+account\s+events$/);
  const rows = lines.slice(2).map((line) => line.trim().split(/\s+/));
  const pairs = countBy(records, (x) => `${oracleUser(x)} ${x.recipientAccountId}`);
  expect(rows).toHaveLength(5);
  for (const [user, account, n] of rows) expect([user, account, Number(n)]).toEqual([user, account, pairs[`${user} ${account}`]]);
  expect(rows.map(([, , n]) => Number(n))).toEqual(Object.values(pairs).sort((a, b) => b - a).slice(0, 5));
});

test('--preset unauthorized with a region filter on top', async () => {
  const region = records.find(oracleUnauthorized)!.awsRegion;
  const r = await report(['events', '--preset', 'unauthorized', '--region', region, '--json']);
  expect(r.code).toBe(0);
  const expected = countBy(records.filter((x) => oracleUnauthorized(x) && x.awsRegion === region), oracleUser);
  expect(table(JSON.parse(r.stdout).frames[0])).toEqual(expected);
});

test('--preset ec2-started-by takes the instance id from --resource-id', async () => {
  const r = await report(['events', '--preset', 'ec2-started-by', '--resource-id', 'i-does-not-exist', '--json']);
  expect(JSON.parse(r.stdout).frames[0].fields[0].values).toEqual([]);
});

test('--preset users-activity without --user, or ips-activity without --source-ip, is refused, not every event reported', async () => {
  const users = await report(['events', '--preset', 'users-activity']);
  expect(users.code).toBe(1);
  expect(users.stdout).toBe('');
  expect(users.stderr).toContain('trailhound: --user: the users-activity preset needs at least one --user, e.g. --preset users-activity --user alice');
  const ips = await report(['events', '--preset', 'ips-activity', '--group-by', 'user']);
  expect(ips.code).toBe(1);
  expect(ips.stderr).toContain('--source-ip: the ips-activity preset needs at least one --source-ip, e.g. --preset ips-activity --source-ip ');
  // Given, the preset reports that user's events only; ec2-started-by without an id lists every launch, as designed.
  const user = oracleUser(records[0]);
  const one = await report(['events', '--preset', 'users-activity', '--user', user, '--json']);
  expect(table(JSON.parse(one.stdout).frames[0])).toEqual({ [user]: records.filter((x) => oracleUser(x) === user).length });
  expect(queryFromFlags('events', { preset: 'ec2-started-by' })).toMatchObject({ resourceId: '', filters: { eventName: ['RunInstances', 'StartInstances'] } });
});

test('a timeseries prints one column per group, its counts right-aligned', async () => {
  const r = await report([
    'events', '--format', 'timeseries', '--aggregate', 'day', '--group-by', 'none', '--from', '2100-01-01T00:00:00Z', '--to', '2100-01-03T00:00:00Z',
  ]);
  expect(r.stdout.trimEnd().split('\n'))
    .toEqual(['time              events', '----------------  ------', '2100-01-01 00:00       0', '2100-01-02 00:00       0']);
});

test('--time-zone: a day is its day, printed on its wall clock under a heading that names it; a zone it does not know is refused', async () => {
  // Two UTC days are parts of three of Sydney's (11 hours ahead in its January).
  const r = await report([
    'events', '--format', 'timeseries', '--aggregate', 'day', '--group-by', 'none', '--from', '2100-01-01T00:00:00Z', '--to', '2100-01-03T00:00:00Z',
    '--time-zone', 'Australia/Sydney',
  ]);
  const [heading, , ...rows] = r.stdout.trimEnd().split('\n');
  expect(heading).toMatch(/^time \(Australia\/Sydney\)\s+events$/);
  expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([['2100-01-01 00:00', '0'], ['2100-01-02 00:00', '0'], ['2100-01-03 00:00', '0']]);
  // An event's time too: Kolkata is 5 h 30 ahead.
  const [first] = [...records].sort((x, y) => Date.parse(y.eventTime) - Date.parse(x.eventTime));
  const list = await report(['events', '--format', 'list', '--limit', '1', '--time-zone', 'Asia/Kolkata']);
  expect(list.stdout.split('\n')[0]).toMatch(/^time \(Asia\/Kolkata\)/);
  const local = new Date(Date.parse(first.eventTime) + 5.5 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
  expect(list.stdout.split('\n')[2].startsWith(local)).toBe(true);
  const bad = await report(['totals', '--time-zone', 'Australia/Sidney']);
  expect([bad.code, bad.stderr.trim()]).toEqual([
    1, 'trailhound: --time-zone: "Australia/Sidney" is not a time zone: use an IANA name such as Europe/Berlin, or UTC (did you mean Australia/Sydney?)',
  ]);
});

test("--from and --to take Grafana's relative times, counted from one now; the API is sent the times they come to", () => {
  const now = Date.UTC(2026, 10, 26, 12, 0);
  expect(timeFlag('--to', 'now', now)).toBe(now);
  expect(timeFlag('--from', 'now-7d', now)).toBe(Date.UTC(2026, 10, 19, 12, 0));
  expect(timeFlag('--from', 'now-12h', now)).toBe(Date.UTC(2026, 10, 26, 0, 0));
  expect(timeFlag('--from', 'now-30m', now)).toBe(Date.UTC(2026, 10, 26, 11, 30));
  expect(timeFlag('--from', 'now-2w', now)).toBe(Date.UTC(2026, 10, 12, 12, 0));
  expect(timeFlag('--from', 'now-90s', now)).toBe(now - 90_000);
  // What the API takes, as it takes it.
  expect(timeFlag('--from', '2026-11-20', now)).toBe(Date.UTC(2026, 10, 20));
  expect(timeFlag('--from', '1763625600000', now)).toBe(1763625600000);
  // Answered for the part within 1970 to 9999, as the API answers such a range.
  expect(timeFlag('--from', 'now-9999999d', now)).toBe(0);
  expect(timeFlag('--from', '1926-11-29', now)).toBe(0);
  expect(timeFlag('--to', '99999999999999999', now)).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
});

test('relative --from and --to, as a user runs them: the range printed is the one asked for', async () => {
  const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const before = Date.now();
  const r = await report(['events', '--user', 'nobody', '--from', 'now-7d', '--to', 'now-12h']);
  const after = Date.now();
  expect(r.stderr).toBe('');
  const m = /^\(no events match from (.+) to (.+) UTC\)\n$/.exec(r.stdout)!;
  expect([minute(before - 7 * 86_400_000), minute(after - 7 * 86_400_000)]).toContain(m[1]);
  expect([minute(before - 12 * 3_600_000), minute(after - 12 * 3_600_000)]).toContain(m[2]);
});

test(`a timeseries with aggregate auto (the default) fits the range in ${SERIES_ROWS} rows at most: 12 hours over 14 days, an hour over 2`, async () => {
  const series = async (...args: string[]) => {
    const r = await report(['events', '--format', 'timeseries', '--group-by', 'none', '--json', ...args]);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout).frames[0].fields[0].values as number[];
  };
  const step = (times: number[]) => times[1] - times[0];
  const fortnight = await series('--from', '2100-01-01', '--to', '2100-01-15');
  expect([fortnight.length, step(fortnight)]).toEqual([28, 12 * 3_600_000]);
  const twoDays = await series('--from', '2100-01-01', '--to', '2100-01-03');
  expect([twoDays.length, step(twoDays)]).toEqual([48, 3_600_000]);
  // Given, the bucket is the one asked for.
  const daily = await series('--from', '2100-01-01', '--to', '2100-01-15', '--aggregate', 'day');
  expect([daily.length, step(daily)]).toEqual([14, 86_400_000]);
  const hourly = await series('--from', '2100-01-01', '--to', '2100-01-15', '--aggregate', 'hour');
  expect(hourly.length).toBe(14 * 24);
});

test('--from and --to without a zone are UTC, as stored times are, whatever the host’s time zone', async () => {
  const times = records.map((x) => Date.parse(x.eventTime));
  const within = (from: number) => times.filter((t) => t >= from && t < from + 60_000).length;
  // A minute with events whose New York reading (4 or 5 hours later) counts differently.
  const from = times.map((t) => t - (t % 60_000)).find((m) => within(m) !== within(m + 4 * 3_600_000) && within(m) !== within(m + 5 * 3_600_000))!;
  const plain = (ms: number) => new Date(ms).toISOString().slice(0, 19); // 2026-11-20T10:05:00
  const r = await report(['totals', '--json', '--from', plain(from), '--to', plain(from + 60_000)], { TZ: 'America/New_York' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout).frames[0].fields.find((f: any) => f.name === 'events').values).toEqual([within(from)]);
});

/** What a --peak-window that is not a whole number of minutes from 0 to 1440 is told, quoting it as typed. */
const peakRefused = (value: string) =>
  new RegExp(
    `^trailhound: option '--peak-window <minutes>' argument '${value.replace(/\./g, '\\.')}' is invalid\\. ` +
      'expected a whole number from 1 to 1440 \\(a day\\), or 0 for plain counts$',
    'm'
  );

test.each([
  [['events', '--group-by', 'colour'], /--group-by.*colour.*invalid/],
  // Named by the flag that was given, not by the query model's field (range.to); commander's own words for a whole-number flag, as other commands'.
  [['events', '--limit', 'lots'], /^trailhound: option '--limit <n>' argument 'lots' is invalid\. expected a whole number, 1 or more, in decimal digits$/m],
  [['events', '--limit', '0'], /^trailhound: option '--limit <n>' argument '0' is invalid\. expected a whole number, 1 or more/m],
  [['events', '--limit', '10001'], /^trailhound: option '--limit <n>' argument '10001' is invalid\. expected a whole number from 1 to 10000 \(/m],
  // A fraction is refused however many digits it has: Number() reads this one as 10000.
  [['events', '--limit', '10000.0000000000000001'], /^trailhound: option '--limit <n>' argument '10000\.0{15}1' is invalid\. expected a whole number/m],
  [['events', '--limit', '5.5'], /^trailhound: option '--limit <n>' argument '5\.5' is invalid\. expected a whole number/m],
  [['events', '--group-by', 'users'], /^trailhound: option '--group-by <dimension>' argument 'users' is invalid/m],
  [['events', '--to', 'soon'], /^trailhound: --to: "soon" is not a time: use now, now-7d, now-12h or now-30m \(s, m, h, d, w\), an ISO time/m],
  // A bare duration could be ago or ahead: Grafana's syntax says which.
  [['events', '--from', '7d'], /^trailhound: --from: "7d" is not a time \(did you mean now-7d\?\): use now, now-7d/m],
  // Grafana's months and years have no fixed length: not taken.
  [['events', '--from', 'now-1M'], /^trailhound: --from: "now-1M" is not a time: use now/m],
  [['events', '--from', 'now-7 d'], /^trailhound: --from: "now-7 d" is not a time: use now/m],
  // In the form of the example, but no day: what is wrong, not the forms again.
  [['events', '--from', '2026-11-31'], /^trailhound: --from: "2026-11-31" is not a time: the calendar has no 2026-11-31$/m],
  // Past 1970 to 9999 on the side that leaves no time to answer for (the other side is cut to it, as the API's range is).
  [['events', '--to', 'now-9999999d'], /^trailhound: --to: "now-9999999d" is not after 1970-01-01, the earliest time the service can answer for$/m],
  [['events', '--to', '1970-01-01'], /^trailhound: --to: "1970-01-01" is not after 1970-01-01, the earliest time/m],
  [['events', '--from', '99999999999999999'], /^trailhound: --from: "99999999999999999" is after 9999-12-31, the last time the service can answer for$/m],
  [['events', '--from', '+020000-01-01', '--to', '+020000-01-02'], /^trailhound: --from: "\+020000-01-01" is not a time/m],
  // Both ends, as given and as read: a --to not given is now.
  [
    ['events', '--from', '2026-11-20T00:00:00Z', '--to', '2026-11-19'],
    /^trailhound: --from: 2026-11-20T00:00:00Z \(2026-11-20 00:00 UTC\) is not before --to 2026-11-19 \(2026-11-19 00:00 UTC\): give a --from before it$/m,
  ],
  [
    ['events', '--from', '9999-01-01'],
    /^trailhound: --from: 9999-01-01 \(9999-01-01 00:00 UTC\) is not before now \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): give a --from before it$/m,
  ],
  [['everything'], /^trailhound: report type "everything" is not one of events, totals, trails, ingest\n\(run 'trailhound report --help' for usage\)\n$/],
  // A letter short (or in capitals): the type meant is named, as commander names a mistyped command or flag.
  [['total'], /^trailhound: report type "total" is not one of events, totals, trails, ingest \(did you mean totals\?\)\n/],
  [['Events'], /^trailhound: report type "Events" is not one of events, totals, trails, ingest \(did you mean events\?\)\n/],
  [['events', '--time-field', 'received'], /^trailhound: option '--time-field <time>' argument 'received' is invalid. Allowed choices are event, arrival/m],
  [['events', '--service-calls', 'none'], /^trailhound: option '--service-calls <which>' argument 'none' is invalid. Allowed choices are include, exclude/m],
  [['events', '--peak-window', '2000'], peakRefused('2000')],
  [['events', '--peak-window', '30m'], peakRefused('30m')],
  // Number() reads 0x10 as 16; the API refuses it as text, so the flag does too.
  [['events', '--peak-window', '0x10'], peakRefused('0x10')],
  [['events', '--peak-window', '30.0000000000000001'], peakRefused('30.0000000000000001')],
  [['events', '--limit', '0x10'], /^trailhound: option '--limit <n>' argument '0x10' is invalid\. expected a whole number, 1 or more, in decimal digits$/m],
])('%j fails with a clear message, and exits 1 as every command does for an error', async (args, message) => {
  const r = await report(args);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});

test("--service-calls sets the query's serviceCalls, on top of a preset too; include is the default", async () => {
  expect(queryFromFlags('events', { serviceCalls: 'exclude' }).serviceCalls).toBe('exclude');
  expect(queryFromFlags('events', { preset: 'unauthorized', serviceCalls: 'exclude' }))
    .toMatchObject({ groupBy: 'user', status: 'unauthorized', serviceCalls: 'exclude' });
  expect(queryFromFlags('events', {}).serviceCalls).toBeUndefined();
  // The Stratus Red Team records have no service calls: a file of its own has one, a call AWS Support made for root.
  const own = path.join(dir, 'service-calls');
  const ownDb = path.join(own, 'db.duckdb');
  const call = { eventTime: '2024-01-01T00:00:00Z', eventName: 'DescribeCases', eventSource: 'support.amazonaws.com' };
  writeFiles(path.join(own, 'logs'), {
    'calls.json.gz': logFile([
      { ...call, eventID: 'by-alice', userIdentity: { type: 'IAMUser', userName: 'alice' } },
      { ...call, eventID: 'by-support', userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', invokedBy: 'support.amazonaws.com' } },
    ]),
  });
  expect((await runCli(['ingest', '--source', path.join(own, 'logs'), '--db', ownDb, '--days', '36500', '--json'])).code).toBe(0);
  const run = async (...args: string[]) => {
    const r = await runCli(['report', 'events', '--db', ownDb, ...SINCE, '--group-by', 'user', ...args, '--json']);
    expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
    return table(JSON.parse(r.stdout).frames[0]);
  };
  expect(await run()).toEqual({ alice: 1, root: 1 });
  expect(await run('--service-calls', 'include')).toEqual({ alice: 1, root: 1 });
  expect(await run('--service-calls', 'exclude')).toEqual({ alice: 1 });
});

test("--peak-window sets the query's peakWindow: each user's most refused calls within that many minutes of each other", async () => {
  expect(queryFromFlags('events', { preset: 'unauthorized', peakWindow: 30 })).toMatchObject({ status: 'unauthorized', peakWindow: 30 });
  expect(queryFromFlags('events', {}).peakWindow).toBeUndefined();
  const r = await report(['events', '--group-by', 'user', '--status', 'unauthorized', '--peak-window', '5', '--json']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const refused = records.filter(oracleUnauthorized);
  const peaks = oraclePeaks(refused, { groups: (x) => [oracleUser(x)], inRange: () => true, bucket: () => 0, windowMs: 5 * 60_000 });
  const expected = Object.fromEntries([...peaks].map(([user, buckets]) => [user, buckets.get(0)]));
  expect(table(JSON.parse(r.stdout).frames[0])).toEqual(expected);
  // Peaks, not totals: some user made more refused calls than fall within five minutes.
  expect(Object.entries(countBy(refused, oracleUser)).some(([user, n]) => n > expected[user]!)).toBe(true);
});

test('the printed column of peaks is headed as peaks, not as events', async () => {
  const heading = async (...args: string[]) => (await report(['events', '--status', 'unauthorized', ...args])).stdout.split('\n')[0].trim().split(/\s{2,}/);
  expect(await heading('--group-by', 'user', '--peak-window', '5')).toEqual(['user', 'peak (5 min)']);
  expect(await heading('--group-by', 'none', '--format', 'timeseries', '--aggregate', 'day', '--peak-window', '30')).toEqual(['time', 'peak (30 min)']);
  // Plain counts, and list rows, as before; --peak-window 0 asks for them.
  expect(await heading('--group-by', 'user')).toEqual(['user', 'events']);
  expect(await heading('--group-by', 'user', '--peak-window', '0')).toEqual(['user', 'events']);
  expect(await heading('--group-by', 'none', '--format', 'timeseries', '--aggregate', 'day')).toEqual(['time', 'events']);
});

test('--identity-type filters on userIdentity.type, on top of a preset too: the root identity, not an IAM user named root', async () => {
  expect(queryFromFlags('events', { preset: 'unauthorized', identityType: ['Root'] }))
    .toMatchObject({ status: 'unauthorized', filters: { identityType: ['Root'] } });
  const types = ['IAMUser', 'FederatedUser'];
  const r = await report(['events', '--group-by', 'user', '--identity-type', types[0], '--identity-type', types[1], '--json']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(table(JSON.parse(r.stdout).frames[0])).toEqual(countBy(records.filter((x) => types.includes(x.userIdentity?.type)), oracleUser));
  // The Stratus Red Team records have no root identity: a file of its own has root, an IAM user named root, and a
  // record without userIdentity.
  const own = path.join(dir, 'identity-types');
  const ownDb = path.join(own, 'db.duckdb');
  const call = { eventTime: '2024-01-01T00:00:00Z', eventSource: 'iam.amazonaws.com' };
  writeFiles(path.join(own, 'logs'), {
    'calls.json.gz': logFile([
      { ...call, eventID: 'by-root', eventName: 'CreateAccessKey', userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root' } },
      { ...call, eventID: 'by-user-root', eventName: 'ListUsers',
        userIdentity: { type: 'IAMUser', userName: 'root', arn: 'arn:aws:iam::111122223333:user/root' } },
      { ...call, eventID: 'by-nobody', eventName: 'GetAccountSummary' },
    ]),
  });
  expect((await runCli(['ingest', '--source', path.join(own, 'logs'), '--db', ownDb, '--days', '36500', '--json'])).code).toBe(0);
  const run = async (...args: string[]) => {
    const r = await runCli(['report', 'events', '--db', ownDb, ...SINCE, '--group-by', 'eventName', ...args, '--json']);
    expect([args, r.code, r.stderr]).toEqual([args, 0, '']);
    return table(JSON.parse(r.stdout).frames[0]);
  };
  expect(await run('--user', 'root')).toEqual({ CreateAccessKey: 1, ListUsers: 1 });
  expect(await run('--identity-type', 'Root')).toEqual({ CreateAccessKey: 1 });
  expect(await run('--identity-type', 'IAMUser')).toEqual({ ListUsers: 1 });
  expect(await run('--identity-type', 'Unknown')).toEqual({ GetAccountSummary: 1 });
});

test('--role (repeatable) filters on the role of a role session, "(none)" on the calls through none; --group-by role counts both', async () => {
  expect(queryFromFlags('events', { preset: 'unauthorized', role: ['Deployer'] })).toMatchObject({ status: 'unauthorized', filters: { role: ['Deployer'] } });
  const roleOf = (x: (typeof records)[number]) => oracleRole(x) ?? '(none)';
  const byRole = await report(['events', '--group-by', 'role', '--limit', '100', '--json']);
  expect([byRole.code, byRole.stderr]).toEqual([0, '']);
  const counts = countBy(records, roleOf);
  expect(table(JSON.parse(byRole.stdout).frames[0])).toEqual(counts);
  const [role] = Object.keys(counts).filter((k) => k !== '(none)');
  const r = await report(['events', '--group-by', 'user', '--role', role, '--role', '(none)', '--limit', '100', '--json']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const expected = countBy(records.filter((x) => [role, '(none)'].includes(roleOf(x))), oracleUser);
  expect(table(JSON.parse(r.stdout).frames[0])).toEqual(expected);
  expect(Object.keys(expected).length).toBeGreaterThan(1);
});

test('--permission-set (repeatable) filters on the permission set, "(none)" on the calls through none; --group-by permissionSet counts both', async () => {
  expect(queryFromFlags('events', { preset: 'unauthorized', permissionSet: ['AdministratorAccess'] })).toMatchObject({
    status: 'unauthorized', filters: { permissionSet: ['AdministratorAccess'] },
  });
  const setOf = (x: (typeof records)[number]) => oraclePermissionSet(x) ?? '(none)';
  const bySet = await report(['events', '--group-by', 'permissionSet', '--limit', '100', '--json']);
  expect([bySet.code, bySet.stderr]).toEqual([0, '']);
  const counts = countBy(records, setOf);
  expect(table(JSON.parse(bySet.stdout).frames[0])).toEqual(counts);
  const [set] = Object.keys(counts).filter((k) => k !== '(none)');
  const r = await report(['events', '--group-by', 'user', '--permission-set', set, '--permission-set', '(none)', '--limit', '100', '--json']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  expect(table(JSON.parse(r.stdout).frames[0])).toEqual(countBy(records.filter((x) => [set, '(none)'].includes(setOf(x))), oracleUser));
});

test('--event-category (repeatable) keeps management or data events; --group-by eventCategory counts them', async () => {
  expect(queryFromFlags('events', { eventCategory: ['Management'] })).toMatchObject({ filters: { eventCategory: ['Management'] } });
  const byCategory = await report(['events', '--group-by', 'eventCategory', '--json']);
  expect([byCategory.code, byCategory.stderr]).toEqual([0, '']);
  expect(table(JSON.parse(byCategory.stdout).frames[0])).toEqual(countBy(records, oracleEventCategory));
  // The Stratus records are management events, every one.
  const byService = async (category: string) => {
    const r = await report(['events', '--group-by', 'service', '--event-category', category, '--limit', '100', '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    return table(JSON.parse(r.stdout).frames[0]);
  };
  expect(await byService('Management')).toEqual(countBy(records, (x) => x.eventSource.replace(/\.amazonaws\.com$/, '')));
  expect(await byService('Data')).toEqual({});
});

test('--time-field arrival counts what was stored in the range: a call made two hours ago, stored just now', async () => {
  const own = path.join(dir, 'arrival');
  const made = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const ownDb = path.join(own, 'db.duckdb');
  // The source's first run (an empty folder) is its first load of history; the late call comes after it.
  fs.mkdirSync(path.join(own, 'logs'), { recursive: true });
  expect((await runCli(['ingest', '--source', path.join(own, 'logs'), '--db', ownDb, '--json'])).code).toBe(0);
  writeFiles(path.join(own, 'logs'), {
    'late.json.gz': logFile([{ eventID: 'late-1', eventTime: made, eventName: 'GetObject', eventSource: 's3.amazonaws.com' }]),
  });
  expect((await runCli(['ingest', '--source', path.join(own, 'logs'), '--db', ownDb, '--json'])).code).toBe(0);
  const lastHour = (timeField: string) =>
    runCli([
      'report', 'events', '--db', ownDb, '--group-by', 'none', '--from', new Date(Date.now() - 3_600_000).toISOString(),
      '--time-field', timeField, '--json',
    ]);
  expect(table(JSON.parse((await lastHour('arrival')).stdout).frames[0])).toEqual({ all: 1 });
  expect(table(JSON.parse((await lastHour('event')).stdout).frames[0])).toEqual({});
});

test('ingest: every source whose last run failed, not only those the last serve read', async () => {
  const own = path.join(dir, 'served');
  const ownDb = path.join(own, 'db.duckdb');
  const event = { eventID: 'served-1', eventTime: '2026-11-20T08:00:00Z', eventName: 'GetObject' };
  const served = writeFiles(path.join(own, 'logs'), { 'a.json.gz': logFile([event]) });
  const d = await Database.open(ownDb);
  const service = startService({ db: d, sources: [served], logger: memoryLogger().logger, pollIntervalMs: 3_600_000 });
  await waitFor('the first poll', async () => service.lastPoll ?? undefined);
  await service.stop();
  d.close();
  // Since that serve: a run of a source it did not read, which failed (its S3 endpoint does not answer).
  const endpoint = await refusedUrl();
  const aws = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  expect((await runCli(['ingest', '--source', 's3://other', '--s3-endpoint', endpoint, '--db', ownDb], aws)).code).toBe(1);
  const r = await runCli(['report', 'ingest', '--db', ownDb]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^last poll error +s3://other/: cannot reach the S3 endpoint ${endpoint} `, 'm'));
  // A later good run: that one-off source is no longer the report's news (it is not one the service reads).
  expect((await runCli(['ingest', '--source', served, '--db', ownDb])).code).toBe(0);
  expect((await runCli(['report', 'ingest', '--db', ownDb])).stdout).toMatch(/^last poll error *$/m);
}, 60_000);

// Each field that needs a column a newer version added, with the version before it, and the same report without it.
test.each([
  { flag: ['--time-field', 'arrival'], column: 'arrived_at', version: '6', field: '--time-field', without: 'arrival times', asBefore: [] as string[] },
  {
    flag: ['--service-calls', 'exclude'],
    column: 'invoked_by',
    version: '7',
    field: '--service-calls',
    without: 'which AWS service made each call',
    asBefore: ['--service-calls', 'include'],
  },
  {
    flag: ['--format', 'list'], column: 'role_name', version: '9', field: '--format', without: 'the role of each role session',
    asBefore: ['--format', 'table'],
  },
  {
    flag: ['--group-by', 'permissionSet', '--permission-set', 'ReadOnly'],
    column: 'permission_set',
    version: '11',
    field: '--permission-set',
    without: 'the permission set of each Identity Center role',
    asBefore: ['--group-by', 'role'],
  },
  {
    flag: ['--event-category', 'Data'],
    column: 'event_category',
    version: '12',
    field: '--event-category',
    without: 'the category of each event',
    asBefore: [],
  },
])('$flag on a file version $version wrote (report reads it as it is): says what to run', async ({ flag, column, version, field, without, asBefore }) => {
  const old = path.join(dir, `old-${version}`, 'db.duckdb');
  // As that version left it: without the column.
  const d = await Database.open(old);
  await d.run(`ALTER TABLE events DROP COLUMN ${column}; UPDATE meta SET value = '${version}' WHERE key = 'schema_version'`);
  d.close();
  const r = await runCli(['report', 'events', '--db', old, ...flag]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    new RegExp(`^trailhound: ${field}: .*db\\.duckdb was written by an older Trailhound, without ${without}: run 'trailhound ingest'`, 'm')
  );
  // Without the field, it answers as before.
  expect((await runCli(['report', 'events', '--db', old, ...asBefore])).code).toBe(0);
});

test('no database yet: says what to run', async () => {
  const r = await runCli(['report', 'totals', '--db', path.join(dir, 'none', 'x.duckdb')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/there is no database at .*x\.duckdb: check --db, or run 'trailhound ingest' \(or 'trailhound serve'\) with that --db first/);
  // A service elsewhere (Docker) is asked only when named: the message says how.
  expect(r.stderr).toMatch(/for a service running elsewhere \(Docker, another host\), give its --service-url \(or TRAILHOUND_URL\) and TRAILHOUND_TOKEN/);
});

test('report --help on an 80-column terminal: each filter says what it keeps, and --service-url when the service answers', async () => {
  if (!HAS_SCRIPT) return console.warn("this test SKIPPED: no util-linux 'script' here to make a terminal");
  const help = await runCliOnTerminal(['report', '--help'], 80);
  expect(help.code).toBe(0);
  const lines = help.output.trimEnd().split('\n');
  expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  // Each option's text, its wrapped lines joined: "  --flag <value>   text", then lines indented under the text.
  const texts = new Map<string, string>();
  let flag: string | undefined;
  for (const line of lines) {
    const option = /^ {2}(--[a-z-]+)(?: <[a-z]+>)?\s+(.*)$/.exec(line);
    if (option) [, flag] = option;
    if (option && flag) texts.set(flag, option[2]);
    else if (flag && /^ {20,}\S/.test(line)) texts.set(flag, `${texts.get(flag)} ${line.trim()}`);
    else flag = undefined;
  }
  const filters = [
    ...['--resource-id', '--region', '--service', '--event-name', '--user', '--source-ip', '--account', '--error-code', '--identity-type'],
    ...['--role', '--permission-set', '--event-category'],
  ];
  for (const filter of filters) expect(`${filter}: ${texts.get(filter)}`).toMatch(new RegExp(`^${filter}: only `));
  const serviceUrl = [
    'a running service to ask (env TRAILHOUND_URL).',
    "Not given: report reads the database file, and asks a serve at TRAILHOUND_LISTEN's address only while it holds the file.",
    'Given (a service in Docker, on another host): the service answers, unless --db or TRAILHOUND_DB names a file here',
  ];
  expect(texts.get('--service-url')).toContain(serviceUrl.join(' '));
});

test('a --service-url (or TRAILHOUND_URL) without http:// says what to give, not fetch\'s "Failed to parse URL" or "unknown scheme"', async () => {
  const none = path.join(dir, 'none', 'x.duckdb');
  for (const [args, env] of [[['--service-url', '127.0.0.1:7480'], {}], [[], { TRAILHOUND_URL: 'localhost:7480' }]] as const) {
    const r = await runCli(['report', 'totals', '--db', none, ...args], env);
    const given = args[1] ?? env.TRAILHOUND_URL;
    const expected = `trailhound: --service-url (or TRAILHOUND_URL) ${given}: expected an http:// or https:// URL, e.g. http://127.0.0.1:7480\n`;
    expect([r.code, r.stderr]).toEqual([1, expected]);
  }
});

test('TRAILHOUND_DEBUG prints the stack trace of a failing report too, as of every other command', async () => {
  const args = ['report', 'totals', '--db', path.join(dir, 'none', 'x.duckdb'), '--service-url', await refusedUrl()];
  const quiet = await runCli(args);
  expect([quiet.code, quiet.stderr])
    .toEqual([1, expect.stringMatching(/^trailhound: there is no database at .*, and asking the service at .* failed[^\n]*\n$/)]);
  const debug = await runCli(args, { TRAILHOUND_DEBUG: '1' });
  expect(debug.code).toBe(1);
  expect(debug.stderr).toMatch(/^trailhound: there is no database at .*\n(TypeError: )?fetch failed\n\s+at /);
  const bad = await runCli(['report', 'events', '--db', db, '--from', 'yesterday'], { TRAILHOUND_DEBUG: '1' });
  expect(bad.stderr).toMatch(/^trailhound: --from: "yesterday" is not a time[^\n]*\n\S*Error: [^\n]*\n\s+at /);
});

test('a service named on a host that looks public over plain http: a warning that the token crosses the network readable; none on loopback', async () => {
  const none = path.join(dir, 'none', 'x.duckdb');
  const env = { TRAILHOUND_TOKEN: 'remote-token-1234567890' };
  const remote = await runCli(['report', 'totals', '--db', none, '--service-url', 'http://trailhound.invalid:7480'], env);
  expect(remote.code).toBe(1);
  const warned = /^trailhound: warning: http:\/\/trailhound\.invalid:7480 looks public, asked over plain http: the bearer token .* use https/m;
  expect(remote.stderr).toMatch(warned);
  const local = await runCli(['report', 'totals', '--db', none, '--service-url', await refusedUrl()], env);
  expect(local.code).toBe(1);
  expect(local.stderr).not.toMatch(/warning/);
});

test('the token is never printed: a proxy echoing the request\'s headers has it replaced; one no client can send is refused unrepeated', async () => {
  const none = path.join(dir, 'none', 'x.duckdb');
  const echo = http.createServer((req, res) => {
    const status = req.url === '/opening/api/query' ? 503 : 502;
    const error = `bad gateway; you sent authorization: ${req.headers.authorization}`;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, headers: req.headers }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
  try {
    // A short token: only the header is replaced, not the same letters in other words.
    for (const token of ['echoed-secret-token-1234', 'short1']) {
      for (const route of ['', '/opening']) {
        const r = await runCli(['report', 'totals', '--db', none, '--service-url', `${url}${route}`], { TRAILHOUND_TOKEN: token });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('authorization: Bearer <token>');
        expect(r.stderr).not.toContain(token);
      }
    }
    // fetch refuses such a header with an error that quotes it; the plugin's settings refuse such a token too. (An
    // environment cannot hold NUL.)
    for (const token of ['line\nbreak-secret-token', 'non-ascii-€-secret-token', 'a space-secret-token']) {
      const r = await runCli(['report', 'totals', '--db', none, '--service-url', url], { TRAILHOUND_TOKEN: token });
      expect(r.code).toBe(1);
      // Said alone: the service is not what failed.
      expect(r.stderr).toMatch(
        /^trailhound: TRAILHOUND_TOKEN holds spaces, line breaks or non-ASCII characters, which no client can send as a bearer token: set it/
      );
      expect(r.stderr).not.toMatch(/asking the service|Point --service-url/);
      expect(r.stderr).not.toContain('secret-token');
    }
  } finally {
    await new Promise((resolve) => echo.close(resolve));
  }
});

test('a 2xx answer that is not the service\'s (a sign-in page answered with 200, another app\'s JSON) is quoted as not the service\'s', async () => {
  const none = path.join(dir, 'none', 'x.duckdb');
  const other = http.createServer((req, res) => {
    if (req.url === '/json/api/query') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
  try {
    for (const [route, body] of [['', '<html><body>Sign in</body></html>'], ['/json', '{"ok":true}']]) {
      const r = await runCli(['report', 'totals', '--db', none, '--service-url', `${url}${route}`], { TRAILHOUND_TOKEN: 'some-token-1234567890' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${url}${route} answered 200: ${body}`);
      expect(r.stderr).not.toMatch(/Unexpected token|is not valid JSON|Cannot read properties/);
    }
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('while serve holds the file, the report comes from the running service; unreachable, a clear message', async () => {
  const args = ['--source', path.join(dir, 'logs'), '--db', db, '--listen', '127.0.0.1:0', '--poll-interval', '3600'];
  const serve = await spawnServe(args, { TRAILHOUND_TOKEN: 'cli-test-token' });
  try {
    const url = serve.url;
    const env = { TRAILHOUND_TOKEN: 'cli-test-token' };
    const viaService = await report(['totals', '--json', '--service-url', url], env);
    expect(viaService.stderr).toBe('');
    expect(JSON.parse(viaService.stdout).frames[0].fields.find((f: any) => f.name === 'events').values).toEqual([records.length]);
    // The service fits a time series to the same rows as a report that reads the file.
    const fortnight = await report(
      ['events', '--format', 'timeseries', '--group-by', 'none', '--from', '2100-01-01', '--to', '2100-01-15', '--json', '--service-url', url],
      env
    );
    expect(JSON.parse(fortnight.stdout).frames[0].fields[0].values).toHaveLength(28);
    // Found from serve's own listen address too, when that names every interface.
    const port = new URL(url).port;
    const viaListen = await report(['totals', '--json'], { ...env, TRAILHOUND_LISTEN: `:${port}` });
    expect(viaListen.stderr).toBe('');
    expect(JSON.parse(viaListen.stdout).frames[0].fields.find((f: any) => f.name === 'events').values).toEqual([records.length]);

    // No file here (a service in Docker keeps it in its volume): a service named by --service-url or TRAILHOUND_URL answers.
    const elsewhere = ['report', 'totals', '--json', ...SINCE, '--db', path.join(dir, 'not-here', 'trailhound.duckdb')];
    for (const named of [['--service-url', url], []]) {
      const remote = await runCli([...elsewhere, ...named], { ...env, ...(named.length === 0 && { TRAILHOUND_URL: url }) });
      expect([named, remote.stderr]).toEqual([named, '']);
      expect(JSON.parse(remote.stdout).frames[0].fields.find((f: any) => f.name === 'events').values).toEqual([records.length]);
    }
    const down = await runCli([...elsewhere, '--service-url', 'http://127.0.0.1:1'], env);
    expect(down.stderr).toMatch(
      /^trailhound: there is no database at .*not-here.*, and asking the service at http:\/\/127\.0\.0\.1:1 failed \(fetch failed: bad port\)/
    );

    const unreachable = await report(['totals', '--service-url', 'http://127.0.0.1:1'], env);
    expect(unreachable.code).toBe(1);
    // Why, not only fetch's "fetch failed".
    expect(unreachable.stderr).toMatch(/is in use by a running 'trailhound serve', and asking it at http:\/\/127\.0\.0\.1:1 failed \(fetch failed: bad port\)/);
    expect(unreachable.stderr).toMatch(/Point --service-url \(or TRAILHOUND_URL\) and TRAILHOUND_TOKEN at the running service/);

    // The other commands cannot ask it: each says what it can do instead (serve ingests and prunes itself; report asks it).
    // The serve named by its PID, as its command line says.
    const held = `trailhound: The database ${path.resolve(db)} is in use by a running 'trailhound serve' (PID ${serve.child.pid}). `;
    const others: Array<[string[], string]> = [
      [['ingest', '--source', path.join(dir, 'logs')],
        'It ingests into this database itself, polling its sources: to read this one too, restart it with this --source'],
      [['prune', '--retention-days', '30'], 'It prunes this database itself, hourly, when started with --retention-days (or TRAILHOUND_RETENTION_DAYS)'],
      [['trails', 'list'], "Ask it instead: 'trailhound report trails' prints the same List of Trails, through its API. Or stop it first."],
      [['trails', 'sync'], 'It reads the trails into this database itself, hourly, when it polls an S3 source. To sync now, stop it first.'],
    ];
    for (const [args, advice] of others) {
      const r = await runCli([...args, '--db', db]);
      expect([args, r.code, r.stderr]).toEqual([args, 1, expect.stringContaining(held + advice)]);
      expect(r.stderr.startsWith(held)).toBe(true);
    }
  } finally {
    await serve.stop();
  }
}, 60_000);
