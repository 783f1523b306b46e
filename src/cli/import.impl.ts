/** `unilat import` itself, imported by its command definition only when the command runs. */
import { importFiles } from '../bench/import.js';
import { writeReports } from '../report/write.js';
import { createRunDir, newRunId, saveRunRecord } from '../results/store.js';
import { SCHEMA_VERSION, type RunRecord } from '../results/types.js';
import { VERSION } from '../version.js';
import type { Args } from './import.js';

export async function handler(a: Args): Promise<void> {
  const started = new Date().toISOString();
  const results = await importFiles(a.file, { name: a.name, host: a.host, nsecs: a.nsecs });
  const name = a.name ?? 'import';
  const id = newRunId(name);
  const dir = await createRunDir(a.out, id);
  const record: RunRecord = {
    schemaVersion: SCHEMA_VERSION,
    id,
    tool: { name: 'unilat', version: VERSION },
    startedAt: results.map((r) => r.startedAt).sort()[0] ?? started,
    endedAt: results.map((r) => r.endedAt).sort().at(-1) ?? started,
    status: 'completed',
    scenario: { name, imported: a.file },
    scenarioFile: null,
    facts: {},
    readiness: {},
    tuning: [],
    results,
    warnings: [],
    hostErrors: {},
  };
  await saveRunRecord(dir, record);
  await writeReports(record, dir);
  for (const r of results)
    process.stdout.write(
      `${r.context?.import?.file}: ${r.latency.count} samples, max ${r.latency.max / 1000} us` +
        `${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''})` : ''}\n`,
    );
  process.stdout.write(`${dir}\n`);
}

