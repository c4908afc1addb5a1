// Times a request or the CLI names: ISO 8601 (UTC unless it names a zone) or epoch milliseconds, within years
// 1970 to 9999; anything else is the field's QueryError (a 400), never a DuckDB error.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { QueryError } from '../../model/query';
import { MAX_TIME, parseRange, parseTime } from './time';

const ROOT = path.resolve(__dirname, '../../..');
const midnight = Date.UTC(2026, 10, 20);

test('a date or date-time without a zone is UTC; a zone or offset is honoured', () => {
  expect(parseTime('from', '2026-11-20')).toBe(midnight);
  expect(parseTime('from', '2026-11-20T00:00:00')).toBe(midnight);
  expect(parseTime('from', '2026-11-20T00:00')).toBe(midnight);
  expect(parseTime('from', '2026-11-20 00:00:00.250')).toBe(midnight + 250);
  expect(parseTime('from', '2026-11-20T00:00:00Z')).toBe(midnight);
  expect(parseTime('from', '2026-11-20T00:00:00+01:00')).toBe(midnight - 3_600_000);
  expect(parseTime('from', '2026-11-20T00:00:00-0500')).toBe(midnight + 5 * 3_600_000);
  expect(parseTime('from', midnight)).toBe(midnight);
  expect(parseTime('from', String(midnight))).toBe(midnight);
});

test('a time between two milliseconds is the later: ranges are half-open, and an event at a whole millisecond is before it', () => {
  const belowDouble = `${midnight}.0000001`;
  expect(Number(belowDouble)).toBe(midnight);
  for (const between of [midnight + 0.5, String(midnight + 0.001), belowDouble, '2026-11-20T00:00:00.0005Z', '2026-11-20T00:00:00.000000001']) {
    expect([between, parseTime('from', between)]).toEqual([between, midnight + 1]);
  }
  // Before 1970, the later millisecond is toward zero.
  expect(parseTime('from', '-1000.5')).toBe(-1000);
  for (const exact of [midnight, `${midnight}.000`, '2026-11-20T00:00:00.000000Z', '2026-11-20T00:00:00.250000']) {
    expect([exact, parseTime('from', exact)]).toEqual([exact, typeof exact === 'string' && exact.endsWith('250000') ? midnight + 250 : midnight]);
  }
  // An event at midnight is in [midnight, midnight + 0.5), and not in [midnight + 0.5, midnight + 1000).
  expect(parseRange({ from: midnight, to: midnight + 0.5 })).toEqual({ from: midnight, to: midnight + 1 });
  expect(parseRange({ from: `${midnight}.5`, to: midnight + 1000 })).toEqual({ from: midnight + 1, to: midnight + 1000 });
});

test('under a host time zone that is not UTC, zone-less times are still UTC', () => {
  // Node reads TZ once per process: a child process with New York's zone.
  const script = `
    const { parseRange } = require('./src/service/reports/time');
    const range = parseRange({ from: '2026-11-20T00:00:00', to: '2026-11-21' });
    console.log(JSON.stringify({ local: Date.parse('2026-11-20T00:00:00'), range }));`;
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT, env: { ...process.env, TZ: 'America/New_York' }, encoding: 'utf8',
  });
  const { local, range } = JSON.parse(out);
  expect(local).toBe(midnight + 5 * 3_600_000); // the child really runs in New York's zone
  expect(range).toEqual({ from: midnight, to: midnight + 86_400_000 });
});

test.each([
  ['yesterday-ish', /is not a time/],
  ['Nov 20 2026', /is not a time/], // not ISO 8601: Date.parse would read it in the host's zone
  // A day in the form asked for, which the calendar has not: said so, not the forms again.
  ['2026-02-30', /^range\.from: "2026-02-30" is not a time: the calendar has no 2026-02-30$/],
  ['2026-11-31T08:00:00Z', /^range\.from: "2026-11-31T08:00:00Z" is not a time: the calendar has no 2026-11-31$/],
  ['2026-11-20T25:00:00Z', /is not a time/],
  ['+020000-01-01', /is not a time/],
  [Infinity, /is not a time/],
])('%j is the field’s QueryError', (value, message) => {
  let error: unknown;
  try {
    parseTime('range.from', value);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).message).toMatch(/^range\.from: /);
  expect((error as QueryError).message).toMatch(message);
});

test('the first and last supported times', () => {
  expect(parseRange({ from: '1970-01-01', to: '9999-12-31T23:59:59.999Z' })).toEqual({ from: 0, to: MAX_TIME });
});

// Grafana's "now-100y", or a zoom out of a long range, reaches before 1970: every panel of the dashboard was an error.
test('a range reaching past 1970 to 9999 is answered for the part within, where every stored event is', () => {
  expect(parseRange({ from: '1926-11-29', to: '2026-11-29' })).toEqual({ from: 0, to: Date.UTC(2026, 10, 29) });
  expect(parseRange({ from: -1e300, to: 1e300 })).toEqual({ from: 0, to: MAX_TIME });
  expect(parseRange({ from: '2026-11-29', to: '99999999999999999' })).toEqual({ from: Date.UTC(2026, 10, 29), to: MAX_TIME });
});

test.each([
  [
    { from: '1960-01-01', to: '1969-12-31T23:59:59Z' },
    /^range\.to: "1969-12-31T23:59:59Z" ends the range before the times the service can answer for: 1970-01-01 to 9999-12-31 \(UTC\)$/,
  ],
  [{ from: -86_400_000, to: 0 }, /^range\.to: 0 ends the range before/],
  [{ from: 1e20, to: 1e20 + 1 }, /^range\.from: 100000000000000000000 is after the times the service can answer for: 1970-01-01 to 9999-12-31 \(UTC\)$/],
  [{ from: MAX_TIME + 1, to: MAX_TIME + 2 }, /^range\.from: \d+ is after/],
])('a range with no part within 1970 to 9999, %j, is refused naming the bound that leaves it none', (range, message) => {
  expect(() => parseRange(range)).toThrow(message);
});

test('range errors name the fields given', () => {
  expect(() => parseRange({ from: 'x', to: 1 }, { from: 'from', to: 'to', range: 'to' })).toThrow(/^from: "x" is not a time/);
  expect(() => parseRange({ from: 2, to: 1 }, { from: 'from', to: 'to', range: 'to' })).toThrow('to: "to" must be after "from"');
  expect(() => parseRange({ from: 2, to: 1 })).toThrow('range: "to" must be after "from"');
});
