// Entry point of the gpx_trailhound executable that Grafana starts. stdout carries exactly one line, the
// go-plugin handshake; everything else goes to stderr as hclog JSON.
import { format } from 'node:util';
import { handshakeLine, hasMagicCookie, negotiateVersion, NOT_A_PLUGIN_MESSAGE, portRange } from './handshake';
import { createLogger, levelFrom } from './log';
import { createMetrics } from './metrics';
import { startServer } from './server';
import { InstanceCache } from './settings';

/** A stop must finish well inside go-plugin's 2 s wait before it kills the process. */
const STOP_GRACE_MS = 1000;

async function main(): Promise<void> {
  if (!hasMagicCookie(process.env)) {
    process.stderr.write(`${NOT_A_PLUGIN_MESSAGE}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: levelFrom(process.env.TRAILHOUND_PLUGIN_LOG_LEVEL ?? process.env.GF_PLUGIN_LOG_LEVEL) });
  // Nothing may reach stdout after the handshake: a stray console.log from a library goes to the log instead.
  console.log = console.info = (...args: unknown[]) => logger.info(format(...args));
  console.debug = (...args: unknown[]) => logger.debug(format(...args));
  console.warn = (...args: unknown[]) => logger.warn(format(...args));
  console.error = (...args: unknown[]) => logger.error(format(...args));

  // Grafana stops plugins with Shutdown or a kill; Ctrl-C in the terminal running Grafana reaches the whole
  // process group, and, as Go plugins do, we leave stopping to the host.
  process.on('SIGINT', () => logger.debug('ignoring SIGINT; the plugin host decides when the plugin stops'));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: err }));

  const negotiation = negotiateVersion(process.env.PLUGIN_PROTOCOL_VERSIONS);
  if (!negotiation.accepted) {
    logger.error('the plugin host does not offer protocol version 2; it will refuse this plugin', { offered: negotiation.offered.join(',') });
  }
  const metrics = createMetrics();
  let stopping = false;
  const runtime = {
    instances: new InstanceCache((path, status) => metrics.serviceCalls.inc({ path, status })),
    logger,
    metrics,
    shutdown: (reason: string) => stop(reason),
  };
  const plugin = await startServer(runtime, { range: portRange(process.env) });

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    logger.debug('stopping', { reason });
    setTimeout(() => process.exit(0), STOP_GRACE_MS + 500).unref();
    plugin.stop(STOP_GRACE_MS).finally(() => process.exit(0));
  }
  process.on('SIGTERM', () => stop('SIGTERM'));

  process.stdout.write(handshakeLine(negotiation.version, plugin.address));
  logger.debug('plugin started', { address: plugin.address, pid: process.pid });
}

main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ '@level': 'error', '@message': 'plugin failed to start', error: String(err?.stack ?? err) })}\n`);
  process.exit(1);
});
