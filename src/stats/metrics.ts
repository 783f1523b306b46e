/**
 * The metric rows of a run record that the history keeps for trends and baselines: every
 * completed result's summary, and one pooled set per deployment, benchmark and host over the
 * counted repetitions. A pure function of the record. A figure that cannot be known (a
 * percentile without a histogram) is no row; a percentile that is only a lower bound (among a
 * tool's overflows) is stored as "<metric> (lower bound)", never as the metric itself.
 */
import { mergeHistograms } from '../results/histogram.js';
import type { LatencySummary, MarkedSummary, MetricRow, Result, RunRecord } from '../results/types.js';
import { median, sorted } from './median.js';
import { latencySummary } from './summary.js';

const SUMMARY_METRICS: Array<[string, keyof LatencySummary]> = [
  ['count', 'count'],
  ['min', 'min'],
  ['mean', 'mean'],
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p99.9', 'p999'],
  ['p99.99', 'p9999'],
  ['max', 'max'],
];

/** The metric name a summary's figure is stored under: marked where it is only a lower bound. */
function metricName(name: string, field: keyof LatencySummary, s: MarkedSummary): string {
  return s.lowerBounds?.some((k) => k === field) ? `${name} (lower bound)` : name;
}

/**
 * Metric rows of a record: one set per completed result, and one pooled set (repetition
 * NULL) per deployment/benchmark/host over the counted repetitions (warm-up left out).
 */
export function metricRows(record: RunRecord): MetricRow[] {
  const rows: MetricRow[] = [];
  const push = (r: { deployment: string; benchmark: string; host: string }, repetition: number | null, metric: string, value: number) => {
    if (Number.isFinite(value)) rows.push({ deployment: r.deployment, benchmark: r.benchmark, host: r.host, repetition, metric, value });
  };
  const step = (r: Result) => JSON.stringify([r.deployment, r.benchmark, r.host]);
  const counted = new Set(record.results.filter((r) => r.repetition > 0).map(step));
  const pooled = new Map<string, Result[]>();
  for (const r of record.results) {
    if (r.status !== 'completed') continue;
    if (r.latency) for (const [name, field] of SUMMARY_METRICS) push(r, r.repetition, metricName(name, field, r.latency), r.latency[field]);
    if (r.ops) for (const [op, st] of Object.entries(r.ops)) push(r, r.repetition, `syscall.${op}`, st.nsPerOp);
    if (r.repetition > 0 || !counted.has(step(r))) pooled.set(step(r), [...(pooled.get(step(r)) ?? []), r]);
  }
  for (const list of pooled.values()) {
    const first = list[0];
    const latency = list.flatMap((r) => (r.status === 'completed' && r.latency ? [r.latency] : []));
    if (latency.length) {
      const s = latencySummary(mergeHistograms(latency.map((l) => l.histogram)), latency.reduce((a, l) => a + (l.overflows ?? 0), 0));
      for (const [name, field] of SUMMARY_METRICS) push(first, null, metricName(name, field, s), s[field]);
    }
    const ops = list.flatMap((r) => (r.status === 'completed' && r.ops ? [r.ops] : []));
    for (const op of new Set(ops.flatMap((o) => Object.keys(o)))) {
      const samples = ops.flatMap((o) => (o[op] ? (o[op].raw?.length ? o[op].raw : [o[op].nsPerOp]) : []));
      push(first, null, `syscall.${op}`, median(sorted(samples)));
    }
  }
  return rows;
}
