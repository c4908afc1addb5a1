// What Grafana's plugin validator checks in a plugin archive, reproduced for tests (the validator itself is a Go
// program whose modules cannot be fetched here). Each problem starts with the name of the validator's rule it
// stands for. The checks read a list of entries, so a test can break one thing at a time without rewriting files.
import fs from 'node:fs';
import path from 'node:path';

export interface ArchiveEntry {
  /** Relative to the archive's root, with forward slashes; folders end with '/'. */
  path: string;
  /** Unix permission bits (0o755 …). */
  mode: number;
  read: () => Buffer;
}

/** The entries of a folder an archive was extracted into, with the modes the extraction gave them. */
export function readExtracted(dir: string, prefix = ''): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const stat = fs.statSync(full);
    if (stat.isDirectory()) {
      entries.push({ path: `${prefix}${name}/`, mode: stat.mode & 0o777, read: () => Buffer.alloc(0) });
      entries.push(...readExtracted(full, `${prefix}${name}/`));
    } else {
      entries.push({ path: `${prefix}${name}`, mode: stat.mode & 0o777, read: () => fs.readFileSync(full) });
    }
  }
  return entries;
}

// The plugin.json schema's patterns for these fields (Grafana's docs/sources/developers/plugins/plugin.schema.json).
const ID_PATTERN = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;
const TYPES = ['app', 'datasource', 'panel', 'renderer'];
const VERSION_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const GRAFANA_DEPENDENCY_PATTERN = /^(<=|>=|<|>|=|~|\^)?\d+(\.[0-9x*]+){0,2}(-[0-9A-Za-z.-]+)?$/;
// The Apache License 2.0's section titles: all nine are there only in the full text.
const APACHE_SECTIONS = [
  '1. Definitions.',
  '2. Grant of Copyright License.',
  '3. Grant of Patent License.',
  '4. Redistribution.',
  '5. Submission of Contributions.',
  '6. Trademarks.',
  '7. Disclaimer of Warranty.',
  '8. Limitation of Liability.',
  '9. Accepting Warranty or Additional Liability.',
];
// Elements the validator's SVG check refuses; any on* attribute is refused too.
const UNSAFE_SVG = /<\s*(script|iframe|audio|math|noscript|noembed|noframes|template|plaintext|xmp|annotation-xml)\b|\son[a-z]+\s*=/i;

/** The image type a file's first bytes say it is, as the validator's content sniffing would (PNG, JPEG, GIF, SVG). */
function imageType(data: Buffer): string | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return '.png';
  if (data.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return '.jpg';
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return '.gif';
  if (data.subarray(0, 512).toString('utf8').includes('<svg')) return '.svg';
  return undefined;
}

/** True when the file is a 64-bit x86-64 ELF executable: what Grafana runs as <executable>_linux_amd64. */
function isLinuxAmd64Elf(data: Buffer): boolean {
  const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
  const ELFCLASS64 = 2;
  const EM_X86_64 = 0x3e;
  return data.length > 20 && data.subarray(0, 4).equals(ELF_MAGIC) && data[4] === ELFCLASS64 && data.readUInt16LE(18) === EM_X86_64;
}

/** Every problem the validator would report for these entries (an empty list: none). */
export function pluginArchiveProblems(entries: ArchiveEntry[]): string[] {
  const problems: string[] = [];
  const report = (rule: string, message: string) => problems.push(`${rule}: ${message}`);

  // archive: one folder at the top, named after the plugin id (archivename), not a dist/ folder.
  const tops = [...new Set(entries.map((e) => e.path.split('/')[0]))];
  if (tops.length === 0) return ['empty-archive: the archive is empty'];
  if (tops.length > 1) return [`more-than-one-dir: the archive holds ${tops.join(', ')} at its top, not one folder`];
  const top = tops[0];
  if (!entries.some((e) => e.path.startsWith(`${top}/`))) return [`no-root-dir: ${top} at the archive's top is a file, not a folder`];
  if (entries.some((e) => e.path.startsWith(`${top}/dist/`))) report('dist', `${top}/dist/ should be the plugin folder itself`);

  const files = new Map(entries.filter((e) => !e.path.endsWith('/')).map((e) => [e.path.slice(top.length + 1), e]));
  const text = (file: string) => files.get(file)?.read().toString('utf8');

  // metadata, metadatavalid (the schema's patterns), typesuffix, pluginname, discoverability, grafanadependency.
  const pluginJsonText = text('plugin.json');
  if (pluginJsonText === undefined) return [...problems, 'missing-metadata: no plugin.json at the plugin folder’s top'];
  let plugin: any;
  try {
    plugin = JSON.parse(pluginJsonText);
  } catch (err) {
    return [...problems, `invalid-metadata: plugin.json is not JSON (${(err as Error).message})`];
  }
  if (top !== plugin.id) report('no-ident-root-dir', `the archive's folder is ${top}, not the plugin id ${plugin.id}`);
  if (!ID_PATTERN.test(plugin.id ?? '')) report('invalid-metadata', `id ${plugin.id} is not org-name-type`);
  if (!TYPES.includes(plugin.type)) report('invalid-metadata', `type ${plugin.type} is not one of ${TYPES.join(', ')}`);
  if (plugin.type && !String(plugin.id).endsWith(`-${plugin.type}`)) report('plugin-type-suffix', `id ${plugin.id} does not end with -${plugin.type}`);
  if (!plugin.name || plugin.name === plugin.id) report('human-friendly-name', `name ${JSON.stringify(plugin.name)} is empty or the id`);
  if (pluginJsonText.includes('%VERSION%') || pluginJsonText.includes('%TODAY%')) report('invalid-metadata', 'plugin.json still holds %VERSION% or %TODAY%');
  if (!VERSION_PATTERN.test(plugin.info?.version ?? '')) report('wrong-plugin-version', `info.version ${plugin.info?.version} is not a semantic version`);
  if (!DATE_PATTERN.test(plugin.info?.updated ?? '')) report('invalid-metadata', `info.updated ${plugin.info?.updated} is not YYYY-MM-DD`);
  if (!plugin.info?.description) report('empty-description', 'info.description is empty');
  if (!(plugin.info?.keywords?.length > 0)) report('empty-keywords', 'info.keywords is empty');
  if (!GRAFANA_DEPENDENCY_PATTERN.test(plugin.dependencies?.grafanaDependency ?? '')) {
    report('invalid-grafana-dependency', `dependencies.grafanaDependency ${plugin.dependencies?.grafanaDependency} is not a version range`);
  }
  // brokenlinks requests every link: each needs a name and an absolute address.
  for (const link of plugin.info?.links ?? []) {
    if (!link.name || !/^https?:\/\/[^/\s]+/.test(link.url ?? '')) {
      report('invalid-metadata', `info.links entry ${JSON.stringify(link)} needs a name and an http(s) URL`);
    }
  }
  const nested = [...files.keys()].filter((f) => f.endsWith('/plugin.json'));
  if (nested.length > 0 && plugin.type !== 'app') report('nested-plugin-id-in-non-app', `${nested.join(', ')}: only app plugins hold other plugins`);

  // modulejs, jssourcemap.
  const modules = [...files.keys()].filter((f) => f === 'module.js' || f.endsWith('/module.js'));
  if (modules.length === 0) report('missing-modulejs', 'no module.js');
  for (const m of modules) if (!files.has(`${m}.map`)) report('js-map-not-found', `${m}.map is missing`);

  // backendbinary, binarypermissions: every file named after the executable, beside plugin.json, is exactly 0755.
  if (plugin.alerting && !plugin.backend) report('alerting-found-but-backend-false', 'alerting without a backend');
  if (plugin.backend && !plugin.executable) report('backend-binary-mission', 'backend without an executable');
  if (plugin.executable) {
    const folder = path.posix.dirname(plugin.executable) === '.' ? '' : `${path.posix.dirname(plugin.executable)}/`;
    const name = path.posix.basename(plugin.executable);
    const binaries = [...files.entries()].filter(([f]) => f.startsWith(folder) && path.posix.basename(f).startsWith(name));
    if (binaries.length === 0) report('binary-executable-found', `no file named ${plugin.executable}*`);
    for (const [file, entry] of binaries) {
      if (entry.mode !== 0o755) report('binary-executable-permissions', `${file} is ${entry.mode.toString(8).padStart(4, '0')}, not 0755`);
    }
    // The validator reads Go build information here (GOOS=linux, GOARCH=amd64); this backend is a Node executable,
    // so what can be checked is the ELF header Grafana's host runs.
    const linuxAmd64 = files.get(`${folder}${name}_linux_amd64`);
    if (!linuxAmd64) report('backend-binary-not-linux-amd64', `no ${plugin.executable}_linux_amd64`);
    else if (!isLinuxAmd64Elf(linuxAmd64.read())) report('backend-binary-not-linux-amd64', `${plugin.executable}_linux_amd64 is not an x86-64 ELF executable`);
  }
  // manifest (for signed archives): every file readable by everyone, so Grafana's user can read it.
  for (const [file, entry] of files) {
    if ((entry.mode & 0o444) !== 0o444) report('wrong-permissions', `${file} is ${entry.mode.toString(8)}, not readable by all`);
  }

  // license: a license file the validator's detector takes for an accepted one (Apache 2.0 here), template filled.
  const license = text('LICENSE');
  if (license === undefined) report('license-not-provided', 'no LICENSE');
  else {
    const absent = APACHE_SECTIONS.filter((s) => !license.includes(s));
    if (!license.includes('Apache License') || !license.includes('Version 2.0, January 2004') || absent.length > 0) {
      report('license-not-valid', `LICENSE is not the full Apache License 2.0 text${absent.length > 0 ? ` (missing ${absent.join(', ')})` : ''}`);
    }
    if (license.includes('{yyyy}') || license.includes('{name of copyright owner}')) {
      report('license-with-generic-text', 'LICENSE holds {yyyy} or {name of copyright owner}');
    }
  }

  // changelog: present, not empty, and (our own rule) with an entry for this version.
  const changelog = text('CHANGELOG.md');
  if (!changelog?.trim()) report('missing-changelog', 'CHANGELOG.md is missing or empty');
  else if (!new RegExp(`^#+ \\[?${String(plugin.info?.version).replace(/\./g, '\\.')}\\b`, 'm').test(changelog)) {
    report('missing-changelog', `CHANGELOG.md has no heading for version ${plugin.info?.version}`);
  }

  // readme, templatereadme, brokenlinks: links must be absolute, a relative one leads nowhere on the plugin's page.
  const readme = text('README.md');
  if (!readme?.trim()) report('missing-readme', 'README.md is missing or empty');
  else {
    if (/<!--(.*?)-->/.test(readme)) report('readme-comment', 'README.md holds an HTML comment');
    if (/Grafana (Panel|Data Source|Datasource|App|Data Source Backend) Plugin Template/i.test(readme)) {
      report('template-readme', 'README.md is create-plugin’s template');
    }
    for (const [, target] of readme.matchAll(/\[.+?\]\((.+?)\)/g)) {
      const address = target.trim().split(/\s+/)[0];
      if (!/^(#|mailto:|https?:\/\/)/.test(address)) report('relative-link', `README.md links to ${address}, relative`);
    }
  }

  // logos, screenshots, metadatapaths: paths relative to plugin.json, present in the archive, of the type they say.
  if (!(plugin.info?.screenshots?.length > 0)) report('screenshots', 'plugin.json lists no screenshots');
  const images = [
    ['small logo', plugin.info?.logos?.small],
    ['large logo', plugin.info?.logos?.large],
    ...(plugin.info?.screenshots ?? []).map((s: { path?: string }) => ['screenshot', s.path]),
  ] as Array<[string, string | undefined]>;
  for (const [kind, image] of images) {
    if (!image?.trim()) report('logos', `the ${kind}'s path is empty`);
    else if (/^[a-z][a-z0-9+.-]*:/i.test(image)) report('path-relative-to-metadata', `the ${kind} ${image} is not a path inside the plugin`);
    else if (image.startsWith('.') || image.startsWith('/')) report('invalid-relative-path', `the ${kind} ${image} starts with '.' or '/'`);
    else if (!files.has(image)) report('path-not-exists', `the ${kind} ${image} is not in the archive`);
    else {
      const type = imageType(files.get(image)!.read());
      const extension = path.posix.extname(image).toLowerCase().replace('.jpeg', '.jpg');
      if (type === undefined || type !== extension) report('screenshots-image-type', `the ${kind} ${image} holds ${type ?? 'no PNG, JPEG, GIF or SVG'}`);
    }
  }

  // unsafesvg.
  for (const [file, entry] of files) {
    if (file.endsWith('.svg') && UNSAFE_SVG.test(entry.read().toString('utf8'))) {
      report('unsafe-svg-file', `${file} holds a script-like element or an on* attribute`);
    }
  }
  return problems;
}
