/**
 * report.md: tables a researcher can paste, with the configuration and warnings. Every table
 * is built in sections.ts; this module lays them out and renders them as Markdown.
 */
import { renderComparisonMarkdown } from './compare-md.js';
import type { RunRecord } from '../results/types.js';
import {
  appliedTable,
  bootTable,
  failuresTable,
  gatesTable,
  guestsTable,
  hostFactsTable,
  latencyResultsTable,
  latencyThreadsTable,
  opsCyclesTable,
  opsRatioTable,
  opsResultsTable,
  overridesText,
  readinessTable,
  taxTables,
  tuningTable,
  warningsTable,
} from './sections.js';
import { headlineTable } from './headline.js';
import { keyPlotName } from './plots.js';
import { traceCulpritsTables, tracedSpikeTables } from './trace-tables.js';
import { mdCode, mdFence, mdLine, mdLines, mdTable, mdText } from './md.js';
import { cellText, field, type Cell, type Table } from './table.js';

/** The text of column `id` in `row`, as it is (each use escapes it). */
function at(t: Table, row: Cell[], id: string): string {
  return cellText(field(t, row, id));
}

/** A section's heading: `##` (or deeper) and the title as text. */
function heading(level: number, title: string): string {
  return `${'#'.repeat(level)} ${mdText(title)}`;
}

function statusLine(record: RunRecord): string {
  switch (record.status) {
    case 'completed':
      return 'Status: **completed**: every planned step ran.';
    case 'running':
      return 'Status: **INCOMPLETE**: the run did not finish; figures below cover only the steps that ended.';
    case 'aborted':
      return 'Status: **ABORTED**: the run was interrupted; figures below cover only the steps that ended.';
    default:
      return `Status: **${mdText(String(record.status).toUpperCase())}**: some steps failed (see "Failed steps"); the other figures are complete.`;
  }
}

/** report.md: tables a researcher can paste, with the configuration and warnings. */
export function renderMarkdown(record: RunRecord, extraSections: string[] = []): string {
  const s = record.scenario;
  const out: string[] = [];
  out.push(heading(1, `unilat report: ${s.name ?? 'run'}`), '');
  if ('description' in s && s.description) out.push(mdLines(String(s.description)), '');
  out.push(
    `- Run: ${mdCode(record.id)}, unilat ${mdText(record.tool.version)}`,
    `- Started ${mdText(record.startedAt)}${record.endedAt ? `, ended ${mdText(record.endedAt)}` : ''}`,
    `- Scenario file: ${mdText(record.scenarioFile ?? '(none)')}`,
    `- ${statusLine(record)}`,
    '',
  );

  out.push(...headlineSection(record));
  out.push(...warningsSection(record));
  out.push(...gatesSection(record));

  const latency = latencyResultsTable(record);
  const threads = latencyThreadsTable(record);
  if (latency && threads) {
    out.push(heading(2, latency.title), '', mdTable(latency), '', heading(3, threads.title), '', mdTable(threads), '');
    const spikes = latency.notes ?? [];
    if (spikes.length) out.push(...spikes.map((n) => `- ${mdLine(n)}`), '');
  }

  out.push(...traceSection(record));

  const ops = opsResultsTable(record);
  if (ops) {
    out.push(heading(2, ops.title), '', mdTable(ops), '');
    const cycles = opsCyclesTable(record);
    if (cycles)
      out.push('TSC cycles per operation (median of batches, 95% interval; invariant TSC only, so these are ticks at the TSC\'s fixed rate, not core clock cycles):', '', mdTable(cycles), '');
    const noCycles = ops.notes ?? [];
    if (noCycles.length) out.push('No TSC cycles for:', '', ...noCycles.map((t) => `- ${mdLine(t)}`), '');
    const ratios = opsRatioTable(record);
    if (ratios) out.push('Cost relative to a plain function call (the "syscall tax" a unikernelized Linux would remove):', '', mdTable(ratios), '');
  }

  out.push(...taxSection(record));
  const guests = guestsTable(record);
  if (guests) out.push(heading(2, guests.title), '', mdTable(guests), '');
  const boot = bootTable(record);
  if (boot) out.push(heading(2, boot.title), '', ...(boot.notes ?? []).map(mdLine), '', mdTable(boot), '');
  const comparisons = record.comparisons ?? [];
  if (comparisons.length) {
    out.push('## Deployment vs deployment', '');
    // The comparison writer's own title is a level-1 heading; nest it here.
    for (const c of comparisons) {
      const r = c.rows[0];
      const title = heading(3, r ? `${r.candidateGroup.deployment} vs ${r.baselineGroup.deployment}` : 'Comparison');
      out.push(renderComparisonMarkdown(c).replace(/^# .*$/m, () => title), '');
    }
  }
  out.push(...extraSections.flatMap((x) => [x, '']));
  out.push(...failuresSection(record));
  out.push(...hostSection(record));

  out.push('## Configuration', '');
  const applied = appliedTable(record);
  if (applied) out.push('What the probe actually ran with (not only what was asked):', '', mdTable(applied), '');
  const tuning = tuningTable(record);
  if (tuning.rows.length) out.push('Tuning applied on hosts (each restored afterwards):', '', mdTable(tuning), '');
  else out.push('No host tuning was applied.', '');
  const overrides = overridesText(record);
  if (overrides) out.push(`Command-line options: ${mdText(overrides)}.`, '');
  out.push('Scenario as resolved:', '', ...mdFence('json', JSON.stringify(record.scenario, null, 2)), '');
  return out.join('\n');
}

/**
 * The answer first: the deployments side by side against the first one, what qualifies the
 * figures (TCG, no PREEMPT_RT) and the key figure (the SVG written next to report.md).
 */
function headlineSection(record: RunRecord): string[] {
  const t = headlineTable(record);
  if (!t) return ['## Headline', '', 'No completed measurement in this run.', ''];
  const out = ['## Headline', ''];
  if (t.footnotes?.length) out.push(...t.footnotes.map((n) => `- **⚠** ${mdLine(n)}`), '');
  out.push(mdTable(t), '', ...(t.notes ?? []).map(mdLine), '');
  const key = keyPlotName(record);
  if (key) out.push(`![All deployments' exceedance curves](${key}.svg)`, '');
  return out;
}

/** Traced spikes: the culprits per deployment, then each spike's attribution. */
function traceSection(record: RunRecord): string[] {
  const culprits = traceCulpritsTables(record);
  if (!culprits.length) return [];
  const out = [heading(2, 'Why wake-ups were late (traced spikes)'), ''];
  for (const t of culprits) out.push(heading(3, t.title), '', mdTable(t), '', ...(t.notes ?? []).map(mdLine), '');
  for (const { table } of tracedSpikeTables(record)) out.push(heading(3, table.title), '', ...(table.notes ?? []).map((n) => `- ${mdLine(n)}`), '', ...(table.rows.length ? [mdTable(table), ''] : []));
  return out;
}

/** Every warning of the run, each once per place it came from (repetitions not told apart). */
function warningsSection(record: RunRecord): string[] {
  const t = warningsTable(record);
  const lines = [...new Set(t.rows.map((r) => `- **${mdText(at(t, r, 'code'))}** (${mdText(at(t, r, 'source'))}): ${mdText(at(t, r, 'message'))}`))];
  return lines.length ? ['## ⚠ Warnings', '', ...lines, ''] : [];
}

function gatesSection(record: RunRecord): string[] {
  const t = gatesTable(record);
  if (!t) return [];
  const failed = (t.rowStatus ?? []).filter((st) => st === 'fail').length;
  const skipped = (t.rowStatus ?? []).filter((st) => st === 'warn').length;
  return [`## Gates: ${failed ? `**${failed} FAILED**` : skipped ? `none failed, ${skipped} skipped` : 'all passed'}`, '', mdTable(t), ''];
}

function taxSection(record: RunRecord): string[] {
  const tables = taxTables(record);
  if (!tables.length) return [];
  return [
    '## Syscall tax by mitigation state',
    '',
    'A no-op system call (`getppid`) against a function call (`func`): median ns per operation with the first and third quartile [Q1, Q3] of the per-batch figures (counted repetitions pooled); getppid / func is the ratio of the medians. The mitigation state is what the kernel that ran the probe reports (a guest\'s own kernel in a guest): its `mitigations=` and /sys/devices/system/cpu/vulnerabilities.',
    '',
    ...tables.flatMap((t) => [heading(3, t.title), '', mdTable(t), '', ...(t.notes ?? []).flatMap((n) => [mdLine(n), ''])]),
  ];
}

function failuresSection(record: RunRecord): string[] {
  const t = failuresTable(record);
  if (!t.rows.length) return [];
  const line = (r: Cell[]) =>
    field(t, r, 'step').kind === 'missing'
      ? `- host **${mdText(at(t, r, 'host'))}**: ${mdText(at(t, r, 'error'))}`
      : `- ${mdLine(at(t, r, 'host'))}/${mdText(at(t, r, 'step'))} rep ${mdText(at(t, r, 'rep'))} (${mdText(at(t, r, 'status'))}): ${mdText(at(t, r, 'error').split(/\r\n|\r|\n/)[0])}`;
  return ['## Failed steps', '', ...t.rows.map(line), ''];
}

/** Host facts in brief and each host's real-time readiness checklist. */
function hostSection(record: RunRecord): string[] {
  const facts = hostFactsTable(record);
  if (!facts) return [];
  const out = ['## Hosts', ''];
  for (const r of facts.rows) {
    const h = at(facts, r, 'host');
    const rt = field(facts, r, 'rt');
    out.push(heading(3, h), '');
    out.push(`- Kernel: ${mdText(at(facts, r, 'kernel'))} ${rt.kind === 'status' && rt.status === 'pass' ? '(PREEMPT_RT)' : '(**not PREEMPT_RT**)'}`);
    if (field(facts, r, 'cpu').kind !== 'missing') out.push(`- CPU: ${mdText(at(facts, r, 'cpu'))}`);
    if (field(facts, r, 'cmdline').kind !== 'missing') out.push(`- Command line: ${mdCode(at(facts, r, 'cmdline'))}`);
    out.push('');
    const checks = readinessTable(record, h);
    if (checks?.rows.length) out.push(mdTable(checks), '');
  }
  return out;
}
