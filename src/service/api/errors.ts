// Unexpected failures (500s) answer without their text: it can hold absolute paths, SQL or file names, and the plugin
// passes what the service says to every Grafana user who sees the panel. The text goes to the service log under a
// short id, which the answer names, so an administrator can find it.
import crypto from 'node:crypto';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { type ApiErrorCode, SERVICE_HEADER } from '../../model/api';
import { sizeText } from '../counted';
import { VERSION } from '../version';

/**
 * The headers of every answer: audit data that no cache (a proxy's or a browser's) keeps and no browser reads as another
 * type, and the service's own header, by which a client tells its answers from a proxy's (readHttpAnswer).
 */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', [SERVICE_HEADER]: VERSION };

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

/**
 * The answer to a request Node's HTTP parser refuses (a content-length that is no number, headers over its limit, a
 * request that did not arrive in time), which reaches no route or hook: fastify's own answer there had no `code`, a
 * `message` of "Client Error", and none of the headers every other answer has. Written on the socket, which then closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A connection reset: no one is there to read an answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let answer = errorAnswer('invalid-request', `the request could not be read as HTTP (${err.message}): check the client, or the proxy that sent it`);
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    answer = errorAnswer('too-large', `the request's headers are larger than this service reads (${sizeText(maxHeaderSize)}): send fewer or shorter headers, ` +
      "or a shorter URL (a value list's many filters go in the body of POST /api/values/<dimension>)");
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    answer = errorAnswer('invalid-request', 'the request did not arrive in time: send it again');
  }
  const body = JSON.stringify(answer);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `${Object.entries(ANSWER_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('')}connection: close\r\n\r\n${body}`
    );
  }
  socket.destroy(err);
}
