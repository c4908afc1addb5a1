// Watching a running service in a test: a logger whose lines the test reads, and a wait for what it does next.
import { Writable } from 'node:stream';
import pino from 'pino';

/** A logger whose lines the test reads; onLine sees each as it is logged (pino writes this stream at once). */
export function memoryLogger(onLine?: (line: Record<string, any>) => void) {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      onLine?.(lines[lines.length - 1]);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

/** Polls `probe` until it gives a value; fails naming `what` after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
