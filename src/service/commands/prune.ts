// trailhound prune --retention-days N: what `serve --retention-days` does every hour, once (for `ingest` from cron).
import { Command } from 'commander';
import { BOUNDS, DEFAULTS, existingDatabase, memoryLimit, retentionDays } from '../config';
import * as lazy from './lazy';
import { IN_USE, sayLongMigration, warnIfExposed, wholeFlag, withEnvironment } from './options';

export function pruneCommand(): Command {
  const definition = new Command('prune')
    .description('remove events older than the retention, with the kept log files and ledger rows only they needed; then compact the kept log files')
    .option('--retention-days <n>', 'required: days of events to keep (or env TRAILHOUND_RETENTION_DAYS)', wholeFlag(BOUNDS.retentionDays))
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--json', 'print a one-line JSON summary')
    .action(async (opts) => {
      const days = retentionDays(opts.retentionDays);
      if (days === undefined) {
        throw new Error('how many days to keep? Give --retention-days N (or set TRAILHOUND_RETENTION_DAYS)');
      }
      // Not a new, empty database (of a mistyped --db, or ./data from another folder) pruned of nothing, said as a success.
      const file = existingDatabase(opts.db);
      warnIfExposed(file);
      const { describePrune, prune } = lazy.retention();
      const options = { memoryLimit: memoryLimit(DEFAULTS.memoryLimit), onLongMigration: sayLongMigration, inUse: IN_USE.prune };
      const db = await lazy.database().Database.open(file, options);
      try {
        const summary = await prune(db, days);
        // Then the kept log files of finished days, one Parquet file each: what the prune left of a file of several days goes too.
        const { compactOriginals, describeCompaction } = lazy.originals();
        const compaction = await compactOriginals(db);
        const compacted = describeCompaction(compaction);
        console.log(opts.json ? JSON.stringify({ ...summary, compaction }) : describePrune(summary) + (compacted ? `\n${compacted}` : ''));
      } finally {
        db.close();
      }
    });
  return withEnvironment(definition, ['TRAILHOUND_MEMORY_LIMIT']);
}
