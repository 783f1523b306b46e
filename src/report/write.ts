/**
 * The one place that writes report files (hyperfine's export manager): every reporter is a
 * pure function of the run record; files are written atomically, so none is ever half written.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../results/store.js';
import type { Comparison, GateOutcome } from '../results/comparison.js';
import type { RunRecord, Warning } from '../results/types.js';
import { renderComparisonMarkdown } from './compare-md.js';
import { renderSummaryCsv } from './csv.js';
import { slug } from './data.js';
import { renderFigures } from './figures.js';
import { renderCompareHtml, renderHtml } from './html.js';
import { renderComparisonJunit, renderGatesJunit } from './junit.js';
import { renderSummaryTex } from './latex.js';
import { renderMarkdown } from './markdown.js';
import { pdfTwins } from './pdf.js';
import type { FigureSize } from './plots.js';
import { renderReportTex } from './report-tex.js';

export interface ReportFile {
  file: string;
  content: string | Buffer;
}

/** How the reports are drawn (the command line's --figure-width and --figure-height). */
export interface ReportOptions {
  figure?: FigureSize;
}

export type Reporter = (record: RunRecord, opts?: ReportOptions) => ReportFile[];

/** The figures (SVG, Vega-Lite spec and, where rsvg-convert is there, PDF) and the warning about PDFs missing, if any. */
function figureFiles(record: RunRecord, opts: ReportOptions = {}): { files: ReportFile[]; warning: Warning | null } {
  const figures = renderFigures(record, opts.figure);
  const pdfs = pdfTwins(figures);
  return { files: [...figures, ...pdfs.files], warning: pdfs.warning };
}

/** The reporters that write text from the record; the figures are made first (writeReports), as they may add a warning. */
const textReporters: Reporter[] = [
  (r) => [{ file: 'summary.csv', content: renderSummaryCsv(r) }],
  (r) => [{ file: 'report.md', content: renderMarkdown(r) }],
  (r) => [{ file: 'summary.tex', content: renderSummaryTex(r) }],
  (r) => [{ file: 'report.tex', content: renderReportTex(r) }],
  (r, o) => [{ file: 'report.html', content: renderHtml(r, { figure: o?.figure }) }],
];

/** Every reporter, each a function of the record alone (the benchmark times them one by one). */
export const reporters: Reporter[] = [...textReporters, (r, o) => figureFiles(r, o).files];

/** A comparison with the two records it came from (no baseline record for deployments inside one run). */
export interface ComparisonInput {
  comparison: Comparison;
  baseline: RunRecord | null;
  candidate: RunRecord;
  /** BASE and CAND: the deployments compared inside one run (`compare RUN --deployments`). */
  deployments?: readonly [string, string];
}

/**
 * The folder a comparison's files go into, named after what it compares, so no comparison
 * overwrites another's: `compare-BASELINE-vs-CANDIDATE` (run ids), or
 * `compare-RUN-BASE-vs-CAND` for two deployments of one run.
 */
export function comparisonFolderName(c: Pick<ComparisonInput, 'comparison' | 'deployments'>): string {
  const base = slug(c.comparison.baselineId ?? 'baseline');
  const cand = slug(c.comparison.candidateId ?? 'candidate');
  return c.deployments ? `compare-${cand}-${slug(c.deployments[0])}-vs-${slug(c.deployments[1])}` : `compare-${base}-vs-${cand}`;
}

export const comparisonReporters: Array<(c: ComparisonInput) => ReportFile[]> = [
  (c) => [{ file: 'compare.md', content: renderComparisonMarkdown(c.comparison) }],
  (c) => [{ file: 'compare.json', content: `${JSON.stringify(c.comparison, null, 1)}\n` }],
  (c) => [{ file: 'compare.html', content: renderCompareHtml(c.comparison, c.baseline, c.candidate) }],
];

/**
 * Writes every report of a run into its folder; returns the file names written. A figure
 * without its PDF is said once, as a warning of the run, in the reports (not in run.json).
 */
export function writeReports(record: RunRecord, dir: string, opts: ReportOptions = {}): Promise<string[]> {
  let warning: Warning | null = null;
  const figures = (): ReportFile[] => {
    const f = figureFiles(record, opts);
    warning = f.warning;
    return f.files;
  };
  // writeAll runs them in order: the figures first, so the text reports know about missing PDFs.
  const shown = (): RunRecord => (warning ? { ...record, warnings: [...record.warnings, warning] } : record);
  return writeAll([figures, ...textReporters.map((rep) => () => rep(shown(), opts))], dir);
}

/**
 * Writes compare.md, .json and .html into the comparison's own folder inside `parent` (made
 * here; comparisonFolderName), and JUnit XML to `junit` when given; returns the paths written.
 */
export async function writeComparisonReports(c: ComparisonInput, parent: string, junit?: string): Promise<string[]> {
  const dir = join(parent, comparisonFolderName(c));
  await mkdir(dir, { recursive: true });
  const written = (await writeAll(comparisonReporters.map((rep) => () => rep(c)), dir)).map((f) => join(dir, f));
  if (junit) {
    await writeAtomic(junit, renderComparisonJunit(c.comparison));
    written.push(junit);
  }
  return written;
}

/** Writes gate outcomes as JUnit XML (skipped gates as <skipped/>). */
export async function writeGatesJunit(file: string, outcomes: readonly GateOutcome[], name: string): Promise<void> {
  await writeAtomic(file, renderGatesJunit(outcomes, name));
}

/** A reporter that fails does not stop the others, and is named in the error. */
async function writeAll(reps: Array<() => ReportFile[]>, dir: string): Promise<string[]> {
  const written: string[] = [];
  const errors: string[] = [];
  for (const rep of reps) {
    let files: ReportFile[];
    try {
      files = rep();
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
