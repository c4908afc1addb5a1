import { compareVersions, upgradeAdvice, versionAdvice } from './version';

test('versions compare by major, minor and patch, as numbers; a prerelease is not compared, anything else not at all', () => {
  expect(compareVersions('0.1.0', '0.2.0')).toBeLessThan(0);
  expect(compareVersions('0.10.0', '0.9.3')).toBeGreaterThan(0);
  expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBe(0);
  expect(compareVersions('dev', '1.0.0')).toBeUndefined();
});

test('the older of the two is upgraded to the newer; the same version needs nothing', () => {
  expect(upgradeAdvice('0.1.0', '0.1.0')).toBeUndefined();
  expect(versionAdvice('0.1.0', '0.2.0')).toBe('the service is Trailhound 0.1.0, this plugin 0.2.0: upgrade the service to 0.2.0');
  expect(versionAdvice('0.10.0', '0.9.0')).toBe('the service is Trailhound 0.10.0, this plugin 0.9.0: upgrade the plugin to 0.10.0');
  expect(upgradeAdvice('1.0.0-rc.1', '1.0.0')).toBe('run the same version of both');
});
