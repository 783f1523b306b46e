import type { CommandModule } from 'yargs';

/** Where the history database lives unless --db says otherwise or a folder given holds one (next to the run folders of `run --out reports`). */
export const DEFAULT_HISTORY_DB = 'reports/history.db';

export interface Args {
  folder?: string;
  scenario?: string;
  metric?: string;
  host?: string;
  db?: string;
  limit?: number;
  json: boolean;
  csv: boolean;
  changes: boolean;
  failOnRegression: boolean;
  junit?: string;
  alpha?: number;
  minChange?: number;
  html?: string;
}

/** Runs listed (and figures shown) without --limit; --changes reads every run unless given one. */
export const DEFAULT_LIMIT = 50;

export const historyCommand: CommandModule<object, Args> = {
  command: 'history [folder]',
  describe: 'List recorded runs, the trend of one metric over runs (--metric), or the change points of every series (--changes); oldest first',
  builder: (y) =>
    y
      .positional('folder', { type: 'string', describe: 'a run folder or the --out folder of runs: reads the history.db there (unless --db)' })
      .option('scenario', { type: 'string', describe: 'only runs of this scenario' })
      .option('metric', { type: 'string', describe: 'show this metric over time (p50 p90 p99 p99.9 p99.99 min mean max count syscall.<op>); one with no figures lists those that have them (exit 2)' })
      .option('host', { type: 'string', describe: 'only runs on / results from this host' })
      .option('db', { type: 'string', describe: `history database (default: history.db next to the folder given, else ${DEFAULT_HISTORY_DB})` })
      .option('limit', { type: 'number', describe: `the newest N runs (listed oldest first; default ${DEFAULT_LIMIT}, with --changes every run)` })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON array of objects (figures in ns)' })
      .option('csv', { type: 'boolean', default: false, describe: 'print CSV (header line, figures in ns)' })
      .option('changes', { type: 'boolean', default: false, describe: 'list the change points of every series (scenario, host, deployment, benchmark, metric): where its mean shifted, with what else changed at that run' })
      .option('fail-on-regression', { type: 'boolean', default: false, describe: 'with --changes: exit 1 when the newest run begins a regression change point' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'with --changes: also write JUnit XML here (one test case per series, failed when the newest run begins a regression)' })
      .option('alpha', { type: 'number', requiresArg: true, describe: 'with --changes: significance level of a change point (default 0.001)' })
      .option('min-change', { type: 'number', requiresArg: true, describe: "with --changes or --html: smallest relative shift that counts (0.05 = 5%; default: each scenario's noiseThreshold)" })
      .option('html', { type: 'string', requiresArg: true, describe: 'write a static trend site into this folder: index.html with a small plot per series (change points marked), a page per series with the long-term view of max latency, links to each run\'s report' }) as never,
  handler: async (a) => (await import('./history.impl.js')).handler(a),
};
