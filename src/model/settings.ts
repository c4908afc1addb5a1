// The data source settings' rules, shared by the backend (parseSettings) and the config editor, so that what the
// editor marks as typed is what Save & test refuses, and by the CLI's `report`, which sends a token as the backend does.
// Plain TypeScript: no Node or browser API beyond URL.

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7480';
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Far below setTimeout's limit (2^31-1 ms, about 24.8 days), past which Node fires a timer at once. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** Why a service URL cannot be used: not a URL, not http(s) ("trailhound:7480" parses, as a URL of the scheme "trailhound:"), or a user:password@ in it. */
export type ServiceUrlProblem = 'not-a-url' | 'not-http' | 'credentials';

export function serviceUrlProblem(url: string): ServiceUrlProblem | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not-a-url';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'not-http';
  // fetch refuses such URLs, and the service takes only the bearer token.
  if (parsed.username || parsed.password) return 'credentials';
  return undefined;
}

/**
 * jsonData.timeoutSeconds as seconds: undefined when absent or empty (the default applies), NaN when it is not a number
 * of seconds from just above 0 to MAX_TIMEOUT_SECONDS. Provisioning YAML may quote it ("60"): a number's text counts.
 */
export function timeoutSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS ? seconds : NaN;
}

/**
 * Whether a host is this machine: localhost, 127.0.0.0/8 (also as IPv6, [::ffff:127.0.0.1], which URL writes
 * [::ffff:7f00:1]), ::1, and 0.0.0.0, by which a client reaches this host too.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
  if (mapped) return parseInt(mapped[1], 16) >> 8 === 127;
  return host === 'localhost' || host === '::1' || host === '0.0.0.0' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host a bearer token would cross the network to unencrypted (an http:// URL to a host that is not loopback), if any. */
export function plainHttpHost(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === 'http:' && !isLoopback(parsed.hostname) ? parsed.hostname : undefined;
}
