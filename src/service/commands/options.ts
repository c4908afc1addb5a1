// Option parsers shared by the sub-commands.
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return n;
}

/** A repeatable option: every occurrence adds a value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
