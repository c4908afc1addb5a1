// Runs the trailhound CLI from the TypeScript sources in a child process, as a user would run it.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** `user`: the uid and gid to run as (a test run as root that needs a folder it cannot write). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, user: Pick<SpawnOptions, 'uid' | 'gid'> = {}): ChildProcess {
  return spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/service/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
}

/**
 * Makes `dir` a folder the CLI's runs cannot write, and removes it afterwards: as root, which writes anywhere, they run
 * as nobody (`user`, for runCli) in a folder root owns; as anyone else, the folder is read-only.
 */
export async function withUnwritableFolder(dir: string, body: (user: Pick<SpawnOptions, 'uid' | 'gid'>) => Promise<void>): Promise<void> {
  const root = process.getuid?.() === 0;
  fs.chmodSync(dir, root ? 0o755 : 0o555);
  try {
    await body(root ? { uid: 65534, gid: 65534 } : {});
  } finally {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  user: Parameters<typeof spawnCli>[2] = {}
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env, user);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close', not 'exit': a process may exit before its output is read from the pipes (a loaded machine read "" then).
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

const quoted = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Whether util-linux's `script`, which runs a command on a pseudo-terminal, is on this machine (Debian: bsdutils). */
export const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

/**
 * The CLI as on a terminal `columns` wide (a pseudo-terminal made by `script`): for what it prints only there. Its
 * stdout and stderr both, as the terminal shows them (lines end in \n, not the terminal's \r\n).
 */
export async function runCliOnTerminal(args: string[], columns: number): Promise<{ code: number | null; output: string }> {
  const cli = [process.execPath, '--require', 'tsx/cjs', path.join(ROOT, 'src/service/main.ts'), ...args];
  const command = `stty cols ${columns} rows 50 && exec ${cli.map(quoted).join(' ')}`;
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output: output.replace(/\r\n/g, '\n') };
}

export interface ServeChild {
  child: ChildProcess;
  /** Where its API answers. */
  url: string;
  /** Everything it printed on stdout so far (its log, as JSON lines). */
  output(): string;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

/** `trailhound serve` in a child process, once its API listens (its arguments should say --listen 127.0.0.1:0). */
export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const child = spawnCli(['serve', ...args], env);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('close', () => reject(new Error(`serve exited: ${out}`)));
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  return {
    child,
    url,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The packages only a command needs: loaded by --version or a help, they made every call of trailhound take seconds. */
export const HEAVY_PACKAGES = ['@duckdb/node-api', '@aws-sdk/client-s3', '@aws-sdk/client-cloudtrail', 'fastify', 'prom-client', 'pino', 'cli-progress'];

/**
 * A script to preload (`NODE_OPTIONS: --require <preload>`) that writes, as the process exits, the packages it loaded;
 * `loaded()` reads them after the run.
 */
export function loadedPackagesProbe(dir: string): { preload: string; loaded: () => string[] } {
  const preload = path.join(dir, 'loaded.cjs');
  const out = path.join(dir, 'loaded.json');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache).map((f) => ` +
      `(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f) || [])[1]).filter(Boolean))));\n`
  );
  return { preload, loaded: () => JSON.parse(fs.readFileSync(out, 'utf8')) };
}
