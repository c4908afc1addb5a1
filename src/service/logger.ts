// pino logs: readable lines on a terminal, JSON lines otherwise (containers, log shippers).
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? (process.env.TRAILHOUND_LOG_LEVEL || 'info');
  if (!LEVELS.includes(level)) {
    throw new Error(`TRAILHOUND_LOG_LEVEL=${level}: expected one of ${LEVELS.join(', ')} (default info)`);
  }
  const readable = options.pretty ?? process.stdout.isTTY;
  return readable
    ? pino({ level }, pretty({ colorize: true, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }))
    : pino({ level });
}
