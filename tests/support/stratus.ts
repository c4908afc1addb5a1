// The real CloudTrail records of Stratus Red Team (tests/fixtures/stratus-red-team, Apache-2.0), wrapped into log files.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export const STRATUS_DIR = path.resolve(__dirname, '../fixtures/stratus-red-team');

export type CloudTrailRecord = Record<string, any>;

/** Every record of every Stratus Red Team file, with the file it came from. */
export function stratusRecords(): Array<{ file: string; record: CloudTrailRecord }> {
  return fs
    .readdirSync(STRATUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => (JSON.parse(fs.readFileSync(path.join(STRATUS_DIR, file), 'utf8')) as CloudTrailRecord[]).map((record) => ({ file, record })));
}

/** A CloudTrail log file body: {"Records": [...]}, gzipped. */
export function logFile(records: CloudTrailRecord[]): Buffer {
  return zlib.gzipSync(JSON.stringify({ Records: records }));
}

/** Writes one .json.gz log file per Stratus file into dir (flat: they have no S3 layout). */
export function writeStratusFolder(dir: string): number {
  fs.mkdirSync(dir, { recursive: true });
  const byFile = new Map<string, CloudTrailRecord[]>();
  for (const { file, record } of stratusRecords()) byFile.set(file, [...(byFile.get(file) ?? []), record]);
  for (const [file, records] of byFile) fs.writeFileSync(path.join(dir, `${file}.gz`), logFile(records));
  return byFile.size;
}
