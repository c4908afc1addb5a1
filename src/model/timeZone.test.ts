import { QueryError } from './query';
import { browserTimeZone, FOLLOWED_UNTIL, offsetAt, resolveTimeZone, UTC, zonePieces } from './timeZone';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('resolveTimeZone', () => {
  test('no zone is UTC; a known one is spelt as Intl spells it', () => {
    for (const none of [undefined, null, '']) expect(resolveTimeZone('range.timeZone', none)).toBe(UTC);
    expect(resolveTimeZone('range.timeZone', 'utc')).toBe(UTC);
    expect(resolveTimeZone('range.timeZone', 'Etc/UTC')).toBe(UTC);
    expect(resolveTimeZone('range.timeZone', 'Australia/Sydney')).toBe('Australia/Sydney');
    // An alias is its zone.
    expect(resolveTimeZone('range.timeZone', 'US/Eastern')).toBe('America/New_York');
  });

  test.each([
    ['Europe/Berln', '"Europe/Berln" is not a time zone: use an IANA name such as Europe/Berlin, or UTC (did you mean Europe/Berlin?)'],
    ['Mars/Olympus_Mons', '"Mars/Olympus_Mons" is not a time zone: use an IANA name such as Europe/Berlin, or UTC'],
    ["UTC'; DROP TABLE events; --", `"UTC'; DROP TABLE events; --" is not a time zone: use an IANA name such as Europe/Berlin, or UTC`],
  ])('%s is refused, with the zone meant when there is one', (given, message) => {
    expect(() => resolveTimeZone('range.timeZone', given)).toThrow(new QueryError('range.timeZone', message));
    try {
      resolveTimeZone('range.timeZone', given);
    } catch (err) {
      expect((err as QueryError).code).toBe('unknown-value');
    }
  });

  test.each([[3], [{ zone: 'UTC' }], ['x'.repeat(65)]])('%j is not a name', (given) => {
    expect(() => resolveTimeZone('range.timeZone', given)).toThrow('range.timeZone: must be the name of a time zone, such as Europe/Berlin or UTC');
  });
});

test("Grafana's browser zone is the browser's own; utc is UTC; a named zone stays", () => {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  expect(browserTimeZone('browser')).toBe(own);
  expect(browserTimeZone('')).toBe(own);
  expect(browserTimeZone(undefined)).toBe(own);
  expect(browserTimeZone('utc')).toBe(UTC);
  expect(browserTimeZone('Asia/Kathmandu')).toBe('Asia/Kathmandu');
});

test.each([
  ['UTC', '2026-01-15T12:00:00Z', 0],
  ['Australia/Sydney', '2026-01-15T12:00:00Z', 11 * HOUR],
  ['Australia/Sydney', '2026-07-15T12:00:00Z', 10 * HOUR],
  ['America/Los_Angeles', '2026-07-15T12:00:00Z', -7 * HOUR],
  ['Asia/Kathmandu', '2026-07-15T12:00:00Z', 5.75 * HOUR],
  ['America/St_Johns', '2026-01-15T12:00:00Z', -3.5 * HOUR],
  // Liberia kept its own mean time, 44 minutes 30 seconds behind UTC, until 1972.
  ['Africa/Monrovia', '1971-06-01T00:00:00Z', -(44 * 60 + 30) * 1000],
  ['Africa/Monrovia', '1973-06-01T00:00:00Z', 0],
  ['Europe/Berlin', '9999-06-01T00:00:00Z', 2 * HOUR],
])('offsetAt(%s, %s)', (zone, instant, offset) => {
  expect(offsetAt(zone, at(instant))).toBe(offset);
  // Within a second the offset is the same: it is read to the second.
  expect(offsetAt(zone, at(instant) + 999)).toBe(offset);
});

describe('zonePieces', () => {
  test("Berlin's changes in 2026 are found to the millisecond", () => {
    expect(zonePieces('Europe/Berlin', at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).toEqual([
      { from: at('2026-01-01T00:00:00Z'), offset: HOUR },
      { from: at('2026-03-29T01:00:00Z'), offset: 2 * HOUR },
      { from: at('2026-10-25T01:00:00Z'), offset: HOUR },
    ]);
  });

  test('half-hour changes (Lord Howe) and changes in the last week of the range are found', () => {
    expect(zonePieces('Australia/Lord_Howe', at('2026-03-01T00:00:00Z'), at('2026-04-05T15:00:00.001Z'))).toEqual([
      { from: at('2026-03-01T00:00:00Z'), offset: 11 * HOUR },
      { from: at('2026-04-04T15:00:00Z'), offset: 10.5 * HOUR },
    ]);
    // A range ending at the change has none.
    expect(zonePieces('Australia/Lord_Howe', at('2026-03-01T00:00:00Z'), at('2026-04-04T15:00:00Z'))).toHaveLength(1);
  });

  test('UTC, or a zone without changes, is one piece however long the range', () => {
    expect(zonePieces(UTC, 0, at('9999-01-01T00:00:00Z'))).toEqual([{ from: 0, offset: 0 }]);
    expect(zonePieces('Asia/Kolkata', 0, at('9999-01-01T00:00:00Z'))).toEqual([{ from: 0, offset: 5.5 * HOUR }]);
  });

  test("a summer time of one week is seen: Noronha's, 8 to 15 October 2000", () => {
    expect(zonePieces('America/Noronha', at('2000-09-01T00:00:00Z'), at('2000-12-01T00:00:00Z'))).toEqual([
      { from: at('2000-09-01T00:00:00Z'), offset: -2 * HOUR },
      { from: at('2000-10-08T02:00:00Z'), offset: -HOUR },
      { from: at('2000-10-15T01:00:00Z'), offset: -2 * HOUR },
    ]);
  });

  test('changes are followed until 2200 and the offset then holds', () => {
    const pieces = zonePieces('Europe/Berlin', at('2199-01-01T00:00:00Z'), at('2300-01-01T00:00:00Z'));
    expect(pieces.map((p) => p.offset)).toEqual([HOUR, 2 * HOUR, HOUR]);
    expect(pieces[pieces.length - 1].from).toBeLessThan(FOLLOWED_UNTIL);
  });

  // Noronha had a summer time of one week, in October 2000.
  const changing = ['Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Africa/Casablanca', 'Pacific/Apia'];
  test.each([...changing, 'America/Sao_Paulo', 'America/Noronha'])(
    '%s: the piece holding an instant has the offset Intl gives it (1970 to 2040, an instant every 3 days and 7 hours)',
    (zone) => {
      const from = 0;
      const to = at('2040-01-01T00:00:00Z');
      const pieces = zonePieces(zone, from, to);
      expect(pieces.length).toBeGreaterThan(1);
      let p = 0;
      for (let t = from; t < to; t += 3 * 86_400_000 + 7 * HOUR) {
        while (p + 1 < pieces.length && pieces[p + 1].from <= t) p++;
        if (pieces[p].offset !== offsetAt(zone, t)) throw new Error(`${zone} at ${new Date(t).toISOString()}: ${pieces[p].offset} != ${offsetAt(zone, t)}`);
      }
      // Each change is where the offset changes: the millisecond before has the piece before's.
      for (let i = 1; i < pieces.length; i++) {
        expect(offsetAt(zone, pieces[i].from - 1)).toBe(pieces[i - 1].offset);
        expect(pieces[i].offset).not.toBe(pieces[i - 1].offset);
      }
    }
  );
});

test("a zone's formatter is kept under its own spelling only: other spellings sent by requests are not kept", () => {
  const made = jest.spyOn(Intl, 'DateTimeFormat');
  try {
    for (let i = 0; i < 3; i++) expect(offsetAt('Asia/Tokyo', i)).toBe(9 * HOUR);
    expect(made).toHaveBeenCalledTimes(1);
    // 50,000 spellings of one zone, each kept, held 1.4 GB.
    for (const spelling of ['asia/tokyo', 'ASIA/TOKYO', 'asia/tokyo']) expect(offsetAt(spelling, 0)).toBe(9 * HOUR);
    expect(made).toHaveBeenCalledTimes(4);
  } finally {
    made.mockRestore();
  }
});
