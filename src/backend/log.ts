// Logs for the plugin host: go-plugin reads the plugin's stderr and re-logs each hclog JSON line with its
// level and key/values, so Grafana's log shows them as its own. stdout belongs to the handshake alone.
import { clipped } from '../model/clipped';
import { escapedControls } from '../model/controls';
import { chainMessage } from '../model/errorChain';
import { MAX_DEPTH, withoutSecrets } from '../model/redacted';

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
 * An error is the messages of its chain of causes; any other object (a rejection's reason that is no error) goes with
 * its headers' secrets censored, then every string in it, keys too, escaped at any depth (loggable).
 */
function plain(value: unknown, key: string): unknown {
  // The field's name too: a field named headers is the headers themselves, as in the service's log.
  return value instanceof Error ? loggable(value) : loggable(withoutSecrets(value, key), key);
}

/**
 * `value` as JSON.stringify would write it, with its text escaped: what withoutSecrets gives back, so no cycle and no
 * stream. An error in it is its chain's messages (JSON would write its enumerable fields alone, the message not among
 * them); a bigint is its digits (JSON.stringify throws on one); a value with toJSON (a Date, a Buffer) is what that
 * gives, as JSON.stringify takes it, censored and cut as withoutSecrets does, and a cycle through it, or a nest of new
 * objects it makes at each call, is a marker, as a log call must not throw (JSON.stringify throws on those).
 */
function loggable(value: unknown, key = '', ancestors = new Set<object>(), ownJson = true): unknown {
  if (typeof value === 'string') return escapedControls(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return escapedControls(chainMessage(value, true));
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (ancestors.size >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  ancestors.add(value);
  // Once, as JSON.stringify calls it: a toJSON that gives its own object back would otherwise be called without end.
  const json = (value as { toJSON?: unknown }).toJSON;
  const given = ownJson && typeof json === 'function' ? givenJson(value, json as () => unknown) : value;
  let result: unknown;
  if (given !== value) result = loggable(withoutSecrets(given, key), key, ancestors, false);
  else if (Array.isArray(value)) result = value.map((item) => loggable(item, '', ancestors));
  else result = Object.fromEntries(Object.entries(value).map(([k, v]) => [escapedControls(k), loggable(v, k, ancestors)]));
  ancestors.delete(value);
  return result;
}

/** What `value`'s toJSON gives, or a marker with what it threw. */
function givenJson(value: object, json: () => unknown): unknown {
  try {
    return json.call(value);
  } catch (err) {
    return `[toJSON failed: ${err instanceof Error ? err.message : typeof err}]`;
  }
}

/**
 * The longest line go-plugin reads whole: its reader's buffer is 64 KiB, and it writes each piece of a longer line to
 * Grafana's log as a debug line of raw text, its level lost (Grafana logs at info: an error line would not be seen).
 */
export const MAX_LINE_BYTES = 64 * 1024 - 1;

/** How long a value is at most once fields are left out: a chain of causes still says what failed. */
const FIELD_KEEP = 1024;

/** What a line has room for besides its fields: the field that says how many were left out, and its separators. */
const LEFT_OUT_ROOM = 160;

/** The field that says how many fields a line left out. */
const LEFT_OUT = '…';

/**
 * `entry`, each value no longer than FIELD_KEEP, as a line of MAX_LINE_BYTES at most: its fields, in their order,
 * each that still fits, and one that says how many did not. Each field's length is counted once, not the whole line
 * again for each field.
 */
function fewerFields(entry: Record<string, unknown>): string {
  const { '@level': level, '@message': message, '@timestamp': timestamp, ...fields } = entry;
  const kept: Record<string, unknown> = { '@level': level, '@message': message, '@timestamp': timestamp };
  let room = MAX_LINE_BYTES - LEFT_OUT_ROOM - Buffer.byteLength(JSON.stringify(kept));
  const names = Object.keys(fields);
  let count = 0;
  // A field of LEFT_OUT's name is left out: the count would take its place.
  for (const name of names.filter((n) => n !== LEFT_OUT)) {
    // "name":value and the comma before it.
    const size = Buffer.byteLength(JSON.stringify(name)) + Buffer.byteLength(JSON.stringify(fields[name]) ?? '') + 2;
    if (size > room) continue;
    kept[name] = fields[name];
    room -= size;
    count++;
  }
  const left = names.length - count;
  if (left > 0) kept[LEFT_OUT] = `${left} ${left === 1 ? 'field' : 'fields'} left out: the line would be longer than go-plugin reads`;
  return JSON.stringify(kept);
}

/**
 * `entry` as one JSON line go-plugin reads whole: when it is longer than MAX_LINE_BYTES, its longest values (the
 * message too; an object as its JSON text) are cut, each to the same length, halved until the line fits, so that the
 * short ones (the URL, the counts) stay whole and an error's chain keeps its start. When cutting the values is not
 * enough (thousands of short fields, or long names), the fields that fit are kept in order and the rest left out.
 */
function fittedLine(entry: Record<string, unknown>): string {
  let line = JSON.stringify(entry);
  if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
  // @level and @timestamp are short, and go-plugin reads no line whose timestamp is not one.
  const cuttable = Object.entries(entry).filter(([key]) => key !== '@level' && key !== '@timestamp');
  const texts = cuttable.map(([key, value]) => [key, typeof value === 'string' ? value : (JSON.stringify(value) ?? '')] as const);
  const cutTo = (keep: number) => texts.filter(([, text]) => text.length > keep)
    .map(([key, text]) => [key, clipped(text, keep)]);
  for (let keep = MAX_LINE_BYTES; keep > 0; keep = Math.floor(keep / 2)) {
    line = JSON.stringify({ ...entry, ...Object.fromEntries(cutTo(keep)) });
    if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
  }
  return fewerFields({ ...entry, ...Object.fromEntries(cutTo(FIELD_KEEP)) });
}

/** What a field's name may hold as it is: letters, digits, `_`, `.` and `-`. */
const PLAIN_NAME = /^[\p{L}\p{N}_.-]+$/u;
/** The names of our own fields, tested first: the Unicode classes cost more per name. */
const ASCII_NAME = /^[\w.-]+$/;

/**
 * `key` as a name no log that re-writes the line can misread: go-plugin hands the names on as they are, and Grafana
 * writes them unquoted (key=value), where a space, `=`, a quote or a line break in one forges a field or a line. Any
 * other character is `_`; a name the line has already (one made so) gets a number, so that it replaces none.
 * A long name is left to fittedLine (left out when the line has no room for it).
 */
function fieldName(key: string, line: Record<string, unknown>): string {
  const plainName = ASCII_NAME.test(key) || PLAIN_NAME.test(key);
  if (plainName && !Object.hasOwn(line, key)) return key;
  const safe = plainName ? key : key.replace(/[^\p{L}\p{N}_.-]/gu, '_') || '_';
  let name = safe;
  for (let n = 2; Object.hasOwn(line, name); n++) name = `${safe}_${n}`;
  return name;
}

/** One hclog JSON line: @level, @message, @timestamp, then the fields. */
export function formatLine(level: Level, message: string, fields: Fields = {}, now?: number): string {
  const line: Record<string, unknown> = { '@level': level, '@message': escapedControls(message), '@timestamp': hclogTimestamp(now) };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key.startsWith('@')) continue;
    const name = fieldName(key, line);
    // A field named __proto__ is one like any other, not the line's prototype.
    if (name === '__proto__') Object.defineProperty(line, name, { value: plain(value, key), enumerable: true, writable: true, configurable: true });
    else line[name] = plain(value, key);
  }
  return fittedLine(line);
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
