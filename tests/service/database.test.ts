// Database.interrupt, which serve's and ingest's second Ctrl-C call just before they exit: Node's exit waits for the
// DuckDB statement running (a batch's can take minutes), so the interrupt must end it, even one sent a moment before.
import { withTempDatabase } from '../support/temp';

/** Seconds long here: only an interrupt ends it within a moment. */
const LONG = 'SELECT count(*) FROM range(300000000) t WHERE t.range % 7 = 3';

/** Resolves once `ms` have passed, a turn of the event loop at a time (a timer's least wait is 1 ms). */
function after(ms: number): Promise<void> {
  const start = performance.now();
  return new Promise((resolve) => {
    const turn = () => (performance.now() - start >= ms ? resolve() : setImmediate(turn));
    turn();
  });
}

/** How the statement ended: "finished", or its error's words. */
const ending = (running: Promise<unknown>) => running.then(() => 'finished', (err: unknown) => String(err));

test('interrupt ends the statement running, in a transaction or on the main connection, even one sent a moment before', async () => {
  await withTempDatabase(async (_dir, db) => {
    // An interrupt that lands before DuckDB begins to run a statement (just sent, or waiting for a thread) is lost:
    // quitting then waited for the whole statement (34 to 86 s of one here, in 6 of 11 quits within 2 ms of sending it).
    const ends: string[] = [];
    // Each moment several times: the interrupt was lost in about one try in ten.
    for (const ms of [0, 0.05, 0.1, 0.2, 0.5, 1, 2].flatMap((m) => [m, m, m, m])) {
      const inTransaction = db.transaction(async (conn) => {
        const running = conn.run(LONG);
        await after(ms);
        db.interrupt();
        await running;
      });
      ends.push(await ending(inTransaction));
      const running = db.run(LONG);
      await after(ms);
      db.interrupt();
      ends.push(await ending(running));
    }
    expect(ends).toEqual(ends.map(() => expect.stringMatching(/INTERRUPT Error: Interrupted/)));
    // Nothing is left interrupted: the next statement runs.
    expect(await db.one<{ n: number }>('SELECT 42 AS n')).toEqual({ n: 42 });
  });
}, 180_000);
