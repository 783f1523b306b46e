/**
 * The summaries a result holds, computed from the figures its parser read (probe/protocol.ts,
 * bench/cyclictest/*): each thread's and the merged histogram's latency summary, and each op's
 * median with its interval. Parsers give figures; these functions are where they become summaries.
 */
import { mergeHistograms, type HistogramData } from '../results/histogram.js';
import type { LatencyFigures, LatencyResult, LatencySummary, MarkedSummary, OpFigures, OpStat, Ops, PercentileKey, ThreadLatency } from '../results/types.js';
import { medianWithCi } from './median.js';
import { SUMMARY_QUANTILES, summarize } from './quantiles.js';

/**
 * A latency measurement's LatencyResult: threads in the figures' order, the merged histogram of
 * all of them. A thread without a distribution has no percentiles, and then neither has the merge;
 * percentiles among overflowed samples are marked lower bounds.
 */
export function summarizeLatency(f: LatencyFigures): LatencyResult {
  const threads: ThreadLatency[] = f.threads.map((t) => ({
    thread: t.thread,
    cpu: t.cpu,
    intervalNs: t.intervalNs,
    summary: latencySummary(t.noDistribution ? { ...t.histogram, bins: [] } : t.histogram, t.overflows ?? 0),
    histogram: t.histogram,
    series: t.series,
    ...(t.seriesSeconds ? { seriesSeconds: t.seriesSeconds } : {}),
    ...(t.overflows ? { overflows: t.overflows } : {}),
  }));
  const histogram = mergeHistograms(threads.map((t) => t.histogram));
  const summary = latencySummary(f.threads.some((t) => t.noDistribution) ? { ...histogram, bins: [] } : histogram, f.overflows);
  const known = { ...(f.spikeThresholdNs !== undefined ? { spikeThresholdNs: f.spikeThresholdNs } : {}), ...(f.resolutionNs !== undefined ? { resolutionNs: f.resolutionNs } : {}) };
  return { ...summary, histogram, threads, spikes: f.spikes, spikesDropped: f.spikesDropped, overflows: f.overflows, ...known };
}

/** Whether a histogram's bins hold every sample it counts: only then can it give percentiles. */
export function hasDistribution(h: HistogramData): boolean {
  let inBins = 0;
  for (const [, c] of h.bins) inBins += c;
  return inBins >= h.count;
}

/**
 * The summary of a histogram (one result's, or several merged): its percentiles only where its
 * bins hold every sample (a tool that kept no histogram, or a merge with one, has none: NaN, never
 * another figure), and those among `overflows` samples counted at a range marked lower bounds.
 */
export function latencySummary(h: HistogramData, overflows = 0): MarkedSummary {
  if (!hasDistribution(h)) return summaryWithoutDistribution(h);
  const s = summarize(h);
  const bounds = lowerBounds(s, overflows);
  return bounds.length ? { ...s, lowerBounds: bounds } : s;
}

const PERCENTILE_KEYS: readonly PercentileKey[] = ['p50', 'p90', 'p99', 'p999', 'p9999'];

/**
 * The percentiles of `s` that are only lower bounds: their rank falls among the `overflows`
 * largest samples, which were counted at the histogram's range or above, and they are not the
 * exact maximum. (Every recorded value is at most its sample's true value, so each order
 * statistic there is at most the true one.)
 */
function lowerBounds(s: LatencySummary, overflows: number): PercentileKey[] {
  if (!(overflows > 0)) return [];
  return PERCENTILE_KEYS.filter((k, i) => Math.max(1, Math.ceil(SUMMARY_QUANTILES[i] * s.count)) > s.count - overflows && s[k] < s.max);
}

/**
 * A ratio interval of two latency figures read in whole units (`resolution` ns: cyclictest's
 * µs), widened to cover every ratio the quantization allows: a value v stands for [v, v + res),
 * so candidate/baseline lies in [c / (b + resB), (c + resC) / b] even when the samples agree.
 */
export function widenForResolution(low: number, high: number, baseline: number, candidate: number, res: { baseline: number; candidate: number }): [number, number] {
  if (!(baseline > 0) || !(candidate > 0)) return [low, high];
  return [Math.min(low, candidate / baseline) * (baseline / (baseline + res.baseline)), Math.max(high, candidate / baseline) * ((candidate + res.candidate) / candidate)];
}

/** count, min, mean and max of a histogram that cannot give percentiles (the tool kept no bins); the rest NaN. */
function summaryWithoutDistribution(h: HistogramData): LatencySummary {
  return {
    count: h.count,
    min: h.min,
    mean: h.count ? h.sum / h.count : NaN,
    stddev: NaN,
    p50: NaN,
    p90: NaN,
    p99: NaN,
    p999: NaN,
    p9999: NaN,
    max: h.max,
  };
}

/** An op's statistics: the median of its per-batch figures with its 95% interval (cycles alike, when measured). */
export function opStat(f: OpFigures): OpStat {
  const { median: nsPerOp, low, high } = medianWithCi(f.raw);
  const stat: OpStat = { nsPerOp, ciLow: low, ciHigh: high, samples: f.raw.length, iterationsPerBatch: f.iterationsPerBatch, raw: [...f.raw] };
  if (f.cycles) {
    const c = medianWithCi(f.cycles);
    stat.cycles = { perOp: c.median, ciLow: c.low, ciHigh: c.high, raw: [...f.cycles] };
  } else {
    stat.cycles = null;
    stat.cyclesReason = f.cyclesReason;
  }
  return stat;
}

/** The syscall ops whose cost is compared with a plain function call. */
export const RATIO_OPS = ['clock_gettime', 'getppid', 'read'] as const;

/** Each syscall op's ns/op divided by the `func` op's ns/op (only ops present on both sides). */
export function opRatios(ops: Ops): Record<string, number> {
  const out: Record<string, number> = {};
  const base = ops.func?.nsPerOp;
  if (!(base > 0)) return out;
  for (const name of RATIO_OPS) if (ops[name]) out[name] = ops[name].nsPerOp / base;
  return out;
}

/** A syscall run's ops (in the figures' order) and their ratios to `func`. */
export function summarizeOps(figures: Record<string, OpFigures>): { ops: Ops; ratios: Record<string, number> } {
  const ops: Ops = {};
  for (const [name, f] of Object.entries(figures)) ops[name] = opStat(f);
  return { ops, ratios: opRatios(ops) };
}
