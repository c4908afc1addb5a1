// A request's plan: what its answer may hold (the API's gate lets answers of one budget's worth run at once) counts
// only the queries that will run; those refused, whatever for, weigh nothing.
import { MAX_LIMIT } from '../../model/query';
import { MAX_ROWS, MAX_WEIGHT, planAnswer } from './answerPlan';

const range = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };
const list = (refId: string, extra: object = {}) => ({ refId, format: 'list' as const, limit: MAX_LIMIT, ...extra });
const lists = (n: number, extra: object = {}) => Array.from({ length: n }, (_, i) => list(`q${i}`, extra));
/** A list's weight: the row budget in full weighs MAX_WEIGHT. */
const LIST = (MAX_LIMIT / MAX_ROWS) * MAX_WEIGHT;

test('lists weigh their limits, up to the row budget: a list past it is refused, and weighs nothing', () => {
  expect(planAnswer({ range, queries: lists(3) }).weight).toBe(3 * LIST);
  const plan = planAnswer({ range, queries: lists(MAX_ROWS / MAX_LIMIT + 1) });
  expect(plan.weight).toBe(MAX_WEIGHT);
  expect(plan.queries.at(-1)).toMatchObject({
    refId: `q${MAX_ROWS / MAX_LIMIT}`, error: expect.objectContaining({ message: expect.stringMatching(/more than 100000 rows/) }),
  });
  // Log lines are a list of the same rows.
  expect(planAnswer({ range, queries: lists(3, { format: 'logs' }) }).weight).toBe(3 * LIST);
  expect(planAnswer({ range, queries: lists(MAX_ROWS / MAX_LIMIT + 1, { format: 'logs' }) }).queries.at(-1)).toHaveProperty('error');
});

test('queries refused for what they ask weigh nothing: an unknown field, a bad range', () => {
  // A plugin newer than its service: every query has a field the service does not know.
  const newer = planAnswer({ range, queries: lists(10, { newerField: 1 }) });
  expect([newer.weight, newer.queries.every((q) => 'error' in q)]).toEqual([0, true]);
  expect(planAnswer({ range: { from: range.to, to: range.from }, queries: lists(10) }).weight).toBe(0);
  expect(planAnswer({ range, queries: [{ refId: 'A', format: 'timeseries', aggregate: 'hour' }, list('B', { limit: 0 })] }).weight).toBe(24 * 20);
});

test('a request refused whole (two queries with one refId, an unknown field) is refused by its plan, before it weighs anything', () => {
  expect(() => planAnswer({ range, queries: [list('A'), list('A')] })).toThrow(/refId "A" is used by more than one query/);
  expect(() => planAnswer({ range, queries: [list('A')], newer: true } as never)).toThrow(/newer/);
});

test('a time zone takes the ranges UTC takes: auto buckets at the points asked for, hours up to the most points', () => {
  const MINUTE = 60_000;
  // Berlin's clocks go forward on 29 March 2026: its wall clock spans an hour more than the range.
  const from = Date.parse('2026-03-01T00:00:00Z');
  const auto = { range: { from, to: from + 99_999 * MINUTE }, maxDataPoints: 100_000, queries: [{ refId: 'A', aggregate: 'auto' as const }] };
  const hours = { range: { from, to: from + 100_000 * 60 * MINUTE }, queries: [{ refId: 'A', aggregate: 'hour' as const }] };
  for (const request of [auto, hours]) {
    for (const timeZone of [undefined, 'Europe/Berlin', 'Australia/Lord_Howe']) {
      const [planned] = planAnswer({ ...request, range: { ...request.range, timeZone } }).queries;
      expect({ timeZone, error: 'error' in planned ? String(planned.error) : undefined }).toEqual({ timeZone, error: undefined });
    }
  }
});
