/**
 * `rtla timerlat hist` output (stdout, as 6.1 to current rtla print it), read into latency
 * figures: a header ("# Time unit is microseconds (us)" or nanoseconds with -n, "# Duration:
 * D HH:MM:SS"), an "Index" line naming the columns (IRQ-NNN, Thr-NNN and, with -u, Usr-NNN:
 * one per CPU and context), a row per non-empty bucket (its lower edge, then a count per
 * column), then per column "over:" (samples past the last bucket), "count:", "min:", "avg:" and
 * "max:" ("-" where a column has no samples; avg truncated). Newer rtla adds an "ALL:" block of
 * totals after it, which is read only to be checked. Other lines (rtla's notes, its
 * auto-analysis) are skipped. Bad input is "FILE:LINE: what is wrong" (InputError).
 */
import { Histogram } from '../../results/histogram.js';
import type { LatencyFigures, LatencyResult, ThreadFigures, Warning } from '../../results/types.js';
import { summarizeLatency } from '../../stats/summary.js';
import { figure } from '../cyclictest/checks.js';
import { fail, importMeta, type ParsedFile } from '../cyclictest/common.js';

export type TimerlatContext = 'irq' | 'thread' | 'user';

const CONTEXT_OF: Record<string, TimerlatContext> = { IRQ: 'irq', Thr: 'thread', Usr: 'user' };

/** One column of the histogram: a CPU's latency in one context, in the file's unit. */
export interface TimerlatColumn {
  cpu: number;
  context: TimerlatContext;
  /** Non-empty buckets: [lower edge, count]. */
  bins: Array<[number, number]>;
  /** Samples past the histogram's last bucket. */
  over: number;
  count: number;
  /** null where the column has no samples ("-"). */
  min: number | null;
  /** Truncated to the unit by rtla. */
  avg: number | null;
  max: number | null;
}

export interface TimerlatHist {
  unit: 'us' | 'ns';
  /** The header's duration; null when the header is missing. */
  durationS: number | null;
  columns: TimerlatColumn[];
  /** Line of the Index header (for messages). */
  indexLine: number;
}

const SUMMARY_ROWS = ['over', 'count', 'min', 'avg', 'max'] as const;
type SummaryRow = (typeof SUMMARY_ROWS)[number];

/** Parses the text rtla printed; `file` names it in messages. */
export function parseTimerlatHist(text: string, file: string): TimerlatHist {
  const lines = text.replace(/\r/g, '').split('\n');
  let unit: 'us' | 'ns' | null = null;
  let durationS: number | null = null;
  let indexLine = 0;
  let columns: TimerlatColumn[] = [];
  const summary = new Map<SummaryRow, { line: number; cells: string[] }>();
  let inAll = false;
  let lastIndex = -1;
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (!line) return;
    const u = /^# Time unit is (microseconds|nanoseconds)\b/.exec(line);
    if (u) unit = u[1] === 'nanoseconds' ? 'ns' : 'us';
    const d = /^# Duration:\s*(\d+)\s+(\d+):(\d+):(\d+)\s*$/.exec(line);
    if (d) durationS = Number(d[1]) * 86400 + Number(d[2]) * 3600 + Number(d[3]) * 60 + Number(d[4]);
    if (line.startsWith('#')) return;
    const words = line.split(/\s+/);
    if (words[0] === 'Index') {
      if (indexLine) fail(file, n, 'a second "Index" line: one rtla timerlat hist output a file');
      indexLine = n;
      columns = words.slice(1).map((w, k) => {
        const m = /^(IRQ|Thr|Usr)-(\d+)$/.exec(w);
        if (!m) fail(file, n, `column ${k + 1}: "${w}" is not IRQ-N, Thr-N or Usr-N`);
        return { cpu: Number(m[2]), context: CONTEXT_OF[m[1]], bins: [], over: 0, count: 0, min: null, avg: null, max: null };
      });
      if (!columns.length) fail(file, n, 'the Index line names no columns');
      return;
    }
    if (!indexLine) return; // before the table: rtla's notes
    if (words[0] === 'ALL:') {
      inAll = true;
      return;
    }
    const label = /^(over|count|min|avg|max):$/.exec(words[0]);
    if (label) {
      if (inAll) return; // totals of the columns above; the columns are what is kept
      const row = label[1] as SummaryRow;
      if (summary.has(row)) fail(file, n, `a second "${row}:" line`);
      summary.set(row, { line: n, cells: words.slice(1) });
      return;
    }
    if (!/^\d+$/.test(words[0]) || summary.size) return; // after the table: auto-analysis and the like
    const at = Number(words[0]);
    if (at <= lastIndex) fail(file, n, `bucket ${at} after bucket ${lastIndex}: buckets must ascend`);
    lastIndex = at;
    if (words.length - 1 !== columns.length) fail(file, n, `${words.length - 1} counts for ${columns.length} columns (line ${indexLine})`);
    words.slice(1).forEach((w, k) => {
      const c = figure(file, () => ({ line: n, field: `bucket ${at} ${columnName(columns[k])}` }), Number(w), 'count', 1, w);
      if (c > 0) columns[k].bins.push([at, c]);
    });
  });
  if (!indexLine) fail(file, lines.length ? 1 : null, 'not rtla timerlat hist output (no "Index IRQ-000 Thr-000 ..." line)');
  if (!unit) fail(file, 1, 'no "# Time unit is ..." header: rtla timerlat hist output without its header (--no-header) cannot be read');
  const u: 'us' | 'ns' = unit;
  for (const row of SUMMARY_ROWS) {
    const s = summary.get(row);
    if (!s) fail(file, null, `no "${row}:" line after the histogram (--no-summary output cannot be read)`);
    if (s.cells.length !== columns.length) fail(file, s.line, `${row}: ${s.cells.length} values for ${columns.length} columns`);
    s.cells.forEach((w, k) => {
      const col = columns[k];
      const where = () => ({ line: s.line, field: `${row} ${columnName(col)}` });
      if (row === 'over' || row === 'count') {
        col[row] = figure(file, where, Number(w), 'count', 1, w);
        return;
      }
      col[row] = w === '-' ? null : figure(file, where, Number(w), 'latency', u === 'ns' ? 1 : 1000, w);
    });
  }
  for (const col of columns) checkColumn(file, col, summary, u);
  return { unit: u, durationS, columns, indexLine };
}

export function columnName(c: Pick<TimerlatColumn, 'cpu' | 'context'>): string {
  return `${c.context === 'irq' ? 'IRQ' : c.context === 'thread' ? 'Thr' : 'Usr'}-${String(c.cpu).padStart(3, '0')}`;
}

/** A column's figures against each other: rtla counts every sample once, in a bucket or in over. */
function checkColumn(file: string, c: TimerlatColumn, summary: Map<SummaryRow, { line: number }>, u: string): void {
  const at = (row: SummaryRow) => summary.get(row)!.line;
  const name = columnName(c);
  const inBins = c.bins.reduce((a, [, n]) => a + n, 0);
  if (inBins + c.over !== c.count) fail(file, at('count'), `count ${name}: ${c.count}, but its buckets hold ${inBins} and over ${c.over}`);
  if (c.count === 0) {
    if (c.min !== null || c.max !== null) fail(file, at('min'), `${name}: no samples, yet a min or max`);
    return;
  }
  if (c.min === null || c.max === null || c.avg === null) fail(file, at('min'), `${name}: ${c.count} samples, but min, avg or max is "-"`);
  if (!(c.min <= c.avg && c.avg <= c.max)) fail(file, at('avg'), `${name}: min ${c.min}, avg ${c.avg}, max ${c.max} ${u} are not in order`);
  const lo = c.bins[0]?.[0];
  const hi = c.bins.at(-1)?.[0];
  // A bucket is the lower edge of its samples: the lowest one is at or below the min, the highest at or below the max.
  if (lo !== undefined && lo > c.min) fail(file, at('min'), `${name}: min ${c.min} ${u}, below its lowest bucket (${lo} ${u})`);
  if (hi !== undefined && hi > c.max) fail(file, at('max'), `${name}: max ${c.max} ${u}, below its highest bucket (${hi} ${u})`);
}

/** What the latency figures are made of besides the parsed text. */
export interface TimerlatFiguresOptions {
  /** The bucket width in the file's unit (rtla -b); null: the largest that divides every bucket's edge. */
  bucket: number | null;
  /** Buckets rtla kept (rtla -E): samples at or past bucket * entries are in `over`; null: not known. */
  entries: number | null;
  /** The timer period (ns), every column's interval; null: not known. */
  periodNs: number | null;
  spikeThresholdNs: number;
}

export interface TimerlatFigures {
  /** Every column: threads numbered in the file's column order, each with its CPU and context. */
  all: LatencyFigures;
  /** The bucket width used (file's unit). */
  bucket: number;
  warnings: Warning[];
}

/**
 * Latency figures of every column. Bins are kept at their bucket's lower edge (resolutionNs is
 * the bucket width); a column's over samples at its exact max (one) and at the range (the rest,
 * a lower bound), as cyclictest's overflows are; min, max and the truncated avg are rtla's.
 */
export function timerlatFigures(h: TimerlatHist, o: TimerlatFiguresOptions): TimerlatFigures {
  const unitNs = h.unit === 'ns' ? 1 : 1000;
  const bucket = o.bucket ?? inferredBucket(h);
  const warnings: Warning[] = [];
  let overflows = 0;
  let spikes = 0;
  let spikesKnown = true;
  const head = headlineContext(h.columns);
  const threads: ThreadFigures[] = h.columns.map((c, k) => {
    const hist = new Histogram();
    for (const [v, n] of c.bins) hist.record(v * unitNs, n);
    const rangeNs = o.entries !== null ? bucket * o.entries * unitNs : null;
    if (c.over > 0 && c.max !== null) {
      hist.record(c.max * unitNs, 1);
      if (c.over > 1) hist.record((rangeNs ?? c.max * unitNs), c.over - 1);
      if (rangeNs === null) spikesKnown = false;
    }
    const data = hist.toData();
    if (c.count > 0 && c.min !== null && c.max !== null && c.avg !== null) {
      data.count = c.count;
      data.min = c.min * unitNs;
      data.max = c.max * unitNs;
      // rtla's avg is truncated to its unit: keep the bins' mean where it agrees, else the nearest that does.
      const m = data.sum / c.count / unitNs;
      data.sum = Math.min(Math.max(m, c.avg), c.avg + 1 - 1e-6) * c.count * unitNs;
    }
    if (c.context === head) {
      overflows += c.over;
      for (const [v, n] of c.bins) if (v * unitNs > o.spikeThresholdNs) spikes += n;
      if (c.over > 0) spikes += rangeNs !== null && rangeNs > o.spikeThresholdNs ? c.over : (c.max ?? 0) * unitNs > o.spikeThresholdNs ? 1 : 0;
    }
    return {
      thread: k,
      cpu: c.cpu,
      intervalNs: o.periodNs ?? NaN,
      histogram: data,
      series: [],
      context: c.context,
      ...(c.over ? { overflows: c.over } : {}),
    };
  });
  if (overflows > 0) {
    const total = h.columns.filter((c) => c.context === head).reduce((a, c) => a + c.count, 0);
    const which = h.columns.filter((c) => c.over > 0 && c.context === head).map((c) => `${columnName(c)}: ${c.over}`).join(', ');
    warnings.push({
      code: 'histogram-overflow',
      message: `${overflows} of ${total} samples were past rtla's histogram${o.entries !== null ? ` of ${bucket * o.entries} ${h.unit}` : ''} (${which}); they are counted at its range (a lower bound) except each column's maximum, which is exact, so the highest percentiles may be lower bounds`,
    });
  }
  if (!spikesKnown)
    warnings.push({ code: 'spike-count-lower-bound', message: "the histogram's range is not known (the file does not say rtla's -E), so samples past it other than each maximum are not counted as spikes: the spike count is a lower bound" });
  return { all: { threads, spikes: [], spikesDropped: spikes, spikeThresholdNs: o.spikeThresholdNs, overflows, resolutionNs: bucket * unitNs }, bucket, warnings };
}

/**
 * The context a result's own summary, comparisons and gates are of: the timerlat thread's
 * wake-up (what cyclictest measures, without its return to user space), else what the file has.
 */
export function headlineContext(columns: Array<Pick<TimerlatColumn, 'context'>>): TimerlatContext {
  return columns.some((c) => c.context === 'thread') ? 'thread' : (columns[0]?.context ?? 'thread');
}

/**
 * The result: its summary and histogram those of the headline context's CPUs (statistics,
 * comparisons and gates read them); its threads every column, each with its CPU and context,
 * each summarized on its own (the per-thread tables and plots show IRQ and thread apart).
 */
export function timerlatResult(f: LatencyFigures): LatencyResult {
  const head = headlineContext(f.threads.map((t) => ({ context: t.context ?? 'thread' })));
  const all = summarizeLatency(f);
  const main = summarizeLatency({ ...f, threads: f.threads.filter((t) => (t.context ?? 'thread') === head) });
  return { ...main, threads: all.threads.map((t, i) => ({ ...t, context: f.threads[i].context })) };
}

/** The largest width that divides every bucket's lower edge (rtla -b; 1 when a file has one bucket at 0). */
function inferredBucket(h: TimerlatHist): number {
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  let g = 0;
  for (const c of h.columns) for (const [v] of c.bins) g = gcd(g, v);
  return g || 1;
}

/**
 * An rtla timerlat hist output file for `unilat import`: the bucket width is inferred from the
 * buckets' edges and the histogram's range is not known (rtla does not print -E), so samples
 * past it count at each column's exact max.
 */
export function parseTimerlatFile(text: string, file: string, spikeThresholdNs: number): ParsedFile {
  const h = parseTimerlatHist(text, file);
  const f = timerlatFigures(h, { bucket: null, entries: null, periodNs: null, spikeThresholdNs });
  const meta = { ...importMeta({ threads: h.columns.length, histogramRange: null, unit: h.unit }), tool: 'rtla' as const };
  return { file, format: 'rtla-timerlat-hist', latency: f.all, warnings: f.warnings, meta };
}
