// JSON's structural characters as bytes, and where its strings end, for the scanners that read log files as bytes without parsing them
// (ingest/sources/nesting.ts, reports/recordScan.ts, ingest/recordsArray.ts). One object that each scanner copies into
// its own constants (`const { QUOTE } = JSON_BYTES`): run through tsx, an imported binding is a getter call at every
// use, which made the nesting scan of a log file three times slower than the same scan with local constants.
export const JSON_BYTES = {
  QUOTE: 0x22,
  BACKSLASH: 0x5c,
  COMMA: 0x2c,
  OPEN_ARRAY: 0x5b,
  CLOSE_ARRAY: 0x5d,
  OPEN_OBJECT: 0x7b,
  CLOSE_OBJECT: 0x7d,
} as const;

const { BACKSLASH, QUOTE } = JSON_BYTES;

/** JSON's whitespace between values (space, tab, line feed, carriage return); a scanner copies it into a constant of its own too. */
export const isJsonSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Finds where the JSON strings in bytes fed in chunks end, with one indexOf (memchr) per quote rather than a look at
 * every byte: the scans of a log file skip its strings so, ~750 MB/s from ~100 MB/s. Holds what a chunk's end leaves
 * open: the backslashes it ended with inside a string, as an odd run escapes the next chunk's first byte.
 */
export class StringEnds {
  private backslashes = 0;

  /**
   * The index of the closing quote of the string that goes on at `from` (just past its opening quote, or 0 when it
   * goes on from the chunk before), or -1 when it goes on past this chunk.
   */
  closingQuote(bytes: Buffer, from: number): number {
    let lo = from;
    for (;;) {
      const quote = bytes.indexOf(QUOTE, lo);
      const end = quote < 0 ? bytes.length : quote;
      // The backslashes just before the quote (or the chunk's end), and those carried over when they reach its start.
      let k = end - 1;
      while (k >= lo && bytes[k] === BACKSLASH) k--;
      const run = end - 1 - k + (k < lo && lo === 0 ? this.backslashes : 0);
      if (quote < 0) {
        this.backslashes = run;
        return -1;
      }
      this.backslashes = 0;
      if (run % 2 === 0) return quote;
      lo = quote + 1;
    }
  }
}
