import fs from 'node:fs';
import path from 'node:path';
import { configuredEndpoint, ENDPOINT_FLAG, sdkEndpoint, unreadIgnoreSettings } from './awsEndpoints';
import { tempDir } from '../../tests/support/temp';

let dir: string;
beforeAll(() => (dir = tempDir('trailhound-endpoints-')));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A config file of `text`, in a file of its own (the SDK's loader caches each file it read). */
function configFile(text: string): string {
  const file = path.join(dir, `config-${++files}`);
  fs.writeFileSync(file, text);
  return file;
}

/** No config file: one that is not there. */
const NO_CONFIG = { AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' };

describe.each(['S3', 'CloudTrail'] as const)('configuredEndpoint %s', (service) => {
  const own = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
  const minio = 'http://minio:9000';

  test('its flag, then its own AWS SDK variable, then AWS_ENDPOINT_URL, each named', async () => {
    const flag = { url: 'http://flag:9000', setting: ENDPOINT_FLAG[service] };
    expect(await configuredEndpoint(service, flag.url, { ...NO_CONFIG, [own]: minio, AWS_ENDPOINT_URL: 'http://all:4566' })).toEqual(flag);
    const both = { ...NO_CONFIG, [own]: minio, AWS_ENDPOINT_URL: 'http://all:4566' };
    expect(await configuredEndpoint(service, undefined, both)).toEqual({ url: minio, setting: own });
    const all = { url: 'http://all:4566', setting: 'AWS_ENDPOINT_URL' };
    expect(await configuredEndpoint(service, undefined, { ...NO_CONFIG, [own]: '', AWS_ENDPOINT_URL: all.url })).toEqual(all);
    // The other service's variable is not this one's.
    const other = service === 'S3' ? 'AWS_ENDPOINT_URL_CLOUDTRAIL' : 'AWS_ENDPOINT_URL_S3';
    expect(await configuredEndpoint(service, undefined, { ...NO_CONFIG, [other]: minio })).toBeUndefined();
    expect(await configuredEndpoint(service, undefined, NO_CONFIG)).toBeUndefined();
  });

  test('then the config file\'s: the profile\'s services section\'s, then the profile\'s own endpoint_url, named by file, section and key', async () => {
    const key = service.toLowerCase();
    const other = service === 'S3' ? 'cloudtrail' : 's3';
    const file = configFile(
      '[default]\nendpoint_url = http://default:1\n\n[profile dev]\nservices = local\nendpoint_url = http://dev:2\n\n' +
        `[services local]\n${key} =\n  endpoint_url = http://local:3\n${other} =\n  endpoint_url = http://other:4\n\n` +
        '[profile bare]\nservices = local-other\n\n' +
        `[services local-other]\n${other} =\n  endpoint_url = http://other:5\n`
    );
    const env = (more: NodeJS.ProcessEnv = {}) => ({ ...NO_CONFIG, AWS_CONFIG_FILE: file, ...more });
    expect(await configuredEndpoint(service, undefined, env())).toEqual({ url: 'http://default:1', setting: `${file}'s [default] endpoint_url` });
    expect(await configuredEndpoint(service, undefined, env({ AWS_PROFILE: 'dev' }))).toEqual({
      url: 'http://local:3',
      setting: `${file}'s [services local] ${key} endpoint_url`,
    });
    // A services section without this service's: the profile's own, else none.
    expect(await configuredEndpoint(service, undefined, env({ AWS_PROFILE: 'bare' }))).toBeUndefined();
    // The variables come first, and the flag before them.
    const dev = env({ AWS_PROFILE: 'dev' });
    expect(await configuredEndpoint(service, undefined, { ...dev, AWS_ENDPOINT_URL: minio })).toEqual({ url: minio, setting: 'AWS_ENDPOINT_URL' });
    expect(await configuredEndpoint(service, 'http://flag:9000', dev)).toEqual({ url: 'http://flag:9000', setting: ENDPOINT_FLAG[service] });
  });

  test('none when the SDK ignores the variables and the file (the variable, else the profile\'s setting), or for one of AWS\'s own hosts, ' +
    'the flag\'s too', async () => {
    const file = configFile(`[default]\nendpoint_url = ${minio}\n\n[profile ignoring]\nignore_configured_endpoint_urls = true\nendpoint_url = ${minio}\n`);
    const env = (more: NodeJS.ProcessEnv) => ({ ...NO_CONFIG, AWS_CONFIG_FILE: file, ...more });
    expect(await configuredEndpoint(service, undefined, env({ [own]: minio, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }))).toBeUndefined();
    expect(await configuredEndpoint(service, undefined, env({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }))).toBeUndefined();
    expect(await configuredEndpoint(service, undefined, env({ [own]: minio, AWS_PROFILE: 'ignoring' }))).toBeUndefined();
    // The variable's "false" is the SDK's answer, over the profile's; any other value is unset to it.
    expect(await configuredEndpoint(service, undefined, env({ AWS_PROFILE: 'ignoring', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' }))).toEqual({
      url: minio,
      setting: `${file}'s [profile ignoring] endpoint_url`,
    });
    expect(await configuredEndpoint(service, undefined, env({ AWS_PROFILE: 'ignoring', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'yes' }))).toBeUndefined();
    // The flag is the client's own endpoint, which those settings do not touch.
    const ignored = env({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' });
    expect(await configuredEndpoint(service, minio, ignored)).toEqual({ url: minio, setting: ENDPOINT_FLAG[service] });
    const host = service.toLowerCase();
    for (const aws of [`https://${host}.eu-west-1.amazonaws.com`, `https://vpce-0a1b2c3d-4e5f.${host}.us-east-1.vpce.amazonaws.com`,
      `https://${host}.cn-north-1.amazonaws.com.cn`, `https://${host}-fips.us-east-1.api.aws`, `https://${host}.dualstack.eu-west-1.amazonaws.com`]) {
      expect(await configuredEndpoint(service, undefined, { ...NO_CONFIG, [own]: aws })).toBeUndefined();
      expect(await configuredEndpoint(service, aws, NO_CONFIG)).toBeUndefined();
      expect(await configuredEndpoint(service, undefined, { ...NO_CONFIG, AWS_CONFIG_FILE: configFile(`[default]\nendpoint_url = ${aws}\n`) })).toBeUndefined();
    }
  });
});

test('sdkEndpoint reads the credentials file\'s profile too, names it, and says when the profile names a services section the file has not', async () => {
  const credentials = path.join(dir, 'credentials');
  fs.writeFileSync(credentials, '[default]\nendpoint_url = http://from-credentials:1\n');
  const config = configFile('[profile typo]\nservices = locl\nendpoint_url = http://typo:2\n\n[services local]\nsts =\n  endpoint_url = http://sts:3\n');
  const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
  expect(await sdkEndpoint('STS', env)).toEqual({ endpoint: { url: 'http://from-credentials:1', setting: `${credentials}'s [default] endpoint_url` } });
  expect(await sdkEndpoint('S3', { ...env, AWS_PROFILE: 'typo' })).toEqual({
    problem: `${config}'s [profile typo] has services = locl, but ${config} has no [services locl] section, so the AWS SDK reads no endpoint_url ` +
      'from it: add that section, or remove that line',
  });
  // The variables come first, as the SDK reads them: the file's mistake is not read then.
  expect(await sdkEndpoint('SSO OIDC', { ...env, AWS_PROFILE: 'typo', AWS_ENDPOINT_URL_SSO_OIDC: 'http://oidc:4' })).toEqual({
    endpoint: { url: 'http://oidc:4', setting: 'AWS_ENDPOINT_URL_SSO_OIDC' },
  });
});

test('unreadIgnoreSettings tells each ignore setting the SDK passes over, and what it takes instead; none for a valid, empty or unread one', async () => {
  const yes = configFile('[default]\nignore_configured_endpoint_urls = yes\n');
  const yesTrue = configFile('[profile p]\nignore_configured_endpoint_urls = true\n');
  const uses = "uses the endpoints configured (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, the config file's endpoint_url)";
  const said = (setting: string, effect = uses) =>
    `${setting} is neither true nor false, so the AWS SDK passes over it and ${effect}: write true or false (lower case)`;
  expect(await unreadIgnoreSettings({ ...NO_CONFIG, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '1' })).toEqual([said('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=1')]);
  // The variable passed over, the profile's setting decides.
  expect(await unreadIgnoreSettings({ ...NO_CONFIG, AWS_CONFIG_FILE: yesTrue, AWS_PROFILE: 'p', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'TRUE' })).toEqual([
    said('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=TRUE', `ignores configured endpoints, as ${yesTrue}'s [profile p] ignore_configured_endpoint_urls = true says`),
  ]);
  // Both passed over: both told.
  expect(await unreadIgnoreSettings({ ...NO_CONFIG, AWS_CONFIG_FILE: yes, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'on' })).toEqual([
    said('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=on'),
    said(`${yes}'s [default] ignore_configured_endpoint_urls = yes`),
  ]);
  // A valid variable: the profile's setting is never read. An empty variable is unset.
  expect(await unreadIgnoreSettings({ ...NO_CONFIG, AWS_CONFIG_FILE: yes, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' })).toEqual([]);
  expect(await unreadIgnoreSettings({ ...NO_CONFIG, AWS_CONFIG_FILE: yesTrue, AWS_PROFILE: 'p', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: '' })).toEqual([]);
  expect(await unreadIgnoreSettings(NO_CONFIG)).toEqual([]);
});
