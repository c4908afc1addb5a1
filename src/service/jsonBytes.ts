// JSON's structural characters as bytes, for the scanners that read log files as bytes without parsing them
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
