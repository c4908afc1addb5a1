// docker-compose.yml: valid for Compose itself (`docker-compose config -q`, no Docker engine needed) and wired
// the way the plugin, the provisioning files and the service expect.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { buildCli } from '../../src/service/cli';
import { BATCH_BYTES } from '../../src/service/ingest';
import { MAX_UNPACKED_BYTES } from '../../src/service/ingest/recordsArray';
import { ROOT, loadYaml } from './support';
import { spawnServe } from '../support/cli';
import { tempDir } from '../support/temp';
import { refusedUrl } from '../support/net';

const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));
const haveCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!haveCompose) {
  // CI installs it (.ci/run); locally: apt-get install -y --no-install-recommends docker-compose
  console.warn('docker-compose config check SKIPPED: `docker-compose` is not installed (apt-get install -y --no-install-recommends docker-compose)');
}
const testWithCompose = haveCompose ? test : test.skip;

function runConfig(env: Record<string, string>) {
  // A clean environment: nothing from the caller's shell (AWS keys, a real token) leaks into the check.
  const clean = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env };
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env: clean, encoding: 'utf8' });
}

testWithCompose('docker-compose config -q accepts the file', () => {
  const result = runConfig({ TRAILHOUND_TOKEN: 'a-test-token' });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
});

testWithCompose('without TRAILHOUND_TOKEN it refuses to start, saying what to set', () => {
  const result = runConfig({});
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('set TRAILHOUND_TOKEN');
});

test('Grafana: a pinned glibc image, the plugin, provisioning and dashboards mounted, the unsigned plugin allowed', () => {
  const grafana = compose.services.grafana;
  expect(grafana.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+-ubuntu$/);
  expect(grafana.volumes).toEqual(
    expect.arrayContaining([
      './dist:/var/lib/grafana/plugins/trailhound-cloudtrail-datasource:ro',
      './provisioning:/etc/grafana/provisioning:ro',
      expect.stringMatching(/^\.\/dashboards:\/var\/lib\/grafana\/dashboards\/trailhound(:ro)?$/),
    ])
  );
  // The dashboard provider reads where the dashboards are mounted.
  const provider = loadYaml('dashboards/trailhound.yaml').providers[0];
  expect(grafana.volumes).toContain(`./dashboards:${provider.options.path}:ro`);
  expect(grafana.environment).toMatchObject({
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: 'trailhound-cloudtrail-datasource',
    TRAILHOUND_TOKEN: expect.stringMatching(/^\$\{TRAILHOUND_TOKEN:\?/),
  });
  const pluginJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'plugin.json'), 'utf8'));
  expect(pluginJson.id).toBe('trailhound-cloudtrail-datasource');
});

test('the service: built from the Dockerfile, a named volume for its DuckDB file, the same token, ports only on loopback', () => {
  const service = compose.services.trailhound;
  expect(service.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
  expect(service.environment).toMatchObject({
    TRAILHOUND_DB: '/data/trailhound.duckdb',
    TRAILHOUND_TOKEN: compose.services.grafana.environment.TRAILHOUND_TOKEN,
  });
  const passedThrough = [
    'TRAILHOUND_SOURCE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE',
    'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_CLOUDTRAIL',
  ];
  for (const key of passedThrough) {
    // Passed through from the shell only when set there: an empty AWS_REGION would be taken as a region.
    expect([key, key in service.environment, service.environment[key]]).toEqual([key, true, null]);
  }
  // Signals from the first moment: Node as PID 1 ignores one it has no handler for yet.
  expect(service.init).toBe(true);
  expect(service.volumes).toContain('trailhound-data:/data');
  expect(Object.keys(compose.volumes)).toContain('trailhound-data');
  for (const s of Object.values(compose.services) as Array<{ ports?: string[] }>) {
    for (const port of s.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  }
  // The data source reaches the service by its compose name.
  expect(loadYaml('datasources/trailhound.yaml').datasources[0].jsonData.url).toBe('http://trailhound:7480');
});

test('both containers run without Linux capabilities and cannot gain privileges (setuid binaries): neither needs any', () => {
  // The service runs as node on port 7480, Grafana as its own user on 3000: a foothold in either gains nothing more.
  for (const name of ['trailhound', 'grafana']) {
    const service = compose.services[name];
    expect([name, service.cap_drop]).toEqual([name, ['ALL']]);
    expect([name, service.security_opt]).toEqual([name, ['no-new-privileges:true']]);
    expect([name, service.cap_add]).toEqual([name, undefined]);
  }
});

/** Where each container writes, each a volume or a tmpfs over a read-only root: what a foothold could change. */
const WRITABLE = { trailhound: ['/data', '/tmp'], grafana: ['/var/lib/grafana', '/tmp'] };

test('both root filesystems are read-only, with a volume for their data and a tmpfs for /tmp', () => {
  expect(path.posix.dirname(compose.services.trailhound.environment.TRAILHOUND_DB)).toBe('/data');
  for (const [name, places] of Object.entries(WRITABLE)) {
    const service = compose.services[name];
    const tmpfs = (service.tmpfs ?? []).map((entry: string) => entry.split(':')[0]);
    const mounted = [...(service.volumes as string[]).filter((v) => !v.endsWith(':ro')).map((v) => v.split(':')[1]), ...tmpfs];
    expect([name, service.read_only, mounted.sort()]).toEqual([name, true, [...places].sort()]);
  }
  // File logs would go to /var/log/grafana, on the read-only root.
  expect(compose.services.grafana.environment.GF_LOG_MODE).toBe('console');
});

testWithCompose('Compose itself reads the read-only roots and the tmpfs mounts as such', () => {
  const clean = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TRAILHOUND_TOKEN: 'a-test-token' };
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: clean, encoding: 'utf8' });
  expect(result.status).toBe(0);
  const resolved = YAML.parse(result.stdout);
  for (const name of Object.keys(WRITABLE)) {
    expect([name, resolved.services[name].read_only, resolved.services[name].tmpfs]).toEqual([name, true, compose.services[name].tmpfs]);
    expect([name, resolved.services[name].tmpfs]).toEqual([name, [expect.stringMatching(/^\/tmp:size=\d+[kmg]$/)]]);
  }
});

/** A tmpfs mount's size option in bytes (the kernel's k, m and g are of 1024), or undefined when it has none. */
function tmpfsSize(entry: string): number | undefined {
  const m = /(?:^|[:,])size=(\d+)([kmg]?)(?:,|$)/.exec(entry);
  return m ? Number(m[1]) * 1024 ** ' kmg'.indexOf(m[2] || ' ') : undefined;
}

test('each tmpfs on /tmp has a size cap that fits what it must hold (a tmpfs is memory, by default up to half the host\'s)', () => {
  const [serviceTmp] = compose.services.trailhound.tmpfs;
  const [grafanaTmp] = compose.services.grafana.tmpfs;
  // At once, the service holds a batch's downloads and the next batch's: a lone big file's (refused past
  // MAX_UNPACKED_BYTES unpacked) or a batch's of BATCH_BYTES unpacked, each gzip about a tenth of it. A big file's copies
  // (staged, or with invalid UTF-8 replaced) go beside the database (Database.stagingDir), on /data; a folder source's
  // links for odd names take next to nothing.
  const download = Math.max(MAX_UNPACKED_BYTES, BATCH_BYTES) / 10;
  const needed = 2 * download;
  expect(tmpfsSize(serviceTmp)).toBeGreaterThanOrEqual(needed);
  expect(tmpfsSize(serviceTmp)).toBeLessThanOrEqual(1.25 * needed);
  // Grafana stages a catalog plugin's download there, tens of MB.
  expect(tmpfsSize(grafanaTmp)).toBeGreaterThanOrEqual(128 * 1024 ** 2);
  expect(tmpfsSize(grafanaTmp)).toBeLessThanOrEqual(512 * 1024 ** 2);
  expect([tmpfsSize('/tmp:size=64m'), tmpfsSize('/tmp:mode=1777,size=5g'), tmpfsSize('/tmp:size=4096'), tmpfsSize('/tmp')])
    .toEqual([64 * 1024 ** 2, 5 * 1024 ** 3, 4096, undefined]);
});

test("the service is given every TRAILHOUND_* setting serve's help and trailhound --help name, from the shell when set there", () => {
  const cli = buildCli();
  let help = '';
  // trailhound --help names the settings of every command (TRAILHOUND_DEBUG), serve --help its own.
  for (const command of [cli, cli.commands.find((c) => c.name() === 'serve')!]) {
    command.configureOutput({ writeOut: (s) => (help += s) });
    command.outputHelp();
  }
  const named = [...new Set(help.match(/TRAILHOUND_[A-Z0-9_]+/g))];
  // The memory cap and the log level among them: a user who sets them for `docker compose up` must not be ignored.
  expect(named).toEqual(expect.arrayContaining([
    'TRAILHOUND_MEMORY_LIMIT', 'TRAILHOUND_LOG_LEVEL', 'TRAILHOUND_CLOUDTRAIL_ENDPOINT', 'TRAILHOUND_SOURCE', 'TRAILHOUND_DEBUG',
  ]));
  expect(named.filter((name) => !(name in compose.services.trailhound.environment))).toEqual([]);
});

test('the Dockerfile: Node 22 on Debian, the CLI serving on every interface of the container', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^FROM node:22-bookworm-slim$/m);
  expect(dockerfile).toMatch(/^RUN npm ci\b/m);
  // Where TRAILHOUND_LISTEN says, which the health check reads too: a --listen in the CMD would win over it.
  expect(dockerfile).toMatch(/^CMD \["node", "bin\/trailhound", "serve"\]$/m);
  expect(dockerfile).toMatch(/^ {4}TRAILHOUND_LISTEN=0\.0\.0\.0:7480$/m);
  expect(compose.services.trailhound.environment.TRAILHOUND_LISTEN).toBe('0.0.0.0:7480');
  // Everything the CMD needs is copied in; what the image does not need stays out (.dockerignore).
  for (const needed of ['package.json', 'package-lock.json', 'bin', 'src']) {
    expect(dockerfile).toMatch(new RegExp(`^COPY .*\\b${needed.replace('.', '\\.')}\\b`, 'm'));
  }
  const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['node_modules', 'data', '.git', 'dist']) expect(ignored).toContain(entry);
  // The data folder is the service's user's only; Grafana has no need of it (it asks the API), nor mounts it.
  expect(dockerfile).toMatch(/^RUN mkdir -p \/data && chown node:node \/data && chmod 700 \/data$/m);
  expect(JSON.stringify(compose.services.grafana.volumes)).not.toContain('trailhound-data');
});

/** The Dockerfile's HEALTHCHECK: its options, and its command (the exec form's list). */
function imageHealthcheck(): { options: Record<string, string>; command: string[] } {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, '');
  const m = /^HEALTHCHECK((?: --[a-z-]+=\S+)*) CMD (\[.*\])$/m.exec(dockerfile);
  if (!m) throw new Error('the Dockerfile has no HEALTHCHECK … CMD [ … ] line');
  return { options: Object.fromEntries([...m[1].matchAll(/--([a-z-]+)=(\S+)/g)].map(([, name, value]) => [name, value])), command: JSON.parse(m[2]) };
}

test('the image has a health check of its own (docker run users get one), and compose runs the same', () => {
  const { options, command } = imageHealthcheck();
  const healthcheck = compose.services.trailhound.healthcheck;
  expect(healthcheck.test).toEqual(['CMD', ...command]);
  expect(options).toEqual({
    interval: healthcheck.interval, timeout: healthcheck.timeout, 'start-period': healthcheck.start_period, retries: String(healthcheck.retries),
  });
  // Long enough for a first start (the sample) before a failing check counts.
  expect(options['start-period']).toBe('120s');
});

test('the health check passes on the address TRAILHOUND_LISTEN names while serve answers there, and fails where nothing does', async () => {
  const { command } = imageHealthcheck();
  const dir = tempDir();
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs);
  const serve = await spawnServe(
    ['--db', path.join(dir, 'db.duckdb'), '--source', logs, '--poll-interval', '3600', '--listen', '127.0.0.1:0'],
    { TRAILHOUND_TOKEN: 'a-long-enough-test-token' }
  );
  /** The check's exit code, run as Docker runs it in the container: with the container's TRAILHOUND_LISTEN. */
  const check = (listen: string) =>
    spawnSync(command[0], command.slice(1), { env: { PATH: process.env.PATH ?? '', TRAILHOUND_LISTEN: listen }, timeout: 10_000 }).status;
  try {
    const port = new URL(serve.url).port;
    expect(check(`0.0.0.0:${port}`)).toBe(0);
    expect(check(`:${port}`)).toBe(0);
    expect(check(`0.0.0.0:${new URL(await refusedUrl()).port}`)).toBe(1);
    // An address of its own is asked there, not on 127.0.0.1 (serve listens on 127.0.0.1 alone: 127.0.0.2 is refused).
    expect(check(`127.0.0.1:${port}`)).toBe(0);
    expect(check(`127.0.0.2:${port}`)).toBe(1);
  } finally {
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
