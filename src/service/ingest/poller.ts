// Runs a job now and then every `intervalMs`; a failed run is logged and retried sooner, with backoff,
// so a transient S3 or network problem never stops the service.
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
  /** Whether a run was cut short by a stop: logged as "<name> stopped", not "finished". */
  stopped?: (result: T) => boolean;
}

export interface Poller {
  /** Resolves when the run in progress (if any) has finished. */
  stop(): Promise<void>;
  /** Starts a run now unless one is running; resolves with its result. */
  runNow(): Promise<void>;
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

  const tick = (): Promise<void> => {
    if (running) return running;
    clearTimeout(timer);
    running = (async () => {
      const started = Date.now();
      try {
        const result = await run();
        if (result === undefined) return;
        failures = 0;
        state.lastSuccess = new Date();
        state.lastError = null;
        const ended = options.stopped?.(result) ? 'stopped' : 'finished';
        logger.info({ job: name, ms: Date.now() - started, ...options.describe?.(result) }, `${name} ${ended}`);
        schedule(intervalMs);
      } catch (err) {
        failures++;
        state.lastError = err instanceof Error ? err.message : String(err);
        const delay = Math.min(intervalMs, retryMs * 2 ** (failures - 1));
        logger.warn({ job: name, err: state.lastError, failures, retryInSeconds: Math.round(delay / 1000) }, `${name} failed; retrying`);
        schedule(delay);
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
