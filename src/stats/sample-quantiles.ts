/**
 * Quantiles of a plain sample (per-batch syscall figures), as opposed to quantiles.ts, which
 * reads them off a histogram. Linear interpolation between order statistics (type 7 of
 * Hyndman & Fan, the default of R and numpy): at p = 0.5 it is the usual median (the mean of
 * the two middle values for an even count), the one protocol.ts reports as nsPerOp, so a
 * median shown between its quartiles always lies between them.
 */

/** The p-quantile (0 <= p <= 1) of ascending, finite numbers; NaN for an empty sample. */
export function sampleQuantile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile level must be in [0, 1], got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** First and third quartile of a sample in any order (NaN for an empty one). */
export function quartiles(samples: readonly number[]): { q1: number; q3: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { q1: sampleQuantile(sorted, 0.25), q3: sampleQuantile(sorted, 0.75) };
}
