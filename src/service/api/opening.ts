// serve's database while it opens, the API already listening: a migration can take minutes, and a service that does not
// answer at all looks dead (Docker's health check, the plugin's "Save & test"). /api/health says what the open does,
// from what Database.open tells; the other endpoints answer 503 until it is open.
import type { DatabaseOpening as OpeningState, DatabaseUpgrade } from '../../model/api';
import { aboutDuration, Database, type OpenOptions } from '../db/database';

/**
 * An estimate rounded up to a coarse step (30 s, 1, 2, 5, 10, 20, 30 minutes, then hours doubling): /api/health needs no
 * token, and the exact estimate (~10 s a million events) would tell how many events are stored.
 */
export function roughly(seconds: number): number {
  const steps = [30, 60, 120, 300, 600, 1200, 1800, 3600];
  let step = steps.find((s) => seconds <= s);
  for (step ??= 7200; step < seconds; ) step *= 2;
  return step;
}

export class DatabaseOpening {
  /** The open database, once open() has opened it; rejects as the open does (serve exits with that error). */
  readonly opened: Promise<Database>;
  private started!: (db: Promise<Database>) => void;
  private upgrade?: DatabaseUpgrade;

  /** `openDatabase`: Database.open, or a test's, which holds the open as long as the test needs to look. */
  constructor(private readonly openDatabase: typeof Database.open = (file, options) => Database.open(file, options)) {
    this.opened = new Promise((resolve) => (this.started = resolve));
    // The API only waits for it: the caller of open() has its failure.
    this.opened.catch(() => undefined);
  }

  /** Database.open, watched: a long migration and its progress are what /api/health says meanwhile. */
  open(file: string, options: OpenOptions = {}): Promise<Database> {
    const db = this.openDatabase(file, {
      ...options,
      onLongMigration: (message, migration) => {
        const { fromVersion, toVersion, estimatedSeconds } = migration;
        this.upgrade = { fromVersion, toVersion, startedAt: new Date().toISOString(), estimatedSeconds: roughly(estimatedSeconds) };
        options.onLongMigration?.(message, migration);
      },
      onMigrationProgress: (step, done, total) => {
        if (this.upgrade) this.upgrade.progress = { step, percent: total === 0 ? 100 : Math.floor((100 * done) / total) };
        options.onMigrationProgress?.(step, done, total);
      },
    });
    this.started(db);
    return db;
  }

  /** What the open does now (a copy). */
  state(): OpeningState {
    const u = this.upgrade;
    if (!u) return { status: 'starting', message: 'the service is opening its database: queries answer in a moment' };
    const progress = u.progress ? `; now ${u.progress.step}, ${u.progress.percent}% done` : '';
    const message =
      `the service is upgrading its database from schema version ${u.fromVersion} to ${u.toVersion}, once: it reads the kept log files back ` +
      `(about ${aboutDuration(u.estimatedSeconds)}, started at ${u.startedAt.replace(/\.\d+Z$/, 'Z')}${progress}). Queries answer when it is done`;
    return { status: 'upgrading', message, upgrade: { ...u, ...(u.progress && { progress: { ...u.progress } }) } };
  }
}
