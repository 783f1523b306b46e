/** cyclictest's `-v` verbose per-sample lines, streamed. */
import { createReadStream } from 'node:fs';
import { Histogram } from '../../results/histogram.js';
import type { SeriesPoint, Spike, ThreadFigures, Warning } from '../../results/types.js';
import { InputError } from '../../errors.js';
import { MAX_COUNT, MAX_LATENCY_NS, figureProblem, shortNumber } from '../../results/plausible.js';
import { figure, refuse } from './checks.js';
import { fail, importMeta, type ParsedFile, type ImportOptions } from './common.js';
import { DEFAULT_SPIKE_THRESHOLD_NS } from './result.js';

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

/** Reads the decimal numbers of a sample line from bytes: no string per number. */
class NumberReader {
  /** The last number read, and its digits (0: there was none). */
  value = 0;
  digits = 0;
  /** Skips spaces from p, reads the digits there; returns the position after them. */
  read(buf: Buffer, p: number, end: number): number {
    while (p < end && buf[p] === 32) p++;
    const first = p;
    let v = 0;
    let c = 0;
    while (p < end && (c = buf[p]) >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      p++;
    }
    this.value = v;
    this.digits = p - first;
    return p;
  }
}

/**
 * Streams a `cyclictest -v` file through a byte scanner: no string and no regex per sample line,
 * constant memory whatever the file size (per-thread dense counts, per-second series, bounded spikes).
 */
export async function importVerbose(file: string, opts: ImportOptions = {}): Promise<ParsedFile> {
  const unitNs = opts.nsecs ? 1 : 1000;
  const denseSize = opts.nsecs ? DENSE_NS : DENSE_US;
  const spikeThreshold = (opts.spikeThresholdNs ?? DEFAULT_SPIKE_THRESHOLD_NS) / unitNs;
  const maxSpikes = opts.maxSpikes ?? 1000;
  /** Latencies above this (in the file's unit) are refused: the sample path checks only what passes the dense array. */
  const maxLatency = MAX_LATENCY_NS / unitNs;
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

  const headerThread = (digits: string, ln: number): number => {
    const th = Number(digits);
    if (!(th < MAX_THREADS)) fail(file, ln, `thread number ${shortNumber(digits)} is implausible (>= ${MAX_THREADS})`);
    return th;
  };
  /** The number that ends at `end` (`digits` long) of the sample line at lineNo + 1, refused as a `field`. */
  const refuseSample = (buf: Buffer, end: number, digits: number, v: number, field: 'cycle' | 'latency'): never =>
    refuse(file, { line: lineNo + 1, field }, figureProblem(v, field === 'cycle' ? 'count' : 'latency', unitNs, buf.toString('latin1', end - digits, end)) ?? 'implausible');

  const otherLine = (buf: Buffer, start: number, end: number) => {
    const line = buf.toString('latin1', start, end).replace(/\r$/, '').trim();
    const ln = lineNo + 1;
    if (line === '' || line.startsWith('#')) return;
    const at = (field: string) => () => ({ line: ln, field });
    let m = /^Thread (\d+) Interval: (\d+)$/.exec(line);
    if (m) {
      if (seenSample) fail(file, ln, 'thread header after the samples started');
      // cyclictest prints the interval in us, also with -N.
      intervals[headerThread(m[1], ln)] = figure(file, at(`Thread ${m[1]} Interval`), Number(m[2]), 'latency', 1000, m[2]);
      return;
    }
    m = /^Thread (\d+) using cpu (\d+)\.$/.exec(line);
    if (m) {
      cpus[headerThread(m[1], ln)] = figure(file, at(`Thread ${m[1]} cpu`), Number(m[2]), 'count', 1, m[2]);
      return;
    }
    m = /^\d+:\s*\d+:\s*(-\d+)(\s+\d+)?$/.exec(line);
    if (m) figure(file, at('latency'), Number(m[1]), 'latency', unitNs, m[1]);
    if (/^(Max CPUs|Online CPUs) = \d+$/.test(line) || /^(WARN|defaulting|policy and priority|parse_cpumask:)/.test(line)) return;
    fail(file, ln, `not a cyclictest -v line (expected "thread: cycle: latency"): "${line.slice(0, 60)}"`);
  };

  const num = new NumberReader();
  /** Scans complete lines of buf; returns where the unfinished last line starts. */
  const scan = (buf: Buffer): number => {
    const end = buf.length;
    let i = 0;
    while (i < end) {
      const start = i;
      let p = num.read(buf, i, end);
      const th = num.value;
      if (num.digits > 0 && p < end && buf[p] === 58) {
        p = num.read(buf, p + 1, end);
        const cyc = num.value;
        if (num.digits > 0 && p < end && buf[p] === 58) {
          if (cyc > MAX_COUNT) refuseSample(buf, p, num.digits, cyc, 'cycle');
          p = num.read(buf, p + 1, end);
          const v = num.value;
          const nd = num.digits;
          const vEnd = p;
          // --smi appends a count after more spaces; skip it.
          if (nd > 0 && p < end && buf[p] === 32) p = num.read(buf, p, end);
          if (p < end && buf[p] === 13) p++;
          if (nd > 0 && p < end && buf[p] === 10) {
            // A sample: thread th, cycle cyc, latency v.
            seenSample = true;
            const t = threads[th] ?? thread(th);
            if (v < denseSize) t.dense[v]++;
            else {
              if (v > maxLatency) refuseSample(buf, vEnd, nd, v, 'latency');
              t.big.record(v * unitNs);
            }
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

  const tl: ThreadFigures[] = [];
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
    const iv = realIntervalUs(th);
    tl.push({ thread: th, cpu: cpus[th] ?? null, intervalNs: Number.isFinite(iv) ? iv * 1000 : NaN, histogram: h.toData(), series: t.series });
  }
  if (samples === 0) fail(file, lineNo || 1, 'no samples ("thread: cycle: latency" lines)');
  if (gaps > 0)
    warnings.push({
      code: 'cycle-gaps',
      message: `${gaps} jumps in cycle numbers: oscilloscope mode (-o, each line is the max of several cycles) or lost lines; counts are lines, not cycles`,
    });
  if (intervals.length === 1)
    warnings.push({ code: 'interval-ambiguous', message: 'one thread: cyclictest prints its interval plus the distance; taken as printed' });
  return {
    file,
    format: 'cyclictest-verbose',
    latency: { threads: tl, spikes, spikesDropped, spikeThresholdNs: spikeThreshold * unitNs, overflows: 0, resolutionNs: unitNs },
    warnings,
    meta: importMeta({ threads: tl.length, histogramRange: null, unit: opts.nsecs ? 'ns' : 'us' }, { samples, cycleGaps: gaps }),
  };
}

