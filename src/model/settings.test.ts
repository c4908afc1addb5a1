// The settings rules the backend, the config editor and the CLI's report share.
import { isPrivateHost, plainHttpHost, serviceUrlProblem, timeoutSeconds } from './settings';

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
    // Each call's path is added at the end: after a ? or # it would be the query's or the fragment's, and the call go
    // to the path before it, whatever that is (a metadata service's credentials, answered to the browser).
    ['http://169.254.169.254/latest/meta-data/iam/security-credentials/role#', 'query'],
    ['http://169.254.169.254/latest/meta-data/iam/security-credentials/role?', 'query'],
    ['http://trailhound:7480/?x=1', 'query'],
    ['http://trailhound:7480#top', 'query'],
  ])('%s: %s', (url, problem) => {
    expect(serviceUrlProblem(url)).toBe(problem);
  });
});

describe('timeoutSeconds', () => {
  it('is undefined when absent or empty, the seconds when from above 0 to 3600, NaN otherwise', () => {
    for (const value of [undefined, null, '']) expect(timeoutSeconds(value)).toBeUndefined();
    expect([1, 0.5, 3600, '90', ' 90 '].map(timeoutSeconds)).toEqual([1, 0.5, 3600, 90, 90]);
    for (const value of [0, -1, 3601, Infinity, NaN, 'soon', ' ', '0x10', '0b11', 'Infinity', true, [60], {}]) expect(timeoutSeconds(value)).toBeNaN();
  });

  it('refuses a huge number, and one too small to be told from 0: none becomes the default or the maximum', () => {
    // Text that reads as Infinity or as 0 (1e400 and 1e-400 do), and numbers far over the maximum.
    for (const value of ['1e400', '-1e400', '1e-400', '1e308', '3601', 1e308, Number.MAX_VALUE, -Infinity, 2 ** 31, '99999999999999999999']) {
      expect([value, timeoutSeconds(value)]).toEqual([value, NaN]);
    }
    // As JSON carries them: Infinity would be sent as null, which is the default; text keeps what was typed.
    expect(JSON.parse(JSON.stringify({ timeoutSeconds: Infinity })).timeoutSeconds).toBeNull();
    expect(timeoutSeconds(JSON.parse(JSON.stringify({ timeoutSeconds: '1e400' })).timeoutSeconds)).toBeNaN();
    // Just inside the rules: the maximum written as an exponent, and a small part of a second.
    expect(['3.6e3', '0.001'].map(timeoutSeconds)).toEqual([3600, 0.001]);
  });
});

describe('isPrivateHost and plainHttpHost', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['0.0.0.0', true],
    ['[::]', true],
    ['[::ffff:7f00:1]', true],
    ['[::ffff:c0a8:10a]', true],
    ['trailhound', true],
    ['trailhound.monitoring.svc.cluster.local', true],
    ['grafana.internal', true],
    ['10.0.0.1', true],
    ['172.16.0.1', true],
    ['172.31.255.1', true],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['[fd00::1]', true],
    ['[fe80::1]', true],
    // Private by their first group, fd00::/8 and fe80::/10, not by how it is written: fd::1 is 00fd::1.
    ['[fd12:3456::1]', true],
    ['[febf::1]', true],
    ['[fd::1]', false],
    ['[fec0::1]', false],
    ['172.32.0.1', false],
    ['128.0.0.1', false],
    ['203.0.113.7', false],
    ['[::ffff:cb00:7107]', false],
    ['127.example.com', false],
    ['localhost.example.com', false],
    ['trail.example.com', false],
    ['[2001:db8::1]', false],
    ['[::2]', false],
    // A fully qualified name's trailing dot (the DNS root) names the same host.
    ['localhost.', true],
    ['LocalHost.', true],
    ['trailhound.', true],
    ['grafana.internal.', true],
    ['trail.example.com.', false],
    ['localhost.example.com.', false],
    // Spelt as a URL would spell it: short and hex IPv4 forms, IPv6 without brackets or written out.
    ['127.1', true],
    ['0x7f.0.0.1', true],
    ['2130706433', true],
    ['127.0.0.1.', true],
    ['10.1', true],
    ['::1', true],
    ['[0:0:0:0:0:0:0:1]', true],
    ['[::ffff:127.0.0.1]', true],
    ['[::ffff:10.1.2.3]', true],
    ['[::ffff:203.0.113.7]', false],
    ['203.0.113.7.', false],
    ['0xcb.0.113.7', false],
  ])('%s: %s', (host, isPrivate) => {
    expect(isPrivateHost(host)).toBe(isPrivate);
  });

  it('names the host of an http URL that looks public, and nothing else', () => {
    expect(plainHttpHost('http://trail.example.com:7480')).toBe('trail.example.com');
    expect(plainHttpHost('http://[2001:db8::1]:7480')).toBe('[2001:db8::1]');
    expect(plainHttpHost('http://trailhound:7480')).toBeUndefined();
    expect(plainHttpHost('http://[::ffff:127.0.0.1]:7480')).toBeUndefined();
    expect(plainHttpHost('https://trail.example.com:7480')).toBeUndefined();
    expect(plainHttpHost('http://localhost:7480')).toBeUndefined();
    expect(plainHttpHost('not a url')).toBeUndefined();
  });

  it('takes a name with a trailing dot as the name, and any spelling of a loopback address as loopback', () => {
    for (const url of [
      'http://localhost.:7480',
      'http://trailhound.:7480',
      'http://trailhound.monitoring.svc.cluster.local.:7480',
      'http://127.1:7480',
      'http://127.0.0.1.:7480',
      'http://0x7f000001:7480',
      'http://[::ffff:127.0.0.1]:7480',
      'http://[0:0:0:0:0:0:0:1]:7480',
    ]) {
      expect([url, plainHttpHost(url)]).toEqual([url, undefined]);
    }
    expect(plainHttpHost('http://trail.example.com.:7480')).toBe('trail.example.com.');
    expect(plainHttpHost('http://[::ffff:203.0.113.7]:7480')).toBe('[::ffff:cb00:7107]');
  });
});
