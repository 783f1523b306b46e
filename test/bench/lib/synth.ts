/**
 * Synthetic inputs for the benchmarks, in the real formats: probe protocol streams (see
 * docs/protocol.md; the hello line can be taken from the real probe) and `cyclictest -v` files.
 * Latencies come from a seeded generator shaped like a tuned machine: a log-normal body of a
 * few microseconds, a thin tail to ~100 us and rare spikes, so histograms have realistic spread.
 */
import { createWriteStream } from 'node:fs';
import { Histogram } from '../../../src/results/histogram.js';

/** xorshift32: fast, seeded, good enough to shape a distribution. */
export function rng(seed = 0x9e3779b9): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Latency sampler in ns. Precomputes a table so drawing a value is one lookup. */
export function latencySampler(seed = 1): () => number {
  const r = rng(seed);
  const TABLE = 1 << 16;
  const table = new Float64Array(TABLE);
  for (let i = 0; i < TABLE; i++) {
    // Box-Muller once per table slot; body ~ 2.5 us * e^(0.35 N).
    const u1 = r() || 1e-12;
    const u2 = r();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    table[i] = Math.round(1200 + 2500 * Math.exp(0.35 * z));
  }
  return () => {
    const u = r();
    if (u < 1e-5) return Math.round(100_000 + r() * 400_000); // rare spike
    if (u < 1e-3) return Math.round(15_000 + r() * 85_000); // tail
    return table[(u * 1e9) & (TABLE - 1)];
  };
}

// ---------------------------------------------------------------------------------------------
// Probe protocol

const M = '@@UNILAT ';

export interface ProbeStreamSpec {
  /** Total latency samples over all threads. */
  samples: number;
  threads?: number;
  intervalNs?: number;
  /** Put every sample on the wire (`--raw`, chunks of 1000). */
  raw?: boolean;
  /** A real hello object to start from (fields of the run are overwritten). */
  hello?: Record<string, unknown>;
  seed?: number;
}

const DEFAULT_HELLO: Record<string, unknown> = {
  type: 'hello', mode: 'cyclic', version: '1.0.0', protocol: 1, pid: 4242, uid: 0, clockResolutionNs: 1, loopOverheadNs: 16,
  kernel: '6.1.0-rt', kernelVersion: '#1 SMP PREEMPT_RT', machine: 'x86_64', preempt: 'PREEMPT_RT', uptimeS: 100, realtime: 1,
  isolatedCpus: '', cpus: 2, timerSlackNs: 50000, histogram: { layout: 'loglin7', buckets: 4480 },
  requested: { policy: 'fifo', priority: 80 }, policy: 'fifo', priority: 80, affinity: [0, 1], mlockall: true, dmaLatency: false,
  loops: 0, spikeThresholdNs: 100000,
};

/**
 * Yields a whole probe run as protocol text, in pieces of roughly `chunkBytes` (so a caller can
 * feed a parser the way a pipe would, without holding the stream). Lines are as the probe writes
 * them: progress every second while running, then per thread hist, series (≤ 1000 points per
 * line), spikes, raw (≤ 1000 values per line), then done with the line count.
 */
export function* probeStream(spec: ProbeStreamSpec, chunkBytes = 64 * 1024): Generator<string> {
  const threads = spec.threads ?? 2;
  const intervalNs = spec.intervalNs ?? 1_000_000;
  const perThread = Math.ceil(spec.samples / threads);
  const seconds = Math.ceil((perThread * intervalNs) / 1e9);
  const perSec = Math.round(1e9 / intervalNs);
  let lines = 0;
  let buf = '';
  const emit = (obj: unknown): string | null => {
    buf += M + JSON.stringify(obj) + '\n';
    lines++;
    if (buf.length >= chunkBytes) {
      const out = buf;
      buf = '';
      return out;
    }
    return null;
  };
  const hello = {
    ...(spec.hello ?? DEFAULT_HELLO),
    type: 'hello', mode: 'cyclic', threads, intervalNs, distanceNs: 0, durationMs: seconds * 1000, loops: 0, raw: !!spec.raw,
    threadInfo: Array.from({ length: threads }, (_, t) => ({ thread: t, tid: 5000 + t, cpu: t % 2, policy: 'fifo', priority: 80, intervalNs })),
  };
  let c = emit(hello);
  if (c) yield c;
  // The probe runs first (progress only), then prints everything it kept.
  for (let s = 1; s <= seconds; s++) {
    c = emit({ type: 'progress', elapsedMs: s * 1000, totalMs: seconds * 1000, samples: Math.min(spec.samples, s * perSec * threads) });
    if (c) yield c;
  }
  for (let t = 0; t < threads; t++) {
    const n = Math.max(0, Math.min(perThread, spec.samples - t * perThread));
    const seed = (spec.seed ?? 7) + t;
    // Pass 1: what the probe keeps in memory (histogram, series, spikes).
    const draw = latencySampler(seed);
    const h = new Histogram();
    const series: Array<[number, number, number, number, number]> = [];
    const spikes: Array<[number, number]> = [];
    let spikesDropped = 0;
    let sec = -1;
    let row: [number, number, number, number, number] = [0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = draw();
      h.record(v);
      const s = Math.floor(i / perSec);
      if (s !== sec) {
        sec = s;
        row = [s, 0, v, v, 0];
        series.push(row);
      }
      row[1]++;
      if (v < row[2]) row[2] = v;
      if (v > row[3]) row[3] = v;
      row[4] += v;
      if (v > 100_000) {
        if (spikes.length < 1000) spikes.push([i * intervalNs, v]);
        else spikesDropped++;
      }
    }
    const d = h.toData();
    c = emit({ type: 'hist', thread: t, cpu: t % 2, intervalNs, count: d.count, min: d.min, max: d.max, sum: d.sum, sumSq: d.sumSq, overruns: 0, overflows: 0, early: 0, bins: d.bins });
    if (c) yield c;
    for (let k = 0; k < series.length; k += 1000) {
      c = emit({ type: 'series', thread: t, points: series.slice(k, k + 1000) });
      if (c) yield c;
    }
    c = emit({ type: 'spikes', thread: t, threshold: 100000, points: spikes, dropped: spikesDropped });
    if (c) yield c;
    if (!spec.raw) continue;
    // Pass 2: the same samples again (same seed) as raw chunks, never all held at once.
    const again = latencySampler(seed);
    for (let i = 0; i < n; i += 1000) {
      const values = new Array<number>(Math.min(1000, n - i));
      for (let k = 0; k < values.length; k++) values[k] = again();
      c = emit({ type: 'raw', thread: t, values });
      if (c) yield c;
    }
  }
  c = emit({ type: 'done', mode: 'cyclic', samples: spec.samples, lines, exit: 0 });
  if (c) yield c;
  if (buf) yield buf;
}

/** The whole stream as one string (for in-memory throughput runs). */
export function probeStreamText(spec: ProbeStreamSpec): string {
  let s = '';
  for (const c of probeStream(spec, 1 << 20)) s += c;
  return s;
}

// ---------------------------------------------------------------------------------------------
// cyclictest -v

/**
 * Writes `samples` lines in cyclictest's verbose format ("%8d:%8lu:%8ld\n": thread, cycle,
 * latency in us), two threads interleaved in blocks as cyclictest's buffered stdout does,
 * with its header lines. Formats bytes directly: string building would dominate at 1e8 lines.
 */
export async function writeVerboseFile(file: string, samples: number, seed = 3): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 1 << 22 });
  const header = 'Max CPUs = 2\nOnline CPUs = 2\n# /dev/cpu_dma_latency set to 0us\nThread 0 Interval: 1000\nThread 1 Interval: 1000\n';
  out.write(header);
  const draw = latencySampler(seed);
  const LINE = 27;
  const BLOCK = 1 << 16; // lines per buffer
  const threads = 2;
  const cycle = [0, 0];
  let written = header.length;
  let left = samples;
  let th = 0;
  while (left > 0) {
    const n = Math.min(BLOCK, left);
    const b = Buffer.allocUnsafe(n * LINE);
    for (let i = 0; i < n; i++) {
      // Switch thread every 64 lines, like two threads flushing their stdio buffers in turn.
      if ((samples - left + i) % 64 === 0 && i + (samples - left) > 0) th = (th + 1) % threads;
      const o = i * LINE;
      pad8(b, o, th);
      b[o + 8] = 58;
      pad8(b, o + 9, cycle[th]++);
      b[o + 17] = 58;
      pad8(b, o + 18, Math.round(draw() / 1000));
      b[o + 26] = 10;
    }
    left -= n;
    written += b.length;
    if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return written;
}

function pad8(b: Buffer, o: number, v: number): void {
  let p = o + 7;
  do {
    b[p--] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0 && p >= o);
  while (p >= o) b[p--] = 32;
}
