/**
 * Controller memory over a long run: the probe's protocol for a run of `--seconds` (default 86400,
 * a day) at 1 kHz with `--threads` (default 4) threads, generated second by second (progress
 * lines, then per thread its hist, series in chunks of 1000 points, spikes, done: docs/protocol.md)
 * and fed in 64 KiB chunks through the real ProtocolParser, then the result built as the cyclic
 * benchmark builds it (assembleCyclic, summarizeLatency) and serialized as run.json would hold it.
 * The generator writes no sample: each second's series point and the histogram are made up
 * directly, so a day takes seconds. Each measurement runs in a child process of its own, so its
 * peak RSS (VmHWM) is its own; peak heapUsed is sampled after every chunk.
 *
 *   node dist/test/bench/memory-day.js [--seconds=86400] [--threads=4] [--limit-mib=150]
 *
 * Prints one JSON line per size and exits 1 when the day's peak RSS is above --limit-mib.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from '../../src/results/histogram.js';
import { ProtocolParser, assembleCyclic, singleRun } from '../../src/probe/protocol.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { latencySampler, rng } from './lib/synth.js';
import { parseArgs, vmHwmKiB } from './lib/util.js';

const M = '@@UNILAT ';
const CHUNK = 64 * 1024;

/** The protocol of a run of `seconds` at 1 kHz with `threads` threads, in pieces of about CHUNK bytes. */
export function* dayStream(seconds: number, threads: number): Generator<string> {
  const perSec = 1000;
  const intervalNs = 1_000_000;
  let lines = 0;
  let buf = '';
  function* emit(obj: unknown): Generator<string> {
    buf += M + JSON.stringify(obj) + '\n';
    lines++;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield* emit({
    type: 'hello', mode: 'cyclic', version: '1.0.0', protocol: 1, pid: 4242, uid: 0, requested: { policy: 'fifo', priority: 80 }, policy: 'fifo', priority: 80,
    threads, affinity: [], mlockall: true, dmaLatency: false, clockResolutionNs: 1, loopOverheadNs: 16, kernel: '6.1.0-rt', kernelVersion: '#1 SMP PREEMPT_RT',
    machine: 'x86_64', preempt: 'PREEMPT_RT', uptimeS: 100, realtime: 1, isolatedCpus: '', cpus: 4, timerSlackNs: 50000, histogram: { layout: 'loglin7', buckets: 4480 },
    intervalNs, distanceNs: 0, durationMs: seconds * 1000, loops: 0, spikeThresholdNs: 100000, raw: false,
    threadInfo: Array.from({ length: threads }, (_, t) => ({ thread: t, tid: 5000 + t, cpu: null, policy: 'fifo', priority: 80, intervalNs })),
  });
  for (let s = 1; s <= seconds; s++) yield* emit({ type: 'progress', elapsedMs: s * 1000, totalMs: seconds * 1000, samples: s * perSec * threads });
  const perThread = seconds * perSec;
  for (let t = 0; t < threads; t++) {
    // A realistic shape from 1000 drawn samples, scaled to the thread's count; the series is made to agree with it.
    const h = new Histogram();
    const draw = latencySampler(11 + t);
    for (let i = 0; i < 1000; i++) h.record(draw());
    const d = h.toData();
    const k = perThread / 1000;
    yield* emit({ type: 'hist', thread: t, cpu: null, intervalNs, count: perThread, min: d.min, max: d.max, sum: d.sum * k, sumSq: d.sumSq * k, overruns: 0, overflows: 0, early: 0, clockBackwards: 0, bins: d.bins.map(([b, n]) => [b, n * k]) });
    const r = rng(101 + t);
    const mean = Math.round(d.sum / d.count);
    for (let s0 = 0; s0 < seconds; s0 += 1000) {
      const points: number[][] = [];
      for (let s = s0; s < Math.min(seconds, s0 + 1000); s++) {
        const max = Math.round(mean + r() * (d.max! - mean));
        points.push([s, perSec, d.min!, max, mean * perSec]);
      }
      yield* emit({ type: 'series', thread: t, points });
    }
    yield* emit({ type: 'spikes', thread: t, threshold: 100000, points: [], dropped: 0 });
  }
  yield* emit({ type: 'done', mode: 'cyclic', samples: perThread * threads, lines, exit: 0 });
  if (buf) yield buf;
}

interface Measured {
  seconds: number;
  threads: number;
  samples: number;
  wallSeconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  baselineRssMiB: number;
  resultJsonBytes: number;
  seriesPoints: number;
  seriesSeconds: number;
  parserMessages: number;
}

/** One measurement, in this process. */
function measure(seconds: number, threads: number): Measured {
  const baseline = vmHwmKiB();
  const t0 = process.hrtime.bigint();
  let peakHeap = 0;
  const parser = new ProtocolParser();
  for (const chunk of dayStream(seconds, threads)) {
    parser.push(chunk);
    const heap = process.memoryUsage().heapUsed;
    if (heap > peakHeap) peakHeap = heap;
  }
  parser.end();
  const pieces = assembleCyclic(singleRun(parser.messages, parser.noise()), parser.noise());
  const latency = summarizeLatency(pieces.latency);
  const json = JSON.stringify({ status: 'completed', applied: pieces.applied, latency, warnings: pieces.warnings });
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const t = latency.threads[0] as { series: unknown[]; seriesSeconds?: number };
  return {
    seconds,
    threads,
    samples: latency.count,
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    peakRssMiB: vmHwmKiB() / 1024,
    peakHeapMiB: peakHeap / 2 ** 20,
    baselineRssMiB: baseline / 1024,
    resultJsonBytes: json.length,
    seriesPoints: t.series.length,
    seriesSeconds: t.seriesSeconds ?? 1,
    parserMessages: parser.messages.length,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const threads = Number(args.threads ?? 4);
  if (args.child) {
    process.stdout.write(`${JSON.stringify(measure(Number(args.child), threads))}\n`);
  } else {
    const limit = Number(args['limit-mib'] ?? 150);
    const sizes = (args.seconds ?? '3600,21600,86400').split(',').map(Number);
    let last: Measured | null = null;
    for (const s of sizes) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), `--child=${s}`, `--threads=${threads}`], { encoding: 'utf8' });
      last = JSON.parse(out) as Measured;
      process.stdout.write(out);
    }
    if (last && last.peakRssMiB > limit) {
      process.stderr.write(`peak RSS ${last.peakRssMiB.toFixed(0)} MiB for ${last.seconds} s x ${threads} threads, above ${limit} MiB\n`);
      process.exitCode = 1;
    }
  }
}
