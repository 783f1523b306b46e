import type { CommandModule } from 'yargs';
import { commaList } from './suggest.js';
import { hostsOption, type HostsArg } from './common.js';
import { figureOptions, type FigureArgs } from './figure.js';

export interface Args extends HostsArg, FigureArgs {
  scenario: string[];
  out: string;
  duration?: string;
  waitLock?: string;
  only?: string[];
  parallel: number;
  acceptNewHostKeys: boolean;
  quiet: boolean;
  db?: string;
  label?: string[];
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run <scenario..>',
  describe: 'Run scenarios and write a run folder (run.json, summary.csv, report.md) per scenario',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario YAML files' })
      .options(hostsOption)
      .options(figureOptions)
      .option('out', { type: 'string', default: 'reports', describe: 'folder that receives the run folders' })
      .option('duration', { type: 'string', describe: 'override every benchmark duration (30s, 5m)' })
      .option('only', { type: 'string', requiresArg: true, coerce: commaList, describe: 'run only these deployments and/or benchmarks (by name; repeat the flag or separate with commas)' })
      .option('wait-lock', { type: 'string', requiresArg: true, describe: 'wait this long (30s, 10m) for another unilat run to finish with a host, instead of failing that host at once' })
      .option('parallel', { type: 'number', default: 8, describe: 'hosts measured at the same time' })
      .option('accept-new-host-keys', { type: 'boolean', default: false, describe: 'record unknown SSH host keys (like OpenSSH accept-new); changed keys are still refused' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .option('db', { type: 'string', describe: 'history database (default: history.db in the --out folder)' })
      .option('label', { type: 'string', requiresArg: true, coerce: (v: unknown) => [v].flat().map(String), describe: 'KEY=VALUE recorded with the run (repeatable), e.g. --label kernel-tree=next; CI variables (GitLab, GitHub Actions, Jenkins) are recorded without it' })
      .usage('$0 run <scenario..> [options]\n\nThe last line printed is the run folder.') as never,
  handler: async (a) => (await import('./run.impl.js')).handler(a),
};
