/** Older run.json layouts, brought to the current one before the schema checks them. */
import { SCHEMA_VERSION } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Brings a parsed run.json to SCHEMA_VERSION. Version 1 kept readiness, plan, gates and
 * comparisons in `extra`; they are top-level fields now. Anything that is not an object
 * with a numeric schemaVersion is returned as is, for the schema to name what is wrong.
 */
export function migrateRunRecord(raw: unknown): unknown {
  if (!isObject(raw) || typeof raw.schemaVersion !== 'number' || raw.schemaVersion >= SCHEMA_VERSION) return raw;
  const { extra, ...rest } = raw;
  const x = isObject(extra) ? extra : {};
  const out: Record<string, unknown> = { ...rest, schemaVersion: SCHEMA_VERSION, readiness: x.readiness ?? {} };
  // Absent stays absent: a report tells "no gates" from "gates: []" the same way as before.
  for (const k of ['plan', 'gates', 'comparisons'] as const) if (x[k] !== undefined) out[k] = x[k];
  return out;
}
