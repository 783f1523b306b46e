/**
 * Plots: Vega-Lite specs built as pure functions of a run record (each spec carries its own
 * data, so a `.vl.json` file can be restyled and re-rendered on its own), rendered to SVG
 * headlessly with Vega. The only module that imports vega and vega-lite.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { quantile } from '../stats/quantiles.js';
import { hasDistribution } from '../stats/summary.js';
import { isLatencyResult, isOpsResult, type RunRecord } from '../results/types.js';
import {
  benchmarkNames,
  binnedCurve,
  bootTimes,
  clearMemo,
  memoized,
  countedResults,
  exceedance,
  latencyGroups,
  opNames,
  opRows,
  opsGroups,
  seriesOrder,
  slug,
  spansDecades,
  timeline,
  uniformBinWidth,
  type LatencyGroup,
  type OpsGroup,
} from './data.js';
import { xmlChars } from './escape.js';
import { nsop } from './format.js';

export type PlotKind = 'latency-histogram' | 'exceedance' | 'timeline' | 'syscall' | 'boot-time';

export interface Plot {
  /** File stem: `<kind>-<benchmark>` or `boot-time`. */
  name: string;
  kind: PlotKind;
  /** The benchmark it shows (none for boot time). */
  benchmark: string | null;
  title: string;
  spec: TopLevelSpec;
}

/** The plot area of a figure in px (axes, titles and legends come on top). */
export interface FigureSize {
  width: number;
  height: number;
}

/** Publication size: a plot area a paper's column and a slide can both use. */
export const DEFAULT_FIGURE: FigureSize = { width: 640, height: 360 };

/** Accepted plot-area sizes (px), for the command line's --figure-width and --figure-height. */
export const FIGURE_LIMITS = { min: 200, max: 4000 } as const;

const MAX_SPIKES = 400;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Okabe and Ito's colour-blind-safe palette, most distinct first (its yellow last: it is faint
 * on white). Deployments take them in scenario order, the same colour in every figure.
 */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'] as const;

/** Each series name's colour, by its place in the run (seriesOrder); wraps after the palette. */
export type Colours = ReadonlyMap<string, string>;

export function seriesColours(record: RunRecord): Colours {
  return new Map(seriesOrder(record).map((n, i) => [n, PALETTE[i % PALETTE.length]]));
}

/** A colour encoding over `field` for the names a figure shows, in run order, with their fixed colours. */
function colour(field: string, names: readonly string[], colours: Colours, title: string | null = 'deployment') {
  const shown = [...colours.keys()].filter((n) => names.includes(n));
  const extra = names.filter((n) => !colours.has(n));
  const domain = [...shown, ...extra];
  return {
    field,
    type: 'nominal',
    ...(title === null ? { legend: null } : { title }),
    sort: domain,
    scale: { domain, range: domain.map((n, i) => colours.get(n) ?? PALETTE[(colours.size + i) % PALETTE.length]) },
  };
}

/** Shared look: the plot area is `size` (autosize pad: axes and legends are added around it, never taken from it); compact legends on the right. */
function frame(title: string, subtitle: string, size: FigureSize, height = size.height) {
  // Wrapped to the plot's width (Vega estimates text widths without a canvas).
  const chars = Math.max(30, Math.floor(size.width / 7));
  return {
    $schema: SCHEMA,
    title: { text: wrap(title, Math.floor(chars * 0.8)), subtitle: wrap(subtitle, chars), anchor: 'start' as const },
    description: `${title}. ${subtitle}`,
    width: size.width,
    height,
    padding: { left: 8, right: 12, top: 8, bottom: 8 },
    autosize: { type: 'pad' as const },
    background: 'white',
    config: {
      font: 'Helvetica, Arial, sans-serif',
      view: { stroke: '#bbb' },
      axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal' as const, gridColor: '#e4e4e4', labelLimit: 220 },
      legend: { orient: 'right' as const, labelFontSize: 12, titleFontSize: 12, labelLimit: 220, titleLimit: 220, symbolSize: 80, rowPadding: 2, padding: 0, offset: 12 },
      title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555' },
    },
  };
}

/** Greedy word wrap into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur || !lines.length) lines.push(cur);
  return lines;
}

function plural(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}

function threadLabel(t: { thread: number; cpu: number | null; context?: string }): string {
  if (t.context) return `CPU ${t.cpu ?? '?'} ${t.context}`; // rtla timerlat: a CPU's IRQ or thread latency
  return t.cpu === null ? `thread ${t.thread}` : `thread ${t.thread} (CPU ${t.cpu})`;
}

/** Log bins of a latency histogram: this many per octave. */
const LOG_BINS_PER_OCTAVE = 16;

/** A latency axis in µs: linear from zero, or logarithmic where the figures span more than two decades. */
function latencyAxis(log: boolean, zero: boolean) {
  return log
    ? { field: 'latencyUs', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log', nice: false }, axis: { format: '~g', tickCount: 8 } }
    : { field: 'latencyUs', type: 'quantitative', title: 'latency (µs)', scale: { zero, nice: true } };
}

function groupsSpan(groups: LatencyGroup[]): boolean {
  return spansDecades(Math.min(...groups.map((g) => g.histogram.min)), Math.max(...groups.map((g) => g.histogram.max)));
}

/**
 * OSADL-style latency histogram: x latency in µs, y count on a log axis, one curve per
 * thread (dash) and deployment (colour). The log-linear buckets are regrouped into bins that
 * hold whole buckets, so counts stay exact: uniform power-of-two bins, or, where the data span
 * more than two decades (a body of µs and a tail of ms), 16 log bins per octave on a log x axis.
 * A line never bridges empty bins; a bin alone is a dot.
 */
export function histogramSpec(benchmark: string, groups: LatencyGroup[], size: FigureSize = DEFAULT_FIGURE, colours: Colours = new Map()): TopLevelSpec {
  const log = groupsSpan(groups);
  // Bin width from the 99.9th percentile, not the max: one outlier must not lump the bulk
  // into a few bins. Above it buckets may be wider than a bin; they then fall into the bin
  // of their lower bound (still whole counts: the tail is sparse there).
  const width = uniformBinWidth(Math.max(1, ...groups.map((g) => quantile(g.histogram, 0.999))));
  const binOf = log ? (lo: number) => Math.floor(LOG_BINS_PER_OCTAVE * Math.log2(Math.max(1, lo))) : (lo: number) => Math.floor(lo / width);
  const centreUs = log ? (k: number) => 2 ** ((k + 0.5) / LOG_BINS_PER_OCTAVE) / 1000 : (k: number) => (k * width + width / 2) / 1000;
  const values: Array<{ deployment: string; thread: string; latencyUs: number; count: number | null }> = [];
  const alone: typeof values = [];
  for (const g of groups)
    for (const t of g.threads) {
      const bins = binnedCurve(t.histogram, binOf);
      bins.forEach((b, i) => {
        const v = { deployment: g.name, thread: threadLabel(t), latencyUs: centreUs(b.bin), count: b.count };
        // A gap: a null count breaks the line there (cheaper to draw than one path per segment).
        if (i && bins[i - 1].segment !== b.segment) values.push({ ...v, count: null });
        values.push(v);
        if (bins[i - 1]?.segment !== b.segment && bins[i + 1]?.segment !== b.segment) alone.push(v);
      });
    }
  const total = groups.reduce((a, g) => a + g.histogram.count, 0);
  const names = groups.map((g) => g.name);
  const x = latencyAxis(log, true);
  const y = { field: 'count', type: 'quantitative', title: log ? 'count per 1/16-octave bin (log scale)' : 'count per bin (log scale)', scale: { type: 'log' }, axis: { format: '~s' } };
  const color = colour('deployment', names, colours);
  const dash = { field: 'thread', type: 'nominal', title: 'thread' };
  return {
    ...frame(
      `Wake-up latency histogram: ${benchmark}`,
      `${plural(total, 'sample')}; ${log ? `${LOG_BINS_PER_OCTAVE} log bins per octave` : `bins of ${width >= 1000 ? `${width / 1000} µs` : `${width} ns`}`}; one curve per thread and deployment`,
      size,
    ),
    data: { values },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.4, invalid: 'break-paths-filter-domains' }, encoding: { x, y, color, strokeDash: dash } },
      ...(alone.length ? [{ data: { values: alone }, mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y, color } }] : []),
    ],
  } as TopLevelSpec;
}

/** P(latency > x) per deployment on a log axis, down to 1e-6 or one sample in the largest group. */
export function exceedanceSpec(benchmark: string, groups: LatencyGroup[], size: FigureSize = DEFAULT_FIGURE, colours: Colours = new Map()): TopLevelSpec {
  const values = groups.flatMap((g) => exceedance(g.histogram).map(([x, p]) => ({ deployment: g.name, latencyUs: Math.max(x, 1) / 1000, p })));
  const maxCount = Math.max(1, ...groups.map((g) => g.histogram.count));
  const floor = Math.min(1e-6, 10 ** Math.floor(Math.log10(1 / maxCount)));
  return {
    ...frame(
      `Exceedance: ${benchmark}`,
      `probability that one wake-up is later than x (threads and repetitions merged); the lowest step is one sample`,
      size,
    ),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
    encoding: {
      x: latencyAxis(groupsSpan(groups), false),
      y: { field: 'p', type: 'quantitative', title: 'P(latency > x), log scale', scale: { type: 'log', domain: [floor, 1] }, axis: { format: '~e' } },
      color: colour('deployment', groups.map((g) => g.name), colours),
    },
  } as TopLevelSpec;
}

/** Per-second max and mean latency over time (threads merged), spikes above the threshold marked. */
export function timelineSpec(benchmark: string, groups: LatencyGroup[], size: FigureSize = DEFAULT_FIGURE, colours: Colours = new Map()): TopLevelSpec {
  const lines = groups.flatMap((g) => {
    const pts = timeline(g);
    // Each figure holds for its second: drawn as steps, with the last second closed at its end.
    const last = pts[pts.length - 1];
    return [...pts, ...(last ? [{ ...last, t: last.t + 1 }] : [])].flatMap((p) => [
      { layer: 'series', deployment: g.name, statistic: 'max per second', t: p.t, latencyUs: p.max / 1000 },
      { layer: 'series', deployment: g.name, statistic: 'mean per second', t: p.t, latencyUs: p.mean / 1000 },
    ]);
  });
  // A figure with thousands of markers says no more than one with the largest few hundred.
  const shownPerGroup = Math.floor(MAX_SPIKES / Math.max(1, groups.length));
  const spikeTotal = groups.reduce((a, g) => a + g.spikes.length, 0);
  const spikes = groups.flatMap((g) =>
    [...g.spikes].sort((a, b) => b.latency - a.latency).slice(0, shownPerGroup).map((s) => ({ layer: 'spike', deployment: g.name, marker: 'spike', t: s.t / 1e9, latencyUs: s.latency / 1000 })),
  );
  const reps = Math.max(1, ...groups.map((g) => new Set(g.results.map((r) => r.repetition)).size));
  const dropped = groups.reduce((a, g) => a + g.spikesDropped, 0);
  const span = Math.max(1, ...lines.map((l) => l.t), ...spikes.map((s) => s.t));
  // Whole seconds only, so no two ticks read the same (a 3 s run's 0.5 s ticks printed as "0.0, 0.5, 1.0" twice).
  const x = { field: 't', type: 'quantitative', title: 'time since start (s)', scale: { domain: [0, Math.ceil(span)], nice: false }, axis: { tickMinStep: 1, format: 'd', tickCount: Math.min(10, Math.ceil(span)) } };
  const y = { field: 'latencyUs', type: 'quantitative', title: 'latency (µs, log scale)', scale: { type: 'log' } };
  const color = colour('deployment', groups.map((g) => g.name), colours);
  return {
    ...frame(
      `Latency over time: ${benchmark}`,
      `per-second maximum and mean (the probe reports means, not medians); threads${reps > 1 ? ` and ${reps} repetitions` : ''} merged per second` +
        (spikes.length ? `; ${spikes.length < spikeTotal ? `the largest ${spikes.length} of ${plural(spikeTotal, 'spike')}` : plural(spikes.length, 'spike')} marked` : '') +
        (dropped ? ` (${dropped.toLocaleString('en-US')} more beyond the probe's spike buffer)` : ''),
      size,
    ),
    data: { values: [...lines, ...spikes] },
    layer: [
      {
        transform: [{ filter: "datum.layer === 'series'" }],
        mark: { type: 'line', strokeWidth: 1.4, interpolate: 'step-after' },
        encoding: { x, y, color, strokeDash: { field: 'statistic', type: 'nominal', title: 'statistic', sort: ['max per second', 'mean per second'] } },
      },
      ...(spikes.length
        ? [
            {
              transform: [{ filter: "datum.layer === 'spike'" }],
              mark: { type: 'point', filled: true, size: 45, opacity: 0.85 },
              encoding: { x, y, color, shape: { field: 'marker', type: 'nominal', title: 'marker', scale: { range: ['triangle-up'] } } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

/** Height of one bar's row in the categorical figures, so one deployment's figure is as readable as many's. */
const BAR_ROW = 26;

/** ns/op per op and deployment with the 95% interval of the median, labelled with the syscall/function-call ratio. */
export function syscallSpec(benchmark: string, groups: OpsGroup[], size: FigureSize = DEFAULT_FIGURE, colours: Colours = new Map()): TopLevelSpec {
  const names = opNames(groups);
  const multiRep = groups.some((g) => g.results.length > 1);
  const values = groups.flatMap((g) =>
    opRows(g).map((o) => ({
      deployment: g.name,
      series: multiRep ? `${g.name} (rep ${o.repetition})` : g.name,
      op: o.op === 'func' ? 'func (function call)' : o.op,
      ns: o.nsPerOp,
      lo: o.ciLow,
      hi: o.ciHigh,
      label: `${nsop(o.nsPerOp)} ns${o.ratio !== null ? ` (${o.ratio.toFixed(1)}× func)` : ''}`,
    })),
  );
  const opOrder = names.map((n) => (n === 'func' ? 'func (function call)' : n));
  const maxHi = Math.max(1, ...values.map((v) => v.hi));
  const series = [...new Set(values.map((v) => v.series))];
  // Each bar gets a row of its own; with one series, each operation is one bar (no offset bands).
  const height = Math.max(opOrder.length * series.length * BAR_ROW, opOrder.length * 40);
  const y = { field: 'op', type: 'nominal', title: 'operation', sort: opOrder, scale: { paddingInner: 0.25 } };
  const offset = series.length > 1 ? { yOffset: { field: 'series', type: 'nominal', sort: series } } : {};
  // Room on the right for the labels: the x domain is widened instead of letting text run off.
  const x = { field: 'ns', type: 'quantitative', title: 'ns per operation (median of batches, 95% interval)', scale: { domain: [0, maxHi * 1.5], nice: false } };
  return {
    ...frame(`System call vs function call: ${benchmark}`, 'labels: ns per operation and, for system calls, the ratio to a plain function call', size, height),
    data: { values },
    encoding: { y, ...offset },
    layer: [
      { mark: { type: 'bar' }, encoding: { x, color: colour('deployment', groups.map((g) => g.name), colours), ...(multiRep ? { opacity: { field: 'series', type: 'nominal', legend: null } } : {}) } },
      { mark: { type: 'rule', strokeWidth: 1.2, color: '#222' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, baseline: 'middle' }, encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

/** Guest boot time per deployment: mean bar, each measured boot a dot. */
export function bootSpec(record: RunRecord, size: FigureSize = DEFAULT_FIGURE, colours: Colours = new Map()): TopLevelSpec | null {
  const rows = bootTimes(record);
  if (!rows.length) return null;
  const names = [...new Set(rows.map((r) => r.name))];
  const max = Math.max(...rows.map((r) => r.bootMs));
  const y = { field: 'deployment', type: 'nominal', title: 'deployment', sort: names, scale: { paddingInner: 0.3 } };
  return {
    ...frame('Guest boot time', `${plural(rows.length, 'boot')}; bar: mean, dots: each boot`, size, Math.max(names.length * 2 * BAR_ROW, 3 * BAR_ROW)),
    data: { values: rows.map((r) => ({ deployment: r.name, bootMs: r.bootMs, benchmark: r.benchmark, repetition: r.repetition })) },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.85, size: Math.min(2 * BAR_ROW, 36) },
        encoding: { y, x: { aggregate: 'mean', field: 'bootMs', type: 'quantitative', title: 'boot time (ms)', scale: { domain: [0, max * 1.3], nice: false } }, color: colour('deployment', names, colours, null) },
      },
      { mark: { type: 'point', filled: true, color: '#222', size: 30 }, encoding: { y, x: { field: 'bootMs', type: 'quantitative' } } },
      {
        mark: { type: 'text', align: 'left', dx: 6, fontSize: 11 },
        encoding: { y, x: { aggregate: 'max', field: 'bootMs', type: 'quantitative' }, text: { aggregate: 'mean', field: 'bootMs', type: 'quantitative', format: '.0f' } },
      },
    ],
  } as TopLevelSpec;
}

/**
 * The latency groups of a benchmark each latency plot can show: a histogram and an exceedance
 * need a distribution (an import without a histogram has none), a timeline a per-second series.
 * What is left out, and why, in words for the report.
 */
function latencyPlotGroups(record: RunRecord, benchmark: string): { distribution: LatencyGroup[]; timed: LatencyGroup[]; omitted: string[] } {
  const groups = latencyGroups(record, benchmark).filter((g) => g.histogram.count > 0);
  const distribution = groups.filter((g) => hasDistribution(g.histogram));
  const timed = groups.filter((g) => timeline(g).length);
  const names = (gs: LatencyGroup[]) => gs.map((g) => g.name).join(', ');
  const omitted: string[] = [];
  const noHistogram = groups.filter((g) => !distribution.includes(g));
  if (noHistogram.length) omitted.push(`No latency histogram or exceedance plot of ${names(noHistogram)}: the tool kept no histogram, so the distribution is not known.`);
  const noSeries = groups.filter((g) => !timed.includes(g));
  if (noSeries.length) omitted.push(`No latency-over-time plot of ${names(noSeries)}: the input has no per-second series.`);
  return { distribution, timed, omitted };
}

/** Why plots of `benchmark` were left out (no histogram, no series); empty when none was. */
export function omittedPlots(record: RunRecord, benchmark: string): string[] {
  return countedResults(record).some((r) => r.benchmark === benchmark && isLatencyResult(r)) ? latencyPlotGroups(record, benchmark).omitted : [];
}

/** The key figure's file stem: the exceedance plot of the first latency benchmark that has one; null where none has. */
export function keyPlotName(record: RunRecord): string | null {
  const counted = countedResults(record);
  const b = benchmarkNames(record).find((x) => counted.some((r) => r.benchmark === x && isLatencyResult(r)) && latencyPlotGroups(record, x).distribution.length);
  return b === undefined ? null : `exceedance-${slug(b)}`;
}

/**
 * Every plot the record supports, per benchmark in run order, boot time last; none without data.
 * Built once per record and size (memoized): the figure files, report.html and report.tex all
 * show the same plots. The plots returned are shared: read them, never change them.
 */
export function plotsFor(record: RunRecord, size: FigureSize = DEFAULT_FIGURE): readonly Plot[] {
  return memoized(record, `plots\u0000${size.width}x${size.height}`, () => buildPlots(record, size));
}

function buildPlots(record: RunRecord, size: FigureSize): Plot[] {
  const out: Plot[] = [];
  const colours = seriesColours(record);
  const counted = countedResults(record);
  for (const b of benchmarkNames(record)) {
    const s = slug(b);
    if (counted.some((r) => r.benchmark === b && isLatencyResult(r))) {
      const { distribution, timed } = latencyPlotGroups(record, b);
      if (distribution.length) {
        out.push({ name: `latency-histogram-${s}`, kind: 'latency-histogram', benchmark: b, title: 'Latency histogram', spec: histogramSpec(b, distribution, size, colours) });
        out.push({ name: `exceedance-${s}`, kind: 'exceedance', benchmark: b, title: 'Exceedance', spec: exceedanceSpec(b, distribution, size, colours) });
      }
      if (timed.length) out.push({ name: `timeline-${s}`, kind: 'timeline', benchmark: b, title: 'Latency over time', spec: timelineSpec(b, timed, size, colours) });
    }
    if (counted.some((r) => r.benchmark === b && isOpsResult(r))) {
      const groups = opsGroups(record, b);
      if (groups.some((g) => g.results.some((r) => Object.keys(r.ops).length)))
        out.push({ name: `syscall-${s}`, kind: 'syscall', benchmark: b, title: 'System call vs function call', spec: syscallSpec(b, groups, size, colours) });
    }
  }
  const boot = bootSpec(record, size, colours);
  if (boot) out.push({ name: 'boot-time', kind: 'boot-time', benchmark: null, title: 'Guest boot time', spec: boot });
  return out;
}

/** Set to show Vega's and Vega-Lite's warnings on stderr; unset, they never reach the terminal. */
export const PLOT_WARNINGS_ENV = 'UNILAT_PLOT_WARNINGS';

/** Vega's and Vega-Lite's log level: warnings only when asked for (errors are thrown either way). */
function plotLogLevel(): number {
  return process.env[PLOT_WARNINGS_ENV] ? vega.Warn : vega.None;
}

/** A headless View of a spec, compiled and run with the plotting libraries' warnings kept quiet. */
function quietView(spec: TopLevelSpec): vega.View {
  const level = plotLogLevel();
  // Vega marks the data objects it ingests; a copy keeps the shared plots as they were built.
  return new vega.View(vega.parse(compile(plainCopy(spec), { logger: vega.logger(level) }).spec), { renderer: 'none', logLevel: level });
}

/** A deep copy of plain JSON data (a spec): several times faster than a JSON round trip on a figure's data. */
function plainCopy<T>(x: T): T {
  if (Array.isArray(x)) return x.map(plainCopy) as T;
  if (x === null || typeof x !== 'object') return x;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(x)) o[k] = plainCopy((x as Record<string, unknown>)[k]);
  return o as T;
}

interface HeadlessSvgRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number], scaleFactor: number): HeadlessSvgRenderer;
  background(c: unknown): HeadlessSvgRenderer;
  render(scene: unknown): HeadlessSvgRenderer;
  svg(): string;
}

/**
 * Renders a Vega-Lite spec to an SVG string, synchronously (reporters are plain functions).
 * Vega escapes the text it writes; characters XML does not allow (a record's text may hold
 * any) are removed, so the SVG parses.
 * This is what View.toSVG() does, minus its awaits: with inline data and no images nothing
 * is asynchronous, and the tests check the output equals toSVG()'s.
 */
export function renderSvg(spec: TopLevelSpec): string {
  // report.html and the figure files show the same plots (plotsFor's, shared): the second time
  // is a lookup by the spec object. With the log level: asked for warnings, a render prints them again.
  const level = plotLogLevel();
  const same = svgBySpec.get(spec);
  if (same && same.level === level) return same.svg;
  const svg = renderSvgUncached(spec);
  svgBySpec.set(spec, { level, svg });
  return svg;
}

/** Rendered SVGs by spec object, weakly (a spec's SVG goes with its spec). */
let svgBySpec = new WeakMap<object, { level: number; svg: string }>();

/** Forgets every rendered SVG and built plot (benchmarks measure cold renders with it). */
export function clearSvgCache(): void {
  svgBySpec = new WeakMap();
  clearMemo();
}

function renderSvgUncached(spec: TopLevelSpec): string {
  const view = quietView(spec);
  try {
    view.run();
    const mod = (vega.renderModule as unknown as (name: string) => { headless: new (loader: unknown) => HeadlessSvgRenderer })('svg');
    const p = view.padding() as { left: number; right: number; top: number; bottom: number };
    const o = view.origin();
    // View size as View.toSVG computes it (the autosized view size plus padding).
    const inner = view as unknown as { _viewWidth: number; _viewHeight: number };
    if (typeof inner._viewWidth !== 'number' || typeof inner._viewHeight !== 'number') throw new Error('vega: cannot read the view size (vega changed its internals)');
    const r = new mod.headless(view.loader())
      .initialize(null, inner._viewWidth + p.left + p.right, inner._viewHeight + p.top + p.bottom, [p.left + o[0], p.top + o[1]], 1)
      .background(view.background());
    r.render((view.scenegraph() as unknown as { root: unknown }).root);
    return xmlChars(r.svg());
  } finally {
    view.finalize();
  }
}

/** The same through Vega's own asynchronous View.toSVG(), to check renderSvg against. */
export async function renderSvgAsync(spec: TopLevelSpec): Promise<string> {
  const view = quietView(spec);
  try {
    return xmlChars(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Makes the ids inside one SVG unique (Vega numbers its clip paths from 1 in every SVG),
 * so several SVGs can be inlined in one HTML page without one plot using another's clip.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  // Inside tags only: text between them (a deployment named `id="x"`) stays as written.
  // Vega escapes '<', '>' and '"' in text and attribute values, so a tag ends at the first '>'.
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${prefix}-${id}"`)
      .replace(/="url\(#([^)"]+)\)"/g, (_, id: string) => `="url(#${prefix}-${id})"`)
      .replace(/\s(xlink:href|href)="#([^"]+)"/g, (_, a: string, id: string) => ` ${a}="#${prefix}-${id}"`),
  );
}
