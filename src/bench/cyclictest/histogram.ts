/** cyclictest's `-h`/`-H` histogram text. */
import type { FigureKind } from '../../results/plausible.js';
import type { Warning } from '../../results/types.js';
import { parsedCyclictest, type CyclictestThread } from './result.js';
import { checkThread, figure, refuse, type Place } from './checks.js';
import { fail, importMeta, type ParsedFile, type ImportOptions } from './common.js';

// ---------------------------------------------------------------------------------------------
// -h / -H histogram text

type FooterKey = 'Total' | 'Min Latencies' | 'Avg Latencies' | 'Max Latencies' | 'Histogram Overflows';
/** A footer line: where it is, and its numbers as written. */
interface FooterLine {
  line: number;
  texts: string[];
}
/** An overflow cycle list line: the cycle numbers listed and the "# N others" count, as written. */
interface OverflowList {
  line: number;
  cycles: string[];
  others: string | null;
}

/** How each footer line's numbers are checked: counts, or latencies (Avg is cyclictest's truncated mean, a whole number). */
const FOOTER_KIND: Record<FooterKey, FigureKind> = {
  Total: 'count',
  'Min Latencies': 'latency',
  'Avg Latencies': 'latency',
  'Max Latencies': 'latency',
  'Histogram Overflows': 'count',
};

/** The footer line that holds each figure checkThread names (cycles are the rows plus the overflows). */
const FIELD_LINE = { cycles: 'Histogram Overflows', min: 'Min Latencies', max: 'Max Latencies', avg: 'Avg Latencies' } as const;

/**
 * Parses cyclictest's `-h`/`-H` histogram output (a stdout capture or a --histfile). Its numbers
 * are checked (checks.ts) and so are its own sums: "# Total" against the rows, -H's all-threads
 * column against the threads' columns, the overflow cycle list against "# Histogram Overflows".
 */
export function parseCyclictestHistogram(text: string, file = '<histogram>', opts: ImportOptions = {}): ParsedFile {
  const unitNs = opts.nsecs ? 1 : 1000;
  const lines = text.split('\n');
  // Rows: line, index, the columns as written (checked once the thread count is known).
  const rows: Array<{ line: number; index: number; cols: string[] }> = [];
  const footer: Partial<Record<FooterKey, FooterLine>> = {};
  // Per thread: the overflow cycle numbers listed, and the "# N others" cyclictest did not list.
  const overflowLists = new Map<string, OverflowList>();
  let inOverflowList = false;
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const raw = lines[i].replace(/\r$/, '');
    const line = raw.trim();
    if (line === '') continue;
    if (/^\d+(\s+\d+)+$/.test(line)) {
      const parts = line.split(/\s+/);
      const index = figure(file, () => ({ line: ln, field: 'histogram row' }), Number(parts[0]), 'latency', unitNs, parts[0]);
      const prev = rows.at(-1);
      if (prev && index <= prev.index) fail(file, ln, `histogram row ${index} after row ${prev.index}: rows out of order`);
      rows.push({ line: ln, index, cols: parts.slice(1) });
      continue;
    }
    if (line === '# Histogram') {
      sawHeader = true;
      continue;
    }
    const m = /^# (Total|Min Latencies|Avg Latencies|Max Latencies|Histogram Overflows):((?:\s+\d+)*)\s*$/.exec(line);
    if (m) {
      footer[m[1] as FooterKey] = { line: ln, texts: m[2].trim() ? m[2].trim().split(/\s+/) : [] };
      continue;
    }
    if (line.startsWith('# Histogram Overflow at cycle number:')) {
      inOverflowList = true;
      continue;
    }
    const th = /^# Thread (\d+):(.*)$/.exec(line);
    if (th && inOverflowList) {
      const [list, rest] = th[2].split('#');
      const others = rest === undefined ? null : /^\s*(\d+) others\s*$/.exec(rest)?.[1];
      if ((list.trim() && !/^\d+(\s+\d+)*$/.test(list.trim())) || others === undefined) fail(file, ln, `bad overflow cycle list "${th[2].trim()}"`);
      overflowLists.set(th[1], { line: ln, cycles: list.trim() ? list.trim().split(/\s+/) : [], others });
      continue;
    }
    // Other comment lines (dma latency, thread ids, SMIs) and the live status lines are not data.
    if (line.startsWith('#') || /^T:\s*\d+ /.test(line) || line.startsWith('policy:') || line.includes('\x1b[')) continue;
    if (/^(WARN|defaulting|policy and priority)/.test(line)) continue;
    fail(file, ln, `not a cyclictest histogram line: "${line.slice(0, 60)}"`);
  }
  for (const k of ['Min Latencies', 'Avg Latencies', 'Max Latencies', 'Histogram Overflows'] as const)
    if (!footer[k]) fail(file, lines.length, `no "# ${k}:" line${sawHeader ? ' (file truncated?)' : ''}`);
  const f = footer as Record<Exclude<FooterKey, 'Total'>, FooterLine> & { Total?: FooterLine };
  const n = f['Min Latencies'].texts.length;
  if (n === 0) fail(file, f['Min Latencies'].line, 'no threads in "# Min Latencies:"');
  if (f['Avg Latencies'].texts.length !== n) fail(file, f['Avg Latencies'].line, `expected ${n} values (one per thread)`);
  // -H appends a summary column (all threads) to Max, Overflows and Total when there are >= 2 threads.
  for (const k of ['Max Latencies', 'Histogram Overflows', 'Total'] as const) {
    const fl = f[k];
    if (fl && fl.texts.length !== n && !(n > 1 && fl.texts.length === n + 1)) fail(file, fl.line, `expected ${n} values (one per thread)`);
  }
  if (rows.length === 0) fail(file, f['Min Latencies'].line, 'no histogram rows');
  const width = rows[0].cols.length;
  if (width !== n && !(n > 1 && width === n + 1)) fail(file, rows[0].line, `${width} columns for ${n} threads`);

  const column = (j: number) => (j < n ? `thread ${j}` : 'all threads');
  const at = (k: FooterKey, j: number): Place => ({ line: footer[k]!.line, field: `${k}, ${column(j)}` });
  const value = (k: FooterKey, j: number): number => {
    const s = footer[k]!.texts[j];
    return figure(file, () => at(k, j), Number(s), FOOTER_KIND[k], unitNs, s);
  };
  const bins: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  const sums = new Array<number>(n).fill(0);
  const rowLine = new Map<number, number>();
  let contiguous = true;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.cols.length !== width) fail(file, row.line, `${row.cols.length} columns, expected ${width}`);
    if (row.index !== r) contiguous = false;
    rowLine.set(row.index, row.line);
    let all = 0;
    for (let j = 0; j < width; j++) {
      const where = () => ({ line: row.line, field: `histogram row ${row.index}, ${column(j)}` });
      const c = figure(file, where, Number(row.cols[j]), 'count', unitNs, row.cols[j]);
      if (j === n) {
        if (c !== all) refuse(file, where(), `${c}, but the threads' columns add up to ${all}`);
      } else if (c > 0) {
        bins[j].push([row.index, c]);
        sums[j] += c;
        all += c;
      }
    }
  }
  const range = contiguous ? rows.length : rows[rows.length - 1].index + 1;
  const warnings: Warning[] = [];
  if (!contiguous)
    warnings.push({ code: 'histogram-range-guessed', message: `histogram rows are not contiguous from 0; range taken as ${range} (highest row + 1)` });
  if (f.Total)
    for (let j = 0; j < n; j++) {
      const total = value('Total', j);
      if (total !== sums[j]) refuse(file, { line: f.Total.line, field: `thread ${j}` }, `"# Total" says ${total} but the rows hold ${sums[j]}`);
    }
  checkAllThreadsColumn(file, n, footer, value);
  for (const [k, list] of overflowLists)
    if (Number(k) >= n) fail(file, list.line, `overflow cycle list of thread ${k}, but the file has ${n} threads`);

  const threads: CyclictestThread[] = [];
  for (let j = 0; j < n; j++) {
    const overflow = value('Histogram Overflows', j);
    const cycles = sums[j] + overflow;
    if (cycles > Number.MAX_SAFE_INTEGER) refuse(file, at('Histogram Overflows', j), `${overflow} and the rows' ${sums[j]} make more samples than 2^53 - 1`);
    const thread: CyclictestThread = {
      thread: j,
      cpu: null,
      intervalNs: NaN,
      bins: bins[j],
      cycles,
      min: value('Min Latencies', j),
      max: value('Max Latencies', j),
      mean: { floor: value('Avg Latencies', j) },
      range,
    };
    checkThread(file, thread, unitNs, (fld) =>
      typeof fld === 'string' ? at(FIELD_LINE[fld], j) : { line: rowLine.get(fld.bin) ?? null, field: `histogram row ${fld.bin}, thread ${j}` },
    );
    checkOverflowList(file, j, overflow, cycles, overflowLists.get(String(j)));
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${j} recorded no samples` });
      continue;
    }
    threads.push(thread);
  }
  if (threads.length === 0) fail(file, f['Min Latencies'].line, 'no thread recorded any samples');
  const overflowCycles: Record<number, number[]> = {};
  for (const [k, list] of overflowLists) overflowCycles[Number(k)] = list.cycles.map(Number);
  const meta = importMeta({ threads: n, histogramRange: range, unit: opts.nsecs ? 'ns' : 'us' }, { overflowCycles });
  return parsedCyclictest(file, 'cyclictest-histogram', threads, unitNs, warnings, meta, opts.spikeThresholdNs);
}

/** -H's last column of "# Total", "# Histogram Overflows" (sums) and "# Max Latencies" (the largest), where the file has it. */
function checkAllThreadsColumn(
  file: string,
  n: number,
  footer: Partial<Record<FooterKey, FooterLine>>,
  value: (k: FooterKey, j: number) => number,
): void {
  for (const k of ['Total', 'Histogram Overflows', 'Max Latencies'] as const) {
    if (n < 2 || footer[k]?.texts.length !== n + 1) continue;
    const each = Array.from({ length: n }, (_, j) => value(k, j));
    const want = k === 'Max Latencies' ? Math.max(...each) : each.reduce((a, b) => a + b, 0);
    const all = value(k, n);
    if (all !== want) refuse(file, { line: footer[k]!.line, field: `${k}, all threads` }, `${all}, but the threads' figures give ${want}`);
  }
}

/**
 * The overflow cycle list of thread `j`: cyclictest lists the cycle numbers (0-based) of the first
 * overflows and counts the rest ("# N others"); together they are the thread's overflows.
 */
function checkOverflowList(file: string, j: number, overflow: number, cycles: number, list: OverflowList | undefined): void {
  if (!list) return;
  const where = () => ({ line: list.line, field: `Histogram Overflow at cycle number, thread ${j}` });
  for (const s of list.cycles) {
    const c = figure(file, where, Number(s), 'count', 1, s);
    if (c >= cycles) refuse(file, where(), `cycle ${c}, but the thread ran ${cycles} cycles`);
  }
  const others = list.others === null ? 0 : figure(file, where, Number(list.others), 'count', 1, list.others);
  if (list.cycles.length + others !== overflow)
    refuse(file, where(), `${list.cycles.length} cycles listed and ${others} others, but "# Histogram Overflows" says ${overflow}`);
}
