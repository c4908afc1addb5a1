// The errors that stop a report query (its timeout; its request's deadline or client gone), and any query error's result (errorResult).
import type { QueryResult } from '../../model/api';
import { messageOf } from '../../model/errorMessage';
import { QueryError } from '../../model/query';

export class QueryTimeoutError extends Error {
  constructor(ms: number) {
    super(`the query took longer than ${ms / 1000}s and was stopped; narrow the time range or add filters`);
    this.name = 'QueryTimeoutError';
  }
}

/**
 * Why a request's queries were stopped: the reason its signal is aborted with. The query running then is interrupted,
 * and the later ones never run; each answers with this error.
 */
export class RequestStoppedError extends Error {
  private constructor(
    readonly reason: 'client_closed' | 'deadline',
    message: string,
    /** As Grafana's data sources say it: 499, the client went away; 504, the request ran out of time. */
    readonly status: 499 | 504
  ) {
    super(message);
    this.name = 'RequestStoppedError';
  }

  /** The answer's code (ApiErrorCode). */
  get code(): 'client-closed' | 'timeout' {
    return this.reason === 'client_closed' ? 'client-closed' : 'timeout';
  }

  static clientClosed(): RequestStoppedError {
    return new RequestStoppedError('client_closed', 'the client closed the connection before the answer, so the request was stopped', 499);
  }

  /** A query request's, or, with its own advice, another request's (a value list, an event's record). */
  static deadline(ms: number, advice?: string): RequestStoppedError {
    const message =
      advice === undefined
        ? `this request's queries together ran longer than ${ms / 1000}s (the most one request may) and were stopped: ` +
          'narrow the time range, add filters, or split the queries over panels'
        : `this request ran longer than ${ms / 1000}s (the most one request may) and was stopped: ${advice}`;
    return new RequestStoppedError('deadline', message, 504);
  }
}

/** A query's failed result: its words, its code (ApiErrorCode; `internal` for a 500, whose words the API hides) and status. */
export function errorResult(err: unknown): QueryResult {
  if (err instanceof QueryError) return { error: err.message, code: err.code ?? 'invalid-request', status: 400 };
  if (err instanceof QueryTimeoutError) return { error: err.message, code: 'timeout', status: 504 };
  if (err instanceof RequestStoppedError) return { error: err.message, code: err.code, status: err.status };
  return { error: messageOf(err), code: 'internal', status: 500 };
}
