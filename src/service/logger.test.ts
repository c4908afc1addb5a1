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
      expect.objectContaining({ level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), source: 's3://logs', msg: 'ingest failed; retrying' }),
    ]);
  });

  test('an unknown level says which ones there are', () => {
    process.env.TRAILHOUND_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ pretty: false })).toThrow('TRAILHOUND_LOG_LEVEL=verbose: expected one of trace, debug, info, warn, error, fatal, silent (default: info)');
  });
});
