/** Synthetic latencies and run records for the statistics tests (deterministic, seeded). */
import { Histogram, type HistogramData } from '../../src/results/histogram.js';
import {
  SCHEMA_VERSION,
  type CompletedLatencyResult,
  type CompletedOpsResult,
  type FailedResult,
  type Result,
  type RunRecord,
} from '../../src/results/types.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from '../../src/scenario/schema.js';
import { summarize } from '../../src/stats/quantiles.js';
import { makeRng, normalDraw, type Rng } from '../../src/stats/dist.js';

export { makeRng };

/** Lognormal-ish latencies in ns: median `medianNs`, log-sd `sigma`, scaled by `scale`. */
export function lognormalSamples(rng: Rng, n: number, medianNs = 5000, sigma = 0.35, scale = 1): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(scale * medianNs * Math.exp(sigma * normalDraw(rng)));
  return out;
}

export function histogramOf(samples: readonly number[]): HistogramData {
  const h = new Histogram();
  for (const v of samples) h.record(v);
  return h.toData();
}

interface Where {
  deployment?: string;
  benchmark?: string;
  host?: string;
  repetition?: number;
}

/** The fields every result has, for a synthetic result at `w`. */
function resultBase(w: Where, benchmark: string, kind: 'cyclic' | 'syscall') {
  return {
    deployment: w.deployment ?? 'bare',
    benchmark: w.benchmark ?? benchmark,
    host: w.host ?? 'local',
    repetition: w.repetition ?? 1,
    order: 0,
    kind,
    startedAt: '2024-01-01T00:00:00Z',
    endedAt: '2024-01-01T00:00:10Z',
    warnings: [],
  };
}

export function latencyResult(samples: readonly number[], w: Where = {}): CompletedLatencyResult {
  const histogram = histogramOf(samples);
  return {
    ...resultBase(w, 'cyclic', 'cyclic'),
    status: 'completed',
    applied: null,
    latency: { ...summarize(histogram), histogram, threads: [], spikes: [], spikesDropped: 0 },
  };
}

export function opsResult(perOp: Record<string, number[]>, w: Where = {}): CompletedOpsResult {
  const ops: CompletedOpsResult['ops'] = {};
  for (const [op, raw] of Object.entries(perOp)) {
    const s = [...raw].sort((a, b) => a - b);
    const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    ops[op] = { nsPerOp: med, ciLow: s[0], ciHigh: s[s.length - 1], samples: s.length, iterationsPerBatch: 1000, raw: [...raw] };
  }
  return {
    ...resultBase(w, 'syscall', 'syscall'),
    status: 'completed',
    applied: null,
    ops,
    ratios: {},
  };
}

export function failedResult(w: Where = {}): FailedResult {
  return {
    ...resultBase(w, 'cyclic', 'cyclic'),
    status: 'failed',
    error: 'probe exited 1',
  };
}

/** A scenario as the real schema resolves it (defaults filled in). */
export function testScenario(name: string, over: Partial<ScenarioInput> = {}): Scenario {
  return scenarioSchema.parse({ name, hosts: ['local'], deployments: [{ name: 'bare', kind: 'bare-metal' }], benchmarks: [{ name: 'cyclic', kind: 'cyclic' }], ...over });
}

export function runRecord(id: string, results: Result[], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    id,
    tool: { name: 'unilat', version: '0.1.0' },
    startedAt: '2024-01-01T00:00:00Z',
    endedAt: '2024-01-01T00:01:00Z',
    status: 'completed',
    scenario: testScenario('synthetic'),
    scenarioFile: null,
    facts: {},
    readiness: {},
    tuning: [],
    results,
    warnings: [],
    hostErrors: {},
    ...extra,
  };
}

/**
 * Autocorrelated latencies: log-latency is an AR(1) process with coefficient `phi` and the
 * same marginal as lognormalSamples (median `medianNs`, log-sd `sigma`), scaled by `scale`.
 * phi = 0 gives independent samples.
 */
export function ar1Samples(rng: Rng, n: number, phi: number, medianNs = 5000, sigma = 0.35, scale = 1): number[] {
  const out = new Array<number>(n);
  const innov = Math.sqrt(1 - phi * phi);
  let x = normalDraw(rng);
  for (let i = 0; i < n; i++) {
    x = phi * x + innov * normalDraw(rng);
    out[i] = Math.round(scale * medianNs * Math.exp(sigma * x));
  }
  return out;
}

/**
 * A cyclic result with per-thread histograms and per-second series, as the probe reports it:
 * `threads[k]` are thread k's samples in time order, `perSecond` of them per series point.
 */
export function threadedLatencyResult(threads: ReadonlyArray<readonly number[]>, perSecond = 1000, w: Where = {}): CompletedLatencyResult {
  const all = latencyResult(threads.flat(), w);
  all.latency.threads = threads.map((samples, thread) => {
    const histogram = histogramOf(samples);
    const series = [];
    for (let t = 0; t * perSecond < samples.length; t++) {
      const s = samples.slice(t * perSecond, (t + 1) * perSecond);
      series.push({ t, count: s.length, min: Math.min(...s), max: Math.max(...s), mean: s.reduce((a, v) => a + v, 0) / s.length });
    }
    return { thread, cpu: thread, intervalNs: 1e6, summary: summarize(histogram), histogram, series };
  });
  return all;
}
