import type { CommandModule } from 'yargs';
import { hostsOption, type HostsArg } from './common.js';

export interface Args extends HostsArg {
  scenario: string[];
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate <scenario..>',
  describe: 'Check scenario files (and the hosts file) without running anything',
  builder: (y) => y.positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario YAML files' }).options(hostsOption) as never,
  handler: async (a) => (await import('./validate.impl.js')).handler(a),
};
