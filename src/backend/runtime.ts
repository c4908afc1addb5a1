// What every gRPC service shares: the instance cache, the logger, the metrics, and a way to stop.
import type { Logger } from './log';
import type { Metrics } from './metrics';
import type { InstanceCache } from './settings';

export interface Runtime {
  instances: InstanceCache;
  logger: Logger;
  metrics: Metrics;
  /** Stops the plugin (the host's Shutdown call); absent in tests that run the server in-process. */
  shutdown?: (reason: string) => void;
}
