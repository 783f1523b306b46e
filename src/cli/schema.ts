import type { CommandModule } from 'yargs';
import { scenarioJsonSchema } from '../scenario/schema.js';

export const schemaCommand: CommandModule = {
  command: 'schema',
  describe: 'Print the scenario JSON Schema (for editor completion of scenarios/*.yaml)',
  handler: () => {
    process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  },
};
