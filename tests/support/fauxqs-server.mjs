// Runs fauxqs (an S3-compatible emulator) on a loopback port in its own process and prints {"port": N}.
// Its own process because fauxqs is ESM-only; tests talk to it over real HTTP like to any S3 endpoint.
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
