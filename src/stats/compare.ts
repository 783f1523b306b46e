/**
 * Baseline vs candidate comparison with verdicts that do not cry wolf.
 *
 * Per group (deployment / benchmark / host) and metric: the ratio candidate/baseline with a
 * 95% interval, the rank-sum p-value and effect size, and a verdict. A change is called only
 * when it is both statistically significant and larger than the noise threshold, judged on
 * the interval, not the point estimate:
 *   worse  when the whole ratio interval lies above 1 + threshold,
 *   better when the whole ratio interval lies below 1 / (1 + threshold).
 * Why so strict: the within-run bootstrap treats samples as independent, which they are not
 * (timer ticks, SMIs and caches make latencies cluster), so its intervals are too narrow for
 * run-to-run differences. Requiring the interval to clear the threshold band (not just 1)
 * absorbs that. With two or more repetitions on both sides, the interval is widened to cover
 * a Welch interval over per-repetition figures, which measures real run-to-run noise.
 * Percentiles whose tail holds fewer than 10 samples get no verdict at all.
 * max: a bootstrap cannot see past the largest sample, so max is judged by an exact
 * exceedance test instead: it is worse only if several candidate samples lie beyond
 * baseline max * (1 + threshold) and that many would be improbable (p < alpha) if both runs
 * came from one distribution. One stray spike never makes a max regression.
 */
import { mergeHistograms, bucketBounds, type HistogramData } from '../results/histogram.js';
import type { Ops, Result, RunRecord } from '../results/types.js';
import { bootstrapHistogram, DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, repetitionRatioInterval, tailSupport } from './bootstrap.js';
import { deriveSeed, makeRng, percentileInterval } from './dist.js';
import { quantile } from './quantiles.js';
import { rankSumHistograms, rankSumSamples } from './ranksum.js';

export type Verdict = 'better' | 'worse' | 'no significant change';

/** Latency metrics compared by default (gate names: p99.9, not p999). */
export const DEFAULT_LATENCY_METRICS = ['p50', 'p90', 'p99', 'p99.9', 'max', 'mean'] as const;

/** Percentile metric name -> quantile. */
export const METRIC_QUANTILE: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.9, p99: 0.99, 'p99.9': 0.999, 'p99.99': 0.9999 };

export const DEFAULT_THRESHOLD = 0.05;
export const DEFAULT_ALPHA = 0.05;

export interface GroupKey {
  deployment: string;
  benchmark: string;
  host: string;
}

export interface ComparisonRow {
  /** Display key of the group, e.g. "cyclic/bare@local" or "cyclic@local: vm vs bare". */
  key: string;
  baselineGroup: GroupKey;
  candidateGroup: GroupKey;
  /** p50 p90 p99 p99.9 p99.99 max mean, or syscall.<op> (ns/op). */
  metric: string;
  baseline: number;
  candidate: number;
  ratio: number;
  /** 95% interval of the ratio; null for max (judged by the exceedance test instead). */
  ratioLow: number | null;
  ratioHigh: number | null;
  /** Rank-sum two-sided p-value (candidate vs baseline distributions; per-batch samples for ops). */
  p: number | null;
  /** Common-language effect size P(candidate > baseline); 0.5 means no tendency. */
  effect: number | null;
  verdict: Verdict;
  /** Noise threshold used for this row (a relative gate's allowance when gated by one). */
  threshold: number;
  /** Whether a regression of this row fails the comparison. */
  gated?: boolean;
  /** Samples behind each side (latency samples, or per-batch op samples). */
  samples: { baseline: number; candidate: number };
  /** Repetitions behind each side. */
  repetitions: { baseline: number; candidate: number };
  /** What decided the verdict, and why a verdict was withheld. */
  note?: string;
}

export interface Comparison {
  baselineId: string | null;
  candidateId: string | null;
  threshold: number;
  alpha: number;
  level: number;
  resamples: number;
  seed: number;
  rows: ComparisonRow[];
  /** Gated rows whose verdict is worse. */
  regressions: ComparisonRow[];
  /** Groups present on one side only (not compared). */
  unmatched: { baseline: string[]; candidate: string[] };
}

/** A relative allowance for some rows (a relative gate: "p99 may not regress more than 10%"). */
export interface GateSpec {
  metric: string;
  maxRegression: number;
  benchmark?: string;
  deployment?: string;
}

export interface CompareOptions {
  /** Noise threshold as a fraction (default 0.05). */
  threshold?: number;
  /** Significance level for rank-sum and exceedance tests (default 0.05). */
  alpha?: number;
  /** Confidence level of ratio intervals (default 0.95). */
  level?: number;
  resamples?: number;
  seed?: number;
  /** Latency metrics to compare (default p50 p90 p99 p99.9 max mean). */
  metrics?: readonly string[];
  /** Compare syscall ops (default true). */
  ops?: boolean;
  /**
   * When given, only rows matched by one of these are gated, with that allowance as their
   * threshold; when absent, every row is gated with the default threshold.
   */
  gates?: readonly GateSpec[];
  /** Match groups by deployment and benchmark only (baseline and candidate on different hosts). */
  ignoreHost?: boolean;
}

/** The results of one group, per counted repetition. */
export interface ResultGroup extends GroupKey {
  latency: HistogramData[];
  ops: Ops[];
}

/**
 * The results that count: repetition 0 is the uncounted warm-up when a counted repetition of
 * the same step exists (same rule as the reports). Failed and aborted results never count.
 */
export function countedResults(record: RunRecord): Result[] {
  const step = (r: Result): string => JSON.stringify([r.host, r.deployment, r.benchmark]);
  const counted = new Set<string>();
  for (const r of record.results) if (r.repetition > 0) counted.add(step(r));
  return record.results.filter((r) => r.repetition > 0 || !counted.has(step(r)));
}

/** Completed results grouped by deployment/benchmark/host, in first-seen order. */
export function resultGroups(record: RunRecord): ResultGroup[] {
  const map = new Map<string, ResultGroup>();
  for (const r of countedResults(record)) {
    if (r.status !== 'completed') continue;
    const id = JSON.stringify([r.deployment, r.benchmark, r.host]);
    let g = map.get(id);
    if (!g) map.set(id, (g = { deployment: r.deployment, benchmark: r.benchmark, host: r.host, latency: [], ops: [] }));
    if (r.latency) g.latency.push(r.latency.histogram);
    if (r.ops) g.ops.push(r.ops);
  }
  return [...map.values()];
}

export function groupLabel(g: GroupKey): string {
  return `${g.benchmark}/${g.deployment}@${g.host}`;
}

interface Settings {
  threshold: number;
  alpha: number;
  level: number;
  resamples: number;
  seed: number;
  metrics: readonly string[];
  ops: boolean;
  gates?: readonly GateSpec[];
}

function settings(o: CompareOptions): Settings {
  return {
    threshold: o.threshold ?? DEFAULT_THRESHOLD,
    alpha: o.alpha ?? DEFAULT_ALPHA,
    level: o.level ?? DEFAULT_LEVEL,
    resamples: o.resamples ?? DEFAULT_RESAMPLES,
    seed: o.seed ?? DEFAULT_SEED,
    metrics: o.metrics ?? DEFAULT_LATENCY_METRICS,
    ops: o.ops ?? true,
    gates: o.gates,
  };
}

/** Compares two runs group by group (same deployment, benchmark and host). */
export function compareRuns(baseline: RunRecord, candidate: RunRecord, opts: CompareOptions = {}): Comparison {
  const match = (g: GroupKey): string => JSON.stringify(opts.ignoreHost ? [g.deployment, g.benchmark] : [g.deployment, g.benchmark, g.host]);
  const base = resultGroups(baseline);
  const cand = resultGroups(candidate);
  const baseBy = new Map(base.map((g) => [match(g), g]));
  const pairs: Array<[string, ResultGroup, ResultGroup]> = [];
  const candOnly: string[] = [];
  const used = new Set<string>();
  for (const c of cand) {
    const b = baseBy.get(match(c));
    if (!b) candOnly.push(groupLabel(c));
    else {
      used.add(match(c));
      pairs.push([groupLabel(c), b, c]);
    }
  }
  const baseOnly = base.filter((b) => !used.has(match(b))).map(groupLabel);
  return compareGroups(pairs, opts, baseline.id, candidate.id, { baseline: baseOnly, candidate: candOnly });
}

/** Compares two deployments inside one run, benchmark by benchmark on each host. */
export function compareDeployments(record: RunRecord, baselineDeployment: string, candidateDeployment: string, opts: CompareOptions = {}): Comparison {
  const groups = resultGroups(record);
  const side = (d: string) => new Map(groups.filter((g) => g.deployment === d).map((g) => [JSON.stringify([g.benchmark, g.host]), g]));
  const base = side(baselineDeployment);
  const cand = side(candidateDeployment);
  const pairs: Array<[string, ResultGroup, ResultGroup]> = [];
  for (const [k, c] of cand) {
    const b = base.get(k);
    if (b) pairs.push([`${c.benchmark}@${c.host}: ${candidateDeployment} vs ${baselineDeployment}`, b, c]);
  }
  const unmatched = {
    baseline: [...base.keys()].filter((k) => !cand.has(k)).map((k) => groupLabel(base.get(k)!)),
    candidate: [...cand.keys()].filter((k) => !base.has(k)).map((k) => groupLabel(cand.get(k)!)),
  };
  return compareGroups(pairs, opts, record.id, record.id, unmatched);
}

/** Compares explicit (label, baseline group, candidate group) pairs. */
export function compareGroups(
  pairs: ReadonlyArray<readonly [string, ResultGroup, ResultGroup]>,
  opts: CompareOptions = {},
  baselineId: string | null = null,
  candidateId: string | null = null,
  unmatched: Comparison['unmatched'] = { baseline: [], candidate: [] },
): Comparison {
  const s = settings(opts);
  const rows: DraftRow[] = [];
  for (const [key, b, c] of pairs) {
    if (b.latency.length && c.latency.length) rows.push(...compareLatency(key, b, c, s));
    if (s.ops && b.ops.length && c.ops.length) rows.push(...compareOps(key, b, c, s));
  }
  for (const r of rows) {
    applyGate(r, s);
    delete (r as DraftRow).decide; // internal hook; rows serialise as plain data
  }
  return {
    baselineId,
    candidateId,
    threshold: s.threshold,
    alpha: s.alpha,
    level: s.level,
    resamples: s.resamples,
    seed: s.seed,
    rows,
    regressions: rows.filter((r) => r.gated && r.verdict === 'worse'),
    unmatched,
  };
}

/** Marks a row gated and applies a matching gate's allowance (re-deciding its verdict). */
function applyGate(row: DraftRow, s: Settings): void {
  if (!s.gates) {
    row.gated = true;
    return;
  }
  const matching = s.gates.filter(
    (g) =>
      g.metric === row.metric &&
      (g.benchmark === undefined || g.benchmark === row.candidateGroup.benchmark) &&
      (g.deployment === undefined || g.deployment === row.candidateGroup.deployment),
  );
  row.gated = matching.length > 0;
  if (!matching.length) return;
  const allowance = Math.min(...matching.map((g) => g.maxRegression));
  if (allowance !== row.threshold) {
    row.threshold = allowance;
    row.verdict = row.decide!(allowance);
  }
}

type DraftRow = ComparisonRow & { decide?: (threshold: number) => Verdict };

function intervalVerdict(low: number, high: number, threshold: number, pOk: boolean): Verdict {
  if (!pOk || Number.isNaN(low) || Number.isNaN(high)) return 'no significant change';
  if (low > 1 + threshold) return 'worse';
  if (high < 1 / (1 + threshold)) return 'better';
  return 'no significant change';
}

function hull(a: [number, number], b: [number, number] | null): [number, number] {
  return b ? [Math.min(a[0], b[0]), Math.max(a[1], b[1])] : a;
}

/** Samples in buckets lying wholly at or above v (a lower bound on the samples >= v). */
function countAtLeast(h: HistogramData, v: number): number {
  let n = 0;
  for (const [i, c] of h.bins) if (bucketBounds(i)[0] >= v) n += c;
  return n;
}

/**
 * Exact probability, when all nA + nB samples are exchangeable, that the k largest of the
 * pooled sample all come from A (the chance of A having >= k samples above B's maximum).
 */
export function exceedanceP(k: number, nA: number, nB: number): number {
  if (k <= 0) return 1;
  if (k > nA) return 0;
  let logP = 0;
  for (let i = 0; i < k; i++) {
    logP += Math.log((nA - i) / (nA + nB - i));
    if (logP < -745) return 0;
  }
  return Math.exp(logP);
}

function compareLatency(key: string, b: ResultGroup, c: ResultGroup, s: Settings): DraftRow[] {
  const pb = mergeHistograms(b.latency);
  const pc = mergeHistograms(c.latency);
  if (!pb.count || !pc.count) return [];
  const rs = rankSumHistograms(pc, pb);
  const qMetrics = s.metrics.filter((m) => m in METRIC_QUANTILE);
  const qs = qMetrics.map((m) => METRIC_QUANTILE[m]);
  const order = qs.map((_, i) => i).sort((x, y) => qs[x] - qs[y]);
  const sortedQs = order.map((i) => qs[i]);
  const bootOpts = (side: string) => ({ resamples: s.resamples, seed: deriveSeed(s.seed, `${key}|latency|${side}`) });
  const bb = bootstrapHistogram(pb, sortedQs, bootOpts('baseline'));
  const bc = bootstrapHistogram(pc, sortedQs, bootOpts('candidate'));
  const base = (): Omit<DraftRow, 'metric' | 'baseline' | 'candidate' | 'ratio' | 'ratioLow' | 'ratioHigh' | 'verdict'> => ({
    key,
    baselineGroup: groupKey(b),
    candidateGroup: groupKey(c),
    p: rs.p,
    effect: rs.probXGreater,
    threshold: s.threshold,
    samples: { baseline: pb.count, candidate: pc.count },
    repetitions: { baseline: b.latency.length, candidate: c.latency.length },
  });
  const rows: DraftRow[] = [];
  for (const metric of s.metrics) {
    if (metric in METRIC_QUANTILE) {
      const q = METRIC_QUANTILE[metric];
      const k = order.findIndex((i) => qs[i] === q);
      const vb = quantile(pb, q);
      const vc = quantile(pc, q);
      const ratios = bc.draws[k].map((x, i) => x / bb.draws[k][i]);
      const reps = repetitionRatioInterval(
        b.latency.map((h) => quantile(h, q)),
        c.latency.map((h) => quantile(h, q)),
        s.level,
      );
      const [low, high] = hull(percentileInterval(ratios, s.level), reps);
      const sb = tailSupport(pb.count, q);
      const sc = tailSupport(pc.count, q);
      const supported = sb.supported && sc.supported;
      // Location metrics also need the rank-sum test to agree; tail metrics do not (a tail
      // can move while the body stays put).
      const pOk = q > 0.5 || rs.p < s.alpha;
      const decide = (t: number): Verdict => (supported ? intervalVerdict(low, high, t, pOk) : 'no significant change');
      const note = supported
        ? `ratio interval${reps ? ' (widened by repetitions)' : ''} vs threshold band`
        : `not enough samples for ${metric}: needs ${sb.countNeeded} per side, have ${pb.count} / ${pc.count}`;
      rows.push({ ...base(), metric, baseline: vb, candidate: vc, ratio: vc / vb, ratioLow: low, ratioHigh: high, verdict: decide(s.threshold), decide, note });
    } else if (metric === 'mean') {
      const vb = pb.sum / pb.count;
      const vc = pc.sum / pc.count;
      const ratios = bc.means.map((x, i) => x / bb.means[i]);
      const reps = repetitionRatioInterval(
        b.latency.map((h) => h.sum / h.count),
        c.latency.map((h) => h.sum / h.count),
        s.level,
      );
      const [low, high] = hull(percentileInterval(ratios, s.level), reps);
      const decide = (t: number): Verdict => intervalVerdict(low, high, t, rs.p < s.alpha);
      rows.push({ ...base(), metric, baseline: vb, candidate: vc, ratio: vc / vb, ratioLow: low, ratioHigh: high, verdict: decide(s.threshold), decide, note: `ratio interval${reps ? ' (widened by repetitions)' : ''} and rank-sum` });
    } else if (metric === 'max') {
      const decide = (t: number): Verdict => maxVerdict(pb, pc, t, s.alpha).verdict;
      const m = maxVerdict(pb, pc, s.threshold, s.alpha);
      rows.push({ ...base(), metric, baseline: pb.max, candidate: pc.max, ratio: pc.max / pb.max, ratioLow: null, ratioHigh: null, verdict: m.verdict, decide, note: m.note });
    }
  }
  return rows;
}

/** max verdict by the exceedance test in both directions. */
function maxVerdict(pb: HistogramData, pc: HistogramData, threshold: number, alpha: number): { verdict: Verdict; note: string } {
  const up = countAtLeast(pc, pb.max * (1 + threshold));
  const pUp = exceedanceP(up, pc.count, pb.count);
  if (up > 0 && pUp < alpha) return { verdict: 'worse', note: `exceedance: ${up} candidate samples beyond baseline max +${pct(threshold)} (p=${fmtP(pUp)})` };
  const down = countAtLeast(pb, pc.max * (1 + threshold));
  const pDown = exceedanceP(down, pb.count, pc.count);
  if (down > 0 && pDown < alpha) return { verdict: 'better', note: `exceedance: ${down} baseline samples beyond candidate max +${pct(threshold)} (p=${fmtP(pDown)})` };
  const k = Math.max(up, down);
  return { verdict: 'no significant change', note: `exceedance: ${k} sample(s) beyond the other max +${pct(threshold)} (p=${fmtP(up >= down ? pUp : pDown)}); a few spikes are not a trend` };
}

function pct(f: number): string {
  return `${+(f * 100).toFixed(2)}%`;
}

function fmtP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}

function groupKey(g: GroupKey): GroupKey {
  return { deployment: g.deployment, benchmark: g.benchmark, host: g.host };
}

function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (!n) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Per-batch samples of an op over repetitions (the op's median when no raw samples were kept). */
function opSamples(ops: Ops[], op: string): number[] {
  const out: number[] = [];
  for (const o of ops) {
    const st = o[op];
    if (!st) continue;
    if (st.raw?.length) out.push(...st.raw);
    else out.push(st.nsPerOp);
  }
  return out;
}

function compareOps(key: string, b: ResultGroup, c: ResultGroup, s: Settings): DraftRow[] {
  const names = [...new Set(c.ops.flatMap((o) => Object.keys(o)))].filter((op) => b.ops.some((o) => o[op]));
  const rows: DraftRow[] = [];
  for (const op of names) {
    const rb = opSamples(b.ops, op).sort((x, y) => x - y);
    const rc = opSamples(c.ops, op).sort((x, y) => x - y);
    const vb = median(rb);
    const vc = median(rc);
    const rs = rankSumSamples(rc, rb);
    let interval: [number, number];
    if (rb.length >= 2 && rc.length >= 2) {
      const rng = makeRng(deriveSeed(s.seed, `${key}|ops|${op}`));
      const draws = new Float64Array(s.resamples);
      const tb = new Float64Array(rb.length);
      const tc = new Float64Array(rc.length);
      for (let i = 0; i < s.resamples; i++) {
        for (let j = 0; j < tb.length; j++) tb[j] = rb[Math.floor(rng() * rb.length)];
        for (let j = 0; j < tc.length; j++) tc[j] = rc[Math.floor(rng() * rc.length)];
        draws[i] = median(tc.sort()) / median(tb.sort());
      }
      interval = percentileInterval(draws, s.level);
    } else {
      // Only medians kept: the most conservative ratio the two medians' intervals allow.
      const sb = b.ops.find((o) => o[op])![op];
      const sc = c.ops.find((o) => o[op])![op];
      interval = [sc.ciLow / sb.ciHigh, sc.ciHigh / sb.ciLow];
    }
    const reps = repetitionRatioInterval(
      b.ops.filter((o) => o[op]).map((o) => o[op].nsPerOp),
      c.ops.filter((o) => o[op]).map((o) => o[op].nsPerOp),
      s.level,
    );
    const [low, high] = hull(interval, reps);
    const pOk = rs.p < s.alpha;
    const decide = (t: number): Verdict => intervalVerdict(low, high, t, pOk);
    rows.push({
      key,
      baselineGroup: groupKey(b),
      candidateGroup: groupKey(c),
      metric: `syscall.${op}`,
      baseline: vb,
      candidate: vc,
      ratio: vc / vb,
      ratioLow: low,
      ratioHigh: high,
      p: rs.p,
      effect: rs.probXGreater,
      verdict: decide(s.threshold),
      threshold: s.threshold,
      samples: { baseline: rb.length, candidate: rc.length },
      repetitions: { baseline: b.ops.filter((o) => o[op]).length, candidate: c.ops.filter((o) => o[op]).length },
      note: `median ns/op; bootstrap of per-batch samples${reps ? ', widened by repetitions' : ''} and rank-sum`,
      decide,
    });
  }
  return rows;
}
