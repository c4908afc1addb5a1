// Runs a job now and then every `intervalMs`; a failed run is logged and retried sooner, with backoff,
// so a transient S3 or network problem never stops the service.
import { messageOf } from '../../model/errorMessage';
import { awsAnswerOf } from '../awsErrors';
import { kindsOf } from '../errorKind';

/**
 * A failure's fields for a log line: its message, its kind, and AWS's answer when AWS answered (what a log store's query
 * or alert selects on, and the request id that AWS Support asks for). The poller's line, and serve's for each source.
 */
export function failureFields(err: unknown): { err: string; kind: string } {
  return { err: messageOf(err), kind: kindsOf(err).join(' '), ...awsAnswerOf(err) };
}

export interface PollerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PollerOptions<T> {
  name: string;
  /** The job; undefined means it did not run (its turn came after a stop), so nothing is logged or recorded. */
  run: () => Promise<T | undefined>;
  intervalMs: number;
  logger: PollerLogger;
  /** First retry delay after a failure; doubles each time, capped at intervalMs. */
  retryMs?: number;
  describe?: (result: T) => object;
  /**
   * Whether a run was cut short by a stop: logged as "<name> stopped", not "finished", and no success (lastSuccess
   * stays that of the last run that read all it had to).
   */
  stopped?: (result: T) => boolean;
  /**
   * Work that follows each run that ran, failed or not, before the next is scheduled: serve's hourly prune and
   * compaction. After the run's line, so that line's ms is the run's own; it logs its own lines.
   */
  after?: () => Promise<void>;
}

export interface Poller {
  /** Resolves when the run in progress (if any) has finished. */
  stop(): Promise<void>;
  /** Starts a run now unless one is running; resolves with its result. */
  runNow(): Promise<void>;
  /** When the last run that was neither failed nor stopped ended. */
  readonly lastSuccess: Date | null;
  readonly lastError: string | null;
}

export function startPoller<T>(options: PollerOptions<T>): Poller {
  const { name, run, intervalMs, logger } = options;
  const retryMs = options.retryMs ?? Math.min(10_000, intervalMs);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failures = 0;
  let stopped = false;
  const state = { lastSuccess: null as Date | null, lastError: null as string | null };

  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void tick(), ms);
  };

  /** One run, logged; gives when the next is due, or undefined when it did not run. */
  const once = async (): Promise<number | undefined> => {
    const started = Date.now();
    try {
      const result = await run();
      if (result === undefined) return undefined;
      failures = 0;
      state.lastError = null;
      const stoppedShort = options.stopped?.(result) ?? false;
      // A stopped run read only part of its days (the next start reads them again): no success until a run reads them all.
      if (!stoppedShort) state.lastSuccess = new Date();
      logger.info({ job: name, ms: Date.now() - started, ...options.describe?.(result) }, `${name} ${stoppedShort ? 'stopped' : 'finished'}`);
      return intervalMs;
    } catch (err) {
      failures++;
      const fields = failureFields(err);
      state.lastError = fields.err;
      const delay = Math.min(intervalMs, retryMs * 2 ** (failures - 1));
      const retryInSeconds = Math.round(delay / 1000);
      logger.warn({ job: name, ...fields, failures, retryInSeconds }, `${name} failed; retrying`);
      return delay;
    }
  };

  const tick = (): Promise<void> => {
    if (running) return running;
    clearTimeout(timer);
    running = (async () => {
      try {
        const next = await once();
        if (next === undefined) return;
        try {
          await options.after?.();
        } catch (err) {
          logger.warn({ job: name, err: messageOf(err) }, `${name}: what follows the run failed`);
        }
        // After it: a timer that fired while it ran would find this run still going, and be lost.
        schedule(next);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  void tick();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    runNow: () => tick(),
    get lastSuccess() {
      return state.lastSuccess;
    },
    get lastError() {
      return state.lastError;
    },
  };
}
