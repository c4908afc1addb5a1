// trailhound ingest --source <s3://bucket[/prefix] | ./folder> [--days N | --since YYYY-MM-DD] [--db FILE] ...
import { Command, InvalidArgumentError } from 'commander';
import { messageOf } from '../../model/errorMessage';
import { counted } from '../counted';
import type { Database } from '../db/database';
import { foundNoLogs } from '../foundNoLogs';
import { printable } from '../table';
import { BOUNDS, checkSdkEndpoints, DEFAULTS, env, s3EndpointUrl, retentionDays, sourceList } from '../config';
import type { IngestProgress, IngestSummary } from '../ingest';
import { beforeCloudTrail, CLOUDTRAIL_BEGAN, dayWindow } from '../ingest/keys';
import * as lazy from './lazy';
import { IN_USE, openForWriting, warn, wholeFlag, withEnvironment } from './options';
import { stopSignals } from './signals';

/**
 * The ingest's summary, in words. `tried`: of its errors, those a later run tries again (out of memory, a failed download),
 * which need no fix of the file.
 */
export function formatSummary(s: IngestSummary, tried = 0): string {
  const secs = (s.durationMs / 1000).toFixed(1);
  // The window picks AWSLogs' day folders only: a file outside them (a folder of plain .json files) is read whatever its date.
  const undated = s.undated ?? 0;
  const days = `${s.window.from} to ${s.window.to}`;
  let window = days;
  if (undated > 0 && !s.dated) window = 'no AWSLogs day folders: every file read, whatever its date';
  else if (undated > 0) window = `${days}; ${counted(undated, 'file')} outside AWSLogs day folders read whatever ${undated === 1 ? 'its' : 'their'} date`;
  const lines = [
    `Ingested ${counted(s.objects, 'log file')} from ${s.source} (${window}) in ${secs}s:`,
    `  ${counted(s.events, 'new event')}, ${counted(s.duplicates, 'duplicate')} skipped, ${counted(s.unchanged, 'file')} already ingested, ` +
      `${counted(s.skipped, 'non-event file')} skipped`,
  ];
  if (s.rejected > 0) {
    const rejected = counted(s.rejected, 'record that cannot be an event', 'records that cannot be events');
    lines.push(`  ${rejected} (no usable eventTime, or not an object) kept in rejected_records`);
  }
  // "1 file … lists it", "2 files … lists them".
  const listed = (n: number) => `'trailhound report ingest --errors' lists ${n === 1 ? 'it' : 'them'}`;
  if (s.unreadable > 0) lines.push(`  ${counted(s.unreadable, 'file')} still unreadable, unchanged since an earlier run: ${listed(s.unreadable)}, with why`);
  if (s.waiting > 0) {
    const wait = s.waiting === 1 ? 'its wait is' : 'their waits are';
    lines.push(`  ${counted(s.waiting, 'file')} that ran out of memory before, not read again until ${wait} over: ${listed(s.waiting)}, with when`);
  }
  if (s.denied > 0) {
    const wait = s.denied === 1 ? 'its wait is' : 'their waits are';
    lines.push(
      `  ${counted(s.denied, 'file')} whose download was refused before, not tried again until ${wait} over (--retry-denied tries at once): ` +
        `${listed(s.denied)}, with when`
    );
  }
  if (s.halved > 0) {
    const was = s.halved === 1 ? 'was' : 'were';
    const saves = 'a bigger TRAILHOUND_MEMORY_LIMIT saves the rereads';
    lines.push(`  ${counted(s.halved, 'batch', 'batches')} ran out of DuckDB's memory and ${was} loaded again in two parts (${saves})`);
  }
  // What becomes of them, and what to do: the ledger keys a failure by the file's ETag (a folder's: its size and time).
  const broken = s.errors - tried;
  const [it, its] = broken === 1 ? ['it', 'its'] : ['them', 'their'];
  const kept = `left out of later runs until ${its} content changes (a new ETag; in a folder, a new size or modification time): fix or replace ${it}`;
  // Each file's warning went to stderr as it failed, not necessarily "above" this line (2>/dev/null, a log of stdout).
  const warned = `each in a 'could not ingest' warning on stderr, with why`;
  if (broken > 0) lines.push(`  ${counted(broken, 'file')} could not be read (${warned}): ${kept}; ${listed(broken)}`);
  if (tried > 0) {
    // Nothing wrong with the files: "fix or replace" sent users to files a later run reads as they are.
    const again = tried === 1 ? 'try it again as it is' : 'try them again as they are';
    lines.push(
      `  ${counted(tried, 'file')} could not be read for now, out of DuckDB's memory or not downloaded (${warned}): later runs ${again} ` +
        `(one that ran out of memory after a wait, or at once with another TRAILHOUND_MEMORY_LIMIT); ${listed(tried)}, with when`
    );
  }
  if (s.errors === 0) lines.push('  no new errors');
  if (s.stopped) lines.push('  stopped before the end: run the same command again to read the rest (nothing is read twice)');
  return lines.join('\n');
}

/** The --json line: the summary's counts, `stopped` only when it was, `pruned` (events removed) only under a retention. */
export function jsonSummary(s: IngestSummary, pruned?: number): string {
  const { objects, events, duplicates, skipped, errors, unchanged, unreadable, waiting, denied, rejected, halved, stopped } = s;
  const counts = { objects, events, duplicates, skipped, errors, unchanged, unreadable, waiting, denied, rejected, halved };
  return JSON.stringify({ ...counts, ...(stopped && { stopped }), ...(pruned !== undefined && { pruned }) });
}

/**
 * The progress bar's fill: the files loaded of those found so far. Before the listing finds any, empty, not full as
 * cli-progress draws 0 of 0 (a bar that looked done while the first folders of a large bucket were still listed).
 */
export function barFill(p: IngestProgress): { value: number; total: number } {
  if (p.objectsFound > 0) return { value: p.objectsDone, total: p.objectsFound };
  const listed = p.units > 0 && p.unitsDone === p.units;
  return { value: listed ? 1 : 0, total: 1 };
}

/**
 * A progress line's words: before the listing has said anything, what it does (not "0/0 files", a count no one has
 * made yet); once it is done (`done`, or every folder listed), the counts whatever they are.
 */
export function progressText(p: IngestProgress, done = false): string {
  const listed = done || (p.units > 0 && p.unitsDone === p.units);
  if (!listed && p.units === 0) return 'finding the folders to list';
  const files = listed || p.objectsFound > 0 ? `${p.objectsDone}/${p.objectsFound} files` : 'no new files found yet';
  return `${files}, ${counted(p.events, 'event')}, ${p.unitsDone}/${p.units} folders listed`;
}

export function ingestCommand(): Command {
  const definition = new Command('ingest')
    .description('read CloudTrail log files from S3 or a local folder into the DuckDB database')
    .requiredOption('--source <source>', 's3://bucket[/prefix] or a local folder (env TRAILHOUND_SOURCE)', env('SOURCE'))
    .option('--days <n>', `calendar days (UTC) to read, today's and the n - 1 before it (default: ${DEFAULTS.days})`, wholeFlag(BOUNDS.days))
    .option('--since <date>', 'ingest from this day (YYYY-MM-DD) until today, instead of --days')
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint, path-style (env TRAILHOUND_S3_ENDPOINT)', env('S3_ENDPOINT'))
    .option('--concurrency <n>', `parallel downloads (default: ${DEFAULTS.concurrency}, at most ${BOUNDS.concurrency.max})`, wholeFlag(BOUNDS.concurrency))
    .option(
      '--retention-days <n>',
      'keep this many days of events: read no further back, then remove older ones (env TRAILHOUND_RETENTION_DAYS)',
      wholeFlag(BOUNDS.retentionDays)
    )
    .option('--retry-denied', 'try at once the files whose download was refused (once their access, KMS key or file mode is fixed), not after their wait')
    .option('--json', 'print a one-line JSON summary instead of a progress bar')
    .action(async (opts, command: Command) => {
      if (opts.days && opts.since) throw new InvalidArgumentError('give --days or --since, not both');
      const { ingest, openSource } = lazy.ingestion();
      const { describePrune, prune } = lazy.retention();
      // serve reads a comma-separated list from the variable (a folder /data/trail,2024 is one); ingest reads one source per run.
      if (command.getOptionValueSource('source') === 'default') {
        const listed = sourceList();
        if (listed.length > 1) {
          throw new Error(`TRAILHOUND_SOURCE lists several sources (${opts.source}): ingest reads one per run, so give it with --source`);
        }
        opts.source = listed[0] ?? opts.source;
      }
      // Blank ("$UNSET"): read as a folder, it was the current one, every file of its tree recorded as unreadable.
      if (opts.source.trim() === '') throw new Error('--source is empty: give a folder or an s3://bucket[/prefix] URL');
      // The same list as a flag (a bucket's name has no comma): it was read as one bucket, "logs,s3:", that does not exist.
      if (/,\s*s3:\/\//.test(opts.source)) {
        throw new Error(`--source ${opts.source} lists several sources: ingest reads one per run, so run it once for each (serve reads several)`);
      }
      // The source and the window first: a mistake in them must not leave a new, empty database behind.
      dayWindow({ days: opts.days, since: opts.since });
      s3EndpointUrl(opts.s3Endpoint);
      // The SDK's own endpoints (AWS_ENDPOINT_URL_*, the config file's endpoint_url) for an S3 source only: a folder's
      // ingest asks no AWS service, and a variable left for another tool must not stop it.
      if (opts.source.startsWith('s3://')) await checkSdkEndpoints({ S3: opts.s3Endpoint, CloudTrail: env('CLOUDTRAIL_ENDPOINT') }, warn);
      openSource(opts.source, { s3Endpoint: opts.s3Endpoint }).close();
      const retention = retentionDays(opts.retentionDays);
      // What narrowed the window, said once the run has listed the source: one of plain .json files only (no AWSLogs
      // day folders) is read whole whatever the window, where "reading from 2013-11-13" would be untrue.
      const narrowed: string[] = [];
      const window = retention ? windowUnder(retention, narrowed, opts.days, opts.since) : { days: opts.days, since: opts.since };
      const early = beforeCloudTrail(window);
      if (early) {
        const asked = window.since !== undefined ? `--since ${window.since} is` : `--days ${window.days} reaches back to ${early},`;
        narrowed.push(`${asked} before CloudTrail began: reading from ${CLOUDTRAIL_BEGAN}`);
      }
      const { db, file, newFile, discardIfNew } = await openForWriting(opts.db, IN_USE.ingest);
      // A first run that fails before storing anything (bad credentials, a wrong bucket) removes the database it created:
      // left behind, empty, it made `report` and `serve` look loaded. Only its failed run would be lost, which the
      // error says.
      let discard = false;
      // Ctrl-C (or SIGTERM) stops after the batch being loaded, which commits whole with its ledger rows; a second
      // one quits at once, which is safe too (the batch in progress is rolled back), only slower to resume.
      const interrupt = new AbortController();
      let exitCode = 0;
      const signals = stopSignals();
      const stop = (signal: NodeJS.Signals, code: number) => {
        const which = signals(signal);
        if (which === 'echo') return;
        if (which === 'again') {
          // The bar hid the cursor and turned line wrapping off: give the terminal back first.
          bar?.stop();
          // Node's exit waits for the DuckDB statement running (seconds on a big batch): interrupt it, it is rolled back.
          db.interrupt();
          process.exit(code);
        }
        exitCode = code;
        interrupt.abort();
        process.stderr.write(`\n${signal}: stopping after the batch being loaded (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)\n`);
      };
      const onInt = () => stop('SIGINT', 130);
      const onTerm = () => stop('SIGTERM', 143);
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      const bar = !opts.json && process.stderr.isTTY ? new (lazy.progressBar().SingleBar)({
        format: 'ingesting |{bar}| {said}',
        hideCursor: true,
        stream: process.stderr,
      }) : undefined;
      const start = { unitsDone: 0, units: 0, objectsDone: 0, objectsFound: 0, events: 0 };
      bar?.start(barFill(start).total, barFill(start).value, { said: progressText(start) });
      // Without a terminal (containers, CI, log files): a plain progress line at most every second.
      const lines = !opts.json && !bar;
      // This run's errors that a later run tries again (formatSummary).
      let tried = 0;
      let lastLine = 0;
      let lastDone = 0;
      // The last progress, and the last line printed of it: a quick run's last progress comes within the second, and
      // its line ("N/N folders listed") is printed once the run is over.
      let lastProgress: IngestProgress | undefined;
      let lastPrinted = '';
      /** A note, not a warning: off the bar's line, and not under --json. */
      const note = (said: string) => {
        if (opts.json) return;
        if (bar) process.stderr.write('\n');
        process.stderr.write(`trailhound: ${said}\n`);
      };
      try {
        const summary = await ingest({
          source: opts.source,
          db,
          days: window.days,
          since: window.since,
          retentionDays: retention,
          s3Endpoint: opts.s3Endpoint,
          concurrency: opts.concurrency,
          retryDenied: opts.retryDenied,
          signal: interrupt.signal,
          onProgress: (p) => {
            bar?.setTotal(barFill(p).total);
            bar?.update(barFill(p).value, { said: progressText(p) });
            lastProgress = p;
            // A line per committed batch, and one a second while listing: enough to follow, never a flood.
            if (lines && (p.objectsDone !== lastDone || Date.now() - lastLine >= 1000)) {
              lastLine = Date.now();
              lastDone = p.objectsDone;
              lastPrinted = progressText(p);
              process.stderr.write(`ingesting: ${lastPrinted}\n`);
            }
          },
          onFileError: (key, reason, retried) => {
            if (retried) tried++;
            // A warning: the run goes on, and its summary counts these files. Off the bar's line.
            if (opts.json) return;
            if (bar) process.stderr.write('\n');
            // A key is whatever name the bucket's writer gave: its control characters must not reach the terminal.
            warn(`could not ingest ${printable(key)}: ${printable(reason)}`);
          },
          // Not a fault, and counted in the summary (halved): said as it happens, as the progress is.
          onHalved: ({ said }) => note(said),
          // Not a fault either: a setting that spares a redirect per request.
          onRegionUnknown: note,
          // Said under --json too, as the command's other warnings: no count in the summary tells of these links.
          onPassedOver: (key, reason) => {
            if (bar) process.stderr.write('\n');
            warn(`${printable(key)} is ${printable(reason)}`);
          },
        });
        if (bar && lastProgress) bar.update(barFill(lastProgress).value, { said: progressText(lastProgress, true) });
        bar?.stop();
        if (lines && lastProgress && progressText(lastProgress, true) !== lastPrinted) process.stderr.write(`ingesting: ${progressText(lastProgress, true)}\n`);
        if (windowApplied(summary)) for (const said of narrowed) warn(said);
        // The source as the user gave it (./logs, not /home/them/logs), as serve's status and log name theirs.
        const given = { ...summary, source: opts.source };
        const nothing = foundNoLogs(given);
        if (nothing) warn(`${nothing}: check --source, or give --days or --since for older logs`);
        // Not after a stopped run: the user asked it to stop.
        const pruned = retention && !summary.stopped ? await prune(db, retention) : undefined;
        // Each run keeps its batches' files in Parquet files of their own: a cron job every 5 minutes would pile them up.
        const { compactOriginals, describeCompaction } = lazy.originals();
        const compacted = summary.stopped ? undefined : describeCompaction(await compactOriginals(db, { signal: interrupt.signal }));
        const said = [formatSummary(given, tried), ...(pruned ? [describePrune(pruned)] : []), ...(compacted ? [compacted] : [])];
        console.log(opts.json ? jsonSummary(summary, pruned?.events) : said.join('\n'));
        // Interrupted: the shell's code for the signal, so that a script does not take a partial run for a whole one.
        // Also when the signal came after the last batch (its prune or compaction stopped): the user asked it to stop.
        if (interrupt.signal.aborted) process.exitCode = exitCode;
      } catch (err) {
        const stored = newFile ? await storedByRun(db) : undefined;
        if (!stored || stored.events) throw err;
        discard = !stored.anything;
        const message = messageOf(err);
        const note = discard
          ? `nothing was stored: the database this run created, ${file}, is removed again`
          : `no events were stored, but the database this run created, ${file}, is kept for the log files it could not read: ` +
            "'trailhound report ingest --errors' lists them";
        throw new Error(`${message}\n(${note})`, { cause: err });
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        bar?.stop();
        db.close();
        if (discard) discardIfNew();
      }
    });
  return withEnvironment(definition, ['TRAILHOUND_MEMORY_LIMIT', 'AWS_*']);
}

/** What a run stored in `db`: events, or anything at all (kept log files, files it read or could not read, rejected records). */
async function storedByRun(db: Database): Promise<{ events: boolean; anything: boolean }> {
  const others = ['log_objects', 'ingested_objects', 'ingest_errors', 'rejected_records'].map((t) => `EXISTS (SELECT 1 FROM ${t})`).join(' OR ');
  const row = await db.one<{ events: boolean; others: boolean }>(`SELECT EXISTS (SELECT 1 FROM events) AS events, ${others} AS others`);
  return { events: row?.events ?? true, anything: (row?.events || row?.others) ?? true };
}

/** Whether the run's window picked any file: not when all it listed were outside AWSLogs' day folders (read whatever their date). */
export function windowApplied(s: Pick<IngestSummary, 'dated' | 'undated'>): boolean {
  return (s.dated ?? 0) > 0 || (s.undated ?? 0) === 0;
}

/** The window a run reads under a retention: never further back than it keeps (an asked-for longer one is told in `narrowed`). */
function windowUnder(retention: number, narrowed: string[], days?: number, since?: string): { days?: number; since?: string } {
  const { daysUnder, retentionCutoff } = lazy.retention();
  const { firstDay } = retentionCutoff(retention, new Date());
  if (since !== undefined) {
    if (since >= firstDay) return { since };
    narrowed.push(`--since ${since} is before what a retention of ${counted(retention, 'day')} keeps: reading from ${firstDay}`);
    return { since: firstDay };
  }
  const read = daysUnder(retention, days ?? DEFAULTS.days);
  if (days !== undefined && read < days) {
    narrowed.push(`--days ${days} reaches past what a retention of ${counted(retention, 'day')} keeps: reading ${counted(read, 'day')}`);
  }
  return { days: read };
}
