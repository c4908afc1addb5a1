// The one place that opens the DuckDB file. Every value goes in as a bound parameter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { messageOf } from '../../model/errorMessage';
import {
  ARRIVED_AT_SQL,
  BACKFILL_RESOURCE_INDEX_SQL,
  BLANK_VALUES_SQL,
  CALLER_ACCOUNT_ROLE_SQL,
  CALLER_ACCOUNT_USER_SQL,
  FEDERATED_SIGN_IN_MFA_SQL,
  IDENTITY_CENTER_USER_SQL,
  ERROR_KIND_SQL,
  INVOKED_BY_SQL,
  LOG_OBJECT_DAY_SQL,
  PERMISSION_SET_SQL,
  SCHEMA_SQL,
  SCHEMA_VERSION,
  SOURCE_IS_IP_SQL,
  UNAUTHORIZED_MESSAGE_SQL,
  UNMARKED_DATA_EVENTS_SQL,
} from './schema';
import { unusableDatabasePath } from './filePaths';
import { fillEventCategories } from './categoryBackfill';
import { markStoredSignInFailures, SIGN_IN_FAILURES_VERSION } from './signInFailures';

export type Params = DuckDBValue[] | Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** DuckDB's own memory cap, e.g. '256MB'. Keeps ingestion's memory bounded however big the input. */
  memoryLimit?: string;
  threads?: number;
  readOnly?: boolean;
  /**
   * Told, before it starts, of a migration that reads the kept log files back (a database written before version 14):
   * what it does and roughly how long it takes. Nothing else runs meanwhile (serve's API answers 503).
   */
  onLongMigration?: (message: string, migration: LongMigration) => void;
  /** Told as such a migration's passes over the kept log files go: which pass, and how far (after each file or batch). */
  onMigrationProgress?: (step: string, done: number, total: number) => void;
  /** Stops the open (serve stopped while it upgrades the database): the migration rolls back, and the next open does it again. */
  signal?: AbortSignal;
  /** What to do instead when a running serve holds the file: each command's own advice (DatabaseLockedError's message). */
  inUse?: string;
}

export interface LongMigration {
  events: number;
  fromVersion: number;
  toVersion: number;
  estimatedSeconds: number;
}

/** The passes of a long migration, as onMigrationProgress names them. */
export const MIGRATION_STEPS = {
  categories: "reading the events' categories back from the kept log files",
  signIns: 'reading the stored sign-in steps back from the kept log files, for those that failed',
};

/** The pass over the kept log files of versions 13 and 14, per million stored events (measured: 8–10 s). */
const MIGRATION_SECONDS_PER_MILLION = 10;

/** "about 40 s", "about 3 minutes": how long a long migration takes, as it is said. */
export const aboutDuration = (seconds: number) => (seconds < 120 ? `${Math.max(1, Math.round(seconds))} s` : `${Math.ceil(seconds / 60)} minutes`);

/**
 * `work`, with a stop (`signal`) interrupting the statement `conn` runs. Once: a repeated interrupt could land on the
 * transaction's ROLLBACK.
 */
async function interruptedBy<T>(signal: AbortSignal | undefined, conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  const interrupt = () => conn.interrupt();
  signal?.addEventListener('abort', interrupt, { once: true });
  try {
    return await work();
  } finally {
    signal?.removeEventListener('abort', interrupt);
  }
}

/** Whether `err` (Node's, DuckDB's, or the open's error caused by one) is the file system refusing this user. */
export function deniedToThisUser(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM' || /permission denied/i.test(messageOf(err))) return true;
  const cause = (err as Error | undefined)?.cause;
  return cause !== undefined && cause !== err && deniedToThisUser(cause);
}

/**
 * What to do about a database that cannot be opened, for the mistakes a user makes (a folder given as --db, one this
 * user may not write, a read-only disk), after DuckDB's or Node's words, which say only what failed; '' for the others.
 */
export function cannotOpenAdvice(file: string, err: unknown): string {
  const isFolder = () => {
    try {
      return fs.statSync(file).isDirectory();
    } catch {
      return false;
    }
  };
  if (file !== ':memory:' && isFolder()) {
    return `. --db names the database file, not its folder: e.g. ${path.join(file, 'trailhound.duckdb')}`;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EROFS' || /read-only file system/i.test(messageOf(err))) return '. Its disk is read-only: give a --db on one this user can write';
  if (deniedToThisUser(err)) {
    return '. This user may not open it: run the command as the user that owns the database, or give a --db in a folder this user can write';
  }
  return '';
}

export class DatabaseLockedError extends Error {
  /** The Trailhound command holding the file (serve, ingest …), where its process says so. */
  readonly holder?: string;

  /**
   * `inUse`: what the command that opened it can do instead of a serve holding it (ingest, prune and trails each can do
   * something else). Another command holding it (an ingest from cron) is only to be waited for.
   */
  constructor(file: string, cause: unknown, inUse = "Stop it first, or ask it: 'trailhound report' does, and so does its HTTP API.") {
    const holder = lockHolder(cause);
    const by = holder.command ? `a running 'trailhound ${holder.command}' (PID ${holder.pid})` : "another process, most likely a running 'trailhound serve'";
    const advice = holder.command && holder.command !== 'serve' ? 'Run this again once it has finished.' : inUse;
    super(`The database ${file} is in use by ${by}. ${advice}`, { cause });
    this.name = 'DatabaseLockedError';
    this.holder = holder.command;
  }
}

/**
 * Which process holds a database's lock: DuckDB names its PID ("Conflicting lock is held in /usr/bin/node (PID 42)"),
 * and its command line (Linux's /proc) the Trailhound command, after the script run (bin/trailhound, the built
 * trailhound.cjs, or main.ts). A process that is no Trailhound command (or a system without /proc) names none.
 */
function lockHolder(err: unknown): { pid?: number; command?: string } {
  const pid = /\(PID (\d+)\)/.exec(messageOf(err))?.[1];
  if (!pid) return {};
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const script = args.findIndex((arg) => /(^|\/)(trailhound(\.cjs)?|main\.ts)$/.test(arg));
    const command = script >= 0 ? args[script + 1] : undefined;
    // A command's name (the CLI's own list lives with its commands): a word, never a flag or a path.
    return { pid: Number(pid), command: command && /^[a-z]+$/.test(command) ? command : undefined };
  } catch {
    return { pid: Number(pid) };
  }
}

/**
 * A database a newer Trailhound wrote (an image rolled back): this version does not know its tables, and opening it for
 * writing would set its schema version back, so that the newer one, run again, would redo its updates over its own data.
 */
export class NewerDatabaseError extends Error {
  constructor(file: string, version: number) {
    super(
      `the database ${file} was written by a newer Trailhound (schema version ${version}; this one knows versions up to ${SCHEMA_VERSION}): ` +
        'run that version (or a later one) on it, or give this one a database of its own (--db, or TRAILHOUND_DB)'
    );
    this.name = 'NewerDatabaseError';
  }
}

/**
 * Every file and folder that makes up the database `file`: itself, its WAL, the kept log files, and the big temporary
 * copies ingestion reads a file through (Database.stagingDir), there only while it loads one.
 */
export function databaseFiles(file: string): { db: string; wal: string; originals: string; staging: string } {
  const db = path.resolve(file);
  return { db, wal: `${db}.wal`, originals: `${db}.originals`, staging: `${db}.staging` };
}

/**
 * What is wrong with how an existing database is kept (its file, WAL or kept log files readable by other users of this
 * machine, as an older version or a umask of 022 left them), and how to fix it; undefined when nothing is. Not
 * changed here: the folder and its modes are the user's choice.
 */
export function exposedDatabaseWarning(file: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const exposed = Object.values(databaseFiles(file)).filter((part) => fs.existsSync(part) && (fs.statSync(part).mode & 0o077) !== 0);
  if (exposed.length === 0) return undefined;
  return `the database can be read by other users of this machine, and it holds CloudTrail events: run chmod -R go-rwx ${exposed.join(' ')}`;
}

/** Deletes the database `file` and everything that belongs to it (databaseFiles): a leftover WAL would be replayed. */
export function removeDatabase(file: string): void {
  for (const part of Object.values(databaseFiles(file))) fs.rmSync(part, { recursive: true, force: true });
}

export async function hasColumn(conn: DuckDBConnection, table: string, column: string): Promise<boolean> {
  const reader = await conn.runAndReadAll(
    `SELECT 1 FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $table AND column_name = $column`,
    { table, column }
  );
  return reader.currentRowCount > 0;
}

export class Database {
  private constructor(
    readonly file: string,
    readonly instance: DuckDBInstance,
    private readonly main: DuckDBConnection
  ) {}

  /** The connections of the transactions in progress (interrupt). */
  private readonly transactions = new Set<DuckDBConnection>();

  static async open(file: string, options: OpenOptions = {}): Promise<Database> {
    // Which file, and which setting names it: DuckDB's and Node's own words (IO Error: Could not read from file "data":
    // Is a directory; ENOTDIR: not a directory, mkdir …) name neither.
    const cannotOpen = (err: unknown) =>
      new Error(`cannot open the database ${file} (--db, or TRAILHOUND_DB): ${messageOf(err)}${cannotOpenAdvice(file, err)}`, { cause: err });
    if (file !== ':memory:') {
      // Before anything is made: refused later, it leaves a database that cannot commit, or whose kept files read as others'.
      const unusable = unusableDatabasePath(file);
      if (unusable) throw unusable;
      // The data folder, when it is new: its owner's only (see main.ts).
      try {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw cannotOpen(err);
      }
    }
    // A new file that fails to become a database (a memory limit too small for its schema) is removed again: left
    // without its tables, `report` on it said "Table with name meta does not exist".
    const newFile = file !== ':memory:' && !options.readOnly && !fs.existsSync(file);
    const config: Record<string, string> = {};
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.threads) config.threads = String(options.threads);
    if (options.readOnly) config.access_mode = 'READ_ONLY';
    // Reports never rely on insertion order; dropping it lets DuckDB stream big inserts in less memory.
    config.preserve_insertion_order = 'false';
    // Checkpoint less often than DuckDB's 16 MB default: every ingest batch would otherwise rewrite the file.
    config.checkpoint_threshold = '256MB';
    // No cache of the files it reads (the kept Parquet files, log files): the OS caches them already, and DuckDB's copy
    // lay outside its memory limit. A compaction of a day of 4 286 Parquet files at a 128 MB limit peaked 214-244 MB
    // above its start with it, 151-201 MB without, and was no slower.
    config.enable_external_file_cache = 'false';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, config);
    } catch (err) {
      // DuckDB's "Could not set lock on file …: Conflicting lock is held": the word, not "block" (a memory limit too
      // small to open the file is "failed to pin block").
      if (/\block\b/i.test(String(err))) {
        throw new DatabaseLockedError(file, err, options.inUse);
      }
      throw cannotOpen(err);
    }
    let db: Database | undefined;
    try {
      db = new Database(file, instance, await instance.connect());
      // Timestamps are UTC everywhere; the host's zone must never shift them.
      await db.run(`SET GLOBAL TimeZone = 'UTC'`);
      // Before anything is written: a migration would stamp a newer file with this version's number over its own.
      const version = await db.schemaVersion();
      if (version > SCHEMA_VERSION) throw new NewerDatabaseError(file, version);
      if (!options.readOnly) {
        await db.migrate(version, options);
        options.signal?.throwIfAborted();
        await db.removeOrphanOriginals();
        db.removeStagingLeftovers();
      }
      return db;
    } catch (err) {
      // Closed here: a caller that goes on (serve closing its API, a test) must not hold the file's lock.
      if (db) db.close();
      else instance.closeSync();
      if (newFile) removeDatabase(file);
      // Stopped: the interrupted statement's own error says less.
      throw options.signal?.aborted ? options.signal.reason : err;
    }
  }

  /** The schema version the file was last written with; 0 for a new file, which has no meta table yet. */
  private schemaVersion(): Promise<number> {
    return this.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).then(
      (row) => Number(row?.value ?? 0),
      () => 0
    );
  }

  /** From `previous`, the file's schema version as open read it, to this one's. */
  private async migrate(previous: number, { onLongMigration, onMigrationProgress, signal }: OpenOptions): Promise<void> {
    if (onLongMigration && previous > 0 && previous < SIGN_IN_FAILURES_VERSION) {
      const events = Number((await this.one<{ n: bigint }>('SELECT count(*) AS n FROM events'))?.n ?? 0);
      const seconds = (events / 1e6) * MIGRATION_SECONDS_PER_MILLION;
      onLongMigration(
        `updating the database from schema version ${previous} to ${SCHEMA_VERSION}: reading the kept log files of its ${events} events back once ` +
          `(their categories and failed sign-ins), about ${aboutDuration(seconds)} (~${MIGRATION_SECONDS_PER_MILLION} s a million events)`,
        { events, fromVersion: previous, toVersion: SCHEMA_VERSION, estimatedSeconds: Math.ceil(seconds) }
      );
    }
    // A stop interrupts the statement running, and the steps check it between them.
    await this.transaction((conn) => interruptedBy(signal, conn, () => this.migrateIn(conn, previous, signal, onMigrationProgress)));
  }

  /** The migration's steps from version `previous`, in its transaction on `conn`; a stop (`signal`) ends it between two. */
  private async migrateIn(conn: DuckDBConnection, previous: number, signal?: AbortSignal, onProgress?: OpenOptions['onMigrationProgress']): Promise<void> {
    const run = async (sql: string) => {
      signal?.throwIfAborted();
      await conn.run(sql);
    };
    await run(SCHEMA_SQL);
    // Files from before version 3 have events but no resource index yet (a one-time pass).
    if (previous > 0 && previous < 3) await run(BACKFILL_RESOURCE_INDEX_SQL);
    // Before version 4 every event carried a copy of its record; newer events leave that to log_objects.
    if (previous > 0 && previous < 4 && (await hasColumn(conn, 'events', 'record'))) {
      await run(`ALTER TABLE events ALTER COLUMN record DROP NOT NULL`);
    }
    if (previous > 0 && previous < 5) await run(FEDERATED_SIGN_IN_MFA_SQL);
    // The unauthorized rule grew in versions 6, 9 and 18: stored refusals it missed are marked again.
    if (previous > 0 && previous < 18) await run(UNAUTHORIZED_MESSAGE_SQL);
    if (previous > 0 && previous < 7) await run(ARRIVED_AT_SQL);
    if (previous > 0 && previous < 8) await run(INVOKED_BY_SQL);
    if (previous > 0 && previous < 10) for (const sql of IDENTITY_CENTER_USER_SQL) await run(sql);
    if (previous > 0 && previous < 11) for (const sql of ERROR_KIND_SQL) await run(sql);
    if (previous > 0 && previous < 12) await run(PERMISSION_SET_SQL);
    // Version 18: a caller of another account is named with it, as ingestion names it; version 19 its role too. After
    // versions 10 and 12, which read the role and the permission set from the names as they were stored.
    if (previous > 0 && previous < 18) await run(CALLER_ACCOUNT_USER_SQL('events'));
    else if (previous === 18) await run(CALLER_ACCOUNT_ROLE_SQL);
    if (previous > 0 && previous < SIGN_IN_FAILURES_VERSION) {
      // Read back once from the original records, file by file, on a connection of their own: a kept file that cannot
      // be read is passed over, and its failed statement must not abort this transaction (categoryBackfill.ts).
      const reader = await this.connect();
      const watch = (step: string) => ({ signal, progress: onProgress && ((done: number, total: number) => onProgress(step, done, total)) });
      try {
        // A stop interrupts the kept file being read too: taken for an unreadable file, the pass then stops before the next.
        await interruptedBy(signal, reader, async () => {
          if (previous < 13) {
            await fillEventCategories(conn, reader, this.originalsDir, await hasColumn(conn, 'events', 'record'), watch(MIGRATION_STEPS.categories));
          }
          await markStoredSignInFailures(conn, reader, this.originalsDir, watch(MIGRATION_STEPS.signIns));
        });
      } finally {
        reader.closeSync();
      }
    }
    // Categories set by versions 13 to 15; those read back above (before 13) follow the rule of today already.
    if (previous >= 13 && previous < 16) await run(UNMARKED_DATA_EVENTS_SQL);
    // Files a prune of an older version left in part: not known, so not read again (as before).
    if (previous > 0 && previous < 17) await run(`ALTER TABLE ingested_objects ADD COLUMN IF NOT EXISTS events_pruned_before TIMESTAMP`);
    // Version 20: each kept file's day, which compaction found by a regexp over every key each hour.
    if (previous > 0 && previous < 20) await run(LOG_OBJECT_DAY_SQL);
    // Version 21: blank values stored before read as absent, as ingestion now stores them.
    if (previous > 0 && previous < 21) for (const sql of BLANK_VALUES_SQL) await run(sql);
    // Version 22: the source's IP addresses by the exact IPv6 grammar.
    if (previous > 0 && previous < 22) await run(SOURCE_IS_IP_SQL);
    signal?.throwIfAborted();
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)`, { v: String(SCHEMA_VERSION) });
  }

  /** Where the ingested log files are kept, as delivered (see log_objects): a folder beside the database file. */
  get originalsDir(): string {
    return this.file === ':memory:' ? path.join(os.tmpdir(), `trailhound-originals-${process.pid}`) : databaseFiles(this.file).originals;
  }

  /**
   * Where ingestion writes its big temporary copies of a file (a big file's records array, recordsArray.ts; a file's
   * copy with invalid Unicode replaced, fileFailures.ts withValidUnicode), up to 4 GiB each: a folder beside the database, on
   * its disk, not in the temporary folder (a container's /tmp is a small tmpfs, which is memory). One in memory has no
   * disk of its own: a folder of this process's in the temporary folder.
   */
  get stagingDir(): string {
    return this.file === ':memory:' ? path.join(os.tmpdir(), `trailhound-staging-${process.pid}`) : databaseFiles(this.file).staging;
  }

  /**
   * A process killed while it read a file through a copy leaves the copy. Only at open for writing (DuckDB lets no
   * other process write the file meanwhile), before this process ingests anything, is every copy such a leftover.
   */
  private removeStagingLeftovers(): void {
    if (this.file !== ':memory:') fs.rmSync(this.stagingDir, { recursive: true, force: true });
  }

  /**
   * A process killed between writing a batch's originals and committing it leaves a Parquet file nobody refers to.
   * Only at open, before this process ingests anything, is every unreferenced file surely such a leftover.
   */
  private async removeOrphanOriginals(): Promise<void> {
    const dir = this.originalsDir;
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(parquet|json|json\.gz)$/.test(f)) : [];
    if (files.length === 0) return;
    const referenced = new Set((await this.all<{ archive: string }>('SELECT DISTINCT archive FROM log_objects')).map((r) => r.archive));
    for (const file of files) if (!referenced.has(file)) fs.rmSync(path.join(dir, file), { force: true });
  }

  /** A separate connection: readers get their own, so a long query never waits on ingestion's transaction. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async run(sql: string, params?: Params, conn: DuckDBConnection = this.main): Promise<void> {
    await conn.run(sql, params);
  }

  async all<T = Row>(sql: string, params?: Params, conn: DuckDBConnection = this.main): Promise<T[]> {
    const reader = await conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as T[];
  }

  async one<T = Row>(sql: string, params?: Params, conn: DuckDBConnection = this.main): Promise<T | undefined> {
    return (await this.all<T>(sql, params, conn))[0];
  }

  /** Whether a table has a column: a file an older version wrote, opened read-only, may lack newer ones. */
  hasColumn(table: string, column: string): Promise<boolean> {
    return hasColumn(this.main, table, column);
  }

  /** Runs fn inside one transaction on its own connection; rolls back on any error. */
  async transaction<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    this.transactions.add(conn);
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        const result = await fn(conn);
        await conn.run('COMMIT');
        return result;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      this.transactions.delete(conn);
      conn.closeSync();
    }
  }

  /**
   * Interrupts the statement of the main connection and of each transaction in progress, which are then not committed.
   * For a process about to exit (serve's and ingest's second Ctrl-C): Node's exit waits for the statement running, and
   * a batch's first one can take a minute. Again and again for `ms`, blocking: DuckDB forgets an interrupt that lands
   * before the statement begins to run (sent a moment before, or waiting for a thread), and the exit then waited for it
   * whole; blocked, this process sends no other statement meanwhile.
   */
  interrupt(ms = 200): void {
    const until = performance.now() + ms;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    do {
      for (const conn of [this.main, ...this.transactions]) conn.interrupt();
      Atomics.wait(pause, 0, 0, 1);
    } while (performance.now() < until);
  }

  close(): void {
    this.main.closeSync();
    this.instance.closeSync();
  }
}
