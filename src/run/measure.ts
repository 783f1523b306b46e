/** Runs one benchmark in one deployment and turns what it printed into result pieces. */
import { bareMetalRunner } from '../deploy/bare-metal.js';
import { createGuestRunner } from '../deploy/guest/runner.js';
import type { DeploymentRunner } from '../deploy/types.js';
import { cyclicInvocation, syscallInvocation } from '../bench/probe-args.js';
import { runCyclictest, type CyclictestApplied } from '../bench/cyclictest.js';
import { startLoad, type LoadStopResult } from '../bench/load.js';
import { perfSyscallBasic } from '../bench/perf-syscall.js';
import { ProtocolParser, assembleRun, singleRun } from '../probe/protocol.js';
import type { PlanStep } from '../scenario/plan.js';
import type { Load } from '../scenario/schema.js';
import type { AppliedConfig, LatencyResult, Ops, Warning } from '../results/types.js';
import type { Transport } from '../transport/transport.js';

export interface MeasureContext {
  transport: Transport;
  runDir: string;
  signal: AbortSignal;
  /** The probe binary's path on the host (provisioned on first use). */
  probe: () => Promise<string>;
  staticProbe: () => Promise<string>;
  onProgress: (fraction: number) => void;
  stepLabel: string;
  scenarioLoad?: Load;
}

export type Measured =
  | { status: 'completed'; applied: AppliedConfig | null; latency: LatencyResult; warnings: Warning[]; context?: Record<string, unknown> }
  | { status: 'completed'; applied: AppliedConfig | null; ops: Ops; ratios: Record<string, number>; warnings: Warning[]; context?: Record<string, unknown> };

/** Measures with the step's background load (deployment's, else the scenario's) running around it. */
export async function measure(step: PlanStep, c: MeasureContext): Promise<Measured> {
  const load = step.deployment.load ?? c.scenarioLoad;
  if (!load) return measureOnly(step, c);
  const handle = await startLoad(c.transport, load, {
    signal: c.signal,
    // If the controller dies, the load still ends by itself on the host.
    maxRunMs: expectedMs(step) * 3 + 600_000,
  });
  let stopped: LoadStopResult | undefined;
  try {
    const m = await measureOnly(step, c);
    stopped = await handle.stop();
    const context = {
      ...m.context,
      load: { tool: load.tool, commandLine: handle.commandLine, cpus: load.cpus ?? null, startedAt: handle.startedAt.toISOString(), ranMs: stopped.ranMs, diedEarly: stopped.diedEarly, exitCode: stopped.exitCode },
    };
    const warnings = [...m.warnings];
    if (stopped.diedEarly)
      warnings.push({
        code: 'load-died',
        message: `the background load (${handle.commandLine.join(' ')}) ended before the measurement did (exit ${stopped.exitCode}): part of this measurement ran without load${stopped.stderrTail ? `; it said: ${stopped.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
      });
    return { ...m, context, warnings };
  } finally {
    if (!stopped) await handle.stop().catch(() => {});
  }
}

function expectedMs(step: PlanStep): number {
  const b = step.benchmark;
  return b.kind === 'syscall' ? syscallInvocation(b).expectedMs : b.loops !== undefined ? ((b.interval + (b.threads - 1) * b.distance) * b.loops) / 1e6 : step.durationNs / 1e6;
}

async function measureOnly(step: PlanStep, c: MeasureContext): Promise<Measured> {
  const b = step.benchmark;
  if (b.kind === 'cyclictest') {
    if (step.deployment.kind !== 'bare-metal') throw new Error(`cyclictest runs on bare metal only (deployment ${step.deployment.name} is ${step.deployment.kind}); use kind: cyclic inside guests`);
    const r = await runCyclictest(c.transport, b, step.durationNs, { signal: c.signal });
    return { status: 'completed', applied: cyclictestApplied(r.applied), latency: r.latency, warnings: r.warnings, context: { cyclictest: r.applied } };
  }
  const inv = b.kind === 'cyclic' ? cyclicInvocation(b, step.durationNs) : syscallInvocation(b);
  const runner = runnerFor(step);
  const parser = new ProtocolParser();
  const info = await runner.runProbe(inv, {
    transport: c.transport,
    probePath: step.deployment.kind === 'bare-metal' ? await c.probe() : '',
    staticProbe: c.staticProbe,
    runDir: c.runDir,
    stepLabel: c.stepLabel,
    signal: c.signal,
    onData: (chunk) => {
      for (const m of parser.push(chunk))
        if (m.type === 'progress' && m.totalMs > 0) c.onProgress(m.elapsedMs / m.totalMs);
    },
  });
  parser.end();
  const pieces = assembleRun(singleRun(parser.messages, parser.noise()), parser.noise());
  const warnings = [...pieces.warnings, ...info.warnings];
  const context = Object.keys(info.context).length ? info.context : undefined;
  if (pieces.kind === 'cyclic') return { status: 'completed', applied: pieces.applied, latency: pieces.latency, warnings, context };
  const ops = { ...pieces.ops };
  if (b.kind === 'syscall' && b.perf) {
    if (step.deployment.kind !== 'bare-metal') warnings.push({ code: 'no-perf', message: 'the perf cross-check runs on bare metal only' });
    else {
      const p = await perfSyscallBasic(c.transport, c.signal);
      warnings.push(...p.warnings);
      // Named apart from the probe's ops: it is another instrument's figure for the same call.
      if (p.op) ops['perf:getppid'] = p.op;
    }
  }
  return { status: 'completed', applied: pieces.applied, ops, ratios: pieces.ratios, warnings, context };
}

/** cyclictest's own account, in the run record's terms. */
function cyclictestApplied(a: CyclictestApplied): AppliedConfig {
  return {
    mode: 'cyclictest',
    policy: a.policy ?? 'unknown',
    priority: a.priority ?? 0,
    threads: a.request.threads,
    intervalNs: a.request.intervalUs * 1000,
    distanceNs: a.request.distanceUs * 1000,
    affinity: a.cpus.filter((x): x is number => x !== null),
    mlockall: a.request.mlockall,
    dmaLatency: a.dmaLatencyUs !== null,
    clockResolutionNs: 1000,
    probeVersion: `cyclictest ${a.version ?? '?'}`,
  };
}

function runnerFor(step: PlanStep): DeploymentRunner {
  return step.deployment.kind === 'bare-metal' ? bareMetalRunner : createGuestRunner(step.deployment);
}
