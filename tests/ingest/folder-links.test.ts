// Symbolic links in a folder source, through the ingest command as a user runs it: followed to files inside the
// folder, and those leading outside it or nowhere skipped with one warning a run.
import fs from 'node:fs';
import path from 'node:path';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { BatchLoader } from '../../src/service/ingest/loader';
import { FolderSource } from '../../src/service/ingest/sources/folder';
import { startService } from '../../src/service/service';
import { runCli } from '../support/cli';
import { logFile, stratusRecords } from '../support/stratus';
import { dayPrefix, tempDir, writeFiles } from '../support/temp';
import { memoryLogger, waitFor } from '../support/watch';

let dir: string;
// Three log files of distinct records: one real, one a link's target inside the folder, one outside it.
let bodies: Buffer[];
beforeAll(() => {
  dir = tempDir();
  const records = stratusRecords().map((r) => r.record);
  bodies = [records.slice(0, 3), records.slice(3, 5), records.slice(5, 9)].map(logFile);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A folder with a real file, a link to a file inside it, and links that are not followed: outside, broken, a loop. */
function linkedFolder(name: string): { root: string; outside: string } {
  const root = path.join(dir, name);
  const outside = path.join(dir, `${name}-elsewhere`);
  fs.mkdirSync(path.join(root, 'store'), { recursive: true });
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(path.join(root, 'a.json.gz'), bodies[0]);
  // Not a log file name: read only through the link, as a layout remapped by links is.
  fs.writeFileSync(path.join(root, 'store', 'b.blob'), bodies[1]);
  fs.symlinkSync(path.join('store', 'b.blob'), path.join(root, 'b.json.gz'));
  fs.writeFileSync(path.join(outside, 'c.json.gz'), bodies[2]);
  fs.symlinkSync(outside, path.join(root, 'archive'));
  fs.symlinkSync(path.join(outside, 'c.json.gz'), path.join(root, 'c.json.gz'));
  fs.symlinkSync(path.join(dir, 'nothing-here.json.gz'), path.join(root, 'd.json.gz'));
  // A link to a parent: reached by its own path already, and walking it would never end.
  fs.symlinkSync('..', path.join(root, 'store', 'up'));
  return { root, outside };
}

const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('trailhound: warning:'));

test('links to files inside the folder are read, by their target\'s size and time; the others are said once, not read', async () => {
  const { root, outside } = linkedFolder('logs');
  const args = ['ingest', '--source', root, '--db', path.join(dir, 'links.duckdb')];
  const first = await runCli(args);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/^Ingested 2 log files from .*\n {2}5 new events, /);
  // One warning for the three links not followed (the loop is not one: its folder is read by its own path).
  expect(warnings(first.stderr)).toEqual([
    `trailhound: warning: archive is a symbolic link to ${outside}, outside the source folder ${root}: not followed, ` +
      'nor 2 other links that lead outside it or nowhere. Links are followed only to files inside the source folder; ' +
      'give the folder a link leads to as --source, or copy its files in',
  ]);
  expect(first.stdout).toMatch(/no new errors/);

  // Unchanged: nothing read again. The link's target rewritten (new size and time): read again, by the link's key.
  const second = await runCli(args);
  expect(second.stdout).toMatch(/^Ingested 0 log files .*\n.* 2 files already ingested/);
  fs.writeFileSync(path.join(root, 'store', 'b.blob'), logFile(stratusRecords().slice(3, 6).map((r) => r.record)));
  const third = await runCli(args);
  expect(third.stdout).toMatch(/^Ingested 1 log file .*\n {2}1 new event, 2 duplicates skipped, 1 file already ingested/);
});

test('under --json the links not followed are still said on stderr, and stdout is the one JSON line', async () => {
  const { root } = linkedFolder('json');
  const res = await runCli(['ingest', '--json', '--source', root, '--db', path.join(dir, 'json.duckdb')]);
  expect(res.code).toBe(0);
  const lines = res.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toMatchObject({ objects: 2, events: 5, errors: 0 });
  expect(warnings(res.stderr)).toEqual([
    expect.stringMatching(/^trailhound: warning: archive is a symbolic link to .*, outside the source folder .*: not followed, nor 2 other links/),
  ]);
});

test('a source folder that is itself a link is read as a folder, its inside links followed and no warning', async () => {
  const real = path.join(dir, 'real');
  fs.mkdirSync(path.join(real, 'store'), { recursive: true });
  fs.writeFileSync(path.join(real, 'a.json.gz'), bodies[0]);
  fs.writeFileSync(path.join(real, 'store', 'b.blob'), bodies[1]);
  fs.symlinkSync(path.join(real, 'store', 'b.blob'), path.join(real, 'b.json.gz')); // absolute, through the real path
  const linked = path.join(dir, 'linked');
  fs.symlinkSync(real, linked);
  const res = await runCli(['ingest', '--source', linked, '--db', path.join(dir, 'linked.duckdb')]);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/^Ingested 2 log files from .*linked \(/);
  expect(res.stdout).toMatch(/5 new events/);
  expect(warnings(res.stderr)).toEqual([]);
});

test('the service hears of the links not followed apart from file errors; none is an error, and a retry never reads outside', async () => {
  const { root } = linkedFolder('served');
  const db = await Database.open(path.join(dir, 'served.duckdb'));
  try {
    const passed: Array<[string, string]> = [];
    const fileErrors: string[] = [];
    const summary = await ingest({
      source: root,
      db,
      days: 1,
      onPassedOver: (key, reason) => passed.push([key, reason]),
      onFileError: (key) => fileErrors.push(key),
    });
    expect(summary).toMatchObject({ objects: 2, errors: 0 });
    expect(passed).toEqual([['archive', expect.stringMatching(/^a symbolic link to .*, outside the source folder .*: not followed, nor 2 other links/)]]);
    expect(fileErrors).toEqual([]);
    expect(await db.all(`SELECT key FROM ingest_errors`)).toEqual([]);
  } finally {
    db.close();
  }

  // A file made a link outside after it was listed (or after it failed, as a retry is fetched by its key): not read.
  const source = new FolderSource(root);
  const ref = (await source.list('')).find((r) => r.key === 'a.json.gz')!;
  fs.rmSync(path.join(root, 'a.json.gz'));
  fs.symlinkSync(path.join(`${root}-elsewhere`, 'c.json.gz'), path.join(root, 'a.json.gz'));
  await expect(source.fetch(ref)).rejects.toThrow(/^a\.json\.gz is now a symbolic link to .*c\.json\.gz, outside the source folder /);
  // A broken link alone says so, not "outside".
  for (const link of ['a.json.gz', 'archive', 'c.json.gz']) fs.rmSync(path.join(root, link));
  await source.plan({ from: '2026-01-01', to: '2026-01-01' });
  expect(source.passedOver()[0]?.reason).toMatch(/^a symbolic link to .*nothing-here\.json\.gz, which is not there: not followed\. /);
});

test('serve warns of the links it does not follow once, not at every poll, and again when they change', async () => {
  const { root, outside } = linkedFolder('polled');
  const db = await Database.open(path.join(dir, 'polled.duckdb'));
  const { lines, logger } = memoryLogger();
  const warned = () => lines.filter((l) => l.msg === 'links in the source folder are not followed' && l.level === 40);
  const service = startService({ db, sources: [root], logger, pollIntervalMs: 100 });
  try {
    const polls = async (n: number) => {
      const seen = new Set<number>();
      await waitFor(`${n} polls`, async () => {
        const at = service.lastPoll?.getTime();
        if (at !== undefined) seen.add(at);
        return seen.size >= n ? true : undefined;
      });
    };
    await polls(3);
    expect(warned()).toHaveLength(1);
    // Another link outside: what is passed over changed, so it is said again.
    fs.symlinkSync(path.join(outside, 'c.json.gz'), path.join(root, 'e.json.gz'));
    await waitFor('a second warning', async () => (warned().length === 2 ? true : undefined));
    await polls(3);
    expect(warned()).toHaveLength(2);
    expect(warned()[1].reason).toContain('nor 3 other links');
  } finally {
    await service.stop();
    db.close();
  }
}, 60_000);

test('a file inside the folder that links also lead to is read once: by its own path, or by the first link to it', async () => {
  const root = path.join(dir, 'aliases');
  const day = `${dayPrefix('111122223333', 'us-east-1', '2026-01-05')}x.json.gz`;
  writeFiles(root, { 'a.json.gz': bodies[0], 'store/b.blob': bodies[1], [day]: bodies[2] });
  // Links to a log file (read by its own path), two links to one file that is read only through a link, and one from
  // the folder's top, which every run lists, to a file in a day folder.
  fs.symlinkSync('a.json.gz', path.join(root, 'latest.json.gz'));
  fs.mkdirSync(path.join(root, 'sub'));
  fs.symlinkSync(path.join('..', 'a.json.gz'), path.join(root, 'sub', 'again.json.gz'));
  fs.symlinkSync(path.join('store', 'b.blob'), path.join(root, 'b.json.gz'));
  fs.symlinkSync(path.join(root, 'store', 'b.blob'), path.join(root, 'sub', 'b.json.gz'));
  fs.symlinkSync(day, path.join(root, 'newest.json.gz'));
  const db = await Database.open(path.join(dir, 'aliases.duckdb'));
  try {
    const passed: string[] = [];
    const run = (window: { days?: number; since?: string }) => ingest({ source: root, db, ...window, onPassedOver: (key) => passed.push(key) });
    // The day folder is outside the window: its file is not read through the link either.
    expect(await run({ days: 1 })).toMatchObject({ objects: 2, events: 5, duplicates: 0, errors: 0 });
    expect(await run({ since: '2026-01-05' })).toMatchObject({ objects: 1, events: 4, duplicates: 0, unchanged: 2 });
    expect(await run({ since: '2026-01-05' })).toMatchObject({ objects: 0, unchanged: 3 });
    expect((await db.all<{ key: string }>('SELECT key FROM ingested_objects ORDER BY key')).map((r) => r.key)).toEqual([day, 'a.json.gz', 'b.json.gz']);
    // Links it reads the target of by another path are not passed over: nothing is missing.
    expect(passed).toEqual([]);
  } finally {
    db.close();
  }
});

test('a file removed between the read of its folder and the look at its size is left out, and the run goes on', async () => {
  const root = path.join(dir, 'vanishing');
  writeFiles(root, { 'a.json.gz': bodies[0], 'b.json.gz': bodies[1] });
  const db = await Database.open(path.join(dir, 'vanishing.duckdb'));
  // The real folder read, then b removed before the listing looks at it, as a tool that tidies the folder might.
  const readdir = fs.readdirSync;
  const spy = jest.spyOn(fs, 'readdirSync').mockImplementation(((...args: Parameters<typeof readdir>) => {
    const entries = readdir(...args);
    if (spy.mock.calls.length === 2) fs.unlinkSync(path.join(root, 'b.json.gz'));
    return entries;
  }) as typeof readdir);
  try {
    expect(await ingest({ source: root, db, days: 1 })).toMatchObject({ objects: 1, events: 3, errors: 0 });
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
  } finally {
    spy.mockRestore();
    db.close();
  }
});

test("a file removed between its fetch and DuckDB's read is left out, the batch's others stored, and the run goes on", async () => {
  const root = path.join(dir, 'vanishing-late');
  writeFiles(root, { 'a.json.gz': bodies[0], 'b.json.gz': bodies[1], 'c.json.gz': bodies[2] });
  const db = await Database.open(path.join(dir, 'vanishing-late.duckdb'));
  // The batch fetched (its files looked at where they are), then b removed before DuckDB reads them.
  const load = BatchLoader.prototype.load;
  const spy = jest.spyOn(BatchLoader.prototype, 'load').mockImplementation(async function (this: BatchLoader, files, triaged) {
    if (spy.mock.calls.length === 1) fs.unlinkSync(path.join(root, 'b.json.gz'));
    return load.call(this, files, triaged);
  });
  try {
    expect(await ingest({ source: root, db, days: 1 })).toMatchObject({ objects: 2, events: 7, errors: 0, skipped: 1 });
    // The batch of three, then its two left.
    expect(spy.mock.calls.map(([files]) => files.map((f) => f.key))).toEqual([['a.json.gz', 'b.json.gz', 'c.json.gz'], ['a.json.gz', 'c.json.gz']]);
  } finally {
    spy.mockRestore();
  }
  try {
    // Nothing left to read, nothing stored twice.
    expect(await ingest({ source: root, db, days: 1 })).toMatchObject({ objects: 0, events: 0, errors: 0 });
    expect(await db.all(`SELECT count(*)::INTEGER AS n FROM events`)).toEqual([{ n: 7 }]);
  } finally {
    db.close();
  }
});
