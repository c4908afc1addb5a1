// pino logs: readable lines on a terminal, JSON lines otherwise (containers, log shippers).
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { escapedControls } from '../model/controls';
import { printable } from './table';

export type { Logger };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * JSON lines that a person reading `docker compose logs` and a log store (Loki, which Grafana reads levels from by
 * name) both understand: "level":"warn" and an ISO time, not pino's "level":40 and epoch milliseconds.
 */
const JSON_LINES: pino.LoggerOptions = {
  formatters: { level: (label) => ({ level: label }) },
  timestamp: pino.stdTimeFunctions.isoTime,
  // Outside strings a JSON line holds ASCII only: each character escapedControls escapes sits in a string.
  hooks: { streamWrite: escapedControls },
};

/**
 * Where a bearer token or a cookie could sit in what is logged: a request's or a response's headers, as fastify, undici
 * or the AWS SDK shape them. Nothing logs them today (fastify logs no request lines here, and its req serializer leaves
 * headers out); this keeps a later `log.error({ req })` or a library's error object from writing the token to the log.
 */
const REDACT = {
  paths: ['authorization', 'cookie', 'x-amz-security-token'].flatMap((h) => [
    `headers["${h}"]`,
    `*.headers["${h}"]`,
    `*.*.headers["${h}"]`,
  ]),
  censor: '[redacted]',
};

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
    const serializers = { err: pino.stdSerializers.errWithCause };
    return pino({ level, redact: REDACT, serializers }, { write: (line: string) => sink.write(prettify(printableLog(JSON.parse(line)))) });
  }
  return options.write ? pino({ level, redact: REDACT, ...JSON_LINES }, { write: options.write }) : pino({ level, redact: REDACT, ...JSON_LINES });
}
