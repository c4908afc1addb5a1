// Credentials that a logged value may carry in an HTTP message's headers, found at any depth: shared by the service's
// logs and the plugin backend's, where an error's causes or a library's error object can hold a response or a request.
import { EventEmitter } from 'node:events';

/** Headers whose values are credentials: a bearer token, cookies in either direction, an STS session's token. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-amz-security-token'];

const REDACTED = '[redacted]';

/** How deep a logged value is walked: below, a value is its type alone. */
const MAX_DEPTH = 32;

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

/**
 * `value` with the secret headers' values censored wherever they sit: an object or a list under a key named headers
 * or rawHeaders, at any depth. Copies only what it changes: the value logged is left as it was, and a value without
 * secrets comes back as it went in. An event emitter (a Node stream, socket or agent: the AWS SDK's $response.body is
 * the IncomingMessage, which holds the raw request head with its Authorization) is written as its type alone.
 */
export function withoutSecrets(value: unknown, key = '', ancestors = new Set<object>()): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
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
    const copy = (headers ? censoredList(value) : value).map((item) => withoutSecrets(item, '', ancestors));
    if (copy.some((item, i) => item !== value[i])) result = copy;
  } else {
    const entries = Object.entries(value);
    const copy = entries.map(([k, v]) => [k, headers && isSecret(k) ? REDACTED : withoutSecrets(v, k, ancestors)]);
    if (copy.some(([, v], i) => v !== entries[i][1])) result = withEntries(value, copy);
  }
  ancestors.delete(value);
  return result;
}
