import type { CommandModule } from 'yargs';
import { hostsOption, type HostsArg } from './common.js';

export interface Args extends HostsArg {
  host: string[];
  repetitions: number;
  duration: string;
  tolerance: number;
  out: string;
  db?: string;
  waitLock?: string;
  acceptNewHostKeys: boolean;
  quiet: boolean;
}

export const selftestCommand: CommandModule<object, Args> = {
  command: 'selftest [host..]',
  describe: 'Check the probe against cyclictest, cyclicdeadline and perf on your hosts: a verdict per figure, written as a run folder (selftest.md, selftest.json)',
  builder: (y) =>
    y
      .positional('host', { type: 'string', array: true, default: ['local'], describe: 'hosts or groups of the --hosts file; "local" is this machine' })
      .options(hostsOption)
      .option('repetitions', { type: 'number', default: 5, describe: 'interleaved repetitions of each tool' })
      .option('duration', { type: 'string', default: '10s', describe: 'length of each repetition of each latency tool (whole seconds for rt-tests)' })
      .option('tolerance', { type: 'number', default: 0.1, describe: 'a figure agrees when its whole 95% interval of probe/reference lies within ±this fraction of 1' })
      .option('out', { type: 'string', default: 'reports', describe: 'folder that receives the run folder' })
      .option('db', { type: 'string', describe: 'history database (default: history.db in the --out folder)' })
      .option('wait-lock', { type: 'string', requiresArg: true, describe: 'wait this long (30s, 10m) for another unilat run to finish with a host, instead of failing that host at once' })
      .option('accept-new-host-keys', { type: 'boolean', default: false, describe: 'record unknown SSH host keys (like OpenSSH accept-new); changed keys are still refused' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .usage('$0 selftest [host..] [options]\n\nPrints the verdict table; the last line printed is the run folder. Needs root, rt-tests and perf on each host.') as never,
  handler: async (a) => (await import('./selftest.impl.js')).handler(a),
};
