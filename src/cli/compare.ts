import type { CommandModule } from 'yargs';
import { DEFAULT_HISTORY_DB } from './history.js';

export interface Args {
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

export const compareCommand: CommandModule<object, Args> = {
  command: 'compare <runs..>',
  describe: "Compare a candidate run with a baseline: ratios with intervals, Holm-corrected verdicts, minimum detectable effect; exit 1 on a regression of a metric the scenario's relative gates name",
  builder: (y) =>
    y
      .positional('runs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'BASELINE CANDIDATE (run folders or history run ids); only CANDIDATE with --baseline or --deployments',
      })
      .option('baseline', { type: 'string', describe: 'baseline: "last-good" (the newest completed run of the same scenario and hosts, gates passed, started before the candidate) or a run folder/id' })
      .option('db', { type: 'string', describe: `history database (default: history.db next to the run folders given, else ${DEFAULT_HISTORY_DB})` })
      .option('threshold', { type: 'number', describe: "noise threshold as a fraction (default: the scenario's noiseThreshold, else 0.05)" })
      .option('deployments', { type: 'string', describe: 'BASE,CAND: compare two deployments inside one run' })
      .option('ignore-host', { type: 'boolean', default: false, describe: 'match results by deployment and benchmark only (runs on different hosts)' })
      .option('seed', { type: 'number', describe: 'bootstrap seed (default fixed, so reports reproduce)' })
      .option('junit', { type: 'string', describe: 'also write JUnit XML here (one testcase per gated row; gates skipped for want of a baseline as <skipped/>)' })
      .option('out', { type: 'string', describe: "folder for compare.md and compare.json (default: the candidate's run folder, else .)" })
      .usage('$0 compare BASELINE CANDIDATE [options]\n$0 compare CANDIDATE --baseline last-good [--db FILE]\n$0 compare RUN --deployments bare,vm') as never,
  handler: async (a) => (await import('./compare.impl.js')).handler(a),
};
