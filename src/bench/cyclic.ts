/** The probe's cyclic mode: cyclictest-style wake-up latency, measured by the probe wherever the deployment runs it. */
import type { ProbeInvocation } from '../deploy/types.js';
import { assembleCyclic } from '../probe/protocol.js';
import type { CyclicBenchmark, CyclictestBenchmark } from '../scenario/schema.js';
import { summarizeLatency } from '../stats/summary.js';
import type { ProbeBenchmark } from './benchmark.js';

export const cyclic: ProbeBenchmark<CyclicBenchmark> = {
  kind: 'cyclic',
  runs: 'probe',
  expectedMs: (step) => latencyExpectedMs(step.benchmark, step.durationNs),
  invocation: (step) => cyclicInvocation(step.benchmark, step.durationNs),
  async measured(_step, run, noise) {
    const pieces = assembleCyclic(run, noise);
    return { status: 'completed', applied: pieces.applied, latency: summarizeLatency(pieces.latency), warnings: pieces.warnings };
  },
};

/** How long a latency run takes (ms): its loops of the slowest thread's interval, else its duration. */
export function latencyExpectedMs(b: CyclicBenchmark | CyclictestBenchmark, durationNs: number): number {
  return b.loops !== undefined ? ((b.interval + (b.threads - 1) * b.distance) * b.loops) / 1e6 : durationNs / 1e6;
}

/** argv for the probe's cyclic mode; every value is its own argument (no shell). */
export function cyclicInvocation(b: CyclicBenchmark, durationNs: number): ProbeInvocation {
  const args = [
    '--threads', String(b.threads),
    '--interval', String(b.interval),
    '--distance', String(b.distance),
    '--priority', String(b.priority),
    '--policy', b.policy,
    '--spike-threshold', String(b.spikeThreshold),
    '--progress-ms', '1000',
  ];
  if (b.policy === 'deadline') {
    args.push('--runtime', String(b.runtime));
    if (b.deadline !== undefined) args.push('--deadline', String(b.deadline));
    args.push('--period', String(b.period ?? b.interval));
  }
  if (b.affinity) args.push('--affinity', b.affinity.join(','));
  if (b.mlockall) args.push('--mlockall');
  if (b.dmaLatency) args.push('--dma-latency');
  if (b.loops !== undefined) args.push('--loops', String(b.loops));
  else args.push('--duration-ms', String(Math.round(durationNs / 1e6)));
  return { mode: 'cyclic', args, expectedMs: latencyExpectedMs(b, durationNs) };
}
