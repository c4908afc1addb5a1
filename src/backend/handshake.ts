// HashiCorp go-plugin's start-up contract for a plugin in any language: check the magic cookie, agree on
// an app protocol version, listen, and print one handshake line on stdout:
//   CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK-TYPE|NETWORK-ADDR|PROTOCOL

/** go-plugin's own wire protocol version: always 1. */
export const CORE_PROTOCOL_VERSION = 1;
/** Grafana's backend plugin protocol (pluginv2) is app protocol version 2. */
export const APP_PROTOCOL_VERSION = 2;
export const MAGIC_COOKIE_KEY = 'grafana_plugin_type';
export const MAGIC_COOKIE_VALUE = 'datasource';

export const NOT_A_PLUGIN_MESSAGE = [
  'This program is the backend of the Trailhound Grafana data source plugin (trailhound-cloudtrail-datasource).',
  'It is not meant to be run by hand: Grafana starts it when the plugin is installed in its plugins folder.',
  `(It checks for ${MAGIC_COOKIE_KEY}=${MAGIC_COOKIE_VALUE} in its environment, which Grafana sets.)`,
].join('\n');

export function hasMagicCookie(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

export interface Negotiation {
  version: number;
  /** False when the host listed versions and ours is not among them: it will refuse us, with its own message. */
  accepted: boolean;
  offered: number[];
}

/** PLUGIN_PROTOCOL_VERSIONS is the host's comma-separated list; none means an old host that expects ours. */
export function negotiateVersion(list: string | undefined): Negotiation {
  const offered = (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
  return { version: APP_PROTOCOL_VERSION, accepted: offered.length === 0 || offered.includes(APP_PROTOCOL_VERSION), offered };
}

export function handshakeLine(version: number, address: string): string {
  return `${CORE_PROTOCOL_VERSION}|${version}|tcp|${address}|grpc\n`;
}

/** The port range the host allows (PLUGIN_MIN_PORT / PLUGIN_MAX_PORT), if it gave a sane one. */
export function portRange(env: NodeJS.ProcessEnv): { min: number; max: number } | undefined {
  const min = Number(env.PLUGIN_MIN_PORT);
  const max = Number(env.PLUGIN_MAX_PORT);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) return undefined;
  return { min, max };
}
