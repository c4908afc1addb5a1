import { createLogger } from './logger';

describe('createLogger', () => {
  afterEach(() => delete process.env.TRAILHOUND_LOG_LEVEL);

  test('takes its level from TRAILHOUND_LOG_LEVEL, info when unset or empty', () => {
    expect(createLogger({ pretty: false }).level).toBe('info');
    process.env.TRAILHOUND_LOG_LEVEL = '';
    expect(createLogger({ pretty: false }).level).toBe('info');
    process.env.TRAILHOUND_LOG_LEVEL = 'debug';
    expect(createLogger({ pretty: false }).level).toBe('debug');
  });

  test('JSON lines name their level and give an ISO time, as a person and a log store read them', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(JSON.parse(line)) });
    logger.warn({ source: 's3://logs' }, 'ingest failed; retrying');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), source: 's3://logs', msg: 'ingest failed; retrying',
      }),
    ]);
  });

  test('JSON lines escape C1 controls and bidirectional overrides, which JSON.stringify leaves raw, and parse back to what was logged', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(line) });
    // An S3 key or an error message that shows reversed in a log viewer, and C1 controls a terminal may act on.
    const hostile = 'logs/\u202etxt.gol\u0085\u2066x\u2069\u009b2K\x7f';
    logger.error({ err: new Error(hostile), key: hostile, nested: [{ [hostile]: hostile }] }, `no such key ${hostile}`);
    logger.child({ batch: hostile }).warn(hostile);
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(lines[0]).toContain('logs/\\u202etxt.gol\\u0085\\u2066x\\u2069\\u009b2K\\u007f');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        msg: `no such key ${hostile}`, key: hostile, nested: [{ [hostile]: hostile }], err: expect.objectContaining({ message: hostile }),
      }),
      expect.objectContaining({ msg: hostile, batch: hostile }),
    ]);
  });

  test('a token or a cookie in headers, however deep the object logged holds them, is never written', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: false, write: (line) => lines.push(line) });
    const headers = {
      authorization: 'Bearer secret-token-1', cookie: 'grafana_session=secret-cookie-2', 'x-amz-security-token': 'secret-session-3', accept: 'x',
    };
    logger.error({ headers }, 'a');
    logger.error({ req: { method: 'GET', headers } }, 'b');
    logger.error({ err: { request: { headers } } }, 'c');
    expect(lines.join('')).not.toMatch(/secret/);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-amz-security-token': '[redacted]', accept: 'x' } }),
      expect.objectContaining({ req: { method: 'GET', headers: expect.objectContaining({ authorization: '[redacted]', accept: 'x' }) } }),
      expect.objectContaining({ err: { request: { headers: expect.objectContaining({ authorization: '[redacted]' }) } } }),
    ]);
    // The object logged is left as it was.
    expect(headers.authorization).toBe('Bearer secret-token-1');
  });

  test('readable lines print an error\'s message and stack escaped: no escape sequence, override or forged line reaches the terminal', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: true, write: (line) => lines.push(line) });
    // An S3 key or a caller's errorMessage: a window title and a line erase, a right-to-left override, a forged line.
    const hostile = 'no such key logs/\x1b]0;owned\x07\x1b[2K\u202egol.txt\r\n[12:00:00] INFO: all clear\x9b';
    const err = new Error(hostile);
    logger.error({ err, key: hostile }, 'ingest failed');
    logger.error(err);
    const printed = lines.join('');
    // The colours pino-pretty adds are the only escapes left; every line but the stacks' frames starts with a time or
    // is indented under its error.
    // eslint-disable-next-line no-control-regex -- the characters this checks for
    expect(printed.replace(/\x1b\[\d+m/g, '')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const printedLines = printed.split('\n').filter(Boolean);
    expect(printedLines.filter((line) => line.startsWith('['))).toHaveLength(2);
    expect(printedLines.filter((line) => !/^(\[\d\d:\d\d:\d\d\]| {4})/.test(line))).toEqual([]);
    // The forged line stays on the line of the key it came in.
    expect(printedLines.filter((line) => line.includes('all clear') && !line.includes('no such key'))).toEqual([]);
    // Escaped, not dropped: the operator sees what the value held.
    expect(printed).toContain('Error: no such key logs/\\x1b]0;owned\\x07\\x1b[2K\\u202egol.txt\\r\\n[12:00:00] INFO: all clear\\x9b');
  });

  test('readable lines escape the messages of an error\'s causes as its own: an inner message\'s line break forges no line', () => {
    const lines: string[] = [];
    const logger = createLogger({ pretty: true, write: (line) => lines.push(line) });
    // The S3 error a wrapper's cause holds, two levels down, and a wrapper whose own message breaks a line too.
    const inner = new Error('no such key logs/a\r\n[12:00:00] INFO: all clear\u202e');
    const err = new Error('ingest\nfailed', { cause: new Error('batch 3 of 4', { cause: inner }) });
    logger.error({ err }, 'ingest failed');
    logger.error(err);
    // eslint-disable-next-line no-control-regex -- pino-pretty's colours
    const printedLines = lines.join('').replace(/\x1b\[\d+m/g, '').split('\n');
    expect(printedLines.filter((line) => line.includes('all clear') && !line.includes('no such key'))).toEqual([]);
    expect(printedLines.filter((line) => line.trim().startsWith('failed'))).toEqual([]);
    expect(printedLines.filter((line) => /[\r\u202e]/.test(line))).toEqual([]);
    // Each message is there once per line logged, escaped whole where its stack starts.
    expect(printedLines.filter((line) => line.includes('Error: no such key logs/a\\r\\n[12:00:00] INFO: all clear\\u202e'))).toHaveLength(2);
    expect(printedLines.filter((line) => line.includes('Error: ingest\\nfailed'))).toHaveLength(2);
    expect(printedLines.filter((line) => line.includes('Error: batch 3 of 4'))).toHaveLength(2);
  });

  test('an unknown level says which ones there are', () => {
    process.env.TRAILHOUND_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ pretty: false }))
      .toThrow('TRAILHOUND_LOG_LEVEL=verbose: expected one of trace, debug, info, warn, error, fatal, silent (default: info)');
  });
});
