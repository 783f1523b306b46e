import type { CommandModule } from 'yargs';
import { hostsOption, loadInventory, loadScenarios, type HostsArg } from './common.js';

interface Args extends HostsArg {
  scenario: string[];
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate <scenario..>',
  describe: 'Check scenario files (and the hosts file) without running anything',
  builder: (y) => y.positional('scenario', { type: 'string', array: true, demandOption: true, describe: 'scenario YAML files' }).options(hostsOption) as never,
  handler: async (a) => {
    const inv = await loadInventory(a.hosts);
    const loaded = await loadScenarios(a.scenario, inv);
    for (const l of loaded)
      process.stdout.write(
        `${l.file}: ok (${l.scenario.deployments.length} deployments, ${l.scenario.benchmarks.length} benchmarks, hosts: ${l.hosts.map((h) => h.name).join(', ')})\n`,
      );
  },
};
