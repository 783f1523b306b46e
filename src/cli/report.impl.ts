/** `unilat report` itself, imported by its command definition only when the command runs. */
import { writeReports } from '../report/write.js';
import { loadRunRecord } from '../results/store.js';
import type { Args } from './report.js';
import { figureSize } from './figure.js';

export async function handler(a: Args): Promise<void> {
  const figure = figureSize(a);
  const record = await loadRunRecord(a.runDir);
  const dir = a.runDir.endsWith('.json') ? a.runDir.replace(/\/?run\.json$/, '') || '.' : a.runDir;
  const files = await writeReports(record, dir, { figure });
  process.stdout.write(`wrote ${files.join(', ')}\n${dir}\n`);
}

