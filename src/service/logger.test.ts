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

  test('an unknown level says which ones there are', () => {
    process.env.TRAILHOUND_LOG_LEVEL = 'verbose';
    expect(() => createLogger({ pretty: false })).toThrow('TRAILHOUND_LOG_LEVEL=verbose: expected one of trace, debug, info, warn, error, fatal, silent (default info)');
  });
});
