#!/usr/bin/env node
// Packs the built plugin (dist/) into the archive Grafana installs and its plugin validator checks:
//   build/<id>-<version>.<os>_<arch>.zip   one folder named by the plugin id, holding dist/'s files
//   build/<id>-<version>.<os>_<arch>.zip.sha1   its SHA-1, as sha1sum writes it (the catalog's submission asks for it)
// Usage: node scripts/package-plugin.mjs [--dist DIR] [--out DIR]   (`npm run package` builds dist/ first)
// The zip is written here, with Node's own deflate and CRC-32: no zip program is needed, and each file's Unix mode
// is set on purpose (the validator wants every backend file executable, exactly 0755).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : fallback;
}

function fail(message) {
  console.error(`package-plugin: ${message}`);
  process.exit(1);
}

const dist = option('--dist', path.join(root, 'dist'));
const outDir = option('--out', path.join(root, 'build'));

/** dist/'s files, relative with forward slashes, sorted; hidden entries and the backend build's leftovers skipped. */
function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // .build-backend.lock is the tests' build lock; sea-* and *.tmp are what an interrupted backend build leaves.
    if (entry.name.startsWith('.') || /^sea-(config\.json|prep\.blob)$|\.tmp$/.test(entry.name)) continue;
    const relative = prefix + entry.name;
    if (entry.isDirectory()) files.push(...listFiles(path.join(dir, entry.name), `${relative}/`));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

const pluginJsonPath = path.join(dist, 'plugin.json');
if (!fs.existsSync(pluginJsonPath)) fail(`${pluginJsonPath} is missing: run npm run build first`);
const plugin = JSON.parse(fs.readFileSync(pluginJsonPath, 'utf8'));
const version = plugin.info?.version;
if (!plugin.id || !plugin.executable || !/^\d+\.\d+\.\d+/.test(version ?? '')) {
  const found = JSON.stringify({ id: plugin.id, executable: plugin.executable, version });
  fail(`${pluginJsonPath} lacks an id, an executable or a filled-in version (found ${found})`);
}

const files = listFiles(dist);
// Grafana runs <executable>_<os>_<arch>; the .sh launcher beside it is a fallback, not a platform.
const platforms = files.map((f) => new RegExp(`^${plugin.executable}_([a-z0-9]+_[a-z0-9]+)(\\.exe)?$`).exec(f)?.[1]).filter(Boolean);
const missing = ['plugin.json', 'module.js', 'README.md', 'LICENSE', 'CHANGELOG.md', `${plugin.executable}_linux_amd64`].filter((f) => !files.includes(f));
if (missing.length > 0) {
  fail(`${dist} lacks ${missing.join(', ')}: run npm run build (on Linux x86-64 for ${plugin.executable}_linux_amd64, which Grafana's catalog requires)`);
}

const archiveName = `${plugin.id}-${version}${platforms.length === 1 ? `.${platforms[0]}` : ''}.zip`;

/** The file's Unix mode in the archive: every file named after the executable runs (the bundle too), the rest is read. */
const modeOf = (file) => (path.posix.basename(file).startsWith(plugin.executable) ? 0o755 : 0o644);

// DOS date and time, in local time as zip tools show them.
function dosDateTime(date) {
  const year = Math.max(date.getFullYear(), 1980);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

const UTF8_NAMES = 0x0800;
const UNIX = 3;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const MSDOS_DIRECTORY = 0x10;
const ZIP32_LIMIT = 0xffffffff;

/** One entry: a local header with its data now, and the central directory record that points back to it. */
function entry(name, { data, mode, mtime, directory }) {
  const nameBytes = Buffer.from(name, 'utf8');
  const raw = data ?? Buffer.alloc(0);
  const deflated = directory ? raw : zlib.deflateRawSync(raw, { level: 9 });
  const stored = directory || deflated.length >= raw.length;
  const body = stored ? raw : deflated;
  if (raw.length >= ZIP32_LIMIT) fail(`${name} is over 4 GiB, which needs ZIP64: not written here`);
  const crc = zlib.crc32(raw);
  const { time, date } = dosDateTime(mtime);
  const common = (b, at) => {
    b.writeUInt16LE(20, at); // version needed: 2.0 (deflate, folders)
    b.writeUInt16LE(UTF8_NAMES, at + 2);
    b.writeUInt16LE(stored ? 0 : 8, at + 4);
    b.writeUInt16LE(time, at + 6);
    b.writeUInt16LE(date, at + 8);
    b.writeUInt32LE(crc, at + 10);
    b.writeUInt32LE(body.length, at + 14);
    b.writeUInt32LE(raw.length, at + 18);
    b.writeUInt16LE(nameBytes.length, at + 22);
    b.writeUInt16LE(0, at + 24); // no extra field
  };
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  common(local, 4);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((UNIX << 8) | 20, 4); // made by Unix: unzip reads the mode from the high 16 bits below
  common(central, 6);
  // 32: comment length, 34: disk, 36: internal attributes, all 0
  central.writeUInt32LE(((((directory ? S_IFDIR : S_IFREG) | mode) << 16) | (directory ? MSDOS_DIRECTORY : 0)) >>> 0, 38);
  const centralAt = (offset) => {
    central.writeUInt32LE(offset, 42);
    return Buffer.concat([central, nameBytes]);
  };
  return { parts: [local, nameBytes, body], centralAt };
}

fs.mkdirSync(outDir, { recursive: true });
const archivePath = path.join(outDir, archiveName);
const temporary = `${archivePath}.tmp`;
const fd = fs.openSync(temporary, 'w');
const centralRecords = [];
let offset = 0;
const add = (name, options) => {
  const e = entry(name, options);
  centralRecords.push(e.centralAt(offset));
  for (const part of e.parts) offset += fs.writeSync(fd, part);
  if (offset >= ZIP32_LIMIT) fail('the archive is over 4 GiB, which needs ZIP64: not written here');
};

const top = plugin.id;
add(`${top}/`, { mode: 0o755, mtime: fs.statSync(dist).mtime, directory: true });
const folders = new Set();
for (const file of files) {
  const parts = file.split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join('/');
    if (!folders.has(folder)) {
      folders.add(folder);
      add(`${top}/${folder}/`, { mode: 0o755, mtime: fs.statSync(path.join(dist, folder)).mtime, directory: true });
    }
  }
  const full = path.join(dist, file);
  add(`${top}/${file}`, { data: fs.readFileSync(full), mode: modeOf(file), mtime: fs.statSync(full).mtime });
}

const centralDirectory = Buffer.concat(centralRecords);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
// 4, 6: this disk and the directory's disk, both 0
end.writeUInt16LE(centralRecords.length, 8);
end.writeUInt16LE(centralRecords.length, 10);
end.writeUInt32LE(centralDirectory.length, 12);
end.writeUInt32LE(offset, 16);
fs.writeSync(fd, centralDirectory);
fs.writeSync(fd, end);
fs.closeSync(fd);
// Renamed into place only when whole, so a half-written archive is never taken for the real one.
fs.renameSync(temporary, archivePath);

const sha1 = crypto.createHash('sha1').update(fs.readFileSync(archivePath)).digest('hex');
fs.writeFileSync(`${archivePath}.sha1`, `${sha1}  ${archiveName}\n`);
const megabytes = (fs.statSync(archivePath).size / 1e6).toFixed(1);
console.log(`package-plugin: wrote ${path.relative(process.cwd(), archivePath)} (${megabytes} MB, ${files.length} files) and its .sha1: ${sha1}`);
