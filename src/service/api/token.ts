// The API's bearer token: TRAILHOUND_TOKEN, else a token kept in the data folder (made on first start, 0600).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { counted } from '../counted';

export interface Token {
  token: string;
  /** Where it came from, to tell the user. */
  from: 'environment' | 'file' | 'generated';
  file?: string;
  /** What is wrong with how the token is kept (a token file others can read), and how to fix it. */
  warning?: string;
}

/**
 * The token a client should send: TRAILHOUND_TOKEN, else the token file in the data folder, if any. Both are
 * trimmed, as the presented token is: `TRAILHOUND_TOKEN=$(cat file)` or a secret mounted with a newline must work.
 */
export function readToken(dataDir: string, fromEnv = process.env.TRAILHOUND_TOKEN): Token | undefined {
  if (fromEnv) {
    const token = fromEnv.trim();
    if (!token) {
      throw new Error('TRAILHOUND_TOKEN is only white space: set it to the bearer token, or unset it to use the token file in the data folder');
    }
    refuseUnsendable(token, 'TRAILHOUND_TOKEN');
    return { token, from: 'environment' };
  }
  const file = path.join(dataDir, 'token');
  const token = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  if (!token) return undefined;
  refuseUnsendable(token, `the token file ${file}`);
  // Kept in use (refusing to start over a mode would break running setups), but the user is told.
  const readable = process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0;
  const warning = readable ? `the token file can be read by other users of this machine: run chmod 600 ${file}` : undefined;
  return { token, from: 'file', file, ...(warning && { warning }) };
}

/**
 * A token is visible ASCII. One with a space, a line break, NUL or a non-ASCII character cannot be sent: the plugin's
 * settings refuse it, and fetch (the report command's) refuses the header with an error that quotes it, token and all.
 * The refusal does not repeat it.
 */
function refuseUnsendable(token: string, where: string): void {
  if (/^[\x21-\x7e]+$/.test(token)) return;
  throw new Error(
    `${where} holds spaces, line breaks or non-ASCII characters, which no client can send as a bearer token: ` +
      'set it to visible ASCII, e.g. $(openssl rand -hex 24)'
  );
}

/** The service's token: as readToken, else a new one written to the data folder. */
export function resolveToken(dataDir: string, fromEnv = process.env.TRAILHOUND_TOKEN): Token {
  const known = readToken(dataDir, fromEnv);
  if (known) return known;
  const file = path.join(dataDir, 'token');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = crypto.randomBytes(24).toString('base64url');
  // A new file, renamed over the old: writeFileSync's mode applies only when it creates the file, so a token written
  // into an empty file someone made beforehand (touch token) would keep that file's mode, often 644.
  const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return { token, from: 'generated', file };
}

/** Shorter tokens are used, with a warning: nothing limits how often a client may guess. The generated ones have 32. */
export const MIN_TOKEN_LENGTH = 16;

/** What is wrong with a token too short to withstand guessing, and how to replace it; undefined when it is long enough. */
export function shortTokenWarning(token: Token): string | undefined {
  const length = token.token.length;
  if (length >= MIN_TOKEN_LENGTH) return undefined;
  const replace =
    token.from === 'environment'
      ? 'set TRAILHOUND_TOKEN to a long random secret, e.g. $(openssl rand -hex 24)'
      : `delete ${token.file} (a new token is made on the next start) or write a long random secret into it, e.g. openssl rand -hex 24`;
  return `the bearer token is only ${counted(length, 'character')}, which a client trying tokens can guess (at least ${MIN_TOKEN_LENGTH} wanted): ${replace}`;
}

/** Whether the API's listen address reaches this machine only: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z), localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.replace(/^::ffff:/, '');
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Why serve refuses to start: a token short enough to guess (shortTokenWarning) on an API that listens beyond this
 * machine, where anyone who reaches the port may try tokens as fast as it answers. On loopback it is only warned of:
 * refusing it there would stop running setups over what only this machine's users can try.
 */
export function exposedShortToken(token: Token, host: string, listen: string): string | undefined {
  const short = shortTokenWarning(token);
  if (!short || isLoopback(host)) return undefined;
  return `${short}. The API listens beyond this machine (--listen ${listen}), so serve does not start with it (on 127.0.0.1 it only warns)`;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
