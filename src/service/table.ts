// Aligned plain-text tables for the terminal.
import { BIDI_CONTROLS } from '../model/controls';

const GAP = '  ';
/** No column of a wrapped table is cut narrower than this (or its own width): a narrower one reads as a word a line. */
const NARROWEST = 20;

// A terminal gives East Asian wide characters and emoji two columns, combining marks none: widths count columns, not
// UTF-16 units, and a line is cut between graphemes (an emoji's two halves, or a letter and its accent, stay together).
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const WIDE =
  /^[\p{Emoji_Presentation}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\ufe0f/u;
/** Text of one column a UTF-16 unit (ASCII, Latin, Greek, Cyrillic; no combining marks): measured by its length, fast. */
const NARROW = /^[\x20-\x7e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f]*$/;
const graphemeWidth = (g: string) => (WIDE.test(g) ? 2 : /^[\p{M}\u200b-\u200f]/u.test(g) ? 0 : 1);

/** The columns `text` takes on a terminal. */
export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides, each as an escape: cells hold CloudTrail text that
 * any principal chooses (an errorMessage echoes the request), whose ESC sequences would drive the terminal (the title,
 * the clipboard through OSC 52, erasing a line), a carriage return or line break would forge a row, and an override
 * would show a name reversed.
 */
const UNPRINTABLE = new RegExp(`[\\p{Cc}${BIDI_CONTROLS}]`, 'gu');
export const printable = (text: string) =>
  text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

/** Where `text` is cut to fit `width` columns: after the graphemes that fit, and after one at least. */
function fitting(text: string, width: number): number {
  // Narrow up to the cut: a column a character.
  if (NARROW.test(text.slice(0, width + 1))) return Math.min(text.length, Math.max(1, width));
  // Segmenting copies its text: a long one is looked at a line's worth at a time (all of it only if that all fits).
  const head = text.slice(0, 8 * width + 16);
  const cut = graphemesIn(head, width);
  return cut < head.length || head.length === text.length ? cut : graphemesIn(text, width);
}

function graphemesIn(text: string, width: number): number {
  let used = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    used += graphemeWidth(segment);
    if (used > width) return index > 0 ? index : segment.length;
  }
  return text.length;
}

/**
 * The width to fit tables to: the terminal's (100 when it does not say). None when stdout is not a terminal: piped
 * to grep, sort or a file, every row stays whole on one line, however wide, so that a line that matches holds all of
 * its row and nothing is cut.
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  if (!stream.isTTY) return undefined;
  return stream.columns && stream.columns > 0 ? stream.columns : 100;
}

/** A cell's value as a number, which its column's right alignment needs to know: a number or bigint, else none. */
const isNumber = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';

/**
 * `rows` as an aligned table, one line a row. Given a `width` the table is wider than, long cells wrap instead
 * (the widest columns give way first, none below 20 characters); where even that cannot fit, each row is printed as
 * a record, a "name  value" line a column, its values wrapped. A column of numbers (counts: every value a number, or
 * none) is right-aligned, its heading too, so that digits line up by place.
 */
export function formatTable(rows: Array<Record<string, unknown>>, width?: number): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  return formatColumns(columns, rows.map((r) => columns.map((c) => r[c])), width);
}

/**
 * formatTable's table of `values`, a row an array with a value per heading of `columns`, in their order. Headings
 * that come from the data (a time series' groups) go here: as a record's keys, a group named "time" overwrote the
 * time column, one named "42" came before it (integer-like keys go first) and one named "__proto__" was lost.
 */
export function formatColumns(columns: string[], values: unknown[][], width?: number): string {
  if (values.length === 0) return '(no rows)';
  const text = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : printable(String(v)));
  columns = columns.map(printable);
  const cells = values.map((row) => columns.map((_, i) => text(row[i])));
  const numeric = columns.map((_, i) => values.some((r) => isNumber(r[i])) && values.every((r) => isNumber(r[i]) || r[i] === null || r[i] === undefined));
  const align = (v: string, i: number, w: number) => (numeric[i] ? padStart(v, w) : pad(v, w));
  const widths = columns.map((c, i) => Math.max(displayWidth(c), ...cells.map((row) => displayWidth(row[i]))));
  const whole = widths.reduce((sum, w) => sum + w, GAP.length * (columns.length - 1));
  if (width === undefined || whole <= width) {
    const line = (values: string[]) => values.map((v, i) => align(v, i, widths[i])).join(GAP).trimEnd();
    return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
  }
  const fitted = fit(widths, width - GAP.length * (columns.length - 1));
  return fitted ? wrappedTable(columns, cells, fitted, align) : asRecords(columns, cells, width);
}

/** Column widths that add up to `room` at most, the widest cut to one cap; none when that cap would be under NARROWEST. */
function fit(widths: number[], room: number): number[] | undefined {
  const total = (cap: number) => widths.reduce((sum, w) => sum + Math.min(w, cap), 0);
  if (total(NARROWEST) > room) return undefined;
  let cap = Math.max(...widths);
  while (total(cap) > room) cap--;
  // What the cap leaves over goes to the cut columns, a character each.
  let spare = room - total(cap);
  return widths.map((w) => (w > cap && spare > 0 ? (spare--, cap + 1) : Math.min(w, cap)));
}

function wrappedTable(columns: string[], cells: string[][], widths: number[], align: (v: string, i: number, w: number) => string): string {
  const row = (values: string[]) => {
    const parts = values.map((v, i) => wrap(v, widths[i]));
    const height = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: height }, (_, k) => parts.map((p, i) => align(p[k] ?? '', i, widths[i])).join(GAP).trimEnd());
  };
  return [...row(columns), widths.map((w) => '-'.repeat(w)).join(GAP), ...cells.flatMap(row)].join('\n');
}

/** Each row as a record: "-[ 1 ]", then its columns' names and values, one a line (a long value over several). */
function asRecords(columns: string[], cells: string[][], width: number): string {
  const label = Math.max(...columns.map(displayWidth));
  const room = Math.max(NARROWEST, width - label - GAP.length);
  return cells
    .map((values, r) => [
      `-[ ${r + 1} ]`,
      ...columns.flatMap((name, i) => wrap(values[i], room).map((part, k) => `${pad(k === 0 ? name : '', label)}${GAP}${part}`.trimEnd())),
    ].join('\n'))
    .join('\n');
}

/**
 * `text` in lines of `width` columns at most (a character wider than that alone on its line): broken at a space, else after
 * a / - _ , : ; or = (keys, ARNs, ids), else anywhere. Nothing is left out.
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let rest of text.split('\n')) {
    // `fits`: in UTF-16 units, the end of what fits in `width` columns.
    for (let fits = fitting(rest, width); fits < rest.length; fits = fitting(rest, width)) {
      const space = rest.lastIndexOf(' ', fits);
      if (space > 0) {
        lines.push(rest.slice(0, space).trimEnd());
        rest = rest.slice(space + 1).trimStart();
        continue;
      }
      const mark = Math.max(...['/', '-', '_', ',', ':', ';', '='].map((c) => rest.lastIndexOf(c, fits - 1)));
      const cut = mark > 0 ? mark + 1 : fits;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    lines.push(rest);
  }
  return lines;
}
