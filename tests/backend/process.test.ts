// The executable as a process: run by hand it refuses; under a host it prints one handshake line, ignores
// SIGINT, and ends within 2 s on SIGTERM or the Shutdown call. The Alpine launcher behaves the same.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../src/backend/protos';
import { ensureBackendBuilt, LAUNCHER } from './support/build';

let executable: string;

beforeAll(async () => {
  executable = await ensureBackendBuilt();
}, 120_000);

const HOST_ENV = { grafana_plugin_type: 'datasource', PLUGIN_PROTOCOL_VERSIONS: '2', PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' };

interface Running {
  child: ChildProcess;
  address: string;
  stdout: () => string;
  stderr: () => string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

async function launch(file = executable, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(file, [], {
    env: { PATH: process.env.PATH, ...HOST_ENV, TRAILHOUND_PLUGIN_LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const err: string[] = [];
  child.stdout!.on('data', (d) => (out += d));
  readline.createInterface({ input: child.stderr! }).on('line', (l) => err.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
  );
  const end = Date.now() + 20_000;
  while (!out.includes('\n')) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`no handshake line; stderr:\n${err.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const match = /^1\|2\|tcp\|(127\.0\.0\.1:(\d+))\|grpc\n$/.exec(out);
  if (!match) throw new Error(`unexpected handshake ${JSON.stringify(out)}`);
  return { child, address: match[1], stdout: () => out, stderr: () => err, exited };
}

function client(name: string, address: string): grpc.Client {
  return new (loadProtos().clients[name])(address, grpc.credentials.createInsecure());
}

function call(c: grpc.Client, method: string, request: unknown): Promise<any> {
  return new Promise((resolve, reject) => (c as any)[method](request, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));
}

test('run by hand (no magic cookie): exit code 1, a clear message on stderr, nothing on stdout', () => {
  const result = spawnSync(executable, [], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 20_000 });
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('backend of the Trailhound Grafana data source plugin');
  expect(result.stderr).toContain('It is not meant to be run by hand');
});

test('SIGINT is ignored; SIGTERM ends the process within 2 s; stdout holds only the handshake', async () => {
  const p = await launch();
  const [, port] = p.address.split(':');
  expect(Number(port)).toBeGreaterThanOrEqual(10000);
  expect(Number(port)).toBeLessThanOrEqual(25000);
  const health = client('grpc.health.v1.Health', p.address);
  try {
    p.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    expect(p.child.exitCode).toBeNull();
    expect(await call(health, 'Check', { service: 'plugin' })).toEqual({ status: 'SERVING' });

    const sent = Date.now();
    p.child.kill('SIGTERM');
    const { code, at } = await p.exited;
    expect(at - sent).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(p.stdout()).toMatch(/^1\|2\|tcp\|127\.0\.0\.1:\d+\|grpc\n$/);
    // Every stderr line is an hclog JSON line.
    for (const line of p.stderr()) {
      expect(JSON.parse(line))
        .toMatchObject({ '@level': expect.any(String), '@message': expect.any(String), '@timestamp': expect.stringMatching(/\.\d{6}Z$/) });
    }
    expect(p.stderr().map((l) => JSON.parse(l)['@message'])).toEqual(expect.arrayContaining(['plugin started', 'stopping']));
  } finally {
    health.close();
    p.child.kill('SIGKILL');
  }
});

test('the Shutdown call ends the process within 2 s, even with a stdio stream open', async () => {
  const p = await launch();
  const controller = client('plugin.GRPCController', p.address);
  const stdio = client('plugin.GRPCStdio', p.address);
  try {
    const stream = (stdio as any).StreamStdio({});
    const streamEnded = new Promise((resolve) => {
      stream.on('end', resolve);
      stream.on('error', resolve);
    });
    stream.on('data', () => {});
    await new Promise((r) => setTimeout(r, 100));
    const sent = Date.now();
    expect(await call(controller, 'Shutdown', {})).toEqual({});
    const { code, at } = await p.exited;
    expect(at - sent).toBeLessThan(2000);
    expect(code).toBe(0);
    await streamEnded;
  } finally {
    controller.close();
    stdio.close();
    p.child.kill('SIGKILL');
  }
});

test('a host that does not offer version 2 still gets the handshake (and refuses it itself); the error is logged', async () => {
  const p = await launch(executable, { PLUGIN_PROTOCOL_VERSIONS: '1' });
  try {
    expect(p.stdout()).toMatch(/^1\|2\|tcp\|/);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.stderr().map((l) => JSON.parse(l))).toEqual(expect.arrayContaining([expect.objectContaining({ '@level': 'error', offered: '1' })]));
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

test('the launcher script runs the bundle with the system node, for Alpine hosts', async () => {
  const p = await launch(LAUNCHER);
  const health = client('grpc.health.v1.Health', p.address);
  try {
    expect(await call(health, 'Check', { service: 'plugin' })).toEqual({ status: 'SERVING' });
    const sent = Date.now();
    p.child.kill('SIGTERM');
    const { code, at } = await p.exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(2000);
  } finally {
    health.close();
    p.child.kill('SIGKILL');
  }
});
