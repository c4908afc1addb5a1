// pluginv2.Diagnostics: CheckHealth is the data source's "Save & test"; CollectMetrics hands Grafana the
// plugin's own Prometheus metrics.
import type { HealthResponse, IngestStatus } from '../../model/api';
import { upgradeAdvice, VERSION, versionAdvice } from '../../model/version';
import { describeError } from '../errors';
import type { Runtime } from '../runtime';
import { type ServiceClient, ServiceError, tokenRefused } from '../serviceClient';
import type { CheckHealthRequest, CheckHealthResponse, CollectMetricsResponse } from '../types';
import { seesDetails, shortStatus } from '../visibility';

/** 2026-11-24T10:00:00.000Z → 2026-11-24T10:00:00Z */
function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** "Trailhound 0.2.0", and when the plugin is at another version, both and which to upgrade. */
function serviceName(health: HealthResponse): string {
  const advice = upgradeAdvice(health.version);
  return `Trailhound ${health.version}${advice ? ` (this plugin is ${VERSION}: ${advice})` : ''}`;
}

export function healthMessage(health: HealthResponse, status: IngestStatus): string {
  const where = `Connected to ${serviceName(health)}`;
  if (status.events === 0) {
    const why = status.lastPollError ? `; the last poll failed: ${status.lastPollError}` : '; is a log source configured?';
    return `${where}: no events ingested yet${why}`;
  }
  let message = `${where}: ${status.events.toLocaleString('en-US')} events, newest ${shortTime(status.newestEvent ?? '')}`;
  if (status.lastPollError) message += `; the last poll failed: ${status.lastPollError}`;
  return message;
}

function details(value: Record<string, unknown>): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/**
 * Whether the status call's error is the service's 503 while it opens its database: its code says so; a service without
 * codes (the builds before them: 0.1.0 had no such 503), a 503 in its words while /api/health said the database is not
 * open. A proxy's 503 (kind gateway: a page, or JSON in other words) is never it: no token was checked behind it.
 */
function isOpening(err: ServiceError, database: string): boolean {
  if (err.kind !== 'http') return false;
  if (err.code !== undefined) return err.code === 'starting' || err.code === 'upgrading';
  return err.httpStatus === 503 && database !== 'open';
}

export async function checkHealth(request: CheckHealthRequest, runtime: Runtime, signal?: AbortSignal): Promise<CheckHealthResponse> {
  let client: ServiceClient;
  try {
    client = runtime.instances.get(request.pluginContext).client;
  } catch (err) {
    return { status: 'ERROR', message: describeError(err).message, jsonDetails: new Uint8Array() };
  }
  let health: HealthResponse;
  try {
    health = await client.health(signal);
    // A version and a status make a Trailhound service: a status this plugin does not know is a newer service's.
    if (typeof health?.version !== 'string' || typeof health.status !== 'string') {
      throw new ServiceError(`${client.baseUrl}/api/health did not answer as a Trailhound service does: check the URL`, 502, 'not-trailhound');
    }
  } catch (err) {
    let message = describeError(err).message;
    if (err instanceof ServiceError && (err.kind === 'http' || err.kind === 'unauthorized')) {
      // /api/health never needs a token and always exists: an error there means the URL points elsewhere
      // (another web app, or a path after the service's address).
      message = `${client.baseUrl} does not answer as a Trailhound service (GET /api/health: HTTP ${err.httpStatus}): ` +
        "check the URL; it is the service's address, e.g. http://127.0.0.1:7480";
    }
    return { status: 'ERROR', message, jsonDetails: details({ url: client.baseUrl, pluginVersion: VERSION }) };
  }
  const versions = { version: health.version, pluginVersion: VERSION };
  // Builds before `database` said the opening in `status` (never released, but run between releases).
  const state: string = health.status;
  const opening = state === 'starting' || state === 'upgrading';
  const database = health.database ?? (opening ? state : 'open');
  if ((state !== 'ok' && !opening) || !['open', 'starting', 'upgrading'].includes(database)) {
    const said = state !== 'ok' ? `its status is "${state}"` : `its database is "${database}"`;
    const words = health.message ? ` (${health.message})` : '';
    const advice = versionAdvice(health.version) ?? 'the same version as this plugin, which should know it: report it';
    return {
      status: 'ERROR',
      message: `Reached Trailhound ${health.version} at ${client.baseUrl}, but ${said}, which this plugin does not know${words}: ${advice}`,
      jsonDetails: details({ url: client.baseUrl, ...versions, status: health.status, database }),
    };
  }
  try {
    // Grafana lets anyone who may query the data source run its health check (GET /api/datasources/uid/…/health).
    const answer = await client.ingestStatus(signal);
    const status = seesDetails(request.pluginContext) ? answer : shortStatus(answer);
    return { status: 'OK', message: healthMessage(health, status), jsonDetails: details({ url: client.baseUrl, ...versions, ingest: status }) };
  } catch (err) {
    const message = describeError(err).message;
    // Opening or upgrading its database (a migration can take minutes): the URL and the token are right (the token is
    // checked before the 503), the queries answer once it is done. The service's own words say how far it is.
    if (err instanceof ServiceError && isOpening(err, database)) {
      return {
        status: 'OK',
        message: `Reached ${serviceName(health)} at ${client.baseUrl}, and the API token works, but ${message}`,
        jsonDetails: details({ url: client.baseUrl, ...versions, database, ...(health.upgrade && { upgrade: health.upgrade }) }),
      };
    }
    if (err instanceof ServiceError && err.kind === 'unauthorized' && !tokenRefused(err, health.version)) {
      // Not the token's fault (/api/health answered without one): another token would not help.
      const page = err.page ? ` "${err.page}"` : '';
      return {
        status: 'ERROR',
        message:
          `Reached ${serviceName(health)} at ${client.baseUrl}, but GET /api/ingest/status answered HTTP ${err.httpStatus}${page}, not as the service does: ` +
          'a proxy in front of it (or another app at that URL) asks for a sign-in of its own: point the URL at the service itself, ' +
          'or at a proxy that passes the Authorization header on',
        jsonDetails: details({ url: client.baseUrl, ...versions }),
      };
    }
    return {
      status: 'ERROR',
      message: `Reached ${serviceName(health)} at ${client.baseUrl}, but ${message.replace(/^the Trailhound service at \S+ /, 'it ')}`,
      jsonDetails: details({ url: client.baseUrl, ...versions }),
    };
  }
}

export async function collectMetrics(runtime: Runtime): Promise<CollectMetricsResponse> {
  return { metrics: { prometheus: Buffer.from(await runtime.metrics.registry.metrics()) } };
}
