/**
 * Mann-Whitney U / Wilcoxon rank-sum test computed from two histograms (or two samples).
 * A histogram bucket is a tie group: every sample in it gets the bucket's midrank, which is
 * exactly what ranking the raw samples would give if bucket-mates were equal. The p-value
 * comes from the tie-corrected normal approximation with continuity correction.
 */
import type { HistogramData } from '../results/histogram.js';
import { normalSf } from './dist.js';

export interface RankSumResult {
  nX: number;
  nY: number;
  /** Sum of the (1-based, midrank) ranks of X in the pooled sample: simple-statistics' wilcoxonRankSum. */
  rankSumX: number;
  /** U of X: pairs (x, y) with x > y, plus half the ties. */
  u: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
  /** Common-language effect size P(X > Y) + P(X = Y)/2 = U / (nX nY); 0.5 means no tendency. */
  probXGreater: number;
  /** Rank-biserial correlation 2 P(X > Y) - 1, in [-1, 1]; positive when X tends to be larger. */
  rankBiserial: number;
}

/** A sorted list of tie groups: [key, count], keys ascending. */
type Groups = ReadonlyArray<readonly [number, number]>;

/**
 * The rank-sum test over two sorted tie-group lists whose keys are comparable
 * (histogram bucket indices of the same layout, or sample values).
 */
export function rankSumGroups(x: Groups, y: Groups): RankSumResult {
  let nX = 0;
  let nY = 0;
  for (const [, c] of x) nX += c;
  for (const [, c] of y) nY += c;
  const n = nX + nY;
  let i = 0;
  let j = 0;
  let below = 0; // samples ranked before the current tie group
  let rankSumX = 0;
  let tieTerm = 0; // sum of t^3 - t over tie groups
  while (i < x.length || j < y.length) {
    const kx = i < x.length ? x[i][0] : Infinity;
    const ky = j < y.length ? y[j][0] : Infinity;
    const key = Math.min(kx, ky);
    const cx = kx === key ? x[i++][1] : 0;
    const cy = ky === key ? y[j++][1] : 0;
    const t = cx + cy;
    const midrank = below + (t + 1) / 2;
    rankSumX += cx * midrank;
    tieTerm += t * t * t - t;
    below += t;
  }
  const u = rankSumX - (nX * (nX + 1)) / 2;
  const mu = (nX * nY) / 2;
  const variance = n > 1 ? ((nX * nY) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  let z = 0;
  if (variance > 0) {
    const d = u - mu;
    // Continuity correction: U moves in steps of 1/2 at most; never let it flip the sign.
    const corrected = Math.sign(d) * Math.max(0, Math.abs(d) - 0.5);
    z = corrected / Math.sqrt(variance);
  }
  const p = variance > 0 ? Math.min(1, 2 * normalSf(Math.abs(z))) : 1;
  const probXGreater = nX && nY ? u / (nX * nY) : 0.5;
  return { nX, nY, rankSumX, u, z, p, probXGreater, rankBiserial: 2 * probXGreater - 1 };
}

/** Rank-sum test of X against Y from two histograms of the same (loglin7) layout. */
export function rankSumHistograms(x: HistogramData, y: HistogramData): RankSumResult {
  if (x.layout !== y.layout) throw new Error(`histogram layouts differ (${x.layout} vs ${y.layout})`);
  return rankSumGroups(x.bins, y.bins);
}

/** Sorted tie groups of raw values. */
function groupsOf(values: readonly number[]): Array<[number, number]> {
  const v = [...values].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const x of v) {
    const last = out[out.length - 1];
    if (last && last[0] === x) last[1]++;
    else out.push([x, 1]);
  }
  return out;
}

/** Rank-sum test of X against Y from raw samples (e.g. per-batch ns/op figures). */
export function rankSumSamples(x: readonly number[], y: readonly number[]): RankSumResult {
  return rankSumGroups(groupsOf(x), groupsOf(y));
}
