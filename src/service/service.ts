// The long-running service: ingestion on a schedule (a backfill first, then each poll the days since the last
// successful run, at least today and yesterday), for each source in turn,
// the trail inventory refreshed hourly for S3 sources, and on-demand backfills. One ingestion at a time.
import { messageOf } from '../model/errorMessage';
import { counted } from './counted';
import { kindsOf } from './errorKind';
import { foundNoLogs } from './foundNoLogs';
import type { Database } from './db/database';
import { COMPLETED_RUN, ingest, recordEndedRun, sourceId, sourceLedger, type IngestProgress, type IngestSummary } from './ingest';
import { beforeCloudTrail, CLOUDTRAIL_BEGAN, cloudTrailDays, dayWindow } from './ingest/keys';
import { compactOriginals, describeCompaction } from './ingest/originals';
import { BucketRegions, type ThrottleWaits } from './ingest/sources/s3';
import { failureFields, startPoller, type Poller } from './ingest/poller';
import { daysUnder, prune } from './ingest/retention';
import type { Logger } from './logger';
import { syncTrails } from './trails';

export interface ServiceOptions {
  db: Database;
  /** s3://bucket[/prefix] or folders: each on its own days (its own last good run), one after the other. */
  sources: string[];
  logger: Logger;
  /** Days of the first run (the backfill), default 14. */
  days?: number;
  pollIntervalMs: number;
  trailsIntervalMs?: number;
  s3Endpoint?: string;
  /** The waits of a listing S3 throttles (default sources/s3.ts THROTTLE_WAITS; tests shorten them). */
  s3ThrottleWaits?: ThrottleWaits;
  cloudtrailEndpoint?: string;
  /** Refresh the trail inventory (default: when a source is S3). */
  syncTrails?: boolean;
  /** The clock (tests move it across days). */
  now?: () => Date;
  /** Runs before each poll reads the sources (the bundled sample delivers its new minutes there). */
  beforePoll?: (now: Date) => Promise<void>;
  /** Keep this many days of events (ingest/retention.ts): runs read no further back, and an hourly prune removes the rest. */
  retentionDays?: number;
  /** How often a run in progress logs how far it is (default every 30 s; a shorter run logs none). */
  progressLogMs?: number;
}

/** What a poll or a backfill did, over every source. */
export type RunTotals = Pick<IngestSummary, 'objects' | 'events' | 'duplicates' | 'skipped' | 'unchanged' | 'errors' | 'stopped'>;

export interface Service {
  /** Ingests the last `days` days of every source now (after any run in progress); what POST /api/backfill calls. */
  backfill(days: number): Promise<RunTotals>;
  readonly lastPoll: Date | null;
  readonly lastPollError: string | null;
  /** Stops polling; a run in progress stops after the batch it is loading (the next run reads the rest of its days). */
  stop(): Promise<void>;
}

/** Polls read today and yesterday: CloudTrail delivers within minutes, and a day boundary must not lose files. */
export const POLL_DAYS = 2;

/** How often the poll that follows also prunes: the cutoff moves by the hour, and a prune reads every table. */
const PRUNE_EVERY_MS = 3_600_000;

/** As often, the kept log files of finished days are compacted (ingest/originals.ts), a day at a time, starting no new day after this long. */
const COMPACT_EVERY_MS = 3_600_000;
const COMPACT_BUDGET_MS = 60_000;

const DAY_MS = 86_400_000;
/** Whole UTC days from a's day to b's day. */
const utcDaysBetween = (a: Date, b: Date) => Math.floor(b.getTime() / DAY_MS) - Math.floor(a.getTime() / DAY_MS);

async function lastGoodRunStart(db: Database, source: string): Promise<Date | null> {
  const row = await db.one<{ ms: bigint | null }>(
    `SELECT epoch_ms(max(started_at)) AS ms FROM ingest_runs WHERE source = $source AND ${COMPLETED_RUN}`,
    { source }
  );
  return row?.ms === null || row?.ms === undefined ? null : new Date(Number(row.ms));
}

/**
 * The first day of any run since `after` that did not complete its window (stopped by a shutdown, failed, or killed):
 * a stopped backfill of older logs is read again from there, not lost.
 */
async function unfinishedWindowFrom(db: Database, source: string, after: Date | null): Promise<Date | null> {
  const row = await db.one<{ day: string | null }>(
    `SELECT min(window_from) AS day FROM ingest_runs
     WHERE source = $source AND window_from IS NOT NULL AND NOT (${COMPLETED_RUN}) AND ($after IS NULL OR started_at > $after::TIMESTAMP)`,
    { source, after: after?.toISOString() ?? null }
  );
  return row?.day ? new Date(`${row.day}T00:00:00Z`) : null;
}

export function startService(options: ServiceOptions): Service {
  const { db, logger } = options;
  const now = options.now ?? (() => new Date());
  let queue: Promise<unknown> = Promise.resolve();
  let running = 0;
  // Ingestion runs one at a time, in order: a backfill waits for the poll in progress and the other way round.
  const exclusive = <T>(job: () => Promise<T>): Promise<T> => {
    const counted = () => {
      running++;
      return job().finally(() => running--);
    };
    const run = queue.then(counted, counted);
    queue = run.catch(() => undefined);
    return run;
  };
  // stop() aborts it: a run in progress stops after its batch instead of reading the rest of its days, which can take
  // longer than Docker or Kubernetes wait before SIGKILL.
  const stopping = new AbortController();
  const retention = options.retentionDays;
  // Under a retention no run reads further back than it keeps: older files would be pruned right after.
  const withinRetention = (days: number) => daysUnder(retention, days);
  // dayWindow starts no window before CloudTrail began; a run asked to read further back (serve --days, a backfill)
  // says so.
  const noteEarly = (days: number, asked: string) => {
    const early = beforeCloudTrail({ days: withinRetention(days), now: now() });
    if (early) logger.info({ days, from: CLOUDTRAIL_BEGAN }, `${asked} reach back to ${early}, before CloudTrail began: reading from ${CLOUDTRAIL_BEGAN}`);
  };
  if (options.days) noteEarly(options.days, 'the days asked for');
  // Shared by every run: HeadBucket is asked once per bucket, not at every poll, and a Region it did not learn said once.
  const bucketRegions = new BucketRegions();
  /** Per source and kind, what its listing left out last warned of (FolderSource.passedOver: links not followed, …). */
  const passedOverSaid = new Map<string, string>();
  /** `retryDenied`: a backfill, which an Admin asks for, tries the files whose download was denied at once (IngestOptions). */
  const ingestDays = async (source: string, days: number, at = now(), retryDenied = false) => {
    // A first load of a large bucket runs for hours: without a line now and then, the log looks like a hung service.
    let progress: IngestProgress | undefined;
    const timer = setInterval(() => {
      if (!progress) return;
      const { objectsDone, objectsFound, events, unitsDone, units } = progress;
      logger.info(
        { job: 'ingest', source, objectsDone, objectsFound, events, unitsDone, units },
        `reading ${source}: ${objectsDone} of ${counted(objectsFound, 'log file')} found so far, ${counted(events, 'new event')}, ` +
          `${unitsDone} of ${counted(units, 'folder')} listed`
      );
    }, options.progressLogMs ?? 30_000).unref();
    try {
      return await ingest({
        source,
        db,
        days: withinRetention(days),
        now: at,
        retentionDays: retention,
        s3Endpoint: options.s3Endpoint,
        s3ThrottleWaits: options.s3ThrottleWaits,
        bucketRegions,
        // Not a fault (the run reads all it should): a setting that spares a redirect per request.
        onRegionUnknown: (said) => logger.info({ source }, said),
        retryDenied,
        signal: stopping.signal,
        onProgress: (p) => (progress = p),
        onFileError: (key, reason) => logger.warn({ source, key, reason }, 'could not ingest a log file; recorded in ingest_errors'),
        onHalved: ({ said, ...batch }) => logger.info({ job: 'ingest', source, ...batch }, said),
        onPassedOver: (key, reason, what) => {
          // Said once, and again only when what is passed over changes: the same links would warn at every poll.
          const said = `${source}\0${what}`;
          const level = passedOverSaid.get(said) === reason ? 'debug' : 'warn';
          passedOverSaid.set(said, reason);
          logger[level]({ source, key, reason }, what);
        },
      });
    } finally {
      clearInterval(timer);
    }
  };

  // Each source's own days. lastSuccessStart: when its last successful run started (read from ingest_runs at its
  // first run, so a restart knows it too): a run reads every day folder since then, so days of failed polls or of a
  // stopped service leave no gap.
  // emptySaid: its last poll found no log file, and said so.
  const sources = options.sources.map((source) => ({
    source, id: sourceId(source), lastSuccessStart: undefined as Date | null | undefined, first: true, emptySaid: false,
  }));
  const several = sources.length > 1;
  let sourcesRecorded = false;
  let lastPrune: number | undefined;
  const pruneIfDue = async (at: Date) => {
    if (!retention || (lastPrune !== undefined && at.getTime() - lastPrune < PRUNE_EVERY_MS)) return;
    let summary;
    const started = Date.now();
    try {
      summary = await prune(db, retention, at);
    } catch (err) {
      // Not the poll's failure: a failed prune must not read as a failed poll (nor delay the next one).
      const ms = Date.now() - started;
      logger.warn({ job: 'retention', ms, err: messageOf(err) }, 'prune failed; trying again after the next poll');
      return;
    }
    lastPrune = at.getTime();
    if (summary.events + summary.logFiles + summary.ledgerRows + summary.records > 0) {
      const said = `removed ${counted(summary.events, 'event')} from before ${summary.before} (retention: ${counted(retention, 'day')})`;
      logger.info({ job: 'retention', ms: Date.now() - started, ...summary }, said);
    }
  };
  let lastCompaction: number | undefined;
  const compactIfDue = async (at: Date) => {
    if (lastCompaction !== undefined && at.getTime() - lastCompaction < COMPACT_EVERY_MS) return;
    lastCompaction = at.getTime();
    const started = Date.now();
    try {
      // In a turn of the poller's, so no batch writes a file meanwhile; the budget keeps the next poll on time (a first
      // compaction of a year of small files takes several turns).
      const summary = await compactOriginals(db, { now: at, budgetMs: COMPACT_BUDGET_MS, signal: stopping.signal });
      const said = describeCompaction(summary);
      if (said) logger[summary.failed.length > 0 ? 'warn' : 'info']({ job: 'compaction', ms: Date.now() - started, ...summary }, said);
    } catch (err) {
      const message = messageOf(err);
      logger.warn({ job: 'compaction', ms: Date.now() - started, err: message }, 'compacting the kept log files failed; trying again in an hour');
    }
  };
  const describe = (s: RunTotals) => ({
    objects: s.objects, events: s.events, duplicates: s.duplicates, skipped: s.skipped, errors: s.errors, ...(s.stopped && { stopped: true }),
  });

  /** One poll of one source: the days since its last good run, at least the usual ones. */
  const pollSource = async (state: (typeof sources)[number]): Promise<IngestSummary> => {
    const { source, id } = state;
    // Its own start, not the poll's: the sources before it can take hours (a first load) and cross midnight, and its
    // days count back from the day it reads to.
    const startedAt = now();
    if (state.lastSuccessStart === undefined) state.lastSuccessStart = await lastGoodRunStart(db, id);
    const sinceLastGood = state.lastSuccessStart ? utcDaysBetween(state.lastSuccessStart, startedAt) + 1 : 0;
    const unfinished = await unfinishedWindowFrom(db, id, state.lastSuccessStart);
    const sinceUnfinished = unfinished ? utcDaysBetween(unfinished, startedAt) + 1 : 0;
    const usual = state.first ? (options.days ?? 14) : POLL_DAYS;
    const wanted = Math.max(usual, sinceLastGood, sinceUnfinished);
    const days = withinRetention(wanted);
    if (days > usual) {
      const since = sinceUnfinished > sinceLastGood ? 'a run that did not complete' : 'the last good run';
      const which = days < wanted ? `the retention keeps (${since} was ${counted(wanted - 1, 'day')} ago)` : `since ${since}`;
      logger.info(
        { ...(several && { source }), days, lastGoodRun: state.lastSuccessStart?.toISOString() ?? null },
        `catching up: reading the ${counted(days, 'day')} ${which}${several ? ` (${source})` : ''}`
      );
    }
    if (days < usual) {
      logger.info(
        { ...(several && { source }), days },
        `reading the ${counted(days, 'day')} the retention keeps, not the ${counted(usual, 'day')} of the backfill${several ? ` (${source})` : ''}`
      );
    }
    const summary = await ingestDays(source, days, startedAt);
    // Not a complete read of its days (the service is stopping): the next start reads on from the last good run.
    if (summary.stopped) return summary;
    const nothing = foundNoLogs(summary);
    if (nothing) {
      // As ingest warns: a folder that is there but the wrong one. Once until the source has files again: the same line
      // at every poll would bury the rest of the log.
      const older = state.first ? ', or give --days for older logs' : '';
      logger[state.emptySaid ? 'debug' : 'warn']({ source, days }, `${nothing}: check --source (or TRAILHOUND_SOURCE)${older}`);
    }
    state.emptySaid = nothing !== undefined;
    state.first = false;
    state.lastSuccessStart = startedAt;
    return summary;
  };

  /**
   * Runs `read` for every source in turn. A source that fails does not keep the others from being read; the run then
   * fails with every source's reason, and the poller retries it (what was read is in the ledger). After a stop, the
   * sources not reached yet go to notReached.
   */
  const eachSource = async (
    read: (state: (typeof sources)[number]) => Promise<IngestSummary>,
    notReached?: (state: (typeof sources)[number]) => Promise<void>
  ): Promise<RunTotals> => {
    const totals: RunTotals = { objects: 0, events: 0, duplicates: 0, skipped: 0, unchanged: 0, errors: 0, stopped: false };
    const failures: Array<{ source: string; err: unknown }> = [];
    for (const state of sources) {
      if (stopping.signal.aborted) {
        totals.stopped = true;
        await notReached?.(state);
        continue;
      }
      try {
        const summary = await read(state);
        if (several) logger.info({ job: 'ingest', source: state.source, ...describe(summary) }, 'source read');
        for (const key of ['objects', 'events', 'duplicates', 'skipped', 'unchanged', 'errors'] as const) totals[key] += summary[key];
        totals.stopped ||= summary.stopped;
      } catch (err) {
        failures.push({ source: state.source, err });
        // As the poller's line for one source: the run's joined message cannot carry each source's AWS answer.
        if (several) logger.warn({ job: 'ingest', source: state.source, ...failureFields(err) }, 'source failed');
      }
    }
    if (failures.length === 1 && !several) throw failures[0].err;
    if (failures.length > 0) {
      // Each source's kind, in the message's order (the ingestion status's lastPollErrorKinds, the backfill's errorKinds).
      const joined = failures.map(({ source, err }) => `${source}: ${messageOf(err)}`).join('; ');
      throw Object.assign(new Error(joined), { kinds: failures.flatMap(({ err }) => kindsOf(err)) });
    }
    return totals;
  };

  /** When the last poll started: the prune's and the compaction's clock. */
  let pollStarted: Date | undefined;
  const poller: Poller = startPoller({
    name: 'ingest',
    intervalMs: options.pollIntervalMs,
    logger,
    describe,
    stopped: (totals) => totals.stopped,
    // Its days are worked out in its turn, once any run before it (a backfill) has finished and is on record.
    run: () => exclusive(async () => {
      // Its turn came after stop(): nothing to start (no sample delivery, no catch-up, no empty stopped run).
      if (stopping.signal.aborted) return undefined;
      const startedAt = now();
      pollStarted = startedAt;
      await options.beforePoll?.(startedAt);
      // The ingestion status reports the last error of each of these (reports/sql.ts LISTED_SOURCES): found by the id
      // their runs carry, shown as configured (the user's ./logs or s3://bucket, not /srv/app/logs or s3://bucket/).
      // Written by the first poll (again by the next, if it failed): the list does not change while the service runs.
      if (!sourcesRecorded) {
        // And where their files are in the ledger: a source that is an account's folder counts its trail's rows under it.
        const ledgers = sources.map((s) => sourceLedger(s.source));
        await db.run(
          `INSERT OR REPLACE INTO meta VALUES ('sources', $ids), ('source_names', $names), ('source_ledgers', $ledgers), ('source_key_scopes', $scopes)`,
          {
            ids: JSON.stringify(sources.map((s) => s.id)),
            names: JSON.stringify(sources.map((s) => s.source)),
            ledgers: JSON.stringify(ledgers.map((l) => l.ledger)),
            scopes: JSON.stringify(ledgers.map((l) => l.keyScope)),
          }
        );
        sourcesRecorded = true;
      }
      return eachSource(pollSource);
    }),
    // After the poll's line, which so counts the ingestion alone, and after a failed poll too: pruning needs no source,
    // and one that fails must not let the database grow past the retention. Compaction after it, which then finds what
    // the prune left of a file of several days. A turn of their own: no batch writes a file meanwhile.
    after: () => exclusive(async () => {
      if (stopping.signal.aborted || !pollStarted) return;
      await pruneIfDue(pollStarted);
      if (!stopping.signal.aborted) await compactIfDue(pollStarted);
    }),
  });

  const trails: Poller | undefined = (options.syncTrails ?? options.sources.some((source) => source.startsWith('s3://')))
    ? startPoller({
        name: 'trails sync',
        intervalMs: options.trailsIntervalMs ?? 3_600_000,
        retryMs: 60_000,
        logger,
        describe: (r) => ({ trails: r.trails.length, warnings: r.warnings }),
        run: async () => {
          try {
            return await syncTrails(db, { endpoint: options.cloudtrailEndpoint, s3Endpoint: options.s3Endpoint, signal: stopping.signal });
          } catch (err) {
            // Ended by the stop, which must not wait for an endpoint that is slow to answer: not a failure to log.
            if (stopping.signal.aborted) return undefined;
            throw err;
          }
        },
      })
    : undefined;

  return {
    backfill: async (days) => {
      noteEarly(days, `the ${counted(days, 'day')} of the backfill`);
      const totals = await exclusive(() =>
        eachSource(
          ({ source }) => ingestDays(source, days, now(), true),
          // A source the stop came before is on record as a stopped run of the backfill's days: the next start reads
          // them, as it reads the rest of the source the stop came during.
          ({ source }) => recordEndedRun(db, source, new Date(), dayWindow({ days: withinRetention(days), now: now() }).from, { stopped: true })
        )
      );
      logger.info(
        { job: 'backfill', days: Math.min(withinRetention(days), cloudTrailDays(now())), ...describe(totals) },
        totals.stopped ? 'backfill stopped' : 'backfill finished'
      );
      return totals;
    },
    get lastPoll() {
      return poller.lastSuccess;
    },
    get lastPollError() {
      return poller.lastError;
    },
    stop: async () => {
      if (running > 0) logger.info('stopping after the current batch: the next start reads the rest of its days');
      stopping.abort();
      await Promise.all([poller.stop(), trails?.stop()]);
      await queue;
    },
  };
}
