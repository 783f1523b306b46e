/**
 * Pure mapping from a `cyclicdeadline` benchmark to rt-tests' cyclicdeadline argument vector.
 * Checked against rt-tests 2.4 (Debian 12, `cyclicdeadline V 2.40`):
 *  - thread i runs SCHED_DEADLINE with deadline = period = interval + i * step (-i, -s: whole
 *    us; its own default step is 500 us, so the step is always passed) and a runtime it picks:
 *    60% of that period, or nr_cpus * 80 / threads percent when threads outnumber the CPUs;
 *  - runtimes below 2 ms need HRTICK in debugfs' sched features: cyclicdeadline switches it
 *    on itself (and leaves it on), or stops when it cannot (bench/cyclicdeadline.ts checks first);
 *  - without -a it runs in an exclusive cpuset on the last CPU; with a subset of the CPUs, in
 *    an exclusive cgroup-v1 cpuset, every other task of the host moved out of it for the run.
 *    `-a` with no list (all CPUs) needs neither, and it takes the next argument as its list, so
 *    it is passed last; a list is passed as --affinity=LIST. -a also sets the thread count to
 *    the CPU count unless -t came before it, so -t comes first;
 *  - -D is whole seconds; -q prints one summary line per thread at the end; --json=FILE writes
 *    per thread cycles, min, max and avg (us), no histogram;
 *  - mlockall always; /dev/cpu_dma_latency is left alone.
 */
import { InputError } from '../../errors.js';
import type { Warning } from '../../results/types.js';
import type { CyclicdeadlineBenchmark } from '../../scenario/schema.js';
import { roundUs, wholeSeconds } from '../cyclictest/args.js';

/** Runtimes below this (us) need HRTICK. */
export const HRTICK_RUNTIME_US = 2000;

/** What the harness asked cyclicdeadline for, after rounding to its units, and what it will run. */
export interface CyclicdeadlineRequest {
  threads: number;
  intervalUs: number;
  stepUs: number;
  /** The CPUs asked for; null: all of them. */
  affinity: number[] | null;
  /** cyclicdeadline makes cpusets (a subset of the CPUs). */
  cpuset: boolean;
  durationS: number;
  /** Percent of each period cyclicdeadline gives as runtime. */
  percent: number;
  /** Per thread, as cyclicdeadline will run them (us): period = deadline, and runtime. */
  periodsUs: number[];
  runtimesUs: number[];
  /** Per thread interval in ns (its period). */
  threadIntervalsNs: number[];
}

export interface CyclicdeadlineArgs {
  argv: string[];
  request: CyclicdeadlineRequest;
  warnings: Warning[];
}

/** The runtime percentage cyclicdeadline picks for `threads` threads on `cpus` CPUs. */
export function runtimePercent(threads: number, cpus: number): number {
  return threads > cpus ? Math.floor((cpus * 80) / threads) : 60;
}

/** The shortest interval (us) whose runtime needs no HRTICK at `percent`. */
export function hrtickFreeIntervalUs(percent: number): number {
  return Math.ceil((HRTICK_RUNTIME_US * 100) / percent);
}

/**
 * Builds the argv (starting with `binary`) for a target with `cpuCount` CPUs. Throws
 * InputError for what cyclicdeadline cannot run: a runtime, deadline or period other than the
 * ones it picks, CPUs the target does not have.
 */
export function buildCyclicdeadlineArgs(
  bench: CyclicdeadlineBenchmark,
  durationNs: number,
  opts: { jsonFile: string; cpuCount: number; binary?: string },
): CyclicdeadlineArgs {
  const warnings: Warning[] = [];
  const where = `benchmark ${bench.name}`;
  const problems: string[] = [];
  const threads = bench.threads;
  const intervalUs = roundUs(bench.interval, 'interval', warnings, 1, 'cyclicdeadline');
  const stepUs = roundUs(bench.distance, 'distance', warnings, 0, 'cyclicdeadline');
  const affinity = bench.affinity ?? null;
  const missing = (affinity ?? []).filter((c) => c >= opts.cpuCount);
  if (missing.length) problems.push(`${where}: affinity: CPU ${missing.join(', ')} not on the target (it has ${opts.cpuCount} CPUs)`);
  const cpuset = affinity !== null && new Set(affinity).size < opts.cpuCount;
  const cpus = cpuset ? new Set(affinity).size : opts.cpuCount;
  const percent = runtimePercent(threads, cpus);
  const periodsUs = Array.from({ length: threads }, (_, i) => intervalUs + i * stepUs);
  const runtimesUs = periodsUs.map((p) => Math.floor((p * percent) / 100));
  const us = (ns: number) => Math.round(ns / 1000);
  if (bench.runtime !== undefined && us(bench.runtime) !== runtimesUs[0])
    problems.push(
      `${where}: runtime: cyclicdeadline sets the runtime itself, ${percent}% of each period: ${runtimesUs[0]} us for an interval of ${intervalUs} us` +
        `${threads > 1 ? ' (thread 0)' : ''}, not ${us(bench.runtime)} us; leave runtime out or give ${runtimesUs[0]}us`,
    );
  for (const knob of ['deadline', 'period'] as const) {
    const v = bench[knob];
    if (v !== undefined && us(v) !== intervalUs)
      problems.push(`${where}: ${knob}: cyclicdeadline runs deadline = period = interval (${intervalUs} us), not ${us(v)} us; leave ${knob} out or give the interval`);
  }
  if (problems.length) throw new InputError(problems);
  if (cpuset)
    warnings.push({
      code: 'cyclicdeadline-cpuset',
      message: `cyclicdeadline ran its threads in an exclusive cpuset on CPUs ${affinity!.join(',')} and moved every other task of the host into a cpuset of the other CPUs for the run`,
    });

  const durationS = wholeSeconds(bench.duration ?? durationNs, 'cyclicdeadline', warnings);
  const argv = [opts.binary ?? 'cyclicdeadline', '-t', String(threads), '-i', String(intervalUs), '-s', String(stepUs), '-D', String(durationS), '-q', `--json=${opts.jsonFile}`];
  argv.push(affinity && cpuset ? `--affinity=${affinity.join(',')}` : '-a');
  return {
    argv,
    request: { threads, intervalUs, stepUs, affinity, cpuset, durationS, percent, periodsUs, runtimesUs, threadIntervalsNs: periodsUs.map((p) => p * 1000) },
    warnings,
  };
}
