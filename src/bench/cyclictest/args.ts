/**
 * Pure mapping from a `cyclictest` benchmark (scenario schema) to a cyclictest 2.x argument
 * vector. Checked against rt-tests 2.4 (Debian 12, `cyclictest V 2.40`):
 *  - `-a`/`-t` take an *optional* argument in getopt; older cyclictest versions read a separate
 *    "0" or "0-1" token as "no argument" (atoi == 0), so affinity is passed as `--affinity=LIST`.
 *  - `-h` makes cyclictest ignore the distance (it prints "distance is ignored and set to 0").
 *  - `-p` forces SCHED_FIFO unless the policy is rr, so policy other is passed without `-p`.
 *  - `-D` is whole seconds (m/h/d suffixes); `2s` parses as 2.
 *  - there is no SCHED_DEADLINE in `--policy` (other, normal, batch, idle, fifo, rr).
 */
import { InputError } from '../../errors.js';
import type { Warning } from '../../results/types.js';
import type { CyclictestBenchmark } from '../../scenario/schema.js';
import { parseCpuList } from '../../scenario/units.js';

/** Histogram range (us) used when the scenario asks for none but a histogram changes nothing measured. */
export const AUTO_HISTOGRAM_US = 10_000;

/** What the harness asked cyclictest for, after rounding to cyclictest's units. */
export interface CyclictestRequest {
  threads: number;
  intervalUs: number;
  /** 0 when a histogram is on: cyclictest ignores the distance then. */
  distanceUs: number;
  policy: 'fifo' | 'rr' | 'other';
  /** null for policy other (no real-time priority). */
  priority: number | null;
  affinity: number[] | null;
  mlockall: boolean;
  dmaLatency: boolean;
  durationS: number | null;
  loops: number | null;
  histogramUs: number | null;
  /** The histogram was added by the harness (the scenario asked for none). */
  histogramAuto: boolean;
  /** cyclictest reports in ns (`-N` among the free args). */
  nsecs: boolean;
  /** Per-thread interval in ns, as cyclictest will run them. */
  threadIntervalsNs: number[];
}

export interface CyclictestArgs {
  argv: string[];
  request: CyclictestRequest;
  warnings: Warning[];
}

/** Free arguments that would break what the harness reads back. */
const RESERVED = ['--json', '--histfile', '-v', '--verbose', '-o', '--oscope', '-F', '--fifo', '-q', '--quiet', '-S', '--smp'];

/**
 * Builds the cyclictest argv (starting with `binary`). Throws InputError for what cyclictest
 * cannot do (policy deadline) and for free args that would break the harness' own output.
 */
export function buildCyclictestArgs(
  bench: CyclictestBenchmark,
  durationNs: number,
  opts: { jsonFile: string; binary?: string },
): CyclictestArgs {
  const warnings: Warning[] = [];
  const where = `benchmark ${bench.name}`;
  if (bench.policy === 'deadline')
    throw new InputError(
      `${where}: cyclictest 2.x has no SCHED_DEADLINE policy (--policy takes other, normal, batch, idle, fifo, rr); ` +
        'use kind: cyclic with policy: deadline, or rt-tests\' cyclicdeadline through a load/command',
    );
  for (const a of bench.args) {
    const flag = a.split('=')[0];
    if (RESERVED.includes(flag) || (/^-[A-Za-z]{2,}$/.test(a) && /[vqS]/.test(a.slice(1))))
      throw new InputError(`${where}: args: "${a}" conflicts with the options the harness sets itself (${RESERVED.join(' ')})`);
  }
  const nsecs = bench.args.some((a) => a === '-N' || a === '--nsecs');

  const argv = [opts.binary ?? 'cyclictest'];
  const threads = bench.threads;
  argv.push('-t', String(threads));

  const intervalUs = roundUs(bench.interval, 'interval', warnings, 1);
  argv.push('-i', String(intervalUs));

  let histogramUs: number | null = bench.histogram ?? null;
  let histogramAuto = false;
  const askedDistanceUs = roundUs(bench.distance, 'distance', warnings, 0);
  // cyclictest's -h zeroes the distance; so a histogram is added only where that changes nothing.
  if (histogramUs === null && (threads === 1 || askedDistanceUs === 0)) {
    histogramUs = AUTO_HISTOGRAM_US;
    histogramAuto = true;
  }
  let distanceUs = askedDistanceUs;
  if (histogramUs !== null) {
    if (askedDistanceUs !== 0 && threads > 1)
      warnings.push({
        code: 'cyclictest-distance-ignored',
        message: `cyclictest ignores distance (${askedDistanceUs} us) when a histogram is on: all ${threads} threads run at ${intervalUs} us`,
      });
    distanceUs = 0;
  } else {
    // Always explicit: cyclictest's own default distance is 500 us.
    argv.push('-d', String(distanceUs));
    warnings.push({
      code: 'cyclictest-no-histogram',
      message: `no histogram (distance ${distanceUs} us with ${threads} threads, and -h would zero the distance): only min/avg/max, no percentiles`,
    });
  }

  const policy = bench.policy;
  let priority: number | null = null;
  if (policy === 'other') {
    // -p would switch cyclictest to SCHED_FIFO.
    argv.push('--policy=other');
  } else {
    priority = bench.priority;
    argv.push('-p', String(priority), `--policy=${policy}`);
  }

  const affinity = bench.affinity ?? null;
  if (affinity) argv.push(`--affinity=${affinity.join(',')}`);
  if (bench.mlockall) argv.push('-m');
  // cyclictest holds /dev/cpu_dma_latency at 0 by default; --default-system leaves power management alone.
  if (!bench.dmaLatency) argv.push('--default-system');

  let durationS: number | null = null;
  let loops: number | null = null;
  if (bench.loops !== undefined) {
    loops = bench.loops;
    argv.push('-l', String(loops));
  } else {
    durationS = wholeSeconds(bench.duration ?? durationNs, 'cyclictest', warnings);
    argv.push('-D', `${durationS}s`);
  }
  if (histogramUs !== null) argv.push('-h', String(histogramUs));
  argv.push(`--json=${opts.jsonFile}`, '-q', ...bench.args);

  const threadIntervalsNs = Array.from({ length: threads }, (_, i) => (intervalUs + i * distanceUs) * 1000);
  return {
    argv,
    request: {
      threads,
      intervalUs,
      distanceUs,
      policy,
      priority,
      affinity,
      mlockall: bench.mlockall,
      dmaLatency: bench.dmaLatency,
      durationS,
      loops,
      histogramUs,
      histogramAuto,
      nsecs,
      threadIntervalsNs,
    },
    warnings,
  };
}

/** A time in ns as the whole us an rt-tests tool takes (at least `min`), with a warning when that rounds it. */
export function roundUs(ns: number, what: string, warnings: Warning[], min: number, tool = 'cyclictest'): number {
  const us = Math.max(min, Math.round(ns / 1000));
  if (Math.abs(us * 1000 - ns) >= 1)
    warnings.push({ code: `${tool}-rounded`, message: `${tool} takes ${what} in whole us: ${ns} ns runs as ${us} us` });
  return us;
}

/** A duration in ns as the whole seconds (at least 1) an rt-tests tool's -D takes, with a warning when that rounds it. */
export function wholeSeconds(ns: number, tool: string, warnings: Warning[]): number {
  const s = Math.max(1, Math.ceil(ns / 1e9 - 1e-9));
  if (Math.abs(s * 1e9 - ns) > 1e6) warnings.push({ code: `${tool}-duration-rounded`, message: `${tool} -D takes whole seconds: ${ns / 1e9} s runs as ${s} s` });
  return s;
}

/** What a cyclictest command line (as in its JSON "cmdline:") says about units, intervals and how its threads ran. */
export interface CmdlineInfo {
  intervalUs: number;
  distanceUs: number;
  histogramUs: number | null;
  nsecs: boolean;
  /** The policy cyclictest set: -p makes it fifo unless rr was asked for; without -p and --policy, other. */
  policy: string;
  /** Real-time priority (-p); null for policy other. */
  priority: number | null;
  /** CPUs given to -a/--affinity; null when the threads were not pinned by the command line. */
  affinity: number[] | null;
  mlockall: boolean;
  /** /dev/cpu_dma_latency held at 0: cyclictest's default, off with --default-system. */
  dmaLatency: boolean;
}

/** Reads the options that change how cyclictest's output is to be read, and how its threads ran. Unknown options are skipped. */
export function parseCyclictestCmdline(cmdline: string): CmdlineInfo {
  const tok = cmdline.trim().split(/\s+/).slice(1);
  const info = { intervalUs: 1000, distanceUs: 500, histogramUs: null as number | null, nsecs: false, priority: 0, affinity: null as number[] | null, mlockall: false, dmaLatency: true };
  let policy: string | null = null;
  const valueOf = (i: number, short: string, long: string): [string | undefined, number] => {
    const t = tok[i];
    if (t === short || t === long) return [tok[i + 1], 1];
    if (t.startsWith(`${long}=`)) return [t.slice(long.length + 1), 0];
    if (t.startsWith(short) && !t.startsWith('--') && t.length > short.length) return [t.slice(short.length), 0];
    return [undefined, 0];
  };
  for (let i = 0; i < tok.length; i++) {
    const t = tok[i];
    if (t === '-N' || t === '--nsecs') info.nsecs = true;
    if (t === '-m' || t === '--mlockall') info.mlockall = true;
    if (t === '--default-system') info.dmaLatency = false;
    const [pol, polSkip] = valueOf(i, '-y', '--policy');
    if (pol !== undefined && /^[a-z]+$/.test(pol)) {
      policy = pol === 'normal' ? 'other' : pol;
      i += polSkip;
      continue;
    }
    // -a takes an optional argument: a separate token is only its value when it is a CPU list.
    const [aff, affSkip] = valueOf(i, '-a', '--affinity');
    if (aff !== undefined && parseCpuList(aff)) {
      info.affinity = parseCpuList(aff);
      i += affSkip;
      continue;
    }
    for (const [s, l, set] of [
      ['-i', '--interval', (v: number) => (info.intervalUs = v)],
      ['-d', '--distance', (v: number) => (info.distanceUs = v)],
      ['-h', '--histogram', (v: number) => (info.histogramUs = v)],
      ['-H', '--histofall', (v: number) => (info.histogramUs = v)],
      ['-p', '--priority', (v: number) => (info.priority = v)],
    ] as const) {
      const [v, skip] = valueOf(i, s, l);
      if (v !== undefined && /^\d+$/.test(v)) {
        set(Number(v));
        i += skip;
        break;
      }
    }
  }
  if (info.histogramUs) info.distanceUs = 0;
  const { priority, ...rest } = info;
  // As cyclictest 2.x sets it: a priority makes the policy fifo unless rr was asked for.
  const ran = priority > 0 ? (policy === 'rr' ? 'rr' : 'fifo') : (policy ?? 'other');
  return { ...rest, policy: ran, priority: ran === 'fifo' || ran === 'rr' ? priority : null };
}
