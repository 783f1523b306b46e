/** A large synthetic run record for the report-writing benchmarks (`npm run bench`, `npm run bench:report`). */
import { Histogram, mergeHistograms } from '../../../src/results/histogram.js';
import { SCHEMA_VERSION, type Result, type RunRecord } from '../../../src/results/types.js';
import { summarize } from '../../../src/stats/quantiles.js';
import { testScenario } from '../../stats/synth.js';
import { latencySampler } from './synth.js';

/** A run record with `n` latency results (2 threads, `seconds` of series, spikes) and n/4 ops results. */
export function bigRecord(n: number, seconds: number): RunRecord {
  const draw = latencySampler(11);
  const results: Result[] = [];
  const hist = () => {
    const h = new Histogram();
    for (let i = 0; i < 20_000; i++) h.record(draw());
    const d = h.toData();
    // Scale to a realistic count without drawing millions of samples per result.
    return { ...d, bins: d.bins.map(([i, c]) => [i, c * 60] as [number, number]), count: d.count * 60, sum: d.sum * 60, sumSq: d.sumSq * 60 };
  };
  for (let k = 0; k < n; k++) {
    const threads = [0, 1].map((t) => {
      const histogram = hist();
      return {
        thread: t,
        cpu: t,
        intervalNs: 1_000_000,
        summary: summarize(histogram),
        histogram,
        series: Array.from({ length: seconds }, (_, s) => ({ t: s, count: 1000, min: 1800, max: 9000 + (s % 7) * 1000, mean: 3100 })),
      };
    });
    const histogram = mergeHistograms(threads.map((t) => t.histogram));
    results.push({
      kind: 'cyclic', status: 'completed', deployment: `dep${k % 4}`, benchmark: `bench${k % 5}`, host: `host${k % 16}`, repetition: 1 + (k % 5), order: k,
      startedAt: new Date(0).toISOString(), endedAt: new Date(seconds * 1000).toISOString(), warnings: k % 10 ? [] : [{ code: 'overruns', message: '3 periods were skipped' }],
      applied: { mode: 'cyclic', policy: 'fifo', priority: 80, threads: 2, affinity: [0, 1], mlockall: true, dmaLatency: false, clockResolutionNs: 1, probeVersion: '1.0.0' },
      latency: { ...summarize(histogram), histogram, threads, spikes: Array.from({ length: 100 }, (_, i) => ({ thread: i & 1, t: i * 1e9, latency: 120_000 + i })), spikesDropped: 0, overflows: 0 },
    });
  }
  for (let k = 0; k < n / 4; k++) {
    const op = (base: number) => {
      const raw = Array.from({ length: 100 }, (_, i) => base * (1 + ((i * 37) % 11) / 200));
      return { nsPerOp: base, ciLow: base * 0.99, ciHigh: base * 1.01, samples: 100, iterationsPerBatch: 10_000, raw };
    };
    const ops = { loop: op(0.12), func: op(0.34), indirect: op(1), clock_gettime: op(16), getppid: op(76), read: op(105) };
    results.push({
      kind: 'syscall', status: 'completed', deployment: `dep${k % 4}`, benchmark: 'syscall', host: `host${k % 16}`, repetition: 1 + (k % 5), order: n + k,
      startedAt: new Date(0).toISOString(), endedAt: new Date(1000).toISOString(), warnings: [], applied: null, ops, ratios: { clock_gettime: 47, getppid: 223, read: 308 },
    });
  }
  return {
    schemaVersion: SCHEMA_VERSION, id: 'bench', tool: { name: 'unilat', version: 'bench' }, startedAt: new Date(0).toISOString(), endedAt: new Date(1).toISOString(),
    status: 'completed', scenario: testScenario('bench', { description: 'synthetic large run' }), scenarioFile: null, facts: {}, readiness: {}, tuning: [], results, warnings: [], hostErrors: {},
  };
}
