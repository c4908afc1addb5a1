// What the sub-commands share: option parsers, and the warning of those that write to the database.
import fs from 'node:fs';
import path from 'node:path';
import { Help, InvalidArgumentError, type Command } from 'commander';
import { type Bound, DEFAULTS, dbPath, memoryLimit, wholeNumberProblem } from '../config';
import type { Database } from '../db/database';
import * as lazy from './lazy';

/** A flag's whole number, 1 to bound.max (config.ts wholeNumberProblem); commander's error names the flag and the value as typed. */
export const wholeFlag =
  (bound: Bound) =>
  (value: string): number => {
    const problem = wholeNumberProblem(value, bound);
    if (problem) throw new InvalidArgumentError(problem);
    return Number(value);
  };

/** A repeatable option: every occurrence adds a value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * A warning on stderr: the command goes on (exit 0), but did something other than asked or found something to fix.
 * Prefixed as errors are (`trailhound: `), so that one grep finds both, then `warning: ` to tell it from an error.
 */
export const warn = (message: string) => process.stderr.write(`trailhound: warning: ${message}\n`);

/** Says on stderr when the database at `file` can be read by other users (serve logs it instead). */
export function warnIfExposed(file: string): void {
  const exposed = lazy.database().exposedDatabaseWarning(file);
  if (exposed) warn(exposed);
}

/**
 * What each command that writes or lists can do instead while a running serve holds the database (DuckDB lets one
 * process open a file that another writes to): report asks the service itself, and says nothing of this.
 */
export const IN_USE = {
  ingest:
    'It ingests into this database itself, polling its sources: to read this one too, restart it with this --source added (repeatable; ' +
    'TRAILHOUND_SOURCE takes a comma-separated list), or give this ingest a database of its own: --db (or TRAILHOUND_DB).',
  prune: 'It prunes this database itself, hourly, when started with --retention-days (or TRAILHOUND_RETENTION_DAYS): restart it so, or stop it first.',
  trailsList: "Ask it instead: 'trailhound report trails' prints the same List of Trails, through its API. Or stop it first.",
  trailsSync: 'It reads the trails into this database itself, hourly, when it polls an S3 source. To sync now, stop it first.',
  // A second serve wants a database (and an address) of its own.
  serve: 'Stop it first, or give this one a database of its own: --db (or TRAILHOUND_DB), and another --listen (or TRAILHOUND_LISTEN).',
} as const;

/** A command that opens an older database says so before a migration that reads its kept log files (minutes on a big one). */
export const sayLongMigration = (message: string) => process.stderr.write(`trailhound: ${message}\n`);

/** A database a command writes to, and whether this run created its file. */
export interface WritableDatabase {
  db: Database;
  file: string;
  newFile: boolean;
  /** Removes the file, and its folder if this run made that too, when this run created it; after db.close(). */
  discardIfNew(): void;
}

/**
 * Opens --db (or TRAILHOUND_DB) for ingest and trails sync: warned of when others can read it, within the memory cap,
 * saying so before a long migration. A first run that fails removes what it created (discardIfNew): left behind,
 * empty, it made `report` and `serve` look loaded.
 */
export async function openForWriting(dbOption: string | undefined, inUse: string): Promise<WritableDatabase> {
  const { Database, removeDatabase } = lazy.database();
  const file = dbPath(dbOption);
  warnIfExposed(file);
  const folder = path.dirname(path.resolve(file));
  const [newFolder, newFile] = [!fs.existsSync(folder), !fs.existsSync(file)];
  const db = await Database.open(file, { memoryLimit: memoryLimit(DEFAULTS.memoryLimit), onLongMigration: sayLongMigration, inUse });
  const discardIfNew = () => {
    if (!newFile) return;
    removeDatabase(file);
    try {
      if (newFolder) fs.rmdirSync(folder);
    } catch {
      // Not empty: files of someone else's since, which stay.
    }
  };
  return { db, file, newFile, discardIfNew };
}

const memoryCap = (fallback: string) => `DuckDB's memory cap, e.g. 1GB (default: ${fallback})`;

/** The settings that have no flag, by name: what a command's help says of each. */
const ENVIRONMENT = {
  TRAILHOUND_TOKEN: "the API's bearer token (default: the token file beside the database, which serve writes on its first start)",
  TRAILHOUND_MEMORY_LIMIT: memoryCap(DEFAULTS.memoryLimit),
  // report reads serve's own setting: a serve started on another port is found without a --service-url.
  TRAILHOUND_LISTEN: `serve's address (its --listen): where report asks it without --service-url or TRAILHOUND_URL (default: ${DEFAULTS.listen})`,
  TRAILHOUND_LOG_LEVEL: 'trace, debug, info, warn, error, fatal or silent (default: info)',
  TRAILHOUND_DEBUG: 'set: a failing command prints its stack trace too',
  // trails sync reads no S3: the variable only says that serve's and ingest's S3 is not AWS's.
  TRAILHOUND_S3_ENDPOINT: 'the S3-compatible endpoint of serve and ingest: set, and no --cloudtrail-endpoint, a failed sync says to set that too',
  'AWS_*':
    "credentials and region, from the AWS SDK's chain: AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_REGION, SSO, instance and task roles; " +
    'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_CLOUDTRAIL or AWS_ENDPOINT_URL, else the AWS config file\'s endpoint_url: an endpoint, as the ' +
    '--*-endpoint flags (which come first) give one',
} as const;

/**
 * Adds the variables a command reads that no flag sets to its help, laid out as commander lays out its options
 * (whose help lists only flags). `memoryLimit`: the command's own default, when it is not ingest's.
 */
export function withEnvironment(command: Command, names: Array<keyof typeof ENVIRONMENT>, memoryLimit: string = DEFAULTS.memoryLimit): Command {
  const layout = new Help();
  const width = Math.max(...names.map((name) => name.length));
  return command.addHelpText('after', () => {
    layout.helpWidth = process.stdout.isTTY ? process.stdout.columns : 80;
    const text = (name: keyof typeof ENVIRONMENT) => (name === 'TRAILHOUND_MEMORY_LIMIT' ? memoryCap(memoryLimit) : ENVIRONMENT[name]);
    return `\nEnvironment (no flag):\n${names.map((name) => layout.formatItem(name, width, text(name), layout)).join('\n')}`;
  });
}
