/**
 * Tables for a terminal: columns padded to their widest cell (counted in code points: µ and ×
 * take one column each), figures right-aligned, every cell on one line with its control
 * characters shown as \xHH (visible), so no value from a record can move the cursor.
 */
import { visible } from '../text.js';

export type PlainAlign = 'left' | 'right';

/** Length in terminal columns of text without wide characters. */
export function columns(s: string): number {
  return [...s].length;
}

function pad(s: string, width: number, align: PlainAlign): string {
  const fill = ' '.repeat(Math.max(0, width - columns(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** The table as lines: a header, a rule, the rows; two spaces between columns, no trailing spaces. */
export function plainTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly PlainAlign[] = []): string[] {
  const clean = (r: readonly string[]) => header.map((_, i) => visible(r[i] ?? '', false));
  const all = [clean(header), ...rows.map(clean)];
  const widths = header.map((_, i) => Math.max(...all.map((r) => columns(r[i]))));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i], align[i] ?? 'left')).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)];
}

/** The width of a table's widest line. */
export function tableWidth(lines: readonly string[]): number {
  return Math.max(0, ...lines.map(columns));
}
