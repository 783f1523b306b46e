/**
 * Cross-check of the probe's getppid figure with `perf bench syscall basic` (which times
 * getppid() calls too): same host, right after the probe, several repetitions for an interval.
 */
import { opStat } from '../stats/summary.js';
import type { OpStat, Warning } from '../results/types.js';
import type { Transport } from '../transport/transport.js';

const REPETITIONS = 7;
const LOOPS = 2_000_000;

/** Parses perf's "0.080142 usecs/op" line into ns/op. */
export function parsePerfSyscall(text: string): number | null {
  const m = /([\d.]+)\s+usecs\/op/.exec(text);
  return m ? Number(m[1]) * 1000 : null;
}

export async function perfSyscallBasic(t: Transport, signal?: AbortSignal): Promise<{ op?: OpStat; warnings: Warning[] }> {
  if ((await t.run(['sh', '-c', 'command -v perf'], { signal })).exitCode !== 0)
    return { warnings: [{ code: 'no-perf', message: `perf is not installed on ${t.name} (Debian: apt-get install linux-perf); no perf cross-check of getppid` }] };
  const raw: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const r = await t.run(['perf', 'bench', 'syscall', 'basic', '--loop', String(LOOPS)], { signal, timeoutMs: 120_000 });
    const ns = r.exitCode === 0 ? parsePerfSyscall(r.stdout) : null;
    if (ns === null)
      return { warnings: [{ code: 'perf-failed', message: `perf bench syscall basic failed on ${t.name}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}` }] };
    raw.push(ns);
  }
  return { op: opStat({ iterationsPerBatch: LOOPS, raw, cycles: null, cyclesReason: 'perf bench syscall reports time only' }), warnings: [] };
}
