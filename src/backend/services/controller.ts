// plugin.GRPCController/Shutdown: the host's polite "stop now" (go-plugin's client.Kill). Answer first,
// then stop, so the host sees the call succeed and waits for the process to exit.
import type { Runtime } from '../runtime';

export function shutdown(runtime: Runtime): Record<string, never> {
  runtime.logger.debug('shutdown requested by the plugin host');
  setImmediate(() => runtime.shutdown?.('Shutdown RPC'));
  return {};
}
