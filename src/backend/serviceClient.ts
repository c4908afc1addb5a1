// HTTP client for the Trailhound service API (src/model/api.ts). Every failure becomes a ServiceError that
// says what went wrong in words a Grafana user can act on, and carries an HTTP-like status for Grafana.
import type { HealthResponse, IngestStatus, QueryRequest, QueryResponse, QueryResult, QueryResultLine } from '../model/api';
import { UNKNOWN_CODES } from '../model/api';
import { chainMessage } from '../model/errorChain';
import { readHttpAnswer, withoutToken } from '../model/httpAnswer';
import { DEFAULT_TIMEOUT_SECONDS } from '../model/settings';
import { compareVersions } from '../model/version';

export type ServiceErrorKind = 'unreachable' | 'timeout' | 'cancelled' | 'unauthorized' | 'http' | 'not-trailhound' | 'gateway';

/** The reason a call's signal is aborted with when Grafana's deadline for it passes (not when Grafana gives up). */
export class DeadlineExceeded extends Error {
  constructor() {
    super("Grafana's deadline for the request passed");
    this.name = 'DeadlineExceeded';
  }
}

export class ServiceError extends Error {
  constructor(
    message: string,
    /** HTTP-like status to report to Grafana. */
    readonly status: number,
    readonly kind: ServiceErrorKind,
    /** The service's own HTTP status, when it answered. */
    readonly httpStatus?: number,
    /**
     * The code of the service's error answer (ApiErrorCode: a newer service's may be one this plugin does not know),
     * when it gave one (every error since the codes; none up to 0.1.0).
     */
    readonly code?: string,
    /** The start of a 401's or 403's answer that is not the service's (readHttpAnswer: a page, say), "" when empty. */
    readonly page?: string,
    /** What failed beneath, for the log alone: Grafana's answers give the message. */
    options?: ErrorOptions
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface RequestOptions {
  query?: string;
  body?: unknown;
  /** A body already encoded (resource proxying), sent as it is. */
  rawBody?: Uint8Array;
  contentType?: string;
  signal?: AbortSignal;
  auth?: boolean;
  /** The Accept header: JSON unless told. */
  accept?: string;
}

export type UnknownCode = (typeof UNKNOWN_CODES)[number];

/**
 * The words of each refusal of something the service does not know, for services up to 0.1.0 (and builds before the
 * answers' `code`), which have only words: any rewording of them would go unnoticed, so they are read only when an
 * answer has no code, and believed only from such a service (fromVersions). 0.1.0 answered an endpoint it has not with
 * fastify's own "Not Found".
 */
const UNKNOWN_WORDS: ReadonlyArray<[UnknownCode, RegExp]> = [
  ['unknown-field', /is not a field of this service's/],
  ['unknown-value', /is not one of /],
  ['unknown-filter', /is not a filter; use one of/],
  ['unknown-endpoint', /^no such endpoint: |^Not Found$/],
];

/** The last version whose answers have no code. */
const LAST_WITHOUT_CODES = '0.1.0';

/**
 * Whether a refusal unknownToService read is one of versions, for a service at `version`: its code says so; its words
 * only up to 0.1.0 (or when it does not say which), as a newer service gives every error answer its code, and an
 * answer without one is not its own (a proxy's, say), whatever its words.
 */
export function fromVersions(answer: { code?: unknown }, version: string | undefined): boolean {
  if (typeof answer.code === 'string') return true;
  const order = version === undefined ? undefined : compareVersions(version, LAST_WITHOUT_CODES);
  return order === undefined || order <= 0;
}

/**
 * Whether a 401 or 403 (kind unauthorized) is the service's refusal of the token: its code `unauthorized` says so; an
 * {error} without a code only from a service up to 0.1.0 (fromVersions), read by its status alone as before; a page
 * never (every version answers its 401 with {error}). Else a proxy (or another app at the URL) asks for a sign-in.
 */
export function tokenRefused(err: ServiceError, version: string | undefined): boolean {
  if (err.page !== undefined) return false;
  return err.code === undefined ? fromVersions(err, version) : err.code === 'unauthorized';
}

/**
 * Which refusal of something the service does not know (a field, a value, a filter, an endpoint) an error answer is,
 * or undefined for any other: a plugin that checked the same with its own model is at another version than the service.
 * From the answer's code; from its words only when it has none (a service up to 0.1.0: see fromVersions).
 */
export function unknownToService(answer: { error?: unknown; code?: unknown }): UnknownCode | undefined {
  if (typeof answer.code === 'string') return (UNKNOWN_CODES as readonly string[]).includes(answer.code) ? (answer.code as UnknownCode) : undefined;
  const { error } = answer;
  return typeof error === 'string' ? UNKNOWN_WORDS.find(([, words]) => words.test(error))?.[0] : undefined;
}

/** Whether parsed JSON is an object: what every answer and line of the service is. */
const isJsonObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How much of an error that is not words (a server at the URL that is not Trailhound: an object, a number) is quoted. */
const QUOTED_ERROR_CHARS = 120;

/** POST /api/query, the one call that answers queries. */
const QUERY_PATH = '/api/query';

/**
 * What a batch asks of the service, as Grafana's query inspector shows it (frame meta executedQueryString): the method,
 * the path and the body. The token is a header, never in it.
 */
export function queryRequestText(request: QueryRequest): string {
  return `POST ${QUERY_PATH} ${JSON.stringify(request)}`;
}

/** The type of the service's answer to a query a line per frame, which it gives when asked (QueryResultLine). */
const LINES_TYPE = 'application/x-ndjson';

export const DEFAULT_TIMEOUT_MS = DEFAULT_TIMEOUT_SECONDS * 1000;

/**
 * The error code behind a failed fetch: undici wraps it in cause, sometimes in an AggregateError. Its own socket error
 * (UND_ERR_SOCKET) only when nothing beneath says more (a reset, say): alone, the server closed without a word.
 */
function causeCode(err: unknown): string | undefined {
  let e: any = err;
  let socket: string | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.code === 'UND_ERR_SOCKET') socket = e.code;
    else if (typeof e.code === 'string') return e.code;
    if (Array.isArray(e.errors) && e.errors[0]?.code) return e.errors[0].code;
    e = e.cause;
  }
  return socket;
}

/** Node's codes for a TLS certificate the host does not trust: self-signed, or of a CA it does not know. */
const UNTRUSTED_CERTIFICATE = [
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
];

/** What to check for a connection that failed with `code`, or undefined for a code with no advice of ours. */
function connectionHint(code: string | undefined): string | undefined {
  const hints: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is `trailhound serve` running there, and is the URL in the data source settings right?',
    ENOTFOUND: 'the host name does not resolve: check the URL in the data source settings',
    EAI_AGAIN: 'the host name does not resolve (DNS is not answering)',
    ECONNRESET: 'the connection was reset: is it an HTTP (not HTTPS) URL of a Trailhound service?',
    EHOSTUNREACH: 'the host is unreachable',
    ETIMEDOUT: 'the connection timed out',
    // https:// to the service itself, which speaks plain HTTP.
    ERR_SSL_WRONG_VERSION_NUMBER: 'it does not speak TLS (ERR_SSL_WRONG_VERSION_NUMBER): the service serves plain HTTP, so give an http:// URL, ' +
      'or the https:// URL of a TLS proxy in front of it',
    // http:// to a TLS port: the server closes the connection without an answer.
    UND_ERR_SOCKET: 'the server closed the connection without answering: if it serves HTTPS (a TLS proxy), give an https:// URL; ' +
      'else check that the URL is the address of `trailhound serve`',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired (CERT_HAS_EXPIRED): renew it on the proxy in front of the service',
    CERT_NOT_YET_VALID: "its TLS certificate is not valid yet (CERT_NOT_YET_VALID): check the clocks of Grafana's host and the proxy",
    ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is not for this host name (ERR_TLS_CERT_ALTNAME_INVALID): ' +
      'give the URL with a name the certificate names',
  };
  if (code && UNTRUSTED_CERTIFICATE.includes(code)) {
    return `its TLS certificate is not one this host trusts (${code}): for a certificate of your own CA, give Grafana the CA's PEM file in ` +
      'NODE_EXTRA_CA_CERTS and pass it on to this plugin (from Grafana 12.4: forward_host_env_vars = trailhound-cloudtrail-datasource under [plugins])';
  }
  return hints[code ?? ''];
}

/**
 * A response's body in one Buffer, from its parts: undici's arrayBuffer() held 2.5–3.5 times an 82 MB body at its peak
 * (the service's answer at its points budget), its parts and one copy 2–2.5 times.
 */
async function readBody(response: Response, maxBytes: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
      size += part.value.length;
      if (size > maxBytes) throw new AnswerTooBig('');
      parts.push(part.value);
    }
  } catch (err) {
    // Not read on: the connection is dropped rather than drained.
    await reader?.cancel().catch(() => undefined);
    throw err;
  }
  return Buffer.concat(parts, size);
}

/**
 * The most a whole answer (or a line of one) may weigh: the service's largest, a query at its points budget, is ~82 MB
 * of JSON, an event's record at most 16 MB. Something else at the URL that never ends would hold the plugin's memory
 * until Grafana's host kills it, every panel of every user with it.
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** Bytes in MB for a message: 256 MB, 1.5 MB. */
export const megabytes = (bytes: number) => `${+(bytes / 1024 / 1024).toFixed(1)} MB`;

/** An answer past MAX_ANSWER_BYTES; `what` is "" for a whole answer, "a line of " for a line. */
class AnswerTooBig extends Error {
  constructor(readonly what: string) {
    super('the answer is too big');
  }
}

/**
 * A response's body a line at a time (without its newline), each line held only while it is read: a line is a frame of
 * the answer, ~10 kB at the points budget, where the whole body was 82 MB.
 */
async function* bodyLines(response: Response, maxBytes: number): AsyncGenerator<Buffer> {
  const reader = response.body?.getReader();
  let parts: Buffer[] = [];
  let size = 0;
  try {
    for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
      let chunk = Buffer.from(part.value.buffer, part.value.byteOffset, part.value.byteLength);
      // A newline byte is never inside a UTF-8 character: each line decodes on its own.
      for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10)) {
        parts.push(chunk.subarray(0, end));
        yield parts.length === 1 ? parts[0] : Buffer.concat(parts);
        parts = [];
        size = 0;
        chunk = chunk.subarray(end + 1);
      }
      size += chunk.length;
      if (size > maxBytes) throw new AnswerTooBig('a line of ');
      if (chunk.length > 0) parts.push(chunk);
    }
    if (parts.length > 0) yield Buffer.concat(parts);
  } finally {
    // Left early (a bad line, the caller failing): the rest is not read, and the connection not kept waiting.
    await reader?.cancel().catch(() => undefined);
  }
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Told about every call: the API path (without per-value parts) and the HTTP status, or "error". */
  onCall?: (path: string, status: string) => void;
  /** The most an answer, or a line of one, may weigh (MAX_ANSWER_BYTES; less in tests). */
  maxAnswerBytes?: number;
}

const ROUTES = ['/api/health', '/api/query', '/api/values', '/api/events', '/api/trails', '/api/ingest/status', '/api/ingest/errors', '/api/backfill'];

/**
 * /api/values/user → /api/values, /api/events/<eventID> → /api/events: a metric label per endpoint, never per value
 * a user sent, which would make a series per value and grow the metrics without bound.
 */
export function routeOf(path: string): string {
  return ROUTES.find((route) => path === route || path.startsWith(`${route}/`)) ?? 'other';
}

export class ServiceClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly options: ClientOptions = {}
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAnswerBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  }

  get hasToken(): boolean {
    return this.token !== '';
  }

  /** Any request; answers whatever status the service gives. Throws ServiceError only when there is no answer. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const { response, timeout } = await this.open(method, path, options);
    return this.readWhole(path, response, timeout, options.signal);
  }

  /** A response read whole, its call told; a connection lost while it is read becomes a ServiceError. */
  private async readWhole(path: string, response: Response, timeout: AbortSignal, signal?: AbortSignal): Promise<RawResponse> {
    try {
      const answer = { status: response.status, headers: response.headers, body: await readBody(response, this.maxAnswerBytes) };
      this.options.onCall?.(routeOf(path), String(answer.status));
      return answer;
    } catch (err) {
      this.options.onCall?.(routeOf(path), 'error');
      if (err instanceof AnswerTooBig) throw this.tooBig(path, err);
      throw this.connectionError(err, timeout.aborted, signal);
    }
  }

  private tooBig(path: string, err: AnswerTooBig): ServiceError {
    const mb = megabytes(this.maxAnswerBytes);
    return new ServiceError(
      `${this.baseUrl}${path} answered ${err.what}more than ${mb}, more than a Trailhound service ever does: check the URL in the data source settings`,
      502,
      'not-trailhound'
    );
  }

  /** Sends a request and answers its response, the body not read yet, and the signal of its timeout. */
  private async open(method: string, path: string, options: RequestOptions): Promise<{ response: Response; timeout: AbortSignal }> {
    const url = `${this.baseUrl}${path}${options.query ? `?${options.query.replace(/^\?/, '')}` : ''}`;
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.auth !== false && this.token) headers.authorization = `Bearer ${this.token}`;
    let body: Uint8Array<ArrayBuffer> | string | undefined;
    if (options.rawBody !== undefined && options.rawBody.length > 0) {
      body = Uint8Array.from(options.rawBody);
      headers['content-type'] = options.contentType || 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      return { response: await fetch(url, { method, headers, body, signal, redirect: 'manual' }), timeout };
    } catch (err) {
      this.options.onCall?.(routeOf(path), 'error');
      throw this.connectionError(err, timeout.aborted, options.signal);
    }
  }

  private connectionError(err: unknown, timedOut: boolean, caller: AbortSignal | undefined): ServiceError {
    const where = `the Trailhound service at ${this.baseUrl}`;
    if (caller?.aborted && caller.reason instanceof DeadlineExceeded) {
      // An alert rule's evaluation timing out is a timeout, not a user going away.
      return new ServiceError(`${where} did not answer before Grafana's deadline for the request`, 504, 'timeout');
    }
    if (caller?.aborted) return new ServiceError(`the request to ${where} was cancelled`, 499, 'cancelled');
    if (timedOut) return new ServiceError(`${where} did not answer within ${this.timeoutMs / 1000}s`, 504, 'timeout');
    const code = causeCode(err);
    // An error without a cause is fetch refusing to build the request: its text quotes the headers, token included.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    const detail = code ?? cause ?? 'the request could not be made: check the URL and the API token in the data source settings';
    // The log's "query failed" says why too (the address refused, the TLS alert): the failure's chain of causes, as
    // text without the token as the detail is, when the fetch failed on the network (one that refused to build the
    // request quotes the headers).
    const beneath = cause === undefined ? undefined : { cause: withoutToken(chainMessage(err as Error, true), this.token) };
    const message = `cannot reach ${where}: ${connectionHint(code) ?? withoutToken(detail, this.token)}`;
    return new ServiceError(message, 502, 'unreachable', undefined, undefined, undefined, beneath);
  }

  /** A JSON call: a non-2xx answer or a non-JSON body becomes a ServiceError. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.decode<T>(path, await this.request(method, path, options));
  }

  private decode<T>(path: string, response: RawResponse): T {
    const text = response.body.toString('utf8');
    if (response.status >= 200 && response.status < 300 && text !== '') {
      try {
        return JSON.parse(text) as T;
      } catch {
        // Not JSON: not the service's answer (httpError says whose).
      }
    }
    throw this.httpError(path, response, text);
  }

  /** What a non-2xx answer to a raw `request` means, as a JSON call's error says it (CallResource's refusals). */
  errorOf(path: string, response: RawResponse): ServiceError {
    return this.httpError(path, response, response.body.toString('utf8'));
  }

  private httpError(path: string, { status, headers }: RawResponse, text: string): ServiceError {
    const answer = readHttpAnswer(status, headers, text, this.token);
    const quoted = `${this.baseUrl}${path} answered HTTP ${status}${answer.snippet ? ` "${answer.snippet}"` : ''}`;
    if ((status === 401 || status === 403) && answer.from === 'sign-in') {
      // A page, not the service's {error} (its every version answers so): a proxy's (or another app's) sign-in, which
      // no API token passes. Kind unauthorized still, with the page: Save & test words it with what it knows.
      return new ServiceError(
        `${quoted}, not as the Trailhound service does: a proxy in front of it (or another app at that URL) asks for a sign-in of its own: ` +
          'point the URL in the data source settings at the service itself, or at a proxy that passes the Authorization header on',
        401,
        'unauthorized',
        status,
        undefined,
        answer.snippet
      );
    }
    if (status === 401 || status === 403) {
      const why = this.token ? 'rejected the API token' : 'needs an API token and none is set';
      // Taken by its status here; Save & test, which knows the service's version, tells a proxy's (tokenRefused).
      return new ServiceError(
        `the Trailhound service at ${this.baseUrl} ${why} (HTTP ${status}): ` +
          'set the token from the service (TRAILHOUND_TOKEN, or the token file in its data folder) in the data source settings',
        401,
        'unauthorized',
        status,
        answer.code,
        answer.from === 'service' ? undefined : answer.snippet
      );
    }
    if (answer.from === 'gateway') {
      // A proxy's page for a service behind it that is down: a restart (an upgrade) looked like a wrong URL.
      return new ServiceError(
        `${quoted}, a proxy's answer rather than the service's: ` +
          'the service behind it may be stopped or restarting (an upgrade, say): try again in a moment; ' +
          'if it lasts, check that the service runs and the URL in the data source settings',
        status === 504 ? 504 : 502,
        'gateway',
        status
      );
    }
    if (answer.from !== 'service') {
      // No {error} JSON of the service's: the URL points at something that is not a Trailhound service.
      return new ServiceError(`${quoted}, not as a Trailhound service does: check the URL in the data source settings`, 502, 'not-trailhound', status);
    }
    // The service's own errors: its 4xx are the request's fault and keep their code; its 5xx are a bad gateway for Grafana.
    return new ServiceError(answer.error!, status < 500 ? status : status === 504 ? 504 : 502, 'http', status, answer.code);
  }

  /**
   * A query's result (or a part of it) with an error in words: the service's errors are strings, but a server at the URL
   * that is not Trailhound may answer an object, a number or null, which Grafana would show as "[object Object]". Its
   * `message` (when a string) or its JSON is quoted, short and without the token, and says to check the URL.
   */
  private readableResult(path: string, result: QueryResult): QueryResult {
    if (isJsonObject(result) && (!('error' in result) || typeof result.error === 'string')) return result;
    const said: unknown = isJsonObject(result) ? result.error : result;
    const message = (said as { message?: unknown } | null)?.message;
    const short = (text: string) => {
      const folded = withoutToken(text, this.token).replace(/\s+/g, ' ').trim();
      return folded.length > QUOTED_ERROR_CHARS ? `${folded.slice(0, QUOTED_ERROR_CHARS)}…` : folded;
    };
    const quoted = typeof message === 'string' ? `"${short(message)}"` : short(JSON.stringify(said));
    const what = isJsonObject(result) ? 'an error that is not text' : 'a result that is not a JSON object';
    return {
      error:
        `${this.baseUrl}${path} answered ${what} (${quoted}), as no Trailhound service does: ` +
        'the server at that URL may not be Trailhound; check the URL in the data source settings',
      status: 502,
    };
  }

  health(signal?: AbortSignal): Promise<HealthResponse> {
    return this.json<HealthResponse>('GET', '/api/health', { auth: false, signal });
  }

  /** The service's version, from /api/health, for a refusal that may come of versions; undefined when it does not say. */
  async serviceVersion(signal?: AbortSignal): Promise<string | undefined> {
    try {
      const { version } = await this.health(signal);
      return typeof version === 'string' ? version : undefined;
    } catch {
      return undefined;
    }
  }

  ingestStatus(signal?: AbortSignal): Promise<IngestStatus> {
    return this.json<IngestStatus>('GET', '/api/ingest/status', { signal });
  }

  /**
   * POST /api/query, its answer handed to onResult as it comes, a refId and a part of its result: a frame at a time (a
   * result of no frames, its empty list), so that each frame can be turned into Arrow and its JSON dropped. A service
   * older than the answer by lines answers JSON whatever it is asked: its results, read whole, are handed over one by one.
   */
  async query(request: QueryRequest, onResult: (refId: string, part: QueryResult) => void, signal?: AbortSignal): Promise<void> {
    const path = QUERY_PATH;
    const options = { body: request, signal, accept: `${LINES_TYPE}, application/json;q=0.9` };
    const { response, timeout } = await this.open('POST', path, options);
    const type = response.headers.get('content-type') ?? '';
    // JSON that is no object (null, a list) is no answer of the service's: not to be read as one, nor taken for the plugin's fault.
    const notAnAnswer = (what: string) =>
      new ServiceError(
        `${this.baseUrl}${path} answered ${what}, not as a Trailhound service does: check the URL in the data source settings`,
        502,
        'not-trailhound'
      );
    if (!response.ok || type.split(';')[0].trim().toLowerCase() !== LINES_TYPE) {
      const answer = this.decode<QueryResponse>(path, await this.readWhole(path, response, timeout, signal));
      if (!isJsonObject(answer)) throw notAnAnswer('JSON that is not an object');
      for (const [refId, result] of Object.entries(answer.results ?? {})) onResult(refId, this.readableResult(path, result));
      return;
    }
    let ended = false;
    let failed: { err: unknown } | undefined;
    try {
      for await (const text of bodyLines(response, this.maxAnswerBytes)) {
        if (text.length === 0) continue;
        let line: QueryResultLine;
        try {
          line = JSON.parse(text.toString('utf8'));
        } catch {
          throw notAnAnswer('a line that is not JSON');
        }
        if (!isJsonObject(line)) throw notAnAnswer('a line that is not a JSON object');
        if ('end' in line) {
          ended = true;
          break;
        }
        const { refId, ...part } = line;
        try {
          onResult(refId, this.readableResult(path, part));
        } catch (err) {
          // The caller's own failure, not the connection's: it goes on as it is.
          failed = { err };
          break;
        }
      }
    } catch (err) {
      this.options.onCall?.(routeOf(path), 'error');
      if (err instanceof ServiceError) throw err;
      if (err instanceof AnswerTooBig) throw this.tooBig(path, err);
      throw this.connectionError(err, timeout.aborted, signal);
    }
    if (failed) throw failed.err;
    this.options.onCall?.(routeOf(path), String(response.status));
    if (!ended) throw new ServiceError(`the Trailhound service at ${this.baseUrl} cut its answer short: try again`, 502, 'http', response.status);
  }
}
