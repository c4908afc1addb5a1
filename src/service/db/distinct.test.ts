// distinctSql keeps each value of a list once, in order, as list_distinct would (without its crash when memory runs
// out: see distinct.ts); and no statement that ingestion or a report runs uses list_distinct.
import { DuckDBInstance } from '@duckdb/node-api';
import { resolveQuery } from '../../model/query';
import { normaliseSql } from '../ingest/normalise';
import { timeseries, topGroups } from '../reports/sql';
import { BucketGrid } from '../reports/buckets';
import { distinctSql } from './distinct';
import { RESOURCE_INDEX_SELECT } from './schema';

test('each value once, at its first place, in order; NULL a value too; empty and NULL lists as they are', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT ${distinctSql('l')} AS d FROM (VALUES (1, ['b', 'a', 'b', 'c', 'a']), (2, ['x', NULL, 'x', NULL]), (3, []), (4, NULL)) t(n, l) ORDER BY n`
    );
    expect(reader.getRowsJS().map(([d]) => d)).toEqual([['b', 'a', 'c'], ['x', null], [], null]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test('no statement of ingestion or of a report grouped by resource uses list_distinct', () => {
  const range = { from: 0, to: 86_400_000 };
  const byResource = resolveQuery({ groupBy: 'resource' });
  const statements = [
    normaliseSql('records'),
    RESOURCE_INDEX_SELECT('fresh'),
    timeseries(byResource, range, new BucketGrid(range, 3_600_000)).sql,
    topGroups(resolveQuery({ groupBy: 'resource', format: 'table' }), range).sql,
  ];
  for (const sql of statements) expect(sql).not.toMatch(/list_distinct|array_distinct/i);
  // Not vacuous: each of them lists values once, by distinctSql.
  for (const sql of statements) expect(sql).toContain('list_position(');
});
