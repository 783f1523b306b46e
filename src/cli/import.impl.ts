/** `unilat import` itself, imported by its command definition only when the command runs. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { importFiles } from '../bench/import.js';
import { InputError } from '../errors.js';
import { closeHistory, openHistory } from '../results/history.js';
import { createRunDir, newRunId } from '../results/store.js';
import { SCHEMA_VERSION, type RunRecord } from '../results/types.js';
import { beginRecord, finishRecord } from '../run/lifecycle.js';
import { VERSION } from '../version.js';
import type { Args } from './import.js';
import { usUnit } from '../report/format.js';

export async function handler(a: Args): Promise<void> {
  if (a.spikeThreshold !== undefined && !(a.spikeThreshold >= 0 && Number.isFinite(a.spikeThreshold))) throw new InputError(`--spike-threshold: give a number of us >= 0, got ${a.spikeThreshold}`);
  const started = new Date().toISOString();
  const results = await importFiles(a.file, {
    name: a.name,
    deployment: a.deployment,
    benchmark: a.benchmark,
    host: a.host,
    nsecs: a.nsecs,
    ...(a.spikeThreshold !== undefined ? { spikeThresholdNs: a.spikeThreshold * 1000 } : {}),
  });
  const name = a.name ?? 'import';
  // Opened before the run folder is made: a --db that is no history database is refused first (as for a run).
  if (a.db === undefined) await mkdir(a.out, { recursive: true });
  const db = openHistory(a.db ?? join(a.out, 'history.db'));
  try {
    const id = newRunId(name);
    const dir = await createRunDir(a.out, id);
    const record: RunRecord = {
      schemaVersion: SCHEMA_VERSION,
      id,
      tool: { name: 'unilat', version: VERSION },
      startedAt: results.map((r) => r.startedAt).sort()[0] ?? started,
      endedAt: null,
      status: 'running',
      scenario: { name, imported: a.file },
      scenarioFile: null,
      facts: {},
      readiness: {},
      tuning: [],
      results: [],
      warnings: [],
      hostErrors: {},
    };
    await beginRecord(db, record, dir);
    record.results = results;
    record.endedAt = results.map((r) => r.endedAt).sort().at(-1) ?? started;
    record.status = 'completed';
    await finishRecord(db, record, dir);
    for (const r of results)
      process.stdout.write(
        `${r.context?.import?.file}: ${r.latency.count} samples, max ${usUnit(r.latency.max)}` +
          `${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''})` : ''}\n`,
      );
    process.stdout.write(`${dir}\n`);
  } finally {
    closeHistory(db);
  }
}
