/**
 * Figures, specs and summary.tex from a record measured with the real probe: SVGs are
 * well-formed with their axis titles and units, the synchronous renderer matches Vega's own,
 * specs round-trip, LaTeX is escaped, and the histogram helpers agree with a direct count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../src/results/histogram.js';
import type { RunRecord } from '../../src/results/types.js';
import { binnedCurve, exceedance, uniformBinWidth } from '../../src/report/data.js';
import { renderFigures } from '../../src/report/figures.js';
import { renderSummaryTex, texEscape } from '../../src/report/latex.js';
import { exceedanceSpec, PLOT_WARNINGS_ENV, plotsFor, prefixSvgIds, renderSvg, renderSvgAsync, wrap } from '../../src/report/plots.js';
import { cleanupProbes } from '../helpers/probe.js';
import { measuredRecord } from './fixture.js';
import { checkWellFormed, svgTexts } from './xml.js';

/** Axis titles (with units) each kind of figure must carry. */
/** Axis titles with their units (a latency axis is logarithmic where the data span more than two decades). */
const AXIS_TITLES: Record<string, RegExp[]> = {
  'latency-histogram': [/^latency \(µs(, log scale)?\)$/, /^count per .*bin \(log scale\)$/],
  exceedance: [/^latency \(µs(, log scale)?\)$/, /^P\(latency > x\), log scale$/],
  timeline: [/^time since start \(s\)$/, /^latency \(µs, log scale\)$/],
  syscall: [/^ns per operation \(median of batches, 95% interval\)$/, /^operation$/],
  'boot-time': [/^boot time \(ms\)$/, /^deployment$/],
};

describe('figures and summary.tex', () => {
  let record: RunRecord;
  before(async () => {
    record = await measuredRecord();
  });
  after(cleanupProbes);

  test('one histogram, exceedance and timeline per latency benchmark, one syscall chart, each with its spec', () => {
    const files = renderFigures(record).map((f) => f.file).sort();
    assert.deepEqual(files, [
      'exceedance-wakeup.svg',
      'exceedance-wakeup.vl.json',
      'latency-histogram-wakeup.svg',
      'latency-histogram-wakeup.vl.json',
      'syscall-syscalls.svg',
      'syscall-syscalls.vl.json',
      'timeline-wakeup.svg',
      'timeline-wakeup.vl.json',
    ]);
  });

  test('every SVG is well-formed XML, has its axis titles with units and a legend naming both deployments', () => {
    for (const f of renderFigures(record).filter((x) => x.file.endsWith('.svg'))) {
      assert.deepEqual(checkWellFormed(f.content), [], f.file);
      const kind = f.file.replace(/-(wakeup|syscalls)\.svg$/, '');
      const texts = svgTexts(f.content);
      for (const t of AXIS_TITLES[kind]) assert.ok(texts.some((x) => t.test(x)), `${f.file}: no axis title ${t} in ${JSON.stringify(texts.slice(0, 40))}`);
      assert.ok(texts.includes('fifo') && texts.includes('other'), `${f.file}: legend lacks a deployment`);
      assert.match(f.content, /<svg [^>]*width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    }
  });

  test('the syscall chart labels syscalls with their ratio to a function call', () => {
    const svg = renderFigures(record).find((f) => f.file === 'syscall-syscalls.svg')!.content;
    const labels = svgTexts(svg).filter((t) => /× func\)$/.test(t));
    assert.ok(labels.some((t) => /^[\d.]+ ns \([\d.]+× func\)$/.test(t)), JSON.stringify(labels));
  });

  test('the synchronous renderer gives exactly what Vega\'s View.toSVG() gives', async () => {
    for (const p of plotsFor(record)) assert.equal(renderSvg(p.spec), await renderSvgAsync(p.spec), p.name);
  });

  test('specs are plain JSON with their data inline, and render the same after a round trip', () => {
    const figs = renderFigures(record);
    for (const p of plotsFor(record)) {
      const json = figs.find((f) => f.file === `${p.name}.vl.json`)!.content;
      const spec = JSON.parse(json) as { data: { values: unknown[] } };
      assert.deepEqual(spec as unknown, p.spec);
      assert.ok(Array.isArray(spec.data.values) && spec.data.values.length > 0, p.name);
      assert.equal(renderSvg(spec as unknown as typeof p.spec), renderSvg(p.spec));
    }
  });

  test('boot time per guest deployment when results carry context.bootMs', () => {
    // Boot times added to the measured record: no guest runs in this test.
    const withBoot: RunRecord = {
      ...record,
      results: record.results.map((r, i) => ({ ...r, context: { ...r.context, bootMs: 800 + 37 * i } })),
    };
    const svg = renderFigures(withBoot).find((f) => f.file === 'boot-time.svg');
    assert.ok(svg, 'no boot-time.svg');
    assert.deepEqual(checkWellFormed(svg.content), []);
    const texts = svgTexts(svg.content);
    for (const t of AXIS_TITLES['boot-time']) assert.ok(texts.some((x) => t.test(x)), String(t));
    assert.ok(renderFigures(record).every((f) => !f.file.startsWith('boot-time')), 'boot plot without boot times');
  });

  test('uniform bins hold whole buckets and every sample; exceedance falls from 1 to one sample', () => {
    const h = new Histogram();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const raw: number[] = [];
    for (let k = 0; k < 20000; k++) {
      const v = Math.round(2000 + 3000 * -Math.log(1 - rnd()) + (rnd() < 0.001 ? 400000 * rnd() : 0));
      raw.push(v);
      h.record(v);
    }
    const d = h.toData();
    const w = uniformBinWidth(d.max);
    const bins = binnedCurve(d, (lo) => Math.floor(lo / w));
    assert.equal(bins.reduce((a, b) => a + b.count, 0), d.count);
    // Whole buckets: each bin's count equals the raw samples in [start, start + w).
    for (const { bin, count } of bins) assert.equal(count, raw.filter((v) => v >= bin * w && v < (bin + 1) * w).length, `bin ${bin * w}`);
    // Bins on one segment are neighbours; a gap starts a new segment.
    for (let i = 1; i < bins.length; i++) if (bins[i].segment === bins[i - 1].segment) assert.equal(bins[i].bin, bins[i - 1].bin + 1, `bin ${bins[i].bin}`);
    const ex = exceedance(d);
    assert.deepEqual(ex[0], [d.min, 1]);
    assert.equal(ex[ex.length - 1][0], d.max);
    for (const [x, p] of ex.slice(1, -1)) assert.equal(p, raw.filter((v) => v >= x).length / raw.length, `P(> ${x})`);
    assert.ok(ex.every(([, p], i) => i === 0 || p <= ex[i - 1][1]));
  });

  test('SVG ids are made unique per inlined figure', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use xlink:href="#clip1"/></g></svg>';
    assert.equal(prefixSvgIds(svg, 'p3'), '<svg><defs><clipPath id="p3-clip1"><rect/></clipPath></defs><g clip-path="url(#p3-clip1)"><use xlink:href="#p3-clip1"/></g></svg>');
  });

  test('titles wrap to lines that fit', () => {
    assert.deepEqual(wrap('a bb ccc dddd', 6), ['a bb', 'ccc', 'dddd']);
    assert.deepEqual(wrap('', 10), ['']);
  });

  test('summary.tex: booktabs tables for latency and ops, every row, escaped text', () => {
    const tex = renderSummaryTex(record);
    for (const cmd of ['\\toprule', '\\midrule', '\\bottomrule', '\\label{tab:unilat-latency}', '\\label{tab:unilat-syscall}']) assert.ok(tex.includes(cmd), cmd);
    assert.match(tex, /^fifo & wakeup & local & \d+ & [\d.]+ & [\d.]+ & [\d.]+ & [\d.]+ & [\d.]+ \\\\$/m);
    assert.match(tex, /^other & wakeup & local & \d+ & [\d.]+ /m);
    assert.match(tex, /^fifo & syscalls & local & \\texttt\{clock\\_gettime\} & [\d.]+ & \[[\d.]+, [\d.]+\] & [\d.]+\$\\times\$ \\\\$/m);
    // Every row of a tabular has as many cells as its column spec.
    for (const m of tex.matchAll(/\\begin\{tabular\}\{(\w+)\}([^]*?)\\end\{tabular\}/g)) {
      const rows = m[2].split('\n').filter((l) => l.endsWith('\\\\'));
      for (const r of rows) assert.equal(r.replace(/\\&/g, '').split('&').length, m[1].length, r);
    }
    // Braces balance outside escapes; the run id's '<' and '>' only appear in a comment.
    const body = tex.split('\n').filter((l) => !l.startsWith('%')).join('\n').replace(/\\[{}]/g, '');
    assert.equal((body.match(/\{/g) ?? []).length, (body.match(/\}/g) ?? []).length);
    assert.equal(texEscape('a_b & {c} 50% $x$ #1 ~^\\ <i>'), 'a\\_b \\& \\{c\\} 50\\% \\ensuremath{\\$}x\\ensuremath{\\$} \\#1 \\textasciitilde{}\\textasciicircum{}\\textbackslash{} \\textless{}i\\textgreater{}');
  });
});

describe('plotting libraries stay quiet', () => {
  /** What console.warn/error/log printed while `f` ran. */
  function printed(f: () => void): string[] {
    const seen: string[] = [];
    const saved = { warn: console.warn, error: console.error, log: console.log };
    for (const k of ['warn', 'error', 'log'] as const) console[k] = (...args: unknown[]) => void seen.push(args.map(String).join(' '));
    try {
      f();
    } finally {
      Object.assign(console, saved);
    }
    return seen;
  }

  test('an empty plot would warn (Infinite extent); unasked, nothing reaches the terminal, asked (UNILAT_PLOT_WARNINGS) it does', () => {
    const spec = exceedanceSpec('empty', []);
    assert.deepEqual(printed(() => renderSvg(spec)), []);
    process.env[PLOT_WARNINGS_ENV] = '1';
    try {
      assert.match(printed(() => renderSvg(spec)).join('\n'), /Infinite extent/);
    } finally {
      delete process.env[PLOT_WARNINGS_ENV];
    }
  });
});
