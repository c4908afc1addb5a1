import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exposedShortToken, isLoopback, MIN_TOKEN_LENGTH, readToken, resolveToken, sameToken, shortTokenWarning } from './token';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-token-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the token from TRAILHOUND_TOKEN or the token file', () => {
  test('is trimmed, as the presented token is: a newline from $(cat file) or a mounted secret is not part of it', () => {
    expect(readToken(dir, 'secret\n')).toEqual({ token: 'secret', from: 'environment' });
    expect(resolveToken(dir, '  secret\r\n')).toEqual({ token: 'secret', from: 'environment' });
    fs.writeFileSync(path.join(dir, 'token'), 'from-file\n', { mode: 0o600 });
    expect(readToken(dir, '')).toEqual({ token: 'from-file', from: 'file', file: path.join(dir, 'token') });
  });

  test('a variable of white space only is refused with what to do, not taken as a token nobody can send', () => {
    for (const blank of [' ', '\n', '\t \r\n']) {
      expect(() => readToken(dir, blank)).toThrow(/^TRAILHOUND_TOKEN is only white space: set it to the bearer token, or unset it/);
      expect(() => resolveToken(dir, blank)).toThrow(/TRAILHOUND_TOKEN is only white space/);
    }
    expect(fs.existsSync(path.join(dir, 'token'))).toBe(false);
  });

  test('unset or empty: the token file, made on first use', () => {
    const made = resolveToken(dir, undefined);
    expect(made.from).toBe('generated');
    expect(resolveToken(dir, '')).toEqual({ token: made.token, from: 'file', file: made.file });
  });
});

// Unix modes: Windows has none to check.
const unix = process.platform === 'win32' ? describe.skip : describe;
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

unix('the token file is for its owner alone', () => {
  test('a token generated into an empty file made beforehand with a readable mode (touch; chmod 644) ends up 600', () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o644);
    const made = resolveToken(dir, undefined);
    expect(made).toMatchObject({ from: 'generated', file });
    expect(mode(file)).toBe('600');
    expect(fs.readFileSync(file, 'utf8')).toBe(`${made.token}\n`);
    expect(fs.readdirSync(dir)).toEqual(['token']);
  });

  test('an existing token file others can read is still used, with a warning that says how to fix it', () => {
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, 'kept\n');
    for (const readable of [0o644, 0o640, 0o604]) {
      fs.chmodSync(file, readable);
      expect(resolveToken(dir, undefined)).toEqual({
        token: 'kept',
        from: 'file',
        file,
        warning: `the token file can be read by other users of this machine: run chmod 600 ${file}`,
      });
      expect(mode(file)).toBe(readable.toString(8));
    }
    fs.chmodSync(file, 0o600);
    expect(resolveToken(dir, undefined)).toEqual({ token: 'kept', from: 'file', file });
  });
});

test('a token shorter than 16 characters is used, with a warning that says how to replace it; a generated one has none', () => {
  const file = path.join(dir, 'token');
  expect(shortTokenWarning(readToken(dir, 'secret')!)).toBe(
    'the bearer token is only 6 characters, which a client trying tokens can guess (at least 16 wanted): ' +
      'set TRAILHOUND_TOKEN to a long random secret, e.g. $(openssl rand -hex 24)'
  );
  expect(shortTokenWarning(readToken(dir, 'x'.repeat(MIN_TOKEN_LENGTH))!)).toBeUndefined();
  fs.writeFileSync(file, 'abc\n', { mode: 0o600 });
  expect(shortTokenWarning(resolveToken(dir, undefined)))
    .toMatch(new RegExp(`^the bearer token is only 3 characters, .*: delete ${file} \\(a new token is made`));
  fs.rmSync(file);
  expect(shortTokenWarning(resolveToken(dir, undefined))).toBeUndefined();
});

test('loopback is 127.0.0.0/8, ::1 and localhost, in any spelling; every interface and other addresses are not', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '127.255.255.254', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    expect([host, isLoopback(host)]).toEqual([host, true]);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.example.com', 'localhost.example.com', '::ffff:10.0.0.1', '']) {
    expect([host, isLoopback(host)]).toEqual([host, false]);
  }
});

test('a short token is refused on an API listening beyond this machine, only warned of on loopback', () => {
  const short = readToken(dir, 'secret')!;
  expect(exposedShortToken(short, '0.0.0.0', ':7480')).toBe(
    `${shortTokenWarning(short)}. The API listens beyond this machine (--listen :7480), so serve does not start with it (on 127.0.0.1 it only warns)`
  );
  expect(exposedShortToken(short, '10.1.2.3', '10.1.2.3:7480')).toMatch(/so serve does not start with it/);
  expect(exposedShortToken(short, '127.0.0.1', '127.0.0.1:7480')).toBeUndefined();
  expect(exposedShortToken(readToken(dir, 'x'.repeat(MIN_TOKEN_LENGTH))!, '0.0.0.0', ':7480')).toBeUndefined();
});

test('sameToken compares whole tokens', () => {
  expect(sameToken('secret', 'secret')).toBe(true);
  expect(sameToken('secret', 'secret\n')).toBe(false);
  expect(sameToken('secre', 'secret')).toBe(false);
});
