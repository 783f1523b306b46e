/**
 * The one place that writes report files (hyperfine's export manager): every reporter is a
 * pure function of the run record; files are written atomically, so none is ever half written.
 */
import { join } from 'node:path';
import { writeAtomic } from '../results/store.js';
import type { RunRecord } from '../results/types.js';
import { renderSummaryCsv } from './csv.js';
import { renderFigures } from './figures.js';
import { renderHtml } from './html.js';
import { renderSummaryTex } from './latex.js';
import { renderMarkdown } from './markdown.js';

export interface ReportFile {
  file: string;
  content: string | Buffer;
}

export type Reporter = (record: RunRecord) => ReportFile[];

export const reporters: Reporter[] = [
  (r) => [{ file: 'summary.csv', content: renderSummaryCsv(r) }],
  (r) => [{ file: 'report.md', content: renderMarkdown(r) }],
  (r) => [{ file: 'summary.tex', content: renderSummaryTex(r) }],
  (r) => renderFigures(r),
  (r) => [{ file: 'report.html', content: renderHtml(r) }],
];

/** Writes every report; a reporter that fails does not stop the others, and is named in the error. */
export async function writeReports(record: RunRecord, dir: string): Promise<string[]> {
  const written: string[] = [];
  const errors: string[] = [];
  for (const rep of reporters) {
    let files: ReportFile[];
    try {
      files = rep(record);
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    for (const f of files) {
      await writeAtomic(join(dir, f.file), f.content);
      written.push(f.file);
    }
  }
  if (errors.length) throw new Error(`some reports could not be written: ${errors.join('; ')}`);
  return written;
}
