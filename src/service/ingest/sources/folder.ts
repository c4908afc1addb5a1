// A local folder of CloudTrail logs: the S3 layout (AWSLogs/...) or plain .json / .json.gz files.
import fs from 'node:fs';
import path from 'node:path';
import { isLogFileName, parseKey, inWindow, type DayWindow } from '../keys';
import { kinded } from '../../errorKind';
import { ObjectGoneError, type FetchedObject, type LogObjectRef, type LogSource } from './source';

/** A local file has no ETag: size and modification time stand in, so a rewritten file is read again. */
const etagOf = (stat: fs.Stats) => `${stat.size}-${Math.trunc(stat.mtimeMs)}`;

export class FolderSource implements LogSource {
  readonly id: string;

  constructor(folder: string) {
    this.id = path.resolve(folder);
    if (!fs.existsSync(this.id) || !fs.statSync(this.id).isDirectory()) {
      // Where it looked: a relative source is read from the folder the command runs in, which may not be the one meant.
      const there = fs.existsSync(this.id) ? `${this.id} is a file` : `there is nothing at ${this.id}`;
      throw kinded(`${folder} is not a folder (${there}). Give --source an existing folder or an s3://bucket[/prefix] URL.`, 'no-folder');
    }
  }

  /** One unit per folder that holds files, so a large tree is listed and loaded piece by piece. */
  async plan(window: DayWindow): Promise<string[]> {
    const units: string[] = [];
    const walk = (dir: string) => {
      const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
      if (entries.some((e) => e.isFile() && isLogFileName(e.name))) {
        const rel = path.relative(this.id, dir).split(path.sep).join('/');
        // Skip day folders outside the window without reading them.
        if (inWindow(parseKey(`${rel}/x.json.gz`).day, window)) units.push(rel);
      }
      for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name));
    };
    walk(this.id);
    return units;
  }

  async list(unit: string): Promise<LogObjectRef[]> {
    const dir = path.join(this.id, unit);
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isLogFileName(e.name))
      .map((e) => {
        const stat = fs.statSync(path.join(dir, e.name));
        const key = unit ? `${unit}/${e.name}` : e.name;
        return { key, etag: etagOf(stat), size: stat.size };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async fetch(ref: LogObjectRef): Promise<FetchedObject> {
    const file = path.join(this.id, ref.key);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (err) {
      // Removed since it was listed, or since it failed (a retry by key): nothing to read, now or later.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectGoneError(ref.key);
      throw err;
    }
    return { path: file, etag: etagOf(stat), size: stat.size, release: () => undefined };
  }

  close(): void {}
}
