// npm run package: the plugin archive, written by scripts/package-plugin.mjs from a real build, opened by Info-ZIP's
// unzip (an independent reader, as Grafana's and the validator's are) and held to what Grafana's plugin validator
// checks (support/pluginArchive.ts). Each check is also shown failing on an archive broken in that one way.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE, EXECUTABLE, LAUNCHER, ensureBackendBuilt } from '../backend/support/build';
import { buildFrontend } from './support/frontend';
import { type ArchiveEntry, pluginArchiveProblems, readExtracted } from './support/pluginArchive';

const ROOT = path.resolve(__dirname, '..', '..');
const ID = 'trailhound-cloudtrail-datasource';
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const ARCHIVE = `${ID}-${VERSION}.linux_amd64.zip`;

let work: string;
let built: string;
let out: string;
let extracted: string;
let entries: ArchiveEntry[];

beforeAll(async () => {
  // unzip is the reader under test: missing, it is a setup error to fix (.ci/run installs it), never a pass.
  if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('unzip is not installed: apt-get install -y unzip');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-package-'));
  [built, out, extracted] = ['dist', 'out', 'extracted'].map((d) => path.join(work, d));
  fs.mkdirSync(built);
  // What `npm run build` writes to dist/: the frontend here, the backend built once for every test that needs it.
  const [errors] = await Promise.all([buildFrontend(built), ensureBackendBuilt()]);
  expect(errors).toBe('');
  for (const file of [BUNDLE, EXECUTABLE, LAUNCHER]) fs.copyFileSync(file, path.join(built, path.basename(file)));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package-plugin.mjs'), '--dist', built, '--out', out], { stdio: 'pipe' });
  execFileSync('unzip', ['-q', path.join(out, ARCHIVE), '-d', extracted]);
  entries = readExtracted(extracted);
}, 240_000);

afterAll(() => work && fs.rmSync(work, { recursive: true, force: true }));

describe('npm run package', () => {
  it(`writes ${ARCHIVE} and its SHA-1 as sha1sum does`, () => {
    expect(fs.readdirSync(out).sort()).toEqual([ARCHIVE, `${ARCHIVE}.sha1`]);
    const sha1 = crypto.createHash('sha1').update(fs.readFileSync(path.join(out, ARCHIVE))).digest('hex');
    expect(fs.readFileSync(path.join(out, `${ARCHIVE}.sha1`), 'utf8')).toBe(`${sha1}  ${ARCHIVE}\n`);
  });

  it('is a zip unzip reads whole: every entry’s CRC checks', () => {
    const test = spawnSync('unzip', ['-t', path.join(out, ARCHIVE)], { encoding: 'utf8' });
    expect({ status: test.status, last: test.stdout.trim().split('\n').pop() }).toEqual({ status: 0, last: expect.stringMatching(/^No errors detected/) });
  });

  it('holds the plugin folder, named by its id, with the build’s files and nothing else', () => {
    const inBuild = readExtracted(built).map((e) => `${ID}/${e.path}`);
    expect(entries.map((e) => e.path)).toEqual([`${ID}/`, ...inBuild]);
    const packaged = [
      'plugin.json', 'module.js', 'README.md', 'LICENSE', 'NOTICE', 'CHANGELOG.md', 'img/logo.svg',
      'gpx_trailhound_linux_amd64', 'gpx_trailhound_linux_amd64.sh',
    ];
    for (const file of packaged) {
      expect(entries.map((e) => e.path)).toContain(`${ID}/${file}`);
    }
  });

  it('keeps the executables runnable (0755) and byte for byte as built', () => {
    for (const file of [EXECUTABLE, LAUNCHER, BUNDLE]) {
      const entry = entries.find((e) => e.path === `${ID}/${path.basename(file)}`)!;
      expect([entry.path, entry.mode.toString(8)]).toEqual([entry.path, '755']);
      expect([entry.path, entry.read().equals(fs.readFileSync(file))]).toEqual([entry.path, true]);
    }
    expect(entries.find((e) => e.path === `${ID}/plugin.json`)!.mode.toString(8)).toBe('644');
  });

  it('passes what Grafana’s plugin validator checks', () => {
    expect(pluginArchiveProblems(entries)).toEqual([]);
  });
});

describe('the validator’s checks, each failing on an archive broken in its way', () => {
  const at = (file: string) => `${ID}/${file}`;
  const without = (file: string) => (es: ArchiveEntry[]) => es.filter((e) => e.path !== at(file));
  const replace = (file: string, change: (text: string) => string) => (es: ArchiveEntry[]) =>
    es.map((e) => (e.path === at(file) ? { ...e, read: () => Buffer.from(change(e.read().toString('utf8'))) } : e));
  const editPluginJson = (change: (p: any) => void) =>
    replace('plugin.json', (text) => {
      const plugin = JSON.parse(text);
      change(plugin);
      return JSON.stringify(plugin);
    });
  const chmod = (file: string, mode: number) => (es: ArchiveEntry[]) => es.map((e) => (e.path === at(file) ? { ...e, mode } : e));
  const extra = (entry: Partial<ArchiveEntry> & { path: string }) => (es: ArchiveEntry[]) => [...es, { mode: 0o644, read: () => Buffer.from('x'), ...entry }];

  const cases: Array<[string, (es: ArchiveEntry[]) => ArchiveEntry[], string]> = [
    ['a second folder at the top', extra({ path: 'other/README.md' }), 'more-than-one-dir:'],
    ['the folder not named by the id', (es) => es.map((e) => ({ ...e, path: e.path.replace(`${ID}/`, 'dist/') })), 'no-ident-root-dir:'],
    ['a dist/ folder inside', extra({ path: at('dist/module.js') }), 'dist:'],
    ['no plugin.json', without('plugin.json'), 'missing-metadata:'],
    ['plugin.json not JSON', replace('plugin.json', (t) => t.slice(1)), 'invalid-metadata:'],
    ['the version left unfilled', editPluginJson((p) => (p.info.version = '%VERSION%')), 'wrong-plugin-version:'],
    ['the date left unfilled', editPluginJson((p) => (p.info.updated = '%TODAY%')), 'invalid-metadata: plugin.json still holds'],
    ['an id without the type', editPluginJson((p) => (p.id = 'trailhound-cloudtrail')), 'plugin-type-suffix:'],
    ['the id as the name', editPluginJson((p) => (p.name = p.id)), 'human-friendly-name:'],
    ['no keywords', editPluginJson((p) => (p.info.keywords = [])), 'empty-keywords:'],
    ['no description', editPluginJson((p) => (p.info.description = '')), 'empty-description:'],
    ['a Grafana dependency that is no range', editPluginJson((p) => (p.dependencies.grafanaDependency = 'twelve')), 'invalid-grafana-dependency:'],
    ['a link without an address', editPluginJson((p) => (p.info.links = [{ name: 'Documentation', url: 'docs/' }])), 'invalid-metadata: info.links'],
    ['alerting without a backend', editPluginJson((p) => (p.backend = false)), 'alerting-found-but-backend-false:'],
    ['a backend without an executable', editPluginJson((p) => delete p.executable), 'backend-binary-mission:'],
    ['no module.js', without('module.js'), 'missing-modulejs:'],
    ['no source map', without('module.js.map'), 'js-map-not-found:'],
    ['no executable at all', (es) => es.filter((e) => !e.path.startsWith(at('gpx_'))), 'binary-executable-found:'],
    ['the executable not runnable', chmod('gpx_trailhound_linux_amd64', 0o644), 'binary-executable-permissions: gpx_trailhound_linux_amd64 is 0644'],
    ['the bundle beside it not runnable', chmod('gpx_trailhound.cjs', 0o644), 'binary-executable-permissions: gpx_trailhound.cjs'],
    ['no linux_amd64 executable', without('gpx_trailhound_linux_amd64'), 'backend-binary-not-linux-amd64:'],
    ['a linux_amd64 executable that is a script', replace('gpx_trailhound_linux_amd64', () => '#!/bin/sh\n'), 'backend-binary-not-linux-amd64:'],
    ['a file only its owner can read', chmod('README.md', 0o600), 'wrong-permissions:'],
    ['no LICENSE', without('LICENSE'), 'license-not-provided:'],
    ['a LICENSE cut short', replace('LICENSE', (t) => t.slice(0, t.indexOf('5. Submission'))), 'license-not-valid:'],
    ['the license template unfilled', replace('LICENSE', (t) => `${t}\nCopyright {yyyy} {name of copyright owner}\n`), 'license-with-generic-text:'],
    ['no CHANGELOG.md', without('CHANGELOG.md'), 'missing-changelog:'],
    ['a changelog without this version', replace('CHANGELOG.md', (t) => t.replace(/^## .*$/gm, '## 0.0.9')), 'missing-changelog: CHANGELOG.md has no heading'],
    ['an empty README.md', replace('README.md', () => '\n'), 'missing-readme:'],
    ['a comment in the README', replace('README.md', (t) => `${t}<!-- todo -->\n`), 'readme-comment:'],
    ['the template README', replace('README.md', () => '# Grafana Data Source Backend Plugin Template\n'), 'template-readme:'],
    ['a relative link in the README', replace('README.md', (t) => `${t}\nSee [the design](../docs/DESIGN.md).\n`),
      'relative-link: README.md links to ../docs/DESIGN.md'],
    ['a relative image in the README', replace('README.md', (t) => `${t}\n![editor](img/screenshots/query-editor.png)\n`), 'relative-link:'],
    ['no screenshots', editPluginJson((p) => (p.info.screenshots = [])), 'screenshots:'],
    ['a screenshot not in the archive', without('img/screenshots/query-editor.png'), 'path-not-exists: the screenshot img/screenshots/query-editor.png'],
    ['a screenshot path starting with ./', editPluginJson((p) => (p.info.screenshots[0].path = `./${p.info.screenshots[0].path}`)), 'invalid-relative-path:'],
    ['a screenshot by URL', editPluginJson((p) => (p.info.screenshots[0].path = 'https://example.com/a.png')), 'path-relative-to-metadata:'],
    ['a screenshot that is no PNG', replace('img/screenshots/config-editor.png', () => 'not an image'), 'screenshots-image-type:'],
    ['an empty logo path', editPluginJson((p) => (p.info.logos.small = '')), 'logos:'],
    ['a logo not in the archive', without('img/logo.svg'), 'path-not-exists: the small logo'],
    ['a logo with a script', replace('img/logo.svg', (t) => t.replace('<title>', '<script>alert(1)</script><title>')), 'unsafe-svg-file:'],
    ['a nested plugin in a data source', extra({ path: at('nested/plugin.json'), read: () => Buffer.from('{}') }), 'nested-plugin-id-in-non-app:'],
  ];

  it.each(cases)('%s', (_what, breakIt, expected) => {
    expect(pluginArchiveProblems(breakIt(entries))).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  it('an empty archive', () => {
    expect(pluginArchiveProblems([])).toEqual(['empty-archive: the archive is empty']);
  });

  it('a file alone at the top', () => {
    expect(pluginArchiveProblems([{ path: 'module.js', mode: 0o644, read: () => Buffer.from('') }])).toEqual([expect.stringMatching(/^no-root-dir:/)]);
  });
});
