import { ingestFrame } from './frames';
import { duration, printFrames } from './print';

const status = {
  objects: 125, events: 50_000, errors: 0, skipped: 73, newestEvent: '2026-11-26T15:36:57.000Z', oldestEvent: '2026-11-13T04:29:24.000Z',
  lagSeconds: 73, lastPoll: '2026-11-26T15:36:59.608Z', lastPollError: null,
};
const line = (text: string, name: string) => text.split('\n').map((l) => l.trimEnd()).find((l) => l === name || l.startsWith(`${name} `));

test('report ingest says the lag and the retention with their units, as Grafana shows them, not as bare numbers', () => {
  const printed = printFrames([ingestFrame({ ...status, retention: { days: 90, before: '2026-08-28T00:00:00.000Z', prunedAt: '2026-11-26T15:00:00.000Z' } })]);
  expect(line(printed, 'lag')).toMatch(/^lag +73 s$/);
  expect(line(printed, 'retention')).toMatch(/^retention +90 days$/);
  // The counts stay plain numbers; no retention yet is an empty cell, as before.
  expect(line(printed, 'events')).toMatch(/^events +50000$/);
  expect(line(printFrames([ingestFrame({ ...status, retention: null })]), 'retention')).toBe('retention');
  expect(line(printFrames([ingestFrame({ ...status, retention: { days: 1, before: '', prunedAt: '' } })]), 'retention')).toMatch(/ 1 day$/);
});

test('a lag reads at a glance however long it is', () => {
  expect([0, 119, 120, 5_400, 7_200, 90_000, 172_800, 1_209_600].map(duration)).toEqual([
    '0 s', '119 s', '2 min', '90 min', '2.0 hours', '25.0 hours', '2.0 days', '14.0 days',
  ]);
});

test('an empty events table or list says no events match, as an empty time series does, not "(no rows)"', () => {
  const empty = {
    name: 'events by user', fields: [{ name: 'user', type: 'string' as const, values: [] }, { name: 'events', type: 'number' as const, values: [] }],
  };
  expect(printFrames([empty])).toBe('(no events match)');
  expect(printFrames([])).toBe('(no events match)');
});

test('log lines print as a log reads: the time the range applies to, the level and the line, not the events\' fields again', () => {
  const time = Date.UTC(2026, 10, 20, 8, 0);
  const logs = {
    name: 'events',
    meta: { preferredVisualisationType: 'logs' },
    fields: [
      { name: 'arrived', type: 'time' as const, values: [time + 60_000] },
      { name: 'time', type: 'time' as const, values: [time] },
      { name: 'line', type: 'string' as const, values: ['alice s3:GetObject from 10.0.0.1 in eu-west-1 (111122223333)'] },
      { name: 'level', type: 'string' as const, values: ['info'] },
      { name: 'id', type: 'string' as const, values: ['e-1@1'] },
      { name: 'user', type: 'string' as const, values: ['alice'] },
    ],
  };
  expect(printFrames([logs]).split('\n')).toEqual([
    'arrived           level  line',
    '----------------  -----  ------------------------------------------------------------',
    '2026-11-20 08:01  info   alice s3:GetObject from 10.0.0.1 in eu-west-1 (111122223333)',
  ]);
});

test('given a width, a long value wraps under its own (the last poll error); a time series stays a grid, as wide as it is', () => {
  const error = 'ListObjectsV2 on s3://acme-cloudtrail/AWSLogs/ failed: AccessDenied: User: arn:aws:iam::111122223333:user/trailhound is not authorized';
  const printed = printFrames([ingestFrame({ ...status, lastPollError: error, retention: null })], 0, 60);
  const lines = printed.split('\n');
  expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
  const at = lines.findIndex((l) => l.startsWith('last poll error  '));
  const column = 'last poll error  '.length;
  const end = lines.findIndex((l, i) => i > at && l.slice(0, column).trim() !== '');
  const value = lines.slice(at, end).map((l) => l.slice(column));
  expect(value.length).toBeGreaterThan(1);
  // Every character, less the spaces it broke at.
  expect(value.join('').replace(/\s+/g, '')).toBe(error.replace(/\s+/g, ''));
  expect(line(printed, 'lag')).toMatch(/^lag +73 s$/);
  const series = (name: string) => ({
    name,
    fields: [{ name: 'time', type: 'time' as const, values: [0, 60_000] }, { name, type: 'number' as const, values: [1, 2], labels: { user: name } }],
  });
  const frames = ['a-rather-long-user-name', 'another-long-user-name', 'a-third-one'].map(series);
  expect(printFrames(frames, 0, 30)).toBe(printFrames(frames));
});

test("a time series' notice (the retention's) is printed under it, as a table's is", () => {
  const text = 'the retention (90 days) removed the events before 2026-08-28 00:00 UTC, which this range reaches: they are left out';
  const frame = {
    name: 'events',
    meta: { notices: [{ severity: 'info', text }] },
    fields: [{ name: 'time', type: 'time' as const, values: [0, 60_000] }, { name: 'events', type: 'number' as const, values: [1, 2] }],
  };
  expect(printFrames([frame]).split('\n').slice(-1)).toEqual([`(${text})`]);
});

test('a time series without a point but with a notice (a range the retention emptied) says no events match, then the notice', () => {
  const text = 'the retention (90 days) removed the events before 2026-08-28 00:00 UTC, which this range reaches: they are left out';
  const frame = {
    name: 'events',
    meta: { notices: [{ severity: 'info', text }] },
    fields: [{ name: 'time', type: 'time' as const, values: [] }, { name: 'events', type: 'number' as const, values: [] }],
  };
  expect(printFrames([frame])).toBe(`(no events match)\n(${text})`);
});

test('a grouped time series keeps its time column and its groups in order, whatever the groups are named', () => {
  // As SeriesFrames writes them, busiest first: an IAM user may be named "time", "42" or "__proto__".
  const group = (name: string, values: number[]) => ({
    name,
    fields: [
      { name: 'time', type: 'time' as const, values: [0, 3_600_000] },
      { name: 'events', type: 'number' as const, values, labels: { user: name }, config: { displayNameFromDS: name } },
    ],
  });
  const printed = printFrames([group('alice', [5, 4]), group('time', [3, 2]), group('42', [2, 1]), group('__proto__', [1, 0])]);
  expect(printed.split('\n')).toEqual([
    'time              alice  time  42  __proto__',
    '----------------  -----  ----  --  ---------',
    '1970-01-01 00:00      5     3   2          1',
    '1970-01-01 01:00      4     2   1          0',
  ]);
});
