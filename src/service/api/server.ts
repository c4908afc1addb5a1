// The service's HTTP API (DESIGN.md, "Service HTTP API"). Every endpoint but /api/health wants the bearer token.
import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiErrorCode, BackfillStatus, HealthResponse, IngestErrors, IngestStatus, QueryRequest } from '../../model/api';
import { didYouMean } from '../../model/closest';
import { messageOf } from '../../model/errorMessage';
import { DEFAULT_ERRORS_LIMIT, DIMENSIONS, isDimension, MAX_LIMIT, QueryError, resolveFilters, resolveTimeField, type Filters } from '../../model/query';
import { counted, sizeText } from '../counted';
import { kindsOf } from '../errorKind';
import { Database } from '../db/database';
import { CLOUDTRAIL_BEGAN, cloudTrailDays } from '../ingest/keys';
import { daysUnder } from '../ingest/retention';
import {
  ANSWER_LINES_TYPE,
  answerJson,
  answerLines,
  defaultFrom,
  MAX_INTERVAL_MS,
  MAX_WEIGHT,
  parseRange,
  parseTime,
  TIME_FORMS,
  planAnswer,
  QueryTimeoutError,
  refuseUnknownFields,
  Reports,
  RequestStoppedError,
} from '../reports';
import { UnreadableRecordError } from '../reports/records';
import { WeightGate } from './gate';
import { VERSION } from '../version';
import { ANSWER_HEADERS, answerClientError, errorAnswer, hideInternalErrors, internalError } from './errors';
import { createMetrics } from './metrics';
import type { DatabaseOpening } from './opening';
import { boundStop } from './stopping';
import { sameToken } from './token';
import { strictBodyTypes, validationError, type BodySchema, type SchemaError } from './validation';

export interface ApiOptions {
  /**
   * The database, or serve's while it opens it (a migration can take minutes): until it is open, /api/health says what
   * the open does, and every other endpoint but /metrics answers 503 (after the token check).
   */
  db: Database | DatabaseOpening;
  token: string;
  logger?: Logger;
  /** Runs a backfill (POST /api/backfill); absent, the endpoint answers 501. */
  backfill?: (days: number) => Promise<unknown>;
  /** The service's retention: a backfill reads no further back than it keeps (the answer says so). */
  retentionDays?: number;
  /** Each statement's timeout (DEFAULT_TIMEOUT_MS in the reports). */
  queryTimeoutMs?: number;
  /** The deadline of a whole POST /api/query, all its queries together (and of a value list or an event's record). */
  requestTimeoutMs?: number;
  /** Largest request body; a query with thousands of filter values still fits in the default. */
  bodyLimit?: number;
  /** How much the answers being built and sent may weigh together (MAX_WEIGHT: one request's budgets in full). */
  answerCapacity?: number;
  /** How long a request's headers and body may take to arrive (RECEIVE_TIMEOUT_MS; tests shorten it). */
  receiveTimeoutMs?: number;
  /** How long a client may leave its answer unread (SEND_TIMEOUT_MS; tests shorten it). */
  sendTimeoutMs?: number;
  /** Once the stop begins: when the connections giving no answer are ended (stopping.ts STOP_GRACE_MS), and every one (STOP_DEADLINE_MS). */
  stopGraceMs?: number;
  stopDeadlineMs?: number;
}

const MAX_QUERIES = 50;
/** What a request past its deadline that reads no reports' range (a record, the lists of trails and errors, the status) advises. */
const BUSY = 'try again when the service is less busy';
/** What a 503 asks for while the database opens: a migration takes minutes, a plain open a moment. */
const RETRY_AFTER_SECONDS = 10;
/**
 * How long one POST /api/query may run, all its queries together: a statement may take 30 s, and fifty of them one
 * after another kept DuckDB busy for 25 minutes. Under the plugin's default timeout per call (60 s), so that Grafana
 * gets the answer, with the stopped queries' errors, rather than a timeout of the whole call.
 */
export const REQUEST_TIMEOUT_MS = 50_000;
/**
 * How long a client may go without reading any of a query's answer, once it is ready: the answer's weight in the gate
 * is held until it is sent, so a client that stops reading would keep the others waiting for ever (each a 504 after its
 * deadline). A stall, not a total: a big answer over a slow link (the CLI's, from afar) takes as long as it takes. The
 * plugin gives up on a call after 60 s by default, a call answered within REQUEST_TIMEOUT_MS.
 */
export const SEND_TIMEOUT_MS = 60_000;
/**
 * How long a request's headers and body may take to arrive; a later one is a 408 (within half that again: Node checks
 * twice per period). fastify has no limit, and asks for one when no proxy is in front, as here: a client sending
 * slowly (or nothing) held its connection for ever. 60 s: the plugin gives up on its call by then.
 */
export const RECEIVE_TIMEOUT_MS = 60_000;

/**
 * Runs a request's reads with a signal that aborts when the client closes the connection before its answer, or when the
 * request's deadline passes: the reports then interrupt the running statement and start no other.
 * (fastify's request.signal aborts once a body has been read: Node closes the request stream then, not at a hang-up.)
 */
async function untilStopped<T>(reply: FastifyReply, ms: number, read: (signal: AbortSignal) => Promise<T>, advice?: string): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(RequestStoppedError.deadline(ms, advice)), ms);
  const closed = () => {
    if (!reply.raw.writableFinished) controller.abort(RequestStoppedError.clientClosed());
  };
  reply.raw.on('close', closed);
  // A client gone while its body was read and checked: the response closed before anyone listened.
  if (reply.raw.destroyed || reply.raw.socket?.destroyed) closed();
  try {
    return await read(controller.signal);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', closed);
  }
}

// A string first: with type coercion, a number branch first would take null and true for 0 and 1 (the epoch);
// as text they are refused, and numbers arrive as their digits, which parseTime reads as epoch milliseconds.
// Its description is what a refusal says it must be (validation.ts), as a query's time that does not parse says.
const timeValue = { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'number' }], description: `a time (${TIME_FORMS})` };

const RANGE_SHAPE =
  `{"from": ..., "to": ..., "timeZone": ...}, each a time (${TIME_FORMS}), and the time zone of day and hour buckets ` +
  '(an IANA name; UTC when none)';

const querySchema = {
  body: {
    type: 'object',
    // An object's or a list's description is what to send, which a refusal of it says (validation.ts).
    description: '{"range": {"from": ..., "to": ...}, "queries": [{"refId": "A", ...}]}',
    required: ['range', 'queries'],
    properties: {
      range: {
        type: 'object',
        description: RANGE_SHAPE,
        required: ['from', 'to'],
        properties: { from: timeValue, to: timeValue, timeZone: { type: 'string' } },
      },
      intervalMs: { type: 'number', minimum: 0, maximum: MAX_INTERVAL_MS, description: "a bucket's width in milliseconds, at most 366 days" },
      maxDataPoints: { type: 'integer', minimum: 1, maximum: 100_000 },
      queries: {
        type: 'array',
        description: '[{"refId": "A", ...}]',
        maxItems: MAX_QUERIES,
        items: {
          type: 'object',
          description: '{"refId": "A", ...}',
          required: ['refId'],
          properties: { refId: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
  },
};

const valuesSchema = {
  params: { type: 'object', properties: { dimension: { type: 'string' } } },
  querystring: {
    type: 'object',
    // timeField, filters and exclude are checked by the query model's own rules, with the same messages as in a query.
    properties: {
      from: timeValue, to: timeValue, q: { type: 'string', maxLength: 256 }, limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT }, timeField: {},
      filters: { type: 'string', description: 'JSON, as a query\'s: {"user": ["alice"]}' }, exclude: { type: 'string', description: 'JSON, as filters' },
    },
  },
};

/**
 * POST /api/values/:dimension: the same fields in a JSON body, filters and exclude as objects, as in a query. Many or
 * long filter values (hundreds of ARNs) make a URL past Node's 16 KB of headers; a body may hold up to bodyLimit.
 */
const valuesBodySchema = {
  params: valuesSchema.params,
  body: {
    type: 'object',
    description: '{"from": ..., "to": ..., "filters": {"user": ["alice"]}}',
    properties: {
      ...valuesSchema.querystring.properties,
      filters: { type: 'object', description: 'an object of lists, as a query\'s: {"user": ["alice"]}' },
      exclude: { type: 'object', description: 'an object of lists, as filters' },
    },
  },
};

interface ValuesFields {
  from?: string | number;
  to?: string | number;
  q?: string;
  limit?: number;
  timeField?: unknown;
  filters?: unknown;
  exclude?: unknown;
}

/** A value list's filters or exclusions: a query's, as JSON in the query string (GET) or as an object in the body (POST). */
function narrowingOf(field: 'filters' | 'exclude', text: unknown): Filters {
  if (text === undefined || text === '') return {};
  if (typeof text !== 'string') return resolveFilters(text, field);
  let given: unknown;
  try {
    given = JSON.parse(text);
  } catch {
    throw new QueryError(field, 'is not JSON: give an object of lists, as in a query, e.g. {"user": ["alice"]}');
  }
  return resolveFilters(given, field);
}

const MAX_EVENT_ID = 256;
const eventSchema = {
  params: { type: 'object', properties: { eventId: { type: 'string', minLength: 1, maxLength: MAX_EVENT_ID } } },
};

const ingestErrorsSchema = {
  querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT } } },
};

// No maximum: as with ingest --days, any number of days reads no further back than CloudTrail began (the answer says so).
const backfillSchema = {
  body: { type: 'object', description: '{"days": 30}', required: ['days'], properties: { days: { type: 'integer', minimum: 1 } } },
};

/** A request body that is not JSON, or is JSON with a key that could stand for an object's prototype. */
class BodyError extends Error {
  readonly statusCode = 400;
}

/** The code of a 4xx fastify gave without this service saying which (an unparsable content-length, say). */
const codeOfStatus = (status: number): ApiErrorCode => (status === 413 ? 'too-large' : 'invalid-request');

/**
 * JSON bodies. fastify's own parser refuses a "__proto__" key (and "constructor" with "prototype") too, but says the
 * body is not valid JSON: a hostile key, say in filters, must be told apart from a typing error.
 */
function parseJsonBody(_request: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.trim() === '') return done(new BodyError('the body is empty: send the request as JSON'));
  try {
    done(
      null,
      JSON.parse(body, (key, value) => {
        if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)) {
          throw new BodyError(`the body has a key "${key}"${key === 'constructor' ? ' holding "prototype"' : ''}, which no field of this API has: remove it`);
        }
        return value;
      })
    );
  } catch (err) {
    // Reading a body nested thousands deep runs out of stack: valid JSON, which "not valid JSON" would misname.
    if (err instanceof RangeError) return done(new BodyError('the body nests its JSON too deep to read: no request of this API nests more than a few levels'));
    done(err instanceof BodyError ? err : new BodyError(`the body is not valid JSON (${messageOf(err)})`));
  }
}

/** "Bearer <token>": the scheme is case-insensitive (RFC 9110, 11.1). */
const BEARER = /^bearer[ \t]+(.*)$/i;

/** Whether an Accept header asks for the answer a line per frame: it names its type (with a q other than 0). */
export function acceptsLines(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    return type === ANSWER_LINES_TYPE && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  // A token read from a file or variable may end in a newline; the token presented is trimmed too.
  const expected = options.token.trim();
  if (!expected) throw new Error('the API needs a bearer token: set TRAILHOUND_TOKEN to a non-empty value, or unset it to use the token file');
  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024;
  const receiveTimeoutMs = options.receiveTimeoutMs ?? RECEIVE_TIMEOUT_MS;
  const app = Fastify({
    // Node times a request's body out only past its headers' timeout too (60 s by default): both get the same.
    requestTimeout: receiveTimeoutMs,
    http: { headersTimeout: receiveTimeoutMs, connectionsCheckingInterval: Math.ceil(receiveTimeoutMs / 2) },
    // Warnings and errors only: serve logs its own "API listening" line with the token's whereabouts.
    loggerInstance: options.logger?.child({}, { level: 'warn' }) as FastifyBaseLogger | undefined,
    // Per-request lines would drown the ingestion log; requests are counted in /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // Query strings are text, so numbers there are coerced (in bodies only from decimal text, Grafana's variables: the
    // preValidation hook refuses the rest before ajv coerces it); nothing unknown is silently dropped. verbose: an error
    // carries its field's schema and value, which its message reads.
    ajv: { customOptions: { removeAdditional: false, verbose: true } },
    // The router's own cap (100 by default) would refuse a longer event id before the schema's, with a 414 in a shape
    // of its own. It counts UTF-16 units, two for an emoji: room for any id the schema takes, and for the schema to
    // say what is wrong with a longer one.
    routerOptions: { maxParamLength: 4 * MAX_EVENT_ID },
    // A path that does not decode (%FF) fails before any route or hook: fastify's answer said only "Bad Request" in
    // `error`, the field the plugin shows, and without the headers every other answer has.
    frameworkErrors: (err, _request, bare) => {
      const reply = bare as FastifyReply;
      reply.code(400).headers(ANSWER_HEADERS);
      const error =
        err.code === 'FST_ERR_BAD_URL'
          ? "the URL's path does not decode (a %-escape that is not UTF-8): escape an event ID with encodeURIComponent"
          : `the request could not be routed (${err.message})`;
      return reply.send(errorAnswer('invalid-request', error));
    },
    clientErrorHandler: answerClientError,
    // A request that comes on a kept-alive connection while the service stops is answered as any other (fastify closes
    // the connection after it): fastify's own 503 for it had none of the headers every answer has, the service's
    // (readHttpAnswer took it for a proxy's page).
    return503OnClosing: false,
  });
  // Each route's path as a pattern, with its methods: a known path called with another method is a 405 (the not-found handler).
  const routeMethods: Array<{ source: string; pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', ({ url, method }) => {
    const source = `^${url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`;
    let route = routeMethods.find((known) => known.source === source);
    if (!route) routeMethods.push((route = { source, pattern: new RegExp(source), methods: new Set() }));
    // fastify answers HEAD on every GET route (exposeHeadRoutes), which onRoute does not report.
    for (const one of [method].flat()) for (const taken of one === 'GET' ? ['GET', 'HEAD'] : [one]) route.methods.add(taken);
  });
  const methodsOf = (path: string): string[] => [...(routeMethods.find((route) => route.pattern.test(path))?.methods ?? [])].sort();
  app.removeContentTypeParser('application/json');
  // Every body is JSON: a text/plain one (fetch's for a string sent without a content-type) is the 415 that says so,
  // not a string that fails the schema as "body must be object".
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const sendTimeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;
  const answers = new WeightGate(options.answerCapacity ?? MAX_WEIGHT);
  // The reports once the database is open; until then the gate below answers every route that would read it.
  let reports: Reports | undefined;
  let database: Database | undefined;
  const metrics = createMetrics(() => reports, answers, options.logger, () => database);
  const opened = (db: Database) => {
    database = db;
    reports = new Reports(db, options.queryTimeoutMs);
    reports.observer = metrics.observer;
  };
  const opening = options.db instanceof Database ? undefined : options.db;
  if (opening) void opening.opened.then(opened, () => undefined);
  else opened(options.db as Database);
  /** The reports: a route reaches this only once the database is open (the gate). */
  const open = (): Reports => {
    if (!reports) throw new Error('the database is not open yet');
    return reports;
  };

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(ANSWER_HEADERS);
    // The route, not the URL: a probe's /api/health?check=1 is the health check too.
    if (request.routeOptions.url === '/api/health' || request.routeOptions.url === '/api/ready') return;
    const header = request.headers.authorization ?? '';
    const given = BEARER.exec(header)?.[1].trim() ?? '';
    if (!given || !sameToken(given, expected)) {
      // The token sent without its scheme (curl -H "Authorization: $TOKEN") is the usual slip: said, as the header shows it.
      const slip = header.trim() && !/^bearer\b/i.test(header.trim()) ? ': the Authorization header does not start with "Bearer "' : '';
      const error = `missing or wrong bearer token${slip}: send "Authorization: Bearer <token>" (TRAILHOUND_TOKEN, or the token file in the data folder)`;
      return reply.code(401).send(errorAnswer('unauthorized', error));
    }
    // After the token: without it, a caller learns no more than /api/health tells anyone. /metrics reads no reports
    // (its ingestion gauge is left out meanwhile); an unknown route is still a 404.
    if (!reports && opening && request.routeOptions.url !== undefined && request.routeOptions.url !== '/metrics') {
      const { status, message } = opening.state();
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send(errorAnswer(status, `${message}. Try again in a moment (GET /api/health says how far it is)`));
    }
  });
  // Before the schema's ajv, which coerces (it must, for query strings): a JSON body's true, null or [3] for a number,
  // or "x" for a list, is refused naming the field, not taken as 1, 0, 3 or ["x"].
  app.addHook('preValidation', async (request, reply) => {
    // A parameter given twice arrives as a list, which ajv calls "must be integer" (or, for a time, three lines), and
    // which a field the model checks (timeField) would quote as a list: name it. An unknown one is refused as unknown.
    const querystring = request.routeOptions.schema?.querystring as BodySchema | undefined;
    const known = querystring?.properties;
    if (known) {
      const params = request.query as Record<string, unknown>;
      const repeated = Object.keys(known).find((name) => Array.isArray(params[name]));
      if (repeated) {
        return reply.code(400).send(errorAnswer('invalid-request', `${repeated}: given ${(params[repeated] as unknown[]).length} times: give it once`));
      }
      // A number in a query string is decimal, as in a body: ajv's coercion read limit=0x10 as 16, which no one means.
      const notDecimal = strictBodyTypes(params, querystring);
      if (notDecimal) return reply.code(400).send(validationError([notDecimal], 'querystring'));
    }
    const schema = request.routeOptions.schema?.body as BodySchema | undefined;
    const error = schema && strictBodyTypes(request.body, schema);
    if (error) return reply.code(400).send(validationError([error], 'body'));
  });
  const stop = boundStop(app, { graceMs: options.stopGraceMs, deadlineMs: options.stopDeadlineMs });
  // Each request counted once: by its answer's status, or as 499 (client-closed, as the API's errors name it) when its
  // client left before the answer was all sent (Grafana cancelling a panel's query), for which fastify calls no
  // onResponse (nor, here, onRequestAbort): they were not counted at all.
  const countedRequests = new WeakSet<FastifyRequest>();
  const countRequest = (request: FastifyRequest, status: number) => {
    if (countedRequests.has(request)) return;
    countedRequests.add(request);
    metrics.requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(status) });
  };
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) countRequest(request, 499);
    });
  });
  app.addHook('onResponse', async (request, reply) => countRequest(request, reply.statusCode));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // The client left before its answer was all sent (or was cut off: SEND_TIMEOUT_MS), as a client may: nothing is
    // wrong here, and no one is there to answer.
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' && reply.raw.destroyed) return;
    if (err.validation) {
      const [first] = err.validation;
      // ajv says "must NOT have more than 50 items"; the queries a request may not hold still have to be asked.
      if (first?.keyword === 'maxItems' && first.instancePath === '/queries') {
        const given = (request.body as { queries: unknown[] }).queries.length;
        return reply.code(400).send(errorAnswer('too-large', `queries: ${given} in one request, at most ${MAX_QUERIES}: send them in several requests`));
      }
      // Not ajv's "body/queries/0/refId must NOT have fewer than 1 characters": the field as the model names it, and what it must be.
      return reply.code(400).send(validationError(err.validation as SchemaError[], err.validationContext));
    }
    // curl -d without -H 'content-type: application/json' sends a form, which Fastify answers only "Unsupported Media Type".
    // fastify says only "Request body is too large": say how large it may be, and what to do instead.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // A value list is one request: its filters can only be fewer or shorter (a prefix, a variable's narrower values).
      const what =
        request.routeOptions.url === '/api/values/:dimension'
          ? 'narrow the filters and exclusions (fewer or shorter values)'
          : 'send fewer or shorter queries, in several requests';
      const error = `the body is over ${sizeText(bodyLimit)}, the most this service reads: ${what}`;
      return reply.code(413).send(errorAnswer('too-large', error));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send(errorAnswer('invalid-request', `${err.message}: send the body as JSON, with the header "content-type: application/json"`));
    }
    // Its code, when it is of something this service does not know (a client newer than the service sent it), or too much.
    if (err instanceof QueryError) return reply.code(400).send(errorAnswer(err.code ?? 'invalid-request', err.message));
    // As in /api/query: the query was interrupted, and the message says what to do.
    if (err instanceof QueryTimeoutError) return reply.code(504).send(errorAnswer('timeout', err.message));
    // Its client gone (499, which no one reads), or past the request's deadline (504): as a query's result says it.
    if (err instanceof RequestStoppedError) return reply.code(err.status).send(errorAnswer(err.code, err.message));
    // The service's own data is damaged (a 500), but what is wrong is no internal: the answer names the log file by its
    // key, and the log also says where its copy is kept (a path, which the answer leaves out).
    if (err instanceof UnreadableRecordError) {
      request.log.error({ err, keptIn: err.keptIn }, 'kept log file damaged');
      return reply.code(500).send(errorAnswer('unreadable-record', err.message));
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send(errorAnswer(codeOfStatus(err.statusCode), err.message));
    return reply.code(500).send(internalError(request.log, err));
  });

  // fastify's own 404 body says only "Not Found" in `error`, which is all the plugin shows. A known path called with
  // another method is a 405 naming the methods it takes (RFC 9110, 15.5.6), with the same code: to a client it is an
  // endpoint this service has not (a plugin at another version). Only after the token check, so a caller without it
  // learns nothing of the routes (a 401 for any path, as before).
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = methodsOf(path);
    if (allowed.length) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorAnswer('unknown-endpoint', `${request.method} is not a method of ${path.slice(0, 200)}: use ${allowed.join(' or ')}`));
    }
    return reply.code(404).send(errorAnswer('unknown-endpoint', `no such endpoint: ${request.method} ${path.slice(0, 200)}`));
  });

  // After fastify's close of app.server: the reports close, and the stop ends, once every server's connections are gone.
  app.addHook('onClose', async () => {
    await stop.serversClosed();
    reports?.close();
  });

  // 200 while the database opens too: Docker's health check (or an orchestrator's liveness probe) must not take a
  // long migration for a dead service, and a restart would start it over. The status says whether queries answer.
  // `status` stays 'ok' while it opens: a 0.1.0 plugin said that anything else was not a Trailhound service.
  const health = (): HealthResponse => {
    if (reports || !opening) return { status: 'ok', version: VERSION, database: 'open' };
    const { status: database, ...state } = opening.state();
    return { status: 'ok', version: VERSION, database, ...state };
  };
  app.get('/api/health', async () => health());

  // The readiness check, for probes that read only the status code (Kubernetes' httpGet, a load balancer's): 503 with
  // Retry-After until queries answer, with what /api/health says. Not for liveness: a restart would start a migration over.
  app.get('/api/ready', async (_request, reply): Promise<HealthResponse> => {
    const now = health();
    if (now.database !== 'open') reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return now;
  });

  app.post('/api/query', { schema: querySchema }, async (request, reply) => {
    const body = request.body as QueryRequest;
    const plan = planAnswer(body);
    const response = await untilStopped(reply, requestTimeoutMs, async (signal) => {
      // Held until the answer is sent (or the client leaves): building it and its JSON are what take the memory.
      const release = await answers.acquire(plan.weight, signal);
      if (reply.raw.closed) release();
      else reply.raw.once('close', release);
      return open().answer(plan, signal);
    });
    // Written as it is sent, a frame at a time, as fast as the client reads: the answer's JSON is never held whole. A
    // client that asks for it (the plugin's backend) gets a line per frame, which it can read a frame at a time too.
    const answer = hideInternalErrors(response, request.log);
    const lines = acceptsLines(request.headers.accept);
    const pieces = lines ? answerLines(answer) : answerJson(answer);
    reply.type(lines ? `${ANSWER_LINES_TYPE}; charset=utf-8` : 'application/json; charset=utf-8');
    // Not for a client already gone (its queries stopped): there is nothing to send, nor to cut off.
    if (reply.raw.closed) return reply.send(Readable.from(pieces));
    const stalled = setTimeout(() => {
      request.log.warn({ sendTimeoutMs }, 'answer not read in time by its client: connection closed, for the requests waiting');
      reply.raw.destroy();
    }, sendTimeoutMs).unref();
    reply.raw.once('close', () => clearTimeout(stalled));
    return reply.send(Readable.from(whileRead(pieces, () => stalled.refresh())));
  });

  /** A value list, its fields from the query string (GET) or the body (POST): the same checks and answer. */
  const answerValues = async (dimension: string, q: ValuesFields, reply: FastifyReply) => {
    if (!isDimension(dimension)) {
      const meant = didYouMean(dimension, DIMENSIONS);
      return reply.code(400).send(errorAnswer('unknown-value', `dimension: "${dimension}" is not one of ${DIMENSIONS.join(', ')}${meant}`));
    }
    // As in a query: a client newer than the service must not get lists that quietly ignore what it asked.
    refuseUnknownFields(q, Object.keys(valuesSchema.querystring.properties), 'value lists');
    // Given as they came, so that their errors show them so; `from` is read first, as in a query.
    const to = q.to ?? Date.now();
    const range = parseRange({ from: q.from ?? defaultFrom(parseTime('to', to)), to }, { from: 'from', to: 'to', range: 'to' });
    // By arrival, the values of the events stored in the range, as an arrival-time report counts them.
    const timeField = resolveTimeField(q.timeField);
    // The events a query with these filters and exclusions would count: a dashboard's other ad hoc filters.
    const narrowing = { filters: narrowingOf('filters', q.filters), exclude: narrowingOf('exclude', q.exclude) };
    const read = (signal: AbortSignal) => open().values(dimension, range, q.q ?? '', q.limit ?? 100, timeField, signal, narrowing);
    return { values: await untilStopped(reply, requestTimeoutMs, read, 'narrow the time range') };
  };
  app.get('/api/values/:dimension', { schema: valuesSchema }, async (request, reply) =>
    answerValues((request.params as { dimension: string }).dimension, request.query as ValuesFields, reply)
  );
  app.post('/api/values/:dimension', { schema: valuesBodySchema }, async (request, reply) =>
    answerValues((request.params as { dimension: string }).dimension, request.body as ValuesFields, reply)
  );

  // An event's details: its original record, e.g. for a data link from the Events table. No parameters, and none
  // ignored, as on /api/trails: one given is a newer client's (a format, a field to pick) or a typo.
  app.get('/api/events/:eventId', { schema: eventSchema }, async (request, reply) => {
    refuseUnknownFields(request.query as object, [], 'event records');
    const { eventId } = request.params as { eventId: string };
    const stored = await untilStopped(reply, requestTimeoutMs, (signal) => open().record(eventId, signal), BUSY);
    if (!stored) return reply.code(404).send(errorAnswer('not-found', `no stored event has eventID "${eventId}"`));
    if (stored === 'removed') {
      const error = `the event "${eventId}" is no longer stored: the retention removed it, with its original record, as it was being read`;
      return reply.code(404).send(errorAnswer('not-found', error));
    }
    // Events that share the id but not the time (a forged or damaged record) are each given: a link from either one's
    // row must not show the other's record alone as if it were its own.
    const { record, alsoStored } = stored;
    return alsoStored.length > 0 ? { eventId, record, alsoStored } : { eventId, record };
  });

  // Small reads, but a busy service takes its time over them too: they stop with their client, and at the request's
  // deadline, as the others do.
  // No parameters, and none ignored: the plugin and Grafana send none here, so one given is a newer client's (or a typo).
  app.get('/api/trails', async (request, reply) => {
    refuseUnknownFields(request.query as object, [], 'trail lists');
    return { trails: await untilStopped(reply, requestTimeoutMs, (signal) => open().trails(signal), BUSY) };
  });

  // The last backfill asked for here: one at a time, so repeated clicks cannot queue years of ingestion.
  let backfill: BackfillStatus | null = null;

  app.get('/api/ingest/status', async (request, reply): Promise<IngestStatus> => {
    refuseUnknownFields(request.query as object, [], 'ingestion status');
    // The backfill's state first, then the database: a backfill said done is done in what is read (read the other way
    // round, a status read before the backfill's commit could say done over tables without its files).
    const asOf = backfill && { ...backfill };
    return { ...(await untilStopped(reply, requestTimeoutMs, (signal) => open().ingestStatus(signal), BUSY)), backfill: asOf };
  });

  // The files counted as errors in the status, each with its source, key and why: the ingest_errors table, which
  // no one else can read while the service holds the database.
  app.get('/api/ingest/errors', { schema: ingestErrorsSchema }, async (request, reply): Promise<IngestErrors> => {
    const q = request.query as { limit?: number };
    refuseUnknownFields(q, Object.keys(ingestErrorsSchema.querystring.properties), 'unreadable-file lists');
    return untilStopped(reply, requestTimeoutMs, (signal) => open().ingestErrors(q.limit ?? DEFAULT_ERRORS_LIMIT, signal), BUSY);
  });

  app.post('/api/backfill', { schema: backfillSchema }, async (request, reply) => {
    const run = options.backfill;
    if (!run) {
      return reply.code(501).send(errorAnswer('no-backfill', 'backfill needs the ingesting service: run `trailhound serve` with a --source'));
    }
    // As in a query: a client newer than the service must not have a field it sends silently ignored.
    refuseUnknownFields(request.body as object, Object.keys(backfillSchema.body.properties), 'backfill requests');
    const asked = (request.body as { days: number }).days;
    const retentionDays = options.retentionDays;
    const kept = daysUnder(retentionDays, asked);
    // What it reads: never a day before CloudTrail began (the service's runs start there, and its log says so).
    const days = Math.min(kept, cloudTrailDays());
    if (backfill?.state === 'running') {
      const error =
        `a backfill of ${counted(backfill.days, 'day')} is already running (asked for at ${backfill.startedAt}): ` +
        'wait for it to finish; /api/ingest/status shows its state';
      return reply.code(409).send({ ...errorAnswer('backfill-running', error), backfill });
    }
    const current: BackfillStatus = { days, state: 'running', startedAt: new Date().toISOString() };
    backfill = current;
    // Older logs can take long: answer at once; /api/ingest/status shows the outcome.
    Promise.resolve()
      .then(() => run(kept))
      .then(
        () => Object.assign(current, { state: 'done', finishedAt: new Date().toISOString() }),
        (err: unknown) => {
          Object.assign(current, {
            state: 'failed',
            finishedAt: new Date().toISOString(),
            error: messageOf(err),
            errorKinds: kindsOf(err),
          });
          request.log.error({ err, days }, 'backfill failed');
        }
      );
    return reply.code(202).send({ status: 'started', days, ...(kept < asked && { retentionDays }), ...(days < kept && { cloudTrailBegan: CLOUDTRAIL_BEGAN }) });
  });

  // Parameters ignored here, unlike the API's: a Prometheus scrape job's `params` add some the service cannot foresee.
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.scrape();
  });

  return app;
}

/**
 * The answer's pieces, telling `read` as each is taken to be sent: the stream takes the next only once the client has
 * read enough of the ones before (backpressure), so a piece taken is the client reading.
 */
function* whileRead(pieces: Iterable<string>, read: () => void): Generator<string> {
  for (const piece of pieces) {
    read();
    yield piece;
  }
}
