// The go-plugin host of tests/backend/harness/main.go: built with Debian's Go packages in GOPATH mode,
// cached by a hash of its source, and driven over JSON lines.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const SOURCE_DIR = path.resolve(__dirname, '../harness');
const GOPATH = '/usr/share/gocode';
export const GO_INSTALL_HINT =
  'apt-get install -y --no-install-recommends golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev';

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function goEnv(): NodeJS.ProcessEnv {
  // CGO off: a pure-Go build needs no C compiler (apt's --no-install-recommends leaves gcc out).
  return { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: path.join(os.tmpdir(), 'trailhound-go-cache') };
}

/** Builds the harness unless a binary of this exact source is cached; returns its path. */
export function buildHarness(): string {
  const source = fs.readFileSync(path.join(SOURCE_DIR, 'main.go'));
  const hash = crypto.createHash('sha256').update(source).update(process.arch).digest('hex').slice(0, 16);
  const binary = path.join(os.tmpdir(), `trailhound-go-plugin-harness-${hash}`);
  if (fs.existsSync(binary)) return binary;
  const temporary = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('go', ['build', '-o', temporary, '.'], { cwd: SOURCE_DIR, env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err: any) {
    throw new Error(`building the go-plugin harness failed (Debian packages: ${GO_INSTALL_HINT}):\n${err.stderr?.toString() ?? err}`);
  }
  fs.renameSync(temporary, binary);
  return binary;
}

export interface HarnessSettings {
  uid?: string;
  id?: number;
  url?: string;
  token?: string;
  lastUpdatedMS?: number;
  jsonData?: string;
}

export interface HarnessReply<T = any> {
  ok: boolean;
  result: T;
  error?: string;
  code?: string;
}

/** One plugin process under go-plugin's client, and the commands sent to it. */
export class HarnessSession {
  readonly stderr: string[] = [];
  private readonly replies: Array<(reply: HarnessReply) => void> = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  ready!: HarnessReply<{ protocolVersion: number; protocol: string; startMs: number; ping: boolean }>;

  private constructor(harness: string, executable: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(harness, [executable], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const next = this.replies.shift();
      if (next) next(JSON.parse(line));
    });
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  static async start(harness: string, executable: string, env: NodeJS.ProcessEnv = {}): Promise<HarnessSession> {
    const session = new HarnessSession(harness, executable, env);
    session.ready = await session.next();
    return session;
  }

  private next(): Promise<HarnessReply> {
    return new Promise((resolve, reject) => {
      this.replies.push(resolve);
      this.exited.then((code) => reject(new Error(`the harness exited (${code}) before answering:\n${this.stderr.join('\n')}`)));
    });
  }

  send<T = any>(command: Record<string, unknown>): Promise<HarnessReply<T>> {
    const reply = this.next();
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return reply as Promise<HarnessReply<T>>;
  }

  /** The plugin's log lines as go-plugin re-logged them (hclog JSON, module host.<executable>). */
  pluginLogs(): Array<Record<string, any>> {
    return this.stderr
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => typeof l['@module'] === 'string' && l['@module'].startsWith('host.'));
  }

  /**
   * The first of the plugin's log lines that `matches`, once go-plugin has re-logged it: the line comes through the
   * plugin's stderr and go-plugin's, the reply to a command through the gRPC call and the harness's stdout, either first.
   */
  async pluginLog(matches: (line: Record<string, any>) => boolean, waitMs = 5000): Promise<Record<string, any> | undefined> {
    for (const end = Date.now() + waitMs; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
      const found = this.pluginLogs().find(matches);
      if (found || Date.now() > end) return found;
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * Ends the session through go-plugin first (a SIGKILL of the host alone would leave the plugin process running),
   * waiting at most `waitMs` for it, then the host. The wait's timer is cleared once go-plugin answers: left pending,
   * it held Jest for its whole length after the last test.
   */
  async close(waitMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
        await Promise.race([this.send({ cmd: 'kill' }).catch(() => undefined), waited]);
      }
    } finally {
      clearTimeout(timer);
      this.kill();
    }
  }
}
