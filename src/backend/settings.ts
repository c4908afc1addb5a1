// Data source settings and the per-data-source instance cache. Grafana sends the settings with every
// call; an instance (its HTTP client) is kept per data source and rebuilt when the settings change.
import { type ClientOptions, DEFAULT_TIMEOUT_MS, ServiceClient } from './serviceClient';
import type { DataSourceInstanceSettings, PluginContext } from './types';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7480';
/** Far below setTimeout's limit (2^31-1 ms, about 24.8 days), past which Node fires a timer at once. */
export const MAX_TIMEOUT_SECONDS = 3600;

export interface Settings {
  /** Service base URL without a trailing slash. */
  url: string;
  token: string;
  timeoutMs: number;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

function jsonData(raw: Uint8Array | undefined): Record<string, unknown> {
  if (!raw || raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw new SettingsError('the data source settings (jsonData) are not valid JSON');
  }
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

export function parseSettings(settings: DataSourceInstanceSettings | null | undefined): Settings {
  if (!settings) throw new SettingsError('the request carries no data source settings');
  const data = jsonData(settings.jsonData);
  const given = typeof data.url === 'string' && data.url.trim() !== '' ? data.url.trim() : settings.url?.trim() || DEFAULT_SERVICE_URL;
  // Messages show the URL without a user:password@ part, so a password typed into it is never repeated.
  const shown = given.replace(/^([^:/?#]*:\/\/)[^/?#]*@/, '$1');
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new SettingsError(`the service URL "${shown}" is not a URL; use e.g. ${DEFAULT_SERVICE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`the service URL "${shown}" must start with http:// or https://`);
  }
  if (url.username || url.password) {
    // fetch refuses such URLs, and the service takes only the bearer token.
    throw new SettingsError(`the service URL "${shown}" must not contain a user name or password (user:password@): remove it, and set the service's token as the API token`);
  }
  const token = (settings.decryptedSecureJsonData?.token ?? '').trim();
  // Tokens are visible ASCII. fetch refuses a header with a line break, NUL or non-Latin-1 character, and its error quotes it.
  if (token !== '' && !/^[\x21-\x7e]+$/.test(token)) {
    throw new SettingsError(
      'the API token contains spaces, line breaks or non-ASCII characters, which a token cannot have: paste it again from the service (TRAILHOUND_TOKEN, or the token file in its data folder)'
    );
  }
  const seconds = Number(data.timeoutSeconds);
  if (seconds > MAX_TIMEOUT_SECONDS) {
    throw new SettingsError(`timeoutSeconds is ${seconds}, over the maximum of ${MAX_TIMEOUT_SECONDS} (one hour): set a smaller one`);
  }
  return {
    url: url.toString().replace(/\/+$/, ''),
    token,
    timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_MS,
  };
}

export interface Instance {
  settings: Settings;
  client: ServiceClient;
}

/** Instances by data source (uid, or id for old callers), replaced when lastUpdatedMS or the settings change. */
export class InstanceCache {
  private readonly entries = new Map<string, { fingerprint: string; instance: Instance }>();

  constructor(private readonly onCall?: ClientOptions['onCall']) {}

  get(context: PluginContext | null | undefined): Instance {
    const raw = context?.dataSourceInstanceSettings;
    const settings = parseSettings(raw);
    const key = raw!.uid || `id:${raw!.id}`;
    const fingerprint = JSON.stringify([raw!.lastUpdatedMS, settings.url, settings.token, settings.timeoutMs]);
    const cached = this.entries.get(key);
    if (cached && cached.fingerprint === fingerprint) return cached.instance;
    const instance = { settings, client: new ServiceClient(settings.url, settings.token, { timeoutMs: settings.timeoutMs, onCall: this.onCall }) };
    this.entries.set(key, { fingerprint, instance });
    return instance;
  }

  get size(): number {
    return this.entries.size;
  }
}
