/**
 * Markdown rendering shared by report.md and compare.md: escaping for table cells and code
 * spans, and a Table (table.ts) as a Markdown table.
 */
import { cellText, shown, view, type Cell, type Table } from './table.js';

/** Text for a Markdown table cell: a pipe (and any backslashes before it) escaped, line breaks as spaces. */
export function mdCellText(s: string): string {
  return s.replace(/(\\*)\|/g, (_, bs: string) => `${bs}${bs}\\|`).replace(/\r\n|\r|\n/g, ' ');
}

/** An inline code span that holds `s` whatever backticks it contains. */
export function mdCode(s: string): string {
  const flat = s.replace(/\r\n|\r|\n/g, ' ');
  if (!flat.includes('`')) return `\`${flat}\``;
  const fence = '`'.repeat(Math.max(...(flat.match(/`+/g) ?? ['']).map((m) => m.length)) + 1);
  return `${fence} ${flat} ${fence}`;
}

function mdCell(c: Cell): string {
  const s = mdCellText(cellText(c));
  const strong = (c.kind === 'text' || c.kind === 'status') && c.emphasis ? `**${s}**` : s;
  return c.kind === 'text' && c.flag ? `${strong} **${mdCellText(c.flag)}**` : strong;
}

/** A Table as a Markdown table (cells plain: no code spans, no alignment). */
export function mdTable(t: Table): string {
  const cols = shown(t, 'md');
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(cols.map((i) => mdCellText(view(t.columns[i], 'md').title))),
    `|${cols.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => line(cols.map((i) => mdCell(r[i])))),
  ].join('\n');
}
