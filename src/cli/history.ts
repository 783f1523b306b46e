import type { CommandModule } from 'yargs';

/** Where the history database lives unless --db says otherwise or a folder given holds one (next to the run folders of `run --out reports`). */
export const DEFAULT_HISTORY_DB = 'reports/history.db';

export interface Args {
  folder?: string;
  scenario?: string;
  metric?: string;
  host?: string;
  db?: string;
  limit: number;
  json: boolean;
  csv: boolean;
}

export const historyCommand: CommandModule<object, Args> = {
  command: 'history [folder]',
  describe: 'List recorded runs, or the trend of one metric over runs (--metric); oldest first',
  builder: (y) =>
    y
      .positional('folder', { type: 'string', describe: 'a run folder or the --out folder of runs: reads the history.db there (unless --db)' })
      .option('scenario', { type: 'string', describe: 'only runs of this scenario' })
      .option('metric', { type: 'string', describe: 'show this metric over time (p50 p90 p99 p99.9 p99.99 min mean max count syscall.<op>); one with no figures lists those that have them (exit 2)' })
      .option('host', { type: 'string', describe: 'only runs on / results from this host' })
      .option('db', { type: 'string', describe: `history database (default: history.db next to the folder given, else ${DEFAULT_HISTORY_DB})` })
      .option('limit', { type: 'number', default: 50, describe: 'the newest N runs (listed oldest first)' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON array of objects (figures in ns)' })
      .option('csv', { type: 'boolean', default: false, describe: 'print CSV (header line, figures in ns)' }) as never,
  handler: async (a) => (await import('./history.impl.js')).handler(a),
};
