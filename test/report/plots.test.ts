/**
 * What the figures' specs promise: publication size (and --figure-width/--figure-height), one
 * colour per deployment in scenario order across every figure, a log latency axis where the
 * data span more than two decades, no line across empty bins (an imported histogram's
 * overflows), whole-second timeline ticks, categorical figures that do not collapse with one
 * deployment. Records: the stored run.json files of real runs (test/results/fixtures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Histogram } from '../../src/results/histogram.js';
import { parseRunRecord } from '../../src/results/schema.js';
import type { RunRecord } from '../../src/results/types.js';
import { latencySummary } from '../../src/stats/summary.js';
import type { LatencyGroup } from '../../src/report/data.js';
import { DEFAULT_FIGURE, histogramSpec, PALETTE, plotsFor, renderSvg, seriesColours } from '../../src/report/plots.js';

function stored(name: string): RunRecord {
  const file = `test/results/fixtures/${name}.json`;
  return parseRunRecord(JSON.parse(readFileSync(file, 'utf8')), file);
}

type Spec = { width: number; height: number; data?: { values: Array<Record<string, unknown>> }; layer?: Spec[]; encoding?: Record<string, { scale?: { type?: string; domain?: unknown[]; range?: unknown[] }; axis?: Record<string, unknown> }> };

/** Every colour scale of a spec (layers included): its domain and range. */
function colourScales(s: Spec): Array<{ domain: unknown[]; range: unknown[] }> {
  const own = s.encoding?.color?.scale?.domain ? [{ domain: s.encoding.color.scale.domain, range: s.encoding.color.scale.range ?? [] }] : [];
  return [...own, ...(s.layer ?? []).flatMap(colourScales)];
}

function encodings(s: Spec): NonNullable<Spec['encoding']>[] {
  return [...(s.encoding ? [s.encoding] : []), ...(s.layer ?? []).flatMap(encodings)];
}

function group(name: string, values: number[]): LatencyGroup {
  const h = new Histogram();
  for (const v of values) h.record(v);
  const histogram = h.toData();
  return { name, deployment: name, host: 'local', results: [], histogram, summary: latencySummary(histogram), threads: [{ thread: 0, cpu: 0, histogram, series: [] }], spikes: [], spikesDropped: 0 };
}

test('figures have a 640 x 360 plot area by default, the size asked for otherwise, and render at least 600 px wide', () => {
  const record = stored('v1-gates-comparisons');
  for (const p of plotsFor(record)) {
    const s = p.spec as unknown as Spec;
    assert.equal(s.width, DEFAULT_FIGURE.width, p.name);
    if (p.kind !== 'syscall' && p.kind !== 'boot-time') assert.equal(s.height, DEFAULT_FIGURE.height, p.name);
    const w = Number(/<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(renderSvg(p.spec))![1]);
    assert.ok(w >= 600, `${p.name}: ${w} px`);
  }
  for (const p of plotsFor(record, { width: 900, height: 500 })) assert.equal((p.spec as unknown as Spec).width, 900, p.name);
});

test('one colour per deployment, the same in every figure, Okabe-Ito in scenario order, legends in that order', () => {
  const record = stored('v1-gates-comparisons');
  const colours = seriesColours(record);
  assert.deepEqual([...colours.keys()], ['bare', 'bare-again']);
  assert.deepEqual([...colours.values()], PALETTE.slice(0, 2));
  const scales = plotsFor(record).flatMap((p) => colourScales(p.spec as unknown as Spec));
  assert.ok(scales.length >= 4);
  for (const sc of scales) {
    assert.deepEqual(sc.domain, ['bare', 'bare-again']);
    assert.deepEqual(sc.range, PALETTE.slice(0, 2));
  }
  // Scenario order wins over the order results came in.
  const reversed = { ...record, results: [...record.results].reverse() };
  assert.deepEqual([...seriesColours(reversed).keys()], ['bare', 'bare-again']);
});

test('a latency axis is logarithmic where the data span more than two decades, linear otherwise', () => {
  const narrow = histogramSpec('wakeup', [group('bare', Array.from({ length: 500 }, (_, i) => 3000 + (i % 50) * 20))]) as unknown as Spec;
  const wide = histogramSpec('wakeup', [group('bare', [...Array.from({ length: 500 }, (_, i) => 3000 + (i % 50) * 20), 4_000_000])]) as unknown as Spec;
  assert.notEqual(encodings(narrow)[0].x.scale?.type, 'log');
  assert.equal(encodings(wide)[0].x.scale?.type, 'log');
});

test("an imported histogram's overflows at its range and its one sample at the max are not joined by a line", () => {
  // As unilat import keeps a cyclictest -h histogram: the body, the overflows counted at the range (100 µs), the largest at the exact max.
  const values = [...Array.from({ length: 2000 }, (_, i) => 2000 + (i % 400) * 10), ...Array(30).fill(100_000), 3_217_000];
  const spec = histogramSpec('wakeup', [group('bare', values)]) as unknown as Spec;
  const line = spec.data!.values;
  const atMax = line.findIndex((v) => v.count !== null && (v.latencyUs as number) > 3000);
  assert.ok(atMax > 0);
  assert.equal(line[atMax - 1].count, null, 'the line breaks before the max');
  const atRange = line.findIndex((v) => v.count !== null && (v.latencyUs as number) > 90 && (v.latencyUs as number) < 110);
  assert.equal(line[atRange - 1].count, null, 'and before the range');
  // Bins alone on their segment are drawn as dots.
  const dots = spec.layer![1].data!.values.map((v) => Math.round(v.latencyUs as number));
  assert.ok(dots.some((x) => x > 3000) && dots.some((x) => x > 90 && x < 110), JSON.stringify(dots));
  // Every count the histogram holds is drawn.
  assert.equal(line.reduce((a, v) => a + ((v.count as number | null) ?? 0), 0), values.length);
});

test('timeline ticks are whole seconds; a one-deployment syscall figure gives each operation its own row', () => {
  const record = stored('v1-quickstart');
  const plots = plotsFor(record);
  const tl = plots.find((p) => p.kind === 'timeline')!.spec as unknown as Spec;
  for (const e of encodings(tl)) if (e.x) assert.equal(e.x.axis?.tickMinStep, 1);
  const labels = [...renderSvg(plots.find((p) => p.kind === 'timeline')!.spec).matchAll(/<text[^>]*>(\d+(?:\.\d+)?)<\/text>/g)].map((m) => m[1]);
  const xTicks = labels.filter((l) => !l.includes('.'));
  assert.ok(xTicks.length >= 2, JSON.stringify(labels));
  const sys = plots.find((p) => p.kind === 'syscall')!;
  const ops = new Set((sys.spec as unknown as Spec).layer ? ((sys.spec as unknown as Spec).data!.values.map((v) => v.op)) : []);
  assert.ok(ops.size >= 5);
  assert.ok((sys.spec as unknown as Spec).height >= ops.size * 26, `syscall plot ${(sys.spec as unknown as Spec).height}px for ${ops.size} operations`);
  assert.ok(!('yOffset' in ((sys.spec as unknown as Spec).encoding ?? {})), 'one deployment: no offset bands');
});
