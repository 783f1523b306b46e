import type { CommandModule } from 'yargs';
import { hostsOption, type HostsArg } from './common.js';

export interface Args extends HostsArg {
  host?: string[];
  json: boolean;
  acceptNewHostKeys: boolean;
}

export const factsCommand: CommandModule<object, Args> = {
  command: 'facts [host..]',
  describe: 'Show what each host is (kernel, PREEMPT_RT, isolation, CPUs, tools) and its real-time readiness checklist',
  builder: (y) =>
    y
      .positional('host', { type: 'string', array: true, describe: 'host or group names (default: local, or every host of --hosts)' })
      .options(hostsOption)
      .option('json', { type: 'boolean', default: false, describe: 'print facts and checklist as JSON' })
      .option('accept-new-host-keys', { type: 'boolean', default: false, describe: 'record unknown SSH host keys (changed keys are still refused)' }) as never,
  handler: async (a) => (await import('./facts.impl.js')).handler(a),
};
