/**
 * The summaries a result holds, computed from the figures its parser read (probe/protocol.ts,
 * bench/cyclictest/*): each thread's and the merged histogram's latency summary, and each op's
 * median with its interval. Parsers give figures; these functions are where they become summaries.
 */
import { mergeHistograms, type HistogramData } from '../results/histogram.js';
import type { LatencyFigures, LatencyResult, LatencySummary, OpFigures, OpStat, Ops, ThreadLatency } from '../results/types.js';
import { medianWithCi } from './median.js';
import { summarize } from './quantiles.js';

/**
 * A latency measurement's LatencyResult: threads in the figures' order, the merged histogram of
 * all of them. A thread without a distribution has no percentiles, and then neither has the merge.
 */
export function summarizeLatency(f: LatencyFigures): LatencyResult {
  const threads: ThreadLatency[] = f.threads.map((t) => ({
    thread: t.thread,
    cpu: t.cpu,
    intervalNs: t.intervalNs,
    summary: t.noDistribution ? summaryWithoutDistribution(t.histogram) : summarize(t.histogram),
    histogram: t.histogram,
    series: t.series,
  }));
  const histogram = mergeHistograms(threads.map((t) => t.histogram));
  const summary = f.threads.some((t) => t.noDistribution) ? summaryWithoutDistribution(histogram) : summarize(histogram);
  return { ...summary, histogram, threads, spikes: f.spikes, spikesDropped: f.spikesDropped, overflows: f.overflows };
}

/** count, min, mean and max of a histogram that holds no bins (the tool kept none); the rest NaN. */
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
