/**
 * What happens once a run's measurements are in: gates evaluated (relative ones against the
 * baseline the scenario names), deployments compared side by side, history updated.
 */
import { InputError } from '../errors.js';
import { lastGood, lastGoodCriteria, loadRun, type History } from '../results/history.js';
import { loadRunRecord } from '../results/store.js';
import type { RunRecord } from '../results/types.js';
import type { Scenario } from '../scenario/schema.js';
import { compareDeployments, type Comparison } from '../stats/compare.js';
import { evaluateGates, type GateOutcome } from '../stats/gates.js';

/** The baseline run for relative gates: a run folder, or "last-good" from the history. */
export async function resolveBaseline(scenario: Scenario, record: RunRecord, db: History | null): Promise<{ record: RunRecord | null; note: string }> {
  const b = scenario.baseline;
  if (!b) return { record: null, note: 'no baseline named by the scenario' };
  if (b === 'last-good') {
    const lg = db ? await lastGoodRun(db, record) : null;
    if (!lg) return { record: null, note: `${lastGoodCriteria(record)} in the history` };
    return { record: lg.record, note: lg.record ? `baseline: last good run ${lg.id}` : `last good run ${lg.id} could not be loaded` };
  }
  try {
    return { record: await loadRunRecord(b), note: `baseline: ${b}` };
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`baseline: ${e.message}`);
    throw e;
  }
}

/**
 * The candidate's last good run (results/history.ts lastGood): its record as the history stored
 * it, else its run folder's run.json; record null when neither can be read.
 */
export async function lastGoodRun(db: History, candidate: RunRecord): Promise<{ id: string; dir: string | null; record: RunRecord | null } | null> {
  const lg = lastGood(db, candidate);
  if (!lg) return null;
  const record = loadRun(db, lg.id) ?? (lg.dir ? await loadRunRecord(lg.dir).catch(() => null) : null);
  return { id: lg.id, dir: lg.dir ?? null, record };
}

export function gateOutcomes(scenario: Scenario, record: RunRecord, baseline: RunRecord | null, baselineNote: string): GateOutcome[] {
  const absolute = scenario.gates.filter((g) => g.type === 'absolute');
  const relative = scenario.gates.filter((g) => g.type === 'relative');
  // A relative gate without a baseline is skipped with the note (stats/gates.ts).
  return [...evaluateGates(absolute, record), ...evaluateGates(relative, record, { baseline, baselineNote, compare: { threshold: scenario.noiseThreshold } })];
}

/** Every deployment against the first one (e.g. vm and unikernel against bare metal). */
export function deploymentComparisons(scenario: Scenario, record: RunRecord): Comparison[] {
  const names = scenario.deployments.map((d) => d.name).filter((n) => record.results.some((r) => r.deployment === n && r.status === 'completed'));
  if (names.length < 2) return [];
  // Descriptive, not a gate: nothing here fails the run.
  return names.slice(1).map((cand) => compareDeployments(record, names[0], cand, { threshold: scenario.noiseThreshold, gates: [] }));
}
