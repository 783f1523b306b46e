/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, nothing fetched),
 * readable on a phone and on paper. A pure function of the run record.
 */
import type { Comparison } from '../stats/compare.js';
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
  readinessTable,
  taxTables,
  tuningTable,
  verdictTable,
  warningsTable,
} from './sections.js';
import { cellText, field, shown, view, type Cell, type Table } from './table.js';
import { plotsFor, prefixSvgIds, renderSvg, type Plot } from './plots.js';

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

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function htmlCell(c: Cell, code: boolean): string {
  const t = c.kind === 'number' && c.style === 'count' && Number.isFinite(c.value) ? c.value.toLocaleString('en-US') : cellText(c);
  let h = (code || (c.kind === 'text' && c.code)) && t ? `<code>${esc(t)}</code>` : esc(t);
  if ((c.kind === 'text' || c.kind === 'status') && c.emphasis) h = c.emphasis === 'alert' ? `<strong class="badge bad">${h}</strong>` : `<strong>${h}</strong>`;
  return c.kind === 'text' && c.flag ? `${h} <strong class="badge bad">${esc(c.flag)}</strong>` : h;
}

/** A Table as an HTML table: figures right-aligned, the outcome column and rows marked by status. */
export function htmlTable(t: Table, cls?: string): string {
  const cols = shown(t, 'html').map((i) => ({ i, v: view(t.columns[i], 'html'), status: t.columns[i].status === true }));
  const num = (v: { align: string }) => (v.align === 'right' ? ' class="num"' : '');
  const th = cols.map((c) => `<th scope="col"${num(c.v)}>${esc(c.v.title)}</th>`).join('');
  const body = t.rows
    .map((r, ri) => {
      const st = t.rowStatus?.[ri];
      return `<tr${st ? ` class="${esc(st)}"` : ''}>${cols.map((c) => `<td${c.status ? ' class="status"' : num(c.v)}>${htmlCell(r[c.i], c.v.code)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** The text of column `id` in `row`, escaped. */
function at(t: Table, row: Cell[], id: string): string {
  return esc(cellText(field(t, row, id)));
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

function statusBadge(record: RunRecord): string {
  const ok = record.status === 'completed';
  const text = { completed: 'completed', running: 'incomplete', partial: 'partial: some steps failed', aborted: 'aborted', failed: 'failed' }[record.status];
  return `<span class="badge ${ok ? 'ok' : 'bad'}">${esc(text)}</span>`;
}

function summarySection(record: RunRecord, extras: HtmlExtras): string {
  const out: string[] = ['<section id="summary"><h2>Summary</h2>'];
  const lat = latencySummaryTable(record);
  if (lat.rows.length) {
    out.push(`<h3>${esc(lat.title)}</h3>`, '<p class="meta">Threads and counted repetitions merged (warm-up excluded); percentiles from the histogram, within 0.4%.</p>');
    out.push(htmlTable(lat));
  }
  const ops = opsSummaryTable(record);
  if (ops.rows.length) {
    out.push(`<h3>${esc(ops.title)}</h3>`, '<p class="meta">Median of batches with its 95% interval; ratio: cost relative to a plain function call (<code>func</code>).</p>');
    out.push(htmlTable(ops));
  }
  const tax = taxTables(record);
  if (tax.length) {
    out.push('<h3 id="syscall-tax">Syscall tax by mitigation state</h3>', '<p class="meta"><code>getppid</code> (a no-op system call) vs <code>func</code> (a function call): median ns/op [Q1, Q3] of the per-batch figures, counted repetitions pooled; TSC cycles where the TSC is invariant. Mitigation state as the kernel that ran the probe reports it (a guest\'s own kernel in a guest).</p>');
    for (const t of tax) out.push(`<h4>${esc(t.title)}</h4>`, htmlTable(t));
  }
  if (!lat.rows.length && !ops.rows.length) out.push('<p class="none">No completed measurement in this run.</p>');
  const gates = extras.gates ?? asRows(record.gates);
  if (gates?.length) out.push('<h3 id="gates">Gates</h3>', htmlTable(verdictTable('gates', 'Gates', gates)));
  const comparisons = extras.comparisons ?? asRows(record.comparisons);
  if (comparisons?.length) out.push('<h3 id="comparisons">Comparisons</h3>', htmlTable(verdictTable('comparisons', 'Comparisons', comparisons)));
  out.push('</section>');
  return out.join('\n');
}

function warningsSection(record: RunRecord): string {
  const t = warningsTable(record);
  const items = t.rows.map((r) => {
    const rep = field(t, r, 'rep');
    return `<li><span class="code">${at(t, r, 'code')}</span> (${at(t, r, 'source')}${rep.kind === 'missing' ? '' : ` rep ${esc(cellText(rep))}`}): ${at(t, r, 'message')}</li>`;
  });
  return `<section id="warnings"><h2>Warnings${items.length ? ` (${items.length})` : ''}</h2>\n${items.length ? `<ul class="warnings">\n${items.join('\n')}\n</ul>` : '<p class="none">No warnings.</p>'}\n</section>`;
}

function failuresSection(record: RunRecord): string {
  const t = failuresTable(record);
  const items = t.rows.map((r) =>
    field(t, r, 'step').kind === 'missing'
      ? `<li class="failure"><span class="code">host ${at(t, r, 'host')}</span>: ${at(t, r, 'error')}</li>`
      : `<li class="failure"><span class="code">${at(t, r, 'status')}</span> ${at(t, r, 'host')}/${at(t, r, 'step')} rep ${at(t, r, 'rep')}: <pre>${at(t, r, 'error')}</pre></li>`,
  );
  return `<section id="failures"><h2>Failed steps</h2>\n${items.length ? `<ul class="warnings">\n${items.join('\n')}\n</ul>` : '<p class="none">Every step that ran completed.</p>'}\n</section>`;
}

function configurationSection(record: RunRecord): string {
  const s = (record.scenario ?? {}) as { name?: unknown; description?: unknown };
  const out: string[] = ['<section id="configuration"><h2>Configuration</h2>'];
  out.push(
    '<dl class="kv">',
    `<dt>scenario</dt><dd>${esc(s.name ?? '(unnamed)')}${record.scenarioFile ? ` (<code>${esc(record.scenarioFile)}</code>)` : ''}</dd>`,
    s.description ? `<dt>description</dt><dd>${esc(s.description)}</dd>` : '',
    `<dt>run</dt><dd><code>${esc(record.id)}</code>, unilat ${esc(record.tool.version)}</dd>`,
    `<dt>started</dt><dd>${esc(record.startedAt)}</dd>`,
    `<dt>ended</dt><dd>${esc(record.endedAt ?? '(did not end)')}</dd>`,
    '</dl>',
  );
  const kernels = hostFactsTable(record);
  if (kernels) out.push(`<h3>${esc(kernels.title)}</h3>`, htmlTable(kernels));
  const applied = appliedTable(record);
  if (applied) out.push(`<h3>${esc(applied.title)}</h3>`, '<p class="meta">As the probe reported it, not only as asked.</p>', htmlTable(applied));
  const tuning = tuningTable(record);
  out.push(`<h3>${esc(tuning.title)}</h3>`, tuning.rows.length ? htmlTable(tuning) : '<p class="none">No host tuning was applied.</p>');
  const loads = loadsTable(record);
  out.push(`<h3>${esc(loads.title)}</h3>`, loads.rows.length ? htmlTable(loads) : '<p class="none">No background load.</p>');
  out.push('<h3>Scenario as resolved</h3>', `<pre>${esc(JSON.stringify(record.scenario, null, 2))}</pre>`, '</section>');
  return out.join('\n');
}

function hostsSection(record: RunRecord): string {
  const out: string[] = ['<section id="hosts"><h2>Hosts and real-time readiness</h2>'];
  const hosts = [...new Set([...Object.keys(record.facts), ...Object.keys(record.readiness)])];
  if (!hosts.length) out.push('<p class="none">No host facts were gathered.</p>');
  for (const h of hosts) {
    out.push(`<h3 id="host-${esc(slug(h))}">${esc(h)}</h3>`);
    const checks = readinessTable(record, h);
    if (checks) {
      const count = (st: string) => (checks.rowStatus ?? []).filter((x) => x === st).length;
      out.push(`<p>${esc(checks.title)}: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail.</p>`, htmlTable(checks, 'checklist'));
    }
    const facts = factsTable(record, h);
    if (facts)
      out.push(`<details open><summary>${esc(facts.title)}</summary>`, '<dl class="kv">', ...facts.rows.map((r) => `<dt>${at(facts, r, 'fact')}</dt><dd>${at(facts, r, 'value')}</dd>`), '</dl></details>');
  }
  out.push('</section>');
  return out.join('\n');
}

const CAPTIONS: Record<Plot['kind'], string> = {
  'latency-histogram': 'Latency histogram: count per bin on a log axis, one curve per thread (dash) and deployment (colour).',
  exceedance: 'Exceedance: probability that a wake-up is later than x, from the histogram bins.',
  timeline: 'Latency over time: per-second maximum and mean; triangles mark spikes above the threshold.',
  syscall: 'System call vs function call: ns per operation with the 95% interval of the median; labels give the ratio to a function call.',
  'boot-time': 'Guest boot time per deployment.',
};

function figure(p: Plot, n: number): string {
  // Ids made unique per figure: Vega numbers its clip paths the same way in every SVG.
  const svg = prefixSvgIds(renderSvg(p.spec), `p${n}`).replace('<svg ', `<svg role="img" aria-label="${esc(p.title)}" `);
  return `<figure class="plot" data-plot="${p.kind}" id="plot-${esc(p.name)}">\n${svg}\n<figcaption>${esc(CAPTIONS[p.kind])} Spec: <code>${esc(p.name)}.vl.json</code>.</figcaption>\n</figure>`;
}

function benchmarksSection(record: RunRecord): string {
  const plots = plotsFor(record);
  const out: string[] = ['<section id="benchmarks"><h2>Benchmarks</h2>'];
  let n = 0;
  const counted = countedResults(record);
  for (const b of benchmarkNames(record)) {
    const mine = plots.filter((p) => p.benchmark === b);
    const kinds = [...new Set(counted.filter((r) => r.benchmark === b).map((r) => r.kind))];
    out.push(`<section class="benchmark" id="bench-${esc(slug(b))}" data-benchmark="${esc(b)}">`, `<h3>${esc(b)}${kinds.length ? ` <small class="meta">(${esc(kinds.join(', '))})</small>` : ''}</h3>`);
    if (mine.length) out.push('<div class="plots">', ...mine.map((p) => figure(p, ++n)), '</div>');
    else out.push('<p class="none">No completed result to plot.</p>');
    out.push('</section>');
  }
  const boot = plots.filter((p) => p.benchmark === null);
  const phases = bootTable(record);
  if (boot.length || phases) {
    out.push('<section class="boot" id="boot-time"><h3>Guest boot time</h3>', ...boot.map((p) => figure(p, ++n)));
    if (phases) out.push(...(phases.notes ?? []).map((note) => `<p class="meta">${esc(note)}</p>`), htmlTable(phases));
    out.push('</section>');
  }
  out.push('</section>');
  return out.join('\n');
}

/** The page shell every HTML report shares: inline CSS, no scripts, nothing fetched. */
function page(title: string, meta: string, nav: Array<[string, string]>, body: string[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${meta}</p>
<nav><ul>${nav.map(([id, t]) => `<li><a href="#${id}">${t}</a></li>`).join('')}</ul></nav>
</header>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}

/** report.html for a run record. */
export function renderHtml(record: RunRecord, extras: HtmlExtras = {}): string {
  const title = extras.title ?? `unilat report: ${record.scenario.name ?? record.id}`;
  const comparisons = extras.comparisons ?? (record.comparisons ? comparisonRows(record.comparisons) : undefined);
  return page(
    title,
    `Run <code>${esc(record.id)}</code> · started ${esc(record.startedAt)} · status ${statusBadge(record)}`,
    [
      ['summary', 'Summary'],
      ['warnings', 'Warnings'],
      ['failures', 'Failed steps'],
      ['configuration', 'Configuration'],
      ['hosts', 'Hosts'],
      ['benchmarks', 'Benchmarks'],
    ],
    [
      summarySection(record, { ...extras, comparisons }),
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
    `Noise threshold ${percent(c.threshold)} · ${Math.round(c.level * 100)}% bootstrap intervals (${c.resamples} resamples, seed ${c.seed}) · ${regressions ? `<span class="badge bad">${regressions} gated regression(s)</span>` : '<span class="badge ok">no gated regression</span>'}`,
    [
      ['summary', 'Verdicts'],
      ['benchmarks', 'Plots'],
    ],
    [
      '<section id="summary"><h2>Verdicts</h2>',
      '<p class="meta">Ratio = candidate / baseline. A verdict needs the whole interval beyond the noise threshold and, for p50, mean and ns/op, a rank-sum p below alpha; max is judged by an exceedance test.</p>',
      rows.length ? htmlTable(verdictTable('verdicts', 'Verdicts', rows)) : '<p class="none">No group is present in both runs.</p>',
      c.unmatched.baseline.length || c.unmatched.candidate.length
        ? `<p class="meta">Only in the baseline: ${esc(c.unmatched.baseline.join(', ') || 'none')}; only in the candidate: ${esc(c.unmatched.candidate.join(', ') || 'none')}.</p>`
        : '',
      '</section>',
      benchmarksSection(merged),
    ],
  );
}
