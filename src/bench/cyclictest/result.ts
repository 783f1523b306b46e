/**
 * Turns cyclictest's per-thread figures (its histogram in us, its own exact min/max/avg) into
 * unilat's latency figures (stats/summary.ts summarizes them). Shared by the parsers of its
 * --json and -h output (json.ts, histogram.ts).
 */
import { Histogram, type HistogramData } from '../../results/histogram.js';
import type { LatencyFigures, ThreadFigures, Warning } from '../../results/types.js';
import type { ImportFormat, ImportMeta, ParsedFile } from './common.js';

/** One thread as cyclictest reports it; values in cyclictest's unit (us, or ns with -N). */
export interface CyclictestThread {
  thread: number;
  cpu: number | null;
  intervalNs: number;
  /** In-range histogram bins: [value, count]. */
  bins: Array<[number, number]>;
  /** All samples, including those past the histogram range. */
  cycles: number;
  min: number;
  max: number;
  /** cyclictest's mean: exact (JSON, 2 decimals) or truncated to an integer (-h text footer). */
  mean: { exact: number } | { floor: number };
  /** Histogram range (values >= it are overflows); null when cyclictest kept no histogram. */
  range: number | null;
}

export interface BuiltLatency {
  latency: LatencyFigures;
  warnings: Warning[];
}

/** Spikes are latencies above this (ns) unless the caller says otherwise: the scenario's default spikeThreshold. */
export const DEFAULT_SPIKE_THRESHOLD_NS = 100_000;

/** A parsed --json or -h file: its threads' figures, the parser's warnings, then those about the figures. */
export function parsedCyclictest(
  file: string,
  format: ImportFormat,
  threads: CyclictestThread[],
  unitNs: number,
  warnings: Warning[],
  meta: ImportMeta,
  spikeThresholdNs = DEFAULT_SPIKE_THRESHOLD_NS,
): ParsedFile {
  const built = latencyFromCyclictest(threads, unitNs, spikeThresholdNs);
  return { file, format, latency: built.latency, warnings: [...warnings, ...built.warnings], meta };
}

/**
 * Builds the figures; a thread without a histogram is marked noDistribution (count, min, mean
 * and max only). Overflow samples (>= range) are kept in the counts, never dropped: the largest
 * at cyclictest's exact max, the others at the range itself (a lower bound); a warning says which
 * percentiles are therefore lower bounds. min/max of every histogram are cyclictest's own figures.
 */
export function latencyFromCyclictest(threads: CyclictestThread[], unitNs: number, spikeThresholdNs = DEFAULT_SPIKE_THRESHOLD_NS): BuiltLatency {
  const warnings: Warning[] = [];
  const out: ThreadFigures[] = [];
  let hasDistribution = true;
  let overflows = 0;
  let total = 0;
  let spikes = 0;
  let range: number | null = null;
  const perThreadOverflow: string[] = [];
  for (const t of threads) {
    const { data, overflow, distribution } = threadHistogram(t, unitNs);
    if (!distribution) hasDistribution = false;
    overflows += overflow;
    total += t.cycles;
    spikes += spikesOf(t, overflow, spikeThresholdNs / unitNs);
    if (overflow > 0) {
      perThreadOverflow.push(`thread ${t.thread}: ${overflow}`);
      range = t.range;
    }
    out.push({
      thread: t.thread,
      cpu: t.cpu,
      intervalNs: t.intervalNs,
      histogram: data,
      series: [],
      ...(overflow ? { overflows: overflow } : {}),
      ...(distribution ? {} : { noDistribution: true as const }),
    });
  }
  if (overflows > 0) {
    const inRange = (100 * (total - overflows)) / total;
    warnings.push({
      code: 'histogram-overflow',
      message:
        `${overflows} of ${total} samples (${((100 * overflows) / total).toPrecision(3)}%) were at or above cyclictest's histogram range ` +
        `of ${range} ${unitNs === 1 ? 'ns' : 'us'} (${perThreadOverflow.join(', ')}); they are counted at the range (a lower bound) ` +
        `except the maximum, which is exact: percentiles above p${floorTo(inRange)} are lower bounds`,
    });
  }
  if (!hasDistribution)
    warnings.push({
      code: 'no-histogram',
      message: 'cyclictest kept no histogram: count, min, mean and max are exact, percentiles are not available',
    });
  if (hasDistribution && threads.some((t) => t.cycles > t.bins.reduce((a, [, c]) => a + c, 0) && t.range !== null && t.range * unitNs <= spikeThresholdNs))
    warnings.push({
      code: 'spike-count-lower-bound',
      message: `the histogram range is at or below the spike threshold (${spikeThresholdNs / 1000} us): overflowed samples other than the maximum may be spikes too, so the spike count is a lower bound`,
    });
  // Spikes are counted from the histogram (it has no times, so none is listed); without one their number is not known.
  const spikeCount = hasDistribution ? { spikesDropped: spikes, spikeThresholdNs } : { spikesDropped: 0 };
  return { latency: { threads: out, spikes: [], ...spikeCount, overflows, resolutionNs: unitNs }, warnings };
}

/**
 * Samples of a thread above `threshold` (in cyclictest's unit), from its bins and overflows: an
 * overflow is above it when the range is (each is at or above the range); else only the exact
 * maximum is known to be, so the count is then a lower bound.
 */
function spikesOf(t: CyclictestThread, overflow: number, threshold: number): number {
  let n = 0;
  for (const [v, c] of t.bins) if (v > threshold) n += c;
  if (overflow > 0 && t.range !== null) n += t.range > threshold ? overflow : t.max > threshold ? 1 : 0;
  return n;
}

function threadHistogram(t: CyclictestThread, unitNs: number): { data: HistogramData; overflow: number; distribution: boolean } {
  const h = new Histogram();
  let inRange = 0;
  for (const [v, c] of t.bins) {
    if (c > 0) h.record(v * unitNs, c);
    inRange += c;
  }
  let overflow = 0;
  const distribution = t.range !== null;
  if (t.range !== null) {
    overflow = t.cycles - inRange;
    if (overflow > 0) {
      h.record(t.max * unitNs, 1);
      if (overflow > 1) h.record(t.range * unitNs, overflow - 1);
    }
  }
  const data = h.toData();
  if (t.cycles === 0) return { data, overflow: 0, distribution };
  data.count = t.cycles;
  data.min = t.min * unitNs;
  data.max = t.max * unitNs;
  if (!distribution) {
    data.bins = [];
    data.sum = ('exact' in t.mean ? t.mean.exact : t.mean.floor + 0.5) * t.cycles * unitNs;
    data.sumSq = 0;
    return { data, overflow: 0, distribution };
  }
  if ('exact' in t.mean) data.sum = t.mean.exact * t.cycles * unitNs;
  else {
    // The footer's avg is truncated; the bins give the exact in-range sum, so keep their mean
    // when it agrees, else the closest value that does.
    const m = data.sum / t.cycles / unitNs;
    const clamped = Math.min(Math.max(m, t.mean.floor), t.mean.floor + 1 - 1e-6);
    data.sum = clamped * t.cycles * unitNs;
  }
  return { data, overflow, distribution };
}

function floorTo(pct: number): string {
  return String(Math.floor(pct * 1000) / 1000);
}
