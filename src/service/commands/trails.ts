// trailhound trails sync | list
import { Command } from 'commander';
import { counted } from '../counted';
import { Database } from '../db/database';
import { cloudtrailEndpointUrl, DEFAULTS, dbPath, env, existingDatabase } from '../config';
import { syncTrails } from '../trails';
import { terminalWidth } from '../table';
import { Reports } from '../reports';
import { printFrames } from '../reports/print';
import { resolveQuery } from '../../model/query';
import { collect, warn, warnIfExposed, withEnvironment } from './options';

export function trailsCommand(): Command {
  const trails = new Command('trails').description('the CloudTrail trail inventory (List of Trails)');
  const sync = trails
    .command('sync')
    .description('read every trail and its status from the CloudTrail API into the database')
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--region <region>', 'where to look when ListTrails is denied (repeatable)', collect)
    .option('--cloudtrail-endpoint <url>', 'a CloudTrail-compatible endpoint (env TRAILHOUND_CLOUDTRAIL_ENDPOINT)', env('CLOUDTRAIL_ENDPOINT'))
    .option('--json', 'print a one-line JSON summary')
    .action(async (opts) => {
      cloudtrailEndpointUrl(opts.cloudtrailEndpoint);
      warnIfExposed(dbPath(opts.db));
      const db = await Database.open(dbPath(opts.db));
      try {
        const result = await syncTrails(db, { endpoint: opts.cloudtrailEndpoint, fallbackRegions: opts.region });
        const notLogging = result.trails.filter((t) => t.isLogging === false).length;
        if (opts.json) {
          console.log(JSON.stringify({ trails: result.trails.length, notLogging, warnings: result.warnings }));
        } else {
          for (const w of result.warnings) warn(w);
          console.log(`Stored ${counted(result.trails.length, 'trail')} (${notLogging} not logging).`);
        }
      } finally {
        db.close();
      }
    });
  withEnvironment(sync, ['AWS_*']);
  trails
    .command('list')
    .description("print the stored trail inventory, as 'trailhound report trails' does")
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--json', 'print JSON rows, as GET /api/trails lists them (times in ISO 8601)')
    .action(async (opts) => {
      // DuckDB's own words would be "Cannot open database … in read-only mode: database does not exist".
      const db = await Database.open(existingDatabase(dbPath(opts.db)), { readOnly: true });
      try {
        // The List of Trails as report trails prints it (its frame's column names), and as the API lists it for --json.
        const reports = new Reports(db);
        if (opts.json) console.log(JSON.stringify(await reports.trails()));
        else console.log(printFrames(await reports.frames(resolveQuery({ queryType: 'trails' }), { from: 0, to: Date.now() }), 0, terminalWidth()));
      } finally {
        db.close();
      }
    });
  return trails;
}
