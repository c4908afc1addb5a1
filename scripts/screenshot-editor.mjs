#!/usr/bin/env node
// Photographs the plugin's editors, built from source, in headless Chromium (Debian package `chromium`), in
// Grafana's font Inter (Debian package `fonts-inter`; without it Chromium takes another, wider, and labels wrap):
// bundles tests/plugin/screenshot/harness.tsx with esbuild, serves it on loopback with Grafana UI's icons, and
// saves PNGs into docs/screenshots/. Usage: npm run screenshot [-- --chromium /path/to/chromium]
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, 'docs', 'screenshots');
const ICONS = path.join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons');

const SHOTS = [
  { file: 'query-editor.png', query: 'view=query', size: '1480,600' },
  { file: 'query-editor-filter.png', query: 'view=query&open=filter-region', size: '1480,720' },
  { file: 'query-editor-ingest.png', query: 'view=ingest', size: '1480,300' },
  { file: 'variable-editor.png', query: 'view=variable', size: '900,220' },
  { file: 'config-editor.png', query: 'view=config', size: '1100,1240' },
];

function findChromium() {
  const i = process.argv.indexOf('--chromium');
  const candidates = [
    i > 0 ? process.argv[i + 1] : undefined, process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome',
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) {
    console.error('No Chromium found: install it (Debian: apt-get install chromium) or pass --chromium /path/to/chrome');
    process.exit(1);
  }
  return found;
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.map': 'application/json',
};

function serve(dir) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Grafana UI's <Icon> loads /public/build/img/icons/<set>/<name>.svg.
    const file = url.pathname.startsWith('/public/build/img/icons/')
      ? path.join(ICONS, url.pathname.slice('/public/build/img/icons/'.length))
      : path.join(dir, url.pathname === '/' ? 'index.html' : url.pathname);
    const base = url.pathname.startsWith('/public/') ? ICONS : dir;
    if (!path.resolve(file).startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs a program to its end and gives back what it wrote on stderr (Chromium's own complaints included). */
function run(program, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(stderr);
    });
  });
}

/** Says so when Grafana's font is missing: the shots would still be taken, in a wider font that wraps labels. */
function checkFont() {
  const found = spawnSync('fc-list', [':family=Inter', 'family'], { encoding: 'utf8' });
  if (found.error || !found.stdout.trim()) console.warn("Grafana's font Inter is not installed (Debian: apt-get install fonts-inter): the shots use another");
}

async function main() {
  const chromium = findChromium();
  checkFont();
  const work = mkdtempSync(path.join(tmpdir(), 'trailhound-shot-'));
  try {
    await build({
      entryPoints: [path.join(ROOT, 'tests', 'plugin', 'screenshot', 'harness.tsx')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      jsx: 'automatic',
      minify: true,
      outfile: path.join(work, 'harness.js'),
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      loader: { '.svg': 'text', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.png': 'file' },
      logLevel: 'error',
    });
    writeFileSync(
      path.join(work, 'index.html'),
      `<!doctype html><html><head><meta charset="utf-8"><title>Trailhound editors</title>
<script>window.__grafana_public_path__ = '/public/';</script></head>
<body><div id="root"></div><script src="harness.js"></script></body></html>`
    );
    const server = await serve(work);
    const { port } = server.address();
    mkdirSync(OUT_DIR, { recursive: true });
    let failed = false;
    for (const shot of SHOTS) {
      const target = path.join(OUT_DIR, shot.file);
      rmSync(target, { force: true });
      // Asynchronous: the page is served from this same process.
      const result = await run(
        chromium,
        [
          '--headless=new',
          '--no-sandbox',
          '--disable-gpu',
          '--hide-scrollbars',
          '--force-device-scale-factor=1',
          `--window-size=${shot.size}`,
          // Let async lookups, timers and icon fetches settle before the picture is taken.
          '--virtual-time-budget=6000',
          `--screenshot=${target}`,
          `http://127.0.0.1:${port}/index.html?${shot.query}`,
        ],
        120_000
      );
      const ok = existsSync(target) && statSync(target).size > 1000;
      console.log(`${ok ? 'saved' : 'FAILED'} ${path.relative(ROOT, target)}`);
      if (!ok) {
        failed = true;
        console.error(result);
      }
    }
    server.close();
    process.exitCode = failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
