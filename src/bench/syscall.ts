/**
 * The probe's syscall mode: ns per operation, a function call against system calls, measured by
 * the probe wherever the deployment runs it; with `perf: true`, perf's getppid figure beside it
 * on bare metal.
 */
import type { ProbeInvocation } from '../deploy/types.js';
import { assembleSyscall } from '../probe/protocol.js';
import type { SyscallBenchmark } from '../scenario/schema.js';
import { summarizeOps } from '../stats/summary.js';
import type { ProbeBenchmark } from './benchmark.js';
import { perfSyscallBasic } from './perf-syscall.js';

export const syscall: ProbeBenchmark<SyscallBenchmark> = {
  kind: 'syscall',
  runs: 'probe',
  expectedMs: (step) => syscallInvocation(step.benchmark).expectedMs,
  invocation: (step) => syscallInvocation(step.benchmark),
  async measured(step, run, noise, c) {
    const pieces = assembleSyscall(run, noise);
    const { ops, ratios } = summarizeOps(pieces.ops);
    const warnings = [...pieces.warnings];
    if (step.benchmark.perf) {
      if (step.deployment.kind !== 'bare-metal') warnings.push({ code: 'no-perf', message: 'the perf cross-check runs on bare metal only' });
      else {
        const p = await perfSyscallBasic(c.transport, c.signal);
        warnings.push(...p.warnings);
        // Named apart from the probe's ops: it is another instrument's figure for the same call.
        if (p.op) ops['perf:getppid'] = p.op;
      }
    }
    return { status: 'completed', applied: pieces.applied, ops, ratios, warnings };
  },
};

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
