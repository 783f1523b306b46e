/**
 * The TeX escaper against pdflatex itself: every printable character of ASCII, Latin-1,
 * Latin Extended-A, Greek, general punctuation, arrows and mathematical operators (and some
 * CJK, an emoji, combining marks) comes out as ASCII that compiles, with Computer Modern
 * Type 1 fonts only (nothing from TS1, which would be a bitmap font made by METAFONT); and
 * report.tex of a realistic record (guests, failures, tuning, loads) with hostile text in every
 * string compiles too.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletedLatencyResult, RunRecord, Tracing } from '../../src/results/types.js';
import { renderReportTex } from '../../src/report/report-tex.js';
import { texEscape } from '../../src/report/tex.js';
import { mapStrings, realisticRecord } from './hostile.js';
import { missingTools, pdfFonts, pdflatex, pdfText } from './pdf-tools.js';

const skip = missingTools() ?? false;

function range(from: number, to: number): string {
  let s = '';
  // Spaced, so the lines can break (pdftotext does not read what runs off the page).
  for (let c = from; c <= to; c++) s += `${String.fromCodePoint(c)} `;
  return s;
}

/** Two traced spikes, one attributed (every kind of culprit) and one not. */
const TRACING: Tracing = {
  thresholdNs: 100_000,
  maxTraces: 2,
  bufferKb: 4096,
  clock: 'mono',
  events: ['sched_switch', 'irq_handler_entry'],
  missing: [],
  spikes: [
    {
      trace: 0, thread: 0, tid: 4242, cpu: 1, plannedNs: 1e9, actualNs: 1e9 + 180_000, latencyNs: 180_000, file: 'trace-0.txt',
      attribution: {
        windowNs: 180_000, coveredNs: 170_000, wokenAfterNs: 150_000, switchedInAfterNs: 175_000,
        entries: [
          { kind: 'irq', name: 'virtio1-req.0', ns: 90_000, count: 2, irq: 36 },
          { kind: 'thread', name: 'kworker/1:2', ns: 50_000, count: 1, pid: 77, policy: 'rt', priority: 95 },
          { kind: 'softirq', name: 'TIMER', ns: 20_000, count: 1 },
          { kind: 'vector', name: 'LOCAL_TIMER', ns: 5_000, count: 1, vector: 236 },
          { kind: 'idle', name: 'swapper/1', ns: 3_000, count: 0 },
          { kind: 'self', name: 'probe', ns: 2_000, count: 1, pid: 4242 },
        ],
      },
    },
    { trace: 1, thread: 0, tid: 4242, cpu: 1, plannedNs: 2e9, actualNs: 2e9 + 150_000, latencyNs: 150_000, file: null, attribution: null, error: 'the trace buffer overflowed' },
  ],
};

/** Fields whose values are from a fixed set (the record would not be read the same with other text). */
const FIXED = new Set(['status', 'kind', 'mode', 'verdict', 'accel', 'layout', 'type', 'startedAt', 'endedAt', 'policy']);

const HOSTILE = ' naïve µs & 100% ~$x_1^2$ {a} \\end \\\\ # ^ _ ≥ × – 中文 🚀\n[x] *y';

function assertType1Only(pdf: string): void {
  for (const f of pdfFonts(pdf)) {
    assert.ok(f.embedded, `font ${f.name} not embedded`);
    assert.notEqual(f.type, 'Type 3', `a bitmap font: ${f.name}`);
  }
}

describe('TeX escaping compiled by pdflatex', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'unilat-texesc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every character of the ranges the escaper knows (and beyond) compiles as ASCII with Type 1 fonts', () => {
    const text = [
      range(0x20, 0x7e),
      range(0xa0, 0x17f),
      range(0x370, 0x3ff),
      range(0x2000, 0x206f),
      range(0x2190, 0x21ff),
      range(0x2200, 0x22ff),
      '中文 🚀 e\u0301 a\u0328 \u0301 i\u0308 ǅ ﬁ ∑∏ ✓',
    ].join(' ');
    // In text, a table cell, typewriter type, bold and a caption: each sets text differently.
    const e = texEscape(text);
    assert.doesNotMatch(e, /[^\x20-\x7e]/, 'ASCII only');
    const tex = ['\\documentclass{article}', '\\usepackage{booktabs}', '\\begin{document}', e, '', `\\texttt{${e}}`, '', `\\textbf{${e}}`, '', `\\begin{tabular}{l}\\toprule ${texEscape('µ ≥ é ß')} \\\\ \\bottomrule\\end{tabular}`, `\\begin{table}[h]\\caption{${texEscape('naïve µs ≥ 1 × – £ § © ™ †')}}\\end{table}`, '\\end{document}', ''].join('\n');
    writeFileSync(join(dir, 'chars.tex'), tex);
    const c = pdflatex(dir, 'chars.tex');
    assert.equal(c.code, 0, c.log);
    assertType1Only(c.pdf);
    const out = pdfText(c.pdf);
    // What pdftotext reads back: letters with their accents, math symbols as Unicode.
    for (const s of ['A B C', 'x y z', '0 1 2 3', '# $ % &', 'à á â ã ä å', 'è é ê ë', 'ì í î ï', 'ñ ò ó ô õ ö', 'ù ú û ü', 'ß', 'µ', '±', '×', '÷', '≥', '≤', '→', 'α β γ', 'Ā ā Ă ă A a Ć ć', 'Ń ń', 'Ž ž'])
      assert.ok(out.includes(s), `${JSON.stringify(s)} is not in ${out}`);
  });

  test('report.tex of a realistic record (traced spikes too) with hostile text in every string compiles', () => {
    const base = realisticRecord();
    (base.results.find((r) => r.kind === 'cyclic' && r.status === 'completed') as CompletedLatencyResult).tracing = structuredClone(TRACING);
    const hostile = mapStrings(base, (s, path) => (FIXED.has(String(path[path.length - 1])) ? s : `${s}${HOSTILE}`)) as RunRecord;
    // Enough results for the long tables to break across pages.
    const record = { ...hostile, results: Array.from({ length: 8 }, (_, k) => hostile.results.map((r) => ({ ...r, repetition: r.repetition + k }))).flat() };
    const tex = renderReportTex(record);
    assert.match(tex, /\\begin\{longtable\}/, 'a long table');
    assert.doesNotMatch(tex, /[^\x0a\x20-\x7e]/, 'report.tex is printable ASCII');
    writeFileSync(join(dir, 'report.tex'), tex);
    const c = pdflatex(dir, 'report.tex');
    assert.equal(c.code, 0, c.log);
    assertType1Only(c.pdf);
    const text = pdfText(c.pdf);
    for (const s of ['Warnings', 'Failed steps', 'Guests', 'Hosts', 'Configuration', 'traced spikes', 'IRQ 36 virtio1-req.0', 'the trace buffer overflowed', 'a warning of the run naïve µs & 100% ', '{a} \\end \\\\ #', '≥ × –'])
      assert.ok(text.includes(s), `the PDF lacks ${JSON.stringify(s)}`);
  });
});
