import type { CommandModule } from 'yargs';

export interface Args {
  file: string[];
  out: string;
  name?: string;
  deployment?: string;
  benchmark?: string;
  host?: string;
  nsecs: boolean;
  spikeThreshold?: number;
  db?: string;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file..>',
  describe: 'Turn cyclictest output files (--json, -h histogram, -v verbose) or rtla timerlat hist output into a run folder, recorded in the history like a run',
  builder: (y) =>
    y
      .positional('file', { type: 'string', array: true, demandOption: true, describe: 'cyclictest or rtla timerlat hist output files (format detected)' })
      .options({
        out: { type: 'string', default: 'reports', describe: 'folder that receives the run folder (as for unilat run)' },
        name: { type: 'string', describe: 'name of the import (its run id and history scenario; default "import"); also the benchmark unless --benchmark is given' },
        deployment: { type: 'string', describe: 'deployment name for the results (default "imported"); name it as a run\'s deployment to compare with that run' },
        benchmark: { type: 'string', describe: 'benchmark name for the results (default: --name, else each file\'s base name)' },
        host: { type: 'string', describe: 'host name for the results (default: from the file, else "imported")' },
        nsecs: { type: 'boolean', default: false, describe: 'histogram/verbose files hold ns (cyclictest -N)' },
        'spike-threshold': { type: 'number', describe: 'count latencies above this many us as spikes (default 100)' },
        db: { type: 'string', describe: 'history database (default: history.db in the --out folder)' },
      }) as never,
  handler: async (a) => (await import('./import.impl.js')).handler(a),
};
