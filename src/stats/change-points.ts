/**
 * Change points of a series of per-run figures: where its mean shifted and stayed shifted.
 * A pure, deterministic function (no permutations, no randomness), after E-divisive means
 * (Matteson & James 2014) in the deterministic form Hunter / Apache Otava use: candidates are
 * split points that maximise the energy divergence between the two sides (found recursively
 * in windows of the series), a candidate is kept while a two-sample t-test between its
 * neighbouring segments rejects "same mean" at `alpha` (Šidák-corrected for the split points it
 * was chosen from) and the shift is at least `minMagnitude` of the mean before, and the weakest
 * candidate is dropped and its neighbours re-judged until every one passes. A single noisy run cannot pass
 * (a segment between two change points holds at least `minSegment` runs) except as the newest
 * run, so that a nightly job hears of a large shift the night it happens.
 *
 * Speed: the divergence search runs in overlapping windows of `window` points, each with a
 * prefix-summed distance matrix (O(window^2) per window, so linear in the series' length);
 * segment means and variances come from prefix sums. 10,000 points take milliseconds.
 */
import { tCdf, tQuantile } from './dist.js';

export interface ChangePointOptions {
  /** Significance level of the t-test a change point must pass (two-sided). */
  alpha?: number;
  /** Smallest relative shift of the mean that counts (0.05: 5%); the scenario's noiseThreshold by default where there is one. */
  minMagnitude?: number;
  /** Lower figures are better (latency, ns/op), so an increase is a regression. */
  lowerIsBetter?: boolean;
  /** Points per window of the divergence search. */
  window?: number;
  /** Fewest runs between two change points (the newest segment may be shorter: one run). */
  minSegment?: number;
}

/** The level of the candidate search; the pruning step judges candidates at `alpha`. */
const SEARCH_ALPHA = 0.05;

export const CHANGE_DEFAULTS = { alpha: 0.001, minMagnitude: 0.05, lowerIsBetter: true, window: 50, minSegment: 2 } as const;

/** The runs on one side of a change point: their mean and its 95% t-interval (null with one run). */
export interface Segment {
  /** Index of the segment's first point in the series. */
  start: number;
  n: number;
  mean: number;
  stddev: number;
  ciLow: number | null;
  ciHigh: number | null;
}

export interface ChangePoint {
  /** Index of the first point after the change. */
  index: number;
  before: Segment;
  after: Segment;
  /** Relative shift of the mean: after / before - 1. */
  change: number;
  /** Two-sided p-value of the t-test between the two segments, corrected for the split points searched between the neighbouring change points. */
  pValue: number;
  direction: 'regression' | 'improvement';
}

/** Sums over a series for O(1) segment means and variances (shifted by the first value, for precision). */
class Moments {
  private readonly s: Float64Array;
  private readonly q: Float64Array;
  private readonly shift: number;
  constructor(x: readonly number[]) {
    this.shift = x.length ? x[0] : 0;
    this.s = new Float64Array(x.length + 1);
    this.q = new Float64Array(x.length + 1);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] - this.shift;
      this.s[i + 1] = this.s[i] + v;
      this.q[i + 1] = this.q[i] + v * v;
    }
  }
  /** n, mean and (sample) variance of x[a..b). */
  of(a: number, b: number): { n: number; mean: number; variance: number } {
    const n = b - a;
    const s = this.s[b] - this.s[a];
    const m = s / n;
    const variance = n > 1 ? Math.max(0, (this.q[b] - this.q[a] - s * m) / (n - 1)) : 0;
    return { n, mean: m + this.shift, variance };
  }
}

type Stat = ReturnType<Moments['of']>;

/**
 * Two-sided p-value of "same mean": Student's two-sample t-test with the pooled variance, which
 * borrows the spread of the longer side for a short one (a segment of one or two runs has no
 * spread of its own worth trusting; Welch's test would believe a lucky pair of equal runs).
 */
export function tTestP(a: Stat, b: Stat): number {
  const diff = Math.abs(b.mean - a.mean);
  const df = a.n + b.n - 2;
  if (df < 1) return diff > 0 ? 0 : 1;
  const pooled = ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / df;
  const se2 = pooled * (1 / a.n + 1 / b.n);
  if (se2 === 0) return diff > 0 ? 0 : 1;
  return Math.min(1, Math.max(0, 2 * (1 - tCdf(diff / Math.sqrt(se2), df))));
}

function segment(m: Moments, a: number, b: number): Segment {
  const s = m.of(a, b);
  const sd = Math.sqrt(s.variance);
  const half = s.n > 1 ? tQuantile(0.975, s.n - 1) * (sd / Math.sqrt(s.n)) : null;
  return { start: a, n: s.n, mean: s.mean, stddev: sd, ciLow: half === null ? null : s.mean - half, ciHigh: half === null ? null : s.mean + half };
}

const relative = (before: number, after: number): number => (before === 0 ? (after === 0 ? 0 : Infinity * Math.sign(after)) : (after - before) / Math.abs(before));

/**
 * The split of x[s..e) that maximises the energy divergence between its two sides, among splits
 * leaving at least `lo` points before and `hi` after; -1 when there is none. `P` is the
 * prefix-summed distance matrix of the window starting at `w0` (side `k + 1`).
 */
function bestSplit(P: Float64Array, k: number, w0: number, s: number, e: number, lo: number, hi: number): number {
  const rect = (r0: number, r1: number, c0: number, c1: number) => {
    const a = r0 - w0;
    const b = r1 - w0;
    const c = c0 - w0;
    const d = c1 - w0;
    return P[b * (k + 1) + d] - P[a * (k + 1) + d] - P[b * (k + 1) + c] + P[a * (k + 1) + c];
  };
  let best = -1;
  let bestQ = -Infinity;
  for (let t = s + lo; t <= e - hi; t++) {
    const m = t - s;
    const n = e - t;
    const cross = rect(s, t, t, e);
    // Each unordered pair is counted twice in a square block of the symmetric matrix.
    const inA = m > 1 ? rect(s, t, s, t) / (m * (m - 1)) : 0;
    const inB = n > 1 ? rect(t, e, t, e) / (n * (n - 1)) : 0;
    const q = ((m * n) / (m + n)) * ((2 * cross) / (m * n) - inA - inB);
    if (q > bestQ) {
      bestQ = q;
      best = t;
    }
  }
  return best;
}

/** Prefix sums of |x_i - x_j| over the window x[w0..w0+k). */
function distancePrefix(x: readonly number[], w0: number, k: number): Float64Array {
  const side = k + 1;
  const P = new Float64Array(side * side);
  for (let i = 0; i < k; i++) {
    let row = 0;
    const xi = x[w0 + i];
    for (let j = 0; j < k; j++) {
      row += Math.abs(xi - x[w0 + j]);
      P[(i + 1) * side + j + 1] = P[i * side + j + 1] + row;
    }
  }
  return P;
}

interface Resolved {
  alpha: number;
  minMagnitude: number;
  lowerIsBetter: boolean;
  window: number;
  minSegment: number;
}

function resolve(o: ChangePointOptions): Resolved {
  const r = { ...CHANGE_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Resolved;
  if (!(r.alpha > 0 && r.alpha < 1)) throw new RangeError(`change points: alpha must be in (0, 1), got ${r.alpha}`);
  if (!(r.minMagnitude >= 0)) throw new RangeError(`change points: minMagnitude must be >= 0, got ${r.minMagnitude}`);
  if (!Number.isInteger(r.minSegment) || r.minSegment < 1) throw new RangeError(`change points: minSegment must be a whole number >= 1, got ${r.minSegment}`);
  if (!Number.isInteger(r.window) || r.window < 2 * r.minSegment + 1) throw new RangeError(`change points: window must be a whole number >= ${2 * r.minSegment + 1}, got ${r.window}`);
  return r;
}

/** The change points of a series of per-run figures (oldest run first), in order. Non-finite figures are refused. */
export function changePoints(values: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  const o = resolve(options);
  const x = values;
  const n = x.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) throw new RangeError(`change points: value ${i} is not a finite number (${x[i]})`);
  if (n < 2) return [];
  const m = new Moments(x);
  // Shortest segment after a split: the newest may be a single run.
  const minAfter = (e: number) => (e === n ? 1 : o.minSegment);
  // The search keeps splitting while a split is plausible (a looser level): a significant change
  // can hide behind a mixed segment (up, then part of the way down) until its neighbour is split off.
  const searchAlpha = Math.max(o.alpha, SEARCH_ALPHA);
  const passes = (a: number, t: number, b: number): boolean => tTestP(m.of(a, t), m.of(t, b)) < searchAlpha;

  // 1. Candidates: recursive divergence splits inside each window, kept while significant there.
  const candidates = new Set<number>();
  const step = Math.max(1, Math.floor(o.window / 2));
  for (let w0 = 0; ; w0 += step) {
    const start = Math.min(w0, Math.max(0, n - o.window));
    const k = Math.min(o.window, n - start);
    const P = distancePrefix(x, start, k);
    const split = (s: number, e: number) => {
      const t = bestSplit(P, k, start, s, e, o.minSegment, minAfter(e));
      if (t < 0 || !passes(s, t, e)) return;
      candidates.add(t);
      split(s, t);
      split(t, e);
    };
    split(start, start + k);
    if (start + k >= n) break;
  }

  // The p-value of a change point is corrected (Šidák) for the split points the search chose
  // it from between its neighbours: the best of many splits of pure noise looks significant.
  const judged = (a: number, t: number, b: number): number => {
    const p = tTestP(m.of(a, t), m.of(t, b));
    const splits = Math.max(1, b - minAfter(b) - (a + o.minSegment) + 1);
    return p === 0 ? 0 : -Math.expm1(splits * Math.log1p(-Math.min(p, 1 - 1e-16)));
  };

  // 2. Prune: judge each candidate on the segments its neighbours bound; drop the weakest failing
  // one and re-judge its two neighbours (no other verdict changes), repeat.
  const cps = [...candidates].sort((a, b) => a - b);
  type Verdict = { p: number; mag: number; fails: boolean };
  const judge = (i: number): Verdict => {
    const a = i ? cps[i - 1] : 0;
    const b = i + 1 < cps.length ? cps[i + 1] : n;
    const t = cps[i];
    const p = judged(a, t, b);
    const mag = Math.abs(relative(m.of(a, t).mean, m.of(t, b).mean));
    const short = t - a < o.minSegment || b - t < minAfter(b);
    return { p, mag, fails: short || p >= o.alpha || mag < o.minMagnitude };
  };
  const verdicts = cps.map((_, i) => judge(i));
  for (;;) {
    let worst = -1;
    for (let i = 0; i < cps.length; i++) {
      const v = verdicts[i];
      if (!v.fails) continue;
      // Weakest first: the largest p-value, then the smallest shift.
      const w = worst < 0 ? null : verdicts[worst];
      if (!w || v.p > w.p || (v.p === w.p && v.mag < w.mag)) worst = i;
    }
    if (worst < 0) break;
    cps.splice(worst, 1);
    verdicts.splice(worst, 1);
    if (worst > 0) verdicts[worst - 1] = judge(worst - 1);
    if (worst < cps.length) verdicts[worst] = judge(worst);
  }

  return cps.map((t, i) => {
    const a = i ? cps[i - 1] : 0;
    const b = i + 1 < cps.length ? cps[i + 1] : n;
    const before = segment(m, a, t);
    const after = segment(m, t, b);
    const change = relative(before.mean, after.mean);
    const worse = o.lowerIsBetter ? change > 0 : change < 0;
    return { index: t, before, after, change, pValue: judged(a, t, b), direction: worse ? 'regression' : 'improvement' };
  });
}
