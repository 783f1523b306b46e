/**
 * `unilat history --html DIR`: a static trend site of the run history. index.html has a small
 * plot per series (scenario, host, deployment, benchmark, metric) with its change points, the
 * series regressing at a change point highlighted; each series has a page of its own with the
 * full plot, the long-term view of the maximum latency per run over calendar time (as OSADL's
 * latency plots show a system over months), and a table of its runs linked to their report
 * folders. Self-contained: inline CSS and SVG, no scripts, nothing fetched. A pure function of
 * its input; cli/history-html.ts gathers that from the history and writes the files.
 */
import { relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { html, trusted, type Html } from './escape.js';
import { nsUnit, percent, pValue, usUnit, withInterval } from './format.js';
import { trendSvg, type PlotChange, type PlotPoint, type PlotSegment } from './trend-svg.js';
import type { SeriesKey } from '../results/history.js';
import type { SeriesChange } from '../stats/history-changes.js';

/** One run's figure in a series. */
export interface TrendRun {
  runId: string;
  startedAt: string;
  value: number;
  /** The spread of its counted repetitions (lowest, highest), where it had two or more. */
  low?: number;
  high?: number;
  repetitions?: number;
  /** The run's report (report.html, else run.json) as an absolute path, where its folder is known and still there. */
  report?: string;
}

export interface TrendSeries extends SeriesKey {
  runs: TrendRun[];
  changes: SeriesChange[];
  /** Smallest relative shift counted as a change. */
  minMagnitude: number;
  /** The long-term view: this group's maximum latency per run (the series itself where the group has no `max`). */
  longTerm: { metric: string; runs: TrendRun[] };
}

/** A run of the history, for the index's list of runs. */
export interface SiteRun {
  runId: string;
  scenario: string;
  startedAt: string;
  status: string;
  gatesPassed: boolean | null;
  /** As TrendRun's. */
  report?: string;
}

export interface TrendSiteInput {
  /** The history database read (shown, not linked). */
  source: string;
  generatedAt: string;
  series: TrendSeries[];
  /** The newest runs, newest first. */
  runs: SiteRun[];
}

export interface SiteFile {
  /** A file name inside the site's folder (no folders). */
  file: string;
  content: string;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto;max-width:100%}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.grid{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #ccc;border-radius:4px;padding:4px 6px;width:200px}
.card.regressed{border:2px solid #c62828;background:#fff4f4}.card a{text-decoration:none;color:#1a4f8b}
.badge{font-size:.85em;font-weight:600}.badge.regression{color:#c62828}.badge.improvement{color:#2e7d32}
svg.trend{display:block;max-width:100%;height:auto}svg .line{fill:none;stroke:#1a4f8b;stroke-width:1}
svg .pt{fill:#1a4f8b}svg .whisker{stroke:#6a8fbf;stroke-width:1}svg .band{fill:#999;opacity:.25}
svg .mean{stroke:#555;stroke-width:1.5}svg .cp{stroke-width:2;stroke-dasharray:4 3}
svg .cp.regression{stroke:#c62828}svg .cp.improvement{stroke:#2e7d32}
svg .axis line{stroke:#888}svg .axis text{font-size:11px;fill:#444}.muted{color:#666}`;

const page = (title: string, body: Html) =>
  `<!DOCTYPE html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${trusted(CSS)}</style></head><body>${body}</body></html>`}\n`;

const group = (s: SeriesKey) => `${s.benchmark}/${s.deployment}@${s.host}`;

/** A figure as its metric reads: syscall ops in ns, counts bare, latencies in µs. */
export function formatMetric(metric: string): (v: number) => string {
  if (metric.startsWith('syscall.')) return nsUnit;
  if (metric === 'count') return (v) => String(Math.round(v));
  return usUnit;
}

/**
 * Each series' page name: its names made file-safe (no separator, no leading dot), bounded,
 * with a hash of the whole key so two series whose names fold to the same text stay apart.
 */
export function seriesFile(s: SeriesKey): string {
  const key = [s.scenario, s.benchmark, s.deployment, s.host, s.metric];
  const safe = key.join('-').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._-]+/, '').slice(0, 80);
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 10);
  return `series-${safe}-${hash}.html`;
}

/** A relative URL from the site's folder to a file: each path segment percent-encoded. */
export function hrefFrom(siteDir: string, file: string): string {
  return relative(siteDir, file).split(sep).map(encodeURIComponent).join('/');
}

const changeText = (c: SeriesChange) => `${c.direction} ${c.change >= 0 ? '+' : ''}${percent(c.change)} at ${c.runId} (p ${pValue(c.pValue)})`;

function plotParts(s: TrendSeries): { points: PlotPoint[]; changes: PlotChange[]; segments: PlotSegment[] } {
  const f = formatMetric(s.metric);
  const index = new Map(s.runs.map((r, i) => [r.runId, i]));
  const points = s.runs.map((r, i): PlotPoint => ({
    x: i,
    value: r.value,
    ...(r.low !== undefined && r.high !== undefined ? { low: r.low, high: r.high } : {}),
    label: `${r.runId} (${r.startedAt}): ${f(r.value)}${r.low !== undefined && r.high !== undefined ? `, repetitions ${f(r.low)} to ${f(r.high)}` : ''}`,
  }));
  const changes = s.changes.flatMap((c): PlotChange[] => {
    const i = index.get(c.runId);
    return i === undefined ? [] : [{ x: i, xBefore: Math.max(0, i - 1), direction: c.direction, label: changeText(c) }];
  });
  // The segments between change points, as the detector measured them.
  const seen = new Map<number, PlotSegment>();
  for (const c of s.changes)
    for (const g of [c.before, c.after]) seen.set(g.start, { x0: g.start, x1: g.start + g.n - 1, mean: g.mean, ciLow: g.ciLow, ciHigh: g.ciHigh });
  return { points, changes, segments: [...seen.values()] };
}

const regressions = (s: TrendSeries) => s.changes.filter((c) => c.direction === 'regression');

function card(s: TrendSeries): Html {
  const { points, changes, segments } = plotParts(s);
  const last = s.runs[s.runs.length - 1];
  const bad = regressions(s);
  const badge = s.changes.length
    ? s.changes.map((c) => html`<div class="badge ${c.direction}">${changeText(c)}</div>`)
    : html`<div class="muted">no change point</div>`;
  return html`<div class="card${bad.length ? ' regressed' : ''}" data-series="${seriesFile(s)}"><a href="${seriesFile(s)}"><b>${s.metric}</b> <span class="muted">${s.runs.length} runs, newest ${last ? formatMetric(s.metric)(last.value) : ''}</span>${trendSvg({
    width: 188,
    height: 56,
    points,
    changes,
    segments,
    formatValue: formatMetric(s.metric),
    formatX: String,
    title: `${s.scenario} ${group(s)} ${s.metric}`,
    axes: false,
  })}</a>${badge}</div>`;
}

const runLink = (siteDir: string, r: { runId: string; report?: string }) => (r.report ? html`<a href="${hrefFrom(siteDir, r.report)}">${r.runId}</a>` : html`${r.runId}`);

function indexPage(site: TrendSiteInput, siteDir: string): string {
  const groups = new Map<string, TrendSeries[]>();
  for (const s of site.series) {
    const k = JSON.stringify([s.scenario, group(s)]);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const bad = site.series.filter((s) => regressions(s).length);
  const body = html`<h1>Latency trends</h1><p class="muted">${site.series.length} series from ${site.source}, written ${site.generatedAt}. Each plot: a point per run (whiskers: the spread of its repetitions), the mean of each stretch between change points with its 95% interval (grey), change points as dashed lines (red: regression, green: improvement).</p>${
    bad.length ? html`<p class="badge regression">${bad.length} series with a regression change point.</p>` : html`<p>No regression change point.</p>`
  }${[...groups.values()].map((list) => html`<h2>${list[0].scenario}: ${group(list[0])}</h2><div class="grid">${list.map(card)}</div>`)}
<h2>Runs (newest first)</h2><table class="runs"><tr><th>run (report)</th><th>scenario</th><th>started</th><th>status</th><th>gates</th></tr>${site.runs.map(
    (r) => html`<tr><td>${runLink(siteDir, r)}</td><td>${r.scenario}</td><td>${r.startedAt}</td><td>${r.status}</td><td>${r.gatesPassed === null ? '–' : r.gatesPassed ? 'pass' : 'FAIL'}</td></tr>`,
  )}</table>`;
  return page('Latency trends', body);
}

function seriesPage(s: TrendSeries, siteDir: string): string {
  const f = formatMetric(s.metric);
  const { points, changes, segments } = plotParts(s);
  const full = trendSvg({ width: 900, height: 300, points, changes, segments, formatValue: f, formatX: (x) => s.runs[x]?.startedAt.slice(0, 10) ?? '', title: `${s.metric} per run`, axes: true });
  const lf = formatMetric(s.longTerm.metric);
  const times = s.longTerm.runs.map((r) => Date.parse(r.startedAt));
  const longPoints = s.longTerm.runs.map((r, i): PlotPoint => ({ x: Number.isFinite(times[i]) ? times[i] : i, value: r.value, label: `${r.runId} (${r.startedAt}): ${lf(r.value)}` }));
  const long = trendSvg({ width: 900, height: 220, points: longPoints, formatValue: lf, formatX: (x) => new Date(x).toISOString().slice(0, 10), title: `${s.longTerm.metric} per run over time`, axes: true });
  const changeRows = s.changes.map(
    (c) =>
      html`<tr class="${c.direction}"><td>${c.runId}</td><td>${c.startedAt}</td><td class="badge ${c.direction}">${c.direction} ${c.change >= 0 ? '+' : ''}${percent(c.change)}</td><td>${pValue(c.pValue)}</td><td>${withInterval(c.before.mean, c.before.ciLow, c.before.ciHigh, f)} (${c.before.n})</td><td>${withInterval(c.after.mean, c.after.ciLow, c.after.ciHigh, f)} (${c.after.n})</td></tr>`,
  );
  const runRows = [...s.runs].reverse().map(
    (r) =>
      html`<tr><td>${runLink(siteDir, r)}</td><td>${r.startedAt}</td><td>${f(r.value)}</td><td>${r.low !== undefined && r.high !== undefined ? `${f(r.low)} to ${f(r.high)} (${r.repetitions} repetitions)` : '–'}</td></tr>`,
  );
  const body = html`<p><a href="index.html">All series</a></p><h1>${s.scenario}: ${group(s)} ${s.metric}</h1><p class="muted">${s.runs.length} runs; shifts of ${percent(s.minMagnitude)} or more are counted as change points.</p>
<h2>Per run</h2>${full}
<h2>Change points</h2>${changeRows.length ? html`<table><tr><th>first run after</th><th>started</th><th>change</th><th>p</th><th>mean before [95%] (runs)</th><th>mean after [95%] (runs)</th></tr>${changeRows}</table>` : html`<p>No change point.</p>`}
<h2>Long term: ${s.longTerm.metric} per run over time</h2>${long}
<h2>Runs (newest first)</h2><table><tr><th>run (report)</th><th>started</th><th>${s.metric}</th><th>repetitions' spread</th></tr>${runRows}</table>`;
  return page(`${s.scenario} ${group(s)} ${s.metric}`, body);
}

/** The site's files: index.html and a page per series; links to run reports are relative to `siteDir`. */
export function renderTrendSite(site: TrendSiteInput, siteDir: string): SiteFile[] {
  return [{ file: 'index.html', content: indexPage(site, siteDir) }, ...site.series.map((s) => ({ file: seriesFile(s), content: seriesPage(s, siteDir) }))];
}
