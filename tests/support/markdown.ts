// Reading the project's Markdown docs as GitHub shows them: headings and their anchors, prose without fenced code.
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const readDoc = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Markdown without its fenced code, where a `# comment` is no heading and `[x](y)` no link. */
export const prose = (text: string) => text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation but - and _ dropped, spaces as dashes. */
export const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a doc's headings. */
export const anchorsOf = (file: string) => new Set([...prose(readDoc(file)).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));

/** The text under the heading with this anchor, up to the next heading of its level or above; undefined if none has it. */
export function sectionAt(file: string, wanted: string): string | undefined {
  const lines = prose(readDoc(file)).split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && anchor(line.replace(/^#+ /, '')) === wanted);
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start])![0].length;
  const end = lines.findIndex((line, i) => i > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}
