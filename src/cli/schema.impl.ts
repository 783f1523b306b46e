/** `unilat schema` itself, imported by its command definition only when the command runs. */
import { scenarioJsonSchema } from '../scenario/schema.js';

export async function handler(a: { runRecord?: boolean }): Promise<void> {
  // The run record's schema is built (as its module loads) only when it is asked for.
  const schema = a.runRecord ? (await import('../results/schema.js')).runRecordJsonSchema() : scenarioJsonSchema();
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
}
