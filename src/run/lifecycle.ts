/**
 * One scenario's run from start to end: the record made and saved before anything is measured,
 * the history told, signals turned into a clean stop, the plan executed, gates and comparisons
 * evaluated, and record, reports and history written. Returns a typed outcome; printing it and
 * turning it into an exit code is the CLI's.
 */
import { mkdirSync } from 'node:fs';
import { VERSION } from '../version.js';
import type { ResolvedHost } from '../hosts/inventory.js';
import { installSignalRestore } from '../prepare/recovery.js';
import { writeReports, type ReportOptions } from '../report/write.js';
import { closeHistory, markRunFinished, markRunStarted, openHistory, type History } from '../results/history.js';
import { scenarioHash, type CiInfo } from '../results/provenance.js';
import { createRunDir, newRunId, saveRunRecord } from '../results/store.js';
import { SCHEMA_VERSION, type FailedResult, type RunOverrides, type RunRecord } from '../results/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { GateOutcome } from '../stats/gates.js';
import { gatesPassed } from '../stats/gates.js';
import { metricRows } from '../stats/metrics.js';
import { connectHost } from './connect.js';
import { execute } from './executor.js';
import { deploymentComparisons, gateOutcomes, resolveBaseline } from './finish.js';
import { buildPlan, selectOnly, type Plan } from './plan.js';
import { createProgress, PHASES } from './progress.js';

export interface RunOptions {
  /** Folder that receives the run folder. */
  out: string;
  /** History database file. */
  db: string;
  durationNs?: number;
  only?: string[];
  parallel: number;
  acceptNewHostKeys: boolean;
  /** How long to wait for another run to finish with a host; 0: fail that host at once. */
  waitLockMs: number;
  quiet: boolean;
  /** Where progress and the outcome's lines go (stderr). */
  log: Parameters<typeof createProgress>[0];
  /** How the reports are drawn (figure size). */
  report?: ReportOptions;
  /** --label KEY=VALUE, validated. */
  labels?: Record<string, string>;
  /** The CI job the run is part of (results/provenance.ts ciFromEnv), null outside CI. */
  ci?: CiInfo | null;
}

export interface RunOutcome {
  dir: string;
  record: RunRecord;
  gates: GateOutcome[];
  /** Steps without figures (failed or aborted). */
  failedSteps: FailedResult[];
  /** One line: completed, interrupted, or how many steps failed. */
  summary: string;
}

export async function runScenario(scenario: Scenario, file: string, hosts: ResolvedHost[], o: RunOptions): Promise<RunOutcome> {
  // The scenario as it runs: the one the record stores, so what it says is what ran.
  const ran = selectOnly(withDuration(scenario, o.durationNs), o.only);
  const plan = buildPlan(ran, hosts, { durationNs: o.durationNs });
  // Opened first: a --db that is no history database is refused before a run folder exists.
  // The --out folder (where history.db lives by default) is made first, as the run folder would be.
  mkdirSync(o.out, { recursive: true });
  const db = openHistory(o.db);
  try {
    return await runWith(db, ran, file, plan, o);
  } finally {
    closeHistory(db);
  }
}

/**
 * The scenario with a command-line duration applied where it changes something: the scenario's
 * duration and that of every latency benchmark measured for a time (not those counted in loops,
 * nor syscall benchmarks, which have none).
 */
export function withDuration(scenario: Scenario, durationNs: number | undefined): Scenario {
  if (durationNs === undefined) return scenario;
  return { ...scenario, duration: durationNs, benchmarks: scenario.benchmarks.map((b) => (b.kind === 'syscall' || b.loops !== undefined ? b : { ...b, duration: durationNs })) };
}

/** The options of a run that the command line set, as the record keeps them (parallel and the lock wait always: they are what the run used). */
export function runOverrides(o: Pick<RunOptions, 'durationNs' | 'only' | 'parallel' | 'waitLockMs'>): RunOverrides {
  return {
    ...(o.durationNs !== undefined ? { durationNs: o.durationNs } : {}),
    ...(o.only?.length ? { only: [...o.only] } : {}),
    parallel: o.parallel,
    waitLockMs: o.waitLockMs,
  };
}

/** Saves a new record and tells the history it started, before anything is measured (a run) or stored (an import). */
export async function beginRecord(db: History, record: RunRecord, dir: string): Promise<void> {
  await saveRunRecord(dir, record);
  markRunStarted(db, record, { dir });
}

/** Saves the final record, writes its reports and stores it with its metric rows in the history: how every run and import ends. */
export async function finishRecord(db: History, record: RunRecord, dir: string, gates: readonly GateOutcome[] = [], report: ReportOptions = {}): Promise<void> {
  await saveRunRecord(dir, record);
  await writeReports(record, dir, report);
  markRunFinished(db, record.id, { record, metrics: metricRows(record), gatesPassed: gates.length ? gatesPassed(gates) : null, dir });
}

async function runWith(db: History, scenario: Scenario, file: string, plan: Plan, o: RunOptions): Promise<RunOutcome> {
  const id = newRunId(scenario.name);
  const dir = await createRunDir(o.out, id);
  const record: RunRecord = {
    schemaVersion: SCHEMA_VERSION,
    id,
    tool: { name: 'unilat', version: VERSION },
    startedAt: new Date().toISOString(),
    endedAt: null,
    status: 'running',
    scenario,
    scenarioFile: file,
    facts: {},
    readiness: {},
    plan: { steps: plan.steps.length, order: plan.steps.map((s) => `${s.host}:${s.deployment.name}/${s.benchmark.name}#${s.repetition}`) },
    tuning: [],
    results: [],
    warnings: [],
    hostErrors: {},
    overrides: runOverrides(o),
    provenance: { scenarioHash: scenarioHash(scenario), labels: { ...o.labels }, ci: o.ci ?? null },
  };
  await beginRecord(db, record, dir);
  const progress = createProgress(o.log, o.quiet);
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
    await execute({ plan, runDir: dir, record, parallel: o.parallel, signal: ac.signal, progress, waitLockMs: o.waitLockMs, connect: (h, signal) => connectHost(h, { acceptNewHostKeys: o.acceptNewHostKeys, signal }) });
  } catch (e) {
    progress.done();
    throw e;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    removeHard?.();
  }
  const failedSteps = record.results.filter((r): r is FailedResult => r.status !== 'completed');
  record.endedAt = new Date().toISOString();
  record.status = ac.signal.aborted ? 'aborted' : failedSteps.length || Object.keys(record.hostErrors).length ? 'partial' : 'completed';
  const baseline = await resolveBaseline(scenario, record, db);
  const gates = gateOutcomes(scenario, record, baseline.record, baseline.note);
  if (gates.length) record.gates = gates;
  const comparisons = deploymentComparisons(scenario, record);
  if (comparisons.length) record.comparisons = comparisons;
  progress.phase('unilat', PHASES.reports);
  try {
    await finishRecord(db, record, dir, gates, o.report);
    progress.phase('unilat', PHASES.written);
  } finally {
    progress.done();
  }
  const summary = record.status === 'completed' ? 'completed' : ac.signal.aborted ? 'interrupted' : `${failedSteps.length} of ${record.results.length} steps failed`;
  return { dir, record, gates, failedSteps, summary };
}

/** The outcome's lines for the user: gates, then what ended a host, then failed steps. */
export function outcomeLines(o: RunOutcome): string[] {
  const r = o.record;
  const gates = o.gates.map((g) => (g.skipped ? `gate skip: ${g.gate} (${g.detail})` : `gate ${g.pass ? 'pass' : 'FAIL'}: ${g.gate} (${g.key}): ${g.detail}`));
  const hostErr = Object.entries(r.hostErrors).map(([h, e]) => `error: ${h}: ${e.split('\n')[0]}`);
  const stepErr = o.failedSteps.filter((s) => !r.hostErrors[s.host]).map((s) => `error: ${s.error.split('\n')[0]}`);
  return [...gates, ...hostErr, ...stepErr];
}
