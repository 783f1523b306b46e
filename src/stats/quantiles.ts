import { bucketValue, type HistogramData } from '../results/histogram.js';
import type { LatencySummary } from '../results/types.js';

/**
 * Quantile of a histogram: the value of the bucket holding the ceil(q * count)-th smallest
 * sample (nearest-rank), clamped to the exact min and max. Error is the bucket's half-width.
 */
export function quantile(h: HistogramData, q: number): number {
  if (h.count === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * h.count));
  let seen = 0;
  for (const [i, c] of h.bins) {
    seen += c;
    if (seen >= rank) return clamp(bucketValue(i), h.min, h.max);
  }
  return h.max;
}

/** Several quantiles in one pass over the bins; qs must be ascending. */
export function quantiles(h: HistogramData, qs: readonly number[]): number[] {
  const out: number[] = [];
  if (h.count === 0) return qs.map(() => NaN);
  let k = 0;
  let seen = 0;
  for (const [i, c] of h.bins) {
    seen += c;
    while (k < qs.length && seen >= Math.max(1, Math.ceil(qs[k] * h.count))) {
      out.push(clamp(bucketValue(i), h.min, h.max));
      k++;
    }
    if (k === qs.length) break;
  }
  while (out.length < qs.length) out.push(h.max);
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

export const SUMMARY_QUANTILES = [0.5, 0.9, 0.99, 0.999, 0.9999] as const;

export function summarize(h: HistogramData): LatencySummary {
  const [p50, p90, p99, p999, p9999] = quantiles(h, SUMMARY_QUANTILES);
  const mean = h.count ? h.sum / h.count : NaN;
  const variance = h.count > 1 ? Math.max(0, (h.sumSq - h.count * mean * mean) / (h.count - 1)) : 0;
  return {
    count: h.count,
    min: h.min,
    mean,
    stddev: Math.sqrt(variance),
    p50,
    p90,
    p99,
    p999,
    p9999,
    max: h.max,
  };
}
