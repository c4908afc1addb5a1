// trailhound trails sync | list
import { Command } from 'commander';
import { counted } from '../counted';
import { Database } from '../db/database';
import { cloudtrailEndpointUrl, DEFAULTS, dbPath, env, existingDatabase } from '../config';
import { syncTrails } from '../trails';
import { formatTable, terminalWidth } from '../table';
import { NO_TRAILS } from '../reports/print';
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
    .description('print the stored trail inventory')
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--json', 'print JSON rows')
    .action(async (opts) => {
      // DuckDB's own words would be "Cannot open database … in read-only mode: database does not exist".
      const db = await Database.open(existingDatabase(dbPath(opts.db)), { readOnly: true });
      try {
        const rows = await db.all<Record<string, unknown>>(
          `SELECT name, home_region, s3_bucket, s3_key_prefix, is_logging, include_global_service_events, is_multi_region,
                  is_organization_trail, strftime(logging_started, '%Y-%m-%d %H:%M') AS logging_started,
                  strftime(logging_stopped, '%Y-%m-%d %H:%M') AS logging_stopped, strftime(last_delivery, '%Y-%m-%d %H:%M') AS last_delivery,
                  last_delivery_error, strftime(last_notification, '%Y-%m-%d %H:%M') AS last_notification, sns_topic
           FROM trails ORDER BY name`
        );
        console.log(opts.json ? JSON.stringify(rows) : rows.length === 0 ? NO_TRAILS : formatTable(rows, terminalWidth()));
      } finally {
        db.close();
      }
    });
  return trails;
}
