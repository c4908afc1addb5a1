// pino logs: readable lines on a terminal, JSON lines otherwise (containers, log shippers).
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { escapedControls } from '../model/controls';
import { clipped, MAX_TEXT_CHARS } from '../model/clipped';
import { causeChain, chainMessage, isErrorLike, isTextCause } from '../model/errorChain';
import { MAX_ITEMS, moreItems, withoutSecrets } from '../model/redacted';
import { awsAnswerOf } from './awsErrors';
import { printable } from './table';

export type { Logger };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * A line's fields with the secrets in their headers censored at any depth (withoutSecrets): a bearer token or a cookie
 * sits in a request's or a response's headers, as fastify, undici or the AWS SDK shape them, or in a raw
 * IncomingMessage's rawHeaders. Nothing logs them today (fastify logs no request lines here, and its req serializer
 * leaves headers out); this keeps a later `log.error({ req })`, or a library's object logged under any name, from
 * writing the token. pino's redaction, which this replaces, found headers only where a path named them (two levels
 * down: a response three levels down was written whole), and paid for each path on every key of every line. A field
 * without an object costs a type check; one without secrets is not copied. `err` is censored by its serializer.
 */
function censoredFields(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  const entries = Object.entries(fields);
  // A line's own fields are capped as a nested object's are: 2 million of them would be as long a line as a list's.
  if (entries.length > MAX_ITEMS) {
    copy = Object.fromEntries(entries.slice(0, MAX_ITEMS));
    copy['…'] = moreItems(entries.length - MAX_ITEMS, 'fields');
  }
  const kept = Math.min(entries.length, MAX_ITEMS);
  for (let i = 0; i < kept; i++) {
    const [key, value] = entries[i];
    if (key === 'err' || value === null || typeof value !== 'object') continue;
    const censored = withoutSecrets(value, key);
    if (censored !== value) (copy ??= { ...fields })[key] = censored;
  }
  return copy ?? fields;
}

/**
 * pino's logMethod hook: the arguments a printf-style message formats (`log.info('request %o', { headers })`, %O, %j,
 * or %s with an object) censored and capped as a line's fields are. pino writes them into msg through its own
 * JSON.stringify, past the log formatter. A call without them (every one of ours) costs a length check.
 */
function censoredArgs(this: Logger, args: unknown[], method: pino.LogFn): void {
  // The message is the first argument, or the second after a fields object (or an error).
  const messageAt = typeof args[0] === 'string' ? 0 : 1;
  if (args.length > messageAt + 1 && typeof args[messageAt] === 'string') {
    args = args.map((arg, i) => (i > messageAt ? withoutSecrets(arg) : arg));
  }
  return (method as (...a: unknown[]) => void).apply(this, args);
}

/** The longest line written as it is: 64 KiB, as the plugin backend's. */
const MAX_LINE_CHARS = 64 * 1024;

/** `value` with each string in it, keys too, cut at `keep` characters (clipped). */
function clippedTexts(value: unknown, keep: number): unknown {
  if (typeof value === 'string') return clipped(value, keep);
  if (Array.isArray(value)) return value.map((item) => clippedTexts(item, keep));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [clipped(k, keep), clippedTexts(v, keep)]));
}

/**
 * `entry` with its long strings cut, each to the same length, halved from MAX_TEXT_CHARS until its JSON fits in
 * MAX_LINE_CHARS (or the strings are 64 characters): short values stay whole, long ones keep their start. A chain of
 * causes (an AggregateError's hundred members, each a server's HTML page), a file's reason or a key list can be
 * megabytes, and no log store or terminal reads such a line.
 */
function fitted(entry: unknown): unknown {
  let keep = MAX_TEXT_CHARS;
  let cut = clippedTexts(entry, keep);
  while (keep > 64 && JSON.stringify(cut).length > MAX_LINE_CHARS) cut = clippedTexts(entry, (keep = Math.floor(keep / 2)));
  return cut;
}

/** A JSON line fitted (`fitted`); one no longer than MAX_LINE_CHARS is left as it is. */
const fittedLine = (line: string) => (line.length > MAX_LINE_CHARS ? `${JSON.stringify(fitted(JSON.parse(line)))}\n` : line);

/**
 * JSON lines that a person reading `docker compose logs` and a log store (Loki, which Grafana reads levels from by
 * name) both understand: "level":"warn" and an ISO time, not pino's "level":40 and epoch milliseconds.
 */
const JSON_LINES: pino.LoggerOptions = {
  formatters: { level: (label) => ({ level: label }), log: censoredFields },
  timestamp: pino.stdTimeFunctions.isoTime,
  // Outside strings a JSON line holds ASCII only: each character escapedControls escapes sits in a string.
  hooks: { streamWrite: (line) => escapedControls(fittedLine(line)), logMethod: censoredArgs },
};

/**
 * The JSON lines' err: pino's, one message and one stack for the whole chain (a log store's one field to search), with
 * chainMessage's message, a text cause ending the stack too, AWS's answer wherever it is in the chain (`aws`: its
 * code, status and request ids, which pino keeps only for the outer error), and no secrets.
 */
function jsonError(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error);
  if (isErrorLike(err)) {
    const { text } = causeChain(err);
    serialized.message = chainMessage(err);
    if (text !== undefined) serialized.stack += `\ncaused by: ${text}`;
    const aws = awsAnswerOf(err);
    if (aws) serialized.aws = aws;
  }
  return withoutSecrets(serialized);
}

/**
 * Each error's text cause kept as its cause, which errWithCause leaves out. Its causes and an AggregateError's errors
 * are serialized errors of their own (SerializedError's type says it has no cause: errWithCause's has).
 */
function keepTextCauses(serialized: Record<string, unknown>): void {
  const cause: unknown = (serialized as pino.SerializedError).raw?.cause;
  if (serialized.cause === undefined && isTextCause(cause)) serialized.cause = cause;
  if (isErrorLike(serialized.cause)) keepTextCauses(serialized.cause as unknown as Record<string, unknown>);
  for (const member of (serialized.aggregateErrors as Array<Record<string, unknown>> | undefined) ?? []) keepTextCauses(member);
}

/** The readable lines' err: pino's errWithCause, each cause an object of its own, with text causes kept and no secrets. */
function readableError(err: unknown): unknown {
  const serialized = pino.stdSerializers.errWithCause(err as Error);
  if (isErrorLike(err)) keepTextCauses(serialized);
  return withoutSecrets(serialized);
}

const READABLE: pretty.PrettyOptions = { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' };

/**
 * A stack's lines, each escaped, with its error's message escaped whole first: a line break in the message (an S3 key,
 * a caller's errorMessage) would otherwise start a line of its own that reads as the stack's.
 */
function printableStack(stack: string, message: string | undefined): string {
  const end = message ? stack.indexOf(message) + message.length : -1;
  const [head, tail] = message && end >= message.length ? [stack.slice(0, end), stack.slice(end)] : ['', stack];
  return printable(head) + tail.split('\n').map(printable).join('\n');
}

/**
 * A log object with every string escaped as the CLI's tables escape them (printable). pino-pretty drops C0 and C1
 * controls from what it prints, but keeps line breaks (a message's starts a forged line) and the bidirectional
 * overrides, and dropping hides that a value held an escape sequence at all.
 */
function printableLog(value: unknown, key?: string, message?: string): unknown {
  if (typeof value === 'string') return key === 'stack' ? printableStack(value, message) : printable(value);
  if (Array.isArray(value)) return value.map((item) => printableLog(item));
  if (value === null || typeof value !== 'object') return value;
  const fields = value as Record<string, unknown>;
  const ownMessage = typeof fields.message === 'string' ? fields.message : undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [printable(k), printableLog(v, k, ownMessage)]));
}

/** `write`: where the lines go instead of stdout (tests). */
export function createLogger(options: { level?: string; pretty?: boolean; write?: (line: string) => void } = {}): Logger {
  const level = options.level ?? (process.env.TRAILHOUND_LOG_LEVEL || 'info');
  if (!LEVELS.includes(level)) {
    throw new Error(`TRAILHOUND_LOG_LEVEL=${level}: expected one of ${LEVELS.join(', ')} (default: info)`);
  }
  const readable = options.pretty ?? process.stdout.isTTY;
  if (readable) {
    // pino-pretty's own stream prints what it parsed: its factory lets every string be escaped in between.
    const prettify = pretty.prettyFactory(READABLE);
    const sink = options.write ? { write: options.write } : pino.destination({ dest: 1, sync: true });
    // An error's causes each as an object of their own (message, stack, cause), not pino's one message and stack that
    // join theirs: printableLog then finds each message where its stack starts and escapes its line breaks whole.
    const readableOptions = { level, formatters: { log: censoredFields }, serializers: { err: readableError }, hooks: { logMethod: censoredArgs } };
    const write = (line: string) => {
      const entry = printableLog(JSON.parse(line));
      sink.write(prettify(line.length > MAX_LINE_CHARS ? fitted(entry) : entry));
    };
    return withCensoredBindings(pino(readableOptions, { write }));
  }
  const jsonOptions = { level, serializers: { err: jsonError }, ...JSON_LINES };
  return withCensoredBindings(options.write ? pino(jsonOptions, { write: options.write }) : pino(jsonOptions));
}

/**
 * `logger`, whose children's fields (`child({ req })`) are censored as a line's are: pino formats them once, when the
 * child is made, without the log formatter (its redaction censored them). A child is made from its parent with
 * Object.create, so its children's `child` is this one too.
 */
function withCensoredBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function censoredChild(this: Logger, bindings, childOptions) {
    return child.call(this, censoredFields(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
