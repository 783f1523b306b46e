import { stringify } from 'csv-stringify/sync';
import type { MarkedSummary, RunRecord } from '../results/types.js';
import { withoutControls } from './escape.js';

const LATENCY_COLUMNS = ['count', 'min', 'mean', 'stddev', 'p50', 'p90', 'p99', 'p999', 'p9999', 'max'] as const;
/** The latency columns and `lower_bounds`: the percentiles of the row that are only lower bounds (space-separated). */
const LATENCY_WIDTH = LATENCY_COLUMNS.length + 1;
/** ns_per_op .. cycles_ci_high */
const OPS_COLUMNS = 8;

/**
 * summary.csv: one row per result and thread (thread "all" is the merged histogram); ns throughout.
 * A figure that cannot be known (a percentile without a histogram) is empty; `lower_bounds` names
 * the row's percentiles that are only lower bounds (among a tool's histogram overflows).
 * A text cell that a spreadsheet would take for a formula (it starts with =, +, -, @, a tab or
 * a CR: a host, deployment or op name from any record or imported file) gets a leading `'`
 * (OWASP's advice; csv-stringify's escape_formulas); figures are numbers, so a negative one
 * stays a number. Control characters other than tab, LF and CR are left out.
 */
export function renderSummaryCsv(record: RunRecord): string {
  const header = ['deployment', 'benchmark', 'kind', 'host', 'repetition', 'status', 'thread', 'cpu', 'metric', ...LATENCY_COLUMNS, 'lower_bounds', 'ns_per_op', 'ci_low', 'ci_high', 'batches', 'ratio_to_func', 'cycles_per_op', 'cycles_ci_low', 'cycles_ci_high'];
  const rows: unknown[][] = [];
  for (const r of record.results) {
    const key = [r.deployment, r.benchmark, r.kind, r.host, r.repetition, r.status];
    const pad = (n: number) => Array(n).fill('');
    if (r.status !== 'completed') {
      rows.push([...key, '', '', '', ...pad(LATENCY_WIDTH + OPS_COLUMNS)]);
    } else if (r.latency) {
      rows.push([...key, 'all', '', 'latency_ns', ...latencyCells(r.latency), ...pad(OPS_COLUMNS)]);
      for (const t of r.latency.threads) rows.push([...key, t.thread, t.cpu ?? '', 'latency_ns', ...latencyCells(t.summary), ...pad(OPS_COLUMNS)]);
    } else {
      for (const [name, op] of Object.entries(r.ops))
        rows.push([...key, '', '', name, ...pad(LATENCY_WIDTH), round(op.nsPerOp, 3), round(op.ciLow, 3), round(op.ciHigh, 3), op.samples, r.ratios[name] !== undefined ? round(r.ratios[name], 2) : '',
          // Empty where the probe did not measure cycles (run.json says why).
          ...(op.cycles ? [round(op.cycles.perOp, 3), round(op.cycles.ciLow, 3), round(op.cycles.ciHigh, 3)] : pad(3))]);
    }
  }
  return stringify([header, ...rows], { escape_formulas: true, cast: { string: withoutControls } });
}

function latencyCells(s: MarkedSummary): Array<number | string> {
  return [...LATENCY_COLUMNS.map((c) => round(s[c])), (s.lowerBounds ?? []).join(' ')];
}

function round(v: number, digits = 1): number | string {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : '';
}
