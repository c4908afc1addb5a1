import { counted } from './counted';

test('singular for one, plural otherwise', () => {
  expect(counted(1, 'file')).toBe('1 file');
  expect([0, 2, 35].map((n) => counted(n, 'log file'))).toEqual(['0 log files', '2 log files', '35 log files']);
  expect(counted(1, 'record that cannot be an event', 'records that cannot be events')).toBe('1 record that cannot be an event');
  expect(counted(3, 'record that cannot be an event', 'records that cannot be events')).toBe('3 records that cannot be events');
});
