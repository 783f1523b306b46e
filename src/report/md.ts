/**
 * Markdown rendering shared by report.md and compare.md: escaping of text (in a line, at the
 * start of one, in code spans and fences), and a Table (table.ts) as a Markdown table.
 */
import { withoutControls } from './escape.js';
import { cellText, shown, view, type Cell, type Table } from './table.js';

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Text as Markdown shows it, on one line: control characters go, line breaks become spaces,
 * and each character that could start Markdown or HTML there gets a backslash (CommonMark and
 * GFM show `\x` as x for any ASCII punctuation): backslashes, code spans, emphasis (`_` only
 * where it is not inside a word, where it is inert), strikethrough, table pipes, math, a `<`
 * that could open a tag or an autolink, a `]` that could close a link's text (before `(`, `[`
 * or `:`; a `[` alone links nothing, and no text can define a reference, see mdLine), a `&`
 * that starts an entity, and a closing `#` run of a heading. Safe anywhere inside a line,
 * table cells included, but not right before a `(` or `[` of the report's own; where the text
 * starts a line, use mdLine. Figures are not text: they go into Markdown as formatted.
 */
export function mdText(s: string): string {
  return withoutControls(s)
    .split(LINE_BREAK)
    .join(' ')
    .replace(/[\\`*~|$]|<(?=[A-Za-z/!?])|\](?=[([:])/g, '\\$&')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/&(?=#?\w+;)/g, '\\&')
    .replace(/(^|\s)#(#*\s*)$/, '$1\\#$2');
}

/**
 * Text that starts a line of its own (a list item's text, a paragraph's line): mdText, and
 * what would start a block there (a heading, quote, list item, task box, reference
 * definition, thematic break, setext underline or indented code) is escaped too.
 */
export function mdLine(s: string): string {
  return mdText(s.trimStart())
    .replace(/^[#>+=[-]/, '\\$&')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** Lines of text (a scenario's description) as Markdown, each escaped; blank lines still part paragraphs. */
export function mdLines(s: string): string {
  return s.trim().split(LINE_BREAK).map(mdLine).join('\n');
}

/** A fenced code block that holds `s` whatever backtick runs it contains. */
export function mdFence(lang: string, text: string): string[] {
  const s = withoutControls(text);
  const fence = '`'.repeat(Math.max(3, ...(s.match(/`{3,}/g) ?? []).map((m) => m.length + 1)));
  return [`${fence}${lang}`, s, fence];
}

/** An inline code span that holds `s` whatever backticks it contains. */
export function mdCode(s: string): string {
  const flat = withoutControls(s).split(LINE_BREAK).join(' ');
  if (!flat.includes('`')) return `\`${flat}\``;
  const fence = '`'.repeat(Math.max(...(flat.match(/`+/g) ?? ['']).map((m) => m.length)) + 1);
  return `${fence} ${flat} ${fence}`;
}

function mdCell(c: Cell): string {
  const s = c.kind === 'text' || c.kind === 'status' ? mdText(c.text) : cellText(c);
  const strong = (c.kind === 'text' || c.kind === 'status') && c.emphasis ? `**${s}**` : s;
  return c.kind === 'text' && c.flag ? `${strong} **${mdText(c.flag)}**` : strong;
}

/** A Table as a Markdown table (cells plain: no code spans, no alignment). */
export function mdTable(t: Table): string {
  const cols = shown(t, 'md');
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(cols.map((i) => mdText(view(t.columns[i], 'md').title))),
    `|${cols.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => line(cols.map((i) => mdCell(r[i])))),
  ].join('\n');
}
