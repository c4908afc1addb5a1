import { SIGNAL_ECHO_MS, stopSignals } from './signals';

test("the same signal again within SIGNAL_ECHO_MS is the first's echo (npm passing a terminal's Ctrl-C on), once; later, or another signal, is again", () => {
  let now = 0;
  const clock = () => now;
  const ctrlC = stopSignals(clock);
  expect(ctrlC('SIGINT')).toBe('first');
  now = 47;
  expect(ctrlC('SIGINT')).toBe('echo');
  // One echo only: a third within the window is the user's.
  now = 100;
  expect(ctrlC('SIGINT')).toBe('again');

  const twice = stopSignals(clock);
  now = 0;
  twice('SIGINT');
  now = SIGNAL_ECHO_MS;
  expect(twice('SIGINT')).toBe('again');

  // A SIGTERM after a Ctrl-C is no echo of it: a supervisor's stop, or the user's kill.
  const other = stopSignals(clock);
  other('SIGINT');
  expect(other('SIGTERM')).toBe('again');
});
