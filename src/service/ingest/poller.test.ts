import { startPoller } from './poller';

function recordingLogger() {
  const lines: Array<{ level: string; obj: any; msg: string }> = [];
  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
  };
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('runs at once, then on the interval', async () => {
  const logger = recordingLogger();
  let runs = 0;
  const poller = startPoller({ name: 'poll', run: async () => ++runs, intervalMs: 30, logger, describe: (n) => ({ n }) });
  await waitFor(() => runs >= 3);
  await poller.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 100));
  expect(runs).toBe(after);
  expect(logger.lines[0]).toMatchObject({ level: 'info', msg: 'poll finished', obj: { job: 'poll', n: 1 } });
  expect(poller.lastSuccess).toBeInstanceOf(Date);
});

test('a run cut short by a stop is logged as stopped, not finished', async () => {
  const logger = recordingLogger();
  const poller = startPoller({
    name: 'ingest', run: async () => ({ stopped: true }), intervalMs: 10_000, logger, describe: (r) => r, stopped: (r) => r.stopped,
  });
  await waitFor(() => logger.lines.length > 0);
  await poller.stop();
  expect(logger.lines).toEqual([{ level: 'info', msg: 'ingest stopped', obj: { job: 'ingest', ms: expect.any(Number), stopped: true } }]);
  // Not a success: it read part of its days, which the next start reads again.
  expect(poller.lastSuccess).toBeNull();
});

test('what follows a run comes after its line, which counts the run alone, and before the next run', async () => {
  const logger = recordingLogger();
  const order: string[] = [];
  let runs = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const poller = startPoller({
    name: 'ingest',
    run: async () => {
      order.push(`run ${++runs}`);
      await sleep(20);
      if (runs === 2) throw new Error('S3 unreachable');
      return runs;
    },
    intervalMs: 10,
    retryMs: 10,
    logger,
    after: async () => {
      order.push(`after: ${logger.lines.at(-1)?.msg}`);
      await sleep(300);
      if (runs === 1) throw new Error('disk full');
    },
  });
  await waitFor(() => runs >= 3);
  await poller.stop();
  // After a failed run too; one that throws is said, and the polls go on.
  expect(order.slice(0, 5)).toEqual(['run 1', 'after: ingest finished', 'run 2', 'after: ingest failed; retrying', 'run 3']);
  expect(logger.lines.find((l) => l.msg === 'ingest: what follows the run failed')).toMatchObject({ level: 'warn', obj: { err: 'disk full' } });
  const finished = logger.lines.find((l) => l.msg === 'ingest finished')!;
  expect(finished.obj.ms).toBeGreaterThanOrEqual(15);
  expect(finished.obj.ms).toBeLessThan(300);
});

test('keeps running after failures, backing off, and recovers', async () => {
  const logger = recordingLogger();
  let runs = 0;
  const poller = startPoller({
    name: 'ingest',
    run: async () => {
      runs++;
      if (runs <= 3) throw new Error(`S3 unreachable (${runs})`);
      return runs;
    },
    intervalMs: 10_000,
    retryMs: 10,
    logger,
  });
  await waitFor(() => poller.lastSuccess !== null);
  await poller.stop();
  const warnings = logger.lines.filter((l) => l.level === 'warn');
  expect(warnings.map((w) => w.obj.failures)).toEqual([1, 2, 3]);
  expect(warnings[0].obj.err).toBe('S3 unreachable (1)');
  expect(poller.lastError).toBeNull();
});

test('runNow joins a run in progress instead of starting a second one', async () => {
  let concurrent = 0;
  let max = 0;
  const poller = startPoller({
    name: 'x',
    run: async () => {
      max = Math.max(max, ++concurrent);
      await new Promise((r) => setTimeout(r, 30));
      concurrent--;
    },
    intervalMs: 60_000,
    logger: recordingLogger(),
  });
  await Promise.all([poller.runNow(), poller.runNow(), poller.runNow()]);
  await poller.stop();
  expect(max).toBe(1);
});

test("a failed run's line gives its kind, each source's when several failed, and no AWS answer where none came", async () => {
  const logger = recordingLogger();
  const joined = Object.assign(new Error('s3://a: Access to s3://a was denied; s3://b: The bucket b does not exist'), {
    kinds: ['access-denied', 'no-bucket'],
  });
  const poller = startPoller({ name: 'ingest', run: async () => { throw joined; }, intervalMs: 10_000, retryMs: 10_000, logger });
  await waitFor(() => logger.lines.length > 0);
  await poller.stop();
  expect(logger.lines).toEqual([{
    level: 'warn',
    msg: 'ingest failed; retrying',
    obj: { job: 'ingest', err: joined.message, kind: 'access-denied no-bucket', failures: 1, retryInSeconds: 10 },
  }]);
});
