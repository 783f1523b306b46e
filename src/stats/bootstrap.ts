/**
 * Confidence intervals for latency figures by bootstrap over the histogram, and intervals
 * across repetitions. Resampling a histogram draws new bin counts (a multinomial of `count`
 * samples over the bins, as sequential conditional binomials), so a resample costs O(bins)
 * however many samples the run took. Seeded, so the same input gives the same report.
 */
import { bucketValue, type HistogramData } from '../results/histogram.js';
import { binomialDraw, makeRng, normalQuantile, percentileInterval, tQuantile, type Rng } from './dist.js';

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_SEED = 0x5eed;
export const DEFAULT_LEVEL = 0.95;

/** The percentiles a latency report gives intervals for. */
export const INTERVAL_QUANTILES = [0.5, 0.9, 0.99, 0.999, 0.9999] as const;

export interface BootstrapOptions {
  /** Number of resamples B (default 1000). */
  resamples?: number;
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

/** An estimate with its confidence interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
  level: number;
}

/**
 * One multinomial resample of a histogram's bin counts: `count` draws over the bins with
 * probabilities count_i/count, done as binomials conditioned on what is left, so O(bins).
 * Returns counts aligned with `bins`.
 */
export function resampleCounts(bins: ReadonlyArray<readonly [number, number]>, count: number, rng: Rng): Float64Array {
  const out = new Float64Array(bins.length);
  let left = count;
  let massLeft = count;
  for (let i = 0; i < bins.length && left > 0; i++) {
    const c = bins[i][1];
    const x = i === bins.length - 1 ? left : binomialDraw(left, c / massLeft, rng);
    out[i] = x;
    left -= x;
    massLeft -= c;
  }
  return out;
}

/** The value each bin stands for, clamped to the exact extremes (which bound every resample too). */
function binValues(h: HistogramData): Float64Array {
  const v = new Float64Array(h.bins.length);
  for (let i = 0; i < h.bins.length; i++) v[i] = Math.min(Math.max(bucketValue(h.bins[i][0]), h.min), h.max);
  return v;
}

/** Nearest-rank quantiles (as in quantiles.ts) of counts over bins with known values; qs ascending. */
function quantilesOfCounts(counts: Float64Array, values: Float64Array, total: number, qs: readonly number[], out: number[]): void {
  let k = 0;
  let seen = 0;
  for (let i = 0; i < counts.length && k < qs.length; i++) {
    seen += counts[i];
    while (k < qs.length && seen >= Math.max(1, Math.ceil(qs[k] * total))) out[k++] = values[i];
  }
  while (k < qs.length) out[k++] = values[values.length - 1];
}

/** Bootstrap distributions of a histogram's quantiles and mean: draws[k][b] for qs[k]; means[b]. */
export interface HistogramBootstrap {
  qs: number[];
  draws: Float64Array[];
  means: Float64Array;
}

/**
 * Bootstrap distributions of quantiles `qs` (ascending) and of the mean of a histogram.
 * The mean of a resample is the exact mean shifted by the resampled count changes times
 * the bin values, so bucket rounding only touches the spread, never the centre.
 */
export function bootstrapHistogram(h: HistogramData, qs: readonly number[], opts: BootstrapOptions = {}): HistogramBootstrap {
  const B = opts.resamples ?? DEFAULT_RESAMPLES;
  const rng = makeRng(opts.seed ?? DEFAULT_SEED);
  const draws = qs.map(() => new Float64Array(B));
  const means = new Float64Array(B);
  if (h.count === 0) {
    for (const d of draws) d.fill(NaN);
    means.fill(NaN);
    return { qs: [...qs], draws, means };
  }
  const values = binValues(h);
  const mean = h.sum / h.count;
  const q = new Array<number>(qs.length);
  for (let b = 0; b < B; b++) {
    const counts = resampleCounts(h.bins, h.count, rng);
    quantilesOfCounts(counts, values, h.count, qs, q);
    for (let k = 0; k < qs.length; k++) draws[k][b] = q[k];
    let shift = 0;
    for (let i = 0; i < counts.length; i++) shift += (counts[i] - h.bins[i][1]) * values[i];
    means[b] = mean + shift / h.count;
  }
  return { qs: [...qs], draws, means };
}

export interface HistogramIntervals {
  count: number;
  p50: Interval;
  p90: Interval;
  p99: Interval;
  p999: Interval;
  p9999: Interval;
  mean: Interval;
  /** Tail support of each percentile: a figure whose tail holds too few samples is flagged. */
  support: TailSupport[];
}

/**
 * 95% (or `level`) percentile-method bootstrap intervals for p50, p90, p99, p99.9, p99.99 and
 * the mean of a latency histogram. Estimates are the histogram's own nearest-rank figures.
 * No interval is given for max: a bootstrap cannot see beyond the largest sample it has.
 */
export function histogramIntervals(h: HistogramData, opts: BootstrapOptions = {}): HistogramIntervals {
  const level = opts.level ?? DEFAULT_LEVEL;
  const boot = bootstrapHistogram(h, INTERVAL_QUANTILES, opts);
  const values = binValues(h);
  const est = new Array<number>(INTERVAL_QUANTILES.length);
  if (h.count) quantilesOfCounts(Float64Array.from(h.bins, ([, c]) => c), values, h.count, INTERVAL_QUANTILES, est);
  else est.fill(NaN);
  const iv = (k: number): Interval => {
    const [low, high] = percentileInterval(boot.draws[k], level);
    return { estimate: est[k], low, high, level };
  };
  const [ml, mh] = percentileInterval(boot.means, level);
  return {
    count: h.count,
    p50: iv(0),
    p90: iv(1),
    p99: iv(2),
    p999: iv(3),
    p9999: iv(4),
    mean: { estimate: h.count ? h.sum / h.count : NaN, low: ml, high: mh, level },
    support: INTERVAL_QUANTILES.map((q) => tailSupport(h.count, q)),
  };
}

/** How many samples stand behind a high percentile. */
export interface TailSupport {
  q: number;
  count: number;
  /** Expected samples beyond the percentile: count * (1 - q). */
  tail: number;
  /** True when the tail holds at least `minTail` samples. */
  supported: boolean;
  /** The run length (samples) that would support it. */
  countNeeded: number;
}

/** Samples that must lie beyond a percentile before it is more than the luck of a few samples. */
export const MIN_TAIL = 10;

/**
 * Whether a percentile q of `count` samples is supported: it needs at least `minTail`
 * samples beyond it (p99.99 needs 100,000 samples; from 5,000 it is the 0.5th-worst sample).
 */
export function tailSupport(count: number, q: number, minTail = MIN_TAIL): TailSupport {
  const tail = count * (1 - q);
  return { q, count, tail, supported: tail >= minTail - 1e-9, countNeeded: Math.ceil((minTail / (1 - q)) * (1 - 1e-9)) };
}

export interface RepetitionInterval extends Interval {
  n: number;
  method: 't' | 'bootstrap';
}

/**
 * Interval of the mean of per-repetition figures (e.g. each repetition's p99): Student-t
 * (default) or a bootstrap of the repetition means. Fewer than two repetitions give NaN
 * bounds: one repetition says nothing about run-to-run variation.
 */
export function repetitionInterval(
  values: readonly number[],
  opts: BootstrapOptions & { method?: 't' | 'bootstrap' } = {},
): RepetitionInterval {
  const level = opts.level ?? DEFAULT_LEVEL;
  const method = opts.method ?? 't';
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { estimate: mean, low: NaN, high: NaN, level, n, method };
  if (method === 't') {
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    const half = tQuantile((1 + level) / 2, n - 1) * (sd / Math.sqrt(n));
    return { estimate: mean, low: mean - half, high: mean + half, level, n, method };
  }
  const B = opts.resamples ?? DEFAULT_RESAMPLES;
  const rng = makeRng(opts.seed ?? DEFAULT_SEED);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng() * n)];
    means[b] = s / n;
  }
  const [low, high] = percentileInterval(means, level);
  return { estimate: mean, low, high, level, n, method };
}

/**
 * Interval of the ratio of two positive figures from per-repetition values: a Welch
 * t-interval on the difference of mean logs (log-normal run-to-run noise), df floored.
 * Null when either side has fewer than two repetitions.
 */
export function repetitionRatioInterval(base: readonly number[], cand: readonly number[], level = DEFAULT_LEVEL): [number, number] | null {
  if (base.length < 2 || cand.length < 2 || [...base, ...cand].some((v) => !(v > 0))) return null;
  const stats = (v: readonly number[]): [number, number, number] => {
    const l = v.map(Math.log);
    const m = l.reduce((a, b) => a + b, 0) / l.length;
    const s2 = l.reduce((a, x) => a + (x - m) ** 2, 0) / (l.length - 1);
    return [m, s2 / l.length, l.length];
  };
  const [mb, vb, nb] = stats(base);
  const [mc, vc, nc] = stats(cand);
  const se2 = vb + vc;
  const d = mc - mb;
  if (se2 === 0) return [Math.exp(d), Math.exp(d)];
  const df = (se2 * se2) / ((vb * vb) / (nb - 1) + (vc * vc) / (nc - 1));
  const half = (Number.isFinite(df) ? tQuantile((1 + level) / 2, df) : normalQuantile((1 + level) / 2)) * Math.sqrt(se2);
  return [Math.exp(d - half), Math.exp(d + half)];
}
