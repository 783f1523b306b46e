/**
 * Importers for cyclictest's own output files, each giving one LatencyResult per file:
 *  - `--json=FILE` (per-thread histograms, cycles, min/max/avg),
 *  - `-h`/`-H` histogram text (stdout or --histfile), with its footer lines,
 *  - `-v` verbose per-sample lines ("%8d:%8lu:%8ld" = thread:cycle:latency), streamed.
 * Bad input throws InputError with "FILE:LINE: what is wrong".
 */
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { Histogram, type HistogramData } from '../results/histogram.js';
import type { CompletedLatencyResult, LatencyResult, SeriesPoint, Spike, ThreadLatency, Warning } from '../results/types.js';
import { summarize } from '../stats/quantiles.js';
import { mergeHistograms } from '../results/histogram.js';
import { parseCyclictestCmdline } from './cyclictest-args.js';
import { latencyFromCyclictest, type CyclictestThread } from './cyclictest-result.js';

export type ImportFormat = 'cyclictest-json' | 'cyclictest-histogram' | 'cyclictest-verbose';

export interface ImportMeta {
  tool: 'cyclictest';
  version: string | null;
  cmdline: string | null;
  startTime: string | null;
  endTime: string | null;
  threads: number;
  /** The measured machine's name, when the file says (JSON sysinfo.nodename). */
  host: string | null;
  /** Histogram range in the tool's unit; null when there was none. */
  histogramRange: number | null;
  unit: 'us' | 'ns';
  /** Cycle numbers of the overflows cyclictest listed, per thread (it lists at most `range` of them). */
  overflowCycles?: Record<number, number[]>;
  /** Verbose: samples read, and cycle-number gaps (oscilloscope mode or lost lines). */
  samples?: number;
  cycleGaps?: number;
}

export interface ImportedFile {
  file: string;
  format: ImportFormat;
  latency: LatencyResult;
  warnings: Warning[];
  meta: ImportMeta;
}

export interface ImportOptions {
  /** The file's values are ns (cyclictest -N). JSON files say so in their cmdline. */
  nsecs?: boolean;
  /** Verbose: latencies above this (ns) are kept as spikes. */
  spikeThresholdNs?: number;
  /** Verbose: at most this many spikes are kept; the rest are counted. */
  maxSpikes?: number;
}

function fail(file: string, line: number | null, what: string): never {
  throw new InputError(`${file}${line !== null ? `:${line}` : ''}: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Format detection

/** Looks at the first few KiB of a file. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  let head: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(8192);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.toString('latin1', 0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    fail(file, null, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return detectFormatOf(head, file);
}

export function detectFormatOf(head: string, file = '<input>'): ImportFormat {
  if (/^\s*\{/.test(head)) return 'cyclictest-json';
  if (/^# Histogram\s*$/m.test(head) || /^\d{6} \d+/m.test(head)) return 'cyclictest-histogram';
  if (/^\s*\d+:\s*\d+:\s*-?\d+\s*$/m.test(head) || /^Thread \d+ Interval: /m.test(head) || /^Max CPUs = /m.test(head))
    return 'cyclictest-verbose';
  if (head.length === 0) fail(file, null, 'empty file');
  fail(file, 1, 'not a cyclictest output (expected --json, -h histogram or -v verbose output)');
}

/** Imports one file of any supported format. */
export async function importFile(file: string, opts: ImportOptions = {}): Promise<ImportedFile> {
  const format = await detectFormat(file);
  if (format === 'cyclictest-verbose') return importVerbose(file, opts);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    fail(file, null, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return format === 'cyclictest-json' ? parseCyclictestJson(text, file) : parseCyclictestHistogram(text, file, opts);
}

/**
 * Imports files into completed results (one per file), named after the file: deployment
 * "imported", benchmark = NAME or the file's base name, host from the JSON's nodename when known.
 * All files' problems are reported together.
 */
export async function importFiles(files: string[], opts: ImportOptions & { name?: string; host?: string } = {}): Promise<CompletedLatencyResult[]> {
  const problems: string[] = [];
  const out: CompletedLatencyResult[] = [];
  let order = 0;
  for (const file of files) {
    try {
      const imp = await importFile(file, opts);
      out.push(toResult(imp, { benchmark: opts.name ?? basename(file).replace(/\.[^.]*$/, ''), host: opts.host, order: order++ }));
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

export function toResult(imp: ImportedFile, key: { benchmark: string; host?: string; order: number; repetition?: number }): CompletedLatencyResult {
  const now = new Date().toISOString();
  const ts = (s: string | null) => {
    const d = s ? new Date(s) : null;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString() : now;
  };
  return {
    kind: 'cyclictest',
    status: 'completed',
    deployment: 'imported',
    benchmark: key.benchmark,
    host: key.host ?? imp.meta.host ?? 'imported',
    repetition: key.repetition ?? 0,
    order: key.order,
    startedAt: ts(imp.meta.startTime),
    endedAt: ts(imp.meta.endTime),
    warnings: imp.warnings,
    applied: null,
    latency: imp.latency,
    context: { import: { file: imp.file, format: imp.format, ...imp.meta } },
  };
}

// ---------------------------------------------------------------------------------------------
// --json

interface JsonThread {
  histogram?: Record<string, number>;
  cycles?: number;
  min?: number;
  max?: number;
  avg?: number;
  cpu?: number;
}

/** Parses cyclictest's `--json` output. */
export function parseCyclictestJson(text: string, file = '<json>'): ImportedFile {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? lineAt(text, Number(m[1])) : null;
    fail(file, line, `not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || typeof doc.thread !== 'object' || doc.thread === null)
    fail(file, 1, 'not a cyclictest --json file (no "thread" object)');
  // cyclictest 2.x writes these keys with a stray colon ("cmdline:").
  const cmdline = str(doc['cmdline:'] ?? doc.cmdline);
  const info = cmdline ? parseCyclictestCmdline(cmdline) : null;
  const nsecs = info?.nsecs ?? false;
  const unitNs = nsecs ? 1 : 1000;
  const entries = Object.entries(doc.thread as Record<string, JsonThread>).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (entries.length === 0) fail(file, lineOf(text, '"thread"'), 'no threads in "thread"');
  const threads: CyclictestThread[] = [];
  const warnings: Warning[] = [];
  for (const [k, t] of entries) {
    const where = lineOf(text, `"${k}": {`);
    if (!/^\d+$/.test(k)) fail(file, where, `thread key "${k}" is not a number`);
    for (const f of ['cycles', 'min', 'max', 'avg'] as const)
      if (typeof t?.[f] !== 'number' || !Number.isFinite(t[f])) fail(file, where, `thread ${k}: "${f}" is missing or not a number`);
    const bins: Array<[number, number]> = [];
    for (const [v, c] of Object.entries(t.histogram ?? {})) {
      if (!/^\d+$/.test(v) || typeof c !== 'number' || !(c >= 0)) fail(file, where, `thread ${k}: bad histogram entry "${v}": ${JSON.stringify(c)}`);
      bins.push([Number(v), c]);
    }
    bins.sort((a, b) => a[0] - b[0]);
    const inRange = bins.reduce((s, [, c]) => s + c, 0);
    const cycles = t.cycles!;
    if (inRange > cycles) fail(file, where, `thread ${k}: histogram holds ${inRange} samples but cycles is ${cycles}`);
    // With -h the histogram object is always there (possibly empty when every sample overflowed).
    const range = info?.histogramUs ?? (bins.length ? bins[bins.length - 1][0] + 1 : null);
    if (!info?.histogramUs && bins.length && inRange < cycles)
      warnings.push({ code: 'histogram-range-guessed', message: `thread ${k}: histogram range not in cmdline; taken as ${range} (highest bin + 1)` });
    const n = Number(k);
    if (cycles === 0) {
      warnings.push({ code: 'thread-no-samples', message: `thread ${k} recorded no samples` });
      continue;
    }
    threads.push({
      thread: n,
      cpu: typeof t.cpu === 'number' && t.cpu >= 0 ? t.cpu : null,
      intervalNs: info ? (info.intervalUs + n * info.distanceUs) * 1000 : NaN,
      bins,
      cycles,
      min: t.min!,
      max: t.max!,
      mean: { exact: t.avg! },
      range,
    });
  }
  if (threads.length === 0) fail(file, lineOf(text, '"thread"'), 'no thread recorded any samples');
  const built = latencyFromCyclictest(threads, unitNs);
  return {
    file,
    format: 'cyclictest-json',
    latency: built.latency,
    warnings: [...warnings, ...built.warnings],
    meta: {
      tool: 'cyclictest',
      version: str(doc['rt_test_version:'] ?? doc.rt_test_version),
      cmdline,
      startTime: str(doc.start_time),
      endTime: str(doc.end_time),
      threads: entries.length,
      host: str((doc.sysinfo as Record<string, unknown> | undefined)?.nodename),
      histogramRange: threads[0]?.range ?? null,
      unit: nsecs ? 'ns' : 'us',
    },
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function lineAt(text: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function lineOf(text: string, needle: string): number | null {
  const i = text.indexOf(needle);
  return i < 0 ? null : lineAt(text, i);
}

// ---------------------------------------------------------------------------------------------
// -h / -H histogram text

/** Parses cyclictest's `-h`/`-H` histogram output (a stdout capture or a --histfile). */
export function parseCyclictestHistogram(text: string, file = '<histogram>', opts: ImportOptions = {}): ImportedFile {
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
  const built = latencyFromCyclictest(threads, unitNs);
  return {
    file,
    format: 'cyclictest-histogram',
    latency: built.latency,
    warnings: [...warnings, ...built.warnings],
    meta: {
      tool: 'cyclictest',
      version: null,
      cmdline: null,
      startTime: null,
      endTime: null,
      threads: n,
      host: null,
      histogramRange: range,
      unit: opts.nsecs ? 'ns' : 'us',
      overflowCycles,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// -v verbose, streamed

/** Values below this go to a dense per-thread count array (the fast path); above, to a Histogram. */
const DENSE_US = 1 << 14;
const DENSE_NS = 1 << 18;
const MAX_THREADS = 4096;
const MAX_LINE = 1 << 20;

class VThread {
  readonly dense: Float64Array;
  readonly big = new Histogram();
  count = 0;
  lastCycle = -1;
  gaps = 0;
  // Per-second series state.
  cyclesPerSec = 0;
  sec = -1;
  sCount = 0;
  sMin = 0;
  sMax = 0;
  sSum = 0;
  readonly series: SeriesPoint[] = [];
  constructor(denseSize: number) {
    this.dense = new Float64Array(denseSize);
  }
  flushSecond(unitNs: number): void {
    if (this.sCount > 0)
      this.series.push({ t: this.sec, count: this.sCount, min: this.sMin * unitNs, max: this.sMax * unitNs, mean: (this.sSum / this.sCount) * unitNs });
    this.sCount = 0;
  }
}

/**
 * Streams a `cyclictest -v` file through a byte scanner: no string and no regex per sample line,
 * constant memory whatever the file size (per-thread dense counts, per-second series, bounded spikes).
 */
export async function importVerbose(file: string, opts: ImportOptions = {}): Promise<ImportedFile> {
  const unitNs = opts.nsecs ? 1 : 1000;
  const denseSize = opts.nsecs ? DENSE_NS : DENSE_US;
  const spikeThreshold = (opts.spikeThresholdNs ?? 100_000) / unitNs;
  const maxSpikes = opts.maxSpikes ?? 1000;
  const threads: VThread[] = [];
  const intervals: number[] = []; // as printed by cyclictest, us
  const cpus: number[] = [];
  const spikes: Spike[] = [];
  let spikesDropped = 0;
  let samples = 0;
  let lineNo = 0;
  let seenSample = false;
  const warnings: Warning[] = [];

  const thread = (th: number): VThread => {
    if (th >= MAX_THREADS) fail(file, lineNo + 1, `thread number ${th} is implausible (>= ${MAX_THREADS})`);
    let t = threads[th];
    if (!t) {
      t = threads[th] = new VThread(denseSize);
      const iv = realIntervalUs(th);
      if (iv > 0) t.cyclesPerSec = 1e6 / iv;
    }
    return t;
  };
  // cyclictest prints "Thread N Interval" after adding the distance, i.e. thread N+1's interval.
  const realIntervalUs = (th: number): number => {
    if (intervals.length >= 2) {
      const d = intervals[1] - intervals[0];
      return intervals[th] !== undefined ? intervals[th] - d : NaN;
    }
    return intervals[th] ?? NaN;
  };

  const otherLine = (buf: Buffer, start: number, end: number) => {
    const line = buf.toString('latin1', start, end).replace(/\r$/, '').trim();
    const ln = lineNo + 1;
    if (line === '' || line.startsWith('#')) return;
    let m = /^Thread (\d+) Interval: (\d+)$/.exec(line);
    if (m) {
      if (seenSample) fail(file, ln, 'thread header after the samples started');
      intervals[Number(m[1])] = Number(m[2]);
      return;
    }
    m = /^Thread (\d+) using cpu (\d+)\.$/.exec(line);
    if (m) {
      cpus[Number(m[1])] = Number(m[2]);
      return;
    }
    if (/^(Max CPUs|Online CPUs) = \d+$/.test(line) || /^(WARN|defaulting|policy and priority|parse_cpumask:)/.test(line)) return;
    fail(file, ln, `not a cyclictest -v line (expected "thread: cycle: latency"): "${line.slice(0, 60)}"`);
  };

  /** Scans complete lines of buf; returns where the unfinished last line starts. */
  const scan = (buf: Buffer): number => {
    const end = buf.length;
    let i = 0;
    while (i < end) {
      const start = i;
      let p = i;
      while (p < end && buf[p] === 32) p++;
      let th = 0;
      let nd = 0;
      let c = 0;
      while (p < end && (c = buf[p]) >= 48 && c <= 57) {
        th = th * 10 + (c - 48);
        p++;
        nd++;
      }
      if (nd > 0 && p < end && buf[p] === 58) {
        p++;
        while (p < end && buf[p] === 32) p++;
        let cyc = 0;
        nd = 0;
        while (p < end && (c = buf[p]) >= 48 && c <= 57) {
          cyc = cyc * 10 + (c - 48);
          p++;
          nd++;
        }
        if (nd > 0 && p < end && buf[p] === 58) {
          p++;
          while (p < end && buf[p] === 32) p++;
          let v = 0;
          nd = 0;
          while (p < end && (c = buf[p]) >= 48 && c <= 57) {
            v = v * 10 + (c - 48);
            p++;
            nd++;
          }
          // --smi appends a count after more spaces; skip it.
          if (nd > 0 && p < end && buf[p] === 32) {
            while (p < end && buf[p] === 32) p++;
            while (p < end && (c = buf[p]) >= 48 && c <= 57) p++;
          }
          if (p < end && buf[p] === 13) p++;
          if (nd > 0 && p < end && buf[p] === 10) {
            // A sample: thread th, cycle cyc, latency v.
            seenSample = true;
            const t = threads[th] ?? thread(th);
            if (v < denseSize) t.dense[v]++;
            else t.big.record(v * unitNs);
            t.count++;
            if (cyc !== t.lastCycle + 1) t.gaps++;
            t.lastCycle = cyc;
            if (t.cyclesPerSec > 0) {
              const sec = Math.floor(cyc / t.cyclesPerSec);
              if (sec !== t.sec) {
                t.flushSecond(unitNs);
                t.sec = sec;
                t.sMin = v;
                t.sMax = v;
                t.sSum = 0;
              }
              t.sCount++;
              t.sSum += v;
              if (v < t.sMin) t.sMin = v;
              if (v > t.sMax) t.sMax = v;
            }
            if (v > spikeThreshold) {
              if (spikes.length < maxSpikes) {
                const iv = t.cyclesPerSec > 0 ? 1e9 / t.cyclesPerSec : 0;
                spikes.push({ thread: th, t: (cyc + 1) * iv, latency: v * unitNs });
              } else spikesDropped++;
            }
            lineNo++;
            i = p + 1;
            continue;
          }
        }
      }
      const nl = buf.indexOf(10, start);
      if (nl < 0) return start;
      otherLine(buf, start, nl);
      lineNo++;
      i = nl + 1;
    }
    return end;
  };

  let carry: Buffer | null = null;
  try {
    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const rest = scan(buf);
      carry = rest < buf.length ? Buffer.from(buf.subarray(rest)) : null;
      if (carry && carry.length > MAX_LINE) fail(file, lineNo + 1, `line longer than ${MAX_LINE} bytes`);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    fail(file, null, `cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (carry && carry.toString('latin1').trim() !== '') {
    // No final newline: a run cut short mid-line. The half line's value cannot be trusted.
    warnings.push({ code: 'truncated-last-line', message: `${file}:${lineNo + 1}: last line has no end (file cut short?); ignored` });
  }

  const tl: ThreadLatency[] = [];
  let gaps = 0;
  for (let th = 0; th < threads.length; th++) {
    const t = threads[th];
    if (!t) continue;
    t.flushSecond(unitNs);
    samples += t.count;
    gaps += t.gaps;
    const h = new Histogram();
    const d = t.dense;
    for (let v = 0; v < d.length; v++) if (d[v] > 0) h.record(v * unitNs, d[v]);
    h.add(t.big);
    const data: HistogramData = h.toData();
    const iv = realIntervalUs(th);
    tl.push({ thread: th, cpu: cpus[th] ?? null, intervalNs: Number.isFinite(iv) ? iv * 1000 : NaN, summary: summarize(data), histogram: data, series: t.series });
  }
  if (samples === 0) fail(file, lineNo || 1, 'no samples ("thread: cycle: latency" lines)');
  if (gaps > 0)
    warnings.push({
      code: 'cycle-gaps',
      message: `${gaps} jumps in cycle numbers: oscilloscope mode (-o, each line is the max of several cycles) or lost lines; counts are lines, not cycles`,
    });
  if (intervals.length === 1)
    warnings.push({ code: 'interval-ambiguous', message: 'one thread: cyclictest prints its interval plus the distance; taken as printed' });
  const merged = mergeHistograms(tl.map((t) => t.histogram));
  const latency: LatencyResult = { ...summarize(merged), histogram: merged, threads: tl, spikes, spikesDropped, overflows: 0 };
  return {
    file,
    format: 'cyclictest-verbose',
    latency,
    warnings,
    meta: {
      tool: 'cyclictest',
      version: null,
      cmdline: null,
      startTime: null,
      endTime: null,
      threads: tl.length,
      host: null,
      histogramRange: null,
      unit: opts.nsecs ? 'ns' : 'us',
      samples,
      cycleGaps: gaps,
    },
  };
}
