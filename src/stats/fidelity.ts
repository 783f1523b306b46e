/**
 * Fidelity verdicts of the self-test: how a figure of the probe compares with the same figure
 * of a reference instrument (cyclictest, cyclicdeadline, perf), as a ratio probe/reference with
 * an interval, and a verdict on it:
 *   agrees        the whole interval lies inside the tolerance band [1/(1+t), 1+t];
 *   differs by X% the whole interval lies outside it (X from the point ratio);
 *   too noisy     the interval reaches across an edge of the band (or there is none, as with
 *                 one repetition for figures only repetitions can put an interval on): more
 *                 repetitions would tell.
 * A printed figure stands for a range of true values (cyclictest truncates to whole us, so v
 * stands for [v, v+1) us): the point ratio is taken at the middle of both ranges and the
 * interval widened to every true value the ranges allow, so a figure the tool cannot resolve
 * is never called a difference.
 */

/** What a printed value v stands for: a true value in [v + low, v + high), in the figure's unit. */
export interface Quantization {
  low: number;
  high: number;
}

/** An exact figure. */
export const EXACT: Quantization = { low: 0, high: 0 };
/** Truncated to steps of `step` (cyclictest's whole us, GNU time's 10 ms): v stands for [v, v + step). */
export function truncatedTo(step: number): Quantization {
  return { low: 0, high: step };
}

/** A ratio probe/reference with its interval (low <= ratio <= high unless unknown: NaN). */
export interface RatioEstimate {
  ratio: number;
  low: number;
  high: number;
}

/**
 * The ratio of true values from `e`, the ratio of the printed values `probe` / `ref` with its
 * interval: the point at the middle of both quantization ranges, the interval stretched by the
 * whole ranges (additive on each side). NaN bounds stay NaN; a reference range reaching 0
 * makes the upper bound infinite.
 */
export function quantizedRatio(e: RatioEstimate, probe: number, ref: number, qProbe: Quantization, qRef: Quantization): RatioEstimate {
  const mid = (q: Quantization) => (q.low + q.high) / 2;
  const ratio = (probe + mid(qProbe)) / (ref + mid(qRef));
  if (!(ref > 0)) return { ratio, low: NaN, high: NaN };
  const low = Math.max(0, (e.low * ref + qProbe.low) / (ref + qRef.high));
  const high = ref + qRef.low > 0 ? (e.high * ref + qProbe.high) / (ref + qRef.low) : Infinity;
  return { ratio, low, high };
}

export type FidelityVerdict = { kind: 'agrees' } | { kind: 'differs'; byPct: number } | { kind: 'too noisy'; repetitions: number };

/** The verdict on a ratio estimate within a tolerance band of ±tolerance (a fraction, 0.1 for 10%). */
export function fidelityVerdict(e: RatioEstimate, tolerance: number, repetitions: number): FidelityVerdict {
  const { low, high } = e;
  const band: [number, number] = [1 / (1 + tolerance), 1 + tolerance];
  if (Number.isNaN(low) || Number.isNaN(high) || !Number.isFinite(e.ratio) || low > high) return { kind: 'too noisy', repetitions };
  if (low >= band[0] && high <= band[1]) return { kind: 'agrees' };
  if (low > band[1] || high < band[0]) return { kind: 'differs', byPct: (e.ratio - 1) * 100 };
  return { kind: 'too noisy', repetitions };
}

/** 'agrees', 'differs by +12.3%', 'too noisy to tell with 5 repetitions'. */
export function verdictText(v: FidelityVerdict): string {
  if (v.kind === 'agrees') return 'agrees';
  if (v.kind === 'differs') return `differs by ${v.byPct > 0 ? '+' : ''}${v.byPct.toFixed(Math.abs(v.byPct) < 10 ? 1 : 0)}%`;
  return `too noisy to tell with ${v.repetitions} repetition${v.repetitions === 1 ? '' : 's'}`;
}
