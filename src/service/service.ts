// The long-running service: ingestion on a schedule (a backfill first, then each poll the days since the last
// successful run, at least today and yesterday),
// the trail inventory refreshed hourly for S3 sources, and on-demand backfills. One ingestion at a time.
import type { Database } from './db/database';
import { COMPLETED_RUN, ingest, sourceId, type IngestSummary } from './ingest';
import { startPoller, type Poller } from './ingest/poller';
import { dayCount, daysWithin, prune } from './ingest/retention';
import type { Logger } from './logger';
import { syncTrails } from './trails';

export interface ServiceOptions {
  db: Database;
  source: string;
  logger: Logger;
  /** Days of the first run (the backfill), default 14. */
  days?: number;
  pollIntervalMs: number;
  trailsIntervalMs?: number;
  s3Endpoint?: string;
  cloudtrailEndpoint?: string;
  /** Refresh the trail inventory (default: when the source is S3). */
  syncTrails?: boolean;
  /** The clock (tests move it across days). */
  now?: () => Date;
  /** Runs before each poll reads the source (the bundled sample delivers its new minutes there). */
  beforePoll?: (now: Date) => Promise<void>;
  /** Keep this many days of events (ingest/retention.ts): runs read no further back, and an hourly prune removes the rest. */
  retentionDays?: number;
}

export interface Service {
  /** Ingests the last `days` days now (after any run in progress); what POST /api/backfill calls. */
  backfill(days: number): Promise<IngestSummary>;
  readonly lastPoll: Date | null;
  readonly lastPollError: string | null;
  /** Stops polling; a run in progress stops after the batch it is loading (the next run reads the rest of its days). */
  stop(): Promise<void>;
}

/** Polls read today and yesterday: CloudTrail delivers within minutes, and a day boundary must not lose files. */
export const POLL_DAYS = 2;

/** How often the poll that follows also prunes: the cutoff moves by the hour, and a prune reads every table. */
const PRUNE_EVERY_MS = 3_600_000;

const DAY_MS = 86_400_000;
/** Whole UTC days from a's day to b's day. */
const utcDaysBetween = (a: Date, b: Date) => Math.floor(b.getTime() / DAY_MS) - Math.floor(a.getTime() / DAY_MS);

async function lastGoodRunStart(db: Database, source: string): Promise<Date | null> {
  const row = await db.one<{ ms: bigint | null }>(`SELECT epoch_ms(max(started_at)) AS ms FROM ingest_runs WHERE source = $source AND ${COMPLETED_RUN}`, { source });
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
  const { db, source, logger } = options;
  const id = sourceId(source);
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
  const withinRetention = (days: number) => (retention ? Math.min(days, daysWithin(retention)) : days);
  const ingestDays = (days: number) =>
    ingest({
      source,
      db,
      days: withinRetention(days),
      now: now(),
      s3Endpoint: options.s3Endpoint,
      signal: stopping.signal,
      onFileError: (key, reason) => logger.warn({ key, reason }, 'could not ingest a log file; recorded in ingest_errors'),
    });

  // When the last successful run started (read from ingest_runs at the first run, so a restart knows it too): a run
  // reads every day folder since then, so days of failed polls or of a stopped service leave no gap.
  let lastSuccessStart: Date | null | undefined;
  let first = true;
  let lastPrune: number | undefined;
  const pruneIfDue = async (at: Date) => {
    if (!retention || (lastPrune !== undefined && at.getTime() - lastPrune < PRUNE_EVERY_MS)) return;
    let summary;
    try {
      summary = await prune(db, retention, at);
    } catch (err) {
      // The poll itself succeeded: a failed prune must not read as a failed poll (nor delay the next one).
      logger.warn({ job: 'retention', err: err instanceof Error ? err.message : String(err) }, 'prune failed; trying again after the next poll');
      return;
    }
    lastPrune = at.getTime();
    if (summary.events + summary.logFiles + summary.ledgerRows + summary.records > 0) {
      logger.info({ job: 'retention', ...summary }, `removed ${summary.events} events from before ${summary.before} (retention: ${dayCount(retention)})`);
    }
  };
  const describe = (s: IngestSummary) => ({
    objects: s.objects, events: s.events, duplicates: s.duplicates, skipped: s.skipped, errors: s.errors, ...(s.stopped && { stopped: true }),
  });
  const poller: Poller = startPoller({
    name: 'ingest',
    intervalMs: options.pollIntervalMs,
    logger,
    describe,
    // Its days are worked out in its turn, once any run before it (a backfill) has finished and is on record.
    run: () => exclusive(async () => {
      // Its turn came after stop(): nothing to start (no sample delivery, no catch-up, no empty stopped run).
      if (stopping.signal.aborted) return undefined;
      const startedAt = now();
      await options.beforePoll?.(startedAt);
      if (lastSuccessStart === undefined) lastSuccessStart = await lastGoodRunStart(db, id);
      const sinceLastGood = lastSuccessStart ? utcDaysBetween(lastSuccessStart, startedAt) + 1 : 0;
      const unfinished = await unfinishedWindowFrom(db, id, lastSuccessStart);
      const sinceUnfinished = unfinished ? utcDaysBetween(unfinished, startedAt) + 1 : 0;
      const usual = first ? (options.days ?? 14) : POLL_DAYS;
      const wanted = Math.max(usual, sinceLastGood, sinceUnfinished);
      const days = withinRetention(wanted);
      if (days > usual) {
        const since = sinceUnfinished > sinceLastGood ? 'a run that did not complete' : 'the last good run';
        const which = days < wanted ? `the retention keeps (${since} was ${wanted - 1} days ago)` : `since ${since}`;
        logger.info({ days, lastGoodRun: lastSuccessStart?.toISOString() ?? null }, `catching up: reading the ${days} days ${which}`);
      }
      const summary = await ingestDays(days);
      // Not a complete read of its days (the service is stopping): the next start reads on from the last good run.
      if (summary.stopped) return summary;
      first = false;
      lastSuccessStart = startedAt;
      await pruneIfDue(startedAt);
      return summary;
    }),
  });

  const trails: Poller | undefined = (options.syncTrails ?? source.startsWith('s3://'))
    ? startPoller({
        name: 'trails sync',
        intervalMs: options.trailsIntervalMs ?? 3_600_000,
        retryMs: 60_000,
        logger,
        describe: (r) => ({ trails: r.trails.length, warnings: r.warnings }),
        run: () => syncTrails(db, { endpoint: options.cloudtrailEndpoint }),
      })
    : undefined;

  return {
    backfill: async (days) => {
      const summary = await exclusive(() => ingestDays(days));
      logger.info({ job: 'backfill', days: withinRetention(days), ...describe(summary) }, 'backfill finished');
      return summary;
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
