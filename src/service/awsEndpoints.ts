// Where S3 and CloudTrail are asked: Trailhound's flag first, else the endpoint the AWS SDK takes itself from its
// variables and its shared config file, which the source and the trail inventory must know of too, to address it and
// to name it in errors.
import path from 'node:path';

/** The AWS SDK's shared config loader, loaded when asked: config.ts imports this module, and every command config.ts. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkConfig = () => require('@smithy/core/config') as typeof import('@smithy/core/config');

/** The services Trailhound asks, as the AWS SDK names them (its serviceId, whose upper case names their variable). */
export type EndpointService = 'S3' | 'CloudTrail';

/**
 * Every service whose endpoint the AWS SDK may read for Trailhound: its own two, and those its credential chain asks
 * (STS for an assumed role or web identity, SSO and SSO OIDC for IAM Identity Center, Signin for `aws login`).
 */
export const SDK_SERVICES = ['S3', 'CloudTrail', 'STS', 'SSO', 'SSO OIDC', 'Signin'] as const;
export type SdkService = (typeof SDK_SERVICES)[number];

/** The flag (and its TRAILHOUND_ variable) that gives each service an endpoint of its own. */
export const ENDPOINT_FLAG: Record<EndpointService, string> = {
  S3: '--s3-endpoint (or TRAILHOUND_S3_ENDPOINT)',
  CloudTrail: '--cloudtrail-endpoint (or TRAILHOUND_CLOUDTRAIL_ENDPOINT)',
};

/** A service's own endpoint, and the setting that named it, for errors to name. */
export interface ConfiguredEndpoint {
  url: string;
  setting: string;
}

/** AWS's own hosts (a Region's endpoint, a FIPS, dual-stack or VPC one): an endpoint there is the service itself, with Regions and partitions. */
const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/i;

/** Whether `url` is on one of AWS's own hosts. Not a URL: no (the CLI refuses it at the start, config.ts checkSdkEndpoints). */
export const isAwsHost = (url: string) => URL.canParse(url) && AWS_HOST.test(new URL(url).hostname);

/** The SDK's shared config files and its profile in them, read as it reads them (its own loader and cache). */
async function sharedProfile(env: NodeJS.ProcessEnv) {
  const { getHomeDir, getProfileName, loadSharedConfigFiles } = sdkConfig();
  const files = {
    config: env.AWS_CONFIG_FILE || path.join(getHomeDir(), '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || path.join(getHomeDir(), '.aws', 'credentials'),
  };
  const { configFile, credentialsFile } = await loadSharedConfigFiles({ configFilepath: files.config, filepath: files.credentials });
  const name = getProfileName({ profile: env.AWS_PROFILE });
  const fromConfig = configFile[name] ?? {};
  const profile: Record<string, string | undefined> = { ...credentialsFile[name], ...fromConfig };
  // The file and section a profile key came from, as the SDK merges them (the config file's first).
  const section = (key: string) =>
    fromConfig[key] !== undefined ? `${files.config}'s [${name === 'default' ? name : `profile ${name}`}]` : `${files.credentials}'s [${name}]`;
  return { files, configFile, profile, section };
}

/** Exactly "true" or "false": the AWS SDK passes over any other value of an ignore setting (@smithy/core's booleanSelector) as if unset. */
const isBoolean = (value: string | undefined) => value === 'true' || value === 'false';

/** Whether configured endpoints are ignored ('true'), as the SDK decides: the variable, else the profile's setting. */
const ignoreSetting = (env: NodeJS.ProcessEnv, profile: Record<string, string | undefined>) =>
  isBoolean(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) ? env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS : profile.ignore_configured_endpoint_urls;

/**
 * What to tell of an ignore setting the SDK passes over, silently (neither "true" nor "false": "yes", "1", "True", which
 * the AWS CLI takes as true): the setting and its value, what the SDK does then, and what it takes. An empty variable is
 * unset to everyone, and a profile's setting under a valid variable is never read: neither is told.
 */
export async function unreadIgnoreSettings(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const { profile, section } = await sharedProfile(env);
  const variable = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  const inFile = profile.ignore_configured_endpoint_urls;
  const unread = [
    ...(variable && !isBoolean(variable) ? [`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=${variable}`] : []),
    ...(inFile !== undefined && !isBoolean(variable) && !isBoolean(inFile)
      ? [`${section('ignore_configured_endpoint_urls')} ignore_configured_endpoint_urls = ${inFile}`]
      : []),
  ];
  const effect =
    ignoreSetting(env, profile) === 'true'
      ? `ignores configured endpoints, as ${section('ignore_configured_endpoint_urls')} ignore_configured_endpoint_urls = true says`
      : 'uses the endpoints configured (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, the config file\'s endpoint_url)';
  return unread.map((setting) => `${setting} is neither true nor false, so the AWS SDK passes over it and ${effect}: write true or false (lower case)`);
}

/**
 * The endpoint the AWS SDK takes for `service` by itself, as it reads it (@smithy/core's endpoint config): none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's ignore_configured_endpoint_urls) is true; else
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL (an empty one is unset), then the profile's services section's
 * `<service> = endpoint_url`, then the profile's own endpoint_url. `problem`: the profile names a services section the
 * file has not, for which the SDK takes no endpoint from the file at all, silently.
 */
export async function sdkEndpoint(service: SdkService, env: NodeJS.ProcessEnv = process.env): Promise<{ endpoint?: ConfiguredEndpoint; problem?: string }> {
  const { files, configFile, profile, section } = await sharedProfile(env);
  if (ignoreSetting(env, profile) === 'true') return {};
  const variable = [['AWS_ENDPOINT_URL', ...service.toUpperCase().split(' ')].join('_'), 'AWS_ENDPOINT_URL'].find((v) => env[v]);
  if (variable) return { endpoint: { url: env[variable]!, setting: variable } };
  if (profile.services) {
    const services = configFile[`services.${profile.services}`];
    if (!services) {
      return {
        problem: `${section('services')} has services = ${profile.services}, but ${files.config} has no [services ${profile.services}] section, ` +
          'so the AWS SDK reads no endpoint_url from it: add that section, or remove that line',
      };
    }
    const key = service.toLowerCase().split(' ').join('_');
    const url = services[`${key}.endpoint_url`];
    if (url) return { endpoint: { url, setting: `${files.config}'s [services ${profile.services}] ${key} endpoint_url` } };
  }
  return profile.endpoint_url ? { endpoint: { url: profile.endpoint_url, setting: `${section('endpoint_url')} endpoint_url` } } : {};
}

/**
 * The compatible server `service` is asked at: the flag's (`flag`), else the one the SDK takes by itself (sdkEndpoint).
 * Not knowing of those, the S3 source read a MinIO they named as AWS's S3 (virtual-hosted), and errors named the flag,
 * or AWS, for an endpoint the flag did not give. One on AWS's own hosts is none, the flag's too: the service itself (a
 * FIPS, dual-stack or Region's endpoint), with its Regions, partitions and virtual-hosted buckets.
 */
export async function configuredEndpoint(
  service: EndpointService,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): Promise<ConfiguredEndpoint | undefined> {
  // The flag's is the client's, which the SDK then takes over its own.
  const endpoint = flag ? { url: flag, setting: ENDPOINT_FLAG[service] } : (await sdkEndpoint(service, env)).endpoint;
  return endpoint && !isAwsHost(endpoint.url) ? endpoint : undefined;
}
