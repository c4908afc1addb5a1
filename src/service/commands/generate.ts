// trailhound generate --out DIR [--events N] [--days D] [--seed S] [--end ISO]
import fs from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { writeLogFolder } from '../../generator';
import { messageOf } from '../../model/errorMessage';
import { counted } from '../counted';
import { BOUNDS, DEFAULTS } from '../config';
import { CLOUDTRAIL_BEGAN, cloudTrailDays } from '../ingest/keys';
import { parseTime } from '../reports/time';
import { wholeFlag } from './options';

const DAY_MS = 86_400_000;

export function generateCommand(): Command {
  return new Command('generate')
    .description('write realistic, deterministic CloudTrail log files in the S3 key layout (for trying things out and benchmarks)')
    .requiredOption('--out <dir>', 'folder to write into (a new or empty one)')
    .option('--events <n>', `unique events (at most ${BOUNDS.events.max})`, wholeFlag(BOUNDS.events), 100_000)
    .option('--days <n>', 'calendar days up to --end, none before CloudTrail began (2013-11-13)', wholeFlag(BOUNDS.days), 14)
    .option('--seed <n>', `same seed, same files (at most ${BOUNDS.seed.max})`, wholeFlag(BOUNDS.seed), 1)
    .option('--end <iso>', 'last moment of the logs (default: now)', (v: string) => {
      // Read as report's times are: Date would move a 30 February to 2 March.
      let ms: number;
      try {
        ms = parseTime('--end', v);
      } catch (err) {
        const none = /: (the calendar has no .*)$/.exec(messageOf(err))?.[1];
        throw new InvalidArgumentError(`expected an ISO time, e.g. 2026-11-20T12:00:00Z${none ? `: ${none}` : ''}`);
      }
      // Logs of days to come are none that ingest reads (its window ends today), and their events would be refused.
      if (ms > Date.now()) throw new InvalidArgumentError('expected a time up to now: ingest reads no logs of days to come');
      // Nor logs of days before CloudTrail began (--days then said "at most -1411").
      if (ms < Date.parse(`${CLOUDTRAIL_BEGAN}T00:00:00Z`)) {
        throw new InvalidArgumentError(`expected a time from ${CLOUDTRAIL_BEGAN}, when CloudTrail began: ingest reads no earlier logs`);
      }
      return new Date(ms);
    })
    .action(async (opts) => {
      // Logs of days before CloudTrail began are none that ingest reads (its window starts there): --days 100000000
      // wrote events of the year -271764, and a Next line with --from -271764-03.
      const possible = cloudTrailDays(opts.end ?? new Date());
      if (opts.days > possible) {
        const span = `the days from ${CLOUDTRAIL_BEGAN} (when CloudTrail began) to --end`;
        throw new Error(`--days ${opts.days}: at most ${possible}, ${span}; ingest reads no earlier logs`);
      }
      // Not Node's "ENOTDIR: not a directory, mkdir '<file>/AWSLogs/…'" halfway through.
      if (fs.existsSync(opts.out) && !fs.statSync(opts.out).isDirectory()) {
        throw new Error(`--out ${opts.out} is a file: give a folder (it is created when missing)`);
      }
      // Not Node's bare "EACCES: permission denied, mkdir '<out>/AWSLogs/…'", without what to do.
      try {
        fs.mkdirSync(opts.out, { recursive: true });
        fs.accessSync(opts.out, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
      } catch (err) {
        throw new Error(`cannot write into --out ${opts.out} (${messageOf(err)}): give a folder this user can write`, { cause: err });
      }
      // Not added to what is there: another run's files, of other --events, --days or --seed, would be ingested with these.
      const there = fs.existsSync(opts.out) ? fs.readdirSync(opts.out) : [];
      if (there.length > 0) {
        const listed = `${there.slice(0, 3).join(', ')}${there.length > 3 ? ', …' : ''}`;
        throw new Error(`--out ${opts.out} is not empty (${listed}): give a new or empty folder, or remove it first`);
      }
      const started = Date.now();
      let last = 0;
      const summary = await writeLogFolder(opts.out, { events: opts.events, days: opts.days, seed: opts.seed, end: opts.end }, (n) => {
        if (process.stderr.isTTY && Date.now() - last > 200) {
          last = Date.now();
          process.stderr.write(`\rgenerating: ${Math.min(100, Math.floor((n / opts.events) * 100))}%`);
        }
      });
      if (process.stderr.isTTY) process.stderr.write('\r');
      console.log(
        `Wrote ${counted(summary.records, 'record')} (${counted(opts.events, 'unique event')}) in ${counted(summary.files, 'log file')} ` +
          `and ${counted(summary.digests, 'digest file')} to ${opts.out} in ${((Date.now() - started) / 1000).toFixed(1)}s`
      );
      console.log(nextStep(opts.out, opts.days, opts.end ?? new Date()));
    });
}

/**
 * The ingest (and report) that read every generated day. ingest reads the last 14 days up to today, and report
 * looks back 14 days: `--days 30`, or an --end in the past, left days out, or every one ("Ingested 0 log files").
 */
export function nextStep(out: string, days: number, end: Date, now = new Date()): string {
  const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
  const first = dayOf(end.getTime() - (days - 1) * DAY_MS);
  const folder = /^[\w./-]+$/.test(out) ? out : `'${out.replace(/'/g, `'\\''`)}'`;
  const ingest = `trailhound ingest --source ${folder}`;
  if (dayOf(end.getTime()) < dayOf(now.getTime())) {
    return `Next: ${ingest} --since ${first}, then trailhound report events --from ${first} --to ${dayOf(end.getTime() + DAY_MS)}`;
  }
  if (days <= DEFAULTS.days) return `Next: ${ingest}, then trailhound report events`;
  return `Next: ${ingest} --days ${days}, then trailhound report events --from ${first}`;
}
