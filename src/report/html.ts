/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, nothing fetched),
 * readable on a phone and on paper. A pure function of the run record.
 */
import type { Comparison } from '../stats/compare.js';
import { isLatencyResult, isOpsResult, type FailedResult, type Result, type RunRecord } from '../results/types.js';
import { BOOT_NOTE, BOOT_PHASES, benchmarkNames, bootBreakdown, countedResults, latencyGroups, opNames, opsGroups, slug, spreadText, syscallTax } from './data.js';
import { nsop, percent, us } from './format.js';
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

function table(head: string[], rows: string[][], opts: { cls?: string; numeric?: number[]; rowCls?: (i: number) => string; statusCol?: number } = {}): string {
  const num = new Set(opts.numeric ?? []);
  const tdCls = (i: number) => (i === opts.statusCol ? ' class="status"' : num.has(i) ? ' class="num"' : '');
  const th = head.map((h, i) => `<th scope="col"${num.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map((r, ri) => {
      const cls = opts.rowCls?.(ri);
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((c, i) => `<td${tdCls(i)}>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${opts.cls ? ` class="${opts.cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
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

function repLabel(r: Result): string {
  return r.repetition === 0 ? 'warm-up' : String(r.repetition);
}

function asRows(v: unknown): Array<Record<string, unknown>> | null {
  return Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x)) ? (v as Array<Record<string, unknown>>) : null;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return esc(Number.isInteger(v) ? v : +v.toPrecision(5));
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return `<code>${esc(JSON.stringify(v))}</code>`;
  return esc(v);
}

/** Pass/fail of a verdict row, from whichever field carries it. */
function verdictOf(row: Record<string, unknown>): 'pass' | 'fail' | 'warn' | null {
  for (const k of ['status', 'verdict', 'pass', 'passed', 'ok']) {
    const v = row[k];
    if (typeof v === 'boolean') return v ? 'pass' : 'fail';
    if (typeof v === 'string') {
      const s = v.toLowerCase();
      if (/^(pass|passed|ok|better|same|unchanged|no change)/.test(s)) return 'pass';
      if (/^(fail|failed|worse|regress)/.test(s)) return 'fail';
      return 'warn';
    }
  }
  return null;
}

function verdictTable(rows: ReadonlyArray<Record<string, unknown>>): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const statusKey = keys.find((k) => ['status', 'verdict', 'pass', 'passed', 'ok'].includes(k));
  return table(
    keys,
    rows.map((r) => keys.map((k) => cell(r[k]))),
    {
      rowCls: (i) => verdictOf(rows[i]) ?? '',
      statusCol: statusKey === undefined ? undefined : keys.indexOf(statusKey),
      numeric: keys.flatMap((k, i) => (rows.every((r) => typeof r[k] === 'number' || r[k] == null) ? [i] : [])),
    },
  );
}

function summarySection(record: RunRecord, extras: HtmlExtras): string {
  const out: string[] = ['<section id="summary"><h2>Summary</h2>'];
  const benches = benchmarkNames(record);
  const latRows: string[][] = [];
  for (const b of benches)
    for (const g of latencyGroups(record, b)) {
      const s = g.summary;
      latRows.push([esc(g.deployment), esc(b), esc(g.host), String(g.results.length), s.count.toLocaleString('en-US'), us(s.min), us(s.p50), us(s.p99), us(s.p999), us(s.max)]);
    }
  if (latRows.length) {
    out.push('<h3>Wake-up latency (µs)</h3>', '<p class="meta">Threads and counted repetitions merged (warm-up excluded); percentiles from the histogram, within 0.4%.</p>');
    out.push(table(['deployment', 'benchmark', 'host', 'reps', 'samples', 'min', 'p50', 'p99', 'p99.9', 'max'], latRows, { numeric: [3, 4, 5, 6, 7, 8, 9] }));
  }
  const opsRows: string[][] = [];
  for (const b of benches) {
    const groups = opsGroups(record, b);
    const names = opNames(groups);
    for (const g of groups)
      for (const r of g.results)
        for (const n of names) {
          const o = r.ops[n];
          if (!o) continue;
          const ratio = r.ratios[n];
          opsRows.push([esc(g.deployment), esc(b), esc(g.host), repLabel(r), esc(n), nsop(o.nsPerOp), `${nsop(o.ciLow)} – ${nsop(o.ciHigh)}`, ratio !== undefined ? `${ratio.toFixed(1)}×` : '–']);
        }
  }
  if (opsRows.length) {
    out.push('<h3>System call vs function call (ns per operation)</h3>', '<p class="meta">Median of batches with its 95% interval; ratio: cost relative to a plain function call (<code>func</code>).</p>');
    out.push(table(['deployment', 'benchmark', 'host', 'rep', 'operation', 'ns/op', '95% interval', '÷ func'], opsRows, { numeric: [3, 5, 6, 7] }));
  }
  const tax = syscallTax(record);
  if (tax.length) {
    out.push('<h3 id="syscall-tax">Syscall tax by mitigation state</h3>', '<p class="meta"><code>getppid</code> (a no-op system call) vs <code>func</code> (a function call): median ns/op [Q1, Q3] of the per-batch figures, counted repetitions pooled; TSC cycles where the TSC is invariant. Mitigation state as the kernel that ran the probe reports it (a guest\'s own kernel in a guest).</p>');
    for (const t of tax) {
      const cyc = t.rows.some((r) => r.getppid?.cycles || r.func?.cycles);
      out.push(`<h4>${esc(t.state)}</h4>`);
      out.push(
        table(
          ['deployment', 'kind', 'getppid ns [Q1, Q3]', 'func ns [Q1, Q3]', '÷ func', ...(cyc ? ['getppid cycles [Q1, Q3]', 'func cycles [Q1, Q3]'] : []), 'vulnerabilities'],
          t.rows.map((r) => [
            esc(r.name),
            esc(r.kind || '–'),
            esc(spreadText(r.getppid?.ns)),
            esc(spreadText(r.func?.ns)),
            r.ratio !== null && Number.isFinite(r.ratio) ? `${r.ratio.toFixed(0)}×` : '–',
            ...(cyc ? [esc(spreadText(r.getppid?.cycles)), esc(spreadText(r.func?.cycles))] : []),
            esc(r.vulnerabilities),
          ]),
          { numeric: cyc ? [2, 3, 4, 5, 6] : [2, 3, 4] },
        ),
      );
    }
  }
  if (!latRows.length && !opsRows.length) out.push('<p class="none">No completed measurement in this run.</p>');
  const gates = extras.gates ?? asRows(record.gates);
  if (gates?.length) out.push('<h3 id="gates">Gates</h3>', verdictTable(gates));
  const comparisons = extras.comparisons ?? asRows(record.comparisons);
  if (comparisons?.length) out.push('<h3 id="comparisons">Comparisons</h3>', verdictTable(comparisons));
  out.push('</section>');
  return out.join('\n');
}

function warningsSection(record: RunRecord): string {
  const items: string[] = [];
  for (const w of record.warnings) items.push(`<li><span class="code">${esc(w.code)}</span> (run): ${esc(w.message)}</li>`);
  for (const r of record.results)
    for (const w of r.warnings)
      items.push(`<li><span class="code">${esc(w.code)}</span> (${esc(`${r.host}/${r.deployment}/${r.benchmark} rep ${repLabel(r)}`)}): ${esc(w.message)}</li>`);
  const unique = [...new Set(items)];
  return `<section id="warnings"><h2>Warnings${unique.length ? ` (${unique.length})` : ''}</h2>\n${unique.length ? `<ul class="warnings">\n${unique.join('\n')}\n</ul>` : '<p class="none">No warnings.</p>'}\n</section>`;
}

function failuresSection(record: RunRecord): string {
  const items: string[] = [];
  for (const [h, e] of Object.entries(record.hostErrors)) items.push(`<li class="failure"><span class="code">host ${esc(h)}</span>: ${esc(e)}</li>`);
  for (const r of record.results.filter((x): x is FailedResult => x.status !== 'completed'))
    items.push(`<li class="failure"><span class="code">${esc(r.status)}</span> ${esc(`${r.host}/${r.deployment}/${r.benchmark} rep ${repLabel(r)}`)}: <pre>${esc(r.error)}</pre></li>`);
  return `<section id="failures"><h2>Failed steps</h2>\n${items.length ? `<ul class="warnings">\n${items.join('\n')}\n</ul>` : '<p class="none">Every step that ran completed.</p>'}\n</section>`;
}

function factOf(facts: unknown, path: string[]): unknown {
  let v: unknown = facts;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
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
  const hosts = Object.keys(record.facts);
  if (hosts.length) {
    out.push('<h3>Kernels and command lines</h3>');
    out.push(
      table(
        ['host', 'kernel', 'PREEMPT_RT', 'command line'],
        hosts.map((h) => {
          const f = record.facts[h];
          const rt = factOf(f, ['kernel', 'preemptRt']);
          return [esc(h), esc(factOf(f, ['kernel', 'release']) ?? '?'), rt === undefined ? '?' : rt ? 'yes' : '<strong>no</strong>', `<code>${esc(factOf(f, ['cmdline', 'raw']) ?? '?')}</code>`];
        }),
      ),
    );
  }
  const applied = record.results.filter((r) => (isLatencyResult(r) || isOpsResult(r)) && r.applied);
  if (applied.length) {
    out.push('<h3>What the probe ran with</h3>', '<p class="meta">As the probe reported it, not only as asked.</p>');
    out.push(
      table(
        ['deployment', 'benchmark', 'host', 'rep', 'policy', 'prio', 'threads', 'affinity', 'mlockall', 'cpu_dma_latency', 'clock res (ns)', 'loop overhead (ns)', 'kernel'],
        applied.map((r) => {
          const a = (r as { applied: NonNullable<Extract<Result, { status: 'completed' }>['applied']> }).applied;
          return [esc(r.deployment), esc(r.benchmark), esc(r.host), repLabel(r), esc(a.policy), esc(a.priority), esc(a.threads), esc(a.affinity?.length ? a.affinity.join(',') : 'any'), a.mlockall ? 'yes' : 'no', a.dmaLatency ? 'held at 0' : 'no', esc(a.clockResolutionNs), esc(a.loopOverheadNs ?? '–'), esc(a.kernel ?? '–')];
        }),
        { numeric: [3, 5, 6, 10, 11] },
      ),
    );
  }
  out.push('<h3>Tuning applied</h3>');
  if (record.tuning.length)
    out.push(
      table(
        ['host', 'knob', 'path', 'before', 'during', 'restored'],
        record.tuning.map((t) => [esc(t.host), esc(t.knob), `<code>${esc(t.path)}</code>`, esc(t.before), esc(t.after), t.restored ? 'yes' : '<strong class="badge bad">NO</strong>']),
      ),
    );
  else out.push('<p class="none">No host tuning was applied.</p>');
  const loads = record.results.filter((r) => r.context && typeof r.context.load === 'object' && r.context.load);
  out.push('<h3>Background load</h3>');
  if (loads.length)
    out.push(
      table(
        ['deployment', 'benchmark', 'host', 'rep', 'load'],
        loads.map((r) => {
          const l = r.context!.load!;
          const cmd = Array.isArray(l.commandLine) ? l.commandLine.join(' ') : l.tool;
          return [esc(r.deployment), esc(r.benchmark), esc(r.host), repLabel(r), `<code>${esc(cmd)}</code>${l.diedEarly ? ' <strong class="badge bad">died early</strong>' : ''}`];
        }),
      ),
    );
  else out.push('<p class="none">No background load.</p>');
  out.push('<h3>Scenario as resolved</h3>', `<pre>${esc(JSON.stringify(record.scenario, null, 2))}</pre>`, '</section>');
  return out.join('\n');
}

/** Nested facts as dotted keys, arrays joined, so any facts shape can be shown. */
export function flattenFacts(v: unknown, prefix = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (v === null || v === undefined) out.push([prefix, '–']);
  else if (Array.isArray(v)) out.push([prefix, v.length ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : '(none)']);
  else if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (!entries.length) out.push([prefix, '(none)']);
    for (const [k, x] of entries) flattenFacts(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)]);
  return out;
}

function hostsSection(record: RunRecord): string {
  const out: string[] = ['<section id="hosts"><h2>Hosts and real-time readiness</h2>'];
  const readiness = record.readiness;
  const hosts = [...new Set([...Object.keys(record.facts), ...Object.keys(readiness)])];
  if (!hosts.length) out.push('<p class="none">No host facts were gathered.</p>');
  for (const h of hosts) {
    out.push(`<h3 id="host-${esc(slug(h))}">${esc(h)}</h3>`);
    const checks = readiness[h];
    if (checks) {
      const list = checks;
      const count = (st: string) => list.filter((c) => c.status === st).length;
      out.push(`<p>Readiness checklist: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail.</p>`);
      out.push(
        table(
          ['check', 'status', 'found', 'fix'],
          list.map((c) => [esc(c.title), `${{ pass: '✓ pass', warn: '! warn', fail: '✗ FAIL' }[c.status] ?? esc(c.status)}`, esc(c.detail), c.status === 'pass' || !c.fix ? '' : `<code>${esc(c.fix)}</code>`]),
          { cls: 'checklist', rowCls: (i) => list[i].status, statusCol: 1 },
        ),
      );
    }
    if (h in record.facts) {
      const kv = flattenFacts(record.facts[h]);
      out.push('<details open><summary>All facts</summary>', '<dl class="kv">', ...kv.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`), '</dl></details>');
    }
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
  const phases = bootBreakdown(record);
  if (boot.length || phases.length) {
    out.push('<section class="boot" id="boot-time"><h3>Guest boot time</h3>', ...boot.map((p) => figure(p, ++n)));
    if (phases.length)
      out.push(
        `<p class="meta">${esc(BOOT_NOTE)}</p>`,
        table(
          ['deployment', 'boots', ...BOOT_PHASES.map(([, h]) => h), 'boots and benchmarks'],
          phases.map((r) => [esc(r.deployment), String(r.boots), ...BOOT_PHASES.map(([k]) => (r.phases[k] === null ? '–' : String(r.phases[k]))), esc(r.mode)]),
          { numeric: [1, ...BOOT_PHASES.map((_, i) => i + 2)] },
        ),
      );
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

/** Comparison rows as flat records for a verdict table. */
function comparisonRows(list: readonly Comparison[]): Array<Record<string, unknown>> {
  return list.flatMap((c) =>
    c.rows.map((r) => ({
      group: r.key,
      metric: r.metric,
      baseline: r.metric.startsWith('syscall.') ? `${nsop(r.baseline)} ns` : `${us(r.baseline)} µs`,
      candidate: r.metric.startsWith('syscall.') ? `${nsop(r.candidate)} ns` : `${us(r.candidate)} µs`,
      ratio: +r.ratio.toFixed(3),
      '95% interval': r.ratioLow === null || r.ratioHigh === null ? '–' : `${r.ratioLow.toFixed(3)} – ${r.ratioHigh.toFixed(3)}`,
      p: r.p,
      'P(c>b)': r.effect === null ? null : +r.effect.toFixed(3),
      verdict: r.verdict === 'worse' && r.gated ? 'worse (gated)' : r.verdict,
      note: r.note ?? '',
    })),
  );
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
      rows.length ? verdictTable(rows) : '<p class="none">No group is present in both runs.</p>',
      c.unmatched.baseline.length || c.unmatched.candidate.length
        ? `<p class="meta">Only in the baseline: ${esc(c.unmatched.baseline.join(', ') || 'none')}; only in the candidate: ${esc(c.unmatched.candidate.join(', ') || 'none')}.</p>`
        : '',
      '</section>',
      benchmarksSection(merged),
    ],
  );
}
