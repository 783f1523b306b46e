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
import { figureFilesOf, renderFigures } from './figures.js';
import { renderCompareHtml, renderHtml } from './html.js';
import { renderComparisonJunit, renderGatesJunit } from './junit.js';
import { renderSummaryTex } from './latex.js';
import { renderMarkdown } from './markdown.js';
import { PdfQueue, pdfTwins } from './pdf.js';
import { plotsFor, type FigureSize, type Plot } from './plots.js';
import { renderReportTex } from './report-tex.js';

export interface ReportFile {
  file: string;
  content: string | Buffer;
}

/** How the reports are drawn (the command line's --figure-width and --figure-height). */
export interface ReportOptions {
  figure?: FigureSize;
}

export type Reporter = (record: RunRecord, opts?: ReportOptions) => ReportFile[] | Promise<ReportFile[]>;

/** The figures (SVG, Vega-Lite spec and, where rsvg-convert is there, PDF) and the warning about PDFs missing, if any. */
async function figureFiles(record: RunRecord, opts: ReportOptions = {}): Promise<{ files: ReportFile[]; warning: Warning | null }> {
  const figures = renderFigures(record, opts.figure);
  const pdfs = await pdfTwins(figures);
  return { files: [...figures, ...pdfs.files], warning: pdfs.warning };
}

/** The reporters that write text from the record; the figures are made first (writeReports), as they may add a warning. */
const textReporters: Array<(record: RunRecord, opts?: ReportOptions) => ReportFile[]> = [
  (r) => [{ file: 'summary.csv', content: renderSummaryCsv(r) }],
  (r) => [{ file: 'report.md', content: renderMarkdown(r) }],
  (r) => [{ file: 'summary.tex', content: renderSummaryTex(r) }],
  (r) => [{ file: 'report.tex', content: renderReportTex(r) }],
  (r, o) => [{ file: 'report.html', content: renderHtml(r, { figure: o?.figure }) }],
];

/** Every reporter, each a function of the record alone (the benchmark times them one by one). */
export const reporters: Reporter[] = [...textReporters, async (r, o) => (await figureFiles(r, o)).files];

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
 * The PDFs are converted while the other figures and the text reports are made; those are
 * made with the warning known before (rsvg-convert missing, or none), and made again in the
 * rare case that the conversion of a figure failed.
 */
export async function writeReports(record: RunRecord, dir: string, opts: ReportOptions = {}): Promise<string[]> {
  const shown = (w: Warning | null): RunRecord => (w ? { ...record, warnings: [...record.warnings, w] } : record);
  const pdfs = new PdfQueue();
  // Each figure's PDF starts converting as soon as its SVG exists, beside the next renders.
  let plots: readonly Plot[] = [];
  const failed: string[] = [];
  try {
    plots = plotsFor(record, opts.figure);
  } catch (e) {
    failed.push((e as Error).message);
  }
  const figures = await writeEach(
    plots.map((p) => () => {
      const files = figureFilesOf(p);
      for (const f of files) pdfs.add(f);
      return files;
    }),
    dir,
    true,
  );
  const expected = pdfs.expectedWarning();
  const texts = (w: Warning | null) => textReporters.map((rep) => () => rep(shown(w), opts));
  let text = await writeEach(texts(expected), dir, true);
  const made = await pdfs.result();
  const twins = await writeEach([() => made.files], dir);
  if (made.warning?.message !== expected?.message) text = await writeEach(texts(made.warning), dir);
  const errors = [...failed, ...[figures, twins, text].flatMap((w) => w.errors)];
  if (errors.length) throw new Error(`some reports could not be written: ${errors.join('; ')}`);
  return [...figures.written, ...twins.written, ...text.written];
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
  const { written, errors } = await writeEach(reps, dir);
  if (errors.length) throw new Error(`some reports could not be written: ${errors.join('; ')}`);
  return written;
}

/**
 * Each reporter's files, written; what failed, in words. `yieldBetween` lets pending I/O
 * (converters that ended) be handled between two reporters.
 */
async function writeEach(reps: Array<() => ReportFile[]>, dir: string, yieldBetween = false): Promise<{ written: string[]; errors: string[] }> {
  const written: string[] = [];
  const errors: string[] = [];
  for (const rep of reps) {
    if (yieldBetween) await new Promise<void>((resolve) => setImmediate(resolve));
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
  return { written, errors };
}
