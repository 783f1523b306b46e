import type { CommandModule } from 'yargs';

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'Print the scenario JSON Schema (for editor completion of scenarios/*.yaml)',
  handler: async () => (await import('./schema.impl.js')).handler(),
};
