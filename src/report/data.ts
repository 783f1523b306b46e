/**
 * Shaping a run record for figures and tables (pure, no plotting library): which results
 * are counted, how they group per benchmark and deployment, merged histograms and series.
 */
import { fileSafe } from '../names.js';
import { bucketBounds, mergeHistograms, type HistogramData } from '../results/histogram.js';
import { latencySummary } from '../stats/summary.js';
import { quartiles } from '../stats/sample-quantiles.js';
import { countedResults } from '../stats/compare.js';
import { median, sorted } from '../stats/median.js';
import {
  isLatencyResult,
  isOpsResult,
  type AppliedConfig,
  type CompletedLatencyResult,
  type CompletedOpsResult,
  type MarkedSummary,
  type OpStat,
  type Result,
  type RunRecord,
  type SeriesPoint,
  type Spike,
  type ThreadLatency,
  runScenario,
} from '../results/types.js';

/** The results that count (warm-up left out): the same rule as the statistics use. */
export { countedResults };

function hostCount(record: RunRecord): number {
  return new Set(record.results.map((r) => r.host)).size;
}

/** How a deployment is named in legends: with its host only when the run spans several hosts. */
export function seriesName(record: RunRecord, r: { deployment: string; host: string }): string {
  return hostCount(record) > 1 ? `${r.deployment} @ ${r.host}` : r.deployment;
}

/**
 * Every series name of the run (seriesName) in scenario order: deployments as the scenario
 * lists them, then any the scenario does not name, in first-seen order. Figures give each its
 * colour by this order, so one deployment has one colour in every figure.
 */
export function seriesOrder(record: RunRecord): string[] {
  const order = (runScenario(record)?.deployments ?? []).map((d) => d.name);
  const rank = (d: string) => (order.includes(d) ? order.indexOf(d) : order.length);
  const first = new Map<string, Result>();
  for (const r of record.results) if (!first.has(seriesName(record, r))) first.set(seriesName(record, r), r);
  return [...first].sort((a, b) => rank(a[1].deployment) - rank(b[1].deployment)).map(([n]) => n);
}

/** Benchmarks in the order they first appear in the run. */
export function benchmarkNames(record: RunRecord): string[] {
  return [...new Set(record.results.map((r) => r.benchmark))];
}

/** Safe part of a file name or HTML id for a benchmark name. */
export function slug(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  // Bounded like every file-name part (a stored record's names have no length limit).
  return s ? fileSafe(s) : 'benchmark';
}

export interface ThreadGroup {
  thread: number;
  cpu: number | null;
  /** rtla timerlat: the latency's context (irq, thread, user); absent for other kinds. */
  context?: ThreadLatency['context'];
  histogram: HistogramData;
  series: SeriesPoint[];
}

/** One deployment (on one host) of one latency benchmark, repetitions merged. */
export interface LatencyGroup {
  name: string;
  deployment: string;
  host: string;
  results: CompletedLatencyResult[];
  histogram: HistogramData;
  /** Percentiles NaN where the histogram cannot give them (an import without one), lower bounds marked. */
  summary: MarkedSummary;
  threads: ThreadGroup[];
  spikes: Array<Spike & { repetition: number }>;
  spikesDropped: number;
}

/** Counted results of one benchmark that pass `keep`, grouped by series name, in first-seen order. */
function bySeries<R extends Result>(record: RunRecord, benchmark: string, keep: (r: Result) => r is R): Map<string, R[]> {
  const byName = new Map<string, R[]>();
  for (const r of countedResults(record)) {
    if (r.benchmark !== benchmark || !keep(r)) continue;
    const n = seriesName(record, r);
    byName.set(n, [...(byName.get(n) ?? []), r]);
  }
  return byName;
}

/**
 * What a record's reports derive more than once (a benchmark's merged groups, its plots), kept
 * per record: keyed weakly by the results array (a record shown with an added warning is a copy
 * that shares it) and checked against what else is read, the scenario and the results' count.
 * What it returns is shared between reports: read it, never change it.
 */
export function memoized<T>(record: RunRecord, key: string, build: () => T): T {
  let entry = reportMemo.get(record.results);
  if (!entry || entry.scenario !== record.scenario || entry.count !== record.results.length) {
    entry = { scenario: record.scenario, count: record.results.length, values: new Map() };
    reportMemo.set(record.results, entry);
  }
  if (entry.values.has(key)) return entry.values.get(key) as T;
  const v = build();
  entry.values.set(key, v);
  return v;
}

let reportMemo = new WeakMap<readonly unknown[], { scenario: unknown; count: number; values: Map<string, unknown> }>();

/** Forgets what memoized kept (benchmarks measure cold reports with it). */
export function clearMemo(): void {
  reportMemo = new WeakMap();
}

/** A benchmark's groups, built once per record (memoized): merging the histograms is the costly part. */
export function latencyGroups(record: RunRecord, benchmark: string): readonly LatencyGroup[] {
  return memoized(record, `latency-groups\u0000${benchmark}`, () => buildLatencyGroups(record, benchmark));
}

function buildLatencyGroups(record: RunRecord, benchmark: string): LatencyGroup[] {
  return [...bySeries(record, benchmark, isLatencyResult)].map(([name, results]) => {
    const histogram = mergeHistograms(results.map((r) => r.latency.histogram));
    const threadIds = [...new Set(results.flatMap((r) => r.latency.threads.map((t) => t.thread)))].sort((a, b) => a - b);
    const threads = threadIds.map((thread) => {
      const ts = results.flatMap((r) => r.latency.threads.filter((t) => t.thread === thread));
      const cpus = [...new Set(ts.map((t) => t.cpu))];
      return {
        thread,
        // A thread that moved between CPUs across repetitions has no single CPU.
        cpu: cpus.length === 1 ? cpus[0] : null,
        ...(ts[0]?.context ? { context: ts[0].context } : {}),
        histogram: mergeHistograms(ts.map((t) => t.histogram)),
        series: ts.flatMap((t) => t.series),
      };
    });
    return {
      name,
      deployment: results[0].deployment,
      host: results[0].host,
      results,
      histogram,
      summary: latencySummary(histogram, results.reduce((a, r) => a + (r.latency.overflows ?? 0), 0)),
      threads,
      spikes: results.flatMap((r) => r.latency.spikes.map((s) => ({ ...s, repetition: r.repetition }))),
      spikesDropped: results.reduce((a, r) => a + r.latency.spikesDropped, 0),
    };
  });
}

export interface OpsGroup {
  name: string;
  deployment: string;
  host: string;
  results: CompletedOpsResult[];
}

export function opsGroups(record: RunRecord, benchmark: string): OpsGroup[] {
  return [...bySeries(record, benchmark, isOpsResult)].map(([name, results]) => ({ name, deployment: results[0].deployment, host: results[0].host, results }));
}

/** Op names in first-seen order, `func` (the function-call baseline) first. */
export function opNames(groups: OpsGroup[]): string[] {
  const names = [...new Set(groups.flatMap((g) => g.results.flatMap((r) => Object.keys(r.ops))))];
  return names.sort((a, b) => (a === 'func' ? -1 : b === 'func' ? 1 : 0));
}

/** One op of one result, with the repetition it came from (repetitions are not pooled: their intervals differ). */
export interface OpRow extends OpStat {
  op: string;
  repetition: number;
  ratio: number | null;
}

export function opRows(g: OpsGroup): OpRow[] {
  return g.results.flatMap((r) =>
    Object.entries(r.ops).map(([op, s]) => ({ ...s, op, repetition: r.repetition, ratio: r.ratios[op] ?? null })),
  );
}

export interface TimelinePoint {
  t: number;
  max: number;
  mean: number;
  count: number;
}

/**
 * Per-second series of a group, threads and repetitions merged per second: the max of the
 * maxima and the count-weighted mean (the probe reports means, not medians).
 */
export function timeline(g: LatencyGroup): TimelinePoint[] {
  const by = new Map<number, { max: number; sum: number; count: number }>();
  for (const th of g.threads)
    for (const p of th.series) {
      if (!p.count) continue;
      const cur = by.get(p.t) ?? { max: -Infinity, sum: 0, count: 0 };
      cur.max = Math.max(cur.max, p.max);
      cur.sum += p.mean * p.count;
      cur.count += p.count;
      by.set(p.t, cur);
    }
  return [...by]
    .sort((a, b) => a[0] - b[0])
    .map(([t, v]) => ({ t, max: v.max, mean: v.sum / v.count, count: v.count }));
}

/** Power-of-two bin width (ns) for a uniform histogram of values up to maxNs: never narrower than a bucket. */
export function uniformBinWidth(maxNs: number): number {
  // Buckets are at most value/128 wide and aligned to their power-of-two width, so a
  // power-of-two bin at least that wide holds whole buckets only: counts stay exact integers.
  return 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, maxNs) / 128)));
}

/** One bin of a histogram curve: bins on one `segment` are drawn joined, others apart. */
export interface CurveBin {
  bin: number;
  count: number;
  segment: number;
}

/**
 * Regroups a histogram's buckets into bins (`binOf` of a bucket's lower bound, monotone), each
 * holding whole buckets, so counts stay exact. Two consecutive bins share a segment only when
 * no bin between them could hold a bucket: a line must not bridge empty bins (an import's
 * overflows at its range limit and its one sample at the max are not joined by a diagonal).
 */
export function binnedCurve(h: HistogramData, binOf: (lowNs: number) => number): CurveBin[] {
  const out: CurveBin[] = [];
  let lastBucket = -1;
  let segment = 0;
  const joined = (from: number, to: number, a: number, b: number): boolean => {
    for (let j = from + 1; j < to; j++) {
      const k = binOf(bucketBounds(j)[0]);
      if (k !== a) return k === b;
    }
    return true;
  };
  for (const [i, c] of [...h.bins].sort((x, y) => x[0] - y[0])) {
    const b = binOf(bucketBounds(i)[0]);
    const cur = out[out.length - 1];
    if (cur && cur.bin === b) cur.count += c;
    else {
      if (cur && !joined(lastBucket, i, cur.bin, b)) segment++;
      out.push({ bin: b, count: c, segment });
    }
    lastBucket = i;
  }
  return out;
}

/** Whether values from `min` to `max` (ns) span more than two decades: then a log axis keeps the body readable. */
export function spansDecades(min: number, max: number): boolean {
  return max / Math.max(1, min) > 100;
}

/**
 * Exceedance P(latency > x) at each bucket's upper bound, starting at (min, 1) and ending at
 * the max with the last non-zero level (P = 0 cannot be shown on a log axis).
 */
export function exceedance(h: HistogramData): Array<[number, number]> {
  if (!h.count) return [];
  const out: Array<[number, number]> = [[h.min, 1]];
  let seen = 0;
  for (const [i, c] of h.bins) {
    seen += c;
    const p = (h.count - seen) / h.count;
    if (p <= 0) break;
    out.push([Math.min(bucketBounds(i)[1], h.max), p]);
  }
  // The last level holds up to the exact max (drawn as a step, it would end early otherwise).
  const last = out[out.length - 1];
  if (last[0] < h.max) out.push([h.max, last[1]]);
  return out;
}

/** Guest results that stand for their boot: the first benchmark of a shared boot (or every one, fresh boots). */
export function bootResults(record: RunRecord): ReturnType<typeof countedResults> {
  return countedResults(record).filter((r) => {
    return typeof r.context?.bootMs === 'number' && (r.context.bootShare?.index ?? 0) === 0;
  });
}

export const BOOT_PHASES = [
  ['pausedMs', 'paused before start'],
  ['firstConsoleMs', 'first console byte'],
  ['kernelStartMs', 'kernel starts'],
  ['kernelToInitMs', 'kernel to init'],
  ['initToProbeMs', 'init to probe'],
  ['totalMs', 'total'],
  ['restoreMs', 'restore (snapshot)'],
  ['coldBootMs', 'snapshot\'s cold boot'],
] as const;

export type BootPhaseKey = (typeof BOOT_PHASES)[number][0];

export const BOOT_NOTE =
  "Milliseconds, median over boots. From QEMU's start (controller clock): paused before the vCPUs start (the harness pinning them; a restore also loads the saved state then), the first console byte, the guest kernel's start (its init line's arrival minus that line's printk time); by the guest's clock: kernel start to init (printk time), init to the probe (the probe's /proc/uptime, 10 ms resolution); total is QEMU start to the probe's first line. A snapshot deployment (boot: snapshot) restores a saved VM instead of booting: restore is QEMU start to the probe's first line after the restore, next to the cold boot that made the snapshot (to the probe waiting for its script). – where a figure cannot be known (a quiet kernel shows no init line; a restore has no kernel boot).";

export interface BootBreakdownRow {
  deployment: string;
  boots: number;
  phases: Record<BootPhaseKey, number | null>;
  /** How boots and benchmarks relate: one boot per repetition, or one per benchmark. */
  mode: string;
}

/** Per guest deployment, in scenario order: the median of each boot phase over its boots. */
export function bootBreakdown(record: RunRecord): BootBreakdownRow[] {
  const boots = bootResults(record);
  const deps = [...new Set(boots.map((r) => r.deployment))];
  return deps.map((deployment) => {
    const mine = boots.filter((r) => r.deployment === deployment);
    const phases = {} as Record<BootPhaseKey, number | null>;
    const figure = (r: (typeof mine)[number], k: BootPhaseKey): unknown =>
      k === 'restoreMs' ? r.context?.restoreMs : k === 'coldBootMs' ? r.context?.snapshot?.coldBootMs : r.context?.boot?.[k];
    for (const [k] of BOOT_PHASES) {
      const v = mine.map((r) => figure(r, k)).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
      phases[k] = v.length ? Math.round(median(sorted(v))) : null;
    }
    const share = mine[0].context?.bootShare;
    const mode = share?.freshBoot ? 'a fresh boot for every benchmark' : `one boot per repetition runs all its benchmarks${share?.of && share.of > 1 ? ` (${share.of})` : ''}`;
    return { deployment, boots: mine.length, phases, mode };
  });
}

/** Boot times (ms) of guest deployments, one per boot, from results' context.bootMs. */
export function bootTimes(record: RunRecord): Array<{ name: string; repetition: number; benchmark: string; bootMs: number }> {
  const out: Array<{ name: string; repetition: number; benchmark: string; bootMs: number }> = [];
  for (const r of bootResults(record)) {
    const b = r.context?.bootMs;
    if (typeof b === 'number' && Number.isFinite(b)) out.push({ name: seriesName(record, r), repetition: r.repetition, benchmark: r.benchmark, bootMs: b });
  }
  return out;
}

// ---- the syscall tax by mitigation state ----

/** What one vulnerabilities file says, by the kernel's own leading words. */
export type VulnerabilityState = 'mitigated' | 'vulnerable' | 'not affected' | 'unclassified';

export function vulnerabilityState(text: string): VulnerabilityState {
  const t = text.trim();
  if (/^not affected/i.test(t)) return 'not affected';
  // "Vulnerable", "Vulnerable: ...", "KVM: Vulnerable", "Processor vulnerable" before any "Mitigation" later in the text.
  if (/^(KVM: )?(Processor )?vulnerable/i.test(t)) return 'vulnerable';
  if (/^(KVM: )?Mitigation/i.test(t)) return 'mitigated';
  return 'unclassified';
}

export interface VulnerabilityCounts {
  total: number;
  mitigated: number;
  vulnerable: number;
  notAffected: number;
  unclassified: number;
}

export function countVulnerabilities(v: Record<string, string>): VulnerabilityCounts {
  const c: VulnerabilityCounts = { total: 0, mitigated: 0, vulnerable: 0, notAffected: 0, unclassified: 0 };
  for (const text of Object.values(v)) {
    c.total++;
    const s = vulnerabilityState(text);
    if (s === 'mitigated') c.mitigated++;
    else if (s === 'vulnerable') c.vulnerable++;
    else if (s === 'not affected') c.notAffected++;
    else c.unclassified++;
  }
  return c;
}

/** "2 of 4 affected mitigated (2 vulnerable, 15 not affected)", or why it is unknown. */
export function vulnerabilitySummary(a: AppliedConfig | null): string {
  if (!a || a.vulnerabilities === undefined) return 'not reported';
  if (a.vulnerabilities === null) return `unknown: ${a.vulnerabilitiesReason ?? 'not readable'}`;
  const c = countVulnerabilities(a.vulnerabilities);
  if (!c.total) return 'the kernel lists none';
  const affected = c.total - c.notAffected;
  const rest = [c.vulnerable ? `${c.vulnerable} vulnerable` : '', c.notAffected ? `${c.notAffected} not affected` : '', c.unclassified ? `${c.unclassified} unclassified` : ''].filter(Boolean);
  const partial = a.vulnerabilitiesReason ? `; ${a.vulnerabilitiesReason}` : '';
  return `${c.mitigated} of ${affected} affected mitigated${rest.length ? ` (${rest.join(', ')})` : ''}${partial}`;
}

/** The mitigations= state a result ran under, as a heading: known value, kernel default, or unknown. */
export function mitigationLabel(a: AppliedConfig | null): string {
  if (!a || a.mitigations === undefined) return 'mitigations= not reported';
  if (a.mitigationsReason) return `mitigations= unknown (${a.mitigationsReason})`;
  return a.mitigations === null ? 'no mitigations= (kernel default: auto)' : `mitigations=${a.mitigations}`;
}

/** A median with its first and third quartile (null where per-batch figures are missing). */
export interface SpreadFigure {
  median: number;
  q1: number | null;
  q3: number | null;
}

export interface TaxOp {
  ns: SpreadFigure;
  /** TSC ticks per op; null where any pooled result lacks them (cyclesReason says why). */
  cycles: SpreadFigure | null;
  cyclesReason: string | null;
  batches: number;
}

export interface TaxRow {
  name: string;
  deployment: string;
  host: string;
  benchmark: string;
  kind: string;
  results: CompletedOpsResult[];
  vulnerabilities: string;
  getppid: TaxOp | null;
  func: TaxOp | null;
  /** getppid median / func median (ns). */
  ratio: number | null;
}

/**
 * Pools per-batch figures of one op over repetitions: median (the protocol's median) and
 * quartiles of all batches. With one result lacking per-batch figures, its own median is kept
 * and the quartiles are unknown; with several such results there is no pooled median (null).
 */
function pooled(figures: Array<{ median: number; raw: readonly number[] | undefined }>): SpreadFigure | null {
  if (figures.every((f) => f.raw?.length)) {
    const all = sorted(figures.flatMap((f) => f.raw!));
    return { median: median(all), ...quartiles(all) };
  }
  return figures.length === 1 ? { median: figures[0].median, q1: null, q3: null } : null;
}

function taxOp(results: CompletedOpsResult[], op: string): TaxOp | null {
  const stats = results.map((r) => r.ops[op]).filter((s): s is OpStat => s !== undefined);
  if (!stats.length || stats.length !== results.length) return null;
  const ns = pooled(stats.map((s) => ({ median: s.nsPerOp, raw: s.raw })));
  if (!ns) return null;
  const missing = stats.find((s) => !s.cycles);
  const cycles = missing ? null : pooled(stats.map((s) => ({ median: s.cycles!.perOp, raw: s.cycles!.raw })));
  const cyclesReason = cycles ? null : (missing?.cyclesReason ?? (missing ? 'no cycles recorded' : 'per-batch cycles missing'));
  return { ns, cycles, cyclesReason, batches: stats.reduce((a, s) => a + s.samples, 0) };
}

/**
 * The classic unikernel table: getppid (a no-op system call) against func (a function call)
 * per deployment, one table per mitigations= state of the kernel the probe ran on (a guest's
 * own kernel in a guest). Counted repetitions are pooled.
 */
export function syscallTax(record: RunRecord): Array<{ state: string; rows: TaxRow[] }> {
  const kinds = new Map((runScenario(record)?.deployments ?? []).map((d) => [d.name, d.kind]));
  const groups = new Map<string, { state: string; key: string; results: CompletedOpsResult[] }>();
  for (const r of countedResults(record)) {
    if (!isOpsResult(r) || (!r.ops.getppid && !r.ops.func)) continue;
    const state = mitigationLabel(r.applied);
    const key = `${state}\u0000${seriesName(record, r)}\u0000${r.benchmark}`;
    const g = groups.get(key) ?? { state, key, results: [] };
    g.results.push(r);
    groups.set(key, g);
  }
  const byState = new Map<string, TaxRow[]>();
  for (const g of groups.values()) {
    const r0 = g.results[0];
    const getppid = taxOp(g.results, 'getppid');
    const func = taxOp(g.results, 'func');
    const ratio = getppid && func && func.ns.median > 0 ? getppid.ns.median / func.ns.median : null;
    const rows = byState.get(g.state) ?? [];
    rows.push({
      name: seriesName(record, r0),
      deployment: r0.deployment,
      host: r0.host,
      benchmark: r0.benchmark,
      kind: kinds.get(r0.deployment) ?? '',
      results: g.results,
      vulnerabilities: [...new Set(g.results.map((r) => vulnerabilitySummary(r.applied)))].join(' / '),
      getppid,
      func,
      ratio,
    });
    byState.set(g.state, rows);
  }
  return [...byState].map(([state, rows]) => ({ state, rows }));
}
