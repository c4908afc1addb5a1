// Entry point of the `trailhound` executable: friendly errors, no stack traces for expected failures.
import './env';
import { main } from './cli';

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`trailhound: ${message}\n`);
  if (process.env.TRAILHOUND_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
