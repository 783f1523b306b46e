/**
 * PDF twins of the SVG figures, for papers: vector, with the fonts embedded (subsets), made
 * by librsvg's rsvg-convert (Debian: librsvg2-bin). The tool is optional at run time: without
 * it, or where it fails on a figure, no PDF is written (never a broken file) and the reports
 * carry one warning saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** rsvg-convert processes at once: they run beside the figures and reports still being made. */
export const PDF_CONCURRENCY = 4;

/**
 * One SVG as a PDF; rejects with rsvg-convert's message when it fails. Input and output are
 * files in a private folder, not pipes: the converter then never waits for this process, which
 * may be busy rendering another report meanwhile.
 */
export async function svgToPdf(svg: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'unilat-pdf-'));
  try {
    const input = join(dir, 'figure.svg');
    const output = join(dir, 'figure.pdf');
    await writeFile(input, svg);
    // No shell: the arguments go to the program as they are.
    const { code, signal, stderr } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
      const child = spawn(PDF_TOOL, ['--format', 'pdf', '--output', output, input], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4096)));
      child.on('error', reject);
      child.on('close', (c, sig) => resolve({ code: c, signal: sig, stderr: err }));
    });
    const size = code === 0 ? (await stat(output).catch(() => null))?.size ?? 0 : 0;
    const pdf = size > 0 && size <= MAX_PDF ? await readFile(output) : Buffer.alloc(0);
    if (code !== 0 || pdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
      const why = stderr.trim().split('\n')[0] || (signal ? `killed by ${signal}` : size > MAX_PDF ? `more than ${MAX_PDF >> 20} MiB` : `exit ${code}`);
      throw new Error(`${PDF_TOOL}: ${why}`);
    }
    return pdf;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The warning of a run whose machine has no rsvg-convert: no PDF at all. */
export const NO_PDF_TOOL: Warning = {
  code: 'no-pdf-figures',
  message: `${PDF_TOOL} (Debian package ${PDF_PACKAGE}) was not found, so the figures were written as SVG only, without their PDF twins; report.tex shows a note in place of each figure.`,
};

/**
 * PDF twins made as the SVGs come: each SVG added starts converting at once while fewer than
 * PDF_CONCURRENCY conversions run, else when one ends; `result()` waits for them all. Without
 * rsvg-convert nothing is converted and the result carries that warning.
 */
export class PdfQueue {
  /** Looked up at the first SVG: a run without figures never looks. */
  private available: boolean | null = null;
  private readonly outcomes: Array<Promise<PdfFile | string>> = [];
  private running = 0;
  private waiting: Array<() => void> = [];
  private added = 0;

  add(svg: FigureFile): void {
    if (!svg.file.endsWith('.svg')) return;
    this.added++;
    this.available ??= pdfToolAvailable();
    if (!this.available) return;
    this.outcomes.push(this.convert(svg));
  }

  private async convert(f: FigureFile): Promise<PdfFile | string> {
    if (this.running >= PDF_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return { file: f.file.replace(/\.svg$/, '.pdf'), content: await svgToPdf(f.content) };
    } catch (e) {
      return `${f.file} (${(e as Error).message})`;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** The PDFs in the order their SVGs were added, and at most one warning (the tool missing, or the figures it failed on). */
  async result(): Promise<{ files: PdfFile[]; warning: Warning | null }> {
    if (!this.added) return { files: [], warning: null };
    if (!this.available) return { files: [], warning: NO_PDF_TOOL };
    const outcomes = await Promise.all(this.outcomes);
    const files = outcomes.filter((o): o is PdfFile => typeof o !== 'string');
    const failed = outcomes.filter((o): o is string => typeof o === 'string');
    return { files, warning: failed.length ? { code: 'no-pdf-figures', message: `no PDF twin was written for ${failed.join(', ')}.` } : null };
  }

  /** The warning the result will have unless a conversion fails: known before any has ended. */
  expectedWarning(): Warning | null {
    return this.added && !this.available ? NO_PDF_TOOL : null;
  }
}

/** `<name>.pdf` for each `<name>.svg` among `figures` (PdfQueue), and at most one warning. */
export function pdfTwins(figures: readonly FigureFile[]): Promise<{ files: PdfFile[]; warning: Warning | null }> {
  const q = new PdfQueue();
  for (const f of figures) q.add(f);
  return q.result();
}
