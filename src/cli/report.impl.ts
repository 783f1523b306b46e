/** `unilat report` itself, imported by its command definition only when the command runs. */
import { writeReports } from '../report/write.js';
import { loadRunRecord } from '../results/store.js';
import type { Args } from './report.js';

export async function handler(a: Args): Promise<void> {
  const record = await loadRunRecord(a.runDir);
  const dir = a.runDir.endsWith('.json') ? a.runDir.replace(/\/?run\.json$/, '') || '.' : a.runDir;
  const files = await writeReports(record, dir);
  process.stdout.write(`wrote ${files.join(', ')}\n${dir}\n`);
}

