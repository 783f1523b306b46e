/** `unilat schema` itself, imported by its command definition only when the command runs. */
import { scenarioJsonSchema } from '../scenario/schema.js';

export async function handler(): Promise<void> {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
}
