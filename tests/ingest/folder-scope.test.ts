// A folder source that is an organization's, account's, CloudTrail/ or region folder of a trail's layout: its files
// have the keys (and the ledger rows) they have when the trail's folder is the source, and its day folders the window.
import path from 'node:path';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { logFile, type CloudTrailRecord } from '../support/stratus';
import { dayPrefix, rowCount, withTempDatabase, writeFiles } from '../support/temp';

const NOW = new Date('2026-11-20T12:00:00Z');
let n = 0;
const rec = (day: string): CloudTrailRecord => ({
  eventTime: `${day}T08:00:00Z`, eventID: `scope-${++n}`, eventName: 'DescribeInstances', eventSource: 'ec2.amazonaws.com', awsRegion: 'us-east-1',
});

test("an account's folder reads its files under the trail's keys and window; the trail's folder then reads only the rest", () =>
  withTempDatabase(async (dir, db: Database) => {
    const org = 'o-abcdef1234';
    const trail = writeFiles(path.join(dir, 'trail'), {
      [`${dayPrefix('111122223333', 'us-east-1', '2026-11-20', org)}a.json.gz`]: logFile([rec('2026-11-20'), rec('2026-11-20')]),
      [`${dayPrefix('111122223333', 'eu-west-1', '2026-11-19', org)}b.json.gz`]: logFile([rec('2026-11-19')]),
      // Before the 3-day window.
      [`${dayPrefix('111122223333', 'us-east-1', '2026-11-16', org)}old.json.gz`]: logFile([rec('2026-11-16')]),
      [`${dayPrefix('444455556666', 'us-east-1', '2026-11-20', org)}c.json.gz`]: logFile([rec('2026-11-20')]),
    });
    const run = (source: string) => ingest({ source, db, days: 3, now: NOW });
    const account = path.join(trail, 'AWSLogs', org, '111122223333');
    expect(await run(account)).toMatchObject({ source: account, objects: 2, events: 3, errors: 0 });
    const keys = await db.all<{ source: string; key: string }>('SELECT source, key FROM ingested_objects ORDER BY key');
    expect(keys).toEqual([
      { source: trail, key: `${dayPrefix('111122223333', 'eu-west-1', '2026-11-19', org)}b.json.gz` },
      { source: trail, key: `${dayPrefix('111122223333', 'us-east-1', '2026-11-20', org)}a.json.gz` },
    ]);
    // A region folder of it: nothing new.
    expect(await run(path.join(account, 'CloudTrail', 'us-east-1'))).toMatchObject({ objects: 0, unchanged: 1 });
    expect(await run(trail)).toMatchObject({ source: trail, objects: 1, events: 1, unchanged: 2, duplicates: 0 });
    expect(await rowCount(db, 'events')).toBe(4);
    expect(await rowCount(db, 'ingested_objects')).toBe(3);
  }));
