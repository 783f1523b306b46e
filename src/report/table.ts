/**
 * The table model of the reports. A section is built once, from the run record, as a Table
 * of typed cells that hold raw values (sections.ts); report.md, report.html and summary.tex
 * only render Tables: each formats the figures (format.ts) and escapes the text for its own
 * format, so no reporter derives a section again and none can forget to escape a cell.
 */
import type { Verdict } from '../results/comparison.js';
import { DASH, msAsS, msUnit, ns1, nsop, nsUnit, ratioDigits, ratioInterval, sig5, times, us, us2, usUnit, withInterval } from './format.js';

export type Format = 'md' | 'html' | 'tex';
export type Status = 'pass' | 'warn' | 'fail';
export type Align = 'left' | 'right' | 'center';

/**
 * How a number cell's value becomes text: `us`, `us2`, `nsop`, `ns1` take ns; `ms-as-s`
 * takes ms; `sig5` is a figure of unknown scale; `plain` is the number as it is; `count` is
 * a count (HTML groups its digits); `us-unit`, `ns-unit` (both take ns) and `ms-unit` write
 * about 3 significant digits and the unit; `ratio-x` is a ratio, "×12.4".
 */
export type NumberStyle = 'us' | 'us2' | 'nsop' | 'ns1' | 'ms-as-s' | 'sig5' | 'plain' | 'count' | 'us-unit' | 'ns-unit' | 'ms-unit' | 'ratio-x';

/** strong: bold. alert: bold, and a red badge in HTML. */
export type Emphasis = 'strong' | 'alert';

export type Cell =
  /** Text as given; `code` sets it in a fixed-width font; `flag` is an alert written after it. */
  | { kind: 'text'; text: string; code?: boolean; emphasis?: Emphasis; flag?: string }
  /** An outcome with the label shown for it. */
  | { kind: 'status'; status: Status; text: string; emphasis?: Emphasis }
  /** A figure; one that is not finite renders as missing; `atLeast`: only a lower bound ("≥ v"). */
  | { kind: 'number'; value: number; style: NumberStyle; atLeast?: boolean }
  /** A figure with its interval or quartiles, "v [low, high]"; a null bound is unknown ('?'). */
  | { kind: 'estimate'; value: number; low: number | null; high: number | null; style: NumberStyle }
  /** An interval on its own: "low – high" (LaTeX: "[low, high]"). */
  | { kind: 'range'; low: number; high: number; style: NumberStyle }
  /** A ratio with `digits` decimals and a × sign. */
  | { kind: 'ratio'; value: number; digits: number }
  /**
   * A figure against the same figure of a reference (the headline tables): its ratio to the
   * reference with the ratio's interval and the verdict; ratio null for the reference itself.
   */
  | { kind: 'versus'; value: number; style: NumberStyle; atLeast?: boolean; ratio: number | null; low: number | null; high: number | null; verdict: Verdict | null }
  /** An absent figure: '–' (LaTeX: `--`), or `mark` where the report says '?' for "not known". */
  | { kind: 'missing'; mark?: string };

/** What one format does differently with a column. */
export interface ColumnView {
  /** Its heading there (in LaTeX: LaTeX source, written as it is). */
  title?: string;
  /** Left out of that format. */
  hidden?: boolean;
  /** Cells in a fixed-width font there. */
  code?: boolean;
  align?: Align;
}

export interface Column {
  id: string;
  title: string;
  /** Markdown tables are not aligned; HTML and LaTeX align right-hand figures. */
  align?: Align;
  /** The outcome column: HTML marks its cells, and each row gets the table's rowStatus. */
  status?: boolean;
  /** Its cells are numbers of the table's footnotes (a note per row would be a tower of prose). */
  footnote?: boolean;
  md?: ColumnView;
  html?: ColumnView;
  tex?: ColumnView;
}

export interface Table {
  id: string;
  title: string;
  columns: Column[];
  /** One cell per column, in column order. */
  rows: Cell[][];
  /** Each row's outcome, where the section has one (HTML colours the row by it). */
  rowStatus?: Array<Status | null>;
  /** Indices of the rows that start a new group (LaTeX leaves space before them). */
  groups?: number[];
  /** Sentences that go with the table, as plain text. */
  notes?: string[];
  /** Numbered notes a footnote column refers to (number i + 1 is footnotes[i]). */
  footnotes?: string[];
}

// ---- building cells ----

export function text(s: string, more: { code?: boolean; emphasis?: Emphasis; flag?: string } = {}): Cell {
  return { kind: 'text', text: s, ...more };
}

export function missing(mark?: string): Cell {
  return mark === undefined ? { kind: 'missing' } : { kind: 'missing', mark };
}

export function status(s: Status, label: string, emphasis?: Emphasis): Cell {
  return emphasis ? { kind: 'status', status: s, text: label, emphasis } : { kind: 'status', status: s, text: label };
}

/** A figure, or missing where there is none; `atLeast` marks one that is only a lower bound. */
export function figure(v: number | null | undefined, style: NumberStyle, atLeast = false): Cell {
  if (typeof v !== 'number') return missing();
  return atLeast && Number.isFinite(v) ? { kind: 'number', value: v, style, atLeast } : { kind: 'number', value: v, style };
}

export function ratio(v: number | null | undefined, digits: number): Cell {
  return typeof v === 'number' && Number.isFinite(v) ? { kind: 'ratio', value: v, digits } : missing();
}

/** A value of an open record: missing (or `mark`) when absent, a plain number, or its text. */
export function value(v: unknown, mark?: string): Cell {
  if (v === null || v === undefined) return missing(mark);
  return typeof v === 'number' ? figure(v, 'plain') : text(String(v));
}

// ---- reading tables ----

/** The cell of column `id` in `row`. */
export function field(t: Table, row: Cell[], id: string): Cell {
  const i = t.columns.findIndex((c) => c.id === id);
  if (i < 0) throw new Error(`table ${t.id} has no column ${id}`);
  return row[i];
}

/** A column as `format` shows it. */
export function view(c: Column, format: Format): Required<Pick<ColumnView, 'title' | 'hidden' | 'code' | 'align'>> {
  const v = c[format] ?? {};
  return { title: v.title ?? c.title, hidden: v.hidden ?? false, code: v.code ?? false, align: v.align ?? c.align ?? 'left' };
}

/** Indices of the columns `format` shows. */
export function shown(t: Table, format: Format): number[] {
  return t.columns.flatMap((c, i) => (view(c, format).hidden ? [] : [i]));
}

const STYLES: Record<NumberStyle, (v: number) => string> = {
  us,
  us2,
  nsop,
  ns1,
  'ms-as-s': msAsS,
  sig5,
  plain: (v) => (Number.isFinite(v) ? String(v) : DASH),
  count: (v) => (Number.isFinite(v) ? String(v) : DASH),
  'us-unit': usUnit,
  'ns-unit': nsUnit,
  'ms-unit': msUnit,
  'ratio-x': times,
};

/** How a verdict reads in a chip. */
/** A verdict in a table cell. Not "same": an interval that does not clear the threshold may be one too wide to tell. */
export const VERDICT_WORD: Record<Verdict, string> = { better: 'better', worse: 'worse', 'no significant change': 'n.s.' };
/** The CSS class of a verdict's chip. */
export const VERDICT_CLASS: Record<Verdict, string> = { better: 'better', worse: 'worse', 'no significant change': 'ns' };

/** The comparison part of a versus cell: "×1.23 [1.10, 1.40]" ('' for the reference itself). */
export function versusText(c: Extract<Cell, { kind: 'versus' }>): string {
  if (c.ratio === null) return '';
  const iv = c.low !== null && c.high !== null ? ` ${ratioInterval(c.low, c.high)}` : '';
  return `${times(c.ratio)}${iv}`;
}

/**
 * Footnote numbers for a column of notes: equal notes share one number. Returns the cell of
 * each row ('' where a row has no note) and the notes in number order.
 */
export function footnoted(notes: ReadonlyArray<string | null | undefined>): { cells: Cell[]; footnotes: string[] } {
  const footnotes: string[] = [];
  const cells = notes.map((n): Cell => {
    if (!n) return text('');
    let i = footnotes.indexOf(n);
    if (i < 0) i = footnotes.push(n) - 1;
    return text(String(i + 1));
  });
  return { cells, footnotes };
}

/** A figure in its style ('–' where it is not finite). */
export function formatFigure(v: number, style: NumberStyle): string {
  return STYLES[style](v);
}

/** What stands before a figure that is only a lower bound (LaTeX writes `$\geq$`). */
export const AT_LEAST = '≥ ';

/** Whether a cell shows no figure: missing, or a figure that is not finite. */
export function isAbsent(c: Cell): boolean {
  return c.kind === 'missing' || ((c.kind === 'number' || c.kind === 'ratio' || c.kind === 'versus') && !Number.isFinite(c.value));
}

/** The text of a cell before any escaping or emphasis, as Markdown and HTML show it. */
export function cellText(c: Cell): string {
  switch (c.kind) {
    case 'text':
    case 'status':
      return c.text;
    case 'missing':
      return c.mark ?? DASH;
    case 'number':
      return `${c.atLeast ? AT_LEAST : ''}${formatFigure(c.value, c.style)}`;
    case 'estimate':
      return withInterval(c.value, c.low, c.high, STYLES[c.style]);
    case 'range':
      return `${formatFigure(c.low, c.style)} – ${formatFigure(c.high, c.style)}`;
    case 'ratio':
      return Number.isFinite(c.value) ? `${ratioDigits(c.value, c.digits)}×` : DASH;
    case 'versus': {
      const v = `${c.atLeast ? AT_LEAST : ''}${formatFigure(c.value, c.style)}`;
      const vs = versusText(c);
      return vs ? `${v} (${vs}${c.verdict ? `, ${VERDICT_WORD[c.verdict]}` : ''})` : v;
    }
  }
}
