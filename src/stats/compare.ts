/**
 * Baseline vs candidate comparison with verdicts that do not cry wolf.
 *
 * Per group (deployment / benchmark / host) and metric: the ratio candidate/baseline with a
 * 95% interval, the rank-sum p-value and effect size, and a verdict. A change is called only
 * when it is both statistically significant and larger than the noise threshold, judged on
 * the interval, not the point estimate:
 *   worse  when the whole ratio interval lies above 1 + threshold,
 *   better when the whole ratio interval lies below 1 / (1 + threshold).
 * Autocorrelation (batch means, batch.ts): a run is one autocorrelated sequence (bursts,
 * drift, host noise), so a bootstrap that resamples single samples is far too sure of itself.
 * Each side's design effect deff = (variance of per-second batch means x samples per batch) /
 * (sample variance) is estimated from the run's per-second series (per thread, df = seconds -
 * threads), and that side's bootstrap deviations are widened on the log scale by
 * max(1, sqrt(deff) * t_df / z): the interval becomes the wider of the bootstrap and the
 * batch-means t-interval. The same factor is used for every percentile (the mean's deff; for
 * the tail the indicator autocorrelation is weaker than the mean's, so this errs wide). The
 * rank-sum z is divided by sqrt of the pooled deff. Syscall op samples are cut into groups
 * of sqrt(n) consecutive batches for the same estimate. A result without series (imported
 * cyclictest JSON) keeps the independent-samples interval, and the row's note says so.
 * With two or more repetitions on both sides, the interval is further widened to cover a Welch
 * interval over per-repetition figures, which measures real run-to-run noise. What batch means
 * cannot see: run-to-run changes of the host slower than a run (one run on a quiet host, the
 * next on a busy one); with one repetition per side nothing in the two runs measures that,
 * so use repetitions when the host is shared. Requiring the interval to clear the threshold
 * band (not just 1) is the remaining allowance for it.
 * Percentiles whose tail holds fewer than 10 samples get no verdict at all (`withheld`).
 * Multiplicity (holm.ts): the rows of one group pair are a family (gated rows one, reported rows
 * another), and Holm's step-down re-judges each row at alpha / r, its intervals at the matching
 * confidence, so a comparison calls a change where there is none at most alpha of the time,
 * not alpha per metric. Each row states its minimum detectable effect (mde.ts) at alpha / m.
 * Gating: only the rows a relative gate names are gated; without gates nothing fails.
 * max: a bootstrap cannot see past the largest sample, so max is judged by an exact
 * exceedance test instead, over per-second maxima (thread-seconds) when the series exist,
 * since spikes cluster in time and single samples are not exchangeable: it is worse only if
 * several candidate seconds peak beyond the baseline's max * (1 + threshold) and that many
 * would be improbable (p < alpha) if all seconds were exchangeable. Without series, samples
 * are counted instead. One stray spike (or one burst second) never makes a max regression.
 * No per-thread agreement rule for tails: the false alarms left are host changes between
 * runs, which every thread of a run shares, so such a rule would add a knob and fix nothing.
 */
import { mergeHistograms, bucketBounds, type HistogramData } from '../results/histogram.js';
import type { RelativeGate } from '../scenario/gates.js';
import type { Ops, Result, RunRecord } from '../results/types.js';
import { batchMaxima, batchSeconds, designEffect, opsDesignEffect, widenDraws, widenFactor, type BatchSource, type DesignEffect } from './batch.js';
import { bootstrapHistogram, DEFAULT_LEVEL, DEFAULT_RESAMPLES, DEFAULT_SEED, repetitionRatioInterval, tailSupport } from './bootstrap.js';
import { deriveSeed, makeRng, normalSf, percentileInterval } from './dist.js';
import { quantile } from './quantiles.js';
import { rankSumHistograms, rankSumSamples } from './ranksum.js';
import { median, sortInPlace } from './median.js';
import { hasDistribution, widenForResolution } from './summary.js';
import { holm } from './holm.js';
import { minimumDetectableEffect } from './mde.js';
import type { Comparison, ComparisonRow, GroupKey, Verdict } from '../results/comparison.js';
export type { Comparison, ComparisonRow, GroupKey, Verdict };


/** Latency metrics compared by default (gate names: p99.9, not p999). */
export const DEFAULT_LATENCY_METRICS = ['p50', 'p90', 'p99', 'p99.9', 'max', 'mean'] as const;

/** Percentile metric name -> quantile. */
export const METRIC_QUANTILE: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.9, p99: 0.99, 'p99.9': 0.999, 'p99.99': 0.9999 };

export const DEFAULT_THRESHOLD = 0.05;
export const DEFAULT_ALPHA = 0.05;




/** A relative allowance for some rows (a relative gate: "p99 may not regress more than 10%"). */
export type GateSpec = Pick<RelativeGate, 'metric' | 'maxRegression' | 'benchmark' | 'deployment'>;

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
   * Only rows matched by one of these are gated, with that allowance as their threshold;
   * absent or empty, nothing is gated (verdicts are reported and fail nothing).
   */
  gates?: readonly GateSpec[];
  /** Match groups by deployment and benchmark only (baseline and candidate on different hosts). */
  ignoreHost?: boolean;
}

/** The results of one group, per counted repetition. */
export interface ResultGroup extends GroupKey {
  latency: HistogramData[];
  ops: Ops[];
  /**
   * Per counted latency repetition, its threads' per-second series (batch means); absent or
   * empty series (imported cyclictest JSON) leave the design effect unknown.
   */
  batches?: BatchSource[][];
  /** The coarsest quantization of its latency figures in ns (cyclictest's whole µs: 1000); 0 or absent for ns. */
  resolutionNs?: number;
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
    if (!g) map.set(id, (g = { deployment: r.deployment, benchmark: r.benchmark, host: r.host, latency: [], ops: [], batches: [] }));
    if (r.latency) {
      g.latency.push(r.latency.histogram);
      g.resolutionNs = Math.max(g.resolutionNs ?? 0, r.latency.resolutionNs ?? 0);
      g.batches!.push(r.latency.threads.map((t) => ({ series: t.series, stddev: t.summary.stddev, count: t.summary.count, ...(t.seriesSeconds ? { seconds: t.seriesSeconds } : {}) })));
    }
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
  for (const r of rows) applyGate(r, s);
  judge(rows, s);
  for (const r of rows) {
    // internal hooks; rows serialise as plain data
    delete (r as DraftRow).decide;
    delete (r as DraftRow).perRep;
  }
  return {
    baselineId,
    candidateId,
    threshold: s.threshold,
    alpha: s.alpha,
    correction: 'holm',
    level: s.level,
    resamples: s.resamples,
    seed: s.seed,
    rows,
    regressions: rows.filter((r) => r.gated && r.verdict === 'worse'),
    unmatched,
  };
}

/**
 * Marks a row gated when a relative gate matches it, with that gate's allowance as its
 * threshold. Without gates nothing is gated: verdicts are reported, and fail nothing.
 */
function applyGate(row: DraftRow, s: Settings): void {
  const matching = (s.gates ?? []).filter(
    (g) =>
      g.metric === row.metric &&
      (g.benchmark === undefined || g.benchmark === row.candidateGroup.benchmark) &&
      (g.deployment === undefined || g.deployment === row.candidateGroup.deployment),
  );
  row.gated = matching.length > 0;
  if (matching.length) row.threshold = Math.min(...matching.map((g) => g.maxRegression));
}

/**
 * A row while it is being judged: `decide` re-judges it at a threshold and a significance
 * level (intervals at the matching confidence), `perRep` holds its per-repetition figures.
 */
type DraftRow = ComparisonRow & {
  decide?: (threshold: number, alpha: number) => Verdict;
  perRep?: { baseline: number[]; candidate: number[] };
};

const NO_CHANGE: Verdict = 'no significant change';

/**
 * The confidence level of an interval tested at significance `a` instead of the comparison's
 * alpha: its miss probability shrinks by the same factor (95% at alpha 0.05; 97.5% at 0.025).
 */
function levelFor(s: Settings, a: number): number {
  return 1 - (1 - s.level) * (a / s.alpha);
}

/** Memoises an interval function of the confidence level (Holm asks a row at a few levels). */
function byLevel(f: (level: number) => [number, number]): (level: number) => [number, number] {
  const seen = new Map<number, [number, number]>();
  return (level) => {
    let v = seen.get(level);
    if (!v) seen.set(level, (v = f(level)));
    return v;
  };
}

/**
 * Final verdicts, Holm-corrected per comparison: the rows of one group pair (one key) form a
 * family, its gated rows one and its reported rows another, so the chance that a comparison
 * calls any change when there is none stays at alpha, however many metrics it judges. Each row
 * also gets its minimum detectable effect at the family's strictest level (alpha / family size).
 */
function judge(rows: DraftRow[], s: Settings): void {
  const families = new Map<string, DraftRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.key, r.gated === true]);
    families.set(k, [...(families.get(k) ?? []), r]);
  }
  for (const fam of families.values()) {
    for (const st of holm(fam, s.alpha, (r, a) => r.decide!(r.threshold, a) !== NO_CHANGE)) {
      const r = st.item;
      const alone = r.decide!(r.threshold, s.alpha);
      r.verdict = st.rejected ? r.decide!(r.threshold, st.level) : NO_CHANGE;
      r.holm = { family: fam.length, level: st.level };
      if (alone !== NO_CHANGE && !st.rejected)
        r.note = `${alone} at alpha ${s.alpha} alone, not after Holm's correction across ${fam.length} metrics (judged at ${fmtP(st.level)})${r.note ? `; ${r.note}` : ''}`;
      r.mde = minimumDetectableEffect(r.perRep?.baseline ?? [], r.perRep?.candidate ?? [], s.alpha / fam.length);
    }
  }
}

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

/** Design effect of a group's latency runs (all repetitions, every thread). */
function groupDesignEffect(g: ResultGroup): DesignEffect {
  return designEffect((g.batches ?? []).flat());
}

function known(d: DesignEffect): boolean {
  return !Number.isNaN(d.deff);
}

/** The batch-means part of a row's note. */
function batchNote(db: DesignEffect, dc: DesignEffect, fb: number, fc: number): string {
  const side = (d: DesignEffect, f: number, name: string): string =>
    known(d) ? `${name} deff ${fmtNum(d.raw)} (df ${d.df}, x${fmtNum(f)})` : `${name}: no per-second series, independent-sample interval`;
  return `batch means: ${side(db, fb, 'baseline')}, ${side(dc, fc, 'candidate')}`;
}

function fmtNum(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * Rank-sum p-value with the z statistic shrunk by the design effects: the variance of a
 * two-sample location statistic scales as deff_b/n_b + deff_c/n_c instead of 1/n_b + 1/n_c.
 */
function correctedP(z: number, p: number, nb: number, nc: number, Db: number, Dc: number): number {
  if (Db === 1 && Dc === 1) return p;
  const infl = (Db / nb + Dc / nc) / (1 / nb + 1 / nc);
  return Math.min(1, 2 * normalSf(Math.abs(z) / Math.sqrt(infl)));
}

function compareLatency(key: string, b: ResultGroup, c: ResultGroup, s: Settings): DraftRow[] {
  const pb = mergeHistograms(b.latency);
  const pc = mergeHistograms(c.latency);
  if (!pb.count || !pc.count) return [];
  const rs = rankSumHistograms(pc, pb);
  const db = groupDesignEffect(b);
  const dc = groupDesignEffect(c);
  const fb = widenFactor(db, s.level);
  const fc = widenFactor(dc, s.level);
  const p = correctedP(rs.z, rs.p, pb.count, pc.count, known(db) ? db.deff : 1, known(dc) ? dc.deff : 1);
  const bNote = batchNote(db, dc, fb, fc);
  // A side that kept no histogram (an imported cyclictest JSON without -h) has no percentiles:
  // those rows are not made, rather than judged on figures that cannot be known.
  const pctKnown = [...b.latency, ...c.latency].every(hasDistribution);
  const metrics = s.metrics.filter((m) => pctKnown || !(m in METRIC_QUANTILE));
  // Figures read in whole units: a value v stands for [v, v + res), so identical samples do not make an exact ratio.
  const res = { baseline: b.resolutionNs ?? 0, candidate: c.resolutionNs ?? 0 };
  const coarse = res.baseline > 1 || res.candidate > 1;
  const us = (ns: number) => `${ns / 1000} us`;
  const resNote = coarse ? `; interval widened for the inputs' resolution (baseline ${us(res.baseline)}, candidate ${us(res.candidate)})` : '';
  const quantized = (iv: [number, number], vb: number, vc: number): [number, number] => (coarse ? widenForResolution(iv[0], iv[1], vb, vc, res) : iv);
  const qMetrics = metrics.filter((m) => m in METRIC_QUANTILE);
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
    p,
    effect: rs.probXGreater,
    threshold: s.threshold,
    samples: { baseline: pb.count, candidate: pc.count },
    repetitions: { baseline: b.latency.length, candidate: c.latency.length },
  });
  const rows: DraftRow[] = [];
  for (const metric of metrics) {
    if (metric in METRIC_QUANTILE) {
      const q = METRIC_QUANTILE[metric];
      const k = order.findIndex((i) => qs[i] === q);
      const vb = quantile(pb, q);
      const vc = quantile(pc, q);
      const perRep = { baseline: b.latency.map((h) => quantile(h, q)), candidate: c.latency.map((h) => quantile(h, q)) };
      const draws = { baseline: bb.draws[k], candidate: bc.draws[k] };
      const intervalAt = byLevel((level) => quantized(latencyInterval(draws, vb, vc, db, dc, perRep, level), vb, vc));
      const [low, high] = intervalAt(s.level);
      const reps = perRep.baseline.length >= 2 && perRep.candidate.length >= 2;
      const sb = tailSupport(pb.count, q);
      const sc = tailSupport(pc.count, q);
      const supported = sb.supported && sc.supported;
      // Location metrics also need the rank-sum test to agree; tail metrics do not (a tail
      // can move while the body stays put).
      const decide = (t: number, a: number): Verdict =>
        supported ? intervalVerdict(...intervalAt(levelFor(s, a)), t, q > 0.5 || p < a) : NO_CHANGE;
      const note = supported
        ? `ratio interval${reps ? ' (widened by repetitions)' : ''} vs threshold band; ${bNote}${resNote}`
        : `not enough samples for ${metric}: needs ${sb.countNeeded} per side, have ${pb.count} / ${pc.count}`;
      rows.push({ ...base(), metric, baseline: vb, candidate: vc, ratio: vc / vb, ratioLow: low, ratioHigh: high, verdict: decide(s.threshold, s.alpha), decide, perRep, note, ...(supported ? {} : { withheld: note }) });
    } else if (metric === 'mean') {
      const vb = pb.sum / pb.count;
      const vc = pc.sum / pc.count;
      const perRep = { baseline: b.latency.map((h) => h.sum / h.count), candidate: c.latency.map((h) => h.sum / h.count) };
      const intervalAt = byLevel((level) => quantized(latencyInterval({ baseline: bb.means, candidate: bc.means }, vb, vc, db, dc, perRep, level), vb, vc));
      const [low, high] = intervalAt(s.level);
      const reps = perRep.baseline.length >= 2 && perRep.candidate.length >= 2;
      const decide = (t: number, a: number): Verdict => intervalVerdict(...intervalAt(levelFor(s, a)), t, p < a);
      rows.push({ ...base(), metric, baseline: vb, candidate: vc, ratio: vc / vb, ratioLow: low, ratioHigh: high, verdict: decide(s.threshold, s.alpha), decide, perRep, note: `ratio interval${reps ? ' (widened by repetitions)' : ''} and rank-sum; ${bNote}${resNote}` });
    } else if (metric === 'max') {
      const width = batchSeconds([...(b.batches ?? []).flat(), ...(c.batches ?? []).flat()]);
      const mb = batchMaxima((b.batches ?? []).flat(), width);
      const mc = batchMaxima((c.batches ?? []).flat(), width);
      const byBatch = mb.length >= 2 && mc.length >= 2;
      const decide = (t: number, a: number): Verdict => (byBatch ? maxVerdictBatches(mb, mc, t, a) : maxVerdict(pb, pc, t, a)).verdict;
      const m = byBatch ? maxVerdictBatches(mb, mc, s.threshold, s.alpha) : maxVerdict(pb, pc, s.threshold, s.alpha);
      const perRep = { baseline: b.latency.map((h) => h.max), candidate: c.latency.map((h) => h.max) };
      rows.push({ ...base(), metric, baseline: pb.max, candidate: pc.max, ratio: pc.max / pb.max, ratioLow: null, ratioHigh: null, verdict: m.verdict, decide, perRep, note: m.note });
    }
  }
  return rows;
}

/**
 * A latency ratio interval at a confidence level: each side's bootstrap draws widened by its
 * design effect at that level, hulled with the Welch interval over repetitions when both sides
 * have two or more.
 */
function latencyInterval(
  draws: { baseline: Float64Array; candidate: Float64Array },
  vb: number,
  vc: number,
  db: DesignEffect,
  dc: DesignEffect,
  perRep: { baseline: number[]; candidate: number[] },
  level: number,
): [number, number] {
  const wb = widenDraws(draws.baseline, vb, widenFactor(db, level));
  const wc = widenDraws(draws.candidate, vc, widenFactor(dc, level));
  return hull(percentileInterval(wc.map((x, i) => x / wb[i]), level), repetitionRatioInterval(perRep.baseline, perRep.candidate, level));
}

/**
 * max verdict by the exceedance test over per-second maxima (thread-seconds): spikes cluster
 * in time, so single samples are not exchangeable, but seconds nearly are. Worse only if
 * several candidate seconds peak beyond the baseline's worst second + threshold and that many
 * would be improbable (p < alpha) if all seconds were exchangeable.
 */
function maxVerdictBatches(mb: readonly number[], mc: readonly number[], threshold: number, alpha: number): { verdict: Verdict; note: string } {
  const maxB = Math.max(...mb);
  const maxC = Math.max(...mc);
  const up = mc.filter((v) => v > maxB * (1 + threshold)).length;
  const pUp = exceedanceP(up, mc.length, mb.length);
  const tail = `of ${mc.length} / ${mb.length} thread-seconds`;
  if (up > 0 && pUp < alpha) return { verdict: 'worse', note: `exceedance by second: ${up} candidate seconds ${tail} peak beyond baseline max +${pct(threshold)} (p=${fmtP(pUp)})` };
  const down = mb.filter((v) => v > maxC * (1 + threshold)).length;
  const pDown = exceedanceP(down, mb.length, mc.length);
  if (down > 0 && pDown < alpha) return { verdict: 'better', note: `exceedance by second: ${down} baseline seconds ${tail} peak beyond candidate max +${pct(threshold)} (p=${fmtP(pDown)})` };
  const k = Math.max(up, down);
  return {
    verdict: 'no significant change',
    note: `exceedance by second: ${k} second(s) ${tail} peak beyond the other max +${pct(threshold)} (p=${fmtP(up >= down ? pUp : pDown)}); spikes cluster, so seconds are counted, not samples`,
  };
}

/** max verdict by the exceedance test in both directions. */
function maxVerdict(pb: HistogramData, pc: HistogramData, threshold: number, alpha: number): { verdict: Verdict; note: string } {
  const up = countAtLeast(pc, pb.max * (1 + threshold));
  const pUp = exceedanceP(up, pc.count, pb.count);
  if (up > 0 && pUp < alpha) return { verdict: 'worse', note: `exceedance: ${up} candidate samples beyond baseline max +${pct(threshold)} (p=${fmtP(pUp)}); no per-second series, samples treated as independent` };
  const down = countAtLeast(pb, pc.max * (1 + threshold));
  const pDown = exceedanceP(down, pb.count, pc.count);
  if (down > 0 && pDown < alpha) return { verdict: 'better', note: `exceedance: ${down} baseline samples beyond candidate max +${pct(threshold)} (p=${fmtP(pDown)}); no per-second series, samples treated as independent` };
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
    const rb = sortInPlace(opSamples(b.ops, op));
    const rc = sortInPlace(opSamples(c.ops, op));
    const vb = median(rb);
    const vc = median(rc);
    const rs = rankSumSamples(rc, rb);
    const rawByRep = (g: ResultGroup): number[][] => g.ops.filter((o) => o[op]?.raw?.length).map((o) => o[op].raw);
    const db = opsDesignEffect(rawByRep(b));
    const dc = opsDesignEffect(rawByRep(c));
    const fb = widenFactor(db, s.level);
    const fc = widenFactor(dc, s.level);
    const p = correctedP(rs.z, rs.p, rb.length, rc.length, known(db) ? db.deff : 1, known(dc) ? dc.deff : 1);
    let medians: { baseline: Float64Array; candidate: Float64Array } | null = null;
    if (rb.length >= 2 && rc.length >= 2) {
      const rng = makeRng(deriveSeed(s.seed, `${key}|ops|${op}`));
      const mb = new Float64Array(s.resamples);
      const mc = new Float64Array(s.resamples);
      const tb = new Float64Array(rb.length);
      const tc = new Float64Array(rc.length);
      for (let i = 0; i < s.resamples; i++) {
        for (let j = 0; j < tb.length; j++) tb[j] = rb[Math.floor(rng() * rb.length)];
        for (let j = 0; j < tc.length; j++) tc[j] = rc[Math.floor(rng() * rc.length)];
        mb[i] = median(sortInPlace(tb));
        mc[i] = median(sortInPlace(tc));
      }
      medians = { baseline: mb, candidate: mc };
    }
    const perRep = { baseline: b.ops.filter((o) => o[op]).map((o) => o[op].nsPerOp), candidate: c.ops.filter((o) => o[op]).map((o) => o[op].nsPerOp) };
    const intervalAt = byLevel((level): [number, number] => {
      if (medians) return latencyInterval(medians, vb, vc, db, dc, perRep, level);
      // Only medians kept: the most conservative ratio the two medians' stored intervals allow
      // (at their own level: they cannot be re-judged at another).
      const sb = b.ops.find((o) => o[op])![op];
      const sc = c.ops.find((o) => o[op])![op];
      return hull([sc.ciLow / sb.ciHigh, sc.ciHigh / sb.ciLow], repetitionRatioInterval(perRep.baseline, perRep.candidate, level));
    });
    const [low, high] = intervalAt(s.level);
    const reps = perRep.baseline.length >= 2 && perRep.candidate.length >= 2;
    const decide = (t: number, a: number): Verdict => intervalVerdict(...intervalAt(levelFor(s, a)), t, p < a);
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
      p,
      effect: rs.probXGreater,
      verdict: decide(s.threshold, s.alpha),
      threshold: s.threshold,
      samples: { baseline: rb.length, candidate: rc.length },
      repetitions: { baseline: b.ops.filter((o) => o[op]).length, candidate: c.ops.filter((o) => o[op]).length },
      note: `median ns/op; bootstrap of per-batch samples${reps ? ', widened by repetitions' : ''} and rank-sum; ${batchNote(db, dc, fb, fc).replace(/no per-second series/g, 'too few batches')}`,
      decide,
      perRep,
    });
  }
  return rows;
}
