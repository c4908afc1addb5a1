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

  test('an unknown level says which ones there are', () => {
    process.env.TRAILHOUND_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ pretty: false }))
      .toThrow('TRAILHOUND_LOG_LEVEL=verbose: expected one of trace, debug, info, warn, error, fatal, silent (default: info)');
  });
});
