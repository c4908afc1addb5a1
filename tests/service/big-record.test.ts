// The record of an event in a big kept log file (over 8 MB unpacked, kept as a file of its own) is read as a stream
// (reports/recordScan.ts): a stopped request stops that read too, as it interrupts its statements.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { Reports, RequestStoppedError, type ReportsObserver } from '../../src/service/reports';
import { tempDir, writeFiles } from '../support/temp';

const record = (i: number) => ({
  eventID: `big-${i}`, eventTime: '2026-11-20T10:00:00Z', eventName: 'PutObject', eventSource: 's3.amazonaws.com', awsRegion: 'eu-west-1',
  userIdentity: { type: 'IAMUser', userName: `user-${i % 7}` }, sourceIPAddress: '203.0.113.9', requestParameters: { key: `${'x'.repeat(1200)}-${i}` },
});
const RECORDS = 9_000;

let dir: string;
let db: Database;

beforeAll(async () => {
  dir = tempDir();
  const records = Array.from({ length: RECORDS }, (_, i) => record(i));
  const logs = writeFiles(path.join(dir, 'logs'), { 'big.json.gz': zlib.gzipSync(JSON.stringify({ Records: records })) });
  db = await Database.open(path.join(dir, 'big.duckdb'));
  expect(await ingest({ source: logs, db })).toMatchObject({ objects: 1, events: RECORDS });
  expect(await db.all('SELECT archive FROM log_objects')).toEqual([{ archive: expect.stringMatching(/\.json\.gz$/) }]);
}, 60_000);

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Counts the statements, and once `after` of them have ended, aborts `controller` with `reason`. */
function stopAfter(after: number, controller: AbortController, reason: RequestStoppedError): ReportsObserver & { ended: number; stopped: unknown[] } {
  return {
    ended: 0,
    stopped: [],
    statementStarted() {},
    statementEnded() {
      if (++this.ended === after) controller.abort(reason);
    },
    queryStopped(err) {
      this.stopped.push(err);
    },
  };
}

test('the read of a big kept file stops with its request: the stop is the answer, not the record', async () => {
  const reports = new Reports(db);
  // Unstopped, the last record is found after three look-ups (the columns, the event, its file): then the file is scanned.
  const counted = stopAfter(Infinity, new AbortController(), RequestStoppedError.clientClosed());
  reports.observer = counted;
  expect(await reports.record(`big-${RECORDS - 1}`)).toEqual({ record: record(RECORDS - 1), alsoStored: [] });
  expect(counted.ended).toBe(3);
  // Stopped once the look-ups are done, as the scan begins: without the signal the scan read on and answered.
  for (const reason of [RequestStoppedError.clientClosed(), RequestStoppedError.deadline(50, 'try again when the service is less busy')]) {
    const controller = new AbortController();
    const observer = stopAfter(3, controller, reason);
    reports.observer = observer;
    await expect(reports.record(`big-${RECORDS - 1}`, controller.signal)).rejects.toBe(reason);
    expect(observer.stopped).toEqual([reason]);
  }
  reports.close();
});
