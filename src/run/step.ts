/**
 * One plan step on one host: tuning applied (journaled), load started, the benchmark run in
 * its deployment, the probe's stream parsed, then load stopped and tuning restored, always.
 */
import type { ResolvedHost } from '../hosts/inventory.js';
import type { PlanStep } from '../scenario/plan.js';
import type { FailedResult, Result, RunRecord, Warning } from '../results/types.js';
import { TuningJournal, applyTuning, type TuningKnobs } from '../target/tuning.js';
import { provisionProbe, buildLocalProbe, type ProvisionedProbe } from '../target/probe.js';
import { TransportError, type Transport } from '../transport/transport.js';
import type { Progress } from './progress.js';
import { measure } from './measure.js';

export interface HostSession {
  host: ResolvedHost;
  transport: Transport;
  runDir: string;
  record: RunRecord;
  progress: Progress;
  signal: AbortSignal;
  save: () => Promise<void>;
  /** Filled on first use: the probe on this host. */
  probe?: Promise<ProvisionedProbe>;
}

export interface StepOutcome {
  result: Result;
  /** Set when the host itself is lost: the remaining steps cannot run. */
  fatal?: string;
}

export async function runStep(step: PlanStep, s: HostSession): Promise<StepOutcome> {
  const startedAt = new Date().toISOString();
  const warnings: Warning[] = [];
  const t = s.transport;
  let journal: TuningJournal | undefined;
  try {
    const knobs = tuningKnobs(step);
    if (knobs) {
      journal = new TuningJournal(t, { runId: `${s.record.id}-${step.order}` });
      const rep = await applyTuning(t, knobs, journal);
      for (const n of rep.notes) warnings.push({ code: 'tuning-note', message: n });
    }
    const m = await measure(step, {
      transport: t,
      runDir: s.runDir,
      signal: s.signal,
      probe: () => (s.probe ??= provisionProbe(t)).then((p) => p.path),
      staticProbe: () => buildLocalProbe({ static: true }),
      onProgress: (f) => s.progress.fraction(s.host.name, f),
      stepLabel: `${step.deployment.name}-${step.benchmark.name}-r${step.repetition}`,
      scenarioLoad: (s.record.scenario as { load?: PlanStep['deployment']['load'] }).load,
    });
    return {
      result: {
        ...m,
        kind: step.benchmark.kind,
        deployment: step.deployment.name,
        benchmark: step.benchmark.name,
        host: step.host,
        repetition: step.repetition,
        order: step.order,
        startedAt,
        endedAt: new Date().toISOString(),
        warnings: [...warnings, ...m.warnings],
      } as Result,
    };
  } catch (e) {
    const aborted = s.signal.aborted;
    const msg = (e as Error).message;
    const r = failed(step, aborted ? 'aborted' : 'failed', `${stepLabel(step)}: ${msg}`);
    r.startedAt = startedAt;
    r.warnings = warnings;
    return { result: r, fatal: e instanceof TransportError ? msg : undefined };
  } finally {
    if (journal) {
      const rep = await journal.restore().catch((e: Error) => ({ errors: [e.message], changes: journal!.changes() }));
      s.record.tuning.push(...rep.changes);
      for (const e of rep.errors) s.record.warnings.push({ code: 'tuning-not-restored', message: `${t.name}: ${e}` });
      await s.save();
    }
  }
}

function tuningKnobs(step: PlanStep): TuningKnobs | null {
  const k = step.deployment.tuning;
  if (!k) return null;
  const knobs: TuningKnobs = {
    governor: k.governor,
    rtThrottling: k.rtThrottling,
    irqAffinity: k.irqAffinity?.join(','),
    dmaLatency: k.dmaLatency,
  };
  return Object.values(knobs).some((v) => v !== undefined) ? knobs : null;
}

export function stepLabel(s: PlanStep): string {
  return `${s.deployment.name}/${s.benchmark.name} ${s.warmup ? 'warm-up' : `rep ${s.repetition}`}`;
}

export function failed(s: PlanStep, status: 'failed' | 'aborted', error: string): FailedResult {
  const now = new Date().toISOString();
  return {
    status,
    error,
    kind: s.benchmark.kind,
    deployment: s.deployment.name,
    benchmark: s.benchmark.name,
    host: s.host,
    repetition: s.repetition,
    order: s.order,
    startedAt: now,
    endedAt: now,
    warnings: [],
  };
}
