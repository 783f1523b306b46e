/**
 * Small numerical building blocks for the statistics modules: a seeded PRNG, binomial and
 * normal draws, the normal and Student-t distribution functions. Written here (not taken from
 * a library) so stats/ has no third-party dependency and results are reproducible bit for bit.
 */

/** A uniform [0, 1) generator. */
export type Rng = () => number;

/**
 * Seeded PRNG (mulberry32): 32-bit state, fast, good enough for resampling. The same seed
 * gives the same stream on every platform, so a report's intervals can be reproduced.
 */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed derived from a base seed and a label (FNV-1a), so each stream is independent of call order. */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A standard normal draw (Box-Muller; the second value is discarded for simplicity). */
export function normalDraw(rng: Rng): number {
  let u = rng();
  while (u <= 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Below this variance n*p*(1-p) a binomial is drawn exactly (inversion, cost O(n*p));
 * above it, the normal approximation is used (skewness < 0.2, far below bootstrap noise).
 */
const EXACT_BINOMIAL_VARIANCE = 25;

/** A Binomial(n, p) draw. Exact for small n*p*(1-p), normal-approximated for large. */
export function binomialDraw(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomialDraw(n, 1 - p, rng);
  const variance = n * p * (1 - p);
  if (variance >= EXACT_BINOMIAL_VARIANCE) {
    const x = Math.round(n * p + Math.sqrt(variance) * normalDraw(rng));
    return Math.min(n, Math.max(0, x));
  }
  // Inversion: walk the pmf from 0; cheap here since p <= 0.5 gives n*p <= 2*variance < 50.
  const u = rng();
  const odds = p / (1 - p);
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * odds;
    k++;
    cdf += pmf;
    if (pmf === 0) break; // rounding left a sliver of probability above the last step
  }
  return k;
}

/** erf(x) for x >= 0 by its Taylor series (accurate to ~1e-14 for x < 2.5). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) for x >= 2.5 by its continued fraction, evaluated backwards (no cancellation in the tail). */
function erfcFraction(x: number): number {
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Complementary error function, accurate in the far tail (needed for tiny p-values). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  return x < 2.5 ? 1 - erfSeries(x) : erfcFraction(x);
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper tail of the standard normal, P(Z > z), without cancellation for large z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Inverse of a monotone increasing function on [lo, hi] by bisection. */
function invert(f: (x: number) => number, target: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < target) lo = mid;
    else hi = mid;
    if (hi - lo <= 1e-12 * Math.max(1, Math.abs(mid))) break;
  }
  return (lo + hi) / 2;
}

/** Standard normal quantile. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return invert(normalCdf, p, -40, 40);
}

/**
 * Student-t CDF for integer degrees of freedom by the closed forms of Abramowitz & Stegun
 * 26.7.3/26.7.4 (finite sums in cos(theta)); above 1000 df the normal is used.
 */
export function tCdf(t: number, df: number): number {
  const nu = Math.max(1, Math.floor(df));
  if (nu > 1000) return normalCdf(t);
  if (t < 0) return 1 - tCdf(-t, nu);
  const theta = Math.atan(t / Math.sqrt(nu));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  let a: number;
  if (nu % 2 === 1) {
    let sum = 0;
    if (nu > 1) {
      let term = 1;
      sum = 1;
      for (let k = 3; k <= nu - 2; k += 2) {
        term *= ((k - 1) / k) * c2;
        sum += term;
      }
    }
    a = (2 / Math.PI) * (theta + (nu > 1 ? s * Math.cos(theta) * sum : 0));
  } else {
    let term = 1;
    let sum = 1;
    for (let k = 2; k <= nu - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    a = s * sum;
  }
  return (1 + a) / 2;
}

/** Student-t quantile for (floored, hence conservative) degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  return invert((x) => tCdf(x, df), p, 0, 1e7);
}

/**
 * Percentile-method interval of a bootstrap distribution: the (1-level)/2 and (1+level)/2
 * quantiles, linearly interpolated. NaN draws (undefined ratios) are left out.
 */
export function percentileInterval(draws: ArrayLike<number>, level: number): [number, number] {
  const v = Array.from(draws).filter((x) => !Number.isNaN(x));
  if (v.length === 0) return [NaN, NaN];
  v.sort((a, b) => a - b);
  const at = (q: number): number => {
    const pos = q * (v.length - 1);
    const i = Math.floor(pos);
    const f = pos - i;
    return i + 1 < v.length ? v[i] * (1 - f) + v[i + 1] * f : v[i];
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
