import { stringify } from 'csv-stringify/sync';
import type { RunRecord } from '../results/types.js';

const LATENCY_COLUMNS = ['count', 'min', 'mean', 'stddev', 'p50', 'p90', 'p99', 'p999', 'p9999', 'max'] as const;

/** summary.csv: one row per result and thread (thread "all" is the merged histogram); ns throughout. */
export function renderSummaryCsv(record: RunRecord): string {
  const header = ['deployment', 'benchmark', 'kind', 'host', 'repetition', 'status', 'thread', 'cpu', 'metric', ...LATENCY_COLUMNS, 'ns_per_op', 'ci_low', 'ci_high', 'batches', 'ratio_to_func'];
  const rows: unknown[][] = [];
  for (const r of record.results) {
    const key = [r.deployment, r.benchmark, r.kind, r.host, r.repetition, r.status];
    const pad = (n: number) => Array(n).fill('');
    if (r.status !== 'completed') {
      rows.push([...key, '', '', '', ...pad(LATENCY_COLUMNS.length + 5)]);
    } else if (r.latency) {
      rows.push([...key, 'all', '', 'latency_ns', ...LATENCY_COLUMNS.map((c) => round(r.latency[c])), ...pad(5)]);
      for (const t of r.latency.threads)
        rows.push([...key, t.thread, t.cpu ?? '', 'latency_ns', ...LATENCY_COLUMNS.map((c) => round(t.summary[c])), ...pad(5)]);
    } else {
      for (const [name, op] of Object.entries(r.ops))
        rows.push([...key, '', '', name, ...pad(LATENCY_COLUMNS.length), round(op.nsPerOp, 3), round(op.ciLow, 3), round(op.ciHigh, 3), op.samples, r.ratios[name] !== undefined ? round(r.ratios[name], 2) : '']);
    }
  }
  return stringify([header, ...rows]);
}

function round(v: number, digits = 1): number | string {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : '';
}
