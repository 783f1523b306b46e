/**
 * PDF twins of the SVG figures, for papers: vector, with the fonts embedded (subsets), made
 * by librsvg's rsvg-convert (Debian: librsvg2-bin). The tool is optional at run time: without
 * it, or where it fails on a figure, no PDF is written (never a broken file) and the reports
 * carry one warning saying so.
 */
import { spawnSync } from 'node:child_process';
import type { Warning } from '../results/types.js';
import type { FigureFile } from './figures.js';

/** The converter and where Debian has it, for messages. */
export const PDF_TOOL = 'rsvg-convert';
const PDF_PACKAGE = 'librsvg2-bin';

export interface PdfFile {
  file: string;
  content: Buffer;
}

/** Figures are small; anything bigger than this is not a figure's PDF. */
const MAX_PDF = 64 << 20;

/** Whether rsvg-convert can be run (looked up on PATH at every call, so a test can take it away). */
export function pdfToolAvailable(): boolean {
  const r = spawnSync(PDF_TOOL, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/** One SVG as a PDF; throws with rsvg-convert's message when it fails. */
export function svgToPdf(svg: string): Buffer {
  // No shell: the SVG goes in on stdin, the PDF comes back on stdout.
  const r = spawnSync(PDF_TOOL, ['--format', 'pdf'], { input: svg, maxBuffer: MAX_PDF, timeout: 60_000 });
  if (r.error) throw r.error;
  const pdf = r.stdout;
  if (r.status !== 0 || pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
    const why = r.stderr.toString('utf8').trim().split('\n')[0] || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
    throw new Error(`${PDF_TOOL}: ${why}`);
  }
  return pdf;
}

/**
 * `<name>.pdf` for each `<name>.svg` among `figures`, and at most one warning: the tool is
 * missing (no PDF at all), or it failed on some figures (those have none).
 */
export function pdfTwins(figures: readonly FigureFile[]): { files: PdfFile[]; warning: Warning | null } {
  const svgs = figures.filter((f) => f.file.endsWith('.svg'));
  if (!svgs.length) return { files: [], warning: null };
  if (!pdfToolAvailable())
    return {
      files: [],
      warning: {
        code: 'no-pdf-figures',
        message: `${PDF_TOOL} (Debian package ${PDF_PACKAGE}) was not found, so the figures were written as SVG only, without their PDF twins; report.tex shows a note in place of each figure.`,
      },
    };
  const files: PdfFile[] = [];
  const failed: string[] = [];
  for (const f of svgs) {
    try {
      files.push({ file: f.file.replace(/\.svg$/, '.pdf'), content: svgToPdf(f.content) });
    } catch (e) {
      failed.push(`${f.file} (${(e as Error).message})`);
    }
  }
  const warning = failed.length ? { code: 'no-pdf-figures', message: `no PDF twin was written for ${failed.join(', ')}.` } : null;
  return { files, warning };
}
