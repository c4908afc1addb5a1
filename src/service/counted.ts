// Counts in the words people read (summaries, log lines, messages): "1 file", "2 files", never "1 files".

/** `n` with its noun, plural unless n is 1: counted(1, 'file') is "1 file"; give the plural when it is not noun + s. */
export const counted = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;

/**
 * A size in the unit that fits: bytes under a KB, else KB or MB to a tenth, rounded down so that a body of the size
 * said always fits (a limit of 40 KB was "0 MB" in MB alone).
 */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / 1024 / 1024, 'MB'];
  return `${Math.floor(value * 10) / 10} ${unit}`;
}
