/**
 * A latency result as the JSON rt-tests' cyclictest writes with `--json` (checked against
 * cyclictest 2.40), so tools that read cyclictest's JSON (LAVA's and KernelCI's test definitions
 * read num_threads, thread.N.min/avg/max and return_code) take unilat's results unchanged; and
 * `unilat import` reads it back. The keys are cyclictest's own, "cmdline:" and
 * "rt_test_version:" with its stray colon; one key is added, "unilat", saying where the figures
 * came from.
 *
 * Units: whole us, as cyclictest writes them (ns when the result came from `cyclictest -N`).
 * min and max are truncated to whole us as cyclictest truncates each sample; avg is the exact
 * mean with two decimals (cyclictest's is the mean of truncated samples, so up to 1 us lower).
 * The histogram has one whole-us key per loglin7 bucket, the us its middle truncates to: exact where a bucket lies within one us (below 2 us always), else off by at most
 * half a bucket (0.39% of the value); one sample of the highest bucket is at the max, one of the
 * lowest at the min, as in cyclictest's file. Samples a tool counted beyond its histogram range
 * (cyclictest's overflows) are left out of the histogram again, so cycles exceeds its sum as in
 * cyclictest's own file. A result without a histogram (cyclictest without -h) has "histogram": {}.
 */
import { parseCyclictestCmdline, type CmdlineInfo } from '../bench/cyclictest/args.js';
import { bucketBounds } from '../results/histogram.js';
import type { HostFacts } from '../results/facts.js';
import type { CompletedLatencyResult, RunRecord, ThreadLatency } from '../results/types.js';

/** The formats `unilat export` writes. */
export const EXPORT_FORMATS = ['rt-tests-json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One thread as cyclictest writes it. */
export interface RtTestsThread {
  histogram: Record<string, number>;
  cycles: number;
  min: number;
  max: number;
  avg: number;
  /** -1: not pinned (cyclictest's own word for it). */
  cpu: number;
  /** NUMA node; -1: not known. */
  node: number;
}

/** cyclictest's --json document, plus where the figures came from. */
export interface RtTestsJson {
  file_version: 1;
  'cmdline:': string;
  'rt_test_version:': string;
  start_time: string;
  end_time: string;
  return_code: 0;
  sysinfo: { sysname: string; nodename: string; release: string; version: string; machine: string; realtime: number };
  num_threads: number;
  /** cyclictest writes whether it reported ns (-N): 1, else 0. */
  resolution_in_ns: 0 | 1;
  thread: Record<string, RtTestsThread>;
  unilat: {
    run: string;
    deployment: string;
    benchmark: string;
    host: string;
    repetition: number;
    kind: CompletedLatencyResult['kind'];
    measuredBy: string | null;
    /** "cmdline:" is the command that ran (cyclictest's own), or cyclictest options equivalent to the measurement. */
    cmdline: 'as run' | 'equivalent';
    /** Set when the result's percentiles are unknown (no histogram was kept). */
    noHistogram?: true;
  };
}

/** cyclictest's time format (`strftime("%a, %d %b %Y %T %z")`), in UTC. */
export function rtTestsTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toUTCString().replace(/GMT$/, '+0000');
}

/** The command line the result's cyclictest ran with, when it was cyclictest. */
function ranCmdline(r: CompletedLatencyResult): string | null {
  const imported = r.context?.import?.cmdline;
  if (typeof imported === 'string') return imported;
  const ran = (r.context?.cyclictest as { commandLine?: unknown } | undefined)?.commandLine;
  return Array.isArray(ran) && ran.every((a) => typeof a === 'string') ? ran.join(' ') : null;
}

/**
 * cyclictest options for what the probe measured. cyclictest zeroes the distance when it keeps
 * a histogram, so several threads with a distance are written with -d and without -h (the
 * histogram is still written; its range is then its highest key + 1 for a reader).
 */
export function equivalentCmdline(r: CompletedLatencyResult, rangeUs: number): string {
  const a = r.applied;
  // null: not known (an import that did not say); then the option is left out.
  const us = (ns: number | null | undefined) => (typeof ns === 'number' && Number.isFinite(ns) ? Math.max(0, Math.round(ns / 1000)) : null);
  const threads = a?.threads ?? r.latency.threads.length;
  const interval = us(a?.intervalNs ?? r.latency.threads[0]?.intervalNs);
  const distance = us(a?.distanceNs) ?? 0;
  const argv = ['cyclictest', '-t', String(threads)];
  if (interval !== null) argv.push('-i', String(Math.max(1, interval)));
  const histogram = threads === 1 || distance === 0;
  if (!histogram) argv.push('-d', String(distance));
  // How the threads ran, where the result knows it (an import of -h or -v output does not).
  if (a) {
    if (a.policy === 'fifo' || a.policy === 'rr') argv.push('-p', String(a.priority));
    argv.push(`--policy=${a.policy}`);
    if (a.affinity.length) argv.push(`--affinity=${a.affinity.join(',')}`);
    if (a.mlockall) argv.push('-m');
    if (!a.dmaLatency) argv.push('--default-system');
  }
  if (histogram) argv.push('-h', String(rangeUs));
  argv.push('-q', '--json');
  return argv.join(' ');
}

/**
 * One thread's histogram in whole units of `unitNs`: each bucket at the unit its middle truncates
 * to (whole-unit data: the multiple of the unit in the bucket nearest its middle), within the
 * thread's min and max; the thread's `overflows`
 * (its largest samples, counted at a tool's range) are left out. One sample of the highest bucket
 * is at the thread's max (without overflows) and one of the lowest at its min: they are samples of those buckets.
 */
export function wholeUnitHistogram(t: ThreadLatency, unitNs: number, dataResolutionNs: number): Record<string, number> {
  const out = new Map<number, number>();
  const h = t.histogram;
  if (!h.bins.length || h.min === null || h.max === null) return {};
  const lo = Math.floor(h.min / unitNs);
  const hi = Math.floor(h.max / unitNs);
  const wholeUnits = dataResolutionNs >= unitNs && dataResolutionNs % unitNs === 0;
  const add = (v: number, n: number) => out.set(v, (out.get(v) ?? 0) + n);
  let skip = t.overflows ?? 0;
  // The max and the min are samples of the highest and lowest buckets: there, one sample each at its own whole unit (a reader checks the highest bin is the max).
  let maxPending = skip === 0;
  for (let i = h.bins.length - 1; i >= 0; i--) {
    const [bucket, n0] = h.bins[i];
    let n = n0 - Math.min(n0, skip);
    skip -= n0 - n;
    if (n > 0 && maxPending) {
      add(hi, 1);
      n--;
      maxPending = false;
    }
    if (n > 0 && i === 0) {
      add(lo, 1);
      n--;
    }
    if (n <= 0) continue;
    const [b0, b1] = bucketBounds(bucket);
    const mid = (b0 + b1) / 2 / unitNs;
    // Whole-unit data: the multiple of the unit in the bucket nearest its middle; ns data: the unit the middle truncates to.
    const v = wholeUnits ? Math.min(Math.max(Math.round(mid), Math.ceil(b0 / unitNs)), Math.ceil(b1 / unitNs) - 1) : Math.floor(mid);
    add(Math.min(hi, Math.max(lo, v)), n);
  }
  return Object.fromEntries([...out].sort((x, y) => x[0] - y[0]).map(([v, n]) => [String(v), n]));
}

/** What cyclictest's sysinfo says: the kernel the measurement ran on (a guest's own for a probe in a guest), else the host's facts. */
function sysinfo(r: CompletedLatencyResult, facts: HostFacts | undefined): RtTestsJson['sysinfo'] {
  const a = (r.applied ?? {}) as Record<string, unknown>;
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
  const rt = a.realtime;
  return {
    sysname: 'Linux',
    nodename: facts?.hostname ?? r.host,
    release: s('kernel') ?? facts?.kernel.release ?? '',
    version: s('kernelVersion') ?? facts?.kernel.version ?? '',
    machine: s('machine') ?? facts?.kernel.arch ?? '',
    realtime: typeof rt === 'number' ? rt : facts?.kernel.preemptRt ? 1 : 0,
  };
}

/** A latency result as cyclictest's --json document. */
export function rtTestsJson(record: RunRecord, r: CompletedLatencyResult): RtTestsJson {
  const ran = ranCmdline(r);
  const info: CmdlineInfo | null = ran ? parseCyclictestCmdline(ran) : null;
  const unitNs = info?.nsecs ? 1 : 1000;
  const l = r.latency;
  const maxOf = (t: ThreadLatency) => t.histogram.max ?? 0;
  const bins = new Map(l.threads.map((t) => [t.thread, wholeUnitHistogram(t, unitNs, l.resolutionNs ?? 1)]));
  // A reader takes the range from -h: above every bin, and (where samples overflowed) at most the max they reached.
  const overflowed = l.threads.some((t) => (t.overflows ?? 0) > 0);
  const topBin = Math.max(-1, ...[...bins.values()].flatMap((b) => Object.keys(b).map(Number)));
  const rangeUs = overflowed ? Math.floor((topBin * unitNs) / 1000) + 1 : Math.floor(Math.max(0, ...l.threads.map(maxOf)) / 1000) + 1;
  const noHistogram = l.threads.every((t) => t.histogram.bins.length === 0);
  const thread: Record<string, RtTestsThread> = {};
  // Keys 0..N-1 as cyclictest writes them (readers loop over range(num_threads)): a thread a tool left out is one without samples.
  const last = Math.max(-1, ...l.threads.map((t) => t.thread));
  for (let k = 0; k <= last; k++) thread[String(k)] = { histogram: {}, cycles: 0, min: 0, max: 0, avg: 0, cpu: -1, node: -1 };
  for (const t of l.threads) {
    const h = t.histogram;
    const empty = h.count === 0 || h.min === null || h.max === null;
    thread[String(t.thread)] = {
      histogram: bins.get(t.thread)!,
      cycles: h.count,
      min: empty ? 0 : Math.floor(h.min! / unitNs),
      max: empty ? 0 : Math.floor(h.max! / unitNs),
      avg: empty ? 0 : Math.round((100 * h.sum) / h.count / unitNs) / 100,
      cpu: t.cpu ?? -1,
      node: -1,
    };
  }
  const v = r.applied?.probeVersion;
  const measuredBy = v === undefined ? null : r.kind === 'cyclic' ? `unilat-probe ${v}` : v;
  return {
    file_version: 1,
    'cmdline:': ran ?? equivalentCmdline(r, rangeUs),
    'rt_test_version:': /^cyclictest /.test(measuredBy ?? '') ? measuredBy!.slice('cyclictest '.length) : `unilat ${record.tool.version}`,
    start_time: rtTestsTime(r.startedAt),
    end_time: rtTestsTime(r.endedAt),
    return_code: 0,
    sysinfo: sysinfo(r, record.facts[r.host]),
    num_threads: Object.keys(thread).length,
    resolution_in_ns: info?.nsecs ? 1 : 0,
    thread,
    unilat: {
      run: record.id,
      deployment: r.deployment,
      benchmark: r.benchmark,
      host: r.host,
      repetition: r.repetition,
      kind: r.kind,
      measuredBy,
      cmdline: ran ? 'as run' : 'equivalent',
      ...(noHistogram ? { noHistogram: true as const } : {}),
    },
  };
}
