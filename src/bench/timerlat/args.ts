/**
 * A `timerlat` benchmark as `rtla timerlat hist` options, for the rtla the target has: its
 * options differ between versions (Debian 12's 6.1 has no -u, --no-aa or -H), so what
 * `rtla timerlat hist --help` lists is read first and what is missing is said in warnings.
 *  - interval -> -p (the timer period, whole us; rtla takes 100 us to 1 s);
 *  - priority -> -P f:PRIO (SCHED_FIFO timerlat threads, as cyclictest's and the probe's);
 *  - affinity -> -c (the measured CPUs) and, where rtla has it, -H with the others (rtla's own
 *    threads kept off the measured CPUs);
 *  - the duration -> -d (whole seconds); dmaLatency -> --dma-latency 0;
 *  - always -n -b 1000 -E RANGE: ns figures (exact min, avg, max) in 1 us buckets, the
 *    histogram's range in us; --no-aa where rtla has it (no auto-analysis: no threshold is set);
 *  - userThreads -> -u where rtla has it (its user-space threads: a third latency, the return to
 *    user space, as cyclictest's threads see it); false -> -k where rtla has it (newer rtla runs
 *    user-space threads unless told otherwise).
 */
import { InputError } from '../../errors.js';
import type { Warning } from '../../results/types.js';
import type { TimerlatBenchmark } from '../../scenario/schema.js';
import { roundUs, wholeSeconds } from '../cyclictest/args.js';

/** The bucket width the harness asks for (ns, with -n). */
export const BUCKET_NS = 1000;
const PERIOD_RANGE_US = [100, 1_000_000] as const;

/** What the installed rtla's `timerlat hist --help` offers. */
export interface RtlaOptions {
  /** As its help's first line says ("(version 6.1)"); null where it does not. */
  version: string | null;
  userThreads: boolean;
  /** -k: kernel-space threads, where user-space ones are rtla's default. */
  kernelThreads: boolean;
  noAa: boolean;
  houseKeeping: boolean;
  nano: boolean;
  dmaLatency: boolean;
}

/** Reads the options from the help text; throws when it is not timerlat hist's help at all. */
export function rtlaOptions(help: string): RtlaOptions {
  if (!/timerlat hist/.test(help) || !/-p\/--period/.test(help)) throw new Error(`this is not rtla timerlat hist's --help: ${help.trim().split('\n').slice(0, 3).join(' | ') || '(nothing)'}`);
  return {
    version: /\(version ([^)\s]+)\)/.exec(help)?.[1] ?? null,
    userThreads: /-u\/--user-threads/.test(help),
    kernelThreads: /-k\/--kernel-threads/.test(help),
    noAa: /--no-aa\b/.test(help),
    houseKeeping: /-H\/--house-keeping/.test(help),
    nano: /-n\/--nano/.test(help),
    dmaLatency: /--dma-latency\b/.test(help),
  };
}

/** What the harness asked rtla for, in its units. */
export interface TimerlatRequest {
  periodUs: number;
  priority: number;
  /** The measured CPUs; null: all. */
  cpus: number[] | null;
  /** CPUs for rtla's own threads (-H); null: not set. */
  houseKeeping: number[] | null;
  durationS: number;
  dmaLatency: boolean;
  userThreads: boolean;
  noAa: boolean;
  /** The output's unit and bucket width in it, and the bucket count (-E). */
  unit: 'us' | 'ns';
  bucket: number;
  entries: number;
}

export interface TimerlatArgs {
  argv: string[];
  request: TimerlatRequest;
  /** Options of those the harness uses (-u, -H, --no-aa, --dma-latency) that this rtla lacks. */
  unavailable: string[];
  warnings: Warning[];
}

/** Builds the argv (starting with `binary`) for a target with `cpuCount` CPUs. Throws InputError for what rtla cannot run. */
export function buildTimerlatArgs(bench: TimerlatBenchmark, durationNs: number, o: { options: RtlaOptions; cpuCount: number; binary?: string }): TimerlatArgs {
  const warnings: Warning[] = [];
  const where = `benchmark ${bench.name}`;
  const periodUs = roundUs(bench.interval, 'interval', warnings, 1, 'rtla');
  if (periodUs < PERIOD_RANGE_US[0] || periodUs > PERIOD_RANGE_US[1]) throw new InputError(`${where}: interval: rtla timerlat takes a period of 100 us to 1 s, not ${periodUs} us`);
  const missing = (bench.affinity ?? []).filter((c) => c >= o.cpuCount);
  if (missing.length) throw new InputError(`${where}: affinity: CPU ${missing.join(', ')} not on the target (it has ${o.cpuCount} CPUs)`);
  const durationS = wholeSeconds(bench.duration ?? durationNs, 'rtla', warnings);
  const opt = o.options;
  const cpus = bench.affinity ? [...new Set(bench.affinity)].sort((a, b) => a - b) : null;
  const others = cpus ? Array.from({ length: o.cpuCount }, (_, c) => c).filter((c) => !cpus.includes(c)) : [];
  const houseKeeping = others.length && opt.houseKeeping ? others : null;
  const userThreads = bench.userThreads && opt.userThreads;
  const dmaLatency = bench.dmaLatency && opt.dmaLatency;
  // Every option of these the rtla lacks; the warning names those whose absence changed this run.
  const unavailable = [!opt.userThreads && '-u', !opt.houseKeeping && '-H', !opt.noAa && '--no-aa', !opt.dmaLatency && '--dma-latency'].filter((x): x is string => Boolean(x));
  const lost: string[] = [];
  if (bench.userThreads && !opt.userThreads) lost.push('-u (user-space threads): only the IRQ and thread latencies are measured, not the return to user space');
  if (others.length && !opt.houseKeeping) lost.push(`-H (house-keeping CPUs): rtla's own threads may run on the measured CPUs`);
  if (bench.dmaLatency && !opt.dmaLatency) lost.push('--dma-latency: /dev/cpu_dma_latency is left alone');
  const unit = opt.nano ? 'ns' : 'us';
  const bucket = opt.nano ? BUCKET_NS : 1;
  const entries = bench.histogram;
  const argv = [o.binary ?? 'rtla', 'timerlat', 'hist', '-d', String(durationS), '-p', String(periodUs), '-P', `f:${bench.priority}`];
  if (cpus) argv.push('-c', cpus.join(','));
  if (houseKeeping) argv.push('-H', houseKeeping.join(','));
  if (dmaLatency) argv.push('--dma-latency', '0');
  if (opt.nano) argv.push('-n');
  argv.push('-b', String(bucket), '-E', String(entries));
  if (opt.noAa) argv.push('--no-aa');
  if (userThreads) argv.push('-u');
  else if (opt.kernelThreads) argv.push('-k');
  if (lost.length) warnings.push({ code: 'rtla-options-missing', message: `rtla ${opt.version ?? '(version unknown)'} on the target lacks ${lost.join('; ')}` });
  return { argv, request: { periodUs, priority: bench.priority, cpus, houseKeeping, durationS, dmaLatency, userThreads, noAa: opt.noAa, unit, bucket, entries }, unavailable, warnings };
}
