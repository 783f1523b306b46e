/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, nothing fetched),
 * readable on a phone and on paper. A pure function of the run record.
 */
import type { Comparison } from '../stats/compare.js';
import { traceCulpritsTables, tracedSpikeTables } from './trace-tables.js';
import type { Result, RunRecord } from '../results/types.js';
import { benchmarkNames, countedResults, slug } from './data.js';
import { percent } from './format.js';
import {
  appliedTable,
  asRows,
  bootTable,
  comparisonRows,
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
import { cellText, field, shown, view, type Cell, type Status, type Table } from './table.js';
import { omittedPlots, plotsFor, prefixSvgIds, renderSvg, type Plot } from './plots.js';
import { html, joinHtml, trusted, type Html } from './escape.js';

/** Section ids every report has, in page order (tests and links rely on them). */
export const SECTION_IDS = ['summary', 'warnings', 'failures', 'configuration', 'hosts', 'benchmarks'] as const;

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
}

function htmlCell(c: Cell, code: boolean): Html {
  const t = c.kind === 'number' && c.style === 'count' && Number.isFinite(c.value) ? c.value.toLocaleString('en-US') : cellText(c);
  let h = (code || (c.kind === 'text' && c.code)) && t ? html`<code>${t}</code>` : html`${t}`;
  if ((c.kind === 'text' || c.kind === 'status') && c.emphasis) h = c.emphasis === 'alert' ? html`<strong class="badge bad">${h}</strong>` : html`<strong>${h}</strong>`;
  return c.kind === 'text' && c.flag ? html`${h} <strong class="badge bad">${c.flag}</strong>` : h;
}

const STATUSES: readonly string[] = ['pass', 'warn', 'fail'] satisfies Status[];

/** A Table as an HTML table: figures right-aligned, the outcome column and rows marked by status. */
export function htmlTable(t: Table, cls?: string): Html {
  const cols = shown(t, 'html').map((i) => ({ i, v: view(t.columns[i], 'html'), status: t.columns[i].status === true }));
  const num = (v: { align: string }) => (v.align === 'right' ? html` class="num"` : '');
  const th = cols.map((c) => html`<th scope="col"${num(c.v)}>${c.v.title}</th>`);
  const body = t.rows.map((r, ri) => {
    // Only an outcome the stylesheet knows becomes a class: a record's own word styles nothing.
    const st = t.rowStatus?.[ri];
    return html`<tr${st && STATUSES.includes(st) ? html` class="${st}"` : ''}>${cols.map((c) => html`<td${c.status ? html` class="status"` : num(c.v)}>${htmlCell(r[c.i], c.v.code)}</td>`)}</tr>`;
  });
  return html`<div class="table-wrap"><table${cls ? html` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${joinHtml(body, '\n')}\n</tbody></table></div>`;
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
header, main { max-width: 1100px; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: .3rem 0; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--accent); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.meta { color: var(--muted); margin: .2rem 0; }
nav ul { list-style: none; padding: 0; margin: .6rem 0 1rem; display: flex; flex-wrap: wrap; gap: .3rem 1rem; }
nav a { color: var(--accent); }
.badge { display: inline-block; padding: 0 .5em; border-radius: .3em; font-weight: 600; font-size: .9em; }
.badge.ok, tr.pass td.status { background: var(--pass-bg); color: var(--pass); }
.badge.bad, tr.fail td.status { background: var(--fail-bg); color: var(--fail); }
tr.warn td.status { background: var(--warn-bg); color: var(--warn); }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
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
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 480px), 1fr)); gap: 0 1.5rem; }
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
  const comparisons = extras.comparisons ?? asRows(record.comparisons);
  if (comparisons?.length) out.push(html`<h3 id="comparisons">Comparisons</h3>`, htmlTable(verdictTable('comparisons', 'Comparisons', comparisons)));
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
      out.push(html`<details open><summary>${facts.title}</summary>`, html`<dl class="kv">`, ...facts.rows.map((r) => html`<dt>${at(facts, r, 'fact')}</dt><dd>${at(facts, r, 'value')}</dd>`), html`</dl></details>`);
  }
  out.push(html`</section>`);
  return joinHtml(out, '\n');
}

const CAPTIONS: Record<Plot['kind'], string> = {
  'latency-histogram': 'Latency histogram: count per bin on a log axis, one curve per thread (dash) and deployment (colour).',
  exceedance: 'Exceedance: probability that a wake-up is later than x, from the histogram bins.',
  timeline: 'Latency over time: per-second maximum and mean; triangles mark spikes above the threshold.',
  syscall: 'System call vs function call: ns per operation with the 95% interval of the median; labels give the ratio to a function call.',
  'boot-time': 'Guest boot time per deployment.',
};

function figure(p: Plot, n: number): Html {
  // Ids made unique per figure: Vega numbers its clip paths the same way in every SVG.
  // Vega escapes the text it writes into the SVG, so its markup is inlined as it is.
  const svg = prefixSvgIds(renderSvg(p.spec), `p${n}`).replace('<svg ', () => html`<svg role="img" aria-label="${p.title}" `.toString());
  return html`<figure class="plot" data-plot="${p.kind}" id="plot-${p.name}">\n${trusted(svg)}\n<figcaption>${CAPTIONS[p.kind]} Spec: <code>${p.name}.vl.json</code>.</figcaption>\n</figure>`;
}

function benchmarksSection(record: RunRecord): Html {
  const plots = plotsFor(record);
  const out: Html[] = [html`<section id="benchmarks"><h2>Benchmarks</h2>`];
  let n = 0;
  const counted = countedResults(record);
  for (const b of benchmarkNames(record)) {
    const mine = plots.filter((p) => p.benchmark === b);
    const kinds = [...new Set(counted.filter((r) => r.benchmark === b).map((r) => r.kind))];
    out.push(html`<section class="benchmark" id="bench-${slug(b)}" data-benchmark="${b}">`, html`<h3>${b}${kinds.length ? html` <small class="meta">(${kinds.join(', ')})</small>` : ''}</h3>`);
    if (mine.length) out.push(html`<div class="plots">`, ...mine.map((p) => figure(p, ++n)), html`</div>`);
    const omitted = omittedPlots(record, b);
    out.push(...omitted.map((o) => html`<p class="none">${o}</p>`));
    if (!mine.length && !omitted.length) out.push(html`<p class="none">No completed result to plot.</p>`);
    out.push(html`</section>`);
  }
  const boot = plots.filter((p) => p.benchmark === null);
  const phases = bootTable(record);
  if (boot.length || phases) {
    out.push(html`<section class="boot" id="boot-time"><h3>Guest boot time</h3>`, ...boot.map((p) => figure(p, ++n)));
    if (phases) out.push(...(phases.notes ?? []).map((note) => html`<p class="meta">${note}</p>`), htmlTable(phases));
    out.push(html`</section>`);
  }
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
  const comparisons = extras.comparisons ?? (record.comparisons ? comparisonRows(record.comparisons) : undefined);
  return page(
    title,
    html`Run <code>${record.id}</code> · started ${record.startedAt} · status ${statusBadge(record)}`,
    [
      ['summary', 'Summary'],
      ...(traceCulpritsTables(record).length ? [['traces', 'Traced spikes'] as [string, string]] : []),
      ['warnings', 'Warnings'],
      ['failures', 'Failed steps'],
      ['configuration', 'Configuration'],
      ['hosts', 'Hosts'],
      ['benchmarks', 'Benchmarks'],
    ],
    [
      summarySection(record, { ...extras, comparisons }),
      traceSection(record),
      warningsSection(record),
      failuresSection(record),
      configurationSection(record),
      hostsSection(record),
      benchmarksSection(record),
    ],
  );
}

/**
 * compare.html: the comparison table with its verdicts, and the two runs' latency plots
 * overlaid (each deployment labelled "baseline" or "candidate").
 */
export function renderCompareHtml(c: Comparison, baseline: RunRecord | null, candidate: RunRecord): string {
  const tag = (r: RunRecord, side: string): Result[] => r.results.map((x) => ({ ...x, deployment: `${x.deployment} (${side})` }));
  const merged: RunRecord = { ...candidate, results: [...(baseline && baseline !== candidate ? tag(baseline, 'baseline') : []), ...tag(candidate, baseline && baseline !== candidate ? 'candidate' : 'run')] };
  const rows = comparisonRows([c]);
  const regressions = c.regressions.length;
  return page(
    `unilat comparison: ${c.candidateId ?? 'candidate'} vs ${c.baselineId ?? 'baseline'}`,
    html`Noise threshold ${percent(c.threshold)} · ${Math.round(c.level * 100)}% bootstrap intervals (${c.resamples} resamples, seed ${c.seed}) · ${regressions ? html`<span class="badge bad">${regressions} gated regression(s)</span>` : html`<span class="badge ok">no gated regression</span>`}`,
    [
      ['summary', 'Verdicts'],
      ['benchmarks', 'Plots'],
    ],
    [
      html`<section id="summary"><h2>Verdicts</h2>`,
      html`<p class="meta">Ratio = candidate / baseline. A verdict needs the whole interval beyond the noise threshold and, for p50, mean and ns/op, a rank-sum p below alpha; max is judged by an exceedance test.</p>`,
      rows.length ? htmlTable(verdictTable('verdicts', 'Verdicts', rows)) : html`<p class="none">No group is present in both runs.</p>`,
      c.unmatched.baseline.length || c.unmatched.candidate.length
        ? html`<p class="meta">Only in the baseline: ${c.unmatched.baseline.join(', ') || 'none'}; only in the candidate: ${c.unmatched.candidate.join(', ') || 'none'}.</p>`
        : html``,
      html`</section>`,
      benchmarksSection(merged),
    ],
  );
}
