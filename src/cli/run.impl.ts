/** `unilat run` itself, imported by its command definition only when the command runs. */
import { join } from 'node:path';
import { GateFailedError, InputError, RunFailedError } from '../errors.js';
import { closeHistory, markRunFinished, markRunStarted, openHistory } from '../results/history.js';
import { metricRows } from '../stats/metrics.js';
import { deploymentComparisons, gateOutcomes, resolveBaseline } from '../run/finish.js';
import { gatesPassed } from '../stats/gates.js';
import { writeReports } from '../report/write.js';
import { createRunDir, newRunId, saveRunRecord } from '../results/store.js';
import { SCHEMA_VERSION, type FailedResult, type RunRecord } from '../results/types.js';
import { execute } from '../run/executor.js';
import { createProgress } from '../run/progress.js';
import { buildPlan, unknownOnly } from '../run/plan.js';
import { installSignalRestore } from '../prepare/recovery.js';
import { connectHost } from '../run/connect.js';
import { VERSION } from '../version.js';
import { parseDurationArg } from './args.js';
import { loadInventory, loadScenarios, type LoadedWithHosts } from './load.js';
import type { Args } from './run.js';
import { unknownOnlyMessage } from './suggest.js';

export async function handler(a: Args): Promise<void> {
  const durationNs = parseDurationArg(a.duration);
  if (!Number.isInteger(a.parallel) || a.parallel < 1) throw new InputError(`--parallel: must be a whole number >= 1, got ${a.parallel}`);
  const inv = await loadInventory(a.hosts);
  const loaded = await loadScenarios(a.scenario, inv);
  for (const l of loaded) {
    const bad = unknownOnly(l.scenario, a.only ?? []);
    if (bad.length) throw new InputError(unknownOnlyMessage(`${l.file}: `, bad, l.scenario));
  }
  const failures: string[] = [];
  const gateFailures: string[] = [];
  for (const l of loaded) {
    const { dir, ok, gatesFailed, summary } = await runScenario(l, { ...a, durationNs });
    if (!ok) failures.push(`${l.file}: ${summary}`);
    if (gatesFailed) gateFailures.push(`${l.file}: ${gatesFailed} gate(s) failed`);
    process.stdout.write(`${dir}\n`);
  }
  // A failed run outranks a failed gate: its figures are incomplete.
  if (failures.length) throw new RunFailedError(failures.join('\n'));
  if (gateFailures.length) throw new GateFailedError(gateFailures.join('\n'));
}


interface RunOpts extends Args {
  durationNs?: number;
}

async function runScenario(l: LoadedWithHosts, a: RunOpts): Promise<{ dir: string; ok: boolean; gatesFailed: number; summary: string }> {
  const plan = buildPlan(l.scenario, l.hosts, { durationNs: a.durationNs, only: a.only });
  const id = newRunId(l.scenario.name);
  const dir = await createRunDir(a.out, id);
  const record: RunRecord = {
    schemaVersion: SCHEMA_VERSION,
    id,
    tool: { name: 'unilat', version: VERSION },
    startedAt: new Date().toISOString(),
    endedAt: null,
    status: 'running',
    scenario: l.scenario,
    scenarioFile: l.file,
    facts: {},
    readiness: {},
    plan: { steps: plan.steps.length, order: plan.steps.map((s) => `${s.host}:${s.deployment.name}/${s.benchmark.name}#${s.repetition}`) },
    tuning: [],
    results: [],
    warnings: [],
    hostErrors: {},
  };
  await saveRunRecord(dir, record);
  const db = openHistory(a.db ?? join(a.out, 'history.db'));
  markRunStarted(db, record, { dir });
  const progress = createProgress(process.stderr, a.quiet);
  const ac = new AbortController();
  // First signal: stop measuring, restore hosts, write what was measured. Second: restore and exit now.
  let removeHard: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    progress.log('unilat', `${sig}: stopping; restoring hosts and saving what was measured (again to exit at once)`);
    ac.abort();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    removeHard = installSignalRestore();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await execute({ plan, runDir: dir, record, parallel: a.parallel, signal: ac.signal, progress, connect: (h, signal) => connectHost(h, { acceptNewHostKeys: a.acceptNewHostKeys, signal }) });
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    removeHard?.();
    progress.done();
  }
  const failedSteps = record.results.filter((r): r is FailedResult => r.status !== 'completed');
  record.endedAt = new Date().toISOString();
  record.status = ac.signal.aborted ? 'aborted' : failedSteps.length || Object.keys(record.hostErrors).length ? 'partial' : 'completed';
  const baseline = await resolveBaseline(l.scenario, db);
  const gates = gateOutcomes(l.scenario, record, baseline.record, baseline.note);
  if (gates.length) record.gates = gates;
  const comparisons = deploymentComparisons(l.scenario, record);
  if (comparisons.length) record.comparisons = comparisons;
  await saveRunRecord(dir, record);
  await writeReports(record, dir);
  markRunFinished(db, record.id, { record, metrics: metricRows(record), gatesPassed: gates.length ? gatesPassed(gates) : null, dir });
  closeHistory(db);
  for (const g of gates) process.stderr.write(`gate ${g.pass ? 'pass' : 'FAIL'}: ${g.gate} (${g.key}): ${g.detail}\n`);
  const hostErr = Object.entries(record.hostErrors).map(([h, e]) => `${h}: ${e.split('\n')[0]}`);
  const stepErr = failedSteps.filter((r) => !record.hostErrors[r.host]).map((r) => r.error.split('\n')[0]);
  for (const e of [...hostErr, ...stepErr]) process.stderr.write(`error: ${e}\n`);
  const ok = record.status === 'completed';
  const gatesFailed = gates.filter((g) => !g.pass).length;
  return { dir, ok, gatesFailed, summary: ok ? 'completed' : ac.signal.aborted ? 'interrupted' : `${failedSteps.length} of ${record.results.length} steps failed` };
}

