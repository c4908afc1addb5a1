// The frontend build, run for real with webpack into a temporary folder: Grafana can load what it produces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillPluginJson } from '../../.config/webpack/webpack.config';
import { buildFrontend } from './support/frontend';

const ROOT = path.resolve(__dirname, '..', '..');
let out: string;

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-frontend-'));
  expect(await buildFrontend(out)).toBe('');
}, 120_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('npm run build:frontend', () => {
  it('writes an AMD module that leaves Grafana’s shared libraries external', () => {
    const js = fs.readFileSync(path.join(out, 'module.js'), 'utf8');
    const deps = JSON.parse(/define\((\[[^\]]*\])/.exec(js)![1]) as string[];
    expect(deps).toEqual(expect.arrayContaining(['@grafana/data', '@grafana/runtime', '@grafana/ui', 'react', 'react/jsx-runtime', 'rxjs']));
    // React itself, its JSX runtime (which reads React's internals) and Grafana UI are never bundled.
    expect(js).not.toContain('react.production');
    expect(js).not.toMatch(/__SECRET_INTERNALS_DO_NOT_USE/);
    expect(fs.statSync(path.join(out, 'module.js')).size).toBeLessThan(500_000);
  });

  it('copies plugin.json with its version and date filled in, the plugin’s README, LICENSE, NOTICE, CHANGELOG, logo and screenshots', () => {
    const pluginJson = JSON.parse(fs.readFileSync(path.join(out, 'plugin.json'), 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pluginJson).toMatchObject({
      id: 'trailhound-cloudtrail-datasource',
      type: 'datasource',
      backend: true,
      executable: 'gpx_trailhound',
      alerting: true,
      annotations: true,
      logs: true,
      metrics: true,
      info: { version: pkg.version, logos: { small: 'img/logo.svg', large: 'img/logo.svg' } },
    });
    expect(pluginJson.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The plugin's own README, not the repository's, whose links lead to files Grafana's plugin page does not have.
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'src', 'plugin', 'README.md'), 'utf8'));
    const sameFile = (copy: string, original: string) => fs.readFileSync(path.join(out, copy)).equals(fs.readFileSync(path.join(ROOT, original)));
    for (const file of ['LICENSE', 'NOTICE', 'CHANGELOG.md']) expect([file, sameFile(file, file)]).toEqual([file, true]);
    expect(fs.readFileSync(path.join(out, 'img', 'logo.svg'), 'utf8')).toContain('<svg');
    expect(pluginJson.info.screenshots.length).toBeGreaterThan(0);
    for (const { path: shot } of pluginJson.info.screenshots) {
      expect([shot, sameFile(shot, path.join('docs', 'screenshots', path.basename(shot)))]).toEqual([shot, true]);
    }
  });

  it('fills every placeholder', () => {
    expect(fillPluginJson('"%VERSION%" "%TODAY%" "%VERSION%"', new Date('2026-01-02T03:04:05Z'))).toMatch(/^"\d+\.\d+\.\d+[^"]*" "2026-01-02" "\d/);
  });
});
