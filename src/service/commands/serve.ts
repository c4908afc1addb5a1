// trailhound serve: ingestion on a schedule (and, with the report API, HTTP on 127.0.0.1:7480).
import path from 'node:path';
import { Command } from 'commander';
import { Database } from '../db/database';
import { DEFAULTS, dbPath, env, envNumber } from '../config';
import { createLogger } from '../logger';
import { ensureSampleLogs } from '../sample';
import { startService } from '../service';
import { positiveInt } from './ingest';

export function serveCommand(): Command {
  return new Command('serve')
    .description('keep the database up to date: backfill, then poll for new CloudTrail logs')
    .option('--source <source>', 's3://bucket[/prefix] or a folder (env TRAILHOUND_SOURCE; default: the bundled sample logs)', env('SOURCE'))
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB, default ${DEFAULTS.db})`)
    .option('--days <n>', `days to backfill on start (default ${DEFAULTS.days})`, positiveInt)
    .option('--poll-interval <seconds>', `seconds between polls (env TRAILHOUND_POLL_INTERVAL, default ${DEFAULTS.pollIntervalSeconds})`, positiveInt)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint, path-style (env TRAILHOUND_S3_ENDPOINT)', env('S3_ENDPOINT'))
    .option('--cloudtrail-endpoint <url>', 'CloudTrail-compatible endpoint (env TRAILHOUND_CLOUDTRAIL_ENDPOINT)', env('CLOUDTRAIL_ENDPOINT'))
    .action(async (opts) => {
      const logger = createLogger();
      const file = dbPath(opts.db);
      const db = await Database.open(file, { memoryLimit: DEFAULTS.memoryLimit });
      let source: string = opts.source;
      if (!source) {
        source = await ensureSampleLogs(path.dirname(path.resolve(file)));
        logger.info({ source }, 'no --source given: serving the bundled sample logs (set TRAILHOUND_SOURCE=s3://your-bucket for real ones)');
      }
      const pollSeconds = opts.pollInterval ?? envNumber('POLL_INTERVAL') ?? DEFAULTS.pollIntervalSeconds;
      logger.info({ source, db: file, pollSeconds }, 'trailhound started');
      const service = startService({
        db,
        source,
        logger,
        days: opts.days,
        pollIntervalMs: pollSeconds * 1000,
        s3Endpoint: opts.s3Endpoint,
        cloudtrailEndpoint: opts.cloudtrailEndpoint,
      });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'stopping: finishing the ingestion in progress');
          void service.stop().then(() => {
            db.close();
            logger.info('stopped');
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
