import { copiedRowGroups, type RowGroupsOf } from './keptRowGroups';

const MB = 1024 * 1024;

/** A day compacted before row groups were bounded by bytes: row groups of 127 log files of 185 kB (23 MB each). */
function oldDay(files: number): RowGroupsOf {
  const perRow = 185_000;
  return { perRow, largest: 127 * perRow, most: 127, rows: files, rowGroups: Math.ceil(files / 127) };
}

test('an old day of 90 MB is read in slices of as many files as a written row group holds', () => {
  const { rows, oversized } = copiedRowGroups([['old.parquet', oldDay(500)]]);
  expect(rows).toBe(Math.floor((4 * MB) / 185_000));
  expect(oversized).toEqual(new Map([['old.parquet', rows]]));
});

test("an old day of 9 GB is read in bigger slices: their footers (each slice reads its file's whole footer) stay bounded", () => {
  const day = oldDay(48_650);
  const { rows, oversized } = copiedRowGroups([['old.parquet', day]]);
  const slice = oversized.get('old.parquet')!;
  // Bigger than a written row group, smaller than a row group read: still re-split.
  expect(slice).toBeGreaterThan(rows);
  expect(slice).toBeLessThan(127);
  // Slices times the row groups each reads the footer of: ~2 300 x 394 at `rows` files a slice.
  expect(Math.ceil(day.rows / slice) * day.rowGroups).toBeLessThanOrEqual(200_000 + day.rowGroups);
});

test('old days so big that a slice would hold a whole row group are read whole, as before row groups were bounded', () => {
  const { oversized } = copiedRowGroups([
    ['a.parquet', oldDay(200_000)],
    ['b.parquet', oldDay(1_000)],
  ]);
  expect(oversized.size).toBe(0);
});

test('row groups within the bytes ingestion writes are never sliced', () => {
  const small: RowGroupsOf = { perRow: 60_000, largest: 64 * 60_000, most: 64, rows: 6_400, rowGroups: 100 };
  expect(copiedRowGroups([['new.parquet', small]]).oversized.size).toBe(0);
});
