#!/usr/bin/env node
// Builds the Grafana backend plugin executable:
//   dist/gpx_trailhound.cjs                  one self-contained CommonJS bundle (protos inlined)
//   dist/gpx_trailhound_linux_amd64          a Node single executable application of that bundle
//   dist/gpx_trailhound_linux_amd64.sh       the same bundle run by the system's node (Alpine/musl hosts)
// Usage: node scripts/build-backend.mjs [--bundle-only]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const protoDir = path.join(root, 'src/backend/proto');
const bundle = path.join(dist, 'gpx_trailhound.cjs');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const goOs = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform] ?? process.platform;
const goArch = { x64: 'amd64', arm64: 'arm64', arm: 'arm' }[process.arch] ?? process.arch;
const executable = path.join(dist, `gpx_trailhound_${goOs}_${goArch}`);

/** Replaces src/backend/protoSources.ts with a module that holds the .proto texts, so nothing is read from disk. */
const inlineProtos = {
  name: 'inline-protos',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]backend[\\/]protoSources\.ts$/ }, () => {
      const files = fs.readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort();
      const texts = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(protoDir, f), 'utf8')]));
      return {
        loader: 'ts',
        contents: `export const PROTO_FILES = ${JSON.stringify(files)};\nconst TEXTS = ${JSON.stringify(texts)};\n` +
          'export function protoSource(name) { return TEXTS[name]; }\n',
        watchFiles: files.map((f) => path.join(protoDir, f)),
      };
    });
  },
};

function step(what) {
  process.stderr.write(`build-backend: ${what}\n`);
}

fs.mkdirSync(dist, { recursive: true });
step('bundling src/backend/main.ts');
await build({
  entryPoints: [path.join(root, 'src/backend/main.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  plugins: [inlineProtos],
  logLevel: 'warning',
  // protobufjs probes for optional modules with an eval'd require; it copes when they are absent.
  logOverride: { 'direct-eval': 'silent' },
  legalComments: 'eof',
  banner: { js: '// Trailhound Grafana backend plugin (bundled). Source: src/backend/.' },
});

// The fallback launcher: for hosts where the glibc-linked executable cannot run (Alpine), with node installed.
const launcher = `${executable}.sh`;
fs.writeFileSync(
  launcher,
  `#!/bin/sh
# Trailhound backend plugin launcher: runs the bundle with the system's node (20 or newer).
# Use it where the single executable cannot run (Alpine / musl): rename it to ${path.basename(executable)}.
# Grafana passes plugins a trimmed environment: if node is not found, write its path into the node= line.
dir=$(dirname "$0")
node=\${TRAILHOUND_NODE:-$(command -v node || echo /usr/local/bin/node)}
exec "$node" "$dir/gpx_trailhound.cjs" "$@"
`,
  { mode: 0o755 }
);

if (process.argv.includes('--bundle-only')) {
  step(`wrote ${path.relative(root, bundle)} and ${path.relative(root, launcher)}`);
  process.exit(0);
}
if (process.platform !== 'linux') {
  // Loud: Grafana (also the docker compose one) runs gpx_trailhound_linux_<arch>, which this build cannot make.
  console.warn(
    `build-backend: WARNING: single executables are built on Linux only (this is ${process.platform}): wrote only the bundle and its launcher, ` +
      'which need a node on the Grafana host. For Grafana on Linux or in Docker, build on Linux, e.g.\n' +
      '  docker run --rm -v "$PWD":/src -w /src node:22-bookworm sh -c "npm ci && npm run build"'
  );
  process.exit(0);
}

// Single executable application (https://nodejs.org/api/single-executable-applications.html):
// a preparation blob of the bundle, injected into a copy of this node binary.
step(`making ${path.relative(root, executable)} (Node ${process.version} single executable)`);
const seaConfig = path.join(dist, 'sea-config.json');
const blob = path.join(dist, 'sea-prep.blob');
fs.writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }, null, 2));
// Its "Wrote … preparation blob" line is shown only when something goes wrong.
try {
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
} catch (err) {
  process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
  throw err;
}
const temporary = `${executable}.tmp`;
fs.rmSync(temporary, { force: true });
fs.copyFileSync(process.execPath, temporary);
fs.chmodSync(temporary, 0o755);
const { inject } = await import('postject');
// postject's ELF library warns about every note section it leaves alone ("Can't find string offset for section
// name '.note…'"): known and harmless (src/backend/README.md), so kept out of the build's output.
const harmless = /Can't find string offset for section name/;
const quiet = (print) => (...args) => harmless.test(String(args[0])) || print(...args);
const [log, warn] = [console.log, console.warn];
[console.log, console.warn] = [quiet(log), quiet(warn)];
try {
  await inject(temporary, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE });
} finally {
  [console.log, console.warn] = [log, warn];
}
// Renamed into place only when complete, so a half-written executable is never picked up.
fs.renameSync(temporary, executable);
fs.rmSync(blob, { force: true });
fs.rmSync(seaConfig, { force: true });
step(`wrote ${path.relative(root, executable)}, ${path.relative(root, bundle)} and ${path.relative(root, launcher)}`);
