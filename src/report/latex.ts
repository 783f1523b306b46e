/**
 * summary.tex: booktabs tables to \input into a paper. Needs \usepackage{booktabs} only.
 * Also the tabulars, longtables and floats of report.tex (report-tex.ts); text is escaped by tex.ts.
 */
import type { RunRecord } from '../results/types.js';
import { latencySummaryTable, opsSummaryTable } from './sections.js';
import { texComment, texEscape } from './tex.js';
import { cellText, formatFigure, isAbsent, shown, view, type Cell, type Table } from './table.js';

export { texEscape };

/**
 * A row of a tabular. `\\`, `\midrule` and `\addlinespace` before it look for a `*` or an
 * optional `[...]` argument (skipping spaces and the line break), so a row whose first cell
 * starts with either is set off by `{}`.
 */
function texRow(cells: string[]): string {
  const row = `${cells.join(' & ')} \\\\`;
  return /^[[*]/.test(row) ? `{}${row}` : row;
}

function texCell(c: Cell, code: boolean): string {
  if (isAbsent(c)) return c.kind === 'missing' && c.mark !== undefined ? texEscape(c.mark) : '--';
  if (c.kind === 'ratio') return `${c.value.toFixed(c.digits)}$\\times$`;
  if (c.kind === 'number' && c.atLeast) return `$\\geq$\\,${texEscape(formatFigure(c.value, c.style))}`;
  // An interval on its own keeps the brackets of "v [low, high]" in a paper table.
  const t = texEscape(c.kind === 'range' ? `[${formatFigure(c.low, c.style)}, ${formatFigure(c.high, c.style)}]` : cellText(c));
  let s = (code || (c.kind === 'text' && c.code)) && t ? `\\texttt{${t}}` : t;
  if ((c.kind === 'text' || c.kind === 'status') && c.emphasis) s = `\\textbf{${s}}`;
  return c.kind === 'text' && c.flag ? `${s} \\textbf{${texEscape(c.flag)}}` : s;
}

/** A Table's column spec, heading row and body rows (with space before each group). */
function tableParts(t: Table): { spec: string; head: string; body: string[] } {
  const cols = shown(t, 'tex').map((i) => ({ i, v: view(t.columns[i], 'tex'), own: t.columns[i].tex?.title !== undefined }));
  const groups = new Set(t.groups ?? []);
  return {
    spec: cols.map((c) => c.v.align[0]).join(''),
    head: texRow(cols.map((c) => (c.own ? c.v.title : texEscape(c.v.title)))),
    body: t.rows.flatMap((r, i) => [...(groups.has(i) ? ['\\addlinespace'] : []), texRow(cols.map((c) => texCell(r[c.i], c.v.code)))]),
  };
}

/** A Table as a booktabs tabular: columns aligned as they say, space before each group. */
export function tabular(t: Table): string[] {
  const p = tableParts(t);
  return [`\\begin{tabular}{${p.spec}}`, '\\toprule', p.head, '\\midrule', ...p.body, '\\bottomrule', '\\end{tabular}'];
}

/**
 * A Table as a booktabs longtable, which breaks across pages (its heading repeated); needs
 * \usepackage{longtable}. `caption` is LaTeX source.
 */
export function longTable(t: Table, caption: string, label: string): string[] {
  const p = tableParts(t);
  return [`\\begin{longtable}{${p.spec}}`, `\\caption{${caption}}\\label{${label}}\\\\`, '\\toprule', p.head, '\\midrule', '\\endhead', ...p.body, '\\bottomrule', '\\end{longtable}'];
}

/** How a table float is set: `placement` ([htbp] by default), `wrap` around the tabular (a macro name, e.g. one that fits it to the line). */
export interface FloatStyle {
  placement?: string;
  wrap?: string;
}

/** A table float around a tabular; `caption` is LaTeX source. */
export function floating(t: Table, caption: string, label: string, style: FloatStyle = {}): string[] {
  const body = style.wrap ? [`\\${style.wrap}{%`, ...tabular(t), '}'] : tabular(t);
  return ['', `\\begin{table}[${style.placement ?? 'htbp'}]`, '\\centering', `\\caption{${caption}}`, `\\label{${label}}`, ...body, '\\end{table}'];
}

/**
 * The latency and syscall summary floats of summary.tex (and report.tex): wake-up latency per
 * deployment x benchmark x host (counted repetitions and threads merged; µs) and, for syscall
 * benchmarks, ns per operation with its 95% interval and the ratio to a plain function call.
 * Empty without a completed measurement.
 */
export function summaryFloats(record: RunRecord, style: FloatStyle = {}): string[] {
  const out: string[] = [];
  const lat = latencySummaryTable(record);
  if (lat.rows.length) {
    // The marks as the table shows them: a lower bound, or a figure that cannot be known.
    const bounded = lat.rows.some((r) => r.some((c) => c.kind === 'number' && c.atLeast));
    const unknown = lat.rows.some((r) => r.some(isAbsent));
    const marks = `${bounded ? " $\\geq$: a lower bound (among samples beyond the tool's histogram range)." : ''}${unknown ? ' --: not known (the tool kept no histogram).' : ''}`;
    out.push(...floating(lat, `Wake-up latency in $\\mu$s (threads and repetitions merged; percentiles within 0.4\\,\\%).${marks}`, 'tab:unilat-latency', style));
  }
  const ops = opsSummaryTable(record);
  if (ops.rows.length)
    out.push(...floating(ops, 'Cost per operation in ns (median of batches, 95\\,\\% interval) and its ratio to a plain function call (\\texttt{func}).', 'tab:unilat-syscall', style));
  return out;
}

/** summary.tex: the summary floats, to \input into a paper (needs \usepackage{booktabs}). */
export function renderSummaryTex(record: RunRecord): string {
  const s = (record.scenario ?? {}) as { name?: unknown };
  const out: string[] = [
    texComment(`unilat ${record.tool.version} summary of run ${record.id} (scenario ${String(s.name ?? '?')}), generated from run.json`),
    texComment('requires \\usepackage{booktabs}'),
  ];
  const floats = summaryFloats(record);
  out.push(...(floats.length ? floats : [texComment('no completed measurement in this run')]));
  return `${out.join('\n')}\n`;
}
