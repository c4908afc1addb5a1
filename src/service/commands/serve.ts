// trailhound serve: ingestion on a schedule (and, with the report API, HTTP on 127.0.0.1:7480).
import dns from 'node:dns/promises';
import net from 'node:net';
import path from 'node:path';
import { Command } from 'commander';
import { messageOf } from '../../model/errorMessage';
import type { Database } from '../db/database';
import { unusableDatabasePath } from '../db/filePaths';
import {
  BOUNDS, checkSdkEndpoints, cloudtrailEndpointUrl, DEFAULTS, dbPath, env, envPositiveInt, memoryLimit, retentionDays, s3EndpointUrl, sourceList,
} from '../config';
import { deliverSampleLogs, ensureSampleLogs, SAMPLE_DAYS, SAMPLE_EVENTS, sampleLogsMade, sampleTrails } from '../sample';
import type { Service } from '../service';
import { exposedShortToken, isLoopback, resolveToken, shortTokenWarning, type Token } from '../api/token';
import * as lazy from './lazy';
import { collect, IN_USE, warn, wholeFlag, withEnvironment } from './options';
import { stopSignals } from './signals';

/** host:port, or :port for all interfaces (only when asked: the default is loopback). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) {
    throw new Error(`--listen (or TRAILHOUND_LISTEN) ${JSON.stringify(value)}: expected host:port, e.g. 127.0.0.1:7480, or :7480 for every interface`);
  }
  if (Number(m[2]) > 65535) throw new Error(`--listen (or TRAILHOUND_LISTEN) ${JSON.stringify(value)}: the port must be 65535 or less, e.g. 127.0.0.1:7480`);
  return { host: m[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(m[2]) };
}

/** Why the API could not listen, and what to do about it. */
export function listenFailure(listen: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const choose = 'choose another address with --listen host:port (or TRAILHOUND_LISTEN)';
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${listen}: the port is in use (another trailhound serve?). Stop what uses it, or ${choose}`;
    case 'EACCES':
      return `cannot listen on ${listen}: permission denied (ports below 1024 need privileges); ${choose}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${listen}: the host is not an address of this machine; ${choose}`;
    default:
      return `cannot listen on ${listen} (${messageOf(err)}); ${choose}`;
  }
}

/** Every address of `host`, in the order the system gives them (the first is the one Node's own listen takes). */
const everyAddress = async (host: string): Promise<string[]> => (await dns.lookup(host, { all: true })).map((a) => a.address);

/** Binds a server to host:port and closes it again. */
async function probe(host: string, port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Fails as the API's listen would, before a start writes anything (the token file, the sample logs, the database):
 * a server bound to each address it will listen on and closed again. (Taken in between, the API's own listen still
 * fails cleanly.) For localhost that is every address it resolves to, 127.0.0.1 and ::1 where the hosts file names
 * both: fastify binds each. It ignores a second one it cannot bind, so a port another program holds on ::1 alone went
 * unnoticed, and a client resolving localhost to ::1 reached that program. `resolve` gives the addresses (tests).
 */
export async function checkListen(listen: string, host: string, port: number, resolve = everyAddress): Promise<void> {
  let addresses = [host];
  // Port 0 is a new port for each binding: fastify gives the others the first one's, which nothing holds yet.
  if (host === 'localhost' && port !== 0) {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new Error(listenFailure(listen, err));
    }
  }
  for (const [i, address] of addresses.entries()) {
    try {
      await probe(address, port);
    } catch (err) {
      // As fastify: another address it cannot bind (::1 without IPv6) is left out; one in use is another program's.
      if (i > 0 && (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') continue;
      throw new Error(listenFailure(address === host ? listen : `${listen} (${address})`, err));
    }
  }
}

/** The API's token (api/token.ts resolveToken); one it cannot write beside the database says which file, and what to do. */
function tokenBeside(dataDir: string): Token {
  try {
    return resolveToken(dataDir);
  } catch (err) {
    // Only the file system's errors (EACCES, ENOTDIR …): a blank TRAILHOUND_TOKEN says what to do itself.
    if (!(err as NodeJS.ErrnoException).code) throw err;
    throw new Error(
      `cannot write the token file ${path.join(dataDir, 'token')} (${(err as Error).message}): serve keeps it, and the database, in the database's ` +
        'folder; give a --db (or TRAILHOUND_DB) in a folder this user can write',
      { cause: err }
    );
  }
}

/** What the file system refuses when a folder is not this user's to write (or is mounted read-only). */
const NOT_WRITABLE = ['EACCES', 'EPERM', 'EROFS'];

/** The bundled sample logs in the database's folder (sample.ts); a folder this user cannot write says what to do. */
async function sampleBeside(dataDir: string): Promise<string> {
  try {
    return await ensureSampleLogs(dataDir);
  } catch (err) {
    if (!NOT_WRITABLE.includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    throw new Error(
      `cannot write the bundled sample logs into ${path.join(dataDir, 'sample-logs')} (${(err as Error).message}): with no --source, serve ` +
        'writes them in the database\'s folder; give a --db (or TRAILHOUND_DB) in a folder this user can write, or a --source ' +
        '(or TRAILHOUND_SOURCE) of your own logs',
      { cause: err }
    );
  }
}

export function serveCommand(): Command {
  const definition = new Command('serve')
    .description('serve the report API and keep the database up to date: backfill, then poll for new CloudTrail logs')
    .option('--listen <host:port>', 'where the API listens (env TRAILHOUND_LISTEN)', env('LISTEN') ?? DEFAULTS.listen)
    .option(
      '--source <source>',
      's3://bucket[/prefix] or a folder; repeat it for several (env TRAILHOUND_SOURCE, comma-separated; default: the bundled sample logs)',
      collect
    )
    .option('--db <file>', `DuckDB file (env TRAILHOUND_DB; default: ${DEFAULTS.db})`)
    .option('--days <n>', `days to backfill on start (default: ${DEFAULTS.days})`, wholeFlag(BOUNDS.days))
    .option(
      '--poll-interval <seconds>',
      `seconds between polls (env TRAILHOUND_POLL_INTERVAL; default: ${DEFAULTS.pollIntervalSeconds}, at most ${BOUNDS.pollSeconds.max})`,
      wholeFlag(BOUNDS.pollSeconds)
    )
    .option(
      '--retention-days <n>',
      'keep this many days of events; older ones are removed hourly (env TRAILHOUND_RETENTION_DAYS; default: keep all)',
      wholeFlag(BOUNDS.retentionDays)
    )
    .option('--s3-endpoint <url>', 'S3-compatible endpoint, path-style (env TRAILHOUND_S3_ENDPOINT)', env('S3_ENDPOINT'))
    .option('--cloudtrail-endpoint <url>', 'CloudTrail-compatible endpoint (env TRAILHOUND_CLOUDTRAIL_ENDPOINT)', env('CLOUDTRAIL_ENDPOINT'))
    .action(async (opts) => {
      // Settings first: a wrong one stops the start before anything is opened or scheduled.
      const { host, port } = parseListen(opts.listen);
      const pollSeconds = opts.pollInterval ?? envPositiveInt('POLL_INTERVAL', BOUNDS.pollSeconds) ?? DEFAULTS.pollIntervalSeconds;
      const retention = retentionDays(opts.retentionDays);
      // Not once the token file, the sample and the API are made: DuckDB reads it when the database opens.
      const memory = memoryLimit(DEFAULTS.serveMemoryLimit);
      s3EndpointUrl(opts.s3Endpoint);
      cloudtrailEndpointUrl(opts.cloudtrailEndpoint);
      // The SDK's own endpoints too, with an S3 source only: it asks S3, and brings the trail inventory, which asks CloudTrail.
      if (sourceList(opts.source).some((source) => source.startsWith('s3://'))) {
        await checkSdkEndpoints({ S3: opts.s3Endpoint, CloudTrail: opts.cloudtrailEndpoint }, warn);
      }
      const logger = lazy.logger().createLogger();

      // SIGTERM or Ctrl-C, from the start: as PID 1 in a container, a signal no handler takes is ignored, and serve
      // would wait for SIGKILL. Before the API listens, the start ends at its next step (making the sample takes ~2 s);
      // while the database opens, its migration stops and rolls back (the next start does it again); once it is
      // open, ingestion stops after the batch it is loading.
      const stopOpening = new AbortController();
      const ingestion: { service?: Service; db?: Database } = {};
      let stopping = false;
      // What the stop closes, from when the database begins to open: undefined before.
      let shutdown: (() => void) | undefined = undefined;
      const signals = stopSignals();
      const stop = (signal: NodeJS.Signals) => {
        const which = signals(signal);
        if (which === 'echo') return;
        if (which === 'again') return quit(signal);
        stopping = true;
        logger.info({ signal }, 'stopping');
        stopOpening.abort(new Error('serve was stopped while it opened the database'));
        shutdown?.();
      };
      // A second Ctrl-C (or SIGTERM) quits at once, as ingest's does: a batch or a prune can take minutes. That is safe:
      // each batch (with its ledger rows), prune and migration commits in one transaction, so the one cut short is rolled
      // back, and done again by the next start (its run, never finished, is read again; its kept file, left over, is
      // removed at open). Exit 130 or 143, as the shell's for the signal: not a clean stop.
      const quit = (signal: NodeJS.Signals) => {
        const undone = ingestion.service
          ? 'the batch being loaded (or the prune) is rolled back, and the next start loads it again'
          : shutdown
            ? 'the database update being made is rolled back, and the next start makes it again'
            : 'the database was not opened yet';
        logger.warn({ signal }, `${signal} while stopping: quitting at once; ${undone}`);
        ingestion.db?.interrupt();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      /** Stopped before the database opened: nothing to wait for but the step that was running. */
      const stoppedEarly = () => logger.info('stopped');

      await checkListen(opts.listen, host, port);
      if (stopping) return stoppedEarly();
      const { exposedDatabaseWarning } = lazy.database();
      const { distinctSources, openSource } = lazy.ingestion();
      // The sources too, before anything is written (the token file, the database): a start that fails must fail before
      // the API answers, or it would answer with nothing behind it.
      const sources = distinctSources(sourceList(opts.source), (source) => logger.warn({ source }, 'this source is given twice: it is read once'));
      const sample = sources.length === 0;
      // As ingest does: a mistyped folder or S3 URL is a setting to correct, not a poll to retry with backoff for ever.
      // (A folder that goes away later is retried: that one was there.)
      for (const source of sources) openSource(source, { s3Endpoint: opts.s3Endpoint }).close();
      const file = dbPath(opts.db);
      // Before the token file and the sample are written beside it.
      const unusable = unusableDatabasePath(file);
      if (unusable) throw unusable;
      const dataDir = path.dirname(path.resolve(file));
      const token = tokenBeside(dataDir);
      if (token.warning) logger.warn({ file: token.file }, token.warning);
      const exposedToken = exposedShortToken(token, host, opts.listen);
      if (exposedToken) throw new Error(exposedToken);
      const short = shortTokenWarning(token);
      if (short) logger.warn({ token: token.from === 'environment' ? 'TRAILHOUND_TOKEN' : token.file }, short);
      const exposed = exposedDatabaseWarning(file);
      if (exposed) logger.warn({ db: file }, exposed);
      if (sample) {
        if (!sampleLogsMade(dataDir)) {
          const making = `no --source given: making the bundled sample logs, ${SAMPLE_EVENTS} events of the last ${SAMPLE_DAYS} days (on the first start only)`;
          logger.info({ events: SAMPLE_EVENTS }, making);
        }
        sources.push(await sampleBeside(dataDir));
        if (stopping) return stoppedEarly();
        logger.info({ source: sources[0] }, 'no --source given: serving the bundled sample logs (set TRAILHOUND_SOURCE=s3://your-bucket for real ones)');
      }
      // The API listens first, the database opening behind it: a migration can take minutes, and meanwhile /api/health
      // says so (Docker's health check, the plugin's "Save & test") and the other endpoints answer 503.
      const opening = new (lazy.opening().DatabaseOpening)();
      // The API listens before ingestion starts: a service that cannot answer must not keep polling without its API.
      const api = await lazy.apiServer().buildApi({
        db: opening,
        token: token.token,
        logger,
        backfill: (days) => ingestion.service?.backfill(days) ?? Promise.reject(new Error('the service is still starting: try again')),
        retentionDays: retention,
      });
      let url: string;
      try {
        url = await api.listen({ host, port });
      } catch (err) {
        await api.close();
        throw new Error(listenFailure(opts.listen, err));
      }
      if (stopping) {
        await api.close();
        return stoppedEarly();
      }
      if (!isLoopback(host)) {
        logger.warn({ host }, 'the API listens beyond this machine: keep the token secret and put TLS in front of it');
      }

      let stopped!: () => void;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      shutdown = () => {
        const closing = opening.opened.catch(() => undefined);
        void Promise.all([api.close(), ingestion.service?.stop(), closing]).then(([, , db]) => {
          db?.close();
          logger.info('stopped');
          stopped();
        });
      };

      let db: Database;
      try {
        db = await opening.open(file, {
          memoryLimit: memory,
          signal: stopOpening.signal,
          inUse: IN_USE.serve,
          onLongMigration: (message, migration) =>
            logger.info(
              { db: file, events: migration.events, health: `${url}/api/health` },
              `${message}; meanwhile /api/health says how far it is, and the other endpoints answer 503 until it is done`
            ),
        });
      } catch (err) {
        // Stopped while it opened: a clean stop, not a failure.
        if (stopping) return done;
        await api.close();
        throw err;
      }
      // Stopped as the open ended: the stop closes the database; nothing starts.
      if (stopping) return done;
      ingestion.db = db;
      // The sample goes on as a trail would: new minutes of events at each poll, and its trails' last delivery.
      const deliverSample = async (now: Date) => {
        await deliverSampleLogs(sources[0], now);
        await lazy.trails().storeTrails(db, sampleTrails(now));
      };
      const where = sources.length === 1 ? { source: sources[0] } : { sources };
      logger.info({ ...where, db: file, pollSeconds, retentionDays: retention ?? null }, 'trailhound started');
      ingestion.service = lazy.service().startService({
        db,
        sources,
        logger,
        days: opts.days,
        pollIntervalMs: pollSeconds * 1000,
        s3Endpoint: opts.s3Endpoint,
        cloudtrailEndpoint: opts.cloudtrailEndpoint,
        beforePoll: sample ? deliverSample : undefined,
        retentionDays: retention,
      });
      logger.info(
        { url, token: token.from === 'environment' ? 'TRAILHOUND_TOKEN' : token.file },
        token.from === 'generated' ? 'API listening; a new bearer token was written to the token file' : 'API listening'
      );
      await done;
    });
  return withEnvironment(definition, ['TRAILHOUND_TOKEN', 'TRAILHOUND_MEMORY_LIMIT', 'TRAILHOUND_LOG_LEVEL', 'AWS_*'], DEFAULTS.serveMemoryLimit);
}
