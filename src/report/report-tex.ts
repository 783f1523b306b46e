/**
 * report.tex: the whole report as a LaTeX document (run, warnings, gates, the deployments
 * side by side, the summary tables, the PDF figures with captions, guests, hosts and the
 * configuration) for pdflatex with only Debian's texlive-latex-base and
 * texlive-latex-recommended: OT1 and Computer Modern, booktabs, longtable, graphicx, float
 * and geometry. The file is ASCII (tex.ts); a figure whose PDF is not there is a boxed note,
 * not an error (\IfFileExists), so it compiles in the run folder with or without them.
 */
import { runScenario, type RunRecord } from '../results/types.js';
import { floating, longTable, summaryFloats, type FloatStyle } from './latex.js';
import { plotsFor } from './plots.js';
import {
  appliedTable,
  bootTable,
  failuresTable,
  gatesTable,
  guestsTable,
  hostFactsTable,
  loadsTable,
  overridesText,
  readinessTable,
  sideBySideTable,
  taxTables,
  tuningTable,
  warningsTable,
} from './sections.js';
import { cellText, field, type Cell, type Table } from './table.js';
import { traceCulpritsTables, tracedSpikeTables } from './trace-tables.js';
import { texComment, texEscape } from './tex.js';

/** Tables longer than this break across pages (longtable) instead of floating whole. */
const MAX_FLOAT_ROWS = 35;

const PREAMBLE = [
  '\\documentclass[a4paper,10pt]{article}',
  '\\usepackage[margin=2cm]{geometry}',
  '\\usepackage{booktabs}',
  '\\usepackage{longtable}',
  '\\usepackage{graphicx}',
  // [H]: every float where it is written, in report order (and no "too many unprocessed floats").
  '\\usepackage{float}',
  // A tabular wider than the line is scaled down to it; a narrower one keeps its size.
  '\\newcommand{\\unilatfit}[1]{\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{#1}}',
  '\\setlength{\\LTcapwidth}{\\linewidth}',
  // The default bullet, \textbullet, is in TS1, a bitmap font here (see tex.ts); the math bullet is Type 1.
  '\\renewcommand{\\labelitemi}{\\ensuremath{\\bullet}}',
  // Typewriter spaces that stretch, so a long command line breaks at its spaces instead of running off the page.
  '\\AtBeginDocument{{\\ttfamily\\fontdimen3\\font=0.2em\\fontdimen4\\font=0.1em}}',
  '\\setlength{\\emergencystretch}{2em}',
];

const FLOAT: FloatStyle = { placement: 'H', wrap: 'unilatfit' };

/** A table: a float scaled to the line, or a longtable in small type when it is long. */
function table(t: Table, caption: string, label: string): string[] {
  const cap = texEscape(caption);
  if (t.rows.length <= MAX_FLOAT_ROWS) return floating(t, cap, label, FLOAT);
  return ['', '{\\footnotesize', ...longTable(t, cap, label), '}'];
}

function section(title: string): string {
  return `\n\\section{${texEscape(title)}}`;
}

/** Items of a list, each LaTeX source. */
function itemize(items: string[]): string[] {
  return items.length ? ['\\begin{itemize}', ...items.map((i) => `\\item ${i}`), '\\end{itemize}'] : [];
}

/** Paragraphs of free text (a blank line between them in the source). */
function paragraphs(s: string): string[] {
  return s
    .split(/(?:\r\n|\r|\n)\s*(?:\r\n|\r|\n)/)
    .map((p) => texEscape(p).trim())
    .filter((p) => p)
    .flatMap((p) => [p, '']);
}

/** The text of column `id` of `row`, escaped. */
function at(t: Table, row: Cell[], id: string): string {
  return texEscape(cellText(field(t, row, id)));
}

/** A run's status as a label and what it means. */
const STATUS: Record<string, [string, string]> = {
  completed: ['completed', 'every planned step ran.'],
  running: ['INCOMPLETE', 'the run did not finish; the figures cover only the steps that ended.'],
  aborted: ['ABORTED', 'the run was interrupted; the figures cover only the steps that ended.'],
};

function runSection(record: RunRecord): string[] {
  const s = record.scenario;
  const [label, meaning] = STATUS[record.status] ?? [String(record.status).toUpperCase(), 'some steps failed (see Failed steps); the other figures are complete.'];
  return [
    ...('description' in s && s.description ? paragraphs(String(s.description)) : []),
    ...itemize([
      `Run \\texttt{${texEscape(record.id)}}, unilat ${texEscape(record.tool.version)}.`,
      `Started ${texEscape(record.startedAt)}${record.endedAt ? `, ended ${texEscape(record.endedAt)}` : ''}.`,
      `Scenario file: ${record.scenarioFile ? `\\texttt{${texEscape(record.scenarioFile)}}` : '(none)'}.`,
      `Status: \\textbf{${texEscape(label)}}: ${texEscape(meaning)}`,
    ]),
  ];
}

function warningsSection(record: RunRecord): string[] {
  const t = warningsTable(record);
  const items = [...new Set(t.rows.map((r) => `\\textbf{${at(t, r, 'code')}} (${at(t, r, 'source')}): ${at(t, r, 'message')}`))];
  return items.length ? [section('Warnings'), ...itemize(items)] : [];
}

function gatesSection(record: RunRecord): string[] {
  const t = gatesTable(record);
  if (!t) return [];
  const failed = (t.rowStatus ?? []).filter((s) => s === 'fail').length;
  // A list, not a table: a gate's detail is a sentence.
  const items = t.rows.map((r) => `\\textbf{${at(t, r, 'result')}} ${at(t, r, 'gate')} (checked on ${at(t, r, 'key')}): ${at(t, r, 'detail')}`);
  return [section('Gates'), failed ? `\\textbf{${failed} gate(s) FAILED.}` : 'All gates passed.', '', ...itemize(items)];
}

function headlineSection(record: RunRecord): string[] {
  const t = sideBySideTable(record);
  if (!t) return [];
  return [
    section(t.title),
    ...table(t, "Latency pooled over counted repetitions (µs); syscall costs in ns per operation (mean of repetition medians); boot time from QEMU start to the probe's first line (s).", 'tab:unilat-side-by-side'),
  ];
}

function summarySection(record: RunRecord): string[] {
  const floats = summaryFloats(record, FLOAT);
  return floats.length ? [section('Summary'), ...floats] : [];
}

/** Every figure of the record, its PDF (written next to report.tex) or a note where there is none. */
function figuresSection(record: RunRecord): string[] {
  const plots = plotsFor(record);
  if (!plots.length) return [];
  const out = [section('Figures')];
  plots.forEach((p, i) => {
    const file = `${p.name}.pdf`;
    const description = (p.spec as { description?: unknown }).description;
    const caption = typeof description === 'string' ? description : `${p.title}${p.benchmark ? `: ${p.benchmark}` : ''}`;
    out.push(
      '',
      '\\begin{figure}[H]',
      '\\centering',
      // File names are slugs (letters, digits, '.', '_', '-'): safe in a file name argument; the braces keep graphicx from reading an extension in a dot of the name.
      `\\IfFileExists{${file}}{\\includegraphics[width=\\linewidth,height=0.4\\textheight,keepaspectratio]{{${p.name}}.pdf}}{\\fbox{\\parbox{0.8\\linewidth}{\\centering The figure's PDF, \\texttt{${texEscape(file)}}, is not there (see the warnings); its SVG and Vega-Lite spec are in the run folder.}}}`,
      `\\caption{${texEscape(caption)}}`,
      `\\label{fig:unilat-${i + 1}}`,
      '\\end{figure}',
    );
  });
  return out;
}

/** Traced spikes: the culprits per deployment, then what ran during each traced spike. */
function traceSection(record: RunRecord): string[] {
  const culprits = traceCulpritsTables(record);
  if (!culprits.length) return [];
  const caption = (t: Table) => `${t.title}.${(t.notes ?? []).map((n) => ` ${n}`).join('')}`;
  return [
    section('Why wake-ups were late (traced spikes)'),
    ...culprits.flatMap((t, i) => table(t, caption(t), `tab:unilat-culprits-${i + 1}`)),
    ...tracedSpikeTables(record).flatMap(({ table: t }, i) => (t.rows.length ? table(t, caption(t), `tab:unilat-spike-${i + 1}`) : ['', texEscape(caption(t)), ''])),
  ];
}

function taxSection(record: RunRecord): string[] {
  const tables = taxTables(record);
  if (!tables.length) return [];
  return [
    section('Syscall tax by mitigation state'),
    texEscape('A no-op system call (getppid) against a function call (func): median ns per operation with the first and third quartile [Q1, Q3] of the per-batch figures (counted repetitions pooled); getppid / func is the ratio of the medians.'),
    ...tables.flatMap((t, i) => [...table(t, `Syscall tax, mitigations: ${t.title}.${(t.notes ?? []).map((n) => ` ${n}`).join('')}`, `tab:unilat-tax-${i + 1}`)]),
  ];
}

function guestsSection(record: RunRecord): string[] {
  const guests = guestsTable(record);
  const boot = bootTable(record);
  if (!guests && !boot) return [];
  return [
    section('Guests'),
    ...(guests ? table(guests, 'Guests: how each booted, on which kernel, and where its vCPUs ran.', 'tab:unilat-guests') : []),
    ...(boot ? table(boot, `${boot.title} (ms, medians over boots). ${(boot.notes ?? []).join(' ')}`, 'tab:unilat-boot') : []),
  ];
}

function failuresSection(record: RunRecord): string[] {
  const t = failuresTable(record);
  if (!t.rows.length) return [];
  const item = (r: Cell[]) =>
    field(t, r, 'step').kind === 'missing'
      ? `host \\textbf{${at(t, r, 'host')}}: ${at(t, r, 'error')}`
      : `${at(t, r, 'host')}/${at(t, r, 'step')} rep ${at(t, r, 'rep')} (${at(t, r, 'status')}): ${texEscape(cellText(field(t, r, 'error')).split(/\r\n|\r|\n/)[0])}`;
  return [section('Failed steps'), ...itemize(t.rows.map(item))];
}

/** Each host: kernel, CPU and command line, then its readiness checklist. */
function hostsSection(record: RunRecord): string[] {
  const facts = hostFactsTable(record);
  if (!facts) return [];
  const out = [section('Hosts')];
  for (const r of facts.rows) {
    const host = cellText(field(facts, r, 'host'));
    const rt = field(facts, r, 'rt');
    out.push(
      `\n\\subsection{${texEscape(host)}}`,
      ...itemize([
        `Kernel: ${at(facts, r, 'kernel')} ${rt.kind === 'status' && rt.status === 'pass' ? '(PREEMPT\\_RT)' : '(\\textbf{not PREEMPT\\_RT})'}`,
        ...(field(facts, r, 'cpu').kind !== 'missing' ? [`CPU: ${at(facts, r, 'cpu')}`] : []),
        ...(field(facts, r, 'cmdline').kind !== 'missing' ? [`Command line: \\texttt{${at(facts, r, 'cmdline')}}`] : []),
      ]),
    );
    const checks = readinessTable(record, host);
    if (checks?.rows.length)
      out.push(
        `Readiness checklist of ${texEscape(host)}:`,
        ...itemize(checks.rows.map((c) => `\\textbf{${at(checks, c, 'status')}} ${at(checks, c, 'check')}: ${at(checks, c, 'detail')}${cellText(field(checks, c, 'fix')) ? ` (fix: \\texttt{${at(checks, c, 'fix')}})` : ''}`)),
      );
  }
  return out;
}

/** A setting's value as text: a list of plain values as `[a, b]`, an object as JSON, with spaces where lines may break. */
function settingText(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return `[${v.join(', ')}]`;
  return typeof v === 'object' ? JSON.stringify(v, null, 1).replace(/\s+/g, ' ') : String(v);
}

/** Settings of a scenario entry beyond its name and kind, as `key=value`. */
function settings(entry: Record<string, unknown>): string {
  return Object.entries(entry)
    .filter(([k, v]) => k !== 'name' && k !== 'kind' && v !== undefined && !(Array.isArray(v) && !v.length) && v !== '')
    .map(([k, v]) => `${k}=${settingText(v)}`)
    .join(', ');
}

/** The scenario's deployments or benchmarks, one item each: name, kind and the rest of their settings. */
function entries(title: string, list: ReadonlyArray<Record<string, unknown>>): string[] {
  const item = (e: Record<string, unknown>) => {
    const rest = settings(e);
    return `\\textbf{${texEscape(String(e.name ?? ''))}} (${texEscape(String(e.kind ?? ''))})${rest ? `: ${texEscape(rest)}` : ''}`;
  };
  return list.length ? [`\n\\subsection{${texEscape(title)}}`, ...itemize(list.map(item))] : [];
}

function configurationSection(record: RunRecord): string[] {
  const out = [section('Configuration')];
  const scenario = runScenario(record);
  if (scenario) {
    const deployments = scenario.deployments as unknown as Array<Record<string, unknown>>;
    const benchmarks = scenario.benchmarks as unknown as Array<Record<string, unknown>>;
    out.push(...entries('Deployments', deployments), ...entries("Benchmarks (the run's duration applied)", benchmarks), '');
  } else out.push('An imported run: no scenario of unilat ran it.', '');
  const overrides = overridesText(record);
  if (overrides) out.push(`Command-line options: \\texttt{${texEscape(overrides)}}.`, '');
  const applied = appliedTable(record);
  if (applied) out.push(...table(applied, 'What the probe actually ran with (not only what was asked).', 'tab:unilat-applied'));
  const tuning = tuningTable(record);
  out.push(...(tuning.rows.length ? table(tuning, 'Tuning applied on hosts (each restored afterwards).', 'tab:unilat-tuning') : ['No host tuning was applied.', '']));
  const loads = loadsTable(record);
  if (loads.rows.length) out.push(...table(loads, 'The background load that ran with each result.', 'tab:unilat-loads'));
  return out;
}

/** report.tex: the complete report as a LaTeX document (compile it in the run folder, next to the figures' PDFs). */
export function renderReportTex(record: RunRecord): string {
  const name = String((record.scenario as { name?: unknown }).name ?? 'run');
  const out = [
    texComment(`unilat ${record.tool.version} report of run ${record.id}, generated from run.json; compile in the run folder: pdflatex report.tex`),
    ...PREAMBLE,
    `\\title{unilat report: ${texEscape(name)}}`,
    `\\author{unilat ${texEscape(record.tool.version)}}`,
    `\\date{${texEscape(record.startedAt)}}`,
    '\\begin{document}',
    '\\maketitle',
    '',
    ...runSection(record),
    ...warningsSection(record),
    ...gatesSection(record),
    ...headlineSection(record),
    ...summarySection(record),
    ...figuresSection(record),
    ...traceSection(record),
    ...taxSection(record),
    ...guestsSection(record),
    ...failuresSection(record),
    ...hostsSection(record),
    ...configurationSection(record),
    '',
    '\\end{document}',
  ];
  return `${out.join('\n')}\n`;
}
