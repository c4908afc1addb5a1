import { roughly } from './opening';

test('an upgrade estimate is rounded up to a coarse step, so that estimates of quite different databases read the same', () => {
  expect([1, 30, 31, 61, 170, 290, 300, 301, 3599, 3601, 7201, 20_000].map(roughly)).toEqual([
    30, 30, 60, 120, 300, 300, 300, 600, 3600, 7200, 14_400, 28_800,
  ]);
});
