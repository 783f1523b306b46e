/**
 * What a benchmark is to the run, and the registry of them by the scenario's `kind`: one module
 * a kind (cyclic.ts, syscall.ts, cyclictest.ts). A benchmark says how long a step should take,
 * how it runs (a probe mode that the deployment's runner starts, on bare metal or in a guest;
 * or a tool of its own on the host) and how what it printed becomes a Measured. run/measure.ts
 * asks the registry and knows no kind; a new kind is its module and its line in BENCHMARKS.
 */
import type { ProbeInvocation } from '../deploy/types.js';
import type { HostJournal } from '../prepare/journal.js';
import type { ProbeRun } from '../probe/protocol.js';
import type { AppliedConfig, LatencyResult, Ops, Tracing, Warning } from '../results/types.js';
import type { Benchmark as BenchmarkConfig, Deployment, RUNS_ON_PROBE } from '../scenario/schema.js';
import type { Transport } from '../transport/transport.js';
import { cyclic } from './cyclic.js';
import { cyclicdeadline } from './cyclicdeadline.js';
import { cyclictest } from './cyclictest.js';
import { syscall } from './syscall.js';
import { timerlat } from './timerlat.js';

/** A step's figures; run/ adds the result's key, times and load. */
export type Measured =
  | { status: 'completed'; applied: AppliedConfig | null; latency: LatencyResult; tracing?: Tracing; warnings: Warning[]; context?: Record<string, unknown> }
  | { status: 'completed'; applied: AppliedConfig | null; ops: Ops; ratios: Record<string, number>; warnings: Warning[]; context?: Record<string, unknown> };

/** What a benchmark reads of a plan step (run/plan.ts PlanStep). */
export interface BenchmarkStep<B extends BenchmarkConfig = BenchmarkConfig> {
  benchmark: B;
  deployment: Deployment;
  /** Measurement length in ns (the benchmark's override, else the scenario's duration). */
  durationNs: number;
}

/** What a benchmark uses of its host's session; run/measure.ts passes its MeasureContext as it is. */
export interface BenchmarkContext {
  transport: Transport;
  signal: AbortSignal;
  /** The host's undo journal, the run folder, the step's file label and the static probe (run/measure.ts gives them; timerlat needs them). */
  journal?: HostJournal;
  runDir?: string;
  stepLabel?: string;
  staticProbe?: () => Promise<string>;
}

interface BenchmarkBase<B extends BenchmarkConfig> {
  kind: B['kind'];
  /** How long a step should take (ms): the background load's safety limit is made of it. */
  expectedMs(step: BenchmarkStep<B>): number;
}

/** A mode of the probe, run by the deployment's runner (bare metal, or a guest, where steps share a boot). */
export interface ProbeBenchmark<B extends BenchmarkConfig> extends BenchmarkBase<B> {
  runs: 'probe';
  invocation(step: BenchmarkStep<B>): ProbeInvocation;
  /** The step's probe run, complete up to its `done`, as the record's figures; `noise` is the last console lines. */
  measured(step: BenchmarkStep<B>, run: ProbeRun, noise: string[], c: BenchmarkContext): Promise<Measured>;
}

/** A tool of its own that the benchmark runs on the host, one step at a time. */
export interface ToolBenchmark<B extends BenchmarkConfig> extends BenchmarkBase<B> {
  runs: 'tool';
  measure(step: BenchmarkStep<B>, c: BenchmarkContext): Promise<Measured>;
}

export type Benchmark<B extends BenchmarkConfig = BenchmarkConfig> = ProbeBenchmark<B> | ToolBenchmark<B>;

/** One benchmark for every kind of the scenario schema, probe or tool as RUNS_ON_PROBE says (else it does not compile). */
const BENCHMARKS: {
  [K in BenchmarkConfig['kind']]: (typeof RUNS_ON_PROBE)[K] extends true ? ProbeBenchmark<Extract<BenchmarkConfig, { kind: K }>> : ToolBenchmark<Extract<BenchmarkConfig, { kind: K }>>;
} = {
  cyclic,
  syscall,
  cyclictest,
  cyclicdeadline,
  timerlat,
};

/** The benchmark of a scenario benchmark's kind. */
export function benchmarkFor<B extends BenchmarkConfig>(b: B): Benchmark<B> {
  return BENCHMARKS[b.kind] as unknown as Benchmark<B>;
}
