/**
 * The real tools the PDF and LaTeX tests use (scripts/install-test-deps.sh installs them, and
 * .ci/run runs that script): pdflatex, and poppler's pdffonts, pdfimages, pdftotext and
 * pdftoppm. Each is run without a shell, its arguments as they are.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, inkShare } from './png.js';

const TOOLS = ['rsvg-convert', 'pdflatex', 'pdffonts', 'pdfimages', 'pdftotext', 'pdftoppm'];

/** Why the PDF tests cannot run here (a tool is missing), or null. */
export function missingTools(): string | null {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' }).status !== 0);
  return missing.length ? `not installed: ${missing.join(', ')} (scripts/install-test-deps.sh installs them; .ci/run runs it)` : null;
}

export interface Compiled {
  code: number | null;
  /** The end of pdflatex's output, where it says why it stopped. */
  log: string;
  pdf: string;
}

/** Compiles `file` in `dir` with pdflatex, stopping at the first error, with no shell escape. */
export function pdflatex(dir: string, file: string): Compiled {
  const r = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', '-no-shell-escape', file], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, log: `${r.stdout}${r.stderr}`.split('\n').slice(-30).join('\n'), pdf: join(dir, file.replace(/\.tex$/, '.pdf')) };
}

export interface PdfFont {
  name: string;
  type: string;
  embedded: boolean;
}

/** pdffonts' table, read by the columns its dashed line marks. */
export function pdfFonts(pdf: string): PdfFont[] {
  const lines = execFileSync('pdffonts', [pdf], { encoding: 'utf8' }).split('\n');
  const cols = [...lines[1].matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length]);
  const cell = (l: string, i: number) => l.slice(cols[i][0], i + 1 < cols.length ? cols[i + 1][0] : undefined).trim();
  return lines.slice(2).filter((l) => l.trim()).map((l) => ({ name: cell(l, 0), type: cell(l, 1), embedded: cell(l, 3) === 'yes' }));
}

/** The raster images of a PDF, as pdfimages -list has them (one line each). */
export function pdfImages(pdf: string): string[] {
  return execFileSync('pdfimages', ['-list', pdf], { encoding: 'utf8' }).split('\n').slice(2).filter((l) => l.trim());
}

/**
 * The text of a PDF (pdftotext, layout not kept), spaces and line breaks as single spaces,
 * accents composed with their letters (TeX sets an accent over a dotless i as two glyphs).
 */
export function pdfText(pdf: string, page?: number): string {
  const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  return execFileSync('pdftotext', [...range, pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ').replace(/\u0131(?=\p{M})/gu, 'i').normalize('NFC');
}

/** Page `page` rendered at 50 dpi by pdftoppm: its size in pixels and the share of dark pixels. */
export function pageInk(pdf: string, page = 1): { width: number; height: number; ink: number } {
  const dir = mkdtempSync(join(tmpdir(), 'unilat-page-'));
  try {
    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', String(page), '-l', String(page), '-singlefile', pdf, join(dir, 'page')]);
    const g = decodePng(readFileSync(join(dir, 'page.png')));
    return { width: g.width, height: g.height, ink: inkShare(g) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
