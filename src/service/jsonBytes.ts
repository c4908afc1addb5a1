// JSON's structural characters as bytes, for the scanners that read log files as bytes without parsing them
// (ingest/sources/nesting.ts, reports/recordScan.ts, ingest/recordsArray.ts).
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
