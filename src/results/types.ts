import type { Scenario } from '../scenario/schema.js';
import type { Comparison, GateOutcome } from './comparison.js';
import type { HostFacts } from './facts.js';
import type { Check } from './readiness.js';
import type { HistogramData } from './histogram.js';
import type { RecordProvenance } from './provenance.js';

/** 2: readiness, plan, gates and comparisons are top-level fields (1 had them in `extra`); see migrateRunRecord. */
export const SCHEMA_VERSION = 2;

/** Latency figures of one histogram, all in nanoseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
}

/** The percentiles of a LatencySummary. */
export type PercentileKey = 'p50' | 'p90' | 'p99' | 'p999' | 'p9999';

/** A summary that says which of its percentiles are only lower bounds. */
export interface MarkedSummary extends LatencySummary {
  /**
   * Percentiles that are only lower bounds: they fall among samples a tool counted at its
   * histogram's range (cyclictest's overflows), whose true values are at or above it. Absent: none.
   */
  lowerBounds?: PercentileKey[];
}

/** One second of one thread's run: what a latency-over-time plot needs. */
export interface SeriesPoint {
  /** Seconds since the measurement started. */
  t: number;
  count: number;
  min: number;
  max: number;
  mean: number;
}

export interface Spike {
  thread: number;
  /** ns since the measurement started. */
  t: number;
  latency: number;
}

export interface ThreadLatency {
  thread: number;
  cpu: number | null;
  /** Interval of this thread in ns (interval + thread * distance). */
  intervalNs: number;
  summary: MarkedSummary;
  histogram: HistogramData;
  series: SeriesPoint[];
  /**
   * Seconds each series point spans, when more than one: a run longer than SERIES_MAX_POINTS
   * seconds (probe/protocol.ts) keeps its series downsampled, each point the count, min, max and
   * mean of that many seconds from its t. Absent: one point per second (older records too).
   */
  seriesSeconds?: number;
  /** This thread's samples beyond a tool's histogram range (counted at the range); absent: none. */
  overflows?: number;
  /**
   * rtla timerlat: which latency of its CPU this is: at the timer IRQ, at the timerlat thread's
   * wake-up, or back in user space (-u). Absent: a wake-up latency of a thread (every other kind).
   */
  context?: 'irq' | 'thread' | 'user';
}

export interface LatencyResult extends MarkedSummary {
  histogram: HistogramData;
  threads: ThreadLatency[];
  spikes: Spike[];
  /**
   * Spikes counted but not listed: beyond the probe's bounded spike buffer, or counted from a
   * histogram (an imported cyclictest file), which has no times.
   */
  spikesDropped: number;
  /** The threshold spikes were counted above (ns); absent where the count is not known for a threshold (old records, the probe's own). */
  spikeThresholdNs?: number;
  /** Samples beyond a tool's histogram range (cyclictest's overflows); counted, not dropped. */
  overflows?: number;
  /**
   * The input's quantization: values were read in whole units of this many ns (cyclictest: 1000,
   * or 1 with -N), a value v standing for [v, v + resolutionNs). Absent: the probe's own ns.
   */
  resolutionNs?: number;
}

/** One thread's latency as a parser reads it: its histogram and series, no summary. */
export interface ThreadFigures extends Omit<ThreadLatency, 'summary'> {
  /** The tool kept no histogram (cyclictest without -h): count, min, max and sum only, no percentiles. */
  noDistribution?: true;
}

/**
 * A latency measurement as a parser reads it (per-thread histograms, spikes, counts);
 * stats/summary.ts computes the LatencyResult's summaries from it.
 */
export interface LatencyFigures extends Pick<LatencyResult, 'spikes' | 'spikesDropped' | 'spikeThresholdNs' | 'resolutionNs'> {
  threads: ThreadFigures[];
  overflows: number;
}

export interface OpStat {
  /** Median of per-batch ns/op samples. */
  nsPerOp: number;
  /** 95% interval of the median. */
  ciLow: number;
  ciHigh: number;
  /** Number of batches. */
  samples: number;
  iterationsPerBatch: number;
  /** Raw per-batch ns/op figures. */
  raw: number[];
  /**
   * TSC ticks per op: median of the per-batch figures with its 95% interval (the same method
   * as nsPerOp). null where they were not measured (TSC not invariant, not x86-64, unpinned):
   * cyclesReason says why. Absent in records written before cycles existed.
   */
  cycles?: CyclesStat | null;
  cyclesReason?: string;
}

/** One op as a parser reads it: the per-batch figures; stats/summary.ts computes its OpStat. */
export type OpFigures = Pick<OpStat, 'iterationsPerBatch' | 'raw'> &
  ({ /** TSC ticks per op, one per batch. */ cycles: number[] } | { cycles: null; cyclesReason: string });

/** TSC ticks per op. An invariant TSC ticks at a fixed rate (its nominal frequency), so these are
 * reference cycles, not core clock cycles when the core runs faster or slower. */
export interface CyclesStat {
  perOp: number;
  ciLow: number;
  ciHigh: number;
  /** Per-batch figures, in the same order as OpStat.raw. */
  raw: number[];
}

/** The TSC as the probe found it (syscall mode). */
export interface TscState {
  /** CPUID 0x80000007 EDX bit 8 set and the kernel's flags (where readable) agree. */
  invariant: boolean;
  /** CPUID 0x80000007 EDX bit 8; null when not x86-64 or the leaf is missing. */
  cpuid: boolean | null;
  /** constant_tsc / nonstop_tsc in /proc/cpuinfo flags; null when no flags line was readable. */
  constantTsc: boolean | null;
  nonstopTsc: boolean | null;
  /** Cycles were recorded in this run (invariant and pinned to one CPU). */
  measured: boolean;
  /** Why they were not (null when measured). */
  reason: string | null;
}

export type Ops = Record<string, OpStat>;

/** What the probe says it really ran with (not what was asked). */
export interface AppliedConfig {
  /** cyclictest, cyclicdeadline: rt-tests' own tool ran instead of the probe (probeVersion names its version). */
  mode: 'cyclic' | 'syscall' | 'cyclictest' | 'cyclicdeadline' | 'timerlat';
  policy: string;
  priority: number;
  threads: number;
  intervalNs?: number;
  distanceNs?: number;
  affinity: number[];
  mlockall: boolean;
  dmaLatency: boolean;
  clockResolutionNs: number;
  /** Cost of the probe's own timing loop (clock read pair), ns. */
  loopOverheadNs?: number;
  probeVersion: string;
  kernel?: string;
  uptimeS?: number;
  /**
   * /sys/devices/system/cpu/vulnerabilities of the kernel the probe ran on (a guest's own kernel
   * in a guest), file name -> text; null when unreadable (vulnerabilitiesReason says why).
   * Absent for cyclictest and in records of older probes.
   */
  vulnerabilities?: Record<string, string> | null;
  /** Why vulnerabilities is null or incomplete; null when every file was read. */
  vulnerabilitiesReason?: string | null;
  /** The mitigations= value of that kernel's command line; null when absent (the kernel default, auto) or unreadable (mitigationsReason says which). */
  mitigations?: string | null;
  /** Why the kernel's command line could not be read; null when it was. */
  mitigationsReason?: string | null;
  /** syscall mode: the TSC state behind the op's cycles. */
  tsc?: TscState;
}

export interface ResultKey {
  deployment: string;
  benchmark: string;
  host: string;
  repetition: number;
  /** Position in the executed order (interleaving). */
  order: number;
}

export interface Warning {
  code: string;
  message: string;
}

interface ResultBase extends ResultKey {
  kind: 'cyclic' | 'syscall' | 'cyclictest' | 'cyclicdeadline' | 'timerlat';
  startedAt: string;
  endedAt: string;
  warnings: Warning[];
  /** Extra measurement context (boot time, load, guest info). */
  context?: ResultContext;
}

/**
 * Where a guest's boot time went (measured by deploy/guest/qemu.ts), in ms; null where it cannot be known. Host-clock figures are
 * measured from QEMU's start at the controller; guest-clock ones come from the guest kernel's
 * printk times and the probe's /proc/uptime (10 ms resolution).
 */
export interface BootPhases {
  /** QEMU start to `cont`: the harness pinning the paused vCPUs over QMP. */
  pausedMs: number | null;
  /** QEMU start to the first console byte (firmware's banner, or the kernel's first line). */
  firstConsoleMs: number | null;
  /** QEMU start to the guest kernel's start: when its init line arrived minus that line's printk time (firmware, kernel load and decompression). */
  kernelStartMs: number | null;
  /** The guest kernel's own printk time when it started init (`Run /init as init process`). */
  kernelToInitMs: number | null;
  /** From that moment to the probe's start, by the guest's clock. */
  initToProbeMs: number | null;
  /** QEMU start to the probe's first line at the controller. */
  totalMs: number | null;
}

/**
 * What a result carries beyond its figures. The fields the reports read are typed; the rest
 * (guest kernel, QEMU version, log paths...) is kept as written, so the bag stays open.
 */
export interface ResultContext {
  /** Guests: QEMU start to the probe's first line. */
  bootMs?: number | null;
  boot?: BootPhases;
  /** Which benchmark of its boot this was (index 0 stands for the boot). */
  bootShare?: { index: number; of: number; freshBoot: boolean };
  /** boot: snapshot: QEMU start to the probe's first line after the restore. */
  restoreMs?: number | null;
  snapshot?: { coldBootMs: number | null; coldBoot?: BootPhases; savedMs?: number | null; stateBytes?: number | null; consoleLog?: string | null };
  accel?: 'kvm' | 'tcg';
  deploymentKind?: string;
  /** The background load that ran during the measurement. */
  load?: { tool: string; commandLine: string[]; cpus: string | number[] | null; startedAt: string; ranMs: number; diedEarly: boolean; exitCode: number | null };
  /** unilat import: the file the result came from. */
  import?: { file: string; format: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface CompletedLatencyResult extends ResultBase {
  status: 'completed';
  applied: AppliedConfig | null;
  latency: LatencyResult;
  /** Kernel tracing ran during the measurement (it changes what is measured), and what it caught. */
  tracing?: Tracing;
  ops?: undefined;
}

/** What was traced and the spikes that stopped a trace (prepare/tracing.ts, bench/trace/). */
export interface Tracing {
  thresholdNs: number;
  maxTraces: number;
  bufferKb: number;
  /** ftrace's clock, the measurement's own: mono or mono_raw. */
  clock: string;
  events: string[];
  /** Events of the set the kernel lacks. */
  missing: string[];
  spikes: TracedSpike[];
}

export interface TracedSpike {
  /** Which trace (ftrace instance) it stopped: 0 for the first spike over the threshold. */
  trace: number;
  thread: number;
  tid: number;
  cpu: number;
  /** On the measurement clock (ns). */
  plannedNs: number;
  actualNs: number;
  latencyNs: number;
  /** The raw window kept in the run folder (relative to it), null when none could be kept. */
  file: string | null;
  attribution: Attribution | null;
  /** Why there is no attribution. */
  error?: string;
}

/** What ran on the late CPU between the planned and the actual wake-up, ranked by time. */
export interface Attribution {
  windowNs: number;
  /** The part of the window the trace covers (events are stamped in whole µs). */
  coveredNs: number;
  /** From the planned wake-up to the kernel waking the thread (sched_wakeup: the timer's part), null when not in the trace. */
  wokenAfterNs: number | null;
  /** From the planned wake-up to the thread switched in (sched_switch): the rest is the thread's own way back to user space. */
  switchedInAfterNs: number | null;
  entries: AttributionEntry[];
}

export interface AttributionEntry {
  /** irq: a device IRQ handler; vector: a timer or IPI vector; softirq; thread: a task; idle: the CPU was idle (pid 0); self: the late thread itself, switching in. */
  kind: 'irq' | 'vector' | 'softirq' | 'thread' | 'idle' | 'self';
  /** IRQ name, vector or softirq name, or the thread's comm. */
  name: string;
  ns: number;
  /** How many times it began in the window (0: it was already running when the window opened). */
  count: number;
  irq?: number;
  vector?: number;
  pid?: number;
  /** From the kernel's prio: deadline, rt (fifo or rr) or other. */
  policy?: 'deadline' | 'rt' | 'other';
  /** rt: its real-time priority (1..99); other: its nice value. */
  priority?: number;
}

export interface CompletedOpsResult extends ResultBase {
  status: 'completed';
  applied: AppliedConfig | null;
  ops: Ops;
  /** syscall ns/op divided by function call ns/op, per syscall op. */
  ratios: Record<string, number>;
  latency?: undefined;
}

export interface FailedResult extends ResultBase {
  status: 'failed' | 'aborted';
  error: string;
}

export type Result = CompletedLatencyResult | CompletedOpsResult | FailedResult;

/** One figure of a run as the history stores it (repetition null: pooled over counted repetitions). */
export interface MetricRow {
  deployment: string;
  benchmark: string;
  host: string;
  repetition: number | null;
  metric: string;
  value: number;
}

export interface TuningChange {
  host: string;
  knob: string;
  path: string;
  before: string;
  after: string;
  restored: boolean;
}

export interface RunRecord {
  schemaVersion: number;
  id: string;
  tool: { name: 'unilat'; version: string };
  startedAt: string;
  endedAt: string | null;
  /** 'completed' only when every planned step ran; 'partial' when some failed; 'aborted' on a signal. */
  status: 'running' | 'completed' | 'partial' | 'aborted' | 'failed';
  /** The scenario as resolved (defaults filled in), or what an import came from; and its file. */
  scenario: Scenario | ImportedScenario;
  scenarioFile: string | null;
  /** Facts per host, as gathered before anything changed. */
  facts: Record<string, HostFacts>;
  /** Real-time readiness checklist per host, from those facts. */
  readiness: Record<string, Check[]>;
  /** The executed order; absent for imports. */
  plan?: RunPlan;
  tuning: TuningChange[];
  results: Result[];
  warnings: Warning[];
  /** Errors that ended a host's work, by host. */
  hostErrors: Record<string, string>;
  /** Scenario gates and their outcomes; absent when the scenario has none. */
  gates?: GateOutcome[];
  /** Each deployment against the first, when a scenario has several; absent otherwise. */
  comparisons?: Comparison[];
  /** What the command line changed of the scenario (`unilat run --duration ...`); absent in older records and imports. */
  overrides?: RunOverrides;
  /** Scenario hash, labels and CI job of the run (results/provenance.ts); absent in older records and imports. */
  provenance?: RecordProvenance;
}

/**
 * The command-line options of `unilat run` that change what runs or how: recorded as given, so
 * the record says what ran. The resolved scenario stored has the duration applied already.
 */
export interface RunOverrides {
  /** --duration: every latency benchmark's length (ns), instead of the scenario's. */
  durationNs?: number;
  /** --only: the deployments and/or benchmarks kept. */
  only?: string[];
  /** --parallel: hosts measured at the same time. */
  parallel?: number;
  /** --wait-lock: how long a host's lock was waited for (ms; 0: a locked host failed at once). */
  waitLockMs?: number;
}

/** `unilat import` has no scenario: its name and the files it read stand in. */
export interface ImportedScenario {
  name: string;
  imported: string[];
}

export interface RunPlan {
  steps: number;
  /** "host:deployment/benchmark#repetition", in executed order. */
  order: string[];
}

/** The resolved scenario of a run, null for an import. */
export function runScenario(record: RunRecord): Scenario | null {
  return 'imported' in record.scenario ? null : record.scenario;
}

export function isLatencyResult(r: Result): r is CompletedLatencyResult {
  return r.status === 'completed' && r.latency !== undefined;
}

export function isOpsResult(r: Result): r is CompletedOpsResult {
  return r.status === 'completed' && r.ops !== undefined;
}
