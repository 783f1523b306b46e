/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, nothing fetched),
 * readable on a phone and on paper. A pure function of the run record.
 */
import type { Comparison } from '../stats/compare.js';
import { traceCulpritsTables, tracedSpikeTables } from './trace-tables.js';
import type { Result, RunRecord } from '../results/types.js';
import { benchmarkNames, countedResults, slug } from './data.js';
import { DASH, percent } from './format.js';
import {
  appliedTable,
  asRows,
  bootTable,
  comparisonTable,
  factsTable,
  failuresTable,
  hostFactsTable,
  latencySummaryTable,
  loadsTable,
  opsSummaryTable,
  overridesText,
  readinessTable,
  taxTables,
  tuningTable,
  verdictTable,
  warningsTable,
} from './sections.js';
import { AT_LEAST, cellText, field, formatFigure, shown, VERDICT_CLASS, VERDICT_WORD, versusText, view, type Cell, type Status, type Table } from './table.js';
import { omittedPlots, plotsFor, prefixSvgIds, renderSvg, type FigureSize, type Plot } from './plots.js';
import { headlineTable, MATRIX_NOTE, verdictMatrices } from './headline.js';
import { html, joinHtml, trusted, type Html } from './escape.js';

/** Section ids every report has, in page order (tests and links rely on them). */
export const SECTION_IDS = ['headline', 'summary', 'warnings', 'failures', 'benchmarks', 'configuration', 'hosts'] as const;

/**
 * Optional inputs beyond the record. Gates and comparisons are rows of plain fields (the
 * statistics module's verdict types are not written yet): each row is shown as given, and a
 * `status`/`verdict`/`pass`/`ok` field colours it. Without them, record.gates and
 * record.comparisons are used.
 */
export interface HtmlExtras {
  gates?: ReadonlyArray<Record<string, unknown>>;
  comparisons?: ReadonlyArray<Record<string, unknown>>;
  /** Title override (default: the scenario name). */
  title?: string;
  /** Plot area of the figures (default DEFAULT_FIGURE). */
  figure?: FigureSize;
}

/** A figure against its reference: the figure, then its ratio, interval and verdict chip on a line below. */
function versusCell(c: Extract<Cell, { kind: 'versus' }>): Html {
  const v = html`<span class="v">${c.atLeast ? AT_LEAST : ''}${formatFigure(c.value, c.style)}</span>`;
  const vs = versusText(c);
  if (!vs && !c.verdict) return v;
  const chip = c.verdict ? html` <span class="chip ${VERDICT_CLASS[c.verdict]}" title="${c.verdict}">${VERDICT_WORD[c.verdict]}</span>` : '';
  return html`${v}<br><span class="vs">${vs}</span>${chip}`;
}

function htmlCell(c: Cell, code: boolean): Html {
  if (c.kind === 'versus') return Number.isFinite(c.value) ? versusCell(c) : html`${DASH}`;
  const t = c.kind === 'number' && c.style === 'count' && Number.isFinite(c.value) ? c.value.toLocaleString('en-US') : cellText(c);
  let h = (code || (c.kind === 'text' && c.code)) && t ? html`<code>${t}</code>` : html`${t}`;
  if ((c.kind === 'text' || c.kind === 'status') && c.emphasis) h = c.emphasis === 'alert' ? html`<strong class="badge bad">${h}</strong>` : html`<strong>${h}</strong>`;
  return c.kind === 'text' && c.flag ? html`${h} <strong class="badge bad">${c.flag}</strong>` : h;
}

const STATUSES: readonly string[] = ['pass', 'warn', 'fail'] satisfies Status[];

/** A footnote column's cell: its number, linked to the note below the table. */
function footnoteRef(t: Table, c: Cell): Html {
  const n = cellText(c);
  return n ? html`<sup class="fn"><a href="#${t.id}-fn-${n}">${n}</a></sup>` : html``;
}

/**
 * A Table as an HTML table, in a wrapper that scrolls sideways when the table is wider than
 * the screen: figures right-aligned, the outcome column and rows marked by status, a footnote
 * column as linked numbers with its notes listed below.
 */
export function htmlTable(t: Table, cls?: string): Html {
  const cols = shown(t, 'html').map((i) => ({ i, v: view(t.columns[i], 'html'), status: t.columns[i].status === true, fn: t.columns[i].footnote === true }));
  const num = (v: { align: string }) => (v.align === 'right' ? html` class="num"` : '');
  const th = cols.map((c) => html`<th scope="col"${num(c.v)}>${c.v.title}</th>`);
  const body = t.rows.map((r, ri) => {
    // Only an outcome the stylesheet knows becomes a class: a record's own word styles nothing.
    const st = t.rowStatus?.[ri];
    return html`<tr${st && STATUSES.includes(st) ? html` class="${st}"` : ''}>${cols.map((c) =>
      c.fn
        ? html`<td class="fn">${footnoteRef(t, r[c.i])}</td>`
        : html`<td${c.status ? html` class="status"` : r[c.i].kind === 'versus' ? html` class="num versus"` : num(c.v)}>${htmlCell(r[c.i], c.v.code)}</td>`,
    )}</tr>`;
  });
  const notes = t.footnotes?.length ? html`\n<ol class="footnotes">${t.footnotes.map((n, i) => html`<li id="${t.id}-fn-${i + 1}">${n}</li>`)}</ol>` : '';
  return html`<div class="table-wrap"><table${cls ? html` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${joinHtml(body, '\n')}\n</tbody></table></div>${notes}`;
}

/** The text of column `id` in `row` (escaped where it is interpolated). */
function at(t: Table, row: Cell[], id: string): string {
  return cellText(field(t, row, id));
}

const CSS = `
:root { --fg:#1b1b1b; --muted:#5a5a5a; --line:#d8d8d8; --bg:#fff; --accent:#1f5f99; --warn:#8a5a00; --warn-bg:#fff4d6; --fail:#a11; --fail-bg:#fde8e8; --pass:#17692c; --pass-bg:#e6f4ea; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: .3rem 0; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--accent); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.meta { color: var(--muted); margin: .2rem 0; }
nav ul { list-style: none; padding: 0; margin: .6rem 0 1rem; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
nav a { color: var(--accent); }
.badge { display: inline-block; white-space: nowrap; padding: 0 .5em; border-radius: .3em; font-weight: 600; font-size: .9em; }
.badge.ok, tr.pass td.status { background: var(--pass-bg); color: var(--pass); }
.badge.bad, tr.fail td.status { background: var(--fail-bg); color: var(--fail); }
tr.warn td.status { background: var(--warn-bg); color: var(--warn); }
.table-wrap { overflow-x: auto; max-width: 100%; margin: .5rem 0 1rem; -webkit-overflow-scrolling: touch; }
td .v { font-weight: 600; }
td.num.versus { white-space: normal; min-width: 6.5em; }
td.versus .v, td.versus .vs { white-space: nowrap; }
td .vs { font-size: .82em; color: var(--muted); }
.chip { display: inline-block; padding: 0 .4em; border-radius: .7em; font-size: .78em; font-weight: 600; line-height: 1.4; border: 1px solid currentColor; }
.chip.better { color: var(--pass); background: var(--pass-bg); }
.chip.worse { color: var(--fail); background: var(--fail-bg); }
.chip.ns { color: var(--muted); background: #f2f2f2; }
td.fn, td.status { white-space: nowrap; }
table.headline th:first-child, table.headline td:first-child { position: sticky; left: 0; background: var(--bg); z-index: 1; }
sup.fn a { color: var(--accent); text-decoration: none; padding: 0 .15em; }
ol.footnotes { font-size: .85rem; color: var(--muted); margin: -.4rem 0 1rem; padding-left: 1.6rem; max-width: 62rem; }
ol.footnotes li { margin: .15rem 0; }
ol.footnotes li:target { background: var(--warn-bg); }
#headline .table-wrap table { font-size: .95rem; }
#headline td { padding: .35rem .7rem; }
#headline p.meta { font-size: .85rem; }
#headline td .badge { font-size: .75em; }
#headline .qualifiers { list-style: none; padding: 0; margin: .3rem 0 .8rem; font-size: .9rem; }
#headline .qualifiers li { background: var(--warn-bg); border-left: 4px solid var(--warn); padding: .25rem .6rem; margin: .25rem 0; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #999; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .85em; }
td code { word-break: break-all; }
pre { background: #f6f6f6; border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; word-break: break-word; }
.warnings { list-style: none; padding: 0; }
.warnings li { background: var(--warn-bg); border-left: 4px solid var(--warn); padding: .4rem .7rem; margin: .4rem 0; }
.warnings li.failure { background: var(--fail-bg); border-left-color: var(--fail); }
.warnings .code { font-weight: 700; color: var(--warn); }
.warnings li.failure .code { color: var(--fail); }
.none { color: var(--muted); font-style: italic; }
figure.plot { margin: 1rem 0 1.6rem; }
figure.plot svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
.plots { display: block; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; font-size: .9rem; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; word-break: break-word; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  h1 { font-size: 1.3rem; }
  dl.kv { grid-template-columns: 1fr; }
  dl.kv dd { margin-bottom: .3rem; }
}
@media print {
  body { font-size: 10pt; }
  header, main { max-width: none; padding: 0; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  figure.plot, table, .warnings li { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  pre { max-height: none; overflow: visible; }
  .plots { display: block; }
}
`;

function statusBadge(record: RunRecord): Html {
  const ok = record.status === 'completed';
  const text = { completed: 'completed', running: 'incomplete', partial: 'partial: some steps failed', aborted: 'aborted', failed: 'failed' }[record.status];
  return html`<span class="badge ${ok ? 'ok' : 'bad'}">${text}</span>`;
}

/** Traced spikes: the culprits per deployment, then each spike's attribution (report/trace-tables.ts). */
function traceSection(record: RunRecord): Html {
  const culprits = traceCulpritsTables(record);
  if (!culprits.length) return html``;
  const out: Html[] = [html`<section id="traces"><h2>Why wake-ups were late (traced spikes)</h2>`];
  for (const t of culprits) out.push(html`<h3>${t.title}</h3>`, htmlTable(t), ...(t.notes ?? []).map((n) => html`<p class="meta">${n}</p>`));
  for (const { table } of tracedSpikeTables(record))
    out.push(html`<h3 id="${table.id}">${table.title}</h3>`, ...(table.notes ?? []).map((n) => html`<p class="meta">${n}</p>`), ...(table.rows.length ? [htmlTable(table, 'attribution')] : []));
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

function summarySection(record: RunRecord, extras: HtmlExtras): Html {
  const out: Html[] = [html`<section id="summary"><h2>Summary</h2>`];
  const lat = latencySummaryTable(record);
  if (lat.rows.length) {
    out.push(html`<h3>${lat.title}</h3>`, html`<p class="meta">Threads and counted repetitions merged (warm-up excluded); percentiles from the histogram, within 0.4%.</p>`);
    out.push(htmlTable(lat), ...(lat.notes ?? []).map((n) => html`<p class="meta">${n}</p>`));
  }
  const ops = opsSummaryTable(record);
  if (ops.rows.length) {
    out.push(html`<h3>${ops.title}</h3>`, html`<p class="meta">Median of batches with its 95% interval; ratio: cost relative to a plain function call (<code>func</code>).</p>`);
    out.push(htmlTable(ops));
  }
  const tax = taxTables(record);
  if (tax.length) {
    out.push(html`<h3 id="syscall-tax">Syscall tax by mitigation state</h3>`, html`<p class="meta"><code>getppid</code> (a no-op system call) vs <code>func</code> (a function call): median ns/op [Q1, Q3] of the per-batch figures, counted repetitions pooled; TSC cycles where the TSC is invariant. Mitigation state as the kernel that ran the probe reports it (a guest's own kernel in a guest).</p>`);
    for (const t of tax) out.push(html`<h4>${t.title}</h4>`, htmlTable(t));
  }
  if (!lat.rows.length && !ops.rows.length) out.push(html`<p class="none">No completed measurement in this run.</p>`);
  const gates = extras.gates ?? asRows(record.gates);
  if (gates?.length) out.push(html`<h3 id="gates">Gates</h3>`, htmlTable(verdictTable('gates', 'Gates', gates)));
  if (extras.comparisons?.length) out.push(html`<h3 id="comparisons">Comparisons</h3>`, htmlTable(verdictTable('comparisons', 'Comparisons', extras.comparisons)));
  else if (record.comparisons?.length) {
    const t = comparisonTable(record.comparisons);
    out.push(html`<h3 id="comparisons">Comparisons</h3>`, htmlTable(t), ...(t.notes ?? []).map((n) => html`<p class="meta">${n}</p>`));
  }
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

/** A section of warning-like items: the list, or what to say when there is none. */
function itemsSection(id: string, heading: string, items: Html[], none: string): Html {
  return html`<section id="${id}"><h2>${heading}</h2>\n${items.length ? html`<ul class="warnings">\n${joinHtml(items, '\n')}\n</ul>` : html`<p class="none">${none}</p>`}\n</section>`;
}

function warningsSection(record: RunRecord): Html {
  const t = warningsTable(record);
  const items = t.rows.map((r) => {
    const rep = field(t, r, 'rep');
    return html`<li><span class="code">${at(t, r, 'code')}</span> (${at(t, r, 'source')}${rep.kind === 'missing' ? '' : ` rep ${cellText(rep)}`}): ${at(t, r, 'message')}</li>`;
  });
  return itemsSection('warnings', `Warnings${items.length ? ` (${items.length})` : ''}`, items, 'No warnings.');
}

function failuresSection(record: RunRecord): Html {
  const t = failuresTable(record);
  const items = t.rows.map((r) =>
    field(t, r, 'step').kind === 'missing'
      ? html`<li class="failure"><span class="code">host ${at(t, r, 'host')}</span>: ${at(t, r, 'error')}</li>`
      : html`<li class="failure"><span class="code">${at(t, r, 'status')}</span> ${at(t, r, 'host')}/${at(t, r, 'step')} rep ${at(t, r, 'rep')}: <pre>${at(t, r, 'error')}</pre></li>`,
  );
  return itemsSection('failures', 'Failed steps', items, 'Every step that ran completed.');
}

function configurationSection(record: RunRecord): Html {
  const s = (record.scenario ?? {}) as { name?: unknown; description?: unknown };
  const overrides = overridesText(record);
  const out: Html[] = [html`<section id="configuration"><h2>Configuration</h2>`];
  out.push(
    html`<dl class="kv">`,
    html`<dt>scenario</dt><dd>${s.name ?? '(unnamed)'}${record.scenarioFile ? html` (<code>${record.scenarioFile}</code>)` : ''}</dd>`,
    s.description ? html`<dt>description</dt><dd>${s.description}</dd>` : html``,
    html`<dt>run</dt><dd><code>${record.id}</code>, unilat ${record.tool.version}</dd>`,
    html`<dt>started</dt><dd>${record.startedAt}</dd>`,
    html`<dt>ended</dt><dd>${record.endedAt ?? '(did not end)'}</dd>`,
    overrides ? html`<dt>command line</dt><dd><code>${overrides}</code></dd>` : html``,
    html`</dl>`,
  );
  const kernels = hostFactsTable(record);
  if (kernels) out.push(html`<h3>${kernels.title}</h3>`, htmlTable(kernels));
  const applied = appliedTable(record);
  if (applied) out.push(html`<h3>${applied.title}</h3>`, html`<p class="meta">As the probe reported it, not only as asked.</p>`, htmlTable(applied));
  const tuning = tuningTable(record);
  out.push(html`<h3>${tuning.title}</h3>`, tuning.rows.length ? htmlTable(tuning) : html`<p class="none">No host tuning was applied.</p>`);
  const loads = loadsTable(record);
  out.push(html`<h3>${loads.title}</h3>`, loads.rows.length ? htmlTable(loads) : html`<p class="none">No background load.</p>`);
  out.push(html`<h3>Scenario as resolved</h3>`, html`<pre>${JSON.stringify(record.scenario, null, 2)}</pre>`, html`</section>`);
  return joinHtml(out, '\n');
}

function hostsSection(record: RunRecord): Html {
  const out: Html[] = [html`<section id="hosts"><h2>Hosts and real-time readiness</h2>`];
  const hosts = [...new Set([...Object.keys(record.facts), ...Object.keys(record.readiness)])];
  if (!hosts.length) out.push(html`<p class="none">No host facts were gathered.</p>`);
  for (const h of hosts) {
    out.push(html`<h3 id="host-${slug(h)}">${h}</h3>`);
    const checks = readinessTable(record, h);
    if (checks) {
      const count = (st: string) => (checks.rowStatus ?? []).filter((x) => x === st).length;
      out.push(html`<p>${checks.title}: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail.</p>`, htmlTable(checks, 'checklist'));
    }
    const facts = factsTable(record, h);
    if (facts)
      out.push(html`<details><summary>${facts.title} (${facts.rows.length})</summary>`, html`<dl class="kv">`, ...facts.rows.map((r) => html`<dt>${at(facts, r, 'fact')}</dt><dd>${at(facts, r, 'value')}</dd>`), html`</dl></details>`);
  }
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

const CAPTIONS: Record<Plot['kind'], string> = {
  'latency-histogram': 'Latency histogram: count per bin on a log axis, one curve per thread (dash) and deployment (colour); latency on a log axis where the data span more than two decades; a dot is a bin between empty ones (no line is drawn across empty bins).',
  exceedance: 'Exceedance: probability that a wake-up is later than x, from the histogram bins.',
  timeline: 'Latency over time: per-second maximum and mean; triangles mark spikes above the threshold.',
  syscall: 'System call vs function call: ns per operation with the 95% interval of the median; labels give the ratio to a function call.',
  'boot-time': 'Guest boot time per deployment.',
};

/** A plot with its SVG, rendered once per page even where two sections show it. */
interface Rendered {
  plot: Plot;
  svg: string;
}

function renderAll(plots: readonly Plot[]): Rendered[] {
  return plots.map((plot) => ({ plot, svg: renderSvg(plot.spec) }));
}

/** Ids of inlined SVGs made unique per figure (Vega numbers its clip paths the same way in every SVG): `n` is the figure's number on the page. */
function figure(r: Rendered, n: number, idPrefix = 'plot'): Html {
  const p = r.plot;
  // Vega escapes the text it writes into the SVG, so its markup is inlined as it is.
  const svg = prefixSvgIds(r.svg, `p${n}`).replace('<svg ', () => html`<svg role="img" aria-label="${p.title}" `.toString());
  return html`<figure class="plot" data-plot="${p.kind}" id="${idPrefix}-${p.name}">\n${trusted(svg)}\n<figcaption>${CAPTIONS[p.kind]} Files: <code>${p.name}.svg</code>, <code>${p.name}.vl.json</code>.</figcaption>\n</figure>`;
}

function benchmarksSection(record: RunRecord, rendered: Rendered[], first: number): Html {
  const out: Html[] = [html`<section id="benchmarks"><h2>Benchmarks</h2>`];
  let n = first;
  const counted = countedResults(record);
  for (const b of benchmarkNames(record)) {
    const mine = rendered.filter((r) => r.plot.benchmark === b);
    const kinds = [...new Set(counted.filter((r) => r.benchmark === b).map((r) => r.kind))];
    out.push(html`<section class="benchmark" id="bench-${slug(b)}" data-benchmark="${b}">`, html`<h3>${b}${kinds.length ? html` <small class="meta">(${kinds.join(', ')})</small>` : ''}</h3>`);
    if (mine.length) out.push(html`<div class="plots">`, ...mine.map((p) => figure(p, ++n)), html`</div>`);
    const omitted = omittedPlots(record, b);
    out.push(...omitted.map((o) => html`<p class="none">${o}</p>`));
    if (!mine.length && !omitted.length) out.push(html`<p class="none">No completed result to plot.</p>`);
    out.push(html`</section>`);
  }
  const boot = rendered.filter((r) => r.plot.benchmark === null);
  const phases = bootTable(record);
  if (boot.length || phases) {
    out.push(html`<section class="boot" id="boot-time"><h3>Guest boot time</h3>`, ...boot.map((p) => figure(p, ++n)));
    if (phases) out.push(...(phases.notes ?? []).map((note) => html`<p class="meta">${note}</p>`), htmlTable(phases));
    out.push(html`</section>`);
  }
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

/** The key figure of a run: the exceedance curves of all deployments, of the first latency benchmark that has them. */
function keyFigure(rendered: Rendered[]): Rendered | undefined {
  return rendered.find((r) => r.plot.kind === 'exceedance');
}

/**
 * The answer first: the deployments side by side, each figure against the first deployment's
 * with its ratio, interval and verdict, what qualifies them (TCG, no PREEMPT_RT), and the key figure.
 */
function headlineSection(record: RunRecord, rendered: Rendered[]): Html {
  const t = headlineTable(record);
  const out: Html[] = [html`<section id="headline"><h2>Headline</h2>`];
  if (!t) out.push(html`<p class="none">No completed measurement in this run.</p>`);
  else {
    if (t.footnotes?.length) out.push(html`<ul class="qualifiers">${t.footnotes.map((n) => html`<li>${n}</li>`)}</ul>`);
    out.push(htmlTable({ ...t, footnotes: [] }, 'headline'), ...(t.notes ?? []).map((n) => html`<p class="meta">${n}</p>`));
  }
  const key = keyFigure(rendered);
  if (key) out.push(figure(key, 0, 'headline'));
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

/** The page shell every HTML report shares: inline CSS, no scripts, nothing fetched. */
function page(title: string, meta: Html, nav: Array<[string, string]>, body: Html[]): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="meta">${meta}</p>
<nav><ul>${nav.map(([id, t]) => html`<li><a href="#${id}">${t}</a></li>`)}</ul></nav>
</header>
<main>
${joinHtml(body, '\n')}
</main>
</body>
</html>
`.toString();
}

/** report.html for a run record. */
export function renderHtml(record: RunRecord, extras: HtmlExtras = {}): string {
  const title = extras.title ?? `unilat report: ${record.scenario.name ?? record.id}`;
  const rendered = renderAll(plotsFor(record, extras.figure));
  return page(
    title,
    html`Run <code>${record.id}</code> · started ${record.startedAt} · status ${statusBadge(record)}`,
    [
      ['headline', 'Headline'],
      ['summary', 'Summary'],
      ...(traceCulpritsTables(record).length ? [['traces', 'Traced spikes'] as [string, string]] : []),
      ['warnings', 'Warnings'],
      ['failures', 'Failed steps'],
      ['benchmarks', 'Figures'],
      ['configuration', 'Configuration'],
      ['hosts', 'Hosts'],
    ],
    [
      headlineSection(record, rendered),
      summarySection(record, extras),
      traceSection(record),
      warningsSection(record),
      failuresSection(record),
      benchmarksSection(record, rendered, 0),
      configurationSection(record),
      hostsSection(record),
    ],
  );
}

/**
 * compare.html: the comparison table with its verdicts, and the two runs' latency plots
 * overlaid (each deployment labelled "baseline" or "candidate").
 */
export function renderCompareHtml(c: Comparison, baseline: RunRecord | null, candidate: RunRecord, figureSize?: FigureSize): string {
  const tag = (r: RunRecord, side: string): Result[] => r.results.map((x) => ({ ...x, deployment: `${x.deployment} (${side})` }));
  const merged: RunRecord = { ...candidate, results: [...(baseline && baseline !== candidate ? tag(baseline, 'baseline') : []), ...tag(candidate, baseline && baseline !== candidate ? 'candidate' : 'run')] };
  const table = comparisonTable([c], 'verdicts');
  const matrices = verdictMatrices([c]);
  const regressions = c.regressions.length;
  const rendered = renderAll(plotsFor(merged, figureSize));
  const key = keyFigure(rendered);
  return page(
    `unilat comparison: ${c.candidateId ?? 'candidate'} vs ${c.baselineId ?? 'baseline'}`,
    html`Noise threshold ${percent(c.threshold)} · ${Math.round(c.level * 100)}% bootstrap intervals (${c.resamples} resamples, seed ${c.seed}) · ${regressions ? html`<span class="badge bad">${regressions} gated regression(s)</span>` : html`<span class="badge ok">no gated regression</span>`}`,
    [
      ['headline', 'Headline'],
      ['summary', 'All verdicts'],
      ['benchmarks', 'Figures'],
    ],
    [
      html`<section id="headline"><h2>Headline</h2>`,
      matrices.length
        ? joinHtml([...matrices.flatMap((m) => [html`<h3>${m.title}</h3>`, htmlTable(m, 'headline')]), html`<p class="meta">${MATRIX_NOTE}</p>`], '\n')
        : html`<p class="none">No group is present in both runs.</p>`,
      key ? figure(key, 0, 'headline') : html``,
      html`</section>`,
      html`<section id="summary"><h2>All verdicts</h2>`,
      html`<p class="meta">Ratio = candidate / baseline. A verdict needs the whole interval beyond the noise threshold and, for p50, mean and ns/op, a rank-sum p below alpha; max is judged by an exceedance test. The numbers in the last column are the notes below the table: what decided each verdict.</p>`,
      table.rows.length ? joinHtml([htmlTable(table), ...(table.notes ?? []).map((n) => html`<p class="meta">${n}</p>`)], '\n') : html`<p class="none">No group is present in both runs.</p>`,
      c.unmatched.baseline.length || c.unmatched.candidate.length
        ? html`<p class="meta">Only in the baseline: ${c.unmatched.baseline.join(', ') || 'none'}; only in the candidate: ${c.unmatched.candidate.join(', ') || 'none'}.</p>`
        : html``,
      html`</section>`,
      benchmarksSection(merged, rendered, 0),
    ],
  );
}
