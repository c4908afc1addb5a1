// The ingest command as a user runs it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { Reports } from '../../src/service/reports';
import { runCli, ROOT, spawnCli } from '../support/cli';
import { refusedUrl } from '../support/net';
import { writeStratusFolder } from '../support/stratus';
import { tempDir } from '../support/temp';

let dir: string;
beforeAll(() => {
  dir = tempDir();
  writeStratusFolder(path.join(dir, 'logs'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--json prints a one-line summary; a second run ingests nothing', async () => {
  const args = ['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'db.duckdb'), '--json'];
  const first = await runCli(args);
  expect(first.code).toBe(0);
  expect(first.stdout.trim().split('\n')).toHaveLength(1);
  expect(JSON.parse(first.stdout)).toMatchObject({ objects: 35, events: 310, duplicates: 0, skipped: 0, errors: 0 });
  expect(first.stderr).toBe(''); // no SDK warnings, no progress noise
  const second = await runCli(args);
  expect(JSON.parse(second.stdout)).toMatchObject({ objects: 0, events: 0, unchanged: 35 });
});

test('a new database is its owner\'s only, whatever the umask; an existing one others can read is used, with a warning', async () => {
  const file = path.join(dir, 'private', 'data', 'db.duckdb');
  const args = ['ingest', '--source', path.join(dir, 'logs'), '--db', file, '--json'];
  // Under the usual umask (022), which used to leave the folder 755 and the files 644.
  const umask = process.umask(0o022);
  const running = runCli(args);
  process.umask(umask);
  const first = await running;
  expect(first.code).toBe(0);
  expect(first.stderr).toBe('');
  const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
  const originals = `${file}.originals`;
  const parquet = fs.readdirSync(originals).map((f) => path.join(originals, f));
  expect(parquet.length).toBeGreaterThan(0);
  expect([path.join(dir, 'private'), path.dirname(file), file, originals, ...parquet].map(mode))
    .toEqual(['700', '700', '600', '700', ...parquet.map(() => '600')]);

  // Made readable (an older version, a chmod): kept as it is, and the warning says how to fix it.
  fs.chmodSync(file, 0o644);
  fs.chmodSync(originals, 0o755);
  const second = await runCli(args);
  expect(second.code).toBe(0);
  expect(second.stderr).toBe(
    'trailhound: warning: the database can be read by other users of this machine, and it holds CloudTrail events: ' +
      `run chmod -R go-rwx ${file} ${originals}\n`
  );
  expect([mode(file), mode(originals)]).toEqual(['644', '755']);
  // Every command that writes to it says so too (trails sync warns before it asks CloudTrail, which does not answer here).
  const sync = await runCli(['trails', 'sync', '--db', file, '--cloudtrail-endpoint', await refusedUrl()], { AWS_REGION: 'us-east-1' });
  expect(sync.stderr.split('\n')[0]).toBe(second.stderr.trim());
});

test('without --json: a readable summary', async () => {
  const res = await runCli(['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'other.duckdb')]);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/Ingested 35 log files from .*logs/);
  expect(res.stdout).toMatch(/310 new events/);
  // No trails yet in a database only ingest wrote: the list says where they come from.
  const trails = await runCli(['trails', 'list', '--db', path.join(dir, 'other.duckdb')]);
  const none = "(no trails stored: 'trailhound trails sync' reads them from the CloudTrail API; serve does it hourly for an S3 source)\n";
  expect([trails.code, trails.stdout]).toEqual([0, none]);
  expect((await runCli(['report', 'trails', '--db', path.join(dir, 'other.duckdb')])).stdout).toBe(none);
});

test('progress lines: none claims 0/0 files before the listing says so, and the last is printed however quick the run', async () => {
  const args = ['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'progress.duckdb')];
  const progress = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('ingesting: '));
  const first = await runCli(args);
  expect(first.code).toBe(0);
  const lines = progress(first.stderr);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((line) => line.startsWith('ingesting: 0/0 files'))).toEqual([]);
  const folders = /, (\d+)\/\1 folders listed$/;
  expect(lines.at(-1)).toMatch(/^ingesting: 35\/35 files, 310 events, /);
  expect(lines.at(-1)).toMatch(folders);
  // Nothing new, all within the second: its last line was never printed.
  const again = progress((await runCli(args)).stderr);
  expect(again.at(-1)).toMatch(/^ingesting: 0\/0 files, 0 events, /);
  expect(again.at(-1)).toMatch(folders);
});

test('a folder of plain .json files (no AWSLogs day folders) is read whatever its dates, and the summary says so, not a window', async () => {
  const plain = path.join(dir, 'plain');
  fs.mkdirSync(plain, { recursive: true });
  // Years before any window the run could have: the window picks day folders, and these files have none.
  const record = (id: string) => ({ eventVersion: '1.08', eventID: id, eventTime: '2015-03-02T10:00:00Z', eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets', awsRegion: 'us-east-1', recipientAccountId: '111122223333', userIdentity: { type: 'Root' } });
  fs.writeFileSync(path.join(plain, 'old.json'), JSON.stringify({ Records: [record('e-1'), record('e-2')] }));
  const res = await runCli(['ingest', '--source', plain, '--db', path.join(dir, 'plain.duckdb'), '--days', '1']);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/^Ingested 1 log file from .*plain \(no AWSLogs day folders: every file read, whatever its date\) in /);
  expect(res.stdout).toMatch(/2 new events/);
  // Beside day folders: the window, and how many files it did not pick.
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const dayFolder = path.join(plain, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', today);
  fs.mkdirSync(dayFolder, { recursive: true });
  const name = `111122223333_CloudTrail_us-east-1_${today.replaceAll('/', '')}T1000Z_abc.json`;
  fs.writeFileSync(path.join(dayFolder, name), JSON.stringify({ Records: [{ ...record('e-3'), eventTime: new Date().toISOString() }] }));
  const mixed = await runCli(['ingest', '--source', plain, '--db', path.join(dir, 'plain.duckdb'), '--days', '1']);
  expect(mixed.stdout).toMatch(/^Ingested 1 log file /);
  expect(mixed.stdout).toMatch(/\(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d; 1 file outside AWSLogs day folders read whatever its date\)/);
});

test('a run that finds no log file in its window says so: a mistyped --source, or logs older than the window', async () => {
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  for (const json of [[], ['--json']]) {
    const res = await runCli(['ingest', '--source', empty, '--db', path.join(dir, 'empty.duckdb'), ...json]);
    expect(res.code).toBe(0);
    const warning = new RegExp(
      `^trailhound: warning: found no log files under ${empty} from \\d{4}-\\d\\d-\\d\\d to \\d{4}-\\d\\d-\\d\\d: ` +
        'check --source, or give --days or --since for older logs$',
      'm'
    );
    expect(res.stderr).toMatch(warning);
  }
  // Named as given: a folder relative to where the command runs is said so, not as the absolute path it resolves to.
  const relative = path.relative(ROOT, empty);
  const given = await runCli(['ingest', '--source', relative, '--db', path.join(dir, 'empty.duckdb')]);
  expect(given.stderr).toContain(`warning: found no log files under ${relative} from `);
  expect(given.stdout).toMatch(new RegExp(`^Ingested 0 log files from ${relative.replace(/[.]/g, '\\.')} \\(`));
  // Files read before are files found: a second run of a source is not warned of.
  const again = await runCli(['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'again.duckdb'), '--json']);
  const second = await runCli(['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'again.duckdb'), '--json']);
  expect([again.stderr, second.stderr]).toEqual(['', '']);
});

test('a window reaching back before CloudTrail began (2013-11-13) starts there, and says so', async () => {
  const db = path.join(dir, 'early.duckdb');
  // A day folder beside the flat files: the summary names the window only for a source that has some.
  const source = path.join(dir, 'early');
  fs.cpSync(path.join(dir, 'logs'), source, { recursive: true });
  const dayFolder = path.join(source, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2014', '01', '02');
  fs.mkdirSync(dayFolder, { recursive: true });
  fs.writeFileSync(path.join(dayFolder, '111122223333_CloudTrail_us-east-1_20140102T1000Z_abc.json'), JSON.stringify({ Records: [] }));
  const since = await runCli(['ingest', '--source', source, '--db', db, '--since', '1971-01-01']);
  expect(since.code).toBe(0);
  // Said once the source is listed (after the progress lines): whether the window applies is known only then.
  expect(since.stderr).toMatch(/^trailhound: warning: --since 1971-01-01 is before CloudTrail began: reading from 2013-11-13$/m);
  expect(since.stdout).toMatch(/\(2013-11-13 to \d{4}-\d{2}-\d{2}; 35 files outside AWSLogs day folders read whatever their date\)/);
  const days = await runCli(['ingest', '--source', source, '--db', db, '--days', '36500', '--json']);
  expect(days.code).toBe(0);
  expect(days.stderr).toMatch(/^trailhound: warning: --days 36500 reaches back to 19\d\d-\d\d-\d\d, before CloudTrail began: reading from 2013-11-13\n$/);
});

test('a source of plain .json files only (no AWSLogs day folders) is read whole: no warning that the window was narrowed', async () => {
  const logs = path.join(dir, 'logs');
  const days = await runCli(['ingest', '--source', logs, '--db', path.join(dir, 'plain.duckdb'), '--days', '36500', '--json']);
  expect(days.code).toBe(0);
  expect(days.stderr).toBe('');
  const since = await runCli(['ingest', '--source', logs, '--db', path.join(dir, 'plain-kept.duckdb'), '--since', '1971-01-01', '--retention-days', '1']);
  expect(since.code).toBe(0);
  expect(since.stderr).not.toMatch(/warning/);
  expect(since.stdout).toMatch(/\(no AWSLogs day folders: every file read, whatever its date\)/);
});

/**
 * The environment of a CLI run that does `action` (JavaScript, with `fs` in scope) once, as the ingest command loads
 * the compaction's module (lazy.ts): once its last batch is stored, right before it compacts.
 */
function atCompaction(name: string, action: string): NodeJS.ProcessEnv {
  const preload = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(
    preload,
    `const Module = require('node:module'); const fs = require('node:fs'); const load = Module._load; let done = false;\n` +
      'Module._load = function (request, ...rest) {\n' +
      `  if (!done && /ingest[\\\\/]originals$/.test(request)) { done = true; ${action} }\n` +
      '  return load.call(this, request, ...rest);\n};\n'
  );
  return { NODE_OPTIONS: `--require ${preload}` };
}

test("Ctrl-C once the files are loaded, as the kept log files are compacted, exits 130: the user asked it to stop", async () => {
  // The signal sent to itself as the command starts compacting.
  const args = ['ingest', '--source', path.join(dir, 'logs'), '--db', path.join(dir, 'compacting.duckdb')];
  const run = await runCli(args, atCompaction('interrupt-compaction', "process.kill(process.pid, 'SIGINT');"));
  expect(run.stderr).toMatch(/SIGINT: stopping after the batch being loaded/);
  // Everything was stored: the summary says so, and what the compaction left.
  expect(run.stdout).toMatch(/^Ingested 35 log files/);
  expect(run.code).toBe(130);
});

test("report while an ingest holds the database names that ingest and says to wait: not a serve it cannot reach", async () => {
  // A real ingest, paused once its files are stored (as it loads the compaction's module) until the test lets it go.
  const release = path.join(dir, 'release-ingest');
  const pause =
    "process.stderr.write('paused\\n'); const cell = new Int32Array(new SharedArrayBuffer(4)); " +
    `while (!fs.existsSync(${JSON.stringify(release)})) Atomics.wait(cell, 0, 0, 20);`;
  const db = path.join(dir, 'held-by-ingest.duckdb');
  const ingesting = spawnCli(['ingest', '--source', path.join(dir, 'logs'), '--db', db], atCompaction('pause-ingest', pause));
  const exited = new Promise<number | null>((resolve) => ingesting.on('close', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      ingesting.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('paused') && resolve());
      ingesting.on('close', () => reject(new Error('the ingest ended before it paused')));
    });
    // The default service address, where nothing listens: it was blamed as "a running 'trailhound serve'".
    const report = await runCli(['report', 'totals', '--db', db], { TRAILHOUND_LISTEN: '127.0.0.1:1' });
    expect([report.code, report.stderr]).toEqual([
      1,
      `trailhound: The database ${db} is in use by a running 'trailhound ingest' (PID ${ingesting.pid}). Run this again once it has finished.\n`,
    ]);
  } finally {
    fs.writeFileSync(release, '');
  }
  expect(await exited).toBe(0);
  // Once it has finished, the report reads it.
  expect((await runCli(['report', 'totals', '--db', db, '--json'])).code).toBe(0);
});

test('mistakes get a clear message and a non-zero exit', async () => {
  const missing = await runCli(['ingest', '--source', path.join(dir, 'nope'), '--db', path.join(dir, 'x.duckdb')]);
  expect(missing.code).toBe(1);
  // Where it looked, resolved: a relative --source is read from where the command runs.
  const nope = path.join(dir, 'nope');
  const give = 'Give --source an existing folder or an s3://bucket[/prefix] URL.';
  expect(missing.stderr).toBe(`trailhound: ${nope} is not a folder (there is nothing at ${nope}). ${give}\n`);
  const relative = await runCli(['ingest', '--source', 'package.json', '--db', path.join(dir, 'x.duckdb')]);
  expect(relative.stderr).toMatch(/^trailhound: package\.json is not a folder \(\/.*\/package\.json is a file\)\. Give --source an existing folder/);
  // Blank, as "$UNSET" gives it: refused, not the folder the command runs in (a repository's every file unreadable).
  const blank = await runCli(['ingest', '--source', ' ', '--db', path.join(dir, 'x.duckdb')]);
  expect([blank.code, blank.stderr]).toEqual([1, 'trailhound: --source is empty: give a folder or an s3://bucket[/prefix] URL\n']);
  expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  const both = await runCli(['ingest', '--source', dir, '--days', '2', '--since', '2026-01-01']);
  expect(both.code).not.toBe(0);
  expect(both.stderr).toMatch(/--days or --since/);
  const badS3 = await runCli(['ingest', '--source', 's3://', '--db', path.join(dir, 'y.duckdb')]);
  expect(badS3.stderr).toMatch(/not an S3 URL/);
  const badSince = await runCli(['ingest', '--source', dir, '--since', '27/02/2026', '--db', path.join(dir, 'z.duckdb')]);
  expect(badSince.stderr).toMatch(/expected a date like/);
  // Without its scheme: the SDK's own refusal said only "Invalid URL", and after the database was opened.
  const badEndpoint = await runCli(['ingest', '--source', 's3://logs', '--s3-endpoint', '127.0.0.1:9000', '--db', path.join(dir, 'e.duckdb')]);
  expect(badEndpoint.code).toBe(1);
  expect(badEndpoint.stderr).toBe(
    'trailhound: --s3-endpoint (or TRAILHOUND_S3_ENDPOINT) 127.0.0.1:9000: expected an http:// or https:// URL, e.g. http://127.0.0.1:9000\n'
  );
  // serve's list, given to ingest: not one bucket named "a,s3:".
  const several = await runCli(['ingest', '--source', 's3://a,s3://b', '--db', path.join(dir, 's.duckdb')]);
  expect([several.code, several.stderr]).toEqual([
    1,
    'trailhound: --source s3://a,s3://b lists several sources: ingest reads one per run, so run it once for each (serve reads several)\n',
  ]);
  // Refused before the database is opened: no new, empty database file is left behind.
  for (const file of ['x.duckdb', 'y.duckdb', 'z.duckdb', 'e.duckdb', 's.duckdb']) expect(fs.existsSync(path.join(dir, file))).toBe(false);
});

test('TRAILHOUND_SOURCE naming a folder whose name holds a comma is that folder; a list of folders is still refused', async () => {
  writeStratusFolder(path.join(dir, 'trail,2024'));
  const db = path.join(dir, 'comma.duckdb');
  const one = await runCli(['ingest', '--db', db, '--json'], { TRAILHOUND_SOURCE: path.join(dir, 'trail,2024') });
  expect([one.code, one.stderr]).toEqual([0, '']);
  expect(JSON.parse(one.stdout)).toMatchObject({ objects: 35, errors: 0 });
  const list = `${path.join(dir, 'trail,2024')},${path.join(dir, 'logs')}`;
  const several = await runCli(['ingest', '--db', db, '--json'], { TRAILHOUND_SOURCE: list });
  expect([several.code, several.stderr]).toEqual([
    1,
    `trailhound: TRAILHOUND_SOURCE lists several sources (${list}): ingest reads one per run, so give it with --source\n`,
  ]);
});

test('no AWS credentials: says what to set, and for a named profile what to check', async () => {
  // The SDK's real default chain, with nothing for it to find (no keys, no files, no instance role).
  const none = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
    AWS_WEB_IDENTITY_TOKEN_FILE: '',
    AWS_REGION: 'us-east-1',
  };
  const args = ['ingest', '--source', 's3://acme-cloudtrail', '--s3-endpoint', 'http://127.0.0.1:1', '--db', path.join(dir, 'creds.duckdb')];
  const anonymous = await runCli(args, none);
  expect(anonymous.code).toBe(1);
  expect(anonymous.stderr).toMatch(/No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID/);
  const profile = await runCli(args, { ...none, AWS_PROFILE: 'audit' });
  expect(profile.code).toBe(1);
  expect(profile.stderr).toMatch(/AWS profile "audit" gave no credentials: .*"aws sso login --profile audit"/);
}, 60_000);

test('a file still unreadable is said so on later runs, not counted as ingested', async () => {
  const logs = path.join(dir, 'with-broken');
  fs.mkdirSync(logs, { recursive: true });
  fs.writeFileSync(path.join(logs, 'broken.json.gz'), 'not gzip');
  fs.copyFileSync(path.join(dir, 'logs', fs.readdirSync(path.join(dir, 'logs'))[0]), path.join(logs, 'good.json.gz'));
  const args = ['ingest', '--source', logs, '--db', path.join(dir, 'broken.duckdb'), '--days', '3650'];
  const first = await runCli(args);
  // Where to read why: the warning on stderr (not "above" the summary once stderr is sent elsewhere), and the report.
  const warned = "each in a 'could not ingest' warning on stderr, with why";
  const left = 'left out of later runs until its content changes \\(a new ETag; in a folder, a new size or modification time\\): fix or replace it';
  const summary = ` 1 file could not be read \\(${warned}\\): ${left}; 'trailhound report ingest --errors' lists it$`;
  expect(first.stdout).toMatch(new RegExp(summary, 'm'));
  expect(first.stderr).toMatch(/^trailhound: warning: could not ingest broken\.json\.gz: \S/m);
  const second = await runCli(args);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/, 1 file already ingested, /);
  expect(second.stdout).toMatch(/ 1 file still unreadable, unchanged since an earlier run: 'trailhound report ingest --errors' lists it, with why$/m);
  expect(second.stdout).toMatch(/no new errors/);
  expect(JSON.parse((await runCli([...args, '--json'])).stdout)).toMatchObject({ unchanged: 1, unreadable: 1, errors: 0 });
});

/**
 * A folder of copies of a sample log named `names`, secret.json.gz among them unreadable for real: as root, which reads
 * any file whatever its mode, the runs are nobody's (`user`), in a folder nobody owns. `own` holds it, to remove.
 */
function unreadableLogs(names: string[]) {
  const root = process.getuid?.() === 0;
  const user = root ? { uid: 65534, gid: 65534 } : {};
  const own = tempDir();
  const logs = path.join(own, 'logs');
  fs.mkdirSync(logs);
  const sample = path.join(dir, 'logs', fs.readdirSync(path.join(dir, 'logs'))[0]);
  for (const name of names) fs.copyFileSync(sample, path.join(logs, name));
  if (root) for (const p of [own, logs, ...names.map((name) => path.join(logs, name))]) fs.chownSync(p, 65534, 65534);
  fs.chmodSync(path.join(logs, 'secret.json.gz'), 0o000);
  return { user, own, logs };
}

test("a folder's file the service may not read waits before its next try, as a denied download does, " +
  'the file beside it stored; its warning says to fix its permissions', async () => {
  const { user, own, logs } = unreadableLogs(['good.json.gz', 'secret.json.gz']);
  try {
    const file = path.join(own, 'db.duckdb');
    const args = ['ingest', '--source', logs, '--db', file, '--days', '3650'];

    // It failed the whole run (DuckDB's read of the batch), at every poll, the file beside it never stored.
    const first = await runCli(args, {}, user);
    expect([first.code, first.stdout]).toEqual([0, expect.stringMatching(/^Ingested 1 log file from /)]);
    // Summed up as the ledger keeps it: tried again as it is (its mark, read failed), not a file to fix or replace.
    expect(first.stdout).toMatch(/^ {2}1 file could not be read for now, out of DuckDB's memory or not downloaded /m);
    expect(first.stdout).not.toMatch(/fix or replace/);
    expect(first.stderr).toMatch(
      new RegExp(`^trailhound: warning: could not ingest secret\\.json\\.gz: read failed: ${logs}/secret\\.json\\.gz may not be read by the ` +
        "service's user \\(EACCES\\): fix the file's permissions \\(chmod, chown\\); .* Denied 1 time: the next try is after \\S+Z ", 'm')
    );
    // As GET /api/ingest/errors lists it: when it is tried again.
    const db = await Database.open(file);
    const reports = new Reports(db);
    try {
      const [listed] = (await reports.ingestErrors(10)).errors;
      expect(listed).toMatchObject({ key: 'secret.json.gz', kind: 'access-denied', retryAt: expect.stringMatching(/Z$/) });
      expect(Date.parse(listed.retryAt!) - Date.parse(listed.failedAt)).toBe(5 * 60_000);
    } finally {
      reports.close();
      db.close();
    }

    // The next run (serve's next poll, cron's) leaves it to its wait; asked (its permissions fixed), it reads it at once.
    const again = await runCli([...args, '--json'], {}, user);
    expect([again.code, JSON.parse(again.stdout)]).toEqual([0, expect.objectContaining({ objects: 0, unchanged: 1, denied: 1, errors: 0 })]);
    fs.chmodSync(path.join(logs, 'secret.json.gz'), 0o644);
    // As a version before the folder's own mark recorded it: it still waits, and is tried again, as a failed fetch.
    const older = await Database.open(file);
    try {
      await older.run(`UPDATE ingest_errors SET reason = 'download failed: ' || reason[length('read failed: ') + 1:]
        WHERE starts_with(reason, 'read failed: ')`);
    } finally {
      older.close();
    }
    expect(JSON.parse((await runCli([...args, '--json'], {}, user)).stdout)).toMatchObject({ objects: 0, denied: 1 });
    const asked = await runCli([...args, '--json', '--retry-denied'], {}, user);
    expect(JSON.parse(asked.stdout)).toMatchObject({ objects: 1, denied: 0, errors: 0 });
  } finally {
    fs.rmSync(own, { recursive: true, force: true });
  }
}, 60_000);

test("a folder none of whose files may be read fails the run saying they could not be read, not downloaded", async () => {
  const { user, own, logs } = unreadableLogs(['secret.json.gz']);
  try {
    const r = await runCli(['ingest', '--source', logs, '--db', path.join(own, 'db.duckdb'), '--days', '3650'], {}, user);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^trailhound: the 1 log file could not be read, e\\.g\\. ${logs}/secret\\.json\\.gz may not be read`, 'm'));
  } finally {
    fs.rmSync(own, { recursive: true, force: true });
  }
}, 60_000);

test("a file name's control characters are escaped in the warning: a name in the bucket cannot drive the terminal", async () => {
  // Whoever may write into the trail's bucket (or the folder) names the files: an ESC sequence there would set the
  // window title, write the clipboard (OSC 52) or erase the lines before it.
  const logs = path.join(dir, 'with-escapes');
  fs.mkdirSync(logs, { recursive: true });
  fs.writeFileSync(path.join(logs, '\x1b]0;owned\x07\x1b[1A\x1b[2Kbad.json.gz'), 'not gzip');
  const run = await runCli(['ingest', '--source', logs, '--db', path.join(dir, 'escapes.duckdb'), '--days', '3650']);
  expect(run.stderr).not.toMatch(/\p{Cc}(?<!\n)/u);
  expect(run.stderr).toContain('could not ingest \\x1b]0;owned\\x07\\x1b[1A\\x1b[2Kbad.json.gz: ');
});

test('--json counts a file that ran out of memory and waits for its next try, as the text summary does', async () => {
  const logs = path.join(dir, 'with-huge');
  fs.mkdirSync(logs, { recursive: true });
  // A record of 12 MB, more than a 128 MB DuckDB holds: an out-of-memory error, tried again after a wait.
  const huge = { eventID: 'huge', eventTime: new Date().toISOString(), eventName: 'PutObject', responseElements: { document: 'y'.repeat(12 * 1024 * 1024) } };
  fs.writeFileSync(path.join(logs, 'huge.json.gz'), zlib.gzipSync(JSON.stringify({ Records: [huge] })));
  const args = ['ingest', '--source', logs, '--db', path.join(dir, 'huge.duckdb'), '--json'];
  const memory = { TRAILHOUND_MEMORY_LIMIT: '128MB' };
  expect(JSON.parse((await runCli(args, memory)).stdout)).toMatchObject({ objects: 0, errors: 1 });
  const keys = ['objects', 'events', 'duplicates', 'skipped', 'errors', 'unchanged', 'unreadable', 'waiting', 'denied', 'rejected', 'halved'];
  const second = await runCli(args, memory);
  expect(JSON.parse(second.stdout)).toEqual(Object.fromEntries(keys.map((k) => [k, k === 'waiting' ? 1 : 0])));
  const text = await runCli(args.slice(0, -1), memory);
  expect(text.stdout).toMatch(/^ {2}1 file that ran out of memory before, not read again until its wait is over: /m);
  // The run it failed in says it is tried again as it is: not "fix or replace it", for a file with nothing wrong.
  const first = await runCli(['ingest', '--source', logs, '--db', path.join(dir, 'huge-text.duckdb')], memory);
  expect(first.stdout).toMatch(/^ {2}1 file could not be read for now, out of DuckDB's memory or not downloaded \(.*\): later runs try it again as it is /m);
  expect(first.stdout).not.toMatch(/fix or replace|no new errors/);
}, 60_000);

test('ingest and prune on a database an older version wrote say first that they update it (it reads the kept log files back once)', async () => {
  const file = path.join(dir, 'older', 'db.duckdb');
  const args = ['ingest', '--source', path.join(dir, 'logs'), '--db', file, '--json'];
  expect((await runCli(args)).code).toBe(0);
  const asOlder = async () => {
    const db = await Database.open(file);
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    db.close();
  };
  const said = /^trailhound: updating the database from schema version 12 to \d+: reading the kept log files of its 310 events back once .*about 1 s/m;
  await asOlder();
  const again = await runCli(args);
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(said);
  expect(again.stderr).not.toMatch(/served/);
  // Updated once: the next run says nothing.
  expect((await runCli(args)).stderr).toBe('');
  await asOlder();
  const prune = await runCli(['prune', '--db', file, '--retention-days', '3650']);
  expect(prune.code).toBe(0);
  expect(prune.stderr).toMatch(said);
});

test('a file nested thousands of levels deep is refused with why, the file beside it stored: DuckDB’s reader crashed the process on it', async () => {
  const logs = path.join(dir, 'deep', 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2026', '11', '20');
  fs.mkdirSync(logs, { recursive: true });
  const record = (id: string, requestParameters: string) =>
    `{"eventTime":"2026-11-20T08:00:00Z","eventID":"${id}","eventName":"GetObject","eventSource":"s3.amazonaws.com",` +
      `"awsRegion":"us-east-1","requestParameters":${requestParameters}}`;
  // 20,000 levels: a segmentation fault in DuckDB's read_json with 8 MB stacks (at 10,000 it still read it).
  const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
  const deepKey = 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/deep.json.gz';
  fs.writeFileSync(path.join(logs, 'deep.json.gz'), zlib.gzipSync(`{"Records":[${record('deep-1', deep)}]}`));
  // Brackets in strings are text: a value of 5,000 "[" is no nesting.
  fs.writeFileSync(path.join(logs, 'good.json'), `{"Records":[${record('good-1', JSON.stringify({ text: '['.repeat(5_000) + '\\"{' }))}]}`);
  const file = path.join(dir, 'deep.duckdb');
  const args = ['ingest', '--source', path.join(dir, 'deep'), '--db', file, '--since', '2026-11-20', '--json'];
  const run = await runCli(args);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(JSON.parse(run.stdout)).toMatchObject({ objects: 1, events: 1, errors: 1 });
  const db = await Database.open(file);
  try {
    expect(await db.all('SELECT key, kind, reason FROM ingest_errors')).toEqual([
      {
        key: deepKey,
        kind: 'unreadable',
        reason: 'its JSON nests more than 1000 levels deep (a CloudTrail record nests about a dozen): ' +
          'not read, as DuckDB would crash on it. Remove or replace the file; it is read again once it changes',
      },
    ]);
    expect(await db.all('SELECT event_id FROM events')).toEqual([{ event_id: 'good-1' }]);
  } finally {
    db.close();
  }
  // Unchanged, it is not read again: the next run counts it as unreadable, and fails nothing.
  const again = await runCli(args);
  expect([again.code, again.stderr]).toEqual([0, '']);
  expect(JSON.parse(again.stdout)).toMatchObject({ objects: 0, events: 0, errors: 0, unreadable: 1 });
}, 60_000);
