/** `unilat schema` itself, imported by its command definition only when the command runs. */
import { scenarioSchema, z } from '../scenario/schema.js';

/** A stable name, not a download address: editors take the schema from the modeline's file path. */
export const SCHEMA_ID = 'urn:unilat:scenario-schema';

export function scenarioJsonSchemaDraft7(): Record<string, unknown> {
  // draft-07: the draft YAML editors (yaml-language-server) read best.
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, $id: SCHEMA_ID, title: 'unilat scenario', description: 'A unilat scenario file: what to measure (benchmarks), where (deployments on hosts), and the gates', ...rest };
}

export async function handler(): Promise<void> {
  process.stdout.write(`${JSON.stringify(scenarioJsonSchemaDraft7(), null, 2)}\n`);
}
