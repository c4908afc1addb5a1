// JSON's structural characters as bytes, where its strings end (StringEnds) and where the records of an array start
// and end (RecordBoundaries), for the scanners that read log files as bytes without parsing them
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

const { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE } = JSON_BYTES;

/** JSON's whitespace between values (space, tab, line feed, carriage return). */
const isJsonSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

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

/** What a RecordBoundaries scan tells as it reads: where each record starts, and where it ends (true to stop the scan there). */
export interface RecordVisitor {
  /** A record starts at `at` in the chunk being read: its first byte. */
  start(at: number): void;
  /** The record open ends before `at` in the chunk being read: at its comma, or the array's `]`. True stops the scan. */
  end(at: number): boolean;
}

/**
 * Where the records of a JSON array start and end, in its bytes fed in chunks from the array's `[` on, the chunks cut
 * anywhere (in a string, in an escape, between records). A record is any JSON value in the array; brackets, commas
 * and quotes in strings are text. For the two scans of a big log file's Records array: the copy in pieces of whole
 * records (ingest/recordsArray.ts) and the read of its records one at a time (reports/recordScan.ts).
 *
 * Not for the nesting check (ingest/sources/nesting.ts): that one counts the depth of a whole file of any JSON, which
 * may hold several values one after the other, and has no records to find.
 */
export class RecordBoundaries {
  /** Whether the array's `]` has been read: nothing after it is looked at. */
  closed = false;
  /** Lists and objects open, the array's own included: 1 between its records. */
  private depth = 0;
  private inString = false;
  private inRecord = false;
  private readonly strings = new StringEnds();

  /**
   * Reads the next chunk, and tells `visitor` where records start and end in it; true when the visitor stopped the
   * scan (the rest of the chunk is not read, and the scan cannot go on). Measured over 80 MB of records: a visitor,
   * not an iterator that returns to its caller at each boundary (10–15% slower), and the state in fields, not in
   * locals copied in and out (~10% slower).
   */
  push(bytes: Buffer, visitor: RecordVisitor): boolean {
    if (this.closed) return false;
    for (let i = 0; i < bytes.length; i++) {
      // Inside a string, brackets and commas are text: skipped to its closing quote.
      if (this.inString) {
        const quote = this.strings.closingQuote(bytes, i);
        if (quote < 0) break;
        this.inString = false;
        i = quote;
        continue;
      }
      const b = bytes[i];
      // Between the array's records, the first byte that is no space, comma or `]` starts one.
      if (this.depth === 1 && !this.inRecord && !isJsonSpace(b) && b !== COMMA && b !== CLOSE_ARRAY) {
        this.inRecord = true;
        visitor.start(i);
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (--this.depth === 0) {
          // The array's own `]`: its last record, if any, ends here.
          this.closed = true;
          return this.endRecord(visitor, i);
        }
      } else if (b === COMMA && this.depth === 1 && this.endRecord(visitor, i)) return true;
    }
    return false;
  }

  private endRecord(visitor: RecordVisitor, at: number): boolean {
    if (!this.inRecord) return false;
    this.inRecord = false;
    return visitor.end(at);
  }
}
