// The settings rules the backend, the config editor and the CLI's report share.
import { isLoopback, plainHttpHost, serviceUrlProblem, timeoutSeconds } from './settings';

describe('serviceUrlProblem', () => {
  it.each([
    ['http://127.0.0.1:7480', undefined],
    ['https://trail.example.com/base/', undefined],
    ['http://[::1]:7480', undefined],
    ['not a url', 'not-a-url'],
    ['http://', 'not-a-url'],
    ['http://127.0.0.1:99999', 'not-a-url'],
    ['trailhound:7480', 'not-http'],
    ['ftp://host', 'not-http'],
    ['http://admin:secret@trailhound:7480', 'credentials'],
    ['http://admin@trailhound:7480', 'credentials'],
  ])('%s: %s', (url, problem) => {
    expect(serviceUrlProblem(url)).toBe(problem);
  });
});

describe('timeoutSeconds', () => {
  it('is undefined when absent or empty, the seconds when from above 0 to 3600, NaN otherwise', () => {
    for (const value of [undefined, null, '']) expect(timeoutSeconds(value)).toBeUndefined();
    expect([1, 0.5, 3600, '90', ' 90 '].map(timeoutSeconds)).toEqual([1, 0.5, 3600, 90, 90]);
    for (const value of [0, -1, 3601, Infinity, NaN, 'soon', ' ', true, [60], {}]) expect(timeoutSeconds(value)).toBeNaN();
  });
});

describe('isLoopback and plainHttpHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['0.0.0.0', true],
    ['[::ffff:7f00:1]', true],
    ['[::ffff:c0a8:10a]', false],
    ['trailhound', false],
    ['10.0.0.1', false],
    ['127.example.com', false],
    ['localhost.example.com', false],
    ['[::2]', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('names the host of an http URL that is not loopback, and nothing else', () => {
    expect(plainHttpHost('http://trailhound:7480')).toBe('trailhound');
    expect(plainHttpHost('http://[2001:db8::1]:7480')).toBe('[2001:db8::1]');
    expect(plainHttpHost('http://[::ffff:127.0.0.1]:7480')).toBeUndefined();
    expect(plainHttpHost('https://trailhound:7480')).toBeUndefined();
    expect(plainHttpHost('http://localhost:7480')).toBeUndefined();
    expect(plainHttpHost('not a url')).toBeUndefined();
  });
});
