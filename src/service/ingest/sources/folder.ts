// A local folder of CloudTrail logs: the S3 layout (AWSLogs/...) or plain .json / .json.gz files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { duckDbMisreads } from '../../db/filePaths';
import { isGzipFile } from '../../logFileStream';
import { folderDay, inWindow, isLogFileName, sourceScope, type DayWindow } from '../keys';
import { kinded } from '../../errorKind';
import { READ_FAILED } from '../../../model/api';
import { ObjectGoneError, type FetchedObject, type LogObjectRef, type LogSource, type PassedOver } from './source';

/** A local file has no ETag: size and modification time stand in, so a rewritten file is read again. */
const etagOf = (stat: fs.Stats) => `${stat.size}-${Math.trunc(stat.mtimeMs)}`;

/**
 * Opens the file once, as DuckDB will: one the service's user may not read (EACCES, EPERM) is then refused like a
 * download S3 denies, and waits, where DuckDB's failed read failed the whole batch's load, and the run, at every poll.
 */
function mayRead(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    throw kinded(
      `${file} may not be read by the service's user (${code}): fix the file's permissions (chmod, chown); ` +
        'a chmod leaves its size and time as they were, so the file is not seen as changed',
      'access-denied',
      err
    );
  }
}

/**
 * The folder a source folder's keys are relative to, and what they start with. An organization's, account's,
 * CloudTrail/ or region folder: the trail's (the one holding AWSLogs/), so its files have the keys, and the ledger rows,
 * they have when the trail's folder is the source. Any other folder: itself, as before.
 */
export function folderLedger(folder: string): { ledger: string; keyScope: string } {
  const id = path.resolve(folder);
  const scoped = sourceScope(`${id.split(path.sep).join('/')}/`);
  if (!('root' in scoped) || scoped.scope === '') return { ledger: id, keyScope: '' };
  return { ledger: path.resolve(scoped.root), keyScope: scoped.scope };
}

/** A symbolic link the walk does not follow: it leads outside the source folder, or nowhere. */
interface PassedLink {
  key: string;
  target: string;
  /** Where it leads: outside the folder, or why it leads nowhere (ENOENT: its target is gone; ELOOP; EACCES). */
  problem: 'outside' | string;
}

export class FolderSource implements LogSource {
  readonly id: string;
  /** The folder keys are relative to: the trail's (the one holding AWSLogs/) for a folder of its layout, else the source's. */
  readonly ledger: string;
  readonly keyScope: string;
  /** Its files are read from disk, not downloaded. */
  readonly fetchFailed = READ_FAILED;
  /** The folder with every link resolved: a link is followed only when its target is under it. */
  private readonly root: string;
  private passed: PassedLink[] = [];
  /** Keys (their bytes that are not UTF-8 shown as U+FFFD) of the files and folders the last plan could not name. */
  private unnamed: string[] = [];
  /** Per real file read only through links, the key of the first link to it in the last plan's walk (see entries). */
  private linkKeys = new Map<string, string>();
  /** Where files DuckDB cannot be given by their own path are linked from, made on first need (fetch). */
  private links?: string;
  private linked = 0;

  constructor(folder: string) {
    this.id = path.resolve(folder);
    if (!fs.existsSync(this.id) || !fs.statSync(this.id).isDirectory()) {
      // Where it looked: a relative source is read from the folder the command runs in, which may not be the one meant.
      const there = fs.existsSync(this.id) ? `${this.id} is a file` : `there is nothing at ${this.id}`;
      throw kinded(`${folder} is not a folder (${there}). Give --source an existing folder or an s3://bucket[/prefix] URL.`, 'no-folder');
    }
    this.root = fs.realpathSync(this.id);
    ({ ledger: this.ledger, keyScope: this.keyScope } = folderLedger(this.id));
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root + path.sep);
  }

  private keyOf(dir: string, name: string): string {
    return path.relative(this.ledger, path.join(dir, name)).split(path.sep).join('/');
  }

  /**
   * A folder's log file names and sub-folders. A link to a file inside the source folder counts as a file (a layout
   * remapped by links), unless that file is read under another key: each file is read once, or its events count as
   * duplicates and it has two ledger rows. A file with a log file's name is read by its own path (the walk reaches
   * every real folder), so a link to it is not; one read only through links is read by the first of them in the
   * walk (`note` is set while planning, which records it). The walk covers the whole folder whatever the window, so
   * which key reads a file does not change with the days a run reads. A link to a folder inside it is not walked:
   * that folder is reached by its own path, and a link to a parent would loop. A link that leads outside (nothing
   * there is read: the folder is what was given) or nowhere is noted when `note` is set, so the run can say why those
   * files are missing.
   */
  private entries(dir: string, note: boolean): { files: string[]; dirs: string[] } {
    const files: string[] = [];
    const dirs: string[] = [];
    for (const { e, name } of this.named(dir, note)) {
      if (e.isDirectory()) dirs.push(name);
      else if (e.isFile()) {
        if (isLogFileName(name)) files.push(name);
      } else if (e.isSymbolicLink()) {
        const link = path.join(dir, name);
        let real: string | undefined;
        let problem = 'outside';
        try {
          real = fs.realpathSync(link);
        } catch (err) {
          problem = (err as NodeJS.ErrnoException).code ?? String(err);
        }
        if (real && this.inside(real)) {
          if (isLogFileName(name) && !isLogFileName(path.basename(real)) && fs.statSync(real).isFile()) {
            const key = this.keyOf(dir, name);
            if (note && !this.linkKeys.has(real)) this.linkKeys.set(real, key);
            if ((this.linkKeys.get(real) ?? key) === key) files.push(name);
          }
        } else if (note) {
          this.passed.push({ key: this.keyOf(dir, name), target: real ?? fs.readlinkSync(link), problem });
        }
      }
    }
    return { files, dirs };
  }

  /**
   * A folder's entries by name, in order, but those whose name is not UTF-8 (a Latin-1 caf\xe9.json.gz): read as text,
   * its bytes became U+FFFD, a path that names nothing, so such a file was taken for one removed since the listing and
   * never read, and such a folder failed every run. A key is text (S3's are UTF-8): they are left out, and said once a
   * run when `note` is set.
   */
  private named(dir: string, note: boolean): Array<{ e: fs.Dirent<Buffer>; name: string }> {
    return fs
      .readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })
      .flatMap((e) => {
        const name = e.name.toString('utf8');
        if (Buffer.from(name, 'utf8').equals(e.name)) return [{ e, name }];
        // Only what would be read: another file (notes.txt) is skipped whatever its name.
        if (note && (e.isDirectory() || isLogFileName(name))) this.unnamed.push(this.keyOf(dir, name));
        return [];
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One unit per folder that holds files, so a large tree is listed and loaded piece by piece. */
  async plan(window: DayWindow): Promise<string[]> {
    const units: string[] = [];
    this.passed = [];
    this.unnamed = [];
    this.linkKeys = new Map();
    const walk = (dir: string) => {
      const { files, dirs } = this.entries(dir, true);
      if (files.length > 0) {
        const rel = path.relative(this.ledger, dir).split(path.sep).join('/');
        // Skip day folders outside the window without reading them.
        if (inWindow(folderDay(rel), window)) units.push(rel);
      }
      for (const name of dirs) walk(path.join(dir, name));
    };
    walk(this.id);
    return units;
  }

  /** What the last plan left out, each said once: the links it did not follow, the names it could not read. */
  passedOver(): PassedOver[] {
    const passed = [this.linksPassedOver(), this.namesPassedOver()];
    return passed.filter((p): p is PassedOver => p !== undefined);
  }

  /** The names that are not UTF-8: how many, one of them, and what to do. */
  private namesPassedOver(): PassedOver | undefined {
    if (this.unnamed.length === 0) return undefined;
    const others = this.unnamed.length - 1;
    const nor = others > 0 ? `, nor ${others === 1 ? '1 other file or folder' : `${others} other files or folders`} so named` : '';
    return {
      key: this.unnamed[0],
      reason: `a name that is not UTF-8 (shown with \uFFFD for its bytes that are not): not read${nor}. Rename it in UTF-8 to have it read`,
      what: 'names in the source folder that are not UTF-8 are not read',
    };
  }

  /** The links the last plan did not follow: how many, one of them, and what to do. */
  private linksPassedOver(): PassedOver | undefined {
    if (this.passed.length === 0) return undefined;
    const [first] = this.passed;
    const where =
      first.problem === 'outside' ? `${first.target}, outside the source folder ${this.root}`
      : first.problem === 'ENOENT' ? `${first.target}, which is not there`
      : `${first.target}, which cannot be followed (${first.problem})`;
    const others = this.passed.length - 1;
    const nor = others > 0 ? `, nor ${others === 1 ? '1 other link' : `${others} other links`} that lead outside it or nowhere` : '';
    return {
      key: first.key,
      reason:
        `a symbolic link to ${where}: not followed${nor}. Links are followed only to files inside the source folder; ` +
        'give the folder a link leads to as --source, or copy its files in',
      what: 'links in the source folder are not followed',
    };
  }

  async list(unit: string): Promise<LogObjectRef[]> {
    const dir = path.join(this.ledger, unit);
    return this.entries(dir, false)
      .files.flatMap((name) => {
        // A followed link's target: its size and time are the file's, so a rewrite of it is read again.
        let stat: fs.Stats;
        try {
          stat = fs.statSync(path.join(dir, name));
        } catch (err) {
          // Removed (or its link's target) since the folder was read: nothing to read, and no reason to fail the run.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw err;
        }
        const key = unit ? `${unit}/${name}` : name;
        return [{ key, etag: etagOf(stat), size: stat.size }];
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async fetch(ref: LogObjectRef): Promise<FetchedObject> {
    const file = path.join(this.ledger, ref.key);
    let stat: fs.Stats;
    let real: string;
    try {
      stat = fs.statSync(file);
      real = fs.realpathSync(file);
    } catch (err) {
      // Removed since it was listed, or since it failed (a retry by key): nothing to read, now or later.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectGoneError(ref.key);
      throw err;
    }
    // A retry by key, of a file made a link outside since: not read, as the listing would not have listed it.
    if (!this.inside(real)) throw new Error(`${ref.key} is now a symbolic link to ${real}, outside the source folder ${this.root}: not read`);
    mayRead(file);
    const gzip = isGzipFile(file);
    if (gzip === file.endsWith('.gz') && !duckDbMisreads(file)) return { path: file, etag: etagOf(stat), size: stat.size, release: () => undefined };
    // A path DuckDB would misread (a '?' in it, say: filePaths.ts), or a name that says another encoding than its bytes
    // (a browser's download, unpacked under its .json.gz name): read through a link of a plain name that says theirs.
    this.links ??= fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-links-'));
    const link = path.join(this.links, `${++this.linked}${gzip ? '.json.gz' : '.json'}`);
    fs.symlinkSync(real, link);
    return { path: link, etag: etagOf(stat), size: stat.size, release: () => fs.rmSync(link, { force: true }) };
  }

  close(): void {
    if (this.links) fs.rmSync(this.links, { recursive: true, force: true });
    this.links = undefined;
  }
}
