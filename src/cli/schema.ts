import type { CommandModule } from 'yargs';

export const schemaCommand: CommandModule<object, { runRecord?: boolean }> = {
  command: 'schema',
  describe: 'Print the scenario JSON Schema (for editor completion of scenarios/*.yaml), or with --run-record that of run.json',
  builder: (y) => y.option('run-record', { type: 'boolean', describe: 'print the JSON Schema of run.json instead' }) as never,
  handler: async (a) => (await import('./schema.impl.js')).handler(a),
};
