// How long the AWS clients wait: the S3 source's and the trail inventory's. The SDK sets no timeout of its own, and an
// endpoint that took the connection and never answered held a run (and serve's stop, which waits for it) for ever.

/** No connection within this: a firewall that drops the packets, a host that is down. */
export const CONNECTION_TIMEOUT_MS = 10_000;

/** No byte for this long while a response comes: a download of a large log file may be slow, not silent this long. */
export const IDLE_TIMEOUT_MS = 60_000;

/**
 * No answer within this to a small request (an S3 listing, a CloudTrail API call), which AWS gives in well under a
 * second. The SDK tries each request three times, so an endpoint that never answers fails a run in ~45 s: with the idle
 * timeout alone, in ~3 minutes (3 × 60 s, and 3 s each before the SDK arms it).
 */
export const ANSWER_TIMEOUT_MS = 15_000;

/** The clients' requestHandler: `answerMs` caps every request's wait for its answer (undefined: none, set per request). */
export const requestHandler = (idleMs = IDLE_TIMEOUT_MS, answerMs?: number) => ({
  connectionTimeout: CONNECTION_TIMEOUT_MS,
  socketTimeout: idleMs,
  ...(answerMs !== undefined && { requestTimeout: answerMs }),
  // Without it, a request past its requestTimeout only logs a warning and goes on waiting.
  throwOnRequestTimeout: true,
});
