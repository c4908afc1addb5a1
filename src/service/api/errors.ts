// Unexpected failures (500s) answer without their text: it can hold absolute paths, SQL or file names, and the plugin
// passes what the service says to every Grafana user who sees the panel. The text goes to the service log under a
// short id, which the answer names, so an administrator can find it.
import crypto from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiErrorCode } from '../../model/api';

/** An error answer as every one is: its words, for people, and its code (ApiErrorCode), for a client to act on. */
export type ErrorAnswer = { error: string; code: ApiErrorCode };

export function errorAnswer(code: ApiErrorCode, error: string): ErrorAnswer {
  return { error, code };
}

/** Logs `err` in full under a new id; the answer's error names the id only. */
export function internalError(log: FastifyBaseLogger, err: unknown, context: Record<string, unknown> = {}): ErrorAnswer {
  const errorId = crypto.randomBytes(4).toString('hex');
  log.error({ ...context, errorId, err }, 'request failed');
  return errorAnswer('internal', `internal error (id ${errorId}): see the trailhound service log`);
}

/**
 * A query's result that failed unexpectedly (reports' errorResult: status 500) as internalError answers it. Deliberate
 * ones keep their words: a 400 names the field to fix, a 504 says the query took too long.
 */
export function hideInternalErrors<R extends object>(response: { results: Record<string, R | { error: string; status: number }> }, log: FastifyBaseLogger) {
  const results = { ...response.results };
  for (const [refId, result] of Object.entries(results)) {
    if ('error' in result && result.status === 500) results[refId] = { ...internalError(log, result.error, { refId }), status: 500 };
  }
  return { ...response, results };
}
