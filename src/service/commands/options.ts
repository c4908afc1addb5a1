// What the sub-commands share: option parsers, and the warning of those that write to the database.
import { InvalidArgumentError } from 'commander';
import { exposedDatabaseWarning } from '../db/database';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return n;
}

/** A repeatable option: every occurrence adds a value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Says on stderr when the database at `file` can be read by other users (serve logs it instead). */
export function warnIfExposed(file: string): void {
  const exposed = exposedDatabaseWarning(file);
  if (exposed) process.stderr.write(`warning: ${exposed}\n`);
}
