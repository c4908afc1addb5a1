// Where S3 and CloudTrail are asked: Trailhound's flag first, else the endpoint the AWS SDK takes itself from its
// variables, which the source and the trail inventory must know of too, to address it and to name it in errors.

/** The services Trailhound asks, as the AWS SDK names them (its serviceId, whose upper case names their variable). */
export type EndpointService = 'S3' | 'CloudTrail';

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

/**
 * The variable the AWS SDK takes `service`'s endpoint from: AWS_ENDPOINT_URL_S3 (or _CLOUDTRAIL), then AWS_ENDPOINT_URL;
 * none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. An empty one is unset, as the SDK reads it.
 */
export function sdkEndpointVariable(service: EndpointService, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  return [`AWS_ENDPOINT_URL_${service.toUpperCase()}`, 'AWS_ENDPOINT_URL'].find((name) => env[name]);
}

/**
 * The compatible server `service` is asked at: the flag's (`flag`), else the one the SDK takes from its variables
 * (sdkEndpointVariable). Not knowing of those, the S3 source read a MinIO they named as AWS's S3 (virtual-hosted), and
 * errors named the flag, or AWS, for an endpoint the flag did not give. One on AWS's own hosts is none: the service itself.
 * The SDK's endpoint_url of the shared config file is not read (it would need the profile's file parsed here).
 */
export function configuredEndpoint(service: EndpointService, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfiguredEndpoint | undefined {
  if (flag) return { url: flag, setting: ENDPOINT_FLAG[service] };
  const setting = sdkEndpointVariable(service, env);
  if (!setting) return undefined;
  const url = env[setting]!;
  // Not a URL: the CLI refuses it at the start (config.ts serviceEndpointUrl); as a library, the SDK's own error says so.
  const host = URL.canParse(url) ? new URL(url).hostname : '';
  return AWS_HOST.test(host) ? undefined : { url, setting };
}
