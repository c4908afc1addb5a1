// The version of Trailhound, the plugin's and the service's alike (one package.json): each tells the other's apart by
// it, so that a plugin and a service at different versions can say which of them to upgrade.
import pkg from '../../package.json';

export const VERSION: string = pkg.version;

/** "1.2.3" (and "1.2.3-rc.1": its prerelease is not compared) as numbers; undefined for anything else. */
function parts(version: string): number[] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return match ? match.slice(1).map(Number) : undefined;
}

/** Below 0 when `a` is older than `b`, above when newer, 0 when alike; undefined when either is not major.minor.patch. */
export function compareVersions(a: string, b: string): number | undefined {
  const [x, y] = [parts(a), parts(b)];
  if (!x || !y) return undefined;
  return x.map((n, i) => n - y[i]).find((d) => d !== 0) ?? 0;
}

/**
 * Which to upgrade when the service and the plugin are at different versions: the older one, to the newer (they are
 * released together). Undefined when they are the same version.
 */
export function upgradeAdvice(serviceVersion: string, pluginVersion: string = VERSION): string | undefined {
  if (serviceVersion === pluginVersion) return undefined;
  const order = compareVersions(serviceVersion, pluginVersion);
  if (order === undefined || order === 0) return 'run the same version of both';
  return order < 0 ? `upgrade the service to ${pluginVersion}` : `upgrade the plugin to ${serviceVersion}`;
}

/** Both versions and which to upgrade, when they differ. */
export function versionAdvice(serviceVersion: string, pluginVersion: string = VERSION): string | undefined {
  const advice = upgradeAdvice(serviceVersion, pluginVersion);
  return advice && `the service is Trailhound ${serviceVersion}, this plugin ${pluginVersion}: ${advice}`;
}

/**
 * What a refusal of something the plugin sent that the service does not know says of versions: both versions and which
 * to upgrade, or, at one version, that builds between releases differ (the version is bumped only at a release).
 */
export function refusalAdvice(serviceVersion: string, pluginVersion: string = VERSION): string {
  return (
    versionAdvice(serviceVersion, pluginVersion) ??
    `the service and this plugin are both Trailhound ${serviceVersion}, but different builds of it, which know different fields: ` +
      'upgrade the older to the newer build'
  );
}
