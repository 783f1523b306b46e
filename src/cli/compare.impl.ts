/** `unilat compare` itself, imported by its command definition only when the command runs. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GateFailedError, InputError } from '../errors.js';
import { renderComparisonMarkdown } from '../report/compare-md.js';
import { renderCompareHtml } from '../report/html.js';
import { renderComparisonJunit } from '../report/junit.js';
import { lastGood, loadRun, openHistory, scenarioName, type History } from '../results/history.js';
import { loadRunRecord, writeAtomic } from '../results/store.js';
import { runScenario, type RunRecord } from '../results/types.js';
import { compareDeployments, compareRuns, type GateSpec } from '../stats/compare.js';
import { DEFAULT_HISTORY_DB } from './history.js';
import type { Args } from './compare.js';
import { quoteWithSuggestion } from './suggest.js';

interface Loaded {
  record: RunRecord;
  /** The run folder when the run came from one. */
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

/** The relative gates of the candidate's scenario (a comparison gates only those metrics, with their allowance). */
function relativeGates(record: RunRecord): GateSpec[] | undefined {
  const gates = runScenario(record)?.gates;
  if (!gates) return undefined;
  const rel = gates.filter((g) => g.type === 'relative');
  return rel.length ? rel.map((g) => ({ metric: g.metric, maxRegression: g.maxRegression, benchmark: g.benchmark, deployment: g.deployment })) : undefined;
}

export async function handler(a: Args): Promise<void> {
  let db: History | undefined;
  const openDb = (): History => {
    if (!db) {
      const file = a.db ?? DEFAULT_HISTORY_DB;
      if (!existsSync(file)) throw new InputError(`${file}: no history database (give --db, or run folders instead of ids)`);
      db = openHistory(file);
    }
    return db;
  };
  try {
    const single = a.baseline !== undefined || a.deployments !== undefined;
    if (a.runs.length !== (single ? 1 : 2))
      throw new InputError(single ? 'give one run (the candidate) with --baseline or --deployments' : 'give two runs: BASELINE CANDIDATE (or CANDIDATE --baseline last-good)');
    if (a.threshold !== undefined && !(a.threshold >= 0 && a.threshold < 1)) throw new InputError(`--threshold ${a.threshold}: give a fraction like 0.05`);
    // Checked before any work: writing into a missing folder would fail on a temporary file's name.
    for (const [flag, folder] of [['--out', a.out], ['--junit', a.junit && dirname(a.junit)]] as const)
      if (folder && !(existsSync(folder) && statSync(folder).isDirectory())) throw new InputError(`${flag}: ${folder} is not a folder (create it first)`);
    const cand = await loadRunArg(a.runs[single ? 0 : 1], openDb);
    const opts = {
      threshold: a.threshold ?? runScenario(cand.record)?.noiseThreshold,
      gates: relativeGates(cand.record),
      ignoreHost: a.ignoreHost,
      seed: a.seed,
    };
    let comparison;
    let baselineRecord: RunRecord | null = null;
    if (a.deployments !== undefined) {
      const [base, c, ...rest] = a.deployments.split(',').map((s) => s.trim());
      if (!base || !c || rest.length) throw new InputError(`--deployments ${a.deployments}: give two names, BASE,CAND`);
      // An unknown name would compare nothing and pass; say which names the run has.
      const known = [...new Set(cand.record.results.map((r) => r.deployment))];
      const unknown = [base, c].filter((n) => !known.includes(n));
      if (unknown.length)
        throw new InputError(`--deployments: ${a.runs[0]} has no deployment named ${unknown.map((n) => quoteWithSuggestion(n, known)).join(', ')} (it has: ${known.join(', ') || 'no results'})`);
      comparison = compareDeployments(cand.record, base, c, opts);
      baselineRecord = null;
    } else {
      let base: Loaded;
      if (a.baseline === 'last-good') {
        const name = scenarioName(cand.record);
        const good = lastGood(openDb(), name);
        if (!good) throw new InputError(`no last-good run of scenario "${name}" in ${a.db ?? DEFAULT_HISTORY_DB}`);
        base = good.dir && existsSync(join(good.dir, 'run.json')) ? await loadRunArg(good.dir, openDb) : await loadRunArg(good.id, openDb);
      } else base = await loadRunArg(a.baseline ?? a.runs[0], openDb);
      comparison = compareRuns(base.record, cand.record, opts);
      baselineRecord = base.record;
    }
    const md = renderComparisonMarkdown(comparison);
    const outDir = a.out ?? cand.dir ?? '.';
    await writeAtomic(join(outDir, 'compare.md'), md);
    await writeAtomic(join(outDir, 'compare.json'), `${JSON.stringify(comparison, null, 1)}\n`);
    await writeAtomic(join(outDir, 'compare.html'), renderCompareHtml(comparison, baselineRecord, cand.record));
    const written = [join(outDir, 'compare.md'), join(outDir, 'compare.json'), join(outDir, 'compare.html')];
    if (a.junit) {
      await writeAtomic(a.junit, renderComparisonJunit(comparison));
      written.push(a.junit);
    }
    process.stdout.write(`${md}\nwrote ${written.join(', ')}\n`);
    if (comparison.regressions.length)
      throw new GateFailedError(
        `${comparison.regressions.length} gated regression(s): ${comparison.regressions.map((r) => `${r.key} ${r.metric} x${r.ratio.toFixed(3)}`).join('; ')}`,
        cand.dir ?? undefined,
      );
  } finally {
    db?.close();
  }
}

