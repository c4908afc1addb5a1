// The log files ingestion could not read, as users reach them: GET /api/ingest/errors, `trailhound report ingest
// --errors` on the file and through a running serve, and the ingest query's errors view. Real broken files, read from
// a folder by the service itself, so their source is named as it was configured.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { IngestErrors } from '../../src/model/api';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { startService } from '../../src/service/service';
import { runCli, spawnServe } from '../support/cli';
import { logFile } from '../support/stratus';
import { dayPrefix, tempDir, writeFiles } from '../support/temp';
import { memoryLogger, waitFor } from '../support/watch';

const TOKEN = 'errors-test-token';
const TODAY = new Date().toISOString().slice(0, 10);
const DAY = dayPrefix('111122223333', 'us-east-1', TODAY);
const good = logFile([{ eventID: 'good-1', eventTime: `${TODAY}T00:00:00Z`, eventName: 'GetObject', eventSource: 's3.amazonaws.com' }]);
const truncated = logFile([{ eventID: 'cut-1', eventTime: `${TODAY}T00:00:00Z`, eventName: 'GetObject' }]);
const BROKEN: Record<string, Buffer | string> = {
  [`${DAY}b-truncated.json.gz`]: truncated.subarray(0, truncated.length - 12),
  [`${DAY}c-not-gzip.json.gz`]: 'this is not gzip',
  [`${DAY}d-bad-json.json.gz`]: zlib.gzipSync('{"Records": [ {"eventID": '),
  [`${DAY}e-no-records.json.gz`]: zlib.gzipSync('{"something": "else"}'),
};

let dir: string;
let logs: string;
/** The folder as the service was given it: relative, as a user types ./logs. */
let configured: string;
let file: string;
let db: Database;
let api: FastifyInstance;
let url: string;

beforeAll(async () => {
  dir = tempDir();
  logs = writeFiles(path.join(dir, 'logs'), { [`${DAY}a-good.json.gz`]: good, ...BROKEN });
  configured = path.relative(process.cwd(), logs);
  file = path.join(dir, 'db.duckdb');
  db = await Database.open(file);
  const service = startService({ db, sources: [configured], logger: memoryLogger().logger, pollIntervalMs: 3_600_000 });
  await waitFor('the first poll', async () => service.lastPoll ?? undefined);
  await service.stop();
  // Rewritten later and still broken: read again by a later run, its failure is now the newest.
  const rewritten = path.join(logs, `${DAY}c-not-gzip.json.gz`);
  fs.writeFileSync(rewritten, 'still not gzip');
  fs.utimesSync(rewritten, new Date(), new Date(Date.now() + 5000));
  expect((await ingest({ source: configured, db, days: 1 })).errors).toBe(1);
  api = await buildApi({ db, token: TOKEN });
  url = await api.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await api?.close();
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (route: string, token: string | null = TOKEN) => {
  const res = await fetch(`${url}${route}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as any };
};

describe('GET /api/ingest/errors', () => {
  test('every unreadable file, newest failure first, its source as configured, with why and when; the total beside', async () => {
    const r = await get('/api/ingest/errors');
    expect(r.status).toBe(200);
    const body = r.json as IngestErrors;
    expect(body.total).toBe(4);
    // The one read again last first; the others failed in one earlier run.
    const names = body.errors.map((e) => path.basename(e.key));
    expect(names[0]).toBe('c-not-gzip.json.gz');
    expect([...names].sort()).toEqual(['b-truncated.json.gz', 'c-not-gzip.json.gz', 'd-bad-json.json.gz', 'e-no-records.json.gz']);
    for (const e of body.errors) {
      expect(Object.keys(e).sort()).toEqual(['failedAt', 'key', 'kind', 'reason', 'source']);
      // As the status names sources: the folder as given to the service, not the absolute path its runs carry.
      expect(e.source).toBe(configured);
      expect(e.key.startsWith(DAY)).toBe(true);
      expect(e.reason.length).toBeGreaterThan(10);
      expect(Date.parse(e.failedAt)).toBeLessThanOrEqual(Date.now());
    }
    expect(body.errors.find((e) => e.key.endsWith('e-no-records.json.gz'))!.reason).toMatch(/Records/);
    const times = body.errors.map((e) => Date.parse(e.failedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(times[0]).toBeGreaterThan(times[1]);
    // The count the status and the Unreadable files stat show.
    expect((await get('/api/ingest/status')).json.errors).toBe(body.total);
  });

  test('limit: at most that many, the newest; the total is still all of them', async () => {
    const r = await get('/api/ingest/errors?limit=2');
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(4);
    const all = (await get('/api/ingest/errors')).json as IngestErrors;
    expect(r.json.errors).toEqual(all.errors.slice(0, 2));
    expect(path.basename(r.json.errors[0].key)).toBe('c-not-gzip.json.gz');
    expect((await get('/api/ingest/errors?limit=10000')).json.errors).toHaveLength(4);
  });

  test.each([
    ['limit=0', 'limit: must be a whole number from 1 to 10000'],
    ['limit=10001', 'limit: must be a whole number from 1 to 10000'],
    ['limit=many', 'limit: must be a whole number from 1 to 10000'],
    ['limit=1.5', 'limit: must be a whole number from 1 to 10000'],
    ["limit=1;DROP TABLE ingest_errors", 'limit: must be a whole number from 1 to 10000'],
    ['since=2026-01-01', 'since: is not a field of this service'],
  ])('%s is a 400 that says why', async (query, error) => {
    const r = await get(`/api/ingest/errors?${query}`);
    expect(r.status).toBe(400);
    expect(r.json.error).toContain(error);
    expect((await get('/api/ingest/errors')).json.total).toBe(4);
  });

  test('needs the token, as every endpoint but health', async () => {
    for (const token of [null, 'wrong', '']) {
      const r = await get('/api/ingest/errors', token);
      expect([token, r.status]).toEqual([token, 401]);
      expect(JSON.stringify(r.json)).not.toContain('not-gzip');
    }
  });

  test('none unreadable: an empty list and a total of 0', async () => {
    const empty = await Database.open(path.join(dir, 'empty.duckdb'));
    const other = await buildApi({ db: empty, token: TOKEN });
    try {
      const at = await other.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${at}/api/ingest/errors`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect([res.status, await res.json()]).toEqual([200, { total: 0, errors: [] }]);
    } finally {
      await other.close();
      empty.close();
    }
  });
});

test('the ingest query with ingestView errors: a table frame of time, source, key and reason, with a notice when the limit cuts it', async () => {
  const query = (model: object) => fetch(`${url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ range: { from: '2000-01-01', to: '2100-01-01' }, queries: [{ refId: 'A', queryType: 'ingest', ingestView: 'errors', ...model }] }),
  }).then((res) => res.json() as Promise<any>);
  const [frame] = (await query({})).results.A.frames;
  expect(frame.name).toBe('unreadable files');
  const listed = (await get('/api/ingest/errors')).json as IngestErrors;
  // Each reason's kind in meta, row by row, as GET /api/ingest/errors gives it.
  expect(frame.meta).toEqual({ preferredVisualisationType: 'table', custom: { reasonKinds: listed.errors.map((e) => e.kind) } });
  expect(listed.errors.map((e) => [path.basename(e.key), e.kind]).sort()).toEqual([
    ['b-truncated.json.gz', 'bad-gzip'], ['c-not-gzip.json.gz', 'bad-gzip'], ['d-bad-json.json.gz', 'bad-json'], ['e-no-records.json.gz', 'no-records'],
  ]);
  const columns = [['time', 'time'], ['source', 'string'], ['key', 'string'], ['reason', 'string'], ['retry after', 'time']];
  expect(frame.fields.map((f: { name: string; type: string }) => [f.name, f.type])).toEqual(columns);
  // None of these ran out of memory: none is tried again before it changes.
  expect(frame.fields[4].values).toEqual(listed.errors.map(() => null));
  expect(frame.fields[0].values).toEqual(listed.errors.map((e) => Date.parse(e.failedAt)));
  expect(frame.fields[2].values).toEqual(listed.errors.map((e) => e.key));
  const [cut] = (await query({ limit: 3 })).results.A.frames;
  expect(cut.fields[2].values).toHaveLength(3);
  expect(cut.meta.notices).toEqual([{ severity: 'info', text: 'the newest 3 of 4 unreadable files: raise the limit to list more' }]);
  // Not a view the service knows: the query's 400, naming the field.
  const refused = { status: 400, error: 'ingestView: "unreadable" is not one of status, errors', code: 'unknown-value' };
  expect((await query({ ingestView: 'unreadable' })).results.A).toEqual(refused);
});

test('without a limit, every way of listing the unreadable files lists up to 100 of them, not the top 20 of other reports', async () => {
  const many = path.join(dir, 'many');
  const names = Array.from({ length: 30 }, (_, i) => `${DAY}bad-${String(i).padStart(2, '0')}.json.gz`);
  writeFiles(path.join(many, 'logs'), Object.fromEntries(names.map((name) => [name, 'not gzip'])));
  const manyFile = path.join(many, 'db.duckdb');
  const manyDb = await Database.open(manyFile);
  expect((await ingest({ source: path.join(many, 'logs'), db: manyDb, days: 1 })).errors).toBe(30);
  const other = await buildApi({ db: manyDb, token: TOKEN });
  try {
    const at = await other.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const listed = (await (await fetch(`${at}/api/ingest/errors`, { headers })).json()) as IngestErrors;
    expect([listed.total, listed.errors.length]).toEqual([30, 30]);
    const body = JSON.stringify({ range: { from: '2000-01-01', to: '2100-01-01' }, queries: [{ refId: 'A', queryType: 'ingest', ingestView: 'errors' }] });
    const [frame] = ((await (await fetch(`${at}/api/query`, { method: 'POST', headers, body })).json()) as any).results.A.frames;
    expect([frame.fields[2].values.length, frame.meta.notices]).toEqual([30, undefined]);
  } finally {
    await other.close();
    manyDb.close();
  }
  const r = await runCli(['report', 'ingest', '--errors', '--db', manyFile]);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const rows = r.stdout.trimEnd().split('\n').slice(2);
  expect(rows.map((row) => names.find((name) => row.includes(name))).sort()).toEqual(names);
}, 60_000);

test('many unreadable files (rows written straight into the database): the list is the newest, complete and in order, the limit cuts it', async () => {
  const manyDb = await Database.open(path.join(dir, 'rows.duckdb'));
  const other = await buildApi({ db: manyDb, token: TOKEN });
  // Two sources, one listed by a service under a name; keys shared by both, failures sharing a second: the order's ties.
  await manyDb.run(`INSERT OR REPLACE INTO meta VALUES ('sources', '["listed-id"]'), ('source_names', '["Listed name"]')`);
  const add = (from: number, to: number) =>
    manyDb.run(
      `INSERT INTO ingest_errors (source, key, etag, reason, failed_at, kind, retry_at)
       SELECT CASE WHEN i % 2 = 0 THEN 'listed-id' ELSE 'other-id' END, $prefix || md5((i // 2)::VARCHAR) || '.json.gz', 'etag',
              'not gzip (' || i || ')', TIMESTAMP '2026-11-20' + to_seconds(i % 997), CASE WHEN i % 3 = 0 THEN 'bad-json' ELSE 'bad-gzip' END,
              CASE WHEN i % 7 = 0 THEN TIMESTAMP '2026-11-21' + to_seconds(i) END
       FROM range($from, $to) t(i)`,
      { prefix: DAY, from, to }
    );
  /** Every row, as the list gives it, in the list's order (newest failure, then key, then source). */
  const expected = async () => {
    const rows = await manyDb.all<{ source: string; key: string; reason: string; kind: string; failed: number; retry: number | null }>(
      `SELECT source, key, reason, kind, epoch_ms(failed_at)::DOUBLE AS failed, epoch_ms(retry_at)::DOUBLE AS retry FROM ingest_errors`
    );
    const by = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    rows.sort((a, b) => b.failed - a.failed || by(a.key, b.key) || by(a.source, b.source));
    return rows.map((r) => ({
      source: r.source === 'listed-id' ? 'Listed name' : r.source,
      key: r.key,
      reason: r.reason,
      kind: r.kind,
      failedAt: new Date(r.failed).toISOString(),
      ...(r.retry !== null && { retryAt: new Date(r.retry).toISOString() }),
    }));
  };
  try {
    const at = await other.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const list = async (limit: number) => (await (await fetch(`${at}/api/ingest/errors?limit=${limit}`, { headers })).json()) as IngestErrors;
    const frame = async (limit: number) => {
      const body = JSON.stringify({
        range: { from: '2000-01-01', to: '2100-01-01' }, queries: [{ refId: 'A', queryType: 'ingest', ingestView: 'errors', limit }],
      });
      return ((await (await fetch(`${at}/api/query`, { method: 'POST', headers, body })).json()) as any).results.A.frames[0];
    };

    // As many as a list takes: every one of them, nothing cut.
    await add(0, 10_000);
    const all = await expected();
    expect(await list(10_000)).toEqual({ total: 10_000, errors: all });
    expect((await frame(10_000)).meta.notices).toBeUndefined();
    expect(await list(2_500)).toEqual({ total: 10_000, errors: all.slice(0, 2_500) });

    // Thrice that: the newest 10 000, the total all of them, and a notice that does not say to raise the limit past its most.
    await add(10_000, 30_000);
    const newest = (await expected()).slice(0, 10_000);
    expect(newest).not.toEqual(all);
    expect(await list(10_000)).toEqual({ total: 30_000, errors: newest });
    const cut = await frame(10_000);
    expect(cut.fields[2].values).toEqual(newest.map((e) => e.key));
    expect(cut.meta.notices).toEqual([{ severity: 'info', text: 'the newest 10000 of 30000 unreadable files (a list shows at most 10000)' }]);
    expect((await frame(7)).meta.notices).toEqual([{ severity: 'info', text: 'the newest 7 of 30000 unreadable files: raise the limit to list more' }]);
  } finally {
    await other.close();
    manyDb.close();
  }
}, 60_000);

describe('trailhound report ingest --errors', () => {
  test('on the database file: a table of when, source, key and why; --limit says how many more there are', async () => {
    // The API's server holds no lock of its own: a copy is the file as the CLI finds it when no serve runs.
    const copy = path.join(dir, 'copy', 'db.duckdb');
    fs.mkdirSync(path.dirname(copy));
    await db.run(`CHECKPOINT`);
    fs.copyFileSync(file, copy);
    const r = await runCli(['report', 'ingest', '--errors', '--db', copy]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time +source +key +reason +retry after$/);
    expect(lines).toHaveLength(2 + 4);
    expect(lines[2]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  ${configured.replace(/[.]/g, '\\.')} +${DAY}c-not-gzip\\.json\\.gz +\\S`));
    // Then the first run's: the file without Records (its batch's), then the two DuckDB cannot read, recorded together
    // (one time: by key).
    const named = lines.slice(3).map((line) => /[a-e]-[\w-]+\.json\.gz/.exec(line)?.[0]);
    expect(named).toEqual(['e-no-records.json.gz', 'b-truncated.json.gz', 'd-bad-json.json.gz']);

    const cut = await runCli(['report', 'ingest', '--errors', '--limit', '1', '--db', copy]);
    const notice = '(the newest 1 of 4 unreadable files: raise the limit to list more)';
    expect(cut.stdout.trimEnd().split('\n').slice(2)).toEqual([expect.stringContaining('c-not-gzip'), notice]);

    const json = await runCli(['report', 'ingest', '--errors', '--json', '--db', copy]);
    const [frame] = JSON.parse(json.stdout).frames;
    expect(frame.fields.map((f: { name: string }) => f.name)).toEqual(['time', 'source', 'key', 'reason', 'retry after']);
    expect(frame.fields[1].values).toEqual(Array(4).fill(configured));

    // Without --errors, the status as before; --errors with another report says what it is for.
    expect((await runCli(['report', 'ingest', '--db', copy])).stdout).toMatch(/^errors +4$/m);
    const wrong = await runCli(['report', 'totals', '--errors', '--db', copy]);
    expect([wrong.code, wrong.stderr])
      .toEqual([1, "trailhound: --errors lists the files ingestion could not read: use it with 'report ingest', not 'totals'\n"]);
  }, 60_000);

  test('none unreadable: says so', async () => {
    const empty = path.join(dir, 'empty-cli', 'db.duckdb');
    fs.mkdirSync(path.dirname(empty));
    (await Database.open(empty)).close();
    const r = await runCli(['report', 'ingest', '--errors', '--db', empty]);
    expect([r.code, r.stdout]).toEqual([0, '(no unreadable files)\n']);
  }, 30_000);

  test('while serve holds the file, the list comes from the running service', async () => {
    const served = path.join(dir, 'served');
    writeFiles(path.join(served, 'logs'), BROKEN);
    const servedDb = path.join(served, 'data', 'db.duckdb');
    const env = { TRAILHOUND_TOKEN: 'serve-token' };
    const serve = await spawnServe(['--source', path.join(served, 'logs'), '--db', servedDb, '--listen', '127.0.0.1:0', '--poll-interval', '3600'], env);
    try {
      await waitFor('the first poll', async () => (/ingest finished/.test(serve.output()) ? true : undefined));
      const r = await runCli(['report', 'ingest', '--errors', '--db', servedDb, '--service-url', serve.url], env);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const rows = r.stdout.trimEnd().split('\n').slice(2);
      expect(rows).toHaveLength(4);
      for (const row of rows) expect(row).toContain(path.join(served, 'logs'));
    } finally {
      await serve.stop();
    }
  }, 60_000);
});
