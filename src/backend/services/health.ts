// grpc.health.v1.Health/Check: go-plugin's client pings service "plugin" to see the plugin is alive.
import * as grpc from '@grpc/grpc-js';

export const PLUGIN_SERVICE = 'plugin';

export function healthCheck(service: string): { status: 'SERVING' } {
  if (service !== '' && service !== PLUGIN_SERVICE) {
    throw Object.assign(new Error(`unknown service "${service}"`), { code: grpc.status.NOT_FOUND });
  }
  return { status: 'SERVING' };
}
