import type { CommandModule } from 'yargs';
import { runRecordJsonSchema } from '../results/schema.js';
import { scenarioJsonSchema } from '../scenario/schema.js';

export const schemaCommand: CommandModule<object, { runRecord?: boolean }> = {
  command: 'schema',
  describe: 'Print the scenario JSON Schema (for editor completion of scenarios/*.yaml), or with --run-record that of run.json',
  builder: (y) => y.option('run-record', { type: 'boolean', describe: 'print the JSON Schema of run.json instead' }) as never,
  handler: (a) => {
    process.stdout.write(`${JSON.stringify(a.runRecord ? runRecordJsonSchema() : scenarioJsonSchema(), null, 2)}\n`);
  },
};
