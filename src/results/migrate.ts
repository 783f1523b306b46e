/** Older layouts brought to the current one: run.json before the schema checks it, the history database when a writer opens it. */
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

/**
 * The history database's schema steps after version 1 (results/history.ts SCHEMA), in order:
 * a writer opening an older history applies those above its version in one transaction and
 * records each version reached. Readers (read-only) cope with a missing step's columns.
 */
export const HISTORY_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  // 2: each run's provenance (results/provenance.ts) as JSON, for `history --changes`.
  { version: 2, sql: 'ALTER TABLE runs ADD COLUMN provenance TEXT' },
];
