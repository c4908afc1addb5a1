// trailhound trails sync | list
import { Command } from 'commander';
import { messageOf } from '../../model/errorMessage';
import { counted } from '../counted';
import { checkSdkEndpoints, cloudtrailEndpointUrl, DEFAULTS, env, existingDatabase } from '../config';
import { terminalWidth } from '../table';
import { printFrames } from '../reports/print';
import { resolveQuery } from '../../model/query';
import * as lazy from './lazy';
import { collect, IN_USE, openForWriting, warn, withEnvironment } from './options';

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
      await checkSdkEndpoints({ CloudTrail: opts.cloudtrailEndpoint, S3: env('S3_ENDPOINT') }, warn);
      const { db, file, newFile, discardIfNew } = await openForWriting(opts.db, IN_USE.trailsSync);
      let failed = false;
      try {
        // This command reads no S3, but a TRAILHOUND_S3_ENDPOINT (or AWS_ENDPOINT_URL_S3, the config file's) set for serve
        // and ingest means their S3 is not AWS's.
        const endpoints = { endpoint: opts.cloudtrailEndpoint, s3Endpoint: env('S3_ENDPOINT') };
        const result = await lazy.trails().syncTrails(db, { ...endpoints, fallbackRegions: opts.region });
        const notLogging = result.trails.filter((t) => t.isLogging === false).length;
        if (opts.json) {
          console.log(JSON.stringify({ trails: result.trails.length, notLogging, warnings: result.warnings }));
        } else {
          for (const w of result.warnings) warn(w);
          console.log(`Stored ${counted(result.trails.length, 'trail')} (${notLogging} not logging).`);
        }
      } catch (err) {
        failed = true;
        if (!newFile) throw err;
        const message = messageOf(err);
        throw new Error(`${message}\n(nothing was stored: the database this run created, ${file}, is removed again)`, { cause: err });
      } finally {
        db.close();
        // A first sync that failed (no credentials, an endpoint not reached) stored nothing: the empty database it
        // created would make 'report' and 'serve' look loaded, as ingest's would.
        if (failed) discardIfNew();
      }
    });
  withEnvironment(sync, ['TRAILHOUND_MEMORY_LIMIT', 'TRAILHOUND_S3_ENDPOINT', 'AWS_*']);
  trails
    .command('list')
    .description("print the stored trail inventory, as 'trailhound report trails' does")
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--json', 'print JSON rows, as GET /api/trails lists them (times in ISO 8601)')
    .action(async (opts) => {
      // DuckDB's own words would be "Cannot open database … in read-only mode: database does not exist".
      const db = await lazy.database().Database.open(existingDatabase(opts.db), { readOnly: true, inUse: IN_USE.trailsList });
      try {
        // The List of Trails as report trails prints it (its frame's column names), and as the API lists it for --json.
        const reports = new (lazy.reports().Reports)(db);
        if (opts.json) console.log(JSON.stringify(await reports.trails()));
        else console.log(printFrames(await reports.frames(resolveQuery({ queryType: 'trails' }), { from: 0, to: Date.now() }), 0, terminalWidth()));
      } finally {
        db.close();
      }
    });
  return trails;
}
