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
  bootTimes,
  countedResults,
  exceedance,
  latencyGroups,
  opNames,
  opRows,
  opsGroups,
  slug,
  timeline,
  uniformBins,
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

const WIDTH = 560;
const MAX_SPIKES = 400;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Shared look: explicit size, padding and `fit` autosize so nothing is clipped; legends below the plot. */
function frame(title: string, subtitle: string, height = 300) {
  return {
    $schema: SCHEMA,
    // Wrapped: Vega lays out with estimated text widths (no canvas in Node), and a title
    // wider than the plot would shrink the plot to fit it.
    title: { text: wrap(title, 44), subtitle: wrap(subtitle, 62), anchor: 'start' as const },
    description: `${title}. ${subtitle}`,
    width: WIDTH,
    height,
    padding: { left: 10, right: 24, top: 10, bottom: 10 },
    autosize: { type: 'fit' as const, contains: 'padding' as const },
    background: 'white',
    config: {
      font: 'Helvetica, Arial, sans-serif',
      view: { stroke: '#bbb' },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, gridColor: '#e4e4e4', labelLimit: 220 },
      // Legends below the plot: the plot keeps its width, and long deployment names are not cut.
      legend: { orient: 'bottom' as const, direction: 'vertical' as const, labelFontSize: 11, titleFontSize: 12, labelLimit: 400, titleLimit: 400 },
      title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
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

function threadLabel(t: { thread: number; cpu: number | null }): string {
  return t.cpu === null ? `thread ${t.thread}` : `thread ${t.thread} (CPU ${t.cpu})`;
}

/**
 * OSADL-style latency histogram: x latency in µs, y count on a log axis, one curve per
 * thread (dash) and deployment (colour). The log-linear buckets are regrouped into uniform
 * power-of-two bins, each holding whole buckets, so counts stay exact.
 */
export function histogramSpec(benchmark: string, groups: LatencyGroup[]): TopLevelSpec {
  // Bin width from the 99.9th percentile, not the max: one outlier must not lump the bulk
  // into a few bins. Above it buckets may be wider than a bin; they then fall into the bin
  // of their lower bound (still whole counts: the tail is sparse there).
  const width = uniformBinWidth(Math.max(1, ...groups.map((g) => quantile(g.histogram, 0.999))));
  const values = groups.flatMap((g) =>
    g.threads.flatMap((t) =>
      uniformBins(t.histogram, width).map(([start, count]) => ({
        deployment: g.name,
        thread: threadLabel(t),
        latencyUs: (start + width / 2) / 1000,
        count,
      })),
    ),
  );
  const total = groups.reduce((a, g) => a + g.histogram.count, 0);
  return {
    ...frame(
      `Wake-up latency histogram: ${benchmark}`,
      `${plural(total, 'sample')}; bins of ${width >= 1000 ? `${width / 1000} µs` : `${width} ns`}; one curve per thread and deployment`,
    ),
    data: { values },
    mark: { type: 'line', strokeWidth: 1.3 },
    encoding: {
      x: { field: 'latencyUs', type: 'quantitative', title: 'latency (µs)', scale: { zero: true, nice: true } },
      y: { field: 'count', type: 'quantitative', title: 'count (log)', scale: { type: 'log' }, axis: { format: '~s' } },
      color: { field: 'deployment', type: 'nominal', title: 'deployment' },
      strokeDash: { field: 'thread', type: 'nominal', title: 'thread (CPU)' },
    },
  } as TopLevelSpec;
}

/** P(latency > x) per deployment on a log axis, down to 1e-6 or one sample in the largest group. */
export function exceedanceSpec(benchmark: string, groups: LatencyGroup[]): TopLevelSpec {
  const values = groups.flatMap((g) => exceedance(g.histogram).map(([x, p]) => ({ deployment: g.name, latencyUs: x / 1000, p })));
  const maxCount = Math.max(1, ...groups.map((g) => g.histogram.count));
  const floor = Math.min(1e-6, 10 ** Math.floor(Math.log10(1 / maxCount)));
  return {
    ...frame(
      `Exceedance: ${benchmark}`,
      `probability that one wake-up is later than x (threads and repetitions merged); the lowest step is one sample`,
    ),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'latencyUs', type: 'quantitative', title: 'latency (µs)', scale: { zero: false, nice: true } },
      y: { field: 'p', type: 'quantitative', title: 'P(latency > x)', scale: { type: 'log', domain: [floor, 1] }, axis: { format: '~e' } },
      color: { field: 'deployment', type: 'nominal', title: 'deployment' },
    },
  } as TopLevelSpec;
}

/** Per-second max and mean latency over time (threads merged), spikes above the threshold marked. */
export function timelineSpec(benchmark: string, groups: LatencyGroup[]): TopLevelSpec {
  const lines = groups.flatMap((g) =>
    timeline(g).flatMap((p) => [
      { layer: 'series', deployment: g.name, statistic: 'max per second', t: p.t, latencyUs: p.max / 1000 },
      { layer: 'series', deployment: g.name, statistic: 'mean per second', t: p.t, latencyUs: p.mean / 1000 },
    ]),
  );
  // A figure with thousands of markers says no more than one with the largest few hundred.
  const shownPerGroup = Math.floor(MAX_SPIKES / Math.max(1, groups.length));
  const spikeTotal = groups.reduce((a, g) => a + g.spikes.length, 0);
  const spikes = groups.flatMap((g) =>
    [...g.spikes].sort((a, b) => b.latency - a.latency).slice(0, shownPerGroup).map((s) => ({ layer: 'spike', deployment: g.name, marker: 'spike (above threshold)', t: s.t / 1e9, latencyUs: s.latency / 1000 })),
  );
  const reps = Math.max(1, ...groups.map((g) => new Set(g.results.map((r) => r.repetition)).size));
  const dropped = groups.reduce((a, g) => a + g.spikesDropped, 0);
  const x = { field: 't', type: 'quantitative', title: 'time since start (s)' };
  const y = { field: 'latencyUs', type: 'quantitative', title: 'latency (µs, log)', scale: { type: 'log' } };
  const color = { field: 'deployment', type: 'nominal', title: 'deployment' };
  return {
    ...frame(
      `Latency over time: ${benchmark}`,
      `per-second maximum and mean (the probe reports means, not medians); threads${reps > 1 ? ` and ${reps} repetitions` : ''} merged per second` +
        (spikes.length ? `; ${spikes.length < spikeTotal ? `the largest ${spikes.length} of ${plural(spikeTotal, 'spike')}` : plural(spikes.length, 'spike')} marked` : '') +
        (dropped ? ` (${dropped.toLocaleString('en-US')} more beyond the probe's spike buffer)` : ''),
    ),
    data: { values: [...lines, ...spikes] },
    layer: [
      {
        transform: [{ filter: "datum.layer === 'series'" }],
        mark: { type: 'line', strokeWidth: 1.3 },
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

/** ns/op per op and deployment with the 95% interval of the median, labelled with the syscall/function-call ratio. */
export function syscallSpec(benchmark: string, groups: OpsGroup[]): TopLevelSpec {
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
  const seriesCount = new Set(values.map((v) => v.series)).size;
  const height = Math.max(120, opOrder.length * seriesCount * 22 + 20);
  const y = { field: 'op', type: 'nominal', title: 'operation', sort: opOrder };
  const yOffset = { field: 'series', type: 'nominal' };
  // Room on the right for the labels: the x domain is widened instead of letting text run off.
  const x = { field: 'ns', type: 'quantitative', title: 'ns per operation (median of batches, 95% interval)', scale: { domain: [0, maxHi * 1.6], nice: false } };
  return {
    ...frame(
      `System call vs function call: ${benchmark}`,
      'labels: ns per operation and, for system calls, the ratio to a plain function call',
      height,
    ),
    data: { values },
    encoding: { y, yOffset },
    layer: [
      { mark: { type: 'bar', height: { band: 0.9 } }, encoding: { x, color: { field: 'series', type: 'nominal', title: 'deployment' } } },
      { mark: { type: 'rule', strokeWidth: 1.2, color: '#222' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, baseline: 'middle' }, encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

/** Guest boot time per deployment: mean bar, each measured boot a dot. */
export function bootSpec(record: RunRecord): TopLevelSpec | null {
  const rows = bootTimes(record);
  if (!rows.length) return null;
  const names = [...new Set(rows.map((r) => r.name))];
  const max = Math.max(...rows.map((r) => r.bootMs));
  const y = { field: 'deployment', type: 'nominal', title: 'deployment', sort: names };
  return {
    ...frame('Guest boot time', `${plural(rows.length, 'boot')}; bar: mean, dots: each boot`, Math.max(100, names.length * 34 + 20)),
    data: { values: rows.map((r) => ({ deployment: r.name, bootMs: r.bootMs, benchmark: r.benchmark, repetition: r.repetition })) },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.7 }, opacity: 0.75 },
        encoding: { y, x: { aggregate: 'mean', field: 'bootMs', type: 'quantitative', title: 'boot time (ms)', scale: { domain: [0, max * 1.3], nice: false } }, color: { field: 'deployment', type: 'nominal', legend: null } },
      },
      { mark: { type: 'point', filled: true, color: '#222', size: 25 }, encoding: { y, x: { field: 'bootMs', type: 'quantitative' } } },
      {
        mark: { type: 'text', align: 'left', dx: 6, fontSize: 10 },
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

/** Every plot the record supports, per benchmark in run order, boot time last; none without data. */
export function plotsFor(record: RunRecord): Plot[] {
  const out: Plot[] = [];
  const counted = countedResults(record);
  for (const b of benchmarkNames(record)) {
    const s = slug(b);
    if (counted.some((r) => r.benchmark === b && isLatencyResult(r))) {
      const { distribution, timed } = latencyPlotGroups(record, b);
      if (distribution.length) {
        out.push({ name: `latency-histogram-${s}`, kind: 'latency-histogram', benchmark: b, title: 'Latency histogram', spec: histogramSpec(b, distribution) });
        out.push({ name: `exceedance-${s}`, kind: 'exceedance', benchmark: b, title: 'Exceedance', spec: exceedanceSpec(b, distribution) });
      }
      if (timed.length) out.push({ name: `timeline-${s}`, kind: 'timeline', benchmark: b, title: 'Latency over time', spec: timelineSpec(b, timed) });
    }
    if (counted.some((r) => r.benchmark === b && isOpsResult(r))) {
      const groups = opsGroups(record, b);
      if (groups.some((g) => g.results.some((r) => Object.keys(r.ops).length)))
        out.push({ name: `syscall-${s}`, kind: 'syscall', benchmark: b, title: 'System call vs function call', spec: syscallSpec(b, groups) });
    }
  }
  const boot = bootSpec(record);
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
  return new vega.View(vega.parse(compile(spec, { logger: vega.logger(level) }).spec), { renderer: 'none', logLevel: level });
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
