// The gate that keeps the answers being built at once within one request's budgets: who runs, who waits, in what order.
import { WeightGate } from './gate';

/** Acquires and records, in order, when each grant came. */
function recorder(gate: WeightGate) {
  const granted: string[] = [];
  const take = (name: string, weight: number, signal?: AbortSignal) =>
    gate.acquire(weight, signal).then((release) => {
      granted.push(name);
      return release;
    });
  return { granted, take };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('requests that fit together run together; the next waits until enough is released, in the order they came', async () => {
  const gate = new WeightGate(10);
  const { granted, take } = recorder(gate);
  const a = take('a', 6);
  const b = take('b', 4);
  const c = take('c', 5);
  const d = take('d', 1); // fits now, but waits behind c: a big request is not passed over for ever
  await settle();
  expect(granted).toEqual(['a', 'b']);
  expect(gate.queued).toBe(2);
  (await b)();
  await settle();
  expect(granted).toEqual(['a', 'b']);
  (await a)();
  await settle();
  expect(granted).toEqual(['a', 'b', 'c', 'd']);
  // Released twice: counted once, so c and d still hold 6 of 10.
  (await a)();
  const e = take('e', 5);
  await settle();
  expect(granted).not.toContain('e');
  (await c)();
  await settle();
  expect(granted).toContain('e');
  (await d)();
  (await e)();
});

test('a request heavier than the whole gate runs alone, once nothing else does', async () => {
  const gate = new WeightGate(10);
  const { granted, take } = recorder(gate);
  const small = take('small', 1);
  const huge = take('huge', 25);
  await settle();
  expect(granted).toEqual(['small']);
  (await small)();
  await settle();
  expect(granted).toEqual(['small', 'huge']);
  const after = take('after', 1);
  await settle();
  expect(granted).toEqual(['small', 'huge']);
  (await huge)();
  await after;
  expect(granted).toEqual(['small', 'huge', 'after']);
});

test('a request that gives up while waiting leaves the line: it holds nothing, and those behind it go on', async () => {
  const gate = new WeightGate(10);
  const { granted, take } = recorder(gate);
  const first = take('first', 8);
  const stop = new AbortController();
  const leaving = take('leaving', 8, stop.signal);
  const small = take('small', 2);
  await settle();
  expect(granted).toEqual(['first']);
  stop.abort();
  await settle();
  // It resolves (its caller answers the abort), and small, which fits beside first, no longer waits behind it.
  expect(granted).toEqual(['first', 'leaving', 'small']);
  (await leaving)(); // nothing to release: first and small still hold 10
  const next = take('next', 1);
  await settle();
  expect(granted).not.toContain('next');
  (await first)();
  (await small)();
  await next;
  expect(granted).toContain('next');
  expect(gate.queued).toBe(0);
});
