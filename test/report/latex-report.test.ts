/**
 * report.tex and the figures' PDF twins of a real run: a short local run of a scenario whose
 * description holds every LaTeX special, line breaks and text beyond ASCII, and whose
 * deployment names hold what names may ('_', '.', '-'). report.tex compiles with pdflatex
 * (Debian's texlive-latex-base and -recommended, stopping at the first error), its fonts are
 * all embedded Type 1 (no bitmap font made on the fly), its first page is not blank and reads
 * what the scenario says; summary.tex compiles inside a minimal document; every SVG figure
 * has a vector PDF twin with its fonts embedded. Without rsvg-convert no PDF is written, the
 * reports say so once, and report.tex still compiles.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { missingTools, pageInk, pdfFonts, pdfImages, pdflatex, pdfText } from './pdf-tools.js';

const skip = missingTools() ?? false;

const DESCRIPTION = 'naïve µs & 100% ~$x_1^2$ {a} \\end \\\\end # ^ _ \\section{x} ≥ 3 × 2 – Ærøskøbing, Łódź, 中文 🚀\n\nSecond paragraph: 50 % of <all> | "quoted" -- `back` ?`';

const SCENARIO = `name: tex-hostile
description: ${JSON.stringify(DESCRIPTION)}
hosts: [local]
duration: 1s
deployments:
  - {name: naive_1.x, kind: bare-metal}
  - {name: b-2, kind: bare-metal}
benchmarks:
  - {name: wake_up, kind: cyclic, threads: 1, interval: 1ms}
  - {name: sys.calls, kind: syscall}
`;

describe('report.tex and PDF figures of a real run', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'unilat-latex-'));
  let dir = '';
  after(() => rmSync(root, { recursive: true, force: true }));

  before(async () => {
    const f = join(root, 'hostile.yaml');
    writeFileSync(f, SCENARIO);
    const r = await runCli(['run', f, '--out', root, '--wait-lock', '10m', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    dir = r.stdout.trim().split('\n').pop()!;
    assert.ok(existsSync(join(dir, 'run.json')), `run folder ${dir}`);
  });

  test('report.tex compiles with pdflatex; fonts embedded, no bitmap font; page 1 has ink and the scenario\'s text', () => {
    const tex = readFileSync(join(dir, 'report.tex'), 'utf8');
    assert.doesNotMatch(tex, /[^\x0a\x20-\x7e]/, 'report.tex is printable ASCII');
    const c = pdflatex(dir, 'report.tex');
    assert.equal(c.code, 0, c.log);
    const fonts = pdfFonts(c.pdf);
    assert.ok(fonts.length > 0, 'fonts listed');
    for (const f of fonts) {
      assert.ok(f.embedded, `font ${f.name} (${f.type}) not embedded`);
      assert.notEqual(f.type, 'Type 3', `a bitmap font made by METAFONT: ${f.name}`);
    }
    const page = pageInk(c.pdf, 1);
    assert.ok(page.width > 300 && page.height > 400, `page size ${page.width}x${page.height}`);
    // A page of text: some ink, mostly paper (an all-dark page would be a misread PNG).
    assert.ok(page.ink > 0.003 && page.ink < 0.5, `page 1: ${(page.ink * 100).toFixed(2)}% dark pixels`);
    const first = pdfText(c.pdf, 1);
    for (const s of ['unilat report: tex-hostile', 'naïve µs & 100% ', 'Ærøskøbing', '≥ 3 × 2 –', '$x', '{a}', '\\end \\\\end #', '\\section{x}', 'Second paragraph: 50 % of <all> |', 'Status: completed'])
      assert.ok(first.includes(s), `page 1 lacks ${JSON.stringify(s)}: ${first.slice(0, 600)}`);
    const all = pdfText(c.pdf);
    for (const s of ['Deployments side by side', 'naive', '1.x', 'b-2', 'Figures', 'Configuration']) assert.ok(all.includes(s), `the PDF lacks ${JSON.stringify(s)}`);
    assert.doesNotMatch(all, /is not there/, 'every figure is in');
  });

  test('summary.tex compiles inside a minimal document with booktabs', () => {
    const d = join(root, 'summary');
    mkdirSync(d);
    copyFileSync(join(dir, 'summary.tex'), join(d, 'summary.tex'));
    writeFileSync(join(d, 'paper.tex'), '\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{summary.tex}\n\\end{document}\n');
    const c = pdflatex(d, 'paper.tex');
    assert.equal(c.code, 0, c.log);
    assert.match(pdfText(c.pdf), /Wake-up latency in .s/);
  });

  test('every SVG figure has a PDF twin next to it and its spec: vector (no image), fonts embedded', () => {
    const files = readdirSync(dir);
    const svgs = files.filter((f) => f.endsWith('.svg'));
    assert.ok(svgs.length >= 4, `figures: ${svgs.join(', ')}`);
    for (const svg of svgs) {
      const stem = svg.slice(0, -4);
      assert.ok(files.includes(`${stem}.vl.json`), `${stem}.vl.json`);
      assert.ok(files.includes(`${stem}.pdf`), `${stem}.pdf`);
      const pdf = join(dir, `${stem}.pdf`);
      const fonts = pdfFonts(pdf);
      assert.ok(fonts.length > 0, `${stem}.pdf has no font: its text would be outlines or missing`);
      for (const f of fonts) assert.ok(f.embedded, `${stem}.pdf: font ${f.name} not embedded`);
      assert.deepEqual(pdfImages(pdf), [], `${stem}.pdf holds raster images`);
      const ink = pageInk(pdf).ink;
      assert.ok(ink > 0.003 && ink < 0.5, `${stem}.pdf: ${(ink * 100).toFixed(2)}% dark pixels`);
    }
  });

  test('without rsvg-convert: no PDF, one warning in the reports, and report.tex still compiles with a note per figure', async () => {
    const d = join(root, 'no-rsvg');
    mkdirSync(d);
    copyFileSync(join(dir, 'run.json'), join(d, 'run.json'));
    // An empty PATH: rsvg-convert cannot be found (the CLI itself runs as node's own path).
    const empty = join(root, 'empty-bin');
    mkdirSync(empty);
    const r = await runCli(['report', d], { env: { PATH: empty } });
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(d);
    assert.ok(files.some((f) => f.endsWith('.svg')), 'the SVGs are written');
    assert.deepEqual(files.filter((f) => f.endsWith('.pdf')), [], 'no PDF');
    for (const f of ['report.md', 'report.html', 'report.tex']) {
      const n = readFileSync(join(d, f), 'utf8').split('rsvg-convert (Debian package librsvg2-bin) was not found').length - 1;
      assert.equal(n, 1, `${f} says it ${n} times`);
    }
    assert.ok(!readFileSync(join(d, 'run.json'), 'utf8').includes('no-pdf-figures'), 'run.json is not changed');
    const c = pdflatex(d, 'report.tex');
    assert.equal(c.code, 0, c.log);
    const text = pdfText(c.pdf);
    const notes = text.split('is not there').length - 1;
    assert.equal(notes, files.filter((f) => f.endsWith('.svg')).length, 'a note in place of each figure');
  });
});
