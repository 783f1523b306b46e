/**
 * `unilat history`'s three outputs of the same rows: an aligned table for the terminal, JSON
 * (an array of objects, figures in ns) and CSV (a header, then one line per row). Rows come
 * oldest first in every view and format.
 */
import { stringify } from 'csv-stringify/sync';
import { withoutControls } from '../report/escape.js';
import type { RunSummary, TrendPoint } from '../results/history.js';
import { visible } from '../text.js';

export type HistoryFormat = 'table' | 'json' | 'csv';

/** One view's rows: column names, the plain values (JSON, CSV) and how the table shows them. */
interface View {
  columns: string[];
  values: Array<Record<string, string | number | boolean | null | string[]>>;
  cells: string[][];
}

export function fmtNs(v: number, metric: string): string {
  if (metric === 'count') return String(v);
  return v < 10_000 ? `${+v.toFixed(1)} ns` : `${+(v / 1000).toFixed(2)} us`;
}

const gatesText = (g: boolean | null): string => (g === null ? '-' : g ? 'pass' : 'FAIL');

export function runsView(runs: readonly RunSummary[]): View {
  return {
    columns: ['startedAt', 'id', 'scenario', 'status', 'gatesPassed', 'hosts', 'dir'],
    values: runs.map((r) => ({ startedAt: r.startedAt, id: r.id, scenario: r.scenario, status: r.incomplete ? 'incomplete' : r.status, gatesPassed: r.gatesPassed, hosts: r.hosts, dir: r.dir })),
    cells: runs.map((r) => [r.startedAt, r.id, r.scenario, r.incomplete ? 'INCOMPLETE (running or killed)' : r.status, gatesText(r.gatesPassed), r.hosts.join(','), r.dir ?? '']),
  };
}

export function trendView(metric: string, points: readonly TrendPoint[]): View {
  return {
    columns: ['startedAt', 'runId', 'benchmark', 'deployment', 'host', 'metric', 'value', 'status', 'gatesPassed'],
    values: points.map((p) => ({ startedAt: p.startedAt, runId: p.runId, benchmark: p.benchmark, deployment: p.deployment, host: p.host, metric, value: p.value, status: p.status, gatesPassed: p.gatesPassed })),
    cells: points.map((p) => [p.startedAt, p.runId, `${p.benchmark}/${p.deployment}@${p.host}`, fmtNs(p.value, metric), p.status, gatesText(p.gatesPassed)]),
  };
}

function table(head: string[], cells: string[][]): string {
  // Names come from records, which anyone may have written: no control codes to the terminal.
  const rows = cells.map((r) => r.map((c) => visible(c, false)));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The view in a format; `tableHead` names the table's columns (the table merges the group into one). */
export function renderView(v: View, format: HistoryFormat, tableHead: string[]): string {
  if (format === 'json') return `${JSON.stringify(v.values, null, 1)}\n`;
  if (format === 'csv')
    // A name a spreadsheet would run as a formula gets a leading quote, as in summary.csv.
    // A list (a run's hosts) is one cell, its items space-separated.
    return stringify([v.columns, ...v.values.map((o) => v.columns.map((c) => { const x = o[c]; return Array.isArray(x) ? x.join(' ') : (x ?? ''); }))], {
      escape_formulas: true,
      cast: { string: withoutControls, boolean: (b) => String(b) },
    });
  return `${table(tableHead, v.cells)}\n`;
}

export const RUNS_HEAD = ['started', 'run', 'scenario', 'status', 'gates', 'hosts', 'folder'];
export const trendHead = (metric: string): string[] => ['started', 'run', 'group', metric, 'status', 'gates'];
