// Ctrl-C under an npm script (`npm start`) arrives twice: the terminal sends SIGINT to its whole foreground group, npm
// with the service, and npm passes its own on to its child a few milliseconds later (47 ms seen; npx passes none on).
// Read as the user's "again", that one quit at once, rolling back the batch the first let finish.

/** How soon after the first the same signal is that one again, not a person's second Ctrl-C (which takes longer). */
export const SIGNAL_ECHO_MS = 1000;

/**
 * What each stop signal is: the `first`, its `echo` (the same signal within SIGNAL_ECHO_MS, ignored), or `again`
 * (another one later, or another signal: a SIGTERM after a Ctrl-C), which quits at once.
 */
export function stopSignals(now: () => number = Date.now): (signal: NodeJS.Signals) => 'first' | 'echo' | 'again' {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  let echoed = false;
  return (signal) => {
    if (!first) {
      first = { signal, at: now() };
      return 'first';
    }
    if (!echoed && signal === first.signal && now() - first.at < SIGNAL_ECHO_MS) {
      echoed = true;
      return 'echo';
    }
    return 'again';
  };
}
