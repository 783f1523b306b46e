/**
 * Log-linear latency histogram in nanoseconds (HdrHistogram's idea).
 *
 * Values below 2^(SUB_BITS+1) each have their own bucket. Above, every power of two
 * [2^e, 2^(e+1)) is split into 2^SUB_BITS equal sub-buckets, so a bucket is never wider
 * than 1/128 of its lower bound: reporting its midpoint is off by at most 0.39%.
 * The probe (src/probe/probe.c) uses the same layout; keep the two in step.
 */
export const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const EXACT = SUB * 2; // 256: values below are exact
/** Highest power of two covered; larger values land in the last bucket. 2^41 ns ~ 36 min. */
export const MAX_EXP = 40;
export const BUCKETS = EXACT + (MAX_EXP - SUB_BITS) * SUB;

/** Sparse serialised form, as in run.json and the probe protocol: [bucketIndex, count] pairs, ascending. */
export type SparseBins = Array<[number, number]>;

export interface HistogramData {
  /** Layout marker so a future layout change can be detected in old run.json files. */
  layout: 'loglin7';
  bins: SparseBins;
  /** Exact extremes, tracked outside the buckets. */
  min: number;
  max: number;
  count: number;
  /** Exact sum of all values (ns), for an exact mean. */
  sum: number;
  /** Exact sum of squares of values (ns^2), for stddev; may lose precision beyond 2^53. */
  sumSq: number;
}

export function bucketOf(v: number): number {
  if (!(v >= 0)) return 0;
  if (v < EXACT) return Math.floor(v);
  if (v < 2 ** 32) {
    // Fast path (every latency below 4.29 s): the exponent from clz32 instead of Math.log2.
    // floor(v) has the same exponent and sub-bucket as v, since 2^(e-7) >= 2 is a whole number.
    const vi = Math.floor(v) >>> 0;
    const e32 = 31 - Math.clz32(vi);
    return indexFor(e32, (vi >>> (e32 - SUB_BITS)) - SUB);
  }
  let e = Math.floor(Math.log2(v));
  // Math.log2 can round across an exact power of two; correct it.
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  if (e > MAX_EXP) return BUCKETS - 1;
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB;
  return indexFor(e, sub);
}

function indexFor(e: number, sub: number): number {
  return Math.min(EXACT + (e - (SUB_BITS + 1)) * SUB + sub, BUCKETS - 1);
}

/** Inclusive lower and exclusive upper bound of a bucket, in ns. */
export function bucketBounds(i: number): [number, number] {
  if (i < EXACT) return [i, i + 1];
  const e = Math.floor((i - EXACT) / SUB) + SUB_BITS + 1;
  const sub = (i - EXACT) % SUB;
  const shift = e - SUB_BITS;
  return [(SUB + sub) * 2 ** shift, (SUB + sub + 1) * 2 ** shift];
}

/** The value reported for a bucket: exact below 256 ns, else the midpoint. */
export function bucketValue(i: number): number {
  const [lo, hi] = bucketBounds(i);
  return i < EXACT ? lo : (lo + hi) / 2;
}

/** A mutable histogram for recording in TypeScript (imports, merges). */
export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  sumSq = 0;

  record(v: number, n = 1): void {
    this.counts[bucketOf(v)] += n;
    this.count += n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v * n;
    this.sumSq += v * v * n;
  }

  add(h: HistogramData | Histogram): void {
    const other = h instanceof Histogram ? h.toData() : h;
    for (const [i, c] of other.bins) this.counts[i] += c;
    if (other.count === 0) return;
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.sum += other.sum;
    this.sumSq += other.sumSq;
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.add(data);
    return h;
  }

  toData(): HistogramData {
    const bins: SparseBins = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) bins.push([i, this.counts[i]]);
    return {
      layout: 'loglin7',
      bins,
      min: this.count ? this.min : 0,
      max: this.count ? this.max : 0,
      count: this.count,
      sum: this.sum,
      sumSq: this.sumSq,
    };
  }
}

export function mergeHistograms(list: HistogramData[]): HistogramData {
  const h = new Histogram();
  for (const d of list) h.add(d);
  return h.toData();
}
