// The bundled sample: made once a day, then delivered minute by minute while serve runs, with its trails.
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../tests/support/temp';
import { writeLogFolder } from '../generator';
import { Database } from './db/database';
import { ingest } from './ingest';
import { Reports } from './reports';
import { resolveQuery } from '../model/query';
import { deliverSampleLogs, ensureSampleLogs, SAMPLE_EVENTS, sampleTrails } from './sample';
import { storeTrails } from './trails';

const T0 = new Date('2026-11-20T12:00:00Z');
const MINUTE = 60_000;

let dir: string;
let db: Database;
let logs: string;

beforeAll(async () => {
  dir = tempDir();
  logs = await ensureSampleLogs(dir, T0);
  db = await Database.open(path.join(dir, 'db.duckdb'));
  expect(await ingest({ source: logs, db, days: 14, now: T0 })).toMatchObject({ events: SAMPLE_EVENTS, errors: 0 });
}, 120_000);

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const newest = async () => (await db.one<{ t: string }>(`SELECT max(event_time)::VARCHAR AS t FROM events`))!.t;

test('each delivery adds the minutes since the last one, at the sample’s rate, and the next poll reads them', async () => {
  const at = new Date(T0.getTime() + 10 * MINUTE);
  // 10 minutes of 50,000 events a fortnight.
  const due = Math.floor(((10 * MINUTE) / (14 * 86_400_000)) * SAMPLE_EVENTS);
  expect(await deliverSampleLogs(logs, at)).toBe(due);
  const before = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM events WHERE event_time > $t::TIMESTAMP`, { t: T0.toISOString() });
  expect(Number(before!.n)).toBe(0);
  expect(await ingest({ source: logs, db, days: 2, now: at })).toMatchObject({ events: due, errors: 0 });
  const added = await db.one<{ n: bigint; lo: string; hi: string }>(
    `SELECT count(*) AS n, min(event_time)::VARCHAR AS lo, max(event_time)::VARCHAR AS hi FROM events WHERE event_time > $t::TIMESTAMP`,
    { t: T0.toISOString() }
  );
  expect(Number(added!.n)).toBe(due);
  expect(Date.parse(`${added!.hi}Z`)).toBeLessThanOrEqual(at.getTime());
  expect(await newest()).toBe(added!.hi);

  // Nothing more is due at the same moment, nor a few seconds later.
  expect(await deliverSampleLogs(logs, at)).toBe(0);
  expect(await deliverSampleLogs(logs, new Date(at.getTime() + 5_000))).toBe(0);
}, 60_000);

test('a later start delivers the time serve was stopped, not a second sample; at most the sample’s 14 days', async () => {
  const restart = new Date(T0.getTime() + 3 * 86_400_000);
  const gap = restart.getTime() - (T0.getTime() + 10 * MINUTE);
  expect(await ensureSampleLogs(dir, restart)).toBe(logs);
  expect(await ingest({ source: logs, db, days: 5, now: restart })).toMatchObject({ events: Math.floor((gap / (14 * 86_400_000)) * SAMPLE_EVENTS), errors: 0 });
  // Three months later: the window is full again, no more.
  expect(await deliverSampleLogs(logs, new Date(restart.getTime() + 90 * 86_400_000))).toBe(SAMPLE_EVENTS);
}, 120_000);

test('a sample folder without a delivery mark (made by an older version) starts delivering from the first poll', async () => {
  const old = tempDir();
  try {
    expect(await deliverSampleLogs(old, T0)).toBe(0);
    expect(await deliverSampleLogs(old, new Date(T0.getTime() + 60 * MINUTE))).toBe(Math.floor(((60 * MINUTE) / (14 * 86_400_000)) * SAMPLE_EVENTS));
  } finally {
    fs.rmSync(old, { recursive: true, force: true });
  }
});

test('a sample made by an older version (a folder per day) is kept and delivered on, not made again', async () => {
  const data = tempDir();
  try {
    const old = path.join(data, 'sample-logs', '2026-11-19');
    await writeLogFolder(old, { events: 1_000, days: 14, end: new Date(T0.getTime() - 86_400_000), seed: 20261119 });
    fs.writeFileSync(path.join(old, '.complete'), '');
    const files = () => fs.readdirSync(old, { recursive: true }).length;
    const before = files();
    expect(await ensureSampleLogs(data, T0)).toBe(old);
    expect(files()).toBe(before + 1); // only the delivery mark
    expect(fs.readdirSync(path.join(data, 'sample-logs'))).toEqual(['2026-11-19']);
    // From then on, it is delivered on like a new one.
    expect(await ensureSampleLogs(data, new Date(T0.getTime() + 60 * MINUTE))).toBe(old);
    expect(files()).toBeGreaterThan(before + 1);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('the sample’s trails fill the List of Trails, one of them stopped', async () => {
  await storeTrails(db, sampleTrails(T0));
  const [frame] = await new Reports(db).frames(resolveQuery({ queryType: 'trails' }), { from: T0.getTime() - 86_400_000, to: T0.getTime() });
  const column = (name: string) => frame.fields.find((f) => f.name === name)!.values;
  const names = column('name');
  expect(names).toEqual(['acme-org-trail', 'legacy-dev-trail', 'security-audit']);
  expect(column('is logging')).toEqual([true, false, true]);
  expect(column('organization trail')).toEqual([true, false, false]);
  // Each column the classic List of Trails describes shows a value in at least one sample trail, not an empty column.
  const described = ['S3 bucket', 'S3 key prefix', 'is logging', 'include global service events', 'logging started', 'logging ended',
    'last delivery', 'last notification', 'SNS topic'];
  expect(described.filter((name) => column(name).every((v) => v === null || v === ''))).toEqual([]);
  // CloudTrail notifies its topic of each file it delivers: a trail with a topic has a last notification.
  const topics = column('SNS topic');
  expect(column('last notification').filter((_, i) => topics[i] !== null)).not.toContain(null);
});
