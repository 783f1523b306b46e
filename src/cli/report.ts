import type { CommandModule } from 'yargs';
import { figureOptions, type FigureArgs } from './figure.js';

export interface Args extends FigureArgs {
  runDir: string;
}

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <run-dir>',
  describe: 'Rewrite the report files of a run folder from its run.json, without re-running',
  builder: (y) => y.positional('run-dir', { type: 'string', demandOption: true, describe: 'a run folder (or its run.json)' }).options(figureOptions) as never,
  handler: async (a) => (await import('./report.impl.js')).handler(a),
};
