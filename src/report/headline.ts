/**
 * The answer first: the headline table of report.html and report.md (the deployments side by
 * side, each figure against the first deployment's with the ratio, its interval and the
 * verdict of the run's own comparisons), what qualifies those figures (TCG, no PREEMPT_RT),
 * and the compact verdict matrix of compare.html. Built as Tables (table.ts), so every format
 * renders them its own way.
 */
import type { Comparison, ComparisonRow } from '../results/comparison.js';
import { isLatencyResult, runScenario, type Result, type RunRecord } from '../results/types.js';
import { benchmarkNames, bootResults, countedResults, latencyGroups, seriesName, syscallTax, type LatencyGroup } from './data.js';
import { times } from './format.js';
import { plainTable, tableWidth } from './plain.js';
import { AT_LEAST, cellText, figure, formatFigure, missing, text, VERDICT_WORD, type Cell, type Column, type NumberStyle, type Table } from './table.js';

const METRICS = [
  ['p50', 'p50', 'p50'],
  ['p99', 'p99', 'p99'],
  ['p99.9', 'p999', 'p99.9'],
  ['max', 'max', 'max'],
] as const;

function col(id: string, title: string, more: Omit<Column, 'id' | 'title'> = {}): Column {
  return { id, title, ...more };
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function versus(value: number | null | undefined, style: NumberStyle, ref: number | null | undefined, row: ComparisonRow | undefined, atLeast = false, isRef = false): Cell {
  if (!finite(value)) return missing();
  // The stored comparison decides where there is one; else a plain ratio, without interval or verdict.
  const ratio = isRef ? null : row ? row.ratio : finite(ref) && ref > 0 ? value / ref : null;
  return {
    kind: 'versus',
    value,
    style,
    ...(atLeast ? { atLeast } : {}),
    ratio,
    low: row?.ratioLow ?? null,
    high: row?.ratioHigh ?? null,
    verdict: !isRef && row ? row.verdict : null,
  };
}

/** What qualifies a deployment's figures: a badge next to its name, and why, for the note above the table. */
export interface Qualifier {
  badge: string;
  /** The note's sentence after the names it concerns ("ran under QEMU's emulator ..."). */
  why: string;
}

function kernelOf(record: RunRecord, host: string): { preemptRt?: unknown; release?: unknown; preemptModel?: unknown } | undefined {
  return (record.facts[host] as { kernel?: { preemptRt?: unknown; release?: unknown; preemptModel?: unknown } } | undefined)?.kernel;
}

/** TCG (an emulated guest) and a kernel without PREEMPT_RT, for the results of one deployment. */
export function qualifiers(record: RunRecord, results: readonly Result[]): Qualifier[] {
  const out: Qualifier[] = [];
  if (results.some((r) => r.context?.accel === 'tcg'))
    out.push({ badge: 'TCG', why: "ran under QEMU's emulator (no KVM): their latencies describe the emulator, not the hardware" });
  const guest = results.filter((r) => r.context && ('guestRealtime' in r.context || typeof r.context.bootMs === 'number'));
  if (guest.length) {
    if (guest.some((r) => r.context!.guestRealtime !== undefined && r.context!.guestRealtime !== 1 && r.context!.guestRealtime !== '1'))
      out.push({ badge: 'not PREEMPT_RT', why: 'ran on a guest kernel that is not PREEMPT_RT: their latencies are not those of a real-time kernel' });
    return out;
  }
  const host = results[0]?.host ?? '';
  const k = kernelOf(record, host);
  if (k?.preemptRt === false)
    out.push({
      badge: 'not PREEMPT_RT',
      why: `ran on ${host}'s kernel${k.release ? ` ${String(k.release)}` : ''}${k.preemptModel ? ` (${String(k.preemptModel)})` : ''}, which is not PREEMPT_RT: their latencies are not those of a real-time kernel`,
    });
  return out;
}

/** One sentence per distinct qualifier, naming the deployments it concerns. */
function qualifierNotes(list: Array<{ name: string; q: Qualifier[] }>): string[] {
  const by = new Map<string, { badge: string; names: string[] }>();
  for (const { name, q } of list)
    for (const x of q) {
      const e = by.get(x.why) ?? { badge: x.badge, names: [] };
      if (!e.names.includes(name)) e.names.push(name);
      by.set(x.why, e);
    }
  return [...by].map(([why, e]) => `${e.badge}: ${e.names.join(', ')} ${why}.`);
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

interface Row {
  name: string;
  deployment: string;
  host: string;
  benchmark: string | null;
  group: LatencyGroup | null;
  tax: number | null;
  getppid: number | null;
  bootMs: number | null;
  results: Result[];
}

/**
 * One row per deployment (with its host where the run spans several; per latency benchmark
 * where there are several), in scenario order: samples, p50, p99, p99.9 and max (µs), the
 * getppid cost and the syscall tax (getppid ÷ func), the mean boot time. Each figure of a later
 * deployment stands against the first deployment's (on the same host): the ratio, its 95%
 * interval and the verdict where the run compared them (record.comparisons). Null without a
 * completed result.
 */
export function headlineTable(record: RunRecord): Table | null {
  const counted = countedResults(record).filter((r) => r.status === 'completed');
  if (!counted.length) return null;
  const order = (runScenario(record)?.deployments ?? []).map((d) => d.name);
  const rank = (d: string) => (order.includes(d) ? order.indexOf(d) : order.length);
  const latencyBenches = benchmarkNames(record).filter((b) => counted.some((r) => r.benchmark === b && isLatencyResult(r)));
  const taxes = syscallTax(record).flatMap((t) => t.rows);
  const series = [...new Map(counted.map((r) => [seriesName(record, r), r] as const))].sort((a, b) => rank(a[1].deployment) - rank(b[1].deployment));
  // Each benchmark's groups once: merging histograms is the costly part.
  const groups = new Map(latencyBenches.map((b) => [b, latencyGroups(record, b)]));
  const rows: Row[] = [];
  for (const [name, r0] of series) {
    const mine = counted.filter((r) => r.deployment === r0.deployment && r.host === r0.host);
    const tax = taxes.find((t) => t.deployment === r0.deployment && t.host === r0.host);
    const boots = bootResults(record).filter((r) => r.deployment === r0.deployment && r.host === r0.host).flatMap((r) => (finite(r.context?.bootMs) ? [r.context.bootMs] : []));
    const base = { name, deployment: r0.deployment, host: r0.host, tax: tax?.ratio ?? null, getppid: tax?.getppid?.ns.median ?? null, bootMs: mean(boots), results: mine };
    const benches = latencyBenches.filter((b) => mine.some((r) => r.benchmark === b && isLatencyResult(r)));
    if (!benches.length) rows.push({ ...base, benchmark: null, group: null });
    for (const b of benches) rows.push({ ...base, benchmark: b, group: groups.get(b)!.find((g) => g.deployment === r0.deployment && g.host === r0.host) ?? null });
  }
  const comparisons = (record.comparisons ?? []).flatMap((c) => c.rows);
  const find = (r: Row, metric: string, benchmark: string | null) =>
    comparisons.find((c) => c.candidateGroup.deployment === r.deployment && c.candidateGroup.host === r.host && c.metric === metric && (benchmark === null || c.candidateGroup.benchmark === benchmark));
  const taxBench = (r: Row) => taxes.find((t) => t.deployment === r.deployment && t.host === r.host)?.benchmark ?? null;
  // The reference of a row: the first row on its host (and benchmark) that has the figure.
  const refOf = (r: Row, has: (x: Row) => boolean) => rows.find((x) => x.host === r.host && (x.benchmark === r.benchmark || !r.benchmark || !x.benchmark) && has(x));
  const multiBench = latencyBenches.length > 1;
  const anyTax = rows.some((r) => r.tax !== null);
  const anyBoot = rows.some((r) => r.bootMs !== null);
  const anyLatency = rows.some((r) => r.group);
  const qualified: Array<{ name: string; q: Qualifier[] }> = [];
  const tableRows = rows.map((r) => {
    const q = qualifiers(record, r.results.filter((x) => r.benchmark === null || x.benchmark === r.benchmark || !isLatencyResult(x)));
    qualified.push({ name: r.name, q });
    const s = r.group?.summary;
    const latRef = refOf(r, (x) => x.group !== null);
    const cells: Cell[] = [text(r.name, q.length ? { flag: q.map((x) => x.badge).join(', ') } : {})];
    if (multiBench) cells.push(r.benchmark ? text(r.benchmark) : missing());
    if (anyLatency) {
      cells.push(figure(s?.count, 'count'));
      for (const [metric, key] of METRICS) {
        const v = s?.[key];
        cells.push(versus(v, 'us-unit', latRef?.group?.summary[key], find(r, metric, r.benchmark), (s?.lowerBounds ?? []).includes(key as never), latRef === r));
      }
    }
    if (anyTax) {
      const ref = refOf(r, (x) => x.tax !== null);
      cells.push(versus(r.getppid, 'ns-unit', ref?.getppid, find(r, 'syscall.getppid', taxBench(r)), false, ref === r));
      cells.push(versus(r.tax, 'ratio-x', ref?.tax, undefined, false, ref === r));
    }
    if (anyBoot) {
      const ref = refOf(r, (x) => x.bootMs !== null);
      cells.push(versus(r.bootMs, 'ms-unit', ref?.bootMs, undefined, false, ref === r));
    }
    return cells;
  });
  const first = rows[0]?.name ?? '';
  return {
    id: 'headline',
    title: 'Headline',
    columns: [
      col('deployment', 'deployment'),
      ...(multiBench ? [col('benchmark', 'benchmark')] : []),
      ...(anyLatency ? [col('samples', 'samples', { align: 'right' }), ...METRICS.map(([, , t]) => col(t, t, { align: 'right' }))] : []),
      ...(anyTax ? [col('getppid', 'getppid', { align: 'right' }), col('tax', 'syscall tax', { align: 'right' })] : []),
      ...(anyBoot ? [col('boot', 'boot time', { align: 'right' })] : []),
    ],
    rows: tableRows,
    notes: [
      [
        anyLatency ? latencyNote(record, latencyBenches) : '',
        anyTax ? "getppid: median ns per call; the syscall tax is the getppid median over the function call's (getppid ÷ func)." : '',
        anyBoot ? "Boot: mean from QEMU's start to the probe's first line." : '',
        rows.length > 1 ? `Each figure stands against ${first}'s (the first deployment): ×ratio [95% interval] and the verdict of the run's comparison where it made one (n.s.: not significant, the interval does not clear the noise threshold; a wide interval means too little data to tell).` : '',
      ]
        .filter(Boolean)
        .join(' '),
    ],
    footnotes: qualifierNotes(qualified),
  };
}

/** What the latency columns merge: threads for the probe and rt-tests, CPUs of one context for rtla timerlat. */
function latencyNote(record: RunRecord, benches: readonly string[]): string {
  const timerlat = (runScenario(record)?.benchmarks ?? []).filter((b) => b.kind === 'timerlat' && benches.includes(b.name)).map((b) => b.name);
  const rest = benches.length - timerlat.length;
  return [
    rest ? `Wake-up latency of all threads and counted repetitions merged${timerlat.length ? ` (${benches.filter((b) => !timerlat.includes(b)).join(', ')})` : ''}.` : '',
    timerlat.length ? `${timerlat.join(', ')} (rtla timerlat): the latency at the timerlat thread, all CPUs and counted repetitions merged; the IRQ latency is in the benchmark's section.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * compare.html's verdict matrices: one row per compared group, one column per metric, each cell
 * the candidate's figure with its ratio to the baseline's, the interval and the verdict. Groups
 * with the same metrics share a table (latency percentiles in one, syscall costs in another).
 */
export function verdictMatrices(list: readonly Comparison[]): Table[] {
  const rows = list.flatMap((c) => c.rows);
  const keys = [...new Set(rows.map((r) => r.key))];
  const byMetrics = new Map<string, { metrics: string[]; keys: string[] }>();
  for (const k of keys) {
    const metrics = [...new Set(rows.filter((r) => r.key === k).map((r) => r.metric))];
    const id = metrics.join('\u0000');
    const e = byMetrics.get(id) ?? { metrics, keys: [] };
    e.keys.push(k);
    byMetrics.set(id, e);
  }
  return [...byMetrics.values()].map(({ metrics, keys: ks }, i) => ({
    id: `verdict-matrix-${i + 1}`,
    title: metrics.every((m) => m.startsWith('syscall.')) ? 'System calls (ns per operation)' : 'Wake-up latency',
    columns: [col('group', 'group'), ...metrics.map((m) => col(m, m.replace(/^syscall\./, ''), { align: 'right' as const }))],
    rows: ks.map((k) => [
      text(k),
      ...metrics.map((m) => {
        const r = rows.find((x) => x.key === k && x.metric === m);
        return r ? versus(r.candidate, m.startsWith('syscall.') ? 'ns-unit' : 'us-unit', r.baseline, r) : missing();
      }),
    ]),
  }));
}

/** What a verdict matrix's cells say. */
export const MATRIX_NOTE = "Each cell: the candidate's figure, ×ratio to the baseline's [95% interval] and the verdict (n.s.: not significant, the interval does not clear the noise threshold).";

/** A headline cell for a terminal: the figure, then its ratio and verdict ("3.71 µs ×1.05 same"); the interval is the reports'. */
function compactCell(c: Cell): string {
  if (c.kind === 'versus') {
    const v = `${c.atLeast ? AT_LEAST : ''}${formatFigure(c.value, c.style)}`;
    return `${v}${c.ratio === null ? '' : ` ${times(c.ratio)}`}${c.verdict ? ` ${VERDICT_WORD[c.verdict]}` : ''}`;
  }
  if (c.kind === 'text' && c.flag) return `${c.text} [${c.flag}]`;
  return cellText(c);
}

/**
 * The headline table for a terminal (the end of `unilat run`): one column per deployment and a
 * row per figure where that fits `maxWidth` better (a few deployments, as usual), else a row
 * per deployment; then what the ratios mean and the qualifiers (TCG, not PREEMPT_RT). Null
 * without a completed result.
 */
export function compactHeadline(record: RunRecord, maxWidth = 100): string[] | null {
  const t = headlineTable(record);
  if (!t) return null;
  const cells = t.rows.map((r) => r.map(compactCell));
  const rowWise = plainTable(
    t.columns.map((c) => c.title),
    cells,
    t.columns.map((c) => (c.align === 'right' ? 'right' : 'left')),
  );
  const byFigure = plainTable(
    ['', ...cells.map((r) => r[0])],
    t.columns.slice(1).map((c, i) => [c.title, ...cells.map((r) => r[i + 1])]),
    ['left', ...cells.map(() => 'right' as const)],
  );
  const fits = (l: string[]) => tableWidth(l) <= maxWidth;
  const table = fits(rowWise) && !fits(byFigure) ? rowWise : fits(byFigure) || tableWidth(byFigure) < tableWidth(rowWise) ? byFigure : rowWise;
  const first = t.rows.length > 1 ? cellText(t.rows[0][0]) : null;
  return [
    ...table,
    ...(first ? [`Ratios (×) against ${first}, with the verdict where the run compared them; the intervals are in the report.`] : []),
    ...(t.footnotes ?? []),
  ];
}
