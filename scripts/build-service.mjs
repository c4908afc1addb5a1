// Compiles the trailhound CLI into one CommonJS file, build/service/trailhound.cjs, which bin/trailhound runs
// when present. Packages stay in node_modules (DuckDB's binary and pino's worker threads must load from there),
// so a production install needs `npm ci --omit=dev` and this file, not tsx.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'src/service/main.ts')],
  outfile: path.join(root, 'build/service/trailhound.cjs'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log('built build/service/trailhound.cjs');
