/**
 * `npm run bench:syscall-cv`: where the syscall benchmark's repetition-to-repetition variation
 * comes from. Every configuration is one probe process (a repetition); rounds interleave the
 * configurations so slow drift of the machine hits each alike. For each configuration it prints
 * the coefficient of variation (CV) across repetitions of each op's figure (the median of its
 * batches), and of two other estimators (the minimum and the lower quartile of the batches).
 * Then two probes at once, one per CPU: the correlation of their 100 ms medians tells whether the
 * variation is shared by the whole machine (a host's, not the probe's).
 * Options: --rounds=N (10), --batches=N (200), --out=FILE. Figures are reported, never asserted.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { median, sorted } from '../../src/stats/median.js';
import { quartiles } from '../../src/stats/sample-quantiles.js';
import { compileProbe, cleanupProbes } from '../helpers/probe.js';
import { cv, machine, mean, parseArgs } from './lib/util.js';

const execFileP = promisify(execFile);
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 10);
const BATCHES = Number(args.batches ?? 200);
const OPS = ['loop', 'func', 'clock_gettime', 'getppid', 'read'];

interface Config {
  name: string;
  argv: string[];
}

/** One probe process: per op, its batches' ns/op in the order measured. */
async function probe(bin: string, argv: string[]): Promise<Record<string, number[]>> {
  const { stdout } = await execFileP(bin, ['syscall', ...argv], { maxBuffer: 64 << 20 });
  const ops: Record<string, number[]> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('@@UNILAT ')) continue;
    const m = JSON.parse(line.slice(9)) as { type: string; name?: string; samples?: number[] };
    if (m.type === 'op' && m.name && m.samples) ops[m.name] = m.samples;
  }
  return ops;
}

const ESTIMATORS: Record<string, (xs: readonly number[]) => number> = {
  median: (xs) => median(sorted(xs)),
  q1: (xs) => quartiles(xs).q1,
  min: (xs) => Math.min(...xs),
};

function correlation(a: readonly number[], b: readonly number[]): number {
  const [ma, mb] = [mean(a), mean(b)];
  let c = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) {
    c += (a[i] - ma) * (b[i] - mb);
    sa += (a[i] - ma) ** 2;
    sb += (b[i] - mb) ** 2;
  }
  return c / Math.sqrt(sa * sb);
}

const windows = (xs: readonly number[], w: number) => Array.from({ length: Math.floor(xs.length / w) }, (_, i) => median(sorted(xs.slice(i * w, (i + 1) * w))));

async function main(): Promise<void> {
  const bin = await compileProbe();
  // As the harness runs it by default: SCHED_FIFO 80, pinned.
  const common = ['--batches', String(BATCHES), '--ops', OPS.join(','), '--policy', 'fifo', '--priority', '80'];
  const configs: Config[] = [
    { name: 'cpu0, ~1 ms batches, FIFO 80 (the default)', argv: [...common, '--cpu', '0'] },
    { name: 'cpu1, ~1 ms batches', argv: [...common, '--cpu', '1'] },
    { name: 'cpu0, 800 iterations per batch', argv: [...common, '--cpu', '0', '--batch', '800'] },
    { name: 'cpu0, 80000 iterations per batch', argv: [...common.slice(2), '--batches', String(Math.max(5, BATCHES / 10)), '--cpu', '0', '--batch', '80000'] },
    { name: 'cpu0, SCHED_OTHER', argv: ['--batches', String(BATCHES), '--ops', OPS.join(','), '--cpu', '0', '--policy', 'other'] },
  ];
  const reps = new Map<string, Array<Record<string, number[]>>>(configs.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) for (const c of configs) reps.get(c.name)!.push(await probe(bin, c.argv));

  const lines: string[] = [];
  const m = machine();
  lines.push(`machine: ${m.cpu}, ${m.cores} CPUs${m.hypervisor ? ` (${m.hypervisor} guest)` : ""}, kernel ${m.kernel}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${ROUNDS} interleaved repetitions per configuration, ${BATCHES} batches per op`);
  lines.push('');
  lines.push(`| configuration | estimator | ${OPS.join(' | ')} |`);
  lines.push(`|---|---|${OPS.map(() => '---:').join('|')}|`);
  for (const c of configs)
    for (const [est, f] of Object.entries(ESTIMATORS)) {
      const cells = OPS.map((op) => {
        const figures = reps.get(c.name)!.map((rep) => f(rep[op] ?? []));
        return `${(100 * cv(figures)).toFixed(2)}% (${mean(figures).toFixed(1)} ns)`;
      });
      lines.push(`| ${c.name} | ${est} | ${cells.join(' | ')} |`);
    }

  // Two probes at once, one per CPU, getppid only: does the other CPU see the same slow changes?
  const long = ['--ops', 'getppid', '--batches', '3000', '--policy', 'fifo', '--priority', '80'];
  const [a, b] = await Promise.all([probe(bin, [...long, '--cpu', '0']), probe(bin, [...long, '--cpu', '1'])]);
  const [wa, wb] = [windows(a.getppid, 100), windows(b.getppid, 100)];
  const n = Math.min(wa.length, wb.length);
  lines.push('');
  lines.push(`two probes at once (getppid, 3000 batches of ~1 ms each, one per CPU): medians of 100 batches, cpu0 ${wa.map((x) => x.toFixed(0)).join(' ')}; cpu1 ${wb.map((x) => x.toFixed(0)).join(' ')}; correlation ${correlation(wa.slice(0, n), wb.slice(0, n)).toFixed(2)}; within-run spread of the 100-batch medians: cpu0 CV ${(100 * cv(wa)).toFixed(2)}%, cpu1 ${(100 * cv(wb)).toFixed(2)}%`);
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  if (args.out) writeFileSync(String(args.out), text);
  await cleanupProbes();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
