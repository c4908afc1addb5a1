import { configuredEndpoint, ENDPOINT_FLAG } from './awsEndpoints';

describe.each(['S3', 'CloudTrail'] as const)('configuredEndpoint %s', (service) => {
  const own = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
  const minio = 'http://minio:9000';

  test('its flag, then its own AWS SDK variable, then AWS_ENDPOINT_URL, each named', () => {
    const flag = { url: 'http://flag:9000', setting: ENDPOINT_FLAG[service] };
    expect(configuredEndpoint(service, flag.url, { [own]: minio, AWS_ENDPOINT_URL: 'http://all:4566' })).toEqual(flag);
    expect(configuredEndpoint(service, undefined, { [own]: minio, AWS_ENDPOINT_URL: 'http://all:4566' })).toEqual({ url: minio, setting: own });
    const all = { url: 'http://all:4566', setting: 'AWS_ENDPOINT_URL' };
    expect(configuredEndpoint(service, undefined, { [own]: '', AWS_ENDPOINT_URL: all.url })).toEqual(all);
    // The other service's variable is not this one's.
    const other = service === 'S3' ? 'AWS_ENDPOINT_URL_CLOUDTRAIL' : 'AWS_ENDPOINT_URL_S3';
    expect(configuredEndpoint(service, undefined, { [other]: minio })).toBeUndefined();
    expect(configuredEndpoint(service, undefined, {})).toBeUndefined();
  });

  test('none when the SDK ignores the variables, or for one of AWS\'s own hosts', () => {
    expect(configuredEndpoint(service, undefined, { [own]: minio, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    const host = service.toLowerCase();
    for (const aws of [`https://${host}.eu-west-1.amazonaws.com`, `https://vpce-0a1b2c3d-4e5f.${host}.us-east-1.vpce.amazonaws.com`,
      `https://${host}.cn-north-1.amazonaws.com.cn`, `https://${host}-fips.us-east-1.api.aws`]) {
      expect(configuredEndpoint(service, undefined, { [own]: aws })).toBeUndefined();
    }
  });
});
