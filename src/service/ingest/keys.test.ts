import { beforeCloudTrail, CLOUDTRAIL_BEGAN, cloudTrailDays, dayWindow, daysOf, inDayOrder, isLogFileName, parseKey, sourceScope } from './keys';

describe('parseKey', () => {
  test('an event file, with and without prefix and organization', () => {
    expect(parseKey('AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0005Z_abc.json.gz')).toEqual({
      kind: 'events', account: '111122223333', organization: undefined, region: 'us-east-1', day: '2026-11-20',
    });
    expect(parseKey('team/trail/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/weird-region-9/2026/01/02/x.json.gz')).toMatchObject({
      kind: 'events', account: '444455556666', organization: 'o-a1b2c3d4e5', region: 'weird-region-9', day: '2026-01-02',
    });
  });
  test('digest, insight and other keys', () => {
    expect(parseKey('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/d.json.gz').kind).toBe('digest');
    expect(parseKey('AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/20/i.json.gz').kind).toBe('insight');
    expect(parseKey('exports/plain.json').kind).toBe('other');
    // A 11-digit account is not the layout.
    expect(parseKey('AWSLogs/11112222333/CloudTrail/us-east-1/2026/11/20/x.json.gz').kind).toBe('other');
  });
});

describe('dayWindow', () => {
  const now = new Date('2026-03-02T05:00:00Z');
  test('the last N days, today included, across a month end', () => {
    expect(dayWindow({ days: 3, now })).toEqual({ from: '2026-02-28', to: '2026-03-02' });
    expect(daysOf(dayWindow({ days: 3, now }))).toEqual(['2026/02/28', '2026/03/01', '2026/03/02']);
    expect(dayWindow({ now })).toEqual({ from: '2026-02-17', to: '2026-03-02' });
  });
  test('--since', () => {
    expect(dayWindow({ since: '2026-02-27', now })).toEqual({ from: '2026-02-27', to: '2026-03-02' });
  });
  test('never before CloudTrail began: each day is a LIST request per account and region', () => {
    expect(dayWindow({ days: 36500, now })).toEqual({ from: CLOUDTRAIL_BEGAN, to: '2026-03-02' });
    expect(dayWindow({ since: '1971-01-01', now })).toEqual({ from: '2013-11-13', to: '2026-03-02' });
    expect(daysOf(dayWindow({ since: '1971-01-01', now }))[0]).toBe('2013/11/13');
    expect(beforeCloudTrail({ since: '1971-01-01', now })).toBe('1971-01-01');
    expect(beforeCloudTrail({ since: CLOUDTRAIL_BEGAN, now })).toBeUndefined();
    expect(beforeCloudTrail({ days: 3, now })).toBeUndefined();
  });
  test('any number of days: a window past the dates a Date can hold starts where CloudTrail began all the same', () => {
    expect(dayWindow({ days: 1_000_000_000, now })).toEqual({ from: CLOUDTRAIL_BEGAN, to: '2026-03-02' });
    expect(beforeCloudTrail({ days: 1_000_000_000, now })).toBe('0001-01-01 or earlier');
    expect(beforeCloudTrail({ days: 36500, now })).toMatch(/^1926-\d\d-\d\d$/);
  });
  test('cloudTrailDays: every day since CloudTrail began, today included; a window of that many starts on its first day', () => {
    expect(cloudTrailDays(new Date(`${CLOUDTRAIL_BEGAN}T23:59:59Z`))).toBe(1);
    expect(cloudTrailDays(new Date('2013-11-14T00:00:00Z'))).toBe(2);
    const days = cloudTrailDays(now);
    expect(dayWindow({ days, now }).from).toBe(CLOUDTRAIL_BEGAN);
    expect(beforeCloudTrail({ days, now })).toBeUndefined();
    expect(beforeCloudTrail({ days: days + 1, now })).toBe('2013-11-12');
  });
  test('bad values say what is expected', () => {
    expect(() => dayWindow({ since: '27/02/2026', now })).toThrow(/expected a date like/);
    // Days a month does not have: refused, not rolled over into the next month.
    for (const since of ['2026-02-30', '2026-02-29', '2025-04-31']) {
      expect(() => dayWindow({ since, now })).toThrow(`--since ${since}: the calendar has no such day`);
    }
    expect(dayWindow({ since: '2024-02-29', now }).from).toBe('2024-02-29');
    expect(() => dayWindow({ since: '2026-04-01', now })).toThrow('--since 2026-04-01 is in the future: today is 2026-03-02 (UTC); give a day up to it');
    expect(() => dayWindow({ days: 0, now })).toThrow(/whole number/);
  });
});

describe('sourceScope', () => {
  test('a trail prefix, AWSLogs/ itself, or an organization, account, CloudTrail/ or region folder: the trail and the folder below it', () => {
    expect(sourceScope('')).toEqual({ root: '', scope: '' });
    expect(sourceScope('team/trail/')).toEqual({ root: 'team/trail/', scope: '' });
    expect(sourceScope('team/trail/AWSLogs/')).toEqual({ root: 'team/trail/', scope: '' });
    for (const folder of [
      'AWSLogs/o-a1b2c3d4e5/',
      'AWSLogs/o-a1b2c3d4e5/444455556666/',
      'AWSLogs/444455556666/',
      'AWSLogs/444455556666/CloudTrail/',
      'AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-3/',
    ]) {
      expect(sourceScope(`team/trail/${folder}`)).toEqual({ root: 'team/trail/', scope: folder });
      expect(sourceScope(folder)).toEqual({ root: '', scope: folder });
    }
  });

  test('other folders inside the layout: the nearest folder above that a source can start at', () => {
    expect(sourceScope('t/AWSLogs/444455556666/CloudTrail/us-east-1/2026/11/')).toEqual({ startAt: 't/AWSLogs/444455556666/CloudTrail/us-east-1/' });
    expect(sourceScope('AWSLogs/444455556666/CloudTrail-Digest/')).toEqual({ startAt: 'AWSLogs/444455556666/' });
    expect(sourceScope('t/AWSLogs/4444/')).toEqual({ startAt: 't/' });
    expect(sourceScope('AWSLogs/notes/')).toEqual({ startAt: '' });
  });
});

describe('isLogFileName', () => {
  test('.json.gz as CloudTrail writes it, and plain .json; nothing else', () => {
    expect(['a.json.gz', 'exports/b.json'].map(isLogFileName)).toEqual([true, true]);
    expect(['notes.txt', 'a.json.gz.sig', 'a.json.gz/', 'EXPORT.JSON.GZ', 'a.gz'].map(isLogFileName)).toEqual([false, false, false, false, false]);
  });
});

describe('inDayOrder', () => {
  test("every account's and region's folder of a day before the next day; units without a day first, as planned", () => {
    const s3 = (account: string, region: string, day: string) => `logs/AWSLogs/${account}/CloudTrail/${region}/${day.replace(/-/g, '/')}/`;
    const planned = [
      s3('111122223333', 'us-east-1', '2026-11-19'),
      s3('111122223333', 'us-east-1', '2026-11-20'),
      s3('111122223333', 'eu-west-1', '2026-11-19'),
      s3('111122223333', 'eu-west-1', '2026-11-20'),
      'exports/plain',
      // A folder source's units are relative paths without the trailing slash; an organization's account too.
      'AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-1/2026/11/18',
      'AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-1/2026/11/20',
      '',
    ];
    expect(inDayOrder(planned)).toEqual([
      'exports/plain',
      '',
      'AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-1/2026/11/18',
      s3('111122223333', 'us-east-1', '2026-11-19'),
      s3('111122223333', 'eu-west-1', '2026-11-19'),
      s3('111122223333', 'us-east-1', '2026-11-20'),
      s3('111122223333', 'eu-west-1', '2026-11-20'),
      'AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-1/2026/11/20',
    ]);
  });
});
