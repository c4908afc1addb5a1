// Logs for the plugin host: go-plugin reads the plugin's stderr and re-logs each hclog JSON line with its
// level and key/values, so Grafana's log shows them as its own. stdout belongs to the handshake alone.
import { escapedControls } from '../model/controls';
import { withoutSecrets } from '../model/redacted';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const ORDER: Level[] = ['trace', 'debug', 'info', 'warn', 'error'];

export type Fields = Record<string, unknown>;

export interface Logger {
  trace(message: string, fields?: Fields): void;
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/**
 * hclog's JSON time layout is 2006-01-02T15:04:05.000000Z07:00: exactly six fraction digits. Date has
 * milliseconds only; the microseconds come from the high-resolution clock's fraction.
 */
export function hclogTimestamp(now = Date.now(), subMs = performance.now() % 1): string {
  const iso = new Date(now).toISOString(); // 2026-11-24T10:00:00.123Z
  const micros = String(Math.min(999, Math.floor(subMs * 1000))).padStart(3, '0');
  return `${iso.slice(0, 23)}${micros}Z`;
}

/**
 * A value as hclog carries it. Text is escaped before it is JSON: go-plugin decodes the line and Grafana writes the
 * text again (logfmt or JSON) with C1 and bidi controls raw, so only an escape that is text of its own reaches its log.
 * An error is its message; any other object (a rejection's reason that is no error) goes with its headers' secrets censored.
 */
function plain(value: unknown): unknown {
  if (value instanceof Error) return escapedControls(value.message);
  if (typeof value === 'string') return escapedControls(value);
  if (typeof value === 'bigint') return value.toString();
  return withoutSecrets(value);
}

/** One hclog JSON line: @level, @message, @timestamp, then the fields. */
export function formatLine(level: Level, message: string, fields: Fields = {}, now?: number): string {
  const line: Record<string, unknown> = { '@level': level, '@message': escapedControls(message), '@timestamp': hclogTimestamp(now) };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && !key.startsWith('@')) line[key] = plain(value);
  }
  return JSON.stringify(line);
}

export function levelFrom(value: string | undefined, fallback: Level = 'info'): Level {
  const v = (value ?? '').toLowerCase();
  return (ORDER as string[]).includes(v) ? (v as Level) : fallback;
}

export function createLogger(options: { level?: Level; write?: (line: string) => void } = {}): Logger {
  const min = ORDER.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const at = (level: Level) => (message: string, fields?: Fields) => {
    if (ORDER.indexOf(level) >= min) write(formatLine(level, message, fields));
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = createLogger({ write: () => {} });
