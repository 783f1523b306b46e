/**
 * Evaluating scenario gates against a run record. Absolute gates check a metric of every
 * counted, completed result they match; relative gates compare against a baseline run with
 * compare.ts and fail only on a significant regression beyond the allowance. A gate that
 * matches nothing fails with a reason: a gate that cannot be checked must not pass. A relative
 * gate without a baseline (the first run of a nightly job) is skipped, saying why: it neither
 * passes nor fails the run.
 */
import type { LatencySummary, Result, RunRecord } from '../results/types.js';
import type { AbsoluteGate, Gate, RelativeGate } from '../scenario/gates.js';
import type { Comparison, GateOutcome } from '../results/comparison.js';
import { compareRuns, countedResults, groupLabel, METRIC_QUANTILE, type CompareOptions } from './compare.js';


export type { GateOutcome };

export interface GateOptions {
  /** Baseline run for relative gates. */
  baseline?: RunRecord | null;
  /** Why there is no baseline, for the skipped relative gates (default "no baseline run to compare with"). */
  baselineNote?: string;
  /** Options for the comparisons behind relative gates (seed, resamples, alpha, ignoreHost). */
  compare?: Omit<CompareOptions, 'metrics' | 'gates' | 'ops'>;
}

const SUMMARY_FIELD: Readonly<Record<string, keyof LatencySummary>> = {
  min: 'min',
  mean: 'mean',
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  'p99.9': 'p999',
  'p99.99': 'p9999',
  max: 'max',
};

/** A gate metric's value in one result: a latency summary field, or syscall.<op> ns/op; undefined when it has none. */
export function metricValue(r: Result, metric: string): number | undefined {
  if (r.status !== 'completed') return undefined;
  if (metric.startsWith('syscall.')) return r.ops?.[metric.slice('syscall.'.length)]?.nsPerOp;
  const field = SUMMARY_FIELD[metric];
  return field && r.latency ? r.latency[field] : undefined;
}

function filterText(g: Gate): string {
  const parts = [g.benchmark && `benchmark ${g.benchmark}`, g.deployment && `deployment ${g.deployment}`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'any benchmark and deployment';
}

function matches(g: Gate, r: { benchmark: string; deployment: string }): boolean {
  return (g.benchmark === undefined || g.benchmark === r.benchmark) && (g.deployment === undefined || g.deployment === r.deployment);
}

/**
 * A gate's figure (ns) in its metric's unit, as every output writes it: ns per operation for
 * `syscall.<op>`, µs for a latency; whole from 100 up, else 3 significant digits.
 */
export function formatNs(ns: number, metric = ''): string {
  if (!Number.isFinite(ns)) return String(ns);
  const [v, unit] = metric.startsWith('syscall.') ? [ns, 'ns'] : [ns / 1000, 'µs'];
  return `${Math.abs(v) >= 100 ? Math.round(v) : +v.toPrecision(3)} ${unit}`;
}

function evaluateAbsolute(g: AbsoluteGate, record: RunRecord): GateOutcome[] {
  const out: GateOutcome[] = [];
  for (const r of countedResults(record)) {
    if (!matches(g, r)) continue;
    const key = `${groupLabel(r)}#${r.repetition}`;
    if (r.status !== 'completed') {
      out.push({ gate: g.text, key, value: null, limit: g.limitNs, pass: false, detail: `result ${r.status}: ${r.error}` });
      continue;
    }
    const v = metricValue(r, g.metric);
    if (v === undefined) continue; // a latency gate on an ops result (or the other way) does not apply
    // NaN in memory, null once read back from run.json: a figure the result cannot know.
    if (v === null || !Number.isFinite(v)) {
      out.push({ gate: g.text, key, value: null, limit: g.limitNs, pass: false, detail: `${g.metric} unknown${g.metric in METRIC_QUANTILE ? ': the result keeps no histogram, so it has no percentiles' : ''}; the gate cannot be checked` });
      continue;
    }
    const pass = g.inclusive ? v <= g.limitNs : v < g.limitNs;
    const op = g.inclusive ? '<=' : '<';
    out.push({
      gate: g.text,
      key,
      value: v,
      limit: g.limitNs,
      pass,
      detail: `${g.metric} = ${formatNs(v, g.metric)} ${pass ? op : `not ${op}`} ${formatNs(g.limitNs, g.metric)}`,
    });
  }
  if (!out.length)
    out.push({ gate: g.text, key: filterText(g), value: null, limit: g.limitNs, pass: false, detail: `no result for ${g.metric} (${filterText(g)})` });
  return out;
}

/** Whether a relative gate's metric has a relative comparison. */
function comparable(metric: string): boolean {
  return metric.startsWith('syscall.') || metric in METRIC_QUANTILE || metric === 'mean' || metric === 'max';
}

/**
 * The one comparison behind every relative gate of a run: all gated metrics of a group pair
 * judged together, so Holm's correction covers them as `compare` would (stats/compare.ts).
 */
function gatedComparison(gates: readonly RelativeGate[], record: RunRecord, baseline: RunRecord, opts: GateOptions): Comparison {
  const ok = gates.filter((g) => comparable(g.metric));
  return compareRuns(baseline, record, {
    ...opts.compare,
    metrics: [...new Set(ok.filter((g) => !g.metric.startsWith('syscall.')).map((g) => g.metric))],
    ops: ok.some((g) => g.metric.startsWith('syscall.')),
    gates: ok.map((g) => ({ metric: g.metric, maxRegression: g.maxRegression, benchmark: g.benchmark, deployment: g.deployment })),
  });
}

function evaluateRelative(g: RelativeGate, cmp: () => Comparison | null, opts: GateOptions): GateOutcome[] {
  const limit = 1 + g.maxRegression;
  const fail = (detail: string): GateOutcome[] => [{ gate: g.text, key: filterText(g), value: null, limit, pass: false, detail }];
  const baseline = opts.baseline;
  if (!baseline)
    return [{ gate: g.text, key: '(no baseline)', value: null, limit, pass: true, skipped: true, detail: `not evaluated: ${opts.baselineNote ?? 'no baseline run to compare with'}` }];
  if (!comparable(g.metric)) return fail(`${g.metric} has no relative comparison (use p50..p99.99, mean, max or syscall.<op>)`);
  const rows = cmp()!.rows.filter((r) => r.gated && r.metric === g.metric && matches(g, r.candidateGroup));
  if (!rows.length) return fail(`no result for ${g.metric} (${filterText(g)}) in both this run and baseline ${baseline.id}`);
  return rows.map((r) => {
    if (r.withheld) return { gate: g.text, key: r.key, value: r.ratio, limit, pass: true, skipped: true, detail: `not evaluated: ${r.withheld}` };
    const pass = r.verdict !== 'worse';
    const iv = r.ratioLow !== null && r.ratioHigh !== null ? ` [${r.ratioLow.toFixed(3)}, ${r.ratioHigh.toFixed(3)}]` : '';
    const holm = r.holm && r.holm.family > 1 ? `, Holm-corrected across ${r.holm.family} gated metrics` : '';
    return {
      gate: g.text,
      key: r.key,
      value: r.ratio,
      limit,
      pass,
      detail: `${g.metric} ${formatNs(r.baseline, r.metric)} -> ${formatNs(r.candidate, r.metric)}, ratio ${r.ratio.toFixed(3)}${iv} vs baseline ${baseline.id}: ${r.verdict}${holm}${r.note ? ` (${r.note})` : ''}`,
    };
  });
}

/** Evaluates every gate; the outcomes of one gate stay together, in the gates' order. */
export function evaluateGates(gates: readonly Gate[], record: RunRecord, opts: GateOptions = {}): GateOutcome[] {
  const relative = gates.filter((g): g is RelativeGate => g.type === 'relative');
  let cmp: Comparison | null = null;
  const shared = (): Comparison | null => (cmp ??= opts.baseline ? gatedComparison(relative, record, opts.baseline, opts) : null);
  return gates.flatMap((g) => (g.type === 'absolute' ? evaluateAbsolute(g, record) : evaluateRelative(g, shared, opts)));
}

/** True when no outcome failed (no gates, or only skipped ones: true). */
export function gatesPassed(outcomes: readonly GateOutcome[]): boolean {
  return outcomes.every((o) => o.pass);
}
