import type { CommandModule } from 'yargs';

export interface Args {
  run: string;
  format: string;
  out?: string;
}

export const exportCommand: CommandModule<object, Args> = {
  command: 'export <run>',
  describe: 'Write a run\'s latency results in another tool\'s format (rt-tests-json: the JSON cyclictest --json writes, one file per result)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'a run folder (or its run.json)' })
      .options({
        format: { type: 'string', default: 'rt-tests-json', describe: 'rt-tests-json: the JSON of cyclictest --json, one file per latency result' },
        out: { type: 'string', describe: 'a folder for the files (default: rt-tests-json/ in the run folder), or FILE.json when the run has one latency result' },
      }) as never,
  handler: async (a) => (await import('./export.impl.js')).handler(a),
};
