// pluginv2.Data/QueryData: Grafana's data queries → POST /api/query on the service → Arrow frames.
// Queries sharing a time range (and time zone), interval and max data points go to the service in one call.
import { type Frame, type Notice, noPointsFrame, type QueryRequest, type QueryResult } from '../../model/api';
import { MAX_INTERVAL_MS, MODEL_KEYS, QueryError, resolveQuery, type TrailhoundQuery } from '../../model/query';
import { resolveTimeZone, UTC } from '../../model/timeZone';
import { refusalAdvice, VERSION } from '../../model/version';
import { errorResponse } from '../errors';
import { encodeFrame } from '../frames';
import { MAX_MESSAGE_BYTES, QueryDataMessage } from '../message';
import type { Runtime } from '../runtime';
import { fromVersions, megabytes, queryRequestText, type ServiceClient, ServiceError, unknownToService } from '../serviceClient';
import type { DataQuery, DataResponse, QueryDataRequest, QueryDataResponse } from '../types';
import { seesDetails, shortIngestFrame } from '../visibility';

/** The model's own keys: everything else in a panel's query JSON (datasource, hide, key …) stays in Grafana. */
/** The service takes at most this many queries per call. */
export const MAX_QUERIES_PER_CALL = 50;
/** The service accepts maxDataPoints up to this. */
const MAX_DATA_POINTS = 100_000;

export interface PreparedQuery {
  /** Grafana's refId. */
  refId: string;
  /**
   * The model sent to the service, keyed by a short key of our own (q0, q1 …) instead of Grafana's refId: the service
   * takes refIds of up to 100 characters, and one longer refId would fail its whole batch.
   */
  model: TrailhoundQuery & { refId: string };
  /** With the dashboard's time zone, which the frontend adds to each query it sends (none from an alert rule: UTC). */
  range: { from: number; to: number; timeZone?: string };
  intervalMs?: number;
  maxDataPoints?: number;
}

/**
 * The query's time zone by its canonical name, or as given where this process does not know it: the service's Node
 * may (its time zone data newer than the plugin's), and if it does not, the batch is answered in UTC with a warning.
 */
function knownOrAsGiven(zone: unknown): string {
  return knownZone(zone) ?? (zone as string);
}

/** A zone by its canonical name where this process's Node knows it; undefined where it does not; a zone that is not text refused. */
function knownZone(zone: unknown): string | undefined {
  try {
    return resolveTimeZone('timeZone', zone);
  } catch (err) {
    if (err instanceof QueryError && err.code === 'unknown-value') return undefined;
    throw err;
  }
}

/** Reads one DataQuery: its JSON must be a valid model (checked here with the shared rules, before any call). */
export function prepareQuery(query: DataQuery, key: string): PreparedQuery {
  let json: unknown = {};
  const text = Buffer.from(query.json ?? new Uint8Array()).toString('utf8').trim();
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new QueryError('query', 'is not valid JSON');
    }
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new QueryError('query', 'must be a JSON object');
  const given = json as Record<string, unknown>;
  const model: Record<string, unknown> = {};
  for (const key of MODEL_KEYS) if (given[key] !== undefined) model[key] = given[key];
  if (model.queryType === undefined && query.queryType) model.queryType = query.queryType;
  const resolved = resolveQuery(model);
  const from = Number(query.timeRange?.fromEpochMS ?? 0);
  const to = Number(query.timeRange?.toEpochMS ?? 0);
  if (!query.timeRange || !(to > from)) throw new QueryError('timeRange', 'is missing or empty ("to" must be after "from")');
  // Only a time series has buckets for a zone to lay out: the other queries go without one, so that they still answer
  // from a service older than time zones.
  const bucketed = resolved.queryType === 'events' && resolved.format === 'timeseries';
  const timeZone = bucketed ? knownOrAsGiven(given.timeZone) : UTC;
  const interval = Number(query.intervalMS);
  const points = Math.floor(Number(query.maxDataPoints));
  return {
    refId: query.refId,
    model: { ...(model as TrailhoundQuery), refId: key },
    // UTC is the service's default: left out, the request is one a service without time zones takes.
    range: { from, to, ...(timeZone !== UTC && { timeZone }) },
    // A query's Min interval past a year (its own, or the data source's) asks for wider buckets than the service
    // takes, which would refuse the whole batch: a year's are as wide as any it makes (the day's, at most).
    intervalMs: interval > 0 ? Math.min(interval, MAX_INTERVAL_MS) : undefined,
    maxDataPoints: points > 0 ? Math.min(points, MAX_DATA_POINTS) : undefined,
  };
}

/** Batches of queries that can share one service call. */
export function batchQueries(queries: PreparedQuery[]): QueryRequest[] {
  const groups = new Map<string, PreparedQuery[]>();
  for (const q of queries) {
    const key = JSON.stringify([q.range.from, q.range.to, q.range.timeZone, q.intervalMs, q.maxDataPoints]);
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  const batches: QueryRequest[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += MAX_QUERIES_PER_CALL) {
      const chunk = group.slice(i, i + MAX_QUERIES_PER_CALL);
      const { range, intervalMs, maxDataPoints } = chunk[0];
      batches.push({
        range,
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        ...(maxDataPoints !== undefined ? { maxDataPoints } : {}),
        queries: chunk.map((q) => q.model),
      });
    }
  }
  return batches;
}

/** Whether an `ingest` query's frames are shortened for the calling user: they hold the service's error messages. */
function shortensIngest(request: QueryDataRequest, model: TrailhoundQuery): boolean {
  return model.queryType === 'ingest' && !seesDetails(request.pluginContext);
}

/** A result's error, as Grafana gets it. */
function errorOf(refId: string, result: QueryResult | undefined): DataResponse {
  if (!result) return { frames: [], error: `the service answered without a result for query ${refId}`, status: 502, errorSource: 'downstream' };
  const { error, status } = result as { error: string; status: number };
  return { frames: [], error, status: status || 500, errorSource: 'downstream' };
}

/**
 * The DataResponses of a batch's queries, built as the service's answer comes, a part of a result at a time (a frame, or
 * an error): each frame is turned into Arrow as it comes and its JSON dropped, so the whole answer's JSON is never held.
 */
class BatchAnswer {
  private readonly responses = new Map<string, DataResponse>();
  /** The code of each failed result's error, by key, as the service said it (none from 0.1.0). */
  private readonly codes = new Map<string, string | undefined>();

  constructor(
    /** Grafana's refId, the model and what was asked of the service (executedQueryString) for each of the batch's keys. */
    private readonly queries: Map<string, { refId: string; model: TrailhoundQuery; executed: string }>,
    private readonly short: (model: TrailhoundQuery) => boolean,
    /** The time zone the batch asks for (none: UTC), which the service says it laid the buckets out in. */
    private readonly zone?: string,
    /** A notice for each query, on its first frame, beside the service's own (Grafana shows them in the panel's header). */
    private readonly notice?: Notice
  ) {}

  /** The notices of a query's first frame: the service's own, and the batch's. */
  private noticesOf(frame: Frame): Notice[] {
    const notices = [...((frame.meta?.notices as Notice[] | undefined) ?? []), ...(this.notice ? [this.notice] : [])];
    // A service older than time zones takes the zone without a word, and lays the buckets out in UTC.
    const zoned = (frame.meta?.custom as { timeZone?: unknown } | undefined)?.timeZone !== undefined;
    if (this.zone !== undefined && !zoned) notices.push(zoneIgnored(this.zone));
    return notices;
  }

  add(key: string, part: QueryResult): void {
    const query = this.queries.get(key);
    if (!query) return; // a key the batch did not ask for
    if ('error' in part) {
      this.responses.set(key, errorOf(query.refId, part));
      this.codes.set(key, part.code);
      return;
    }
    const response = this.responses.get(key);
    if (response?.error) return; // an earlier frame of the result failed: the result is that error
    try {
      const short = this.short(query.model);
      // The query's first frame says what was asked, as Grafana's query inspector shows it.
      const first = (response?.frames.length ?? 0) === 0;
      const frames = (part.frames ?? []).map((frame, i) => {
        const shown = short ? shortIngestFrame(frame) : frame;
        if (!(first && i === 0)) return encodeFrame(shown, query.refId);
        const notices = this.noticesOf(shown);
        return encodeFrame(shown, query.refId, { executedQueryString: query.executed, ...(notices.length > 0 && { notices }) });
      });
      if (response) response.frames.push(...frames);
      else this.responses.set(key, { frames, error: '', status: 200, errorSource: '' });
    } catch (err) {
      this.responses.set(key, errorResponse(err));
    }
  }

  /** Each of the batch's queries' response, by Grafana's refId, and its error's code. */
  *done(): Generator<[string, DataResponse, string | undefined]> {
    for (const [key, { refId, executed }] of this.queries) {
      const response = this.responses.get(key);
      // A series without events has no frame: the batch's notice needs one of no points to be shown.
      if (this.notice && response?.status === 200 && response.frames.length === 0) {
        response.frames.push(encodeFrame(noPointsFrame(), refId, { executedQueryString: executed, notices: [this.notice] }));
      }
      yield [refId, response ?? errorOf(refId, undefined), this.codes.get(key)];
    }
  }
}

/**
 * How long a data source's service is taken to refuse a zone it refused: its panels are asked in UTC at once, not
 * refused and asked again at every refresh (a warning in the log each time). Long enough to spare a dashboard's
 * refreshes, short enough that an upgraded service (or its Node) is soon asked again.
 */
const ZONE_REFUSAL_MS = 5 * 60_000;

/** The zones each data source's service refused (its client is its data source's, InstanceCache), with their warning. */
const zonesRefused = new WeakMap<ServiceClient, Map<string, { notice: Notice; until: number }>>();

/**
 * Whether the service refused a batch for its time zone: a zone its Node does not know (time zone data older than the
 * browser's), or a service older than time zones (range.timeZone is not a field of its range). Either way the panel is
 * better drawn in UTC days, with a warning, than failed: the zone is the dashboard's, not something the user typed.
 */
function refusedZone(error: string): boolean {
  return /^range\.timeZone\b/.test(error);
}

/**
 * The warning on the frames a refused zone is answered without: why, and what to do. A zone the service's Node does
 * not know is in time zone data newer than its own (this plugin's Node's, or the browser's); a field it does not know,
 * a service at another version.
 */
async function zoneNotice(client: ServiceClient, zone: string, refusal: { error: string; code?: string }, signal?: AbortSignal): Promise<Notice> {
  const utc = 'Days and hours in UTC';
  const unknown = unknownToService(refusal);
  if (unknown === 'unknown-value') {
    // The browser's, when this plugin's Node does not know the zone either.
    const newer = knownZone(zone) !== undefined ? "this plugin's" : "the browser's";
    return {
      severity: 'warning',
      text:
        `${utc}: the service does not know the dashboard's time zone, ${JSON.stringify(zone)}: its Node's time zone data is older than ` +
        `${newer}. Run the service on a newer Node (its Docker image has one), or pick a zone it knows in the dashboard's settings`,
    };
  }
  let text = `${utc}: the service refused the dashboard's time zone (${refusal.error})`;
  if (unknown === 'unknown-field') {
    const version = await client.serviceVersion(signal);
    if (version !== undefined && fromVersions(refusal, version)) text += `: ${refusalAdvice(version)}`;
  }
  return { severity: 'warning', text };
}

/** The warning on the frames of a service that took the zone without a word and laid the buckets out in UTC. */
function zoneIgnored(zone: string): Notice {
  return {
    severity: 'warning',
    text:
      `Days and hours in UTC, not ${zone}'s: the service is older than time zones: upgrade it to this plugin's version (${VERSION})`,
  };
}

/** A query the service refused (400), and its error's code, when the service gave one. */
interface Refused {
  response: DataResponse;
  code?: string;
}

/**
 * A refusal of a field, a value or a filter that the plugin's own model took is the service at another version (a
 * plugin upgraded first, say): its error gets both versions and which to upgrade, from /api/health (asked only then).
 */
async function adviseOnVersions(client: ServiceClient, refused: Refused[], signal?: AbortSignal): Promise<void> {
  const unknown = refused.filter(({ response, code }) => unknownToService({ error: response.error, code }));
  if (unknown.length === 0) return;
  const version = await client.serviceVersion(signal);
  if (version === undefined) return;
  const skewed = unknown.filter((r) => fromVersions(r, version)).map((r) => r.response);
  // At the same version too: the plugin's model took the query, so the service is another build.
  const advice = refusalAdvice(version);
  for (const response of skewed) response.error += ` (${advice})`;
}

/**
 * Fails the queries with the most bytes of frames, the biggest first, until the answer fits in one gRPC message
 * (maxBytes): past it grpc-js would fail the whole call, every query Grafana sent in it, where the others can answer.
 */
function fitInMessage(responses: Record<string, DataResponse>, maxBytes: number, runtime: Runtime): void {
  const sizes = Object.keys(responses).map((refId) => ({ refId, bytes: QueryDataMessage.entryBytes(refId, responses[refId]) }));
  let total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
  for (const { refId, bytes } of sizes.sort((a, b) => b.bytes - a.bytes)) {
    if (total <= maxBytes) return;
    if (responses[refId].frames.length === 0) continue;
    runtime.logger.warn('query answer too big for one gRPC message', { refId, bytes, total, maxBytes });
    responses[refId] = {
      frames: [],
      error:
        `too much data: this query's frames are ${megabytes(bytes)}, and the queries Grafana sent together get at most ` +
        `${megabytes(maxBytes)} in all: lower the query's limit or narrow its time range`,
      status: 400,
      errorSource: 'downstream',
    };
    total += QueryDataMessage.entryBytes(refId, responses[refId]) - bytes;
  }
}

export async function queryData(
  request: QueryDataRequest,
  runtime: Runtime,
  signal?: AbortSignal,
  maxMessageBytes = MAX_MESSAGE_BYTES
): Promise<QueryDataResponse> {
  // No prototype: a refId such as "__proto__" or "constructor" is a key like any other.
  const responses: Record<string, DataResponse> = Object.create(null);
  const queries = request.queries ?? [];
  let client: ServiceClient;
  try {
    client = runtime.instances.get(request.pluginContext).client;
  } catch (err) {
    for (const q of queries) responses[q.refId] = errorResponse(err);
    return { responses };
  }
  const prepared: PreparedQuery[] = [];
  for (const [i, q] of queries.entries()) {
    try {
      prepared.push(prepareQuery(q, `q${i}`));
    } catch (err) {
      responses[q.refId] = errorResponse(err);
    }
  }
  const refIds = new Map(prepared.map((q) => [q.model.refId, q.refId]));
  // The service's refusals (400) of queries the plugin's own model took.
  const refused: Refused[] = [];
  /** The service's answer to each of a batch's queries: its response by Grafana's refId, and its error's code. */
  const ask = async (batch: QueryRequest, notice?: Notice) => {
    // Each query's own part of the batch: the others' frames say theirs.
    const executed = (model: (typeof batch.queries)[number]) => queryRequestText({ ...batch, queries: [model] });
    const answer = new BatchAnswer(
      new Map(batch.queries.map((model) => [model.refId, { refId: refIds.get(model.refId)!, model, executed: executed(model) }])),
      (model) => shortensIngest(request, model),
      batch.range.timeZone,
      notice
    );
    await client.query(batch, (key, part) => answer.add(key, part), signal);
    return [...answer.done()];
  };
  /** A batch's answers; one whose time zone the service refused is asked again in UTC, its frames warned of that. */
  const answerBatch = async (batch: QueryRequest) => {
    const zone = batch.range.timeZone;
    if (zone === undefined) return ask(batch);
    const inUtc = { ...batch, range: { from: batch.range.from, to: batch.range.to } };
    const refused = zonesRefused.get(client)?.get(zone);
    if (refused && refused.until > Date.now()) return ask(inUtc, refused.notice);
    let refusal: { error: string; code?: string } | undefined;
    try {
      const answers = await ask(batch);
      // A service that does not know the zone refuses each query for the range.
      refusal = answers.map(([, { error }, code]) => ({ error, code })).find(({ error }) => refusedZone(error));
      if (refusal === undefined) return answers;
    } catch (err) {
      // A service older than time zones refuses the whole request for the range's field.
      if (!(err instanceof ServiceError && err.kind === 'http' && refusedZone(err.message))) throw err;
      refusal = { error: err.message, code: err.code };
    }
    runtime.logger.warn('time zone refused by the service: answered in UTC', { timeZone: zone, error: refusal.error, url: client.baseUrl });
    const notice = await zoneNotice(client, zone, refusal, signal);
    if (!zonesRefused.has(client)) zonesRefused.set(client, new Map());
    zonesRefused.get(client)!.set(zone, { notice, until: Date.now() + ZONE_REFUSAL_MS });
    return ask(inUtc, notice);
  };
  await Promise.all(
    batchQueries(prepared).map(async (batch) => {
      try {
        for (const [refId, response, code] of await answerBatch(batch)) {
          responses[refId] = response;
          if (response.status === 400) refused.push({ response, code });
        }
      } catch (err) {
        // Grafana cancels a panel's queries at each refresh or range change while they run: routine, not worth a warning.
        const fields = { error: err, queries: batch.queries.length, url: client.baseUrl };
        if (err instanceof ServiceError && err.kind === 'cancelled') runtime.logger.debug('query cancelled', fields);
        else runtime.logger.warn('query failed', fields);
        for (const { refId: key } of batch.queries) {
          const response = (responses[refIds.get(key)!] = errorResponse(err));
          if (err instanceof ServiceError && err.kind === 'http' && err.status === 400) refused.push({ response, code: err.code });
        }
      }
    })
  );
  await adviseOnVersions(client, refused, signal);
  fitInMessage(responses, maxMessageBytes, runtime);
  return { responses };
}
