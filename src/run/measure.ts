/** Runs one benchmark in one deployment and turns what it printed into result pieces. */
import { bareMetalRunner } from '../deploy/bare-metal.js';
import type { DeploymentRunner } from '../deploy/types.js';
import { cyclicInvocation, syscallInvocation } from '../bench/probe-args.js';
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

export async function measure(step: PlanStep, c: MeasureContext): Promise<Measured> {
  const b = step.benchmark;
  if (b.kind === 'cyclictest') throw new Error('the cyclictest benchmark is not available yet');
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
  return pieces.kind === 'cyclic'
    ? { status: 'completed', applied: pieces.applied, latency: pieces.latency, warnings, context }
    : { status: 'completed', applied: pieces.applied, ops: pieces.ops, ratios: pieces.ratios, warnings, context };
}

function runnerFor(step: PlanStep): DeploymentRunner {
  if (step.deployment.kind === 'bare-metal') return bareMetalRunner;
  throw new Error(`deployment kind ${step.deployment.kind} is not available yet`);
}
