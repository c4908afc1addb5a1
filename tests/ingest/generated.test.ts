// Generated logs (every identity type, global-event duplicates, digests) ingested from a folder; every count
// is checked against one computed here from the files themselves.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { writeLogFolder } from '../../src/generator';
import { ingest } from '../../src/service/ingest';
import { parseKey } from '../../src/service/ingest/keys';
import { BatchLoader } from '../../src/service/ingest/loader';
import { tempDir } from '../support/temp';

const END = new Date('2026-11-20T12:00:00Z');
let dir: string;
let db: Database;

function readAll(root: string): Array<{ key: string; records: Array<Record<string, any>> | null }> {
  const out: Array<{ key: string; records: Array<Record<string, any>> | null }> = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ key: path.relative(root, p), records: JSON.parse(zlib.gunzipSync(fs.readFileSync(p)).toString()).Records ?? null });
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  dir = tempDir();
  await writeLogFolder(path.join(dir, 'logs'), { events: 30_000, days: 5, end: END, seed: 77 });
  db = await Database.open(path.join(dir, 'db.duckdb'));
}, 60_000);
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every unique event stored once; duplicates, digests and per-account counts as in the files', async () => {
  const files = readAll(path.join(dir, 'logs'));
  const eventFiles = files.filter((f) => f.key.includes('/CloudTrail/'));
  const records = eventFiles.flatMap((f) => f.records!);
  const unique = new Map(records.map((r) => [r.eventID, r]));

  const summary = await ingest({ source: path.join(dir, 'logs'), db, days: 5, now: END });
  expect(summary).toMatchObject({
    objects: eventFiles.length,
    events: unique.size,
    duplicates: records.length - unique.size,
    skipped: files.length - eventFiles.length,
    errors: 0,
    rejected: 0,
  });

  const byAccount = await db.all<{ account: string; n: bigint }>(`SELECT account, count(*) AS n FROM events GROUP BY 1 ORDER BY 1`);
  const expected = new Map<string, number>();
  for (const r of unique.values()) expected.set(r.recipientAccountId, (expected.get(r.recipientAccountId) ?? 0) + 1);
  expect(Object.fromEntries(byAccount.map((r) => [r.account, Number(r.n)]))).toEqual(Object.fromEntries([...expected].sort()));

  const unauthorized = [...unique.values()].filter(
    (r) => /^(AccessDenied.*|.*UnauthorizedOperation)$/.test(r.errorCode ?? '') || r.responseElements?.ConsoleLogin === 'Failure'
  ).length;
  const stored = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE is_unauthorized`);
  expect(Number(stored!.n)).toBe(unauthorized);
}, 60_000);

test('files are loaded day by day, every account and region of a day before the next, so that a time range reads few row groups', async () => {
  // The order files reach the loader is the order their events are appended in, batch after batch.
  const load = jest.spyOn(BatchLoader.prototype, 'load');
  const fresh = await Database.open(path.join(dir, 'in-order.duckdb'));
  let loaded;
  try {
    await ingest({ source: path.join(dir, 'logs'), db: fresh, days: 5, now: END });
    loaded = load.mock.calls.flatMap(([files]) => files.map((f) => parseKey(f.key)));
  } finally {
    load.mockRestore();
    fresh.close();
  }
  // Several accounts and regions over several days, or the order below would prove nothing.
  expect(new Set(loaded.map((k) => k.account)).size).toBeGreaterThan(1);
  expect(new Set(loaded.map((k) => k.region)).size).toBeGreaterThan(1);
  const days = loaded.map((k) => k.day!);
  expect(new Set(days).size).toBeGreaterThanOrEqual(5);
  expect(days.join(' ')).toBe([...days].sort().join(' '));
});
