/**
 * Every table of report.md, report.html and summary.tex, built once from the run record as a
 * Table (table.ts). A section two formats share is one builder; where a format words a
 * heading differently or leaves a column out, the column says so (its md/html/tex view), so
 * the reporters only render.
 */
import type { Comparison } from '../stats/compare.js';
import { mergeHistograms } from '../results/histogram.js';
import { latencySummary } from '../stats/summary.js';
import {
  isLatencyResult,
  isOpsResult,
  runScenario,
  type CompletedLatencyResult,
  type CompletedOpsResult,
  type FailedResult,
  type MarkedSummary,
  type OpStat,
  type PercentileKey,
  type Result,
  type RunRecord,
} from '../results/types.js';
import {
  BOOT_NOTE,
  BOOT_PHASES,
  benchmarkNames,
  bootBreakdown,
  bootResults,
  countedResults,
  latencyGroups,
  opNames,
  opsGroups,
  syscallTax,
  type SpreadFigure,
} from './data.js';
import { formatNs } from '../scenario/units.js';
import { pValue, ratioInterval, sig3, us } from './format.js';
import { AT_LEAST, figure, footnoted, missing, ratio, status, text, value, type Cell, type Column, type NumberStyle, type Status, type Table } from './table.js';

/** A result's repetition as the tables name it. */
export function repLabel(r: Result): string {
  return r.repetition === 0 ? 'warm-up' : String(r.repetition);
}

const RIGHT = { align: 'right' } as const;

function col(id: string, title: string, more: Omit<Column, 'id' | 'title'> = {}): Column {
  return { id, title, ...more };
}

/** deployment, benchmark, host (and rep) columns with their cells. */
const WHERE = [col('deployment', 'deployment'), col('benchmark', 'benchmark'), col('host', 'host')];
function where(r: Result): Cell[] {
  return [text(r.deployment), text(r.benchmark), text(r.host)];
}

// ---- warnings and failures ----

/**
 * Every warning of the run, each once per place it came from: the run, or a result
 * (host/deployment/benchmark with its repetition).
 */
export function warningsTable(record: RunRecord): Table {
  const seen = new Set<string>();
  const rows: Cell[][] = [];
  const add = (code: string, source: string, rep: string | null, message: string) => {
    const k = JSON.stringify([code, source, rep, message]);
    if (seen.has(k)) return;
    seen.add(k);
    rows.push([text(code), text(source), rep === null ? missing() : text(rep), text(message)]);
  };
  for (const w of record.warnings) add(w.code, 'run', null, w.message);
  for (const r of record.results) for (const w of r.warnings) add(w.code, `${r.host}/${r.deployment}/${r.benchmark}`, repLabel(r), w.message);
  return { id: 'warnings', title: 'Warnings', columns: [col('code', 'code'), col('source', 'where'), col('rep', 'rep'), col('message', 'message')], rows };
}

/** Errors that ended a host's work (no step), then the steps that failed or were aborted. */
export function failuresTable(record: RunRecord): Table {
  const rows: Cell[][] = Object.entries(record.hostErrors).map(([h, e]) => [text(h), missing(), missing(), missing(), text(e)]);
  for (const r of record.results.filter((x): x is FailedResult => x.status !== 'completed'))
    rows.push([text(r.host), text(`${r.deployment}/${r.benchmark}`), text(repLabel(r)), text(r.status), text(r.error)]);
  return {
    id: 'failures',
    title: 'Failed steps',
    columns: [col('host', 'host'), col('step', 'step'), col('rep', 'rep'), col('status', 'status'), col('error', 'error')],
    rows,
  };
}

// ---- gates and comparisons ----

/** The scenario's gates: what each was checked on and its outcome. */
export function gatesTable(record: RunRecord): Table | null {
  const gates = record.gates ?? [];
  if (!gates.length) return null;
  return {
    id: 'gates',
    title: 'Gates',
    columns: [col('gate', 'gate'), col('key', 'checked on'), col('result', 'result', { status: true }), col('detail', 'detail')],
    rows: gates.map((g) => [text(g.gate), text(g.key), g.skipped ? status('warn', 'skip') : g.pass ? status('pass', 'pass') : status('fail', 'FAIL', 'alert'), text(g.detail)]),
    rowStatus: gates.map((g) => (g.skipped ? 'warn' : g.pass ? 'pass' : 'fail')),
  };
}

const VERDICT_KEYS = ['status', 'verdict', 'pass', 'passed', 'ok'];

/** Pass/fail of a verdict row, from whichever field carries it. */
function verdictOf(row: Record<string, unknown>): Status | null {
  for (const k of VERDICT_KEYS) {
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

function anyCell(v: unknown): Cell {
  if (v === null || v === undefined) return missing();
  if (typeof v === 'number') return figure(v, 'sig5');
  if (typeof v === 'boolean') return text(v ? 'yes' : 'no');
  if (typeof v === 'object') return text(JSON.stringify(v), { code: true });
  return text(String(v));
}

/**
 * Rows of plain fields shown as given (gates or comparisons from elsewhere): one column per
 * field, figures aligned, and a `status`/`verdict`/`pass`/`ok` field gives each row its outcome.
 */
export function verdictTable(id: string, title: string, rows: ReadonlyArray<Record<string, unknown>>): Table {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const statusKey = keys.find((k) => VERDICT_KEYS.includes(k));
  return {
    id,
    title,
    columns: keys.map((k) => col(k, k, { status: k === statusKey, ...(rows.every((r) => typeof r[k] === 'number' || r[k] == null) ? RIGHT : {}) })),
    rows: rows.map((r) => keys.map((k) => anyCell(r[k]))),
    rowStatus: rows.map(verdictOf),
  };
}

const VERDICT_STATUS: Record<string, Status> = { better: 'pass', worse: 'fail', 'no significant change': 'pass' };

/**
 * Every row of comparisons: the two figures with units, the ratio and its interval, the
 * rank-sum p (of the whole distributions: one per group, so shown on the group's first latency
 * row only), P(c>b), the verdict, and what decided it as a footnote (a note in a column of its
 * own would be a tower of prose). `id` names the table (and its footnotes' anchors).
 */
export function comparisonTable(list: readonly Comparison[], id = 'comparisons'): Table {
  const rows = list.flatMap((c) => c.rows);
  const { cells: notes, footnotes } = footnoted(rows.map((r) => r.note));
  const unit = (m: string) => (m.startsWith('syscall.') ? 'ns-unit' : 'us-unit');
  const pShown = new Set<string>();
  return {
    id,
    title: 'Comparisons',
    columns: [
      col('group', 'group'),
      col('metric', 'metric'),
      col('baseline', 'baseline', RIGHT),
      col('candidate', 'candidate', RIGHT),
      col('ratio', 'ratio', RIGHT),
      col('interval', '95% interval', RIGHT),
      col('p', 'p (rank-sum)', RIGHT),
      col('effect', 'P(c>b)', RIGHT),
      col('verdict', 'verdict', { status: true }),
      col('note', 'note', { footnote: true }),
    ],
    rows: rows.map((r, i) => {
      // One p per group's distributions: repeating it on every percentile row says nothing new.
      const latency = !r.metric.startsWith('syscall.');
      const pKey = `${r.key}\u0000${r.p}`;
      const showP = !latency || !pShown.has(pKey);
      if (latency) pShown.add(pKey);
      return [
        text(r.key),
        text(r.metric),
        figure(r.baseline, unit(r.metric)),
        figure(r.candidate, unit(r.metric)),
        figure(r.ratio, 'ratio-x'),
        r.ratioLow === null || r.ratioHigh === null ? missing() : text(ratioInterval(r.ratioLow, r.ratioHigh)),
        showP ? text(pValue(r.p)) : text('as above'),
        r.effect === null ? missing() : text(sig3(r.effect)),
        r.verdict === 'worse' ? status('fail', r.gated ? 'worse (gated)' : 'worse', r.gated ? 'alert' : undefined) : status(VERDICT_STATUS[r.verdict] ?? 'warn', r.verdict),
        notes[i],
      ];
    }),
    rowStatus: rows.map((r) => (r.verdict === 'worse' ? 'fail' : r.verdict === 'better' ? 'pass' : null)),
    notes: ['p: the rank-sum test of the two whole distributions, one per group, so shown on its first row; P(c>b): the chance a candidate sample exceeds a baseline one (0.5: no tendency).'],
    footnotes,
  };
}

/** Record-like rows of an unknown value: an array of plain objects, or null. */
export function asRows(v: unknown): Array<Record<string, unknown>> | null {
  return Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x)) ? (v as Array<Record<string, unknown>>) : null;
}

// ---- measurements ----

/** A figure of a latency summary: a percentile that is only a lower bound is marked so. */
function latencyCell(s: MarkedSummary, k: 'min' | 'mean' | 'stddev' | 'max' | PercentileKey, style: NumberStyle): Cell {
  return figure(s[k], style, (s.lowerBounds ?? []).some((b) => b === k));
}

/**
 * What the latency tables' marks mean, where a result needs them: '–' for percentiles a tool
 * kept no histogram for, '≥' for those among its overflows.
 */
function latencyMarks(results: readonly CompletedLatencyResult[]): string[] {
  const notes: string[] = [];
  const noHistogram = results.filter((r) => r.latency.count > 0 && !Number.isFinite(r.latency.p50));
  if (noHistogram.length)
    notes.push(`– for percentiles: not known, the tool kept no histogram (${[...new Set(noHistogram.map((r) => `${r.deployment}/${r.benchmark}`))].join(', ')}); count, min, mean and max are exact.`);
  const bounded = results.filter((r) => r.latency.lowerBounds?.length || r.latency.threads.some((t) => t.summary.lowerBounds?.length));
  if (bounded.length)
    notes.push(`${AT_LEAST.trim()} before a percentile: only a lower bound, it falls among samples beyond the tool's histogram range, counted at the range (${[...new Set(bounded.map((r) => `${r.deployment}/${r.benchmark}`))].join(', ')}).`);
  return notes;
}

/** How many spikes a result had, where that is known: "3 spikes above 100 µs" (the result's threshold, else its benchmark's). */
function spikeText(record: RunRecord, r: CompletedLatencyResult): string | null {
  const l = r.latency;
  const n = l.spikes.length + l.spikesDropped;
  // An import without a threshold (older records, a file without a histogram) cannot say how many there were.
  if (r.context?.import !== undefined && l.spikeThresholdNs === undefined) return null;
  const bench = runScenario(record)?.benchmarks.find((b) => b.name === r.benchmark);
  const threshold = l.spikeThresholdNs ?? (bench && 'spikeThreshold' in bench ? bench.spikeThreshold : undefined);
  return `${n} spike${n === 1 ? '' : 's'} above ${threshold !== undefined ? `${us(threshold)} µs` : 'the threshold'}`;
}


function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** One row per deployment (and host): latency pooled over repetitions, syscall costs, boot time; null with fewer than two. */
export function sideBySideTable(record: RunRecord): Table | null {
  const results = countedResults(record);
  const keys = [...new Set(results.map((r) => `${r.deployment}\u0000${r.host}`))];
  if (keys.length < 2) return null;
  const multiHost = new Set(results.map((r) => r.host)).size > 1;
  const rows = keys.map((k) => {
    const [dep, host] = k.split('\u0000');
    const mine = results.filter((r) => r.deployment === dep && r.host === host);
    const lat = mine.filter(isLatencyResult);
    const h = lat.length ? latencySummary(mergeHistograms(lat.map((r) => r.latency.histogram)), lat.reduce((a, r) => a + (r.latency.overflows ?? 0), 0)) : null;
    const ops = mine.filter(isOpsResult);
    const op = (n: string) => mean(ops.map((r) => r.ops[n]?.nsPerOp).filter((v): v is number => v !== undefined));
    const boots = bootResults(record).filter((r) => r.deployment === dep && r.host === host).flatMap((r) => (typeof r.context?.bootMs === 'number' ? [r.context.bootMs] : []));
    const kind = runScenario(record)?.deployments.find((d) => d.name === dep)?.kind ?? '';
    return [
      text(multiHost ? `${dep} @ ${host}` : dep),
      text(kind),
      figure(h?.count, 'plain'),
      ...(['p50', 'p99', 'p999', 'max'] as const).map((k) => (h ? latencyCell(h, k, 'us2') : missing())),
      figure(op('func'), 'ns1'),
      figure(op('getppid'), 'ns1'),
      ratio(op('getppid') / op('func'), 0),
      figure(boots.length ? mean(boots) : null, 'ms-unit'),
    ];
  });
  const titles = ['deployment', 'kind', 'samples', 'p50', 'p99', 'p99.9', 'max', 'func (ns)', 'getppid (ns)', 'getppid / func', 'boot'];
  return { id: 'side-by-side', title: 'Deployments side by side', columns: titles.map((t) => col(t, t)), rows };
}

/** Each latency result (warm-up too) with its applied policy, in µs; notes: spikes and overflows. */
export function latencyResultsTable(record: RunRecord): Table | null {
  const latency = record.results.filter(isLatencyResult);
  if (!latency.length) return null;
  const figures = ['min', 'p50', 'p90', 'p99', 'p999', 'p9999', 'max', 'mean', 'stddev'] as const;
  const titles = ['min', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean', 'stddev'];
  return {
    id: 'latency-results',
    title: 'Wake-up latency (µs)',
    columns: [...WHERE, col('rep', 'rep'), col('policy', 'policy'), col('samples', 'samples'), ...titles.map((t) => col(t, t))],
    rows: latency.map((r) => {
      const l = r.latency;
      const a = r.applied;
      return [...where(r), text(repLabel(r)), text(a ? `${a.policy}${a.priority ? `/${a.priority}` : ''}` : '?'), figure(l.count, 'plain'), ...figures.map((f) => latencyCell(l, f, 'us2'))];
    }),
    notes: [
      ...latency.flatMap((r) => {
        const l = r.latency;
        // Said where there is something to say: spikes or overflows (and then the spikes, even 0, where known).
        if (!(l.spikes.length + l.spikesDropped) && !l.overflows) return [];
        const parts = [spikeText(record, r), l.overflows ? `${l.overflows} samples beyond the histogram range` : null].filter((x) => x !== null);
        return parts.length ? [`${r.deployment}/${r.benchmark} rep ${repLabel(r)}: ${parts.join(', ')}.`] : [];
      }),
      ...latencyMarks(latency),
    ],
  };
}

/** Each thread of each latency result, in µs. */
export function latencyThreadsTable(record: RunRecord): Table | null {
  const latency = record.results.filter(isLatencyResult);
  if (!latency.length) return null;
  const titles = ['thread', 'cpu', 'interval (µs)', 'samples', 'min', 'p50', 'p99', 'max'];
  return {
    id: 'latency-threads',
    title: 'Per thread',
    columns: [...WHERE, col('rep', 'rep'), ...titles.map((t) => col(t, t))],
    rows: latency.flatMap((r) =>
      r.latency.threads.map((t) => [
        ...where(r),
        text(repLabel(r)),
        t.context ? text(`${t.thread} (${t.context})`) : figure(t.thread, 'plain'),
        figure(t.cpu, 'plain'),
        figure(t.intervalNs, 'us2'),
        figure(t.summary.count, 'plain'),
        ...(['min', 'p50', 'p99', 'max'] as const).map((f) => latencyCell(t.summary, f, 'us2')),
      ]),
    ),
  };
}

/** One row per ops result, one column per op of the run: `pick` gives the op's figure with its interval. */
function perOpTable(id: string, title: string, record: RunRecord, results: CompletedOpsResult[], pick: (o: OpStat) => { value: number; low: number; high: number } | null | undefined): Table {
  const names = [...new Set(record.results.filter(isOpsResult).flatMap((r) => Object.keys(r.ops)))];
  return {
    id,
    title,
    columns: [...WHERE, col('rep', 'rep'), ...names.map((n) => col(`op:${n}`, n))],
    rows: results.map((r) => [
      ...where(r),
      text(repLabel(r)),
      ...names.map((n): Cell => {
        const f = r.ops[n] && pick(r.ops[n]);
        return f ? { kind: 'estimate', ...f, style: 'ns1' } : missing();
      }),
    ]),
  };
}

/** Each ops result: ns per operation with its 95% interval, per op; notes: what has no TSC cycles, and why. */
export function opsResultsTable(record: RunRecord): Table | null {
  const ops = record.results.filter(isOpsResult);
  if (!ops.length) return null;
  return {
    ...perOpTable('ops-results', 'System call vs function call (ns per operation, median of batches, 95% interval)', record, ops, (o) => ({ value: o.nsPerOp, low: o.ciLow, high: o.ciHigh })),
    notes: [...new Set(ops.flatMap((r) => Object.values(r.ops).filter((o) => o.cycles === null).map((o) => `${r.deployment}/${r.benchmark}: ${o.cyclesReason ?? 'not measured'}`)))],
  };
}

/** TSC cycles per operation of the ops results that have any; null where none has. */
export function opsCyclesTable(record: RunRecord): Table | null {
  const withCycles = record.results.filter(isOpsResult).filter((r) => Object.values(r.ops).some((o) => o.cycles));
  if (!withCycles.length) return null;
  return perOpTable('ops-cycles', 'TSC cycles per operation', record, withCycles, (o) => o.cycles && { value: o.cycles.perOp, low: o.cycles.ciLow, high: o.cycles.ciHigh });
}

/** Each ops result's syscalls relative to a function call; null where no result has a ratio. */
export function opsRatioTable(record: RunRecord): Table | null {
  const ops = record.results.filter(isOpsResult);
  const names = [...new Set(ops.flatMap((r) => Object.keys(r.ratios)))];
  if (!names.length) return null;
  return {
    id: 'ops-ratios',
    title: 'Cost relative to a plain function call',
    columns: [col('deployment', 'deployment'), col('host', 'host'), col('rep', 'rep'), ...names.map((n) => col(`ratio:${n}`, `${n} / func`))],
    rows: ops.map((r) => [text(r.deployment), text(r.host), text(repLabel(r)), ...names.map((n) => ratio(r.ratios[n], 1))]),
  };
}

/**
 * Wake-up latency per deployment x benchmark x host: counted repetitions and threads merged,
 * in µs (report.html's summary, summary.tex). A new benchmark starts a group.
 */
export function latencySummaryTable(record: RunRecord): Table {
  const rows: Cell[][] = [];
  const groups: number[] = [];
  for (const b of benchmarkNames(record)) {
    const list = latencyGroups(record, b);
    if (list.length && rows.length) groups.push(rows.length);
    for (const g of list) {
      const s = g.summary;
      rows.push([text(g.deployment), text(b), text(g.host), figure(g.results.length, 'plain'), figure(s.count, 'count'), ...(['min', 'p50', 'p99', 'p999', 'max'] as const).map((k) => latencyCell(s, k, 'us'))]);
    }
  }
  const pct = (id: string, tex: string) => col(id, id, { ...RIGHT, tex: { title: tex } });
  return {
    id: 'latency',
    title: 'Wake-up latency (µs)',
    columns: [
      col('deployment', 'deployment', { tex: { title: 'Deployment' } }),
      col('benchmark', 'benchmark', { tex: { title: 'Benchmark' } }),
      col('host', 'host', { tex: { title: 'Host' } }),
      col('reps', 'reps', { ...RIGHT, tex: { hidden: true } }),
      col('samples', 'samples', { ...RIGHT, tex: { title: 'Count' } }),
      pct('min', 'Min'),
      pct('p50', 'P50'),
      pct('p99', 'P99'),
      pct('p99.9', 'P99.9'),
      pct('max', 'Max'),
    ],
    rows,
    groups,
    notes: latencyMarks(record.results.filter(isLatencyResult)),
  };
}

/**
 * ns per operation with its 95% interval and the ratio to a function call, one row per op of
 * each counted result (report.html's summary, summary.tex). Each result starts a group; LaTeX,
 * having no repetition column, names the repetition next to the deployment where there are several.
 */
export function opsSummaryTable(record: RunRecord): Table {
  const rows: Cell[][] = [];
  const groups: number[] = [];
  for (const b of benchmarkNames(record)) {
    const list = opsGroups(record, b);
    const names = opNames(list);
    const multiRep = list.some((g) => g.results.length > 1);
    for (const g of list)
      for (const r of g.results) {
        if (rows.length) groups.push(rows.length);
        for (const n of names) {
          const o = r.ops[n];
          if (!o) continue;
          rows.push([
            text(g.deployment),
            text(multiRep ? `${g.deployment} (rep ${r.repetition})` : g.deployment),
            text(b),
            text(g.host),
            text(repLabel(r)),
            text(n),
            figure(o.nsPerOp, 'nsop'),
            { kind: 'range', low: o.ciLow, high: o.ciHigh, style: 'nsop' },
            ratio(r.ratios[n], 1),
          ]);
        }
      }
  }
  return {
    id: 'syscall',
    title: 'System call vs function call (ns per operation)',
    columns: [
      col('deployment', 'deployment', { tex: { hidden: true } }),
      col('deployment-rep', 'deployment', { html: { hidden: true }, md: { hidden: true }, tex: { title: 'Deployment' } }),
      col('benchmark', 'benchmark', { tex: { title: 'Benchmark' } }),
      col('host', 'host', { tex: { title: 'Host' } }),
      col('rep', 'rep', { ...RIGHT, tex: { hidden: true } }),
      col('operation', 'operation', { tex: { title: 'Operation', code: true } }),
      col('ns/op', 'ns/op', RIGHT),
      col('interval', '95% interval', { ...RIGHT, tex: { title: '95\\,\\% interval', align: 'center' } }),
      col('ratio', '÷ func', { ...RIGHT, tex: { title: 'Ratio' } }),
    ],
    rows,
    groups,
  };
}

function spread(f: SpreadFigure | null | undefined): Cell {
  return f ? { kind: 'estimate', value: f.median, low: f.q1, high: f.q3, style: 'nsop' } : missing();
}

/**
 * The syscall tax (getppid vs func) per deployment, one table per mitigations= state (its
 * title); notes: results without TSC cycles, and quartiles that are unknown.
 */
export function taxTables(record: RunRecord): Table[] {
  const tables = syscallTax(record);
  const multiBench = new Set(tables.flatMap((t) => t.rows.map((r) => r.benchmark))).size > 1;
  return tables.map((t) => {
    const cyc = t.rows.some((r) => r.getppid?.cycles || r.func?.cycles);
    const notes: string[] = [];
    const noCycles = [...new Set(t.rows.flatMap((r) => [r.getppid, r.func].filter((o) => o && !o.cycles).map((o) => `${r.name}: ${o!.cyclesReason}`)))];
    if (noCycles.length) notes.push(`No TSC cycles for ${noCycles.join('; ')}.`);
    if (t.rows.some((r) => [r.getppid, r.func].some((o) => o && (o.ns.q1 === null || (o.cycles && o.cycles.q1 === null)))))
      notes.push('[?, ?]: the result kept no per-batch figures, so its quartiles are unknown.');
    return {
      id: 'syscall-tax',
      title: t.state,
      columns: [
        col('deployment', 'deployment'),
        ...(multiBench ? [col('benchmark', 'benchmark', { html: { hidden: true } })] : []),
        col('kind', 'kind'),
        col('getppid', 'getppid ns [Q1, Q3]', RIGHT),
        col('func', 'func ns [Q1, Q3]', RIGHT),
        col('ratio', 'getppid / func', { ...RIGHT, html: { title: '÷ func' } }),
        ...(cyc
          ? [
              col('getppid-cycles', 'getppid TSC cycles [Q1, Q3]', { ...RIGHT, html: { title: 'getppid cycles [Q1, Q3]' } }),
              col('func-cycles', 'func TSC cycles [Q1, Q3]', { ...RIGHT, html: { title: 'func cycles [Q1, Q3]' } }),
            ]
          : []),
        col('batches', 'batches', { html: { hidden: true } }),
        col('vulnerabilities', 'vulnerabilities'),
      ],
      rows: t.rows.map((r) => [
        text(r.name),
        ...(multiBench ? [text(r.benchmark)] : []),
        r.kind ? text(r.kind) : missing(),
        spread(r.getppid?.ns),
        spread(r.func?.ns),
        ratio(r.ratio, 0),
        ...(cyc ? [spread(r.getppid?.cycles), spread(r.func?.cycles)] : []),
        text(`${r.getppid?.batches ?? '–'} / ${r.func?.batches ?? '–'}`),
        text(r.vulnerabilities),
      ]),
      notes,
    };
  });
}

// ---- guests ----

interface VcpuPin {
  vcpu: number;
  hostCpu: number | null;
  threadId: number;
  policy?: string;
  priority?: number;
}

function vcpuCell(v: unknown): Cell {
  if (!Array.isArray(v)) return missing();
  return text(
    v.map((x: VcpuPin) => `vCPU${x.vcpu}→CPU${x.hostCpu ?? 'any'} (tid ${x.threadId}${x.policy ? `, ${x.policy}${x.priority ? `/${x.priority}` : ''}` : ''})`).join(', '),
  );
}

/** Guests: how each booted, on which kernel, and where its vCPUs ran. */
export function guestsTable(record: RunRecord): Table | null {
  const guests = record.results.filter((r) => r.context && typeof r.context.bootMs === 'number');
  if (!guests.length) return null;
  const titles = ['accel', 'guest kernel', 'PREEMPT_RT', 'boot (ms)', 'guest uptime at probe start (s)', 'vCPU = pCPU mapping', 'console log'];
  return {
    id: 'guests',
    title: 'Guests',
    columns: [col('deployment', 'deployment'), col('benchmark', 'benchmark'), col('rep', 'rep'), ...titles.map((t) => col(t, t))],
    rows: guests.map((r) => {
      const c = r.context!;
      return [
        text(r.deployment),
        text(r.benchmark),
        text(repLabel(r)),
        value(c.accel, '?'),
        value(c.guestKernel, '?'),
        text(c.guestRealtime === 1 || c.guestRealtime === '1' ? 'yes' : 'no'),
        value(c.bootMs),
        value(c.guestUptimeAtProbeS),
        vcpuCell(c.vcpus),
        c.consoleLog === null || c.consoleLog === undefined ? missing() : text(String(c.consoleLog).split('/').pop()!),
      ];
    }),
  };
}

/** Guests: where boot time went, per deployment (medians over its boots); the note says what each phase is. */
export function bootTable(record: RunRecord): Table | null {
  const rows = bootBreakdown(record);
  if (!rows.length) return null;
  return {
    id: 'boot',
    title: 'Boot time, broken down',
    columns: [col('deployment', 'deployment'), col('boots', 'boots', RIGHT), ...BOOT_PHASES.map(([k, h]) => col(k, h, RIGHT)), col('mode', 'boots and benchmarks')],
    rows: rows.map((r) => [text(r.deployment), figure(r.boots, 'plain'), ...BOOT_PHASES.map(([k]) => figure(r.phases[k], 'plain')), text(r.mode)]),
    notes: [BOOT_NOTE],
  };
}

// ---- hosts ----

function factOf(facts: unknown, path: string[]): unknown {
  let v: unknown = facts;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** Each host's kernel (PREEMPT_RT or not), CPU and kernel command line, from its facts; null without facts. */
export function hostFactsTable(record: RunRecord): Table | null {
  const hosts = Object.keys(record.facts);
  if (!hosts.length) return null;
  return {
    id: 'kernels',
    title: 'Kernels and command lines',
    columns: [col('host', 'host'), col('kernel', 'kernel'), col('rt', 'PREEMPT_RT'), col('cpu', 'CPU', { html: { hidden: true } }), col('cmdline', 'command line', { html: { code: true } })],
    rows: hosts.map((h) => {
      const f = record.facts[h];
      const rt = factOf(f, ['kernel', 'preemptRt']);
      const model = factOf(f, ['cpu', 'model']);
      const online = factOf(f, ['cpu', 'onlineCount']);
      return [
        text(h),
        value(factOf(f, ['kernel', 'release']), '?'),
        rt === undefined ? missing('?') : rt ? status('pass', 'yes') : status('fail', 'no', 'strong'),
        model ? text(`${model}${online ? `, ${online} online` : ''}`) : missing(),
        value(factOf(f, ['cmdline', 'raw']), '?'),
      ];
    }),
  };
}

const MARK: Record<string, string> = { pass: '✓ pass', warn: '! warn', fail: '✗ FAIL' };

/** A host's real-time readiness checklist; null where none was made. */
export function readinessTable(record: RunRecord, host: string): Table | null {
  const checks = record.readiness[host];
  if (!checks) return null;
  return {
    id: `readiness-${host}`,
    title: 'Readiness checklist',
    columns: [col('check', 'check'), col('status', 'status', { status: true }), col('detail', 'detail', { html: { title: 'found' } }), col('fix', 'fix', { html: { code: true } })],
    rows: checks.map((c) => [text(c.title), status(c.status, MARK[c.status] ?? c.status), text(c.detail), text(c.status === 'pass' ? '' : (c.fix ?? ''))]),
    rowStatus: checks.map((c) => c.status),
  };
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

/** All facts of a host, one row per dotted key; null where the host has none. */
export function factsTable(record: RunRecord, host: string): Table | null {
  if (!(host in record.facts)) return null;
  return {
    id: `facts-${host}`,
    title: 'All facts',
    columns: [col('fact', 'fact'), col('value', 'value')],
    rows: flattenFacts(record.facts[host]).map(([k, v]) => [text(k), text(v)]),
  };
}

// ---- configuration ----

/**
 * The command-line options the run was started with that change what ran (`--duration`,
 * `--only`) or how (`--parallel`, `--wait-lock`), as one line; null for records without them
 * (imports, older runs). The resolved scenario the record stores has the duration applied.
 */
export function overridesText(record: RunRecord): string | null {
  const o = record.overrides;
  if (!o) return null;
  const parts = [
    o.durationNs !== undefined ? `--duration ${formatNs(o.durationNs)} (applied to the scenario below)` : null,
    o.only?.length ? `--only ${o.only.join(',')}` : null,
    o.parallel !== undefined ? `--parallel ${o.parallel}` : null,
    o.waitLockMs !== undefined ? `--wait-lock ${o.waitLockMs ? formatNs(o.waitLockMs * 1e6) : '0 (a locked host fails at once)'}` : null,
  ].filter((p) => p !== null);
  return parts.length ? parts.join(', ') : null;
}

/** What the probe actually ran with (not only what was asked), per completed result; null where none says. */
export function appliedTable(record: RunRecord): Table | null {
  const applied = record.results.filter((r) => isLatencyResult(r) || isOpsResult(r)).filter((r) => r.applied);
  if (!applied.length) return null;
  return {
    id: 'applied',
    title: 'What the probe ran with',
    columns: [
      ...WHERE,
      col('rep', 'rep', RIGHT),
      col('policy', 'policy'),
      col('priority', 'priority', { ...RIGHT, html: { title: 'prio' } }),
      col('threads', 'threads', RIGHT),
      col('affinity', 'affinity'),
      col('mlockall', 'mlockall'),
      col('dma', 'cpu_dma_latency'),
      col('clock', 'clock res (ns)', RIGHT),
      col('loop', 'loop overhead (ns)', RIGHT),
      col('kernel', 'kernel'),
    ],
    rows: applied.map((r) => {
      const a = (r as Exclude<Result, FailedResult>).applied!;
      return [
        ...where(r),
        text(repLabel(r)),
        value(a.policy),
        value(a.priority),
        value(a.threads),
        text(a.affinity?.length ? a.affinity.join(',') : 'any'),
        text(a.mlockall ? 'yes' : 'no'),
        text(a.dmaLatency ? 'held at 0' : 'no'),
        value(a.clockResolutionNs),
        value(a.loopOverheadNs),
        value(a.kernel),
      ];
    }),
  };
}

/** Host tuning the run applied, and whether each knob was restored. */
export function tuningTable(record: RunRecord): Table {
  return {
    id: 'tuning',
    title: 'Tuning applied',
    columns: [col('host', 'host'), col('knob', 'knob'), col('path', 'path', { html: { code: true } }), col('before', 'before'), col('during', 'during'), col('restored', 'restored')],
    rows: record.tuning.map((t) => [text(t.host), text(t.knob), text(t.path), text(t.before), text(t.after), t.restored ? status('pass', 'yes') : status('fail', 'NO', 'alert')]),
  };
}

/** The background load that ran with each result. */
export function loadsTable(record: RunRecord): Table {
  const loads = record.results.filter((r) => r.context && typeof r.context.load === 'object' && r.context.load);
  return {
    id: 'loads',
    title: 'Background load',
    columns: [...WHERE, col('rep', 'rep'), col('load', 'load', { html: { code: true } })],
    rows: loads.map((r) => {
      const l = r.context!.load!;
      const cmd = Array.isArray(l.commandLine) ? l.commandLine.join(' ') : l.tool;
      return [...where(r), text(repLabel(r)), text(cmd, l.diedEarly ? { flag: 'died early' } : {})];
    }),
  };
}
