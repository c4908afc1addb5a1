// pino logs: readable lines on a terminal, JSON lines otherwise (containers, log shippers).
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * JSON lines that a person reading `docker compose logs` and a log store (Loki, which Grafana reads levels from by
 * name) both understand: "level":"warn" and an ISO time, not pino's "level":40 and epoch milliseconds.
 */
const JSON_LINES: pino.LoggerOptions = {
  formatters: { level: (label) => ({ level: label }) },
  timestamp: pino.stdTimeFunctions.isoTime,
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

/** `write`: where JSON lines go instead of stdout (tests). */
export function createLogger(options: { level?: string; pretty?: boolean; write?: (line: string) => void } = {}): Logger {
  const level = options.level ?? (process.env.TRAILHOUND_LOG_LEVEL || 'info');
  if (!LEVELS.includes(level)) {
    throw new Error(`TRAILHOUND_LOG_LEVEL=${level}: expected one of ${LEVELS.join(', ')} (default: info)`);
  }
  const readable = options.pretty ?? process.stdout.isTTY;
  return readable
    ? pino({ level, redact: REDACT }, pretty({ colorize: true, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }))
    : options.write
      ? pino({ level, redact: REDACT, ...JSON_LINES }, { write: options.write })
      : pino({ level, redact: REDACT, ...JSON_LINES });
}
