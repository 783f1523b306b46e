/** Runs one benchmark in one deployment and turns what it printed into result pieces. */
import { bareMetalRunner } from '../deploy/bare-metal.js';
import { createGuestRunner } from '../deploy/guest/runner.js';
import type { DeploymentRunInfo, DeploymentRunner } from '../deploy/types.js';
import { benchmarkFor, type Measured } from '../bench/benchmark.js';
import { startLoad, type LoadStopResult } from '../bench/load.js';
import { ProtocolParser, checkComplete, scriptSteps } from '../probe/protocol.js';
import type { PlanStep } from './plan.js';
import { traceStep } from './trace.js';
import type { HostJournal } from '../prepare/journal.js';
import type { Load } from '../scenario/schema.js';
import type { Warning } from '../results/types.js';
import { TransportError, type Transport } from '../transport/transport.js';

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
  /** The host's undo journal (loads, guests, their folders). */
  journal: HostJournal;
}

export type { Measured };

/** One step's outcome within a group: what it measured, or why it has no figures. */
export type StepMeasure = { ok: Measured } | { error: Error };

/**
 * Measures a group of steps with the background load (deployment's, else the scenario's)
 * running around all of them. A group is one step, or a guest boot's steps (PlanStep.boot),
 * which run in one boot in order; each step gets its own outcome, so one that failed costs
 * the others nothing.
 */
export async function measure(steps: PlanStep[], c: MeasureContext): Promise<StepMeasure[]> {
  const load = steps[0].deployment.load ?? c.scenarioLoad;
  if (!load) return measureOnly(steps, c);
  const handle = await startLoad(c.transport, load, {
    journal: c.journal,
    signal: c.signal,
    // If the controller dies, the load still ends by itself on the host.
    maxRunMs: steps.reduce((a, st) => a + expectedMs(st), 0) * 3 + 600_000,
  });
  let stopped: LoadStopResult | undefined;
  try {
    const ms = await measureOnly(steps, c);
    stopped = await handle.stop();
    const loadContext = { tool: load.tool, commandLine: handle.commandLine, cpus: load.cpus ?? null, startedAt: handle.startedAt.toISOString(), ranMs: stopped.ranMs, diedEarly: stopped.diedEarly, exitCode: stopped.exitCode };
    const died: Warning[] = stopped.diedEarly
      ? [
          {
            code: 'load-died',
            message: `the background load (${handle.commandLine.join(' ')}) ended before the measurement did (exit ${stopped.exitCode}): part of this measurement ran without load${stopped.stderrTail ? `; it said: ${stopped.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
          },
        ]
      : [];
    return ms.map((m) => ('ok' in m ? { ok: { ...m.ok, context: { ...m.ok.context, load: loadContext }, warnings: [...m.ok.warnings, ...died] } } : m));
  } finally {
    if (!stopped) await handle.stop().catch(() => {});
  }
}

function expectedMs(step: PlanStep): number {
  return benchmarkFor(step.benchmark).expectedMs(step);
}

/**
 * The group's measurement: a benchmark with a tool of its own runs it (one step a group); probe
 * benchmarks run as one probe invocation each through the deployment's runner, and each turns
 * its part of the stream into figures.
 */
async function measureOnly(steps: PlanStep[], c: MeasureContext): Promise<StepMeasure[]> {
  const first = steps[0];
  const own = benchmarkFor(first.benchmark);
  if (own.runs === 'tool') {
    if (steps.length !== 1) throw new Error(`${own.kind} steps run one at a time`);
    return [{ ok: await own.measure(first, c) }];
  }
  const benchmarks = steps.map((st) => {
    const b = benchmarkFor(st.benchmark);
    if (b.runs !== 'probe') throw new Error(`${b.kind} cannot share a guest boot`);
    return b;
  });
  const tracing = await traceStep(steps, c);
  const invs = steps.map((st, i) => benchmarks[i].invocation(st));
  invs[0].args.push(...tracing.args);
  const runner = runnerFor(first);
  const parser = new ProtocolParser();
  let runs = 0;
  let info: DeploymentRunInfo | null = null;
  let failure: Error | null = null;
  let traced: Awaited<ReturnType<typeof tracing.finish>> = { warnings: [] };
  try {
    info = await runner.runProbes(invs, {
      transport: c.transport,
      probePath: first.deployment.kind === 'bare-metal' ? await c.probe() : '',
      staticProbe: c.staticProbe,
      runDir: c.runDir,
      stepLabel: c.stepLabel,
      signal: c.signal,
      journal: c.journal,
      onData: (chunk) => {
        for (const m of parser.push(chunk)) {
          if (m.type === 'hello') runs++;
          if (m.type === 'progress' && m.totalMs > 0) c.onProgress((runs - 1 + m.elapsedMs / m.totalMs) / steps.length);
        }
      },
    });
  } catch (e) {
    // An interrupted run, or a lost host, is the caller's to handle for every step alike.
    if (c.signal.aborted || e instanceof TransportError) throw e;
    failure = e as Error;
  } finally {
    traced = await tracing.finish();
  }
  parser.end();
  const noise = parser.noise();
  const parts = scriptSteps(parser.messages, steps.length);
  const out: StepMeasure[] = [];
  for (const [i, st] of steps.entries()) {
    const p = parts[i];
    try {
      if (p.error) throw new Error(`the probe could not run it: ${p.error.message}`);
      // A failed boot loses only the steps it had not finished.
      if (!p.run?.done && failure) throw failure;
      if (!p.run) throw new Error('the probe stream has no run for this step');
      checkComplete(p.run, noise);
      const m = await benchmarks[i].measured(st, p.run, noise, c);
      // Which of its boot's benchmarks this was: boot figures belong to the boot, not to each.
      const bootShare = st.boot && st.deployment.kind !== 'bare-metal' ? { bootShare: { index: st.boot.index, of: st.boot.size, freshBoot: st.deployment.freshBoot } } : {};
      const context = { ...info?.context, ...bootShare };
      const t = i === 0 && 'latency' in m ? { ...(traced.tracing ? { tracing: traced.tracing } : {}), warnings: [...m.warnings, ...traced.warnings, ...(info?.warnings ?? [])] } : { warnings: [...m.warnings, ...(info?.warnings ?? [])] };
      out.push({ ok: { ...m, ...t, context: Object.keys(context).length ? context : undefined } });
    } catch (e) {
      out.push({ error: e as Error });
    }
  }
  return out;
}

function runnerFor(step: PlanStep): DeploymentRunner {
  return step.deployment.kind === 'bare-metal' ? bareMetalRunner : createGuestRunner(step.deployment);
}
