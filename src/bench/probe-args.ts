import type { ProbeInvocation } from '../deploy/types.js';
import type { CyclicBenchmark, SyscallBenchmark } from '../scenario/schema.js';

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
  let expectedMs: number;
  if (b.loops !== undefined) {
    args.push('--loops', String(b.loops));
    expectedMs = ((b.interval + (b.threads - 1) * b.distance) * b.loops) / 1e6;
  } else {
    args.push('--duration-ms', String(Math.round(durationNs / 1e6)));
    expectedMs = durationNs / 1e6;
  }
  return { mode: 'cyclic', args, expectedMs };
}

export function syscallInvocation(b: SyscallBenchmark): ProbeInvocation {
  const args = [
    '--batch', String(b.batch),
    '--batches', String(b.batches),
    '--warmup', String(b.warmup),
    '--cpu', String(b.cpu),
    '--ops', b.ops.join(','),
    '--priority', String(b.priority),
    '--policy', b.policy,
  ];
  // Calibrated batches take about 1 ms; a fixed batch is costed at a slow 500 ns per iteration.
  const perBatchMs = b.batch ? (b.batch * 500) / 1e6 : 1;
  const expectedMs = Math.max(2000, (b.batches + b.warmup) * b.ops.length * perBatchMs);
  return { mode: 'syscall', args, expectedMs };
}
