// Credentials that a logged value may carry in an HTTP message's headers, found at any depth: shared by the service's
// logs and the plugin backend's, where an error's causes or a library's error object can hold a response or a request.
import { EventEmitter } from 'node:events';

/** Headers whose values are credentials: a bearer token, cookies in either direction, an STS session's token. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-amz-security-token'];

const REDACTED = '[redacted]';

/** How deep a logged value is walked: below, a value is its type alone. */
export const MAX_DEPTH = 32;

/**
 * How many items of a list, or fields of an object, a logged value keeps: the rest is one marker that says how many
 * were left out, as pino's own fallback and util.inspect write a long list (100 there too). A list of 2 million items
 * took 1 s to log in the service and 8 s a line in the plugin backend. Even, so that a rawHeaders list keeps its pairs.
 */
export const MAX_ITEMS = 100;

/** What stands for the items of a list, or the fields of an object, left out past MAX_ITEMS. */
export const moreItems = (count: number, noun: 'items' | 'fields') => `… ${count} more ${noun}`;

const SECRET = new Set(SECRET_HEADERS);
const isSecret = (name: unknown) => typeof name === 'string' && SECRET.has(name.toLowerCase());

/** A flat list of names and values (Node's rawHeaders, undici's header arrays), or one of [name, value] pairs. */
function censoredList(list: unknown[]): unknown[] {
  if (list.every((item) => Array.isArray(item))) return list.map((pair) => (isSecret(pair[0]) ? [pair[0], REDACTED] : pair));
  return list.map((item, i) => (i % 2 === 1 && isSecret(list[i - 1]) ? REDACTED : item));
}

/**
 * `value`'s copy with `entries` for its own: an error (its message its own and not enumerable, as an Error's) keeps its
 * prototype, message, stack and causes, which entries leave out, so that it is still written as an error (the plugin
 * backend's log writes one as its chain's messages: a copy of its fields alone had none).
 */
function withEntries(value: object, entries: unknown[][]): object {
  const message = Object.getOwnPropertyDescriptor(value, 'message');
  if (!message || message.enumerable) return Object.fromEntries(entries);
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key of ['message', 'stack', 'cause', 'errors']) {
    const own = Object.getOwnPropertyDescriptor(value, key);
    if (own && !own.enumerable) Object.defineProperty(copy, key, { value: (value as Record<string, unknown>)[key], writable: true, configurable: true });
  }
  return Object.assign(copy, Object.fromEntries(entries));
}

/** What stands for a field whose getter throws: a log call must not throw (pino writes such an object as a marker too). */
class Unreadable {
  constructor(readonly said: string) {}
}

function readField(object: Record<string, unknown>, key: string): unknown {
  try {
    return object[key];
  } catch (err) {
    return new Unreadable(`[unreadable: ${err instanceof Error ? err.message : typeof err}]`);
  }
}

/**
 * `value` with the secret headers' values censored wherever they sit: an object or a list under a key named headers
 * or rawHeaders, at any depth. Copies only what it changes: the value logged is left as it was, and a value without
 * secrets comes back as it went in. A list, or an object, keeps its first MAX_ITEMS items or fields and a marker for
 * the rest (a longer Buffer or typed array is its type and size); a value deeper than MAX_DEPTH levels is its type
 * alone. An event emitter (a Node stream, socket or agent: the AWS SDK's $response.body is the IncomingMessage, which
 * holds the raw request head with its Authorization) is written as its type alone.
 */
export function withoutSecrets(value: unknown, key = '', ancestors = new Set<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Unreadable) return value.said;
  // Its items as JSON, one number each: as long a line as a list of that many.
  if (ArrayBuffer.isView(value)) {
    const items = (value as { length?: number }).length ?? value.byteLength;
    return items > MAX_ITEMS ? `[${value.constructor.name} of ${value.byteLength} bytes]` : value;
  }
  if (value instanceof EventEmitter) return `[${value.constructor.name}]`;
  // Deeper than any log reads (pino writes 5 levels): left out, not walked, as a nest of 20 000 levels overflowed the stack.
  if (ancestors.size >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  // As pino writes a cycle: the original here would take its uncensored copy of the headers into the line.
  if (ancestors.has(value)) return '[Circular]';
  ancestors.add(value);
  const name = key.toLowerCase();
  const headers = name === 'headers' || name === 'rawheaders';
  let result: unknown = value;
  if (Array.isArray(value)) {
    const kept = value.length > MAX_ITEMS ? value.slice(0, MAX_ITEMS) : value;
    const copy: unknown[] = (headers ? censoredList(kept) : kept).map((item) => withoutSecrets(item, '', ancestors));
    if (kept !== value) copy.push(moreItems(value.length - MAX_ITEMS, 'items'));
    if (kept !== value || copy.some((item, i) => item !== value[i])) result = copy;
  } else {
    const keys = Object.keys(value);
    const kept = keys.length > MAX_ITEMS ? keys.slice(0, MAX_ITEMS) : keys;
    // Each read once: a getter may give a new object each time.
    const values = kept.map((k) => readField(value as Record<string, unknown>, k));
    const copy: unknown[][] = kept.map((k, i) => [k, headers && isSecret(k) ? REDACTED : withoutSecrets(values[i], k, ancestors)]);
    // A key of its own, which no field of an object is likely to have.
    if (kept !== keys) copy.push(['…', moreItems(keys.length - MAX_ITEMS, 'fields')]);
    if (kept !== keys || copy.some(([, v], i) => v !== values[i])) result = withEntries(value, copy);
  }
  ancestors.delete(value);
  return result;
}
