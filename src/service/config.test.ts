import { envPositiveInt } from './config';

describe('envPositiveInt: a TRAILHOUND_* variable held to its flag’s rule', () => {
  const name = 'TRAILHOUND_TEST_INTERVAL';
  afterEach(() => delete process.env[name]);

  test('a whole number, 1 or more', () => {
    process.env[name] = '30';
    expect(envPositiveInt('TEST_INTERVAL')).toBe(30);
  });

  test('unset or empty is the default (undefined)', () => {
    expect(envPositiveInt('TEST_INTERVAL')).toBeUndefined();
    process.env[name] = '';
    expect(envPositiveInt('TEST_INTERVAL')).toBeUndefined();
  });

  test.each(['0', '-5', '1.5', 'soon', ' '])('%j is refused, naming the variable', (value) => {
    process.env[name] = value;
    expect(() => envPositiveInt('TEST_INTERVAL')).toThrow(`TRAILHOUND_TEST_INTERVAL=${value}: expected a whole number, 1 or more`);
  });
});
