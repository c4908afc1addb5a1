// Entry point of the `trailhound` executable: friendly errors, no stack traces for expected failures.
import './env';
import { messageOf } from '../model/errorMessage';
import { main } from './cli';

// What trailhound writes holds CloudTrail events (the database, its WAL, the kept log files, DuckDB's spill files):
// its owner's only, as the token file is, whatever the shell's umask (often 022, which left them readable by all).
// New folders are 0700 and new files 0600; an existing database keeps its modes (serve and ingest warn about them).
process.umask(0o077);

main().catch((err: unknown) => {
  const message = messageOf(err);
  process.stderr.write(`trailhound: ${message}\n`);
  if (process.env.TRAILHOUND_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
