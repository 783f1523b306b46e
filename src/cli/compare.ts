import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { GateFailedError, InputError } from '../errors.js';
import { renderComparisonMarkdown } from '../report/compare-md.js';
import { renderCompareHtml } from '../report/html.js';
import { renderComparisonJunit } from '../report/junit.js';
import { lastGood, loadRun, openHistory, scenarioName, type History } from '../results/history.js';
import { loadRunRecord, writeAtomic } from '../results/store.js';
import { runScenario, type RunRecord } from '../results/types.js';
import { compareDeployments, compareRuns, type GateSpec } from '../stats/compare.js';
import { DEFAULT_HISTORY_DB } from './history.js';

interface Args {
  runs: string[];
  baseline?: string;
  db?: string;
  threshold?: number;
  junit?: string;
  out?: string;
  deployments?: string;
  ignoreHost: boolean;
  seed?: number;
}

interface Loaded {
  record: RunRecord;
  /** The run folder when the run came from one. */
  dir: string | null;
}

/** A run folder (or run.json), else a run id in the history database. */
async function loadRunArg(arg: string, db: () => History): Promise<Loaded> {
  if (existsSync(arg)) {
    const dir = statSync(arg).isDirectory() ? resolve(arg) : resolve(arg, '..');
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

export const compareCommand: CommandModule<object, Args> = {
  command: 'compare <runs..>',
  describe: 'Compare a candidate run with a baseline: ratios with intervals, significance, verdicts; exit 1 on a gated regression',
  builder: (y) =>
    y
      .positional('runs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'BASELINE CANDIDATE (run folders or history run ids); only CANDIDATE with --baseline or --deployments',
      })
      .option('baseline', { type: 'string', describe: 'baseline: "last-good" (newest completed run of the scenario whose gates passed, from --db) or a run folder/id' })
      .option('db', { type: 'string', describe: `history database (default ${DEFAULT_HISTORY_DB})` })
      .option('threshold', { type: 'number', describe: "noise threshold as a fraction (default: the scenario's noiseThreshold, else 0.05)" })
      .option('deployments', { type: 'string', describe: 'BASE,CAND: compare two deployments inside one run' })
      .option('ignore-host', { type: 'boolean', default: false, describe: 'match results by deployment and benchmark only (runs on different hosts)' })
      .option('seed', { type: 'number', describe: 'bootstrap seed (default fixed, so reports reproduce)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML here (one testcase per gated row)' })
      .option('out', { type: 'string', describe: "folder for compare.md and compare.json (default: the candidate's run folder, else .)" })
      .usage('$0 compare BASELINE CANDIDATE [options]\n$0 compare CANDIDATE --baseline last-good [--db FILE]\n$0 compare RUN --deployments bare,vm') as never,
  handler: async (a) => {
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
  },
};
