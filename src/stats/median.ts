/**
 * The one median of the project, and its distribution-free interval. A median needs sorted
 * input; `Sorted` carries that in the type (as tinybench's SortedSamples does), so unsorted
 * figures cannot reach it: `sorted()` is the only way to make one.
 */

declare const SORTED: unique symbol;

/** Numbers in ascending order. Made only by `sorted()` or `sortInPlace()`. */
export type Sorted = ArrayLike<number> & { readonly [SORTED]: true };

/** An ascending copy of the figures (NaN-free input expected: NaN has no place in an order). */
export function sorted(values: ArrayLike<number>): readonly number[] & Sorted {
  return Array.from(values).sort((a, b) => a - b) as unknown as readonly number[] & Sorted;
}

/** Sorts numbers ascending in place (a bootstrap's resamples: no copy per draw) and marks them sorted. */
export function sortInPlace<T extends number[] | Float64Array>(values: T): T & Sorted {
  if (values instanceof Float64Array) values.sort();
  else values.sort((a, b) => a - b);
  return values as T & Sorted;
}

/** Median of ascending numbers (mean of the two middle ones for an even count); NaN when empty. */
export function median(s: Sorted): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * 1-based ranks [l, n+1-l] of order statistics forming a distribution-free confidence
 * interval for the median: the largest l with P(Binomial(n, 1/2) <= l-1) <= (1-level)/2,
 * so coverage is at least `level`. Returns [1, n] when n is too small to reach the level.
 */
export function medianCiRanks(n: number, level = 0.95): [number, number] {
  if (n <= 0) return [0, 0];
  const alpha = (1 - level) / 2;
  // CDF of Binomial(n, 1/2), accumulated in log space so large n does not underflow.
  let logPmf = n * Math.log(0.5);
  let cdf = 0;
  let l = 0; // the rank being sought; 0 = none reaches the level
  for (let k = 0; k < n; k++) {
    cdf += Math.exp(logPmf); // now P(B <= k)
    if (cdf > alpha) break;
    l = k + 1; // rank k+1 is allowed: P(B <= (k+1) - 1) <= alpha
    logPmf += Math.log((n - k) / (k + 1));
  }
  if (l < 1) return [1, n];
  return [l, n + 1 - l];
}

/** Median and its distribution-free interval (95% by default) from order statistics. */
export function medianWithCi(samples: ArrayLike<number>, level = 0.95): { median: number; low: number; high: number } {
  const s = sorted(samples);
  if (!s.length) return { median: NaN, low: NaN, high: NaN };
  const [l, u] = medianCiRanks(s.length, level);
  return { median: median(s), low: s[l - 1], high: s[u - 1] };
}
