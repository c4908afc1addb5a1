// The data source settings' rules, shared by the backend (parseSettings) and the config editor, so that what the
// editor marks as typed is what Save & test refuses, and by the CLI's `report`, which sends a token as the backend does.
// Plain TypeScript: no Node or browser API beyond URL.
import { decimalNumber } from './decimal';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:7480';
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Far below setTimeout's limit (2^31-1 ms, about 24.8 days), past which Node fires a timer at once. */
export const MAX_TIMEOUT_SECONDS = 3600;

/**
 * Why a service URL cannot be used: not a URL, not http(s) ("trailhound:7480" parses, as a URL of the scheme "trailhound:"),
 * a user:password@ in it, or a query or fragment, after which the calls' paths would land.
 */
export type ServiceUrlProblem = 'not-a-url' | 'not-http' | 'credentials' | 'query';

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
  // Each call adds its path (/api/...) at the end: after a ? or # the call would go to the path before it, any path of
  // any server (a metadata service's credentials), and the resource routes hand the answer to the browser.
  if (/[?#]/.test(url)) return 'query';
  return undefined;
}

/**
 * jsonData.timeoutSeconds as seconds: undefined when absent or empty (the default applies), NaN when it is not a number
 * of seconds from just above 0 to MAX_TIMEOUT_SECONDS. Provisioning YAML may quote it ("60"): a number's text counts.
 */
export function timeoutSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' ? decimalNumber(value) : NaN;
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS ? seconds : NaN;
}

/**
 * A host as a URL writes it, the URL parser's spelling, so every way of writing an address is judged as the one it
 * is: 127.1 and 0x7f.0.0.1 are 127.0.0.1, [::ffff:127.0.0.1] is [::ffff:7f00:1], names are lower case. Without the
 * brackets of an IPv6 address, nor the trailing dot of a fully qualified name: `localhost.` is `localhost`.
 */
function urlHost(hostname: string): string {
  let host = hostname.toLowerCase();
  // Only a host: anything that would make it a URL's other parts (user@, /path) is judged as written.
  if (!/[/?#@\\\s]/.test(host)) {
    try {
      host = new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}`).hostname;
    } catch {
      // Not a host a URL can hold: judged as written.
    }
  }
  return host.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/**
 * Whether a host keeps a plain-http token on this machine or a private network: loopback (0.0.0.0 reaches this host
 * too), a name without a dot (a docker-compose service, `trailhound`: the shipped setup), a private zone (Kubernetes'
 * `.cluster.local`, `.internal`, `.lan`), a private, shared or link-local address. Plain http there is the usual setup, and
 * a warning on it would be noise every install shows. A trailing dot changes nothing: `trailhound.` is `trailhound`.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = urlHost(hostname);
  if (host === '') return false;
  // An IPv4 address written as IPv6 (URL writes [::ffff:127.0.0.1] as [::ffff:7f00:1]) is that IPv4 address.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return isPrivateHost([hi >> 8, hi & 255, lo >> 8, lo & 255].join('.'));
  }
  // [::], as 0.0.0.0, reaches this host.
  if (host.includes(':')) return host === '::1' || host === '::' || /^(f[cd][0-9a-f]{2}|fe[89ab][0-9a-f]):/.test(host);
  if (!host.includes('.') || /(^|\.)(localhost|local|internal|lan|home\.arpa)$/.test(host)) return true;
  const ip = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (!ip) return false;
  const [a, b] = [Number(ip[1]), Number(ip[2])];
  return (
    a === 0 || a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
  );
}

/** The host a bearer token would cross networks to unencrypted (an http:// URL to a host that looks public), if any. */
export function plainHttpHost(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === 'http:' && !isPrivateHost(parsed.hostname) ? parsed.hostname : undefined;
}
