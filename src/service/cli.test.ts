import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HEAVY_PACKAGES, loadedPackagesProbe, ROOT, runCli, withUnwritableFolder } from '../../tests/support/cli';
import { refusedUrl } from '../../tests/support/net';
import { tempDir } from '../../tests/support/temp';
import type { Command } from 'commander';
import { SERVICE_HEADER } from '../model/api';
import { DatabaseOpening } from './api/opening';
import { buildApi } from './api/server';
import { noCredentials } from './awsErrors';
import { Database, type OpenOptions } from './db/database';
import { buildCli } from './cli';
import { barFill, formatSummary } from './commands/ingest';
import { nextStep } from './commands/generate';
import { queryFromFlags, reportCommand } from './commands/report';
import { CLOUDTRAIL_ENDPOINT_HINT } from './trails';

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const usage = (command: string) => `\\(run 'trailhound ${command ? `${command} ` : ''}--help' for usage\\)`;

// A mistake in a sub-command's flags says where its usage is, as one in the command itself does.
test.each([
  [['ingets'], "trailhound: unknown command 'ingets'\n\\(Did you mean ingest\\?\\)", ''],
  [['--verbose'], "trailhound: unknown option '--verbose'", ''],
  [['ingest', '--source', 'logs', '--dayz', '3'], "trailhound: unknown option '--dayz'\n\\(Did you mean --days\\?\\)", 'ingest'],
  [['generate'], "trailhound: required option '--out <dir>' not specified", 'generate'],
  // A typo is named as one, not hidden behind the required option it misspells.
  [['ingest', '--sorce', 'logs'], "trailhound: unknown option '--sorce'\n\\(Did you mean --source\\?\\)", 'ingest'],
  [['generate', '--uot', 'x'], "trailhound: unknown option '--uot'\n\\(Did you mean --out\\?\\)", 'generate'],
  [['ingest', '--days', '3'], "trailhound: required option '--source <source>' not specified", 'ingest'],
  [['trails', 'lst'], "trailhound: unknown command 'lst'\n\\(Did you mean list\\?\\)", 'trails'],
  [['trails', 'sync', '--regoin', 'eu-west-1'], "trailhound: unknown option '--regoin'\n\\(Did you mean --region\\?\\)", 'trails sync'],
])('%j: the error, and the help to read', async (args, error, command) => {
  const r = await runCli(args);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^${error}\n${usage(command)}\n$`));
}, 30_000);

// Number() took 0x10 as 16 days, 1e3 as 1000 downloads at once and 1e2 as a retention: only decimal digits are a count.
// Taken, each value runs into a missing folder (or --out a file): the command fails at once, writing nothing.
test('a whole-number flag takes decimal digits only: the error names the flag, the value and what it expects', async () => {
  const missing = path.join(tempDir(), 'missing');
  const cases: Array<[string[], string, string]> = [
    [['ingest', '--source', missing, '--db', `${missing}/db.duckdb`, '--days', '0x10'], "option '--days <n>' argument '0x10'", 'ingest'],
    [['ingest', '--source', missing, '--db', `${missing}/db.duckdb`, '--concurrency', '1e3'], "option '--concurrency <n>' argument '1e3'", 'ingest'],
    [['prune', '--db', `${missing}/db.duckdb`, '--retention-days', '1e2'], "option '--retention-days <n>' argument '1e2'", 'prune'],
    [
      ['serve', '--listen', '127.0.0.1:0', '--source', missing, '--db', `${missing}/db.duckdb`, '--poll-interval', ' 5 '],
      "option '--poll-interval <seconds>' argument ' 5 '",
      'serve',
    ],
    [['generate', '--out', 'package.json', '--events', '0b1'], "option '--events <n>' argument '0b1'", 'generate'],
  ];
  try {
    const runs = await Promise.all(cases.map(([args]) => runCli(args, { TRAILHOUND_TOKEN: 'a-long-enough-test-token' })));
    for (const [i, [, option, command]] of cases.entries()) {
      const error = `trailhound: ${option} is invalid. expected a whole number, 1 or more, in decimal digits\n(run 'trailhound ${command} --help' for usage)\n`;
      expect(runs[i]).toEqual({ code: 1, stdout: '', stderr: error });
    }
  } finally {
    fs.rmSync(path.dirname(missing), { recursive: true, force: true });
  }
}, 30_000);

// Uncapped, --concurrency 10^20 opened a download for every file of a batch, --events 10^15 ran for ever, --seed 2^32 + 1
// wrote seed 1's files, and a count past 2^53 was rounded (the error quoted 100000000000000000000 for 99999999999999999999).
// Refused, each names the flag, the value as typed, and the range; taken, each value runs into --out a file or a
// missing folder (so the bound, and not what comes after, is what each case tests).
test('a whole-number flag past its bound is refused, naming the flag, the value as typed and the range; the bound itself is taken', async () => {
  const missing = path.join(tempDir(), 'missing');
  const ingest = (...args: string[]) => ['ingest', '--source', missing, '--db', `${missing}/db.duckdb`, ...args];
  const serve = (...args: string[]) => ['serve', '--listen', '127.0.0.1:0', '--source', missing, '--db', `${missing}/db.duckdb`, ...args];
  const generate = (...args: string[]) => ['generate', '--out', 'package.json', ...args];
  const huge = '99999999999999999999';
  const safe = Number.MAX_SAFE_INTEGER;
  const refused: Array<[string[], string, string]> = [
    [ingest('--concurrency', '51'), "option '--concurrency <n>' argument '51' is invalid. expected a whole number from 1 to 50", 'ingest'],
    [ingest('--concurrency', huge), `option '--concurrency <n>' argument '${huge}' is invalid. expected a whole number from 1 to 50`, 'ingest'],
    [ingest('--days', '9007199254740993'), `option '--days <n>' argument '9007199254740993' is invalid. expected a whole number from 1 to ${safe}`, 'ingest'],
    [ingest('--retention-days', huge), `option '--retention-days <n>' argument '${huge}' is invalid. expected a whole number from 1 to 36500`, 'ingest'],
    [serve('--days', huge), `option '--days <n>' argument '${huge}' is invalid. expected a whole number from 1 to ${safe}`, 'serve'],
    [serve('--poll-interval', '86401'), "option '--poll-interval <seconds>' argument '86401' is invalid. expected a whole number from 1 to 86400", 'serve'],
    [serve('--retention-days', '36501'), "option '--retention-days <n>' argument '36501' is invalid. expected a whole number from 1 to 36500", 'serve'],
    [['prune', '--retention-days', huge], `option '--retention-days <n>' argument '${huge}' is invalid. expected a whole number from 1 to 36500`, 'prune'],
    [generate('--events', '100000001'), "option '--events <n>' argument '100000001' is invalid. expected a whole number from 1 to 100000000", 'generate'],
    [generate('--seed', '4294967296'), "option '--seed <n>' argument '4294967296' is invalid. expected a whole number from 1 to 4294967295", 'generate'],
    [generate('--days', huge), `option '--days <n>' argument '${huge}' is invalid. expected a whole number from 1 to ${safe}`, 'generate'],
  ];
  // The bounds themselves, 10 million events (the benchmarks') among them, get past the flags to what comes next.
  const taken: Array<[string[], RegExp]> = [
    [ingest('--concurrency', '50'), /is not a folder/],
    [ingest('--days', '9007199254740991'), /is not a folder/],
    [serve('--poll-interval', '86400', '--retention-days', '36500', '--days', '100000000'), /is not a folder/],
    [generate('--events', '10000000', '--seed', '4294967295'), /^trailhound: --out package\.json is a file/],
    [generate('--events', '100000000'), /^trailhound: --out package\.json is a file/],
  ];
  try {
    const env = { TRAILHOUND_TOKEN: 'a-long-enough-test-token' };
    const runs = await Promise.all([...refused, ...taken].map(([args]) => runCli(args, env)));
    for (const [i, [, error, command]] of refused.entries()) {
      expect(runs[i]).toMatchObject({ code: 1, stdout: '' });
      expect(runs[i].stderr).toMatch(new RegExp(`^trailhound: ${escaped(error)} \\(.*\\)\n${usage(command)}\n$`));
    }
    for (const [i, [, error]] of taken.entries()) {
      const run = runs[refused.length + i];
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(error);
      expect(run.stderr).not.toMatch(/is invalid/);
    }
  } finally {
    fs.rmSync(path.dirname(missing), { recursive: true, force: true });
  }
}, 60_000);

// Days before CloudTrail began are none that ingest reads: --days 100000000 wrote events of the year -271764.
test('generate --days reaching before CloudTrail began is refused, naming the days there are up to --end; those days are taken', async () => {
  const out = path.join(tempDir(), 'out');
  try {
    // 2013-11-13 to 2026-01-01, both counted.
    const end = '2026-01-01T00:00:00Z';
    const refused = await runCli(['generate', '--out', out, '--events', '10', '--days', '4434', '--end', end]);
    const error = '--days 4434: at most 4433, the days from 2013-11-13 (when CloudTrail began) to --end; ingest reads no earlier logs';
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `trailhound: ${error}\n` });
    expect(fs.existsSync(out)).toBe(false);
    const taken = await runCli(['generate', '--out', out, '--events', '10', '--days', '4433', '--end', end]);
    expect(taken.code).toBe(0);
    const next = `Next: trailhound ingest --source ${out} --since 2013-11-13, then trailhound report events --from 2013-11-13 --to 2026-01-02`;
    expect(taken.stdout.split('\n')[1]).toBe(next);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}, 60_000);

test('generate --out a file says so, before writing anything', async () => {
  const r = await runCli(['generate', '--out', 'package.json', '--events', '10']);
  expect(r).toEqual({ code: 1, stdout: '', stderr: 'trailhound: --out package.json is a file: give a folder (it is created when missing)\n' });
}, 30_000);

test('generate --out a folder this user cannot write says so and what to give, before writing anything', async () => {
  const dir = tempDir();
  await withUnwritableFolder(dir, async (user) => {
    const out = path.join(dir, 'logs');
    const r = await runCli(['generate', '--out', out, '--events', '10'], {}, user);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(new RegExp(`^trailhound: cannot write into --out ${out} \\(EACCES: .*\\): give a folder this user can write\n$`));
  });
}, 30_000);

test('generate --end in the future is refused, before writing anything: no ingest would find those logs (its window ends today)', async () => {
  const dir = tempDir();
  try {
    const out = path.join(dir, 'logs');
    const r = await runCli(['generate', '--out', out, '--events', '10', '--end', '2999-01-01T00:00:00Z']);
    const error = "trailhound: option '--end <iso>' argument '2999-01-01T00:00:00Z' is invalid. " +
      'expected a time up to now: ingest reads no logs of days to come';
    expect([r.code, r.stderr]).toEqual([1, `${error}\n(run 'trailhound generate --help' for usage)\n`]);
    // A day the calendar has not (Date moved it to 2 March), and one before CloudTrail began ("--days 14: at most -1411").
    const noSuchDay = await runCli(['generate', '--out', out, '--events', '10', '--end', '2026-02-30']);
    expect(noSuchDay.stderr).toMatch(/argument '2026-02-30' is invalid\. expected an ISO time, e\.g\. .*: the calendar has no 2026-02-30\n/);
    const before = await runCli(['generate', '--out', out, '--events', '10', '--end', '2010-01-01']);
    expect(before.stderr).toMatch(/argument '2010-01-01' is invalid\. expected a time from 2013-11-13, when CloudTrail began: ingest reads no earlier logs\n/);
    expect([noSuchDay.code, before.code]).toEqual([1, 1]);
    expect(fs.existsSync(out)).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('generate --out a folder that is not empty refuses, before writing anything: runs of other --events or --seed would mix', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const r = await runCli(['generate', '--out', dir, '--events', '10', '--days', '1']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `trailhound: --out ${dir} is not empty (notes.txt): give a new or empty folder, or remove it first\n` });
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
    // An empty folder is written into.
    fs.rmSync(path.join(dir, 'notes.txt'));
    const empty = await runCli(['generate', '--out', dir, '--events', '10', '--days', '1']);
    expect([empty.code, empty.stdout]).toEqual([0, expect.stringMatching(/^Wrote \d+ records \(10 unique events\)/)]);
    expect(fs.readdirSync(dir)).toEqual(['AWSLogs']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('generate says how to ingest and report every day it wrote: older days than the defaults read need --since or --days', async () => {
  const dir = tempDir();
  try {
    const logs = path.join(dir, 'logs');
    const generated = await runCli(['generate', '--out', logs, '--events', '50', '--days', '3', '--end', '2025-06-01T12:00:00Z']);
    const next = `Next: trailhound ingest --source ${logs} --since 2025-05-30, then trailhound report events --from 2025-05-30 --to 2025-06-02`;
    expect([generated.code, generated.stdout.split('\n')[1]]).toEqual([0, next]);
    // The commands it names, as given: every event is read, and reported.
    const db = path.join(dir, 'db.duckdb');
    const ingest = await runCli(['ingest', '--source', logs, '--since', '2025-05-30', '--db', db, '--json']);
    expect(JSON.parse(ingest.stdout).events).toBe(50);
    const report = await runCli(['report', 'totals', '--from', '2025-05-30', '--to', '2025-06-02', '--db', db, '--json']);
    expect(JSON.parse(report.stdout).frames[0].fields.find((f: { name: string }) => f.name === 'events').values).toEqual([50]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('the next step generate names: the defaults where they read every day, --days where more days end today', () => {
  const now = new Date('2026-11-26T19:00:00Z');
  expect(nextStep('/tmp/logs', 14, now, now)).toBe('Next: trailhound ingest --source /tmp/logs, then trailhound report events');
  expect(nextStep('/tmp/logs', 30, now, now)).toBe('Next: trailhound ingest --source /tmp/logs --days 30, then trailhound report events --from 2026-10-28');
  expect(nextStep("my logs/it's", 2, now, now)).toBe("Next: trailhound ingest --source 'my logs/it'\\''s', then trailhound report events");
});

test('a --db that cannot be a database file names it and the setting, beside the reason', async () => {
  const dir = tempDir();
  try {
    const run = (db: string) => runCli(['ingest', '--source', dir, '--db', db]);
    // Its folder would be a file: Node's "EEXIST: file already exists, mkdir '…/package.json'".
    const inFile = await run('package.json/trailhound.duckdb');
    expect(inFile.code).toBe(1);
    expect(inFile.stderr).toMatch(/^trailhound: cannot open the database package\.json\/trailhound\.duckdb \(--db, or TRAILHOUND_DB\): E[A-Z]+: /);
    // A folder: DuckDB's "IO Error: Could not read from file …: Is a directory".
    const folder = await run(dir);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/^trailhound: cannot open the database .* \(--db, or TRAILHOUND_DB\): IO Error: /);
    // The data folder given for the file, a newcomer's mistake: what to give instead.
    expect(folder.stderr).toMatch(new RegExp(`: Is a directory\\. --db names the database file, not its folder: e\\.g\\. ${dir}/trailhound\\.duckdb\n$`));
    // An existing file under a memory limit too small to open it: DuckDB's "failed to pin block" is no lock held by
    // another process.
    const db = path.join(dir, 'db', 'x.duckdb');
    expect((await runCli(['ingest', '--source', dir, '--db', db])).code).toBe(0);
    const small = await runCli(['ingest', '--source', dir, '--db', db], { TRAILHOUND_MEMORY_LIMIT: '1KB' });
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/^trailhound: cannot open the database .*: Out of Memory Error: failed to pin block/);
    // A new file under a limit too small for its schema: removed again, not left without its tables for report and
    // serve to fail on ("Table with name meta does not exist").
    const fresh = path.join(dir, 'db', 'fresh.duckdb');
    const tooSmall = await runCli(['ingest', '--source', dir, '--db', fresh], { TRAILHOUND_MEMORY_LIMIT: '1MB' });
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr).toMatch(/^trailhound: Out of Memory Error: /);
    expect(fs.readdirSync(path.dirname(fresh)).filter((name) => name.startsWith('fresh'))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test("a --db this user may not open says to run as its owner or give another --db; report asks a service named instead", async () => {
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs);
  const owned = path.join(dir, 'owned', 'db.duckdb');
  expect((await runCli(['ingest', '--source', logs, '--db', owned])).code).toBe(0);
  const advice = ". This user may not open it: run the command as the user that owns the database, or give a --db in a folder this user can write\n";
  await withUnwritableFolder(dir, async (user) => {
    // A new database in a folder it cannot make: Node's "EACCES: permission denied, mkdir …".
    const fresh = await runCli(['ingest', '--source', logs, '--db', path.join(dir, 'new', 'db.duckdb')], {}, user);
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toMatch(/^trailhound: cannot open the database .*new\/db\.duckdb \(--db, or TRAILHOUND_DB\): EACCES: /);
    expect(fresh.stderr.endsWith(advice)).toBe(true);
    // Another user's database (its file 600), as root runs this as nobody: DuckDB's "IO Error: Cannot open file …: Permission denied".
    if (user.uid !== undefined) {
      const theirs = await runCli(['ingest', '--source', logs, '--db', owned], {}, user);
      expect(theirs.code).toBe(1);
      expect(theirs.stderr).toMatch(/: IO Error: .*Permission denied\. This user may not open it/);
      expect(theirs.stderr.endsWith(advice)).toBe(true);
      // Its folder (700) hides it: a report says why it cannot read it, not that there is none; a service named answers.
      const report = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['report', 'totals', '--db', owned, ...args], env, user);
      const hidden = await report([]);
      expect([hidden.code, hidden.stderr.endsWith(advice)]).toEqual([1, true]);
      const served = await Database.open(':memory:');
      const api = await buildApi({ db: served, token: 'the-right-token-1234', backfill: async () => undefined });
      try {
        const url = await api.listen({ host: '127.0.0.1', port: 0 });
        const asked = await report(['--service-url', url], { TRAILHOUND_TOKEN: 'the-right-token-1234' });
        expect([asked.code, asked.stderr, asked.stdout]).toEqual([0, '', expect.stringMatching(/^totals +value\n/)]);
      } finally {
        await api.close();
        served.close();
      }
    }
  });
}, 30_000);

test('a TRAILHOUND_DB under ~ that no shell expanded is in the home folder, the database and its files alike, not in a folder named ~', async () => {
  const home = tempDir();
  const logs = path.join(home, 'logs');
  fs.mkdirSync(logs);
  try {
    const r = await runCli(['ingest', '--source', logs, '--json'], { HOME: home, TRAILHOUND_DB: '~/data/t.duckdb' });
    expect([r.code, r.stderr.replace(/^trailhound: warning: found no log files.*\n/m, '')]).toEqual([0, '']);
    expect(fs.readdirSync(path.join(home, 'data'))).toContain('t.duckdb');
    expect(fs.existsSync(path.join(ROOT, '~'))).toBe(false);
  } finally {
    fs.rmSync(path.join(ROOT, '~'), { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 30_000);

// Each command loads DuckDB, the AWS SDK, fastify, prom-client and pino when it runs: loaded by every call, they made
// even --version take 2 to 3 s. A module imported at the top of cli.ts or a command file would bring them back.
test('--version and help load none of the libraries only a command needs', async () => {
  const dir = tempDir();
  try {
    const { preload, loaded: loadedBy } = loadedPackagesProbe(dir);
    for (const args of [['--version'], ['--help'], ['report', '--help'], ['serve', '--help'], ['trails', 'list', '--help']]) {
      const r = await runCli(args, { NODE_OPTIONS: `--require ${preload}` });
      expect([args, r.code]).toEqual([args, 0]);
      const loaded = loadedBy();
      expect([args, loaded]).toEqual([args, expect.arrayContaining(['commander'])]);
      expect([args, HEAVY_PACKAGES.filter((name) => loaded.includes(name))]).toEqual([args, []]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("report's help says the defaults its flags leave to the query (not set as values: a preset's would be overridden)", () => {
  const help = reportCommand().helpInformation().replace(/\s+/g, ' ');
  expect(help).toContain('--group-by <dimension> group events by (default: user)');
  // Every filter's default, as --group-by's: all calls, counted by when they were made.
  expect(help).toContain('--status <status> only successful, failed or unauthorized calls (default: all) (choices: "all",');
  expect(help).toContain('--read-only <which> only write or read calls (default: all) (choices: "all",');
  expect(help).toContain('--mfa <which> only calls made with (used) or without (notUsed) MFA, where the record says (default: all) (choices: "all",');
  expect(help).toContain('when the call was made (event), or when it was stored (arrival) (default: event) (choices: "event", "arrival")');
  expect(help).toContain(
    '--aggregate <bucket> bucket width of a timeseries (default: auto: the range in 50 rows at most, e.g. 12 hours over 14 days, an hour over 2)'
  );
  expect(help).toContain(
    '--limit <n> top N groups, or events or unreadable files listed (default: 20; 100 unreadable files with ingest --errors; at most 10000)'
  );
  expect(help).toContain('--errors with ingest: the log files it could not read');
  // Grafana's relative times, ISO and epoch milliseconds: every form there is.
  expect(help).toContain(
    "--from <time> where the report begins: now-7d, now-12h, now-30m (Grafana's relative times: s, m, h, d, w), an ISO time or day " +
      '(2026-11-20T08:00:00Z, 2026-11-20; UTC unless it names a zone) or epoch milliseconds (default: now-14d)'
  );
  // What a newcomer tripped over: --to 2026-11-25 leaves the 25th out; list, the events themselves.
  expect(help).toContain(
    '--to <time> where the report ends, written as --from; a day means its midnight, where it begins, so the day is left out ' +
      '(default: now; without --from, the report covers the 14 days before it)'
  );
  expect(help).toContain('or the events as log lines (default: table)');
  expect(queryFromFlags('events', { preset: 'ips-activity', sourceIp: ['198.51.100.23'] }).groupBy).toBe('sourceIp');
});

/** A command's help as `trailhound <path> --help` prints it (at 80 columns, as without a terminal), on one line. */
function helpOf(...path: string[]): string {
  let command: Command = buildCli();
  for (const name of path) command = command.commands.find((c) => c.name() === name)!;
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text.replace(/\s+/g, ' ');
}

test('help says which options are required, not only the error when one is missing', () => {
  expect(helpOf('ingest')).toContain('--source <source> required: s3://bucket[/prefix] or a local folder (env TRAILHOUND_SOURCE)');
  expect(helpOf('generate')).toContain('--out <dir> required: folder to write into (a new or empty one)');
  expect(helpOf('ingest')).not.toMatch(/--days <n> required/);
  // Required as the flag or its variable, which commander cannot tell: prune says so in the words cli.ts adds.
  expect(helpOf('prune')).toContain('--retention-days <n> required: days of events to keep (or env TRAILHOUND_RETENTION_DAYS)');
});

test('help names the settings that have no flag: the token, the memory cap, the log level, AWS credentials', () => {
  const section = (help: string) => help.slice(help.indexOf('Environment (no flag):'));
  const serve = section(helpOf('serve'));
  expect(serve).toMatch(/^Environment \(no flag\): TRAILHOUND_TOKEN the API's bearer token .* TRAILHOUND_MEMORY_LIMIT DuckDB's memory cap/);
  expect(serve).toMatch(/ e\.g\. 1GB \(default: 512MB\) TRAILHOUND_LOG_LEVEL trace, .* AWS_\* credentials and region/);
  const ingest = section(helpOf('ingest'));
  expect(ingest).toMatch(/^Environment \(no flag\): TRAILHOUND_MEMORY_LIMIT DuckDB's memory cap, e\.g\. 1GB \(default: 224MB\) AWS_\* credentials/);
  expect(section(helpOf('prune'))).toMatch(/^Environment \(no flag\): TRAILHOUND_MEMORY_LIMIT .*\(default: 224MB\) $/);
  expect(section(helpOf('report'))).toMatch(/^Environment \(no flag\): TRAILHOUND_TOKEN the API's bearer token/);
  // serve's own setting, which report reads to find it: a newcomer's serve on another port.
  expect(section(helpOf('report'))).toMatch(
    / TRAILHOUND_LISTEN serve's address \(its --listen\): where report asks it without --service-url or TRAILHOUND_URL \(default: 127\.0\.0\.1:7480\) $/
  );
  const sync = section(helpOf('trails', 'sync'));
  expect(sync).toMatch(/^Environment \(no flag\): TRAILHOUND_MEMORY_LIMIT .*\(default: 224MB\) TRAILHOUND_S3_ENDPOINT .* AWS_\* credentials and region/);
  // Read only for the hint when a sync fails: serve's and ingest's S3 is not AWS's.
  expect(sync).toContain(
    ' TRAILHOUND_S3_ENDPOINT the S3-compatible endpoint of serve and ingest: set, and no --cloudtrail-endpoint, a failed sync says to set that too '
  );
  expect(section(helpOf())).toMatch(/^Environment \(no flag\): TRAILHOUND_DEBUG set: a failing command prints its stack trace too $/);
});

// Commander writes the defaults it knows as "(default: 14)": the ones written in the text take the same form.
const EVERY_COMMAND = ['', 'ingest', 'serve', 'report', 'generate', 'prune', 'trails sync', 'trails list'];
test.each(EVERY_COMMAND)('trailhound %s --help writes every default as "(default: …)"', (command) => {
  const help = helpOf(...command.split(' ').filter(Boolean));
  expect(help.match(/\bdefault\b(?!: )[^,;)]*/g) ?? []).toEqual([]);
});

test("ingest's summary counts in words, its pronouns agreeing: one file is 'it', several 'them'", () => {
  const summary = { source: '/logs', window: { from: '2026-11-01', to: '2026-11-02' }, objects: 1, events: 1, duplicates: 0, skipped: 0, unchanged: 0 };
  const one = formatSummary({ ...summary, unreadable: 1, waiting: 1, denied: 1, errors: 1, rejected: 1, halved: 1, stopped: false, durationMs: 0 });
  const waiting =
    "\n  1 file that ran out of memory before, not read again until its wait is over: 'trailhound report ingest --errors' lists it, with when\n";
  expect(one).toContain(waiting);
  const denied = '\n  1 file whose download was refused before, not tried again until its wait is over (--retry-denied tries at once): ' +
    "'trailhound report ingest --errors' lists it, with when\n";
  expect(one).toContain(denied);
  expect(one).toContain('\n  1 file still unreadable, unchanged since an earlier run: \'trailhound report ingest --errors\' lists it, with why\n');
  // Each file's warning goes to stderr, and the summary to stdout: "named above" was not so with 2>/dev/null, or in a log.
  const warned = "(each in a 'could not ingest' warning on stderr, with why)";
  expect(one).toContain(
    `\n  1 file could not be read ${warned}: left out of later runs until its content changes ` +
      `(a new ETag; in a folder, a new size or modification time): fix or replace it; 'trailhound report ingest --errors' lists it`
  );
  expect(one).toContain(' 1 log file from /logs ');
  expect(one).toContain('\n  1 new event, 0 duplicates skipped, 0 files already ingested, 0 non-event files skipped\n');
  expect(one).toContain('\n  1 record that cannot be an event (');
  expect(one).toContain("\n  1 batch ran out of DuckDB's memory and was loaded again in two parts (");
  // Of this run's errors, those a later run tries again as they are (out of memory, not downloaded): no fix to ask for.
  const tried = formatSummary({ ...summary, unreadable: 0, waiting: 0, denied: 0, errors: 3, rejected: 0, halved: 0, stopped: false, durationMs: 0 }, 2);
  expect(tried).toContain(`\n  1 file could not be read ${warned}: left out of later runs until its content changes `);
  expect(tried).toContain(
    `\n  2 files could not be read for now, out of DuckDB's memory or not downloaded ${warned}: later runs try them again as they are ` +
      "(one that ran out of memory after a wait, or at once with another TRAILHOUND_MEMORY_LIMIT); 'trailhound report ingest --errors' lists them, with when"
  );
  const allTried = formatSummary({ ...summary, unreadable: 0, waiting: 0, denied: 0, errors: 1, rejected: 0, halved: 0, stopped: false, durationMs: 0 }, 1);
  expect(allTried).not.toContain('fix or replace');
  expect(allTried).toContain(': later runs try it again as it is (');
  expect(allTried).not.toContain('no new errors');
  const two = formatSummary({ ...summary, unreadable: 2, waiting: 0, denied: 2, errors: 3, rejected: 0, halved: 2, stopped: false, durationMs: 0 });
  expect(two).not.toContain('ran out of memory');
  expect(two).toContain('\n  2 files whose download was refused before, not tried again until their waits are over (');
  expect(two).toContain("\n  2 batches ran out of DuckDB's memory and were loaded again in two parts (");
  const none = formatSummary({ ...summary, unreadable: 0, waiting: 0, denied: 0, errors: 0, rejected: 0, halved: 0, stopped: false, durationMs: 0 });
  expect(none).not.toContain('two parts');
  expect(none).not.toContain('denied');
  expect(two).toContain('\n  2 files still unreadable, unchanged since an earlier run: \'trailhound report ingest --errors\' lists them, with why\n');
  expect(two).toContain(
    `\n  3 files could not be read ${warned}: left out of later runs until their content changes ` +
      `(a new ETag; in a folder, a new size or modification time): fix or replace them; 'trailhound report ingest --errors' lists them`
  );
});

test("ingest's progress bar is empty while the first folders are listed, not full as 0 of 0 files would draw it", () => {
  const progress = { unitsDone: 0, units: 44, objectsDone: 0, objectsFound: 0, events: 0 };
  expect(barFill(progress)).toEqual({ value: 0, total: 1 });
  expect(barFill({ ...progress, unitsDone: 3, objectsFound: 120, objectsDone: 40 })).toEqual({ value: 40, total: 120 });
  // Every folder listed and nothing new in them (all ingested before): done.
  expect(barFill({ ...progress, unitsDone: 44 })).toEqual({ value: 1, total: 1 });
});

// Static credentials (nothing answers at the endpoints anyway) and no instance metadata: the SDK must not look for real ones.
const AWS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };

test("the AWS SDK's Node version warning stays out of what the commands print, unless the user asks for it", async () => {
  const dir = tempDir();
  try {
    const endpoint = await refusedUrl();
    const ingest = ['ingest', '--source', 's3://logs', '--s3-endpoint', endpoint, '--db', path.join(dir, 'x.duckdb')];
    const sync = ['trails', 'sync', '--cloudtrail-endpoint', endpoint, '--db', path.join(dir, 'y.duckdb')];
    // Not inherited from this process: the CLI sets it itself (env.ts).
    const quiet = { ...AWS, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
    for (const args of [ingest, sync]) {
      const r = await runCli(args, quiet);
      expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/^trailhound: cannot reach the (S3|CloudTrail) endpoint/)]);
      expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|Warning/);
    }
    // The SDK warns on Node before 22: a user's own setting wins, which shows that the check above can see the warning.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const asked = await runCli(ingest, { ...AWS, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' });
      expect(asked.stderr).toMatch(/NodeVersionSupportWarning/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('trails sync that fails on a new database removes it (it would look loaded), and keeps one that was there', async () => {
  const dir = tempDir();
  try {
    const endpoint = await refusedUrl();
    const file = path.join(dir, 'new', 'db.duckdb');
    const r = await runCli(['trails', 'sync', '--cloudtrail-endpoint', endpoint, '--db', file], AWS);
    expect(r.code).toBe(1);
    const removed = `\\(nothing was stored: the database this run created, ${file}, is removed again\\)`;
    expect(r.stderr).toMatch(new RegExp(`^trailhound: cannot reach the CloudTrail endpoint .*\n${removed}\n$`));
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
    // A database ingest wrote stays, with what it holds.
    const kept = path.join(dir, 'kept.duckdb');
    expect((await runCli(['ingest', '--source', dir, '--db', kept])).code).toBe(0);
    const again = await runCli(['trails', 'sync', '--cloudtrail-endpoint', endpoint, '--db', kept], AWS);
    expect([again.code, again.stderr]).toEqual([1, expect.not.stringMatching(/nothing was stored/)]);
    expect(fs.existsSync(kept)).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('trails sync with TRAILHOUND_S3_ENDPOINT set and no CloudTrail endpoint says to set one when it fails, as serve does', async () => {
  const dir = tempDir();
  try {
    // It fails at once, on no network: a profile that is in no config file (these, not this machine's), and no instance role.
    const profile = 'trailhound-test-no-such-profile';
    const none = path.join(dir, 'none');
    const noAws = { AWS_PROFILE: profile, AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none, AWS_EC2_METADATA_DISABLED: 'true' };
    const unset = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, TRAILHOUND_CLOUDTRAIL_ENDPOINT: undefined };
    const sync = (env: NodeJS.ProcessEnv) => runCli(['trails', 'sync', '--db', path.join(dir, 'db.duckdb')], { ...noAws, ...unset, ...env });
    const removed = `(nothing was stored: the database this run created, ${path.join(dir, 'db.duckdb')}, is removed again)`;
    const s3 = await refusedUrl();
    const hinted = await sync({ TRAILHOUND_S3_ENDPOINT: s3 });
    expect(hinted).toEqual({ code: 1, stdout: '', stderr: `trailhound: ${noCredentials(profile)}; ${CLOUDTRAIL_ENDPOINT_HINT}\n${removed}\n` });
    // S3 from AWS too, or CloudTrail's own endpoint given (right or wrong): the error alone, as before.
    for (const env of [{ TRAILHOUND_S3_ENDPOINT: undefined }, { TRAILHOUND_S3_ENDPOINT: s3, TRAILHOUND_CLOUDTRAIL_ENDPOINT: await refusedUrl() }]) {
      const r = await sync(env);
      expect([r.code, r.stderr.startsWith(`trailhound: ${noCredentials(profile)}\n`), r.stderr.includes(CLOUDTRAIL_ENDPOINT_HINT)]).toEqual([1, true, false]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

// The AWS SDK's endpoint variables and config file, and Trailhound's own, none inherited from this process.
const NO_ENDPOINTS = {
  AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL_CLOUDTRAIL: undefined, AWS_ENDPOINT_URL_STS: undefined,
  AWS_ENDPOINT_URL_SSO: undefined, AWS_ENDPOINT_URL_SSO_OIDC: undefined, AWS_ENDPOINT_URL_SIGNIN: undefined, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_PROFILE: undefined, TRAILHOUND_S3_ENDPOINT: undefined, TRAILHOUND_CLOUDTRAIL_ENDPOINT: undefined,
};

test('an AWS SDK endpoint (a variable, or the config file\'s endpoint_url) that is no http(s) URL stops ingest and trails sync at the start, ' +
  'whichever of the services Trailhound\'s clients call it is for, named as a flag is, not the SDK\'s "Invalid URL" at the first request', async () => {
  const dir = tempDir();
  try {
    const db = (name: string) => path.join(dir, `${name}.duckdb`);
    const config = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const profile = config('profile', '[default]\nendpoint_url = localhost:4566\n');
    const services = config('services', '[default]\nservices = local\n\n[services local]\ncloudtrail =\n  endpoint_url = 127.0.0.1:4566\n');
    const typo = config('typo', '[default]\nservices = locl\n\n[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n');
    const ingestS3 = (name: string) => ['ingest', '--source', 's3://logs', '--db', db(name)];
    const sync = (name: string) => ['trails', 'sync', '--db', db(name)];
    const runs: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [ingestS3('s3'), { AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' }, 'AWS_ENDPOINT_URL_S3 127.0.0.1:9000'],
      [ingestS3('all-s3'), { AWS_ENDPOINT_URL: 'localhost:4566' }, 'AWS_ENDPOINT_URL localhost:4566'],
      [sync('cloudtrail'), { AWS_ENDPOINT_URL_CLOUDTRAIL: 'localhost:4566' }, 'AWS_ENDPOINT_URL_CLOUDTRAIL localhost:4566'],
      [sync('all-cloudtrail'), { AWS_ENDPOINT_URL: '127.0.0.1:4566' }, 'AWS_ENDPOINT_URL 127.0.0.1:4566'],
      // The other service's, and the credential chain's: one deployment's settings, said at the first command.
      [ingestS3('other-cloudtrail'), { AWS_ENDPOINT_URL_CLOUDTRAIL: 'localhost:4566' }, 'AWS_ENDPOINT_URL_CLOUDTRAIL localhost:4566'],
      [sync('other-s3'), { AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' }, 'AWS_ENDPOINT_URL_S3 127.0.0.1:9000'],
      [ingestS3('sts'), { AWS_ENDPOINT_URL_STS: 'sts.local:4566' }, 'AWS_ENDPOINT_URL_STS sts.local:4566'],
      // The config file's, named by file, section and key.
      [ingestS3('profile'), { AWS_CONFIG_FILE: profile }, `${profile}'s [default] endpoint_url localhost:4566`],
      [sync('services'), { AWS_CONFIG_FILE: services }, `${services}'s [services local] cloudtrail endpoint_url 127.0.0.1:4566`],
    ];
    const results = await Promise.all(runs.map(([args, env]) => runCli(args, { ...AWS, ...NO_ENDPOINTS, ...env })));
    const refused = (said: string) => `trailhound: ${said}: expected an http:// or https:// URL, e.g. http://127.0.0.1:9000\n`;
    expect(results.map((r) => [r.code, r.stderr])).toEqual(runs.map(([, , said]) => [1, refused(said)]));
    // A services section the file has not: the SDK would read no endpoint from the file, silently.
    const typoRun = await runCli(ingestS3('typo'), { ...AWS, ...NO_ENDPOINTS, AWS_CONFIG_FILE: typo });
    expect([typoRun.code, typoRun.stderr]).toEqual([
      1,
      `trailhound: ${typo}'s [default] has services = locl, but ${typo} has no [services locl] section, so the AWS SDK reads no endpoint_url ` +
        'from it: add that section, or remove that line\n',
    ]);
    // Refused before the database is opened.
    for (const [args] of runs) expect(fs.existsSync(args[args.indexOf('--db') + 1])).toBe(false);
    // The flag comes first, as the SDK takes it; a folder's ingest asks no AWS service, which the variables and the file are for.
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const flagged = ['trails', 'sync', '--cloudtrail-endpoint', await refusedUrl(), '--db', db('flag')];
    const unused = { AWS_ENDPOINT_URL_S3: '127.0.0.1:9000', AWS_ENDPOINT_URL_STS: 'sts.local', AWS_CONFIG_FILE: typo };
    const [flagFirst, folder] = await Promise.all([
      runCli(flagged, { ...AWS, ...NO_ENDPOINTS, AWS_ENDPOINT_URL_CLOUDTRAIL: 'localhost:4566', AWS_CONFIG_FILE: services }),
      runCli(['ingest', '--source', logs, '--db', db('folder')], { ...NO_ENDPOINTS, ...unused }),
    ]);
    const unreached = /^trailhound: cannot reach the CloudTrail endpoint http:.*: check --cloudtrail-endpoint/;
    expect([flagFirst.code, flagFirst.stderr]).toEqual([1, expect.stringMatching(unreached)]);
    expect(folder.code).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('an ignore setting of the AWS SDK that is neither true nor false is told at the start, with what the SDK does instead: it uses ' +
  'the configured endpoints, as this bad one shows; a folder\'s ingest tells nothing', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, '[default]\nignore_configured_endpoint_urls = True\nendpoint_url = localhost:4566\n');
    const ingest = (name: string, source = 's3://logs') => ['ingest', '--source', source, '--db', path.join(dir, `${name}.duckdb`)];
    const [variable, inFile, folder] = await Promise.all([
      runCli(ingest('variable'), { ...AWS, ...NO_ENDPOINTS, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'yes', AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' }),
      runCli(ingest('file'), { ...AWS, ...NO_ENDPOINTS, AWS_CONFIG_FILE: file }),
      runCli(ingest('folder', fs.mkdtempSync(path.join(dir, 'logs-'))), { ...NO_ENDPOINTS, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'yes' }),
    ]);
    const told = (setting: string) =>
      `trailhound: warning: ${setting} is neither true nor false, so the AWS SDK passes over it and uses the endpoints configured ` +
      "(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, the config file's endpoint_url): write true or false (lower case)\n";
    const refused = (said: string) => `trailhound: ${said}: expected an http:// or https:// URL, e.g. http://127.0.0.1:9000\n`;
    expect([variable.code, variable.stderr]).toEqual([1, told('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=yes') + refused('AWS_ENDPOINT_URL_S3 127.0.0.1:9000')]);
    expect([inFile.code, inFile.stderr]).toEqual([
      1,
      told(`${file}'s [default] ignore_configured_endpoint_urls = True`) + refused(`${file}'s [default] endpoint_url localhost:4566`),
    ]);
    expect([folder.code, folder.stderr]).toEqual([0, expect.not.stringContaining('IGNORE')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('serve refuses a bad TRAILHOUND_MEMORY_LIMIT or port before it writes anything (token file, sample logs, database)', async () => {
  const dir = tempDir();
  try {
    const serve = (name: string, listen: string, env: NodeJS.ProcessEnv = {}) =>
      runCli(['serve', '--db', path.join(dir, name, 'db.duckdb'), '--listen', listen], { TRAILHOUND_TOKEN: '', ...env });
    const memory = await serve('memory', '127.0.0.1:0', { TRAILHOUND_MEMORY_LIMIT: '512' });
    expect(memory).toEqual({
      code: 1,
      stdout: '',
      stderr: 'trailhound: TRAILHOUND_MEMORY_LIMIT=512: expected a size with its unit, e.g. 512MB or 2GB (or unset it for the default, 512MB)\n',
    });
    const port = await serve('port', '127.0.0.1:99999');
    const tooHigh = 'trailhound: --listen (or TRAILHOUND_LISTEN) "127.0.0.1:99999": the port must be 65535 or less, e.g. 127.0.0.1:7480\n';
    expect(port).toEqual({ code: 1, stdout: '', stderr: tooHigh });
    expect(fs.readdirSync(dir)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('serve says which token file it cannot write, and what to do; a second serve on a database in use is told to give it its own', async () => {
  const dir = tempDir();
  const held = path.join(dir, 'held', 'db.duckdb');
  fs.mkdirSync(path.join(dir, 'held'));
  const db = await Database.open(held);
  try {
    // The database's folder is a file: no token file can be written there (as in a folder this user cannot write).
    fs.writeFileSync(path.join(dir, 'file'), '');
    const noToken = await runCli(['serve', '--db', path.join(dir, 'file', 'db.duckdb'), '--listen', '127.0.0.1:0', '--source', dir], { TRAILHOUND_TOKEN: '' });
    expect([noToken.code, noToken.stdout]).toEqual([1, '']);
    const where = "serve keeps it, and the database, in the database's folder; give a --db";
    expect(noToken.stderr).toMatch(new RegExp(`^trailhound: cannot write the token file ${dir}/file/token \\(E[A-Z]+: .*\\): ${where}`));
    const second = await runCli(['serve', '--db', held, '--listen', '127.0.0.1:0', '--source', dir], { TRAILHOUND_TOKEN: 'a-long-enough-test-token' });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `trailhound: The database ${held} is in use by another process, most likely a running 'trailhound serve'. Stop it first, or give this one a ` +
        'database of its own: --db (or TRAILHOUND_DB), and another --listen (or TRAILHOUND_LISTEN).\n'
    );
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('report asking a service that refuses its token says which token it sent, and to set TRAILHOUND_TOKEN', async () => {
  const dir = tempDir();
  const db = await Database.open(':memory:');
  const api = await buildApi({ db, token: 'the-right-token-1234', backfill: async () => undefined });
  try {
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    // No database here: the service named is asked, with the token file beside where the database would be.
    const report = (env: NodeJS.ProcessEnv) => runCli(['report', 'totals', '--db', path.join(dir, 'db.duckdb'), '--service-url', url], env);
    const fix = ': set TRAILHOUND_TOKEN to its token (serve logs where its token file is)\n';
    const none = await report({ TRAILHOUND_TOKEN: '' });
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr: `trailhound: the service at ${url} refused no token (TRAILHOUND_TOKEN is not set, and there is no token file in ${dir})${fix}`,
    });
    fs.writeFileSync(path.join(dir, 'token'), 'an-old-token-from-before\n');
    expect((await report({ TRAILHOUND_TOKEN: '' })).stderr).toBe(`trailhound: the service at ${url} refused the token in ${dir}/token${fix}`);
    const leftOver = await report({ TRAILHOUND_TOKEN: 'left-from-docker-1234' });
    expect(leftOver.stderr).toBe(`trailhound: the service at ${url} refused the token in TRAILHOUND_TOKEN${fix}`);
    // The right one answers.
    const right = await report({ TRAILHOUND_TOKEN: 'the-right-token-1234' });
    expect([right.code, right.stderr, right.stdout]).toEqual([0, '', expect.stringMatching(/^totals +value\n/)]);
  } finally {
    await api.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('report refused the token file of a database in use says the serve holding it may listen elsewhere, unless its URL was named', async () => {
  const dir = tempDir();
  const held = path.join(dir, 'db.duckdb');
  const db = await Database.open(held);
  // Another serve, of another database and token, answers where this report asks by default.
  const other = await Database.open(':memory:');
  const api = await buildApi({ db: other, token: 'another-services-token', backfill: async () => undefined });
  try {
    fs.writeFileSync(path.join(dir, 'token'), 'the-held-databases-token\n');
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    const listen = url.replace('http://', '');
    const refused =
      `trailhound: the service at ${url} refused the token in ${dir}/token: set TRAILHOUND_TOKEN to its token (serve logs where its token file is)`;
    const byDefault = await runCli(['report', 'totals', '--db', held], { TRAILHOUND_TOKEN: '', TRAILHOUND_URL: '', TRAILHOUND_LISTEN: listen });
    expect([byDefault.code, byDefault.stderr]).toEqual([
      1,
      `${refused}; or, if the serve that holds ${held} listens elsewhere (its --listen), give its address: TRAILHOUND_LISTEN or --service-url\n`,
    ]);
    // Named, the URL is the one the user meant: only the token can be wrong.
    const named = await runCli(['report', 'totals', '--db', held, '--service-url', url], { TRAILHOUND_TOKEN: '', TRAILHOUND_URL: '' });
    expect([named.code, named.stderr]).toEqual([1, `${refused}\n`]);
  } finally {
    await api.close();
    other.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("report on a database in use, with nothing at the address it found itself, says the serve may listen elsewhere: TRAILHOUND_LISTEN", async () => {
  const dir = tempDir();
  const held = path.join(dir, 'db.duckdb');
  // As a serve started with TRAILHOUND_LISTEN=127.0.0.1:7490 holds it, while report asks the default address.
  const db = await Database.open(held);
  try {
    const listen = (await refusedUrl()).replace('http://', '');
    const r = await runCli(['report', 'totals', '--db', held], { TRAILHOUND_URL: '', TRAILHOUND_LISTEN: listen });
    expect([r.code, r.stderr]).toEqual([
      1,
      `trailhound: ${held} is in use by a running 'trailhound serve', and asking it at http://${listen} failed ` +
        `(fetch failed: connect ECONNREFUSED ${listen}): ` +
        'if it listens elsewhere (its --listen), give its address: TRAILHOUND_LISTEN or --service-url; or stop it first.\n',
    ]);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('report with a service named and no --db asks the service, not a database an earlier npm start left in ./data', async () => {
  const dir = tempDir();
  (await Database.open(path.join(dir, 'data', 'trailhound.duckdb'))).close();
  const url = await refusedUrl();
  // Run from that folder, as the README's Docker quick start is after its npm start.
  const report = (args: string[]) => {
    const main = path.join(__dirname, 'main.ts');
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), main, 'report', 'totals', ...args], {
      cwd: dir,
      env: { ...process.env, TRAILHOUND_URL: url, TRAILHOUND_TOKEN: 'a-long-enough-test-token', TRAILHOUND_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  };
  try {
    const asked = await report([]);
    expect([asked.code, asked.stdout]).toEqual([1, '']);
    expect(asked.stderr).toMatch(
      new RegExp(
        `^trailhound: asking the service at ${url} failed \\(fetch failed: connect ECONNREFUSED .*\\)\\. ` +
          'Point --service-url \\(or TRAILHOUND_URL\\) and TRAILHOUND_TOKEN at the running service, or give a --db to read a database here\\.\n$'
      )
    );
    // Named, the file here is read.
    const named = await report(['--db', 'data/trailhound.duckdb']);
    expect([named.code, named.stderr, named.stdout]).toEqual([0, '', expect.stringMatching(/^totals +value\n/)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("report reads the service's 503 and 401 by their code: opening or upgrading, a wrong token; a proxy's page is not taken for the service's", async () => {
  const dir = tempDir();
  const token = 'the-right-token-1234';
  // serve's API while its database opens, held there: the open is told of a long migration when the test says so.
  let told!: OpenOptions;
  const opening = new DatabaseOpening(async (_file, options = {}) => {
    told = options;
    return new Promise<Database>(() => undefined);
  });
  const api = await buildApi({ db: opening, token, backfill: async () => undefined });
  // A proxy's own pages (a sign-in, a service down behind it) and JSON (/json/…, /coded/… with a code of its own), and a
  // service up to 0.1.0 (/old/…), whose {error} has no code: its 401's words, and its 503's (the builds after 0.1.0 that
  // said they were 0.1.0). None has the service's header but /signed/…, a newer service's own answer with a new code.
  const oldWords: Record<string, string> = {
    401: 'missing or wrong bearer token: send "Authorization: Bearer <token>" (TRAILHOUND_TOKEN, or the token file in the data folder)',
    503: 'the service is opening its database: queries answer in a moment. Try again in a moment (GET /api/health says how far it is)',
  };
  const other = http.createServer((req, res) => {
    const [, kind, status] = req.url!.split('/');
    const words = `${kind === 'signed' ? 'service' : 'proxy'}'s ${status}`;
    const [type, body] =
      kind === 'old'
        ? ['application/json', JSON.stringify({ error: oldWords[status] })]
        : kind === 'json' || kind === 'coded' || kind === 'signed'
          ? ['application/json', JSON.stringify({ error: words, ...(kind !== 'json' && { code: 'forbidden' }) })]
          : ['text/html', `<html><body>${kind} sign in to the proxy</body></html>`];
    const signed = kind === 'signed' ? { [SERVICE_HEADER]: '9.0.0' } : {};
    res.writeHead(Number(['old', 'json', 'coded', 'signed'].includes(kind) ? status : kind), { ...signed, 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const proxy = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  try {
    const url = await api.listen({ host: '127.0.0.1', port: 0 });
    const report = async (at: string, env: NodeJS.ProcessEnv = { TRAILHOUND_TOKEN: token }) => {
      const r = await runCli(['report', 'totals', '--db', path.join(dir, 'db.duckdb'), '--service-url', at], env);
      expect([r.code, r.stdout]).toEqual([1, '']);
      return r.stderr;
    };
    opening.open(path.join(dir, 'held.duckdb'));
    const again = '. Try again in a moment (GET /api/health says how far it is)';
    const starting = 'the service is opening its database: queries answer in a moment';
    expect(await report(url)).toBe(`trailhound: the service at ${url} cannot answer now: ${starting}${again}\n`);
    told.onLongMigration!('updating', { events: 1000, fromVersion: 12, toVersion: 13, estimatedSeconds: 20 });
    expect(await report(url)).toMatch(
      new RegExp(`^trailhound: the service at ${url} cannot answer now: the service is upgrading its database .*\\(do not stop it meanwhile: a stop rolls`)
    );
    // The service's 401 (code unauthorized): the token is what to fix.
    const fix = 'set TRAILHOUND_TOKEN to its token (serve logs where its token file is)';
    const wrong = await report(url, { TRAILHOUND_TOKEN: 'a-wrong-token-1234' });
    expect(wrong).toBe(`trailhound: the service at ${url} refused the token in TRAILHOUND_TOKEN: ${fix}\n`);
    // A proxy's 401 page is no refusal of the token, nor its 503 page the service opening its database.
    const signIn = await report(`${proxy}/401`);
    expect(signIn).toBe(
      `trailhound: ${proxy}/401 answered HTTP 401 "<html><body>401 sign in to the proxy</body></html>", not as the Trailhound service does: ` +
        'a proxy in front of it (or another app at that URL) asks for a sign-in of its own: point --service-url (or TRAILHOUND_URL) at the service itself, ' +
        'or at a proxy that passes the Authorization header on\n'
    );
    // Its 403 (an auth proxy turning a path away) as its 401, as the plugin reads it: not a bare status and the page.
    const forbidden = new RegExp(`^trailhound: ${proxy}/403 answered HTTP 403 ".*403 sign in to the proxy.*", not as .* asks for a sign-in of its own`);
    expect(await report(`${proxy}/403`)).toMatch(forbidden);
    expect(await report(`${proxy}/json/403`)).toMatch(/answered HTTP 403 ".*proxy's 403.*", not as .* asks for a sign-in of its own/);
    // With a code the service never sent, as an auth proxy's JSON may have: still its sign-in, not a bare "answered 403".
    expect(await report(`${proxy}/coded/403`)).toMatch(/answered HTTP 403 ".*proxy's 403.*forbidden.*", not as .* asks for a sign-in of its own/);
    // With the service's header it is the service's own (a newer one's), quoted as it answered, not taken for a sign-in.
    expect(await report(`${proxy}/signed/403`)).toMatch(/answered 403: \{"error":"service's 403","code":"forbidden"\}/);
    const down = await report(`${proxy}/503`);
    const proxyDown = 'not as the Trailhound service does: a proxy in front of it says it is down: .*try again';
    expect(down).toMatch(new RegExp(`^trailhound: ${proxy}/503 answered HTTP 503 ".*", ${proxyDown}`));
    expect(down).not.toMatch(/cannot answer now/);
    // Its 502 and 504 pages too: the service behind it may be restarting, not asking it 'failed'.
    for (const status of [502, 504]) {
      const page = await report(`${proxy}/${status}`);
      const behind = 'not as the Trailhound service does: a proxy in front of it did not get its answer: it may be stopped or restarting .*try again';
      expect(page).toMatch(new RegExp(`^trailhound: ${proxy}/${status} answered HTTP ${status} ".*", ${behind}`));
      expect(page).not.toMatch(/failed/);
    }
    // A service without codes (up to 0.1.0) is read by its status and its words.
    expect(await report(`${proxy}/old/401`)).toBe(`trailhound: the service at ${proxy}/old/401 refused the token in TRAILHOUND_TOKEN: ${fix}\n`);
    expect(await report(`${proxy}/old/503`)).toBe(`trailhound: the service at ${proxy}/old/503 cannot answer now: ${oldWords[503]}\n`);
    // A proxy's JSON without a code, in other words, is the proxy's, as its page is.
    const signInJson = new RegExp(`^trailhound: ${proxy}/json/401 answered HTTP 401 ".*proxy's 401.*", not as .* asks for a sign-in of its own`);
    expect(await report(`${proxy}/json/401`)).toMatch(signInJson);
    expect(await report(`${proxy}/json/503`)).toMatch(new RegExp(`^trailhound: ${proxy}/json/503 answered HTTP 503 ".*proxy's 503.*", ${proxyDown}`));
    // Its JSON 504 is not the service's query stopped: the service behind it did not answer in time.
    const gatewayJson = new RegExp(`^trailhound: ${proxy}/json/504 answered HTTP 504 ".*proxy's 504.*", not as .* did not get its answer`);
    expect(await report(`${proxy}/json/504`)).toMatch(gatewayJson);
  } finally {
    await api.close();
    await new Promise((resolve) => other.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

const NOT_S3_URLS = ['https://my-trail.s3.amazonaws.com/AWSLogs', 'http://127.0.0.1:9000/logs', 'S3://logs', 's3:/logs', 's3:logs'];
test.each(NOT_S3_URLS)('--source %s, a URL but not s3://, says what a source is', async (source) => {
  const dir = tempDir();
  const r = await runCli(['ingest', '--source', source, '--db', path.join(dir, 'x.duckdb')]);
  // Refused before the database is made.
  expect(fs.readdirSync(dir)).toEqual([]);
  fs.rmSync(dir, { recursive: true, force: true });
  const what = "give s3://bucket[/prefix] (an S3-compatible server's address goes in --s3-endpoint) or a folder";
  expect(r).toEqual({ code: 1, stdout: '', stderr: `trailhound: ${source} is not a source: ${what}\n` });
}, 30_000);
