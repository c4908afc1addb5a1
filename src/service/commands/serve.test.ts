// serve's listen check against real sockets on loopback: it probes what fastify will bind, every address of localhost.
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { checkListen } from './serve';

/** This machine's IPv6 loopback: without it, nothing can hold a port on ::1. */
const ipv6Loopback = Object.values(os.networkInterfaces()).some((addresses) => addresses?.some((a) => a.address === '::1'));
if (!ipv6Loopback) console.warn('serve listen check on ::1 SKIPPED: this machine has no IPv6 loopback (::1), so no program can hold a port there');
const testWithIpv6 = ipv6Loopback ? test : test.skip;

/** A server holding a free port on `host` alone; close() gives it back. */
async function hold(host: string, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, resolve);
  });
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Where localhost resolves to on a host whose hosts file names both loopbacks (Debian's and most distributions' default). */
const bothLoopbacks = async () => ['127.0.0.1', '::1'];

testWithIpv6('localhost: a port another program holds on ::1 only is refused, saying where', async () => {
  const taken = await hold('::1');
  try {
    const check = checkListen(`localhost:${taken.port}`, 'localhost', taken.port, bothLoopbacks);
    await expect(check).rejects.toThrow(`cannot listen on localhost:${taken.port} (::1): the port is in use (another trailhound serve?)`);
    // 127.0.0.1 alone is free: the check of that address, all that was probed before, passes.
    await expect(checkListen(`127.0.0.1:${taken.port}`, '127.0.0.1', taken.port)).resolves.toBeUndefined();
  } finally {
    await taken.close();
  }
  // Given back, the port is free on both.
  await expect(checkListen(`localhost:${taken.port}`, 'localhost', taken.port, bothLoopbacks)).resolves.toBeUndefined();
});

testWithIpv6('localhost as this machine resolves it: refused when it names ::1, where the port is taken, as fastify would bind it', async () => {
  const addresses = (await dns.lookup('localhost', { all: true })).map((a) => a.address);
  const taken = await hold('::1');
  try {
    const check = checkListen(`localhost:${taken.port}`, 'localhost', taken.port);
    // Without ::1 among them (a hosts file naming 127.0.0.1 only), fastify binds 127.0.0.1 alone, and that port is free there.
    if (addresses.includes('::1')) await expect(check).rejects.toThrow(/the port is in use/);
    else await expect(check).resolves.toBeUndefined();
  } finally {
    await taken.close();
  }
});

test('localhost: the first address in use is refused; another that cannot be bound here is left out, as fastify leaves it', async () => {
  const taken = await hold('127.0.0.1');
  try {
    const check = checkListen(`localhost:${taken.port}`, 'localhost', taken.port, bothLoopbacks);
    await expect(check).rejects.toThrow(`cannot listen on localhost:${taken.port} (127.0.0.1): the port is in use`);
  } finally {
    await taken.close();
  }
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: fastify's second binding there fails, and it listens on the first.
  const free = await hold('127.0.0.1');
  await free.close();
  await expect(checkListen(`localhost:${free.port}`, 'localhost', free.port, async () => ['127.0.0.1', '192.0.2.1'])).resolves.toBeUndefined();
  // The first cannot be bound: the API's own listen would fail.
  await expect(checkListen(`localhost:${free.port}`, 'localhost', free.port, async () => ['192.0.2.1', '127.0.0.1'])).rejects.toThrow(
    /the host is not an address of this machine/
  );
});

test('a host that does not resolve is refused with what to do', async () => {
  const noName = async () => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND localhost'), { code: 'ENOTFOUND' });
  };
  const check = checkListen('localhost:7480', 'localhost', 7480, noName);
  await expect(check).rejects.toThrow(/^cannot listen on localhost:7480: the host is not an address of this machine; choose another/);
});
