// Aligned plain-text tables for the terminal.

const GAP = '  ';
/** No column of a wrapped table is cut narrower than this (or its own width): a narrower one reads as a word a line. */
const NARROWEST = 20;

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
  const text = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  const numeric = columns.map((c) => rows.some((r) => isNumber(r[c])) && rows.every((r) => isNumber(r[c]) || r[c] === null || r[c] === undefined));
  const pad = (v: string, i: number, w: number) => (numeric[i] ? v.padStart(w) : v.padEnd(w));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const whole = widths.reduce((sum, w) => sum + w, GAP.length * (columns.length - 1));
  if (width === undefined || whole <= width) {
    const line = (values: string[]) => values.map((v, i) => pad(v, i, widths[i])).join(GAP).trimEnd();
    return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
  }
  const fitted = fit(widths, width - GAP.length * (columns.length - 1));
  return fitted ? wrappedTable(columns, cells, fitted, pad) : asRecords(columns, cells, width);
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

function wrappedTable(columns: string[], cells: string[][], widths: number[], pad: (v: string, i: number, w: number) => string): string {
  const row = (values: string[]) => {
    const parts = values.map((v, i) => wrap(v, widths[i]));
    const height = Math.max(...parts.map((p) => p.length));
    return Array.from({ length: height }, (_, k) => parts.map((p, i) => pad(p[k] ?? '', i, widths[i])).join(GAP).trimEnd());
  };
  return [...row(columns), widths.map((w) => '-'.repeat(w)).join(GAP), ...cells.flatMap(row)].join('\n');
}

/** Each row as a record: "-[ 1 ]", then its columns' names and values, one a line (a long value over several). */
function asRecords(columns: string[], cells: string[][], width: number): string {
  const label = Math.max(...columns.map((c) => c.length));
  const room = Math.max(NARROWEST, width - label - GAP.length);
  return cells
    .map((values, r) => [
      `-[ ${r + 1} ]`,
      ...columns.flatMap((name, i) => wrap(values[i], room).map((part, k) => `${(k === 0 ? name : '').padEnd(label)}${GAP}${part}`.trimEnd())),
    ].join('\n'))
    .join('\n');
}

/**
 * `text` in lines of `width` at most: broken at a space, else after a / - _ , : ; or = (keys, ARNs, ids), else
 * anywhere. Nothing is left out.
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let rest of text.split('\n')) {
    while (rest.length > width) {
      const space = rest.lastIndexOf(' ', width);
      if (space > 0) {
        lines.push(rest.slice(0, space).trimEnd());
        rest = rest.slice(space + 1).trimStart();
        continue;
      }
      const mark = Math.max(...['/', '-', '_', ',', ':', ';', '='].map((c) => rest.lastIndexOf(c, width - 1)));
      const cut = mark > 0 ? mark + 1 : width;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    lines.push(rest);
  }
  return lines;
}
