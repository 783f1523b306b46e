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
  handler: async (a) => (await import('./compare.impl.js')).handler(a),
};
