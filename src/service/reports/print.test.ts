import { ingestFrame } from './index';
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
  const empty = { name: 'events by user', fields: [{ name: 'user', type: 'string' as const, values: [] }, { name: 'events', type: 'number' as const, values: [] }] };
  expect(printFrames([empty])).toBe('(no events match)');
  expect(printFrames([])).toBe('(no events match)');
});
