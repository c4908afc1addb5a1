// Counts in the words people read (summaries, log lines, messages): "1 file", "2 files", never "1 files".

/** `n` with its noun, plural unless n is 1: counted(1, 'file') is "1 file"; give the plural when it is not noun + s. */
export const counted = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;
