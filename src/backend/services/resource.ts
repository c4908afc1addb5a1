// pluginv2.Resource/CallResource: the frontend's getResource/postResource calls, proxied to the service's
// /api/... endpoints. Only these routes exist; anything else is a 404 here, never forwarded.
import { describeError } from '../errors';
import { refusalAdvice, VERSION, versionAdvice } from '../../model/version';
import type { Runtime } from '../runtime';
import { fromVersions, type ServiceClient, unknownToService } from '../serviceClient';
import type { CallResourceRequest, CallResourceResponse } from '../types';
import { seesDetails, shortErrors, shortStatus } from '../visibility';

interface Route {
  method: 'GET' | 'POST';
  /** The service path for a matched resource path, or undefined when it does not match. */
  target: (path: string) => string | undefined;
  /**
   * Only an organization Admin may call it. Grafana lets anyone who may query the data source (Viewers too) call
   * its resources, so the plugin itself checks the role Grafana sends with the call.
   */
  adminOnly?: boolean;
  /** The answer as someone sees it who is not to read the service's own error messages (see visibility.ts). */
  short?: (answer: never) => unknown;
}

const ROUTES: Route[] = [
  { method: 'GET', target: (p) => (/^values\/[A-Za-z]+$/.test(p) ? `/api/${p}` : undefined) },
  // The same list with its fields in a JSON body: many ad hoc filters made a URL past the service's 16 KB of headers.
  { method: 'POST', target: (p) => (/^values\/[A-Za-z]+$/.test(p) ? `/api/${p}` : undefined) },
  { method: 'GET', target: (p) => (p === 'trails' ? '/api/trails' : undefined) },
  { method: 'GET', target: (p) => (p === 'ingest/status' ? '/api/ingest/status' : undefined), short: shortStatus },
  { method: 'GET', target: (p) => (p === 'ingest/errors' ? '/api/ingest/errors' : undefined), short: shortErrors },
  // An event's original record (eventIDs are UUIDs; records without one get 'md5:…'). Not "." or "..": the URL would
  // resolve them, and ask the service for /api/events/ or /api/ with the token.
  { method: 'GET', target: (p) => (/^events\/(?!\.\.?$)[\w.:-]{1,256}$/.test(p) ? `/api/${p}` : undefined) },
  // A backfill downloads and ingests up to years of logs from S3: an administrator's decision.
  { method: 'POST', target: (p) => (p === 'backfill' ? '/api/backfill' : undefined), adminOnly: true },
];

function jsonResponse(code: number, body: unknown, extra: Record<string, string> = {}): CallResourceResponse {
  const headers: CallResourceResponse['headers'] = { 'Content-Type': { values: ['application/json'] } };
  for (const [k, v] of Object.entries(extra)) headers[k] = { values: [v] };
  return { code, headers, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * The query string of the request, wherever Grafana put it (url is the resource URL with its query), as it is but
 * for Grafana's own orgId: Grafana switches the signed-in user's organization by it on any URL, so a link opened in
 * the browser (the Events table's, to an event's record) may carry it, and the service refuses what it does not know.
 */
function queryString(request: CallResourceRequest): string {
  const url = request.url ?? '';
  const at = url.indexOf('?');
  if (at < 0) return '';
  return url.slice(at + 1).split('&').filter((pair) => !/^orgId(=|$)/.test(pair)).join('&');
}

function header(request: CallResourceRequest, name: string): string | undefined {
  const entry = Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === name);
  return entry?.[1]?.values?.[0];
}

/**
 * A refusal of what the service does not know (an endpoint, a parameter, a dimension), with both versions and which
 * to upgrade when the service is at another version than the plugin; undefined for any other answer.
 */
async function adviseOnVersions(client: ServiceClient, body: Buffer, method: string, target: string, signal?: AbortSignal) {
  let said: { error?: unknown; code?: unknown; message?: unknown };
  try {
    said = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof said?.error !== 'string') return undefined;
  const unknown = unknownToService(said);
  if (!unknown) return undefined;
  const version = await client.serviceVersion(signal);
  if (!fromVersions(said, version)) return undefined;
  // A parameter's name is this plugin's frontend's, as QueryData's fields are its model's: at the same version, another
  // build (refusalAdvice). A dimension in the path may be a user's own (a variable's values/colour): only at another version.
  const advice = version === undefined ? undefined : unknown === 'unknown-field' ? refusalAdvice(version) : versionAdvice(version);
  if (unknown === 'unknown-endpoint') {
    const path = target.split('?')[0];
    // At the same version (work since a release is not numbered yet), still most likely an older service.
    const why = advice ?? `is it older than this plugin (${VERSION})? Upgrade it; else check the URL in the data source settings`;
    // With its code (0.1.0's too, read from its words): the frontend reads that the versions are said, not the words.
    return { error: `the Trailhound service at ${client.baseUrl} has no ${method} ${path}: ${why}`, code: unknown };
  }
  return advice ? { ...said, error: `${said.error} (${advice})` } : undefined;
}

export async function callResource(request: CallResourceRequest, runtime: Runtime, signal?: AbortSignal): Promise<CallResourceResponse> {
  const path = (request.path ?? '').replace(/^\/+|\/+$/g, '');
  const method = (request.method || 'GET').toUpperCase();
  const matches = ROUTES.map((r) => ({ route: r, target: r.target(path) })).filter((m) => m.target !== undefined);
  if (matches.length === 0) {
    return jsonResponse(404, { error: `no resource "${path}": use values/<dimension>, trails, ingest/status, ingest/errors, events/<eventID> or backfill` });
  }
  const match = matches.find((m) => m.route.method === method);
  if (!match) {
    const allowed = matches.map((m) => m.route.method).join(', ');
    return jsonResponse(405, { error: `${method} is not allowed on "${path}"; use ${allowed}` }, { Allow: allowed });
  }
  const role = request.pluginContext?.user?.role || 'None';
  if (match.route.adminOnly && role !== 'Admin') {
    return jsonResponse(403, { error: `only an organization Admin may start a backfill (your role: ${role}): ask an Admin to start it` });
  }
  try {
    const { client } = runtime.instances.get(request.pluginContext);
    const answer = await client.request(method, match.target!, {
      query: method === 'GET' ? queryString(request) : undefined,
      rawBody: method === 'POST' ? request.body : undefined,
      contentType: header(request, 'content-type'),
      signal,
    });
    if (answer.status === 401 || answer.status === 403) {
      // Never hand a 401 to the browser: Grafana's frontend would take it for the user's own session expiring.
      // In the words of a query's error: no token set, a wrong one, or a proxy's sign-in page.
      return jsonResponse(502, { error: client.errorOf(match.target!, answer).message });
    }
    const type = answer.headers.get('content-type');
    // A 405 too: a path the service serves under another method only is, to this plugin, an endpoint it has not (a 404
    // here: the browser called this resource with its own method).
    if (answer.status === 400 || answer.status === 404 || answer.status === 405) {
      const told = await adviseOnVersions(client, answer.body, method, match.target!, signal);
      if (told) return jsonResponse(answer.status === 405 ? 404 : answer.status, told);
    }
    if (match.route.short && answer.status === 200 && !seesDetails(request.pluginContext)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(answer.body).toString('utf8'));
      } catch {
        // Not shortened, so not passed on either.
        return jsonResponse(502, {
          error: `${client.baseUrl} answered ${path} with something other than JSON: check the service URL in the data source settings`,
        });
      }
      return jsonResponse(200, match.route.short(parsed as never));
    }
    return { code: answer.status, headers: type ? { 'Content-Type': { values: [type] } } : {}, body: answer.body };
  } catch (err) {
    const { status, message } = describeError(err);
    return jsonResponse(status, { error: message });
  }
}
