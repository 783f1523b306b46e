import type { CommandModule } from 'yargs';

/** Where the history database lives unless --db says otherwise (next to the run folders of `run --out reports`). */
export const DEFAULT_HISTORY_DB = 'reports/history.db';

export interface Args {
  scenario?: string;
  metric?: string;
  host?: string;
  db?: string;
  limit: number;
}

export const historyCommand: CommandModule<object, Args> = {
  command: 'history',
  describe: 'List recorded runs, or the trend of one metric over runs (--metric)',
  builder: (y) =>
    y
      .option('scenario', { type: 'string', describe: 'only runs of this scenario' })
      .option('metric', { type: 'string', describe: 'show this metric over time (p50 p90 p99 p99.9 p99.99 min mean max count syscall.<op>)' })
      .option('host', { type: 'string', describe: 'only runs on / results from this host' })
      .option('db', { type: 'string', describe: `history database (default ${DEFAULT_HISTORY_DB})` })
      .option('limit', { type: 'number', default: 50, describe: 'newest N runs' }) as never,
  handler: async (a) => (await import('./history.impl.js')).handler(a),
};
