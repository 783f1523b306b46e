/** `unilat schema` itself, imported by its command definition only when the command runs. */
import { runRecordJsonSchema } from '../results/schema.js';
import { scenarioJsonSchema } from '../scenario/schema.js';

export async function handler(a: { runRecord?: boolean }): Promise<void> {
  process.stdout.write(`${JSON.stringify(a.runRecord ? runRecordJsonSchema() : scenarioJsonSchema(), null, 2)}\n`);
}
