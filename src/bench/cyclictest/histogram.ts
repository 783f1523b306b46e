/** cyclictest's `-h`/`-H` histogram text. */
import type { Warning } from '../../results/types.js';
import { parsedCyclictest, type CyclictestThread } from './result.js';
import { fail, importMeta, type ParsedFile, type ImportOptions } from './common.js';

// ---------------------------------------------------------------------------------------------
// -h / -H histogram text

/** Parses cyclictest's `-h`/`-H` histogram output (a stdout capture or a --histfile). */
export function parseCyclictestHistogram(text: string, file = '<histogram>', opts: ImportOptions = {}): ParsedFile {
  const unitNs = opts.nsecs ? 1 : 1000;
  const lines = text.split('\n');
  // Rows: [lineNo, index, columns]; only non-zero cells kept.
  const rows: Array<{ line: number; index: number; cols: number[] }> = [];
  const footer: Record<string, { line: number; values: number[] }> = {};
  const overflowCycles: Record<number, number[]> = {};
  let inOverflowList = false;
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const raw = lines[i].replace(/\r$/, '');
    const line = raw.trim();
    if (line === '') continue;
    if (/^\d+(\s+\d+)+$/.test(line)) {
      const parts = line.split(/\s+/).map(Number);
      rows.push({ line: ln, index: parts[0], cols: parts.slice(1) });
      continue;
    }
    if (line === '# Histogram') {
      sawHeader = true;
      continue;
    }
    const m = /^# (Total|Min Latencies|Avg Latencies|Max Latencies|Histogram Overflows):((?:\s+\d+)*)\s*$/.exec(line);
    if (m) {
      footer[m[1]] = { line: ln, values: m[2].trim() ? m[2].trim().split(/\s+/).map(Number) : [] };
      continue;
    }
    if (line.startsWith('# Histogram Overflow at cycle number:')) {
      inOverflowList = true;
      continue;
    }
    const th = /^# Thread (\d+):(.*)$/.exec(line);
    if (th && inOverflowList) {
      const list = th[2].split('#')[0].trim();
      if (list && !/^\d+(\s+\d+)*$/.test(list)) fail(file, ln, `bad overflow cycle list "${list}"`);
      overflowCycles[Number(th[1])] = list ? list.split(/\s+/).map(Number) : [];
      continue;
    }
    // Other comment lines (dma latency, thread ids, SMIs) and the live status lines are not data.
    if (line.startsWith('#') || /^T:\s*\d+ /.test(line) || line.startsWith('policy:') || line.includes('\x1b[')) continue;
    if (/^(WARN|defaulting|policy and priority)/.test(line)) continue;
    fail(file, ln, `not a cyclictest histogram line: "${line.slice(0, 60)}"`);
  }
  const need = ['Min Latencies', 'Avg Latencies', 'Max Latencies', 'Histogram Overflows'];
  for (const k of need)
    if (!footer[k]) fail(file, lines.length, `no "# ${k}:" line${sawHeader ? ' (file truncated?)' : ''}`);
  const n = footer['Min Latencies'].values.length;
  if (n === 0) fail(file, footer['Min Latencies'].line, 'no threads in "# Min Latencies:"');
  if (footer['Avg Latencies'].values.length !== n) fail(file, footer['Avg Latencies'].line, `expected ${n} values (one per thread)`);
  // -H appends a summary column (all threads) to Max, Overflows and Total when there are >= 2 threads.
  for (const k of ['Max Latencies', 'Histogram Overflows', 'Total']) {
    const f = footer[k];
    if (f && f.values.length !== n && !(n > 1 && f.values.length === n + 1)) fail(file, f.line, `expected ${n} values (one per thread)`);
  }
  if (rows.length === 0) fail(file, footer['Min Latencies'].line, 'no histogram rows');
  const width = rows[0].cols.length;
  if (width !== n && !(n > 1 && width === n + 1)) fail(file, rows[0].line, `${width} columns for ${n} threads`);
  const bins: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  const sums = new Array<number>(n).fill(0);
  let contiguous = true;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.cols.length !== width) fail(file, row.line, `${row.cols.length} columns, expected ${width}`);
    if (row.index !== r) contiguous = false;
    for (let j = 0; j < n; j++) {
      const c = row.cols[j];
      if (c > 0) {
        bins[j].push([row.index, c]);
        sums[j] += c;
      }
    }
  }
  const range = contiguous ? rows.length : rows[rows.length - 1].index + 1;
  const warnings: Warning[] = [];
  if (!contiguous)
    warnings.push({ code: 'histogram-range-guessed', message: `histogram rows are not contiguous from 0; range taken as ${range} (highest row + 1)` });
  const total = footer['Total'];
  if (total)
    for (let j = 0; j < n; j++)
      if (total.values[j] !== sums[j]) fail(file, total.line, `thread ${j}: "# Total" says ${total.values[j]} but the rows hold ${sums[j]}`);
  const threads: CyclictestThread[] = [];
  for (let j = 0; j < n; j++) {
    const overflow = footer['Histogram Overflows'].values[j];
    const cycles = sums[j] + overflow;
    const min = footer['Min Latencies'].values[j];
    const max = footer['Max Latencies'].values[j];
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${j} recorded no samples` });
      continue;
    }
    const lo = bins[j].length ? bins[j][0][0] : null;
    const hi = bins[j].length ? bins[j][bins[j].length - 1][0] : null;
    if ((lo !== null && min > lo) || (overflow === 0 && hi !== null && max !== hi) || (overflow > 0 && max < range))
      fail(file, footer['Max Latencies'].line, `thread ${j}: min ${min} / max ${max} do not match the histogram rows (${lo}..${hi}, ${overflow} overflows)`);
    threads.push({ thread: j, cpu: null, intervalNs: NaN, bins: bins[j], cycles, min, max, mean: { floor: footer['Avg Latencies'].values[j] }, range });
  }
  if (threads.length === 0) fail(file, footer['Min Latencies'].line, 'no thread recorded any samples');
  const meta = importMeta({ threads: n, histogramRange: range, unit: opts.nsecs ? 'ns' : 'us' }, { overflowCycles });
  return parsedCyclictest(file, 'cyclictest-histogram', threads, unitNs, warnings, meta);
}

