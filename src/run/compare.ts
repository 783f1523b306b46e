/**
 * `unilat compare`'s work: the runs found (run folders, history ids, or the candidate's last good
 * run), compared (stats/compare.ts: percentiles only where both sides kept a histogram, intervals
 * widened for whole-µs inputs), and the comparison's files written through the report writer.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { writeComparisonReports, writeGatesJunit } from '../report/write.js';
import { evaluateGates, type GateOutcome } from '../stats/gates.js';
import type { Comparison } from '../results/comparison.js';
import { lastGoodCriteria, loadRun, scenarioName, type History } from '../results/history.js';
import { loadRunRecord } from '../results/store.js';
import { runScenario, type RunRecord } from '../results/types.js';
import { compareDeployments, compareRuns, type GateSpec } from '../stats/compare.js';
import { lastGoodRun } from './finish.js';
import { quoteWithSuggestion } from '../suggest.js';

export interface CompareRequest {
  /** The candidate: a run folder, run.json or history id. */
  candidate: string;
  /** A run folder or id, or "last-good"; absent with `deployments`. */
  baseline?: string;
  /** BASE and CAND deployments inside the candidate run. */
  deployments?: [string, string];
  /** Opens the history database on first use (it may not exist: only then is that an error). */
  db: () => History;
  dbFile: string;
  threshold?: number;
  ignoreHost: boolean;
  seed?: number;
  /** Where the comparison's own folder is made; default the candidate's run folder, else '.'. */
  out?: string;
  junit?: string;
}

export interface CompareOutcome {
  /** Null when `last-good` found no earlier good run: then nothing was compared and `skipped` says so. */
  comparison: Comparison | null;
  /** The candidate's relative gates not evaluated for want of a baseline (the first night of a nightly job). */
  skipped: GateOutcome[];
  /** Why nothing was compared, when comparison is null. */
  reason?: string;
  /** The candidate's run folder, when it came from one. */
  candidateDir: string | null;
  /** The comparison's files (in its own folder) and the JUnit file when asked for. */
  written: string[];
}

interface Loaded {
  record: RunRecord;
  dir: string | null;
}

/** A run folder (or run.json), else a run id in the history database. */
async function loadRunArg(arg: string, db: () => History): Promise<Loaded> {
  if (existsSync(arg)) {
    const isDir = statSync(arg).isDirectory();
    if (isDir && !existsSync(join(arg, 'run.json'))) throw new InputError(`${arg} is not a run folder (no run.json)`);
    const dir = isDir ? resolve(arg) : resolve(arg, '..');
    return { record: await loadRunRecord(arg), dir };
  }
  const record = loadRun(db(), arg);
  if (!record) throw new InputError(`${arg}: neither a run folder nor a run stored in the history database`);
  return { record, dir: null };
}

/**
 * The relative gates of the candidate's scenario: a comparison gates only those metrics, with
 * their allowance; without any, nothing is gated (verdicts are reported, not gated).
 */
function relativeGates(record: RunRecord): GateSpec[] {
  return (runScenario(record)?.gates ?? [])
    .filter((g) => g.type === 'relative')
    .map((g) => ({ metric: g.metric, maxRegression: g.maxRegression, benchmark: g.benchmark, deployment: g.deployment }));
}

export async function compare(q: CompareRequest): Promise<CompareOutcome> {
  const cand = await loadRunArg(q.candidate, q.db);
  const opts = { threshold: q.threshold ?? runScenario(cand.record)?.noiseThreshold, gates: relativeGates(cand.record), ignoreHost: q.ignoreHost, seed: q.seed };
  let comparison: Comparison;
  let baseline: RunRecord | null = null;
  if (q.deployments) {
    // An unknown name would compare nothing and pass; say which names the run has.
    const known = [...new Set(cand.record.results.map((r) => r.deployment))];
    const unknown = q.deployments.filter((n) => !known.includes(n));
    if (unknown.length)
      throw new InputError(`--deployments: ${q.candidate} has no deployment named ${unknown.map((n) => quoteWithSuggestion(n, known)).join(', ')} (it has: ${known.join(', ') || 'no results'})`);
    // A VM slower than bare metal is no regression: deployments inside a run are never gated.
    comparison = compareDeployments(cand.record, q.deployments[0], q.deployments[1], { ...opts, gates: [] });
  } else {
    if (q.baseline === 'last-good') {
      const name = scenarioName(cand.record);
      const good = await lastGoodRun(q.db(), cand.record);
      if (!good) {
        // The first night: nothing to compare with is no failure, but each relative gate says it was skipped.
        const reason = `--baseline last-good: ${lastGoodCriteria(cand.record)} in ${q.dbFile}`;
        const skipped = evaluateGates(runScenario(cand.record)?.gates.filter((g) => g.type === 'relative') ?? [], cand.record, { baseline: null, baselineNote: reason });
        const written = q.junit ? [q.junit] : [];
        if (q.junit) await writeGatesJunit(q.junit, skipped, `compare ${cand.record.id} vs last-good`);
        return { comparison: null, skipped, reason, candidateDir: cand.dir, written };
      }
      if (!good.record) throw new InputError(`the last good run of "${name}", ${good.id}, could not be loaded from ${q.dbFile}${good.dir ? ` or ${good.dir}` : ''}`);
      baseline = good.record;
    } else baseline = (await loadRunArg(q.baseline!, q.db)).record;
    comparison = compareRuns(baseline, cand.record, opts);
  }
  const written = await writeComparisonReports({ comparison, baseline, candidate: cand.record, deployments: q.deployments }, q.out ?? cand.dir ?? '.', q.junit);
  return { comparison, skipped: [], candidateDir: cand.dir, written };
}
