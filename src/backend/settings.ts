// Data source settings and the per-data-source instance cache. Grafana sends the settings with every
// call; an instance (its HTTP client) is kept per data source and rebuilt when the settings change.
import { type ClientOptions, DEFAULT_TIMEOUT_MS, ServiceClient } from './serviceClient';
import type { DataSourceInstanceSettings, PluginContext } from './types';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7480';

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
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new SettingsError(`the service URL "${given}" is not a URL; use e.g. ${DEFAULT_SERVICE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`the service URL "${given}" must start with http:// or https://`);
  }
  const seconds = Number(data.timeoutSeconds);
  return {
    url: url.toString().replace(/\/+$/, ''),
    token: (settings.decryptedSecureJsonData?.token ?? '').trim(),
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
