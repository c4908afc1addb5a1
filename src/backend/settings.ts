// Data source settings and the per-data-source instance cache. Grafana sends the settings with every
// call; an instance (its HTTP client) is kept per data source and rebuilt when the settings change.
import { type ClientOptions, DEFAULT_TIMEOUT_MS, ServiceClient } from './serviceClient';
import { decimalNumber } from '../model/decimal';
import { DEFAULT_SERVICE_URL, MAX_TIMEOUT_SECONDS, serviceUrlProblem, timeoutSeconds } from '../model/settings';
import type { DataSourceInstanceSettings, PluginContext } from './types';

export { DEFAULT_SERVICE_URL, MAX_TIMEOUT_SECONDS };

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
  // Messages show the URL without a user:password@ part, so a password typed into it is never repeated: up to its
  // last @, as a password with a / ? or # (not encoded) ends no user part and makes the URL one that does not parse.
  const shown = given.replace(/^([^:/?#]*:\/\/)?.*@/s, '$1');
  // The rules are the config editor's too (src/model/settings.ts), which marks such a URL as it is typed.
  // One whose password broke it (a / in it) is told to lose the password: "http://trailhound:7480 is not a URL" misled.
  const found = serviceUrlProblem(given);
  const problem = found === 'not-a-url' && shown !== given ? 'credentials' : found;
  if (problem === 'not-a-url') throw new SettingsError(`the service URL "${shown}" is not a URL; use e.g. ${DEFAULT_SERVICE_URL}`);
  if (problem === 'not-http') throw new SettingsError(`the service URL "${shown}" must start with http:// or https://`);
  if (problem === 'credentials') {
    throw new SettingsError(
      `the service URL "${shown}" must not contain a user name or password (user:password@): ` +
        "remove it, and set the service's token as the API token"
    );
  }
  if (problem === 'query') {
    throw new SettingsError(
      `the service URL "${shown}" must not have a query (?) or a fragment (#): ` +
        "each call adds its path (/api/...) at the end, where it would not be the path; give the service's address alone"
    );
  }
  const url = new URL(given);
  const token = (settings.decryptedSecureJsonData?.token ?? '').trim();
  // Tokens are visible ASCII. fetch refuses a header with a line break, NUL or non-Latin-1 character, and its error quotes it.
  if (token !== '' && !/^[\x21-\x7e]+$/.test(token)) {
    throw new SettingsError(
      'the API token contains spaces, line breaks or non-ASCII characters, which a token cannot have: ' +
        'paste it again from the service (TRAILHOUND_TOKEN, or the token file in its data folder)'
    );
  }
  const typed = data.timeoutSeconds;
  const seconds = timeoutSeconds(typed);
  if (Number.isNaN(seconds)) {
    // Read as timeoutSeconds reads it, and quoted as stored: the config editor keeps text no number can hold ("1e400").
    const n = typeof typed === 'number' ? typed : typeof typed === 'string' ? decimalNumber(typed) : NaN;
    throw new SettingsError(
      n > MAX_TIMEOUT_SECONDS
        ? `timeoutSeconds is ${JSON.stringify(typed)}, over the maximum of ${MAX_TIMEOUT_SECONDS} (one hour): set a smaller one`
        : `timeoutSeconds is ${JSON.stringify(typed)}, not a number of seconds above 0: ` +
          `set one up to ${MAX_TIMEOUT_SECONDS}, or leave it out for the default`
    );
  }
  return {
    url: url.toString().replace(/\/+$/, ''),
    token,
    timeoutMs: seconds === undefined ? DEFAULT_TIMEOUT_MS : seconds * 1000,
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
