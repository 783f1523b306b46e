/**
 * Batch means (simulation output analysis): how much autocorrelation inflates the variance of
 * figures computed from one run, estimated from the run's own per-second series.
 *
 * A latency run is one long, autocorrelated sequence (bursts, drift, host noise on a VM), so a
 * bootstrap that resamples single samples as if they were independent is too sure of itself.
 * Cut the sequence into batches (the probe's one-second series points, per thread). If the
 * samples were independent, a batch of n samples would have a mean whose variance is σ²/n;
 * the observed spread of the batch means says how far from that the run is:
 *
 *   deff = MSB / S²,  MSB = Σ_threads Σ_seconds n_j (m_j - m̄_thread)² / Σ_threads (k_thread - 1)
 *
 * where S² is the (pooled within-thread) sample variance. MSB is the one-way ANOVA mean square
 * between batches: its expectation is exactly σ² for independent samples, whatever the batch
 * sizes (a partial last second is fine), so deff ≈ 1 on independent data and grows with
 * autocorrelation. The variance of the run's mean is then deff·S²/N instead of S²/N: the
 * design effect of survey sampling, the batch-means estimator of simulation output analysis.
 *
 * Few batches give a noisy MSB (a 3 s run with 2 threads has 4 degrees of freedom), so the
 * widening factor uses Student's t on those degrees of freedom instead of the normal:
 *   factor = max(1, sqrt(deff) · t_{df} / z),
 * i.e. the interval of one side becomes the wider of the independent-samples bootstrap and
 * the batch-means t-interval, the same "take the wider" rule compare.ts uses for repetitions.
 */
import type { SeriesPoint } from '../results/types.js';
import { normalQuantile, tQuantile } from './dist.js';

/** One thread of one repetition: its per-second series and its own sample variance. */
export interface BatchSource {
  series: readonly SeriesPoint[];
  /** Sample standard deviation of the thread's latencies (ns). */
  stddev: number;
  /** Samples of the thread. */
  count: number;
  /** Seconds each series point spans (a long run's downsampled series); absent: 1. */
  seconds?: number;
}

export interface DesignEffect {
  /** Variance inflation of a mean due to autocorrelation, floored at 1. NaN when not estimable. */
  deff: number;
  /** The raw estimate (may be below 1 by chance on independent data). */
  raw: number;
  /** Degrees of freedom of the between-batch mean square: batches minus threads. */
  df: number;
  /** Batches (thread-seconds) behind the estimate. */
  batches: number;
}

/**
 * Design effect of a set of threads (one or more repetitions) from their per-second series.
 * Each thread is its own group (batch means are centred on the thread's own mean), so a thread
 * that is simply slower than another does not count as autocorrelation. Not estimable (deff
 * NaN, df 0) when no thread has two non-empty batches or the sample variance is zero.
 */
export function designEffect(sources: readonly BatchSource[]): DesignEffect {
  let ssb = 0;
  let df = 0;
  let batches = 0;
  let ssw = 0;
  let dfw = 0;
  for (const s of sources) {
    const pts = s.series.filter((p) => p.count > 0 && Number.isFinite(p.mean));
    if (pts.length < 2) continue;
    let n = 0;
    let sum = 0;
    for (const p of pts) {
      n += p.count;
      sum += p.count * p.mean;
    }
    const m = sum / n;
    for (const p of pts) ssb += p.count * (p.mean - m) ** 2;
    df += pts.length - 1;
    batches += pts.length;
    if (s.count > 1 && Number.isFinite(s.stddev)) {
      ssw += (s.count - 1) * s.stddev * s.stddev;
      dfw += s.count - 1;
    }
  }
  if (df === 0 || dfw === 0 || ssw === 0) return { deff: NaN, raw: NaN, df, batches };
  const raw = ssb / df / (ssw / dfw);
  return { deff: Math.max(1, raw), raw, df, batches };
}

/**
 * The factor by which one side's bootstrap deviations (log scale) are widened so that its
 * interval is at least the batch-means t-interval: max(1, sqrt(deff) · t_{df} / z) at `level`.
 * 1 when the design effect is not estimable (the caller says so in its note).
 */
export function widenFactor(d: DesignEffect, level: number): number {
  if (!(d.df > 0) || Number.isNaN(d.deff)) return 1;
  const p = (1 + level) / 2;
  return Math.max(1, (Math.sqrt(d.deff) * tQuantile(p, d.df)) / normalQuantile(p));
}

/**
 * Bootstrap draws widened around a centre on the log scale: centre · (draw/centre)^factor.
 * Positive draws only (latencies); others are returned unchanged.
 */
export function widenDraws(draws: Float64Array, centre: number, factor: number): Float64Array {
  if (factor === 1 || !(centre > 0)) return draws;
  const out = new Float64Array(draws.length);
  for (let i = 0; i < draws.length; i++) {
    const x = draws[i];
    out[i] = x > 0 ? centre * Math.pow(x / centre, factor) : x;
  }
  return out;
}

/**
 * Per-second maxima of each thread (thread-seconds), the batch-level view of the tail: these
 * are close to independent when the autocorrelation is shorter than a second, where single
 * samples are not. With `seconds`, maxima of that many seconds each: a comparison takes both
 * sides at the width of the coarser (a downsampled long run), as an exceedance count needs
 * units of one size.
 */
export function batchMaxima(sources: readonly BatchSource[], seconds = 1): number[] {
  return sources.flatMap((s) => {
    const out = new Map<number, number>();
    for (const p of s.series) if (p.count > 0) {
      const k = Math.floor(p.t / seconds);
      out.set(k, Math.max(out.get(k) ?? -Infinity, p.max));
    }
    return [...out.values()];
  });
}

/** The widest series points of some sources, in seconds. */
export function batchSeconds(sources: readonly BatchSource[]): number {
  return Math.max(1, ...sources.map((s) => s.seconds ?? 1));
}

/**
 * Design effect of syscall op samples. Each sample is already a batch (ns/op of a batch of
 * calls), but consecutive batches drift together too, so the same estimator is applied one
 * level up: each repetition's samples, in the order they were taken, are cut into consecutive
 * groups of floor(sqrt(n)) samples (the usual batch-size rule of batch means), whose means play
 * the part of the per-second series.
 */
export function opsDesignEffect(perRepetition: ReadonlyArray<readonly number[]>): DesignEffect {
  const sources: BatchSource[] = [];
  for (const raw of perRepetition) {
    const m = Math.floor(Math.sqrt(raw.length));
    const k = m > 0 ? Math.floor(raw.length / m) : 0;
    if (k < 2) continue;
    const used = raw.slice(0, k * m);
    const mean = used.reduce((a, v) => a + v, 0) / used.length;
    const sd = Math.sqrt(used.reduce((a, v) => a + (v - mean) ** 2, 0) / (used.length - 1));
    const series: SeriesPoint[] = [];
    for (let j = 0; j < k; j++) {
      const g = used.slice(j * m, (j + 1) * m);
      series.push({ t: j, count: m, min: Math.min(...g), max: Math.max(...g), mean: g.reduce((a, v) => a + v, 0) / m });
    }
    sources.push({ series, stddev: sd, count: used.length });
  }
  return designEffect(sources);
}
