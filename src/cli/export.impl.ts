/** `unilat export` itself, imported by its command definition only when the command runs. */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { fileSafe } from '../names.js';
import { EXPORT_FORMATS, rtTestsJson, type ExportFormat } from '../report/rt-tests-json.js';
import { loadRunRecord, writeAtomic } from '../results/store.js';
import { isLatencyResult, type CompletedLatencyResult } from '../results/types.js';
import type { Args } from './export.js';

/** A file name per result, unique within the run (names made file-safe can meet: the result's order then tells them apart). */
export function exportNames(results: CompletedLatencyResult[]): string[] {
  const base = results.map((r) => [r.deployment, r.benchmark, r.host].map((p) => fileSafe(p)).join('-') + `-rep${r.repetition}`);
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${b}-${results[i].order}` : b) + '.json');
}

export async function handler(a: Args): Promise<void> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(a.format))
    throw new InputError(`--format: unknown format "${a.format}" (known: ${EXPORT_FORMATS.join(', ')})`);
  const format = a.format as ExportFormat;
  const record = await loadRunRecord(a.run);
  const runDir = a.run.endsWith('.json') ? dirname(a.run) : a.run;
  const results = record.results.filter(isLatencyResult);
  if (results.length === 0) {
    const kinds = [...new Set(record.results.map((r) => (r.status === 'completed' ? r.kind : `${r.kind} (${r.status})`)))];
    throw new InputError(`${a.run}: no latency results to export as ${format} (the run has ${record.results.length ? kinds.join(', ') : 'no results'})`);
  }
  const names = exportNames(results);
  const toFile = a.out !== undefined && a.out.endsWith('.json');
  if (toFile && results.length > 1)
    throw new InputError(`--out ${a.out}: the run has ${results.length} latency results, one file each: give a folder instead`);
  const dir = toFile ? dirname(a.out!) : (a.out ?? join(runDir, format));
  const cannot = (what: string) => (e: unknown) => {
    throw new InputError(`${what}: cannot write it (${(e as NodeJS.ErrnoException).code ?? e})`);
  };
  await mkdir(dir, { recursive: true }).catch(cannot(toFile ? `--out ${a.out}` : `--out ${dir}`));
  for (const [i, r] of results.entries()) {
    const file = toFile ? a.out! : join(dir, names[i]);
    await writeAtomic(file, `${JSON.stringify(rtTestsJson(record, r), null, 2)}\n`).catch(cannot(file));
    process.stdout.write(`${file}\n`);
  }
}
