import type { CommandModule } from 'yargs';
import { commaList } from './suggest.js';
import { hostsOption, type HostsArg } from './common.js';

export interface Args extends HostsArg {
  scenario: string;
  duration?: string;
  only?: string[];
  json?: boolean;
}

export const planCommand: CommandModule<object, Args> = {
  command: 'plan <scenario>',
  describe: 'Print the expanded matrix (deployment x benchmark x host x repetition) that run would execute',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string', demandOption: true })
      .options(hostsOption)
      .option('duration', { type: 'string', describe: 'override every benchmark duration (30s, 5m)' })
      .option('only', { type: 'string', requiresArg: true, coerce: commaList, describe: 'keep only these deployments/benchmarks (repeat the flag or separate with commas)' })
      .option('json', { type: 'boolean', describe: 'print the plan as JSON' }) as never,
  handler: async (a) => (await import('./plan.impl.js')).handler(a),
};
