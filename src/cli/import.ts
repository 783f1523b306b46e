import type { CommandModule } from 'yargs';

export interface Args {
  file: string[];
  out: string;
  name?: string;
  host?: string;
  nsecs: boolean;
}

export const importCommand: CommandModule<object, Args> = {
  command: 'import <file..>',
  describe: 'Turn cyclictest output files (--json, -h histogram, -v verbose) into a run folder',
  builder: (y) =>
    y
      .positional('file', { type: 'string', array: true, demandOption: true, describe: 'cyclictest output files (format detected)' })
      .options({
        out: { type: 'string', default: 'results', describe: 'directory for the run folder' },
        name: { type: 'string', describe: 'benchmark name for the results (default: each file\'s base name)' },
        host: { type: 'string', describe: 'host name for the results (default: from the file, else "imported")' },
        nsecs: { type: 'boolean', default: false, describe: 'histogram/verbose files hold ns (cyclictest -N)' },
      }) as never,
  handler: async (a) => (await import('./import.impl.js')).handler(a),
};
