/**
 * Minimum detectable effect of a comparison, from the repetition-to-repetition spread it saw.
 * Two-sample comparison of per-repetition log values with pooled standard deviation s:
 *   MDE_log = (z_{1-a/2} + z_{power}) * s * sqrt(1/n_b + 1/n_c),  relative MDE = exp(MDE_log) - 1,
 * and the repetitions per side that would detect a relative change d (equal sides):
 *   n = 2 * ((z_{1-a/2} + z_{power}) * s / ln(1 + d))^2, rounded up (at least 2).
 * Normal quantiles, as in the usual sample-size formula: with a handful of repetitions the
 * t-interval the comparison uses is wider still, so these figures are the optimistic side.
 * Log values because latency changes are multiplicative (a ratio), and the spread of a p99
 * across repetitions is what a single run cannot see.
 */
import type { Mde } from '../results/comparison.js';
import { normalQuantile } from './dist.js';

export type { Mde };

export const MDE_POWER = 0.8;
/** The change a nightly job usually wants to see (±5%). */
export const MDE_TARGET = 0.05;


function logVar(v: readonly number[]): { m: number; ss: number } {
  const l = v.map(Math.log);
  const m = l.reduce((a, b) => a + b, 0) / l.length;
  return { m, ss: l.reduce((a, x) => a + (x - m) ** 2, 0) };
}

/** The MDE of one metric from its per-repetition figures on each side (positive values only count). */
export function minimumDetectableEffect(base: readonly number[], cand: readonly number[], alpha: number, power = MDE_POWER, target = MDE_TARGET): Mde {
  const b = base.filter((x) => x > 0 && Number.isFinite(x));
  const c = cand.filter((x) => x > 0 && Number.isFinite(x));
  const out: Mde = { repetitions: { baseline: base.length, candidate: cand.length }, logSpread: null, alpha, power, relative: null, repetitionsForTarget: null, target };
  if (b.length < 2 || c.length < 2) return out;
  const s = Math.sqrt((logVar(b).ss + logVar(c).ss) / (b.length + c.length - 2));
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  out.logSpread = s;
  out.relative = Math.expm1(z * s * Math.sqrt(1 / b.length + 1 / c.length));
  out.repetitionsForTarget = Math.max(2, Math.ceil(2 * ((z * s) / Math.log1p(target)) ** 2));
  return out;
}
