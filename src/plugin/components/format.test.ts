import { formatBackfill, formatCount, formatLag, formatRetention, formatSource, formatTime, shortKey } from './format';
import { parseLimit } from './LimitField';

describe('formatters', () => {
  it('says how far behind ingestion is, in a sensible unit', () => {
    expect(formatLag(null)).toBe('no events yet');
    expect(formatLag(42)).toBe('42 s');
    expect(formatLag(600)).toBe('10 min');
    expect(formatLag(7200)).toBe('2 h');
    expect(formatLag(3 * 86400)).toBe('3 days');
  });
  it('shows times locally, and "never" when missing', () => {
    expect(formatTime(null)).toBe('never');
    expect(formatTime('2026-11-25T10:00:00Z')).toBe(new Date('2026-11-25T10:00:00Z').toLocaleString());
    expect(formatTime('garbage')).toBe('garbage');
  });
  it("shortens a key to its file name, which names a CloudTrail file's account, region and time", () => {
    const name = '123456789012_CloudTrail_us-east-1_20261125T1005Z_Ab12.json.gz';
    expect(shortKey(`audit/AWSLogs/o-abc123/123456789012/CloudTrail/us-east-1/2026/11/25/${name}`)).toBe(`…/${name}`);
    expect(shortKey('loose.json')).toBe('loose.json');
    expect(shortKey('odd/')).toBe('odd/');
  });
  it('formats counts', () => {
    expect(formatCount(undefined)).toBe('–');
    expect(formatCount(1234)).toBe((1234).toLocaleString());
  });
  it('says where the last backfill is', () => {
    const startedAt = '2026-11-25T10:00:00Z';
    const finishedAt = '2026-11-25T10:30:00Z';
    expect(formatBackfill({ days: 90, state: 'running', startedAt })).toBe(`90 days, running since ${formatTime(startedAt)}`);
    expect(formatBackfill({ days: 90, state: 'done', startedAt, finishedAt })).toBe(`90 days, finished ${formatTime(finishedAt)}`);
    expect(formatBackfill({ days: 7, state: 'failed', startedAt, finishedAt, error: 'AccessDenied' })).toBe('7 days, failed: AccessDenied');
    expect(formatBackfill({ days: 1, state: 'running', startedAt })).toBe(`1 day, running since ${formatTime(startedAt)}`);
  });
  it('says how a source of several is doing', () => {
    const lastRun = '2026-11-25T10:05:00Z';
    expect(formatSource({ source: 's3://a/', objects: 3, lastRun: null, lastError: null })).toBe('3 log files, not read yet');
    expect(formatSource({ source: 's3://a/', objects: 3, lastRun, lastError: null })).toBe(`3 log files, last read ${formatTime(lastRun)}`);
    expect(formatSource({ source: 's3://a/', objects: 0, lastRun, lastError: 'AccessDenied' })).toBe('0 log files, its last run failed: AccessDenied');
    expect(formatSource({ source: 's3://a/', objects: 1, lastRun, lastError: null })).toBe(`1 log file, last read ${formatTime(lastRun)}`);
    expect(formatSource({ source: 's3://a/', objects: 1234, lastRun: null, lastError: null })).toBe(`${(1234).toLocaleString()} log files, not read yet`);
  });
  it('says how many days are kept, and what the last prune removed', () => {
    const before = '2026-11-24T10:00:00Z';
    const prunedAt = '2026-11-25T10:00:00Z';
    expect(formatRetention({ days: 1, before, prunedAt })).toBe(`1 day: events before ${formatTime(before)} removed at ${formatTime(prunedAt)}`);
    expect(formatRetention({ days: 1000, before, prunedAt })).toMatch(new RegExp(`^${(1000).toLocaleString()} days: `));
  });
});

describe('parseLimit', () => {
  it('accepts whole numbers from 1, capped at the model maximum', () => {
    expect(parseLimit('50')).toBe(50);
    expect(parseLimit(' 7 ')).toBe(7);
    expect(parseLimit('999999')).toBe(10_000);
  });
  it('falls back to the default for anything else', () => {
    expect(parseLimit('')).toBeUndefined();
    expect(parseLimit('0')).toBeUndefined();
    expect(parseLimit('-3')).toBeUndefined();
    expect(parseLimit('2.5')).toBeUndefined();
    expect(parseLimit('abc')).toBeUndefined();
    // Number() reads these as 16, 3 and Infinity; the service refuses them as text, so the box does too.
    expect(parseLimit('0x10')).toBeUndefined();
    expect(parseLimit('0b11')).toBeUndefined();
    expect(parseLimit('Infinity')).toBeUndefined();
    // Number() reads it as 50: the service refuses the fraction, so the box does too.
    expect(parseLimit('50.0000000000000001')).toBeUndefined();
  });
});
