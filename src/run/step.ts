/**
 * Plan steps on one host: tuning applied, load started, the benchmarks run in their deployment,
 * the probe's stream parsed, then load stopped and tuning restored, always: everything a step
 * changes is in the host's journal, and what its owner did not undo is undone at the step's end.
 */
import type { ResolvedHost } from '../hosts/inventory.js';
import { fileSafe } from '../names.js';
import type { PlanStep } from './plan.js';
import { runScenario, type FailedResult, type Result, type RunRecord, type Warning } from '../results/types.js';
import { applyTuning, type TuningKnobs } from '../prepare/tuning.js';
import type { HostJournal } from '../prepare/journal.js';
import type { HostHome } from '../prepare/home.js';
import { provisionProbe, buildLocalProbe, type ProvisionedProbe } from '../prepare/probe.js';
import { TransportError, type Transport } from '../transport/transport.js';
import { PHASES, type Progress } from './progress.js';
import { measure } from './measure.js';

export interface HostSession {
  host: ResolvedHost;
  transport: Transport;
  /** unilat's private home on the host (probe cache, journals, lock). */
  home: HostHome;
  runDir: string;
  record: RunRecord;
  progress: Progress;
  signal: AbortSignal;
  save: () => Promise<void>;
  /** Every change to this host, undone step by step and, for what remains, when the host's part ends. */
  journal: HostJournal;
  /** Filled on first use: the probe on this host. */
  probe?: Promise<ProvisionedProbe>;
}

export interface StepOutcome {
  /** One per step of the group, in its order. */
  results: Result[];
  /** Set when the host itself is lost: the remaining steps cannot run. */
  fatal?: string;
}

/**
 * Runs a group of steps of one deployment (one step, or a guest boot's steps): tuning applied
 * once around them (journaled), the measurement, then tuning restored, always.
 */
export async function runSteps(steps: PlanStep[], s: HostSession): Promise<StepOutcome> {
  const startedAt = new Date().toISOString();
  const warnings: Warning[] = [];
  const t = s.transport;
  const first = steps[0];
  const journal = s.journal;
  const mark = journal.mark();
  try {
    const knobs = tuningKnobs(first);
    const phase = (name: string) => s.progress.phase(s.host.name, name);
    let guestProbe: Promise<string> | undefined;
    if (knobs) {
      phase(PHASES.tuning);
      const rep = await applyTuning(t, knobs, journal);
      for (const n of rep.notes) warnings.push({ code: 'tuning-note', message: n });
    }
    const ms = await measure(steps, {
      transport: t,
      runDir: s.runDir,
      signal: s.signal,
      probe: () => (s.probe ??= (phase(PHASES.probe), provisionProbe(t, s.home))).then((p) => p.path),
      // The guest's runner builds its probe, then boots the guest (later calls, for the TSC rate, say nothing).
      staticProbe: () => (guestProbe ??= (phase(PHASES.guestProbe), buildLocalProbe({ static: true }).then((p) => (phase(PHASES.booting), p)))),
      onProgress: (f) => s.progress.fraction(s.host.name, f),
      onPhase: phase,
      stepLabel: steps.length > 1 ? `${fileSafe(first.deployment.name)}-r${first.repetition}` : `${fileSafe(first.deployment.name)}-${fileSafe(first.benchmark.name)}-r${first.repetition}`,
      scenarioLoad: runScenario(s.record)?.load,
      journal,
    });
    const endedAt = new Date().toISOString();
    return {
      results: steps.map((step, i) => {
        const m = ms[i];
        if ('error' in m) return { ...failed(step, 'failed', `${stepLabel(step)}: ${m.error.message}`), startedAt, endedAt, warnings: [...warnings] };
        return {
          ...m.ok,
          kind: step.benchmark.kind,
          deployment: step.deployment.name,
          benchmark: step.benchmark.name,
          host: step.host,
          repetition: step.repetition,
          order: step.order,
          startedAt,
          endedAt,
          warnings: [...warnings, ...m.ok.warnings],
        } as Result;
      }),
    };
  } catch (e) {
    const aborted = s.signal.aborted;
    const msg = (e as Error).message;
    const results = steps.map((step) => ({ ...failed(step, aborted ? 'aborted' : 'failed', `${stepLabel(step)}: ${msg}`), startedAt, warnings: [...warnings] }));
    return { results, fatal: e instanceof TransportError ? msg : undefined };
  } finally {
    if (journal.mark() > mark) {
      const rep = await journal.undoSince(mark).catch((e: Error) => ({ errors: [e.message] }));
      s.record.tuning.push(...journal.changes(mark));
      for (const e of rep.errors) s.record.warnings.push({ code: 'not-restored', message: e });
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
    hrtick: k.hrtick,
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
