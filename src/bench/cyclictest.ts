/**
 * The cyclictest benchmark: rt-tests' own tool, run on a bare-metal target through its
 * Transport (not by a deployment's runner), its `--json` (and, with -h, its histogram text) read
 * back into latency figures. While cyclictest runs, the scheduling policy, priority and CPUs its
 * measurement threads really got are read from /proc: the kernel's word, not the request's.
 */
import { InputError, RunFailedError } from '../errors.js';
import type { AppliedConfig, LatencyFigures, Warning } from '../results/types.js';
import type { CyclictestBenchmark, Deployment } from '../scenario/schema.js';
import { summarizeLatency } from '../stats/summary.js';
import { takeUsage, withUsage, type ProcessUsage } from '../deploy/usage.js';
import type { RunResult, Transport } from '../transport/transport.js';
import type { ToolBenchmark } from './benchmark.js';
import { latencyExpectedMs } from './cyclic.js';
import { buildCyclictestArgs, type CyclictestRequest } from './cyclictest/args.js';
import { ImpossibleFigureError } from './cyclictest/checks.js';
import { parseCyclictestHistogram, parseCyclictestJson, type ParsedFile } from './import.js';

export const cyclictest: ToolBenchmark<CyclictestBenchmark> = {
  kind: 'cyclictest',
  runs: 'tool',
  expectedMs: (step) => latencyExpectedMs(step.benchmark, step.durationNs),
  async measure(step, c) {
    requireBareMetal('cyclictest', step.deployment);
    const r = await runCyclictest(c.transport, step.benchmark, step.durationNs, { signal: c.signal });
    return { status: 'completed', applied: cyclictestApplied(r.applied), latency: summarizeLatency(r.latency), warnings: r.warnings, context: { cyclictest: r.applied, ...(r.usage ? { usage: r.usage } : {}) } };
  },
};

/** cyclictest's own account, in the run record's terms. */
function cyclictestApplied(a: CyclictestApplied): AppliedConfig {
  return {
    mode: 'cyclictest',
    policy: a.policy ?? 'unknown',
    priority: a.priority ?? 0,
    threads: a.request.threads,
    intervalNs: a.request.intervalUs * 1000,
    distanceNs: a.request.distanceUs * 1000,
    affinity: a.cpus.filter((x): x is number => x !== null),
    mlockall: a.request.mlockall,
    dmaLatency: a.dmaLatencyUs !== null,
    clockResolutionNs: 1000,
    probeVersion: `cyclictest ${a.version ?? '?'}`,
  };
}

export interface CyclictestRunOptions {
  signal?: AbortSignal;
  /** Directory on the target for cyclictest's JSON file (a private subdirectory is made and removed). */
  tmpDir?: string;
  /** cyclictest binary name or path on the target. */
  binary?: string;
}

export interface ObservedThread {
  tid: number;
  policy: string | null;
  priority: number | null;
  cpus: string | null;
}

export interface CyclictestApplied {
  tool: 'cyclictest';
  version: string | null;
  commandLine: string[];
  /** What was asked (after rounding to cyclictest's units). */
  request: CyclictestRequest;
  /** Policy/priority seen on the measurement threads; null when cyclictest ended before it could be read. */
  policy: string | null;
  priority: number | null;
  /** Per measurement thread, from /proc/PID/task while it ran. */
  observed: ObservedThread[];
  /** CPU of each thread as cyclictest's JSON reports it. */
  cpus: Array<number | null>;
  /** cyclictest said it set /dev/cpu_dma_latency. */
  dmaLatencyUs: number | null;
}

export interface CyclictestRun {
  latency: LatencyFigures;
  applied: CyclictestApplied;
  warnings: Warning[];
  /** cyclictest's own CPU time and peak RSS (deploy/usage.ts); null when not measured. */
  usage: ProcessUsage | null;
}

const POLICY: Record<number, string> = { 0: 'other', 1: 'fifo', 2: 'rr', 3: 'batch', 5: 'idle', 6: 'deadline' };

/**
 * Starts the tool in the background under the usage wrapper (deploy/usage.ts), finds the tool
 * (the wrapper's only child with the tool's name), reads /proc/PID/task once its measurement
 * threads exist, then waits for it. $1 = output file for the /proc figures, $2 = number of
 * measurement threads, $3 = the tool's process name, then the wrapped argv. The wrapper's helper
 * processes (ls, sleep, cat...) are children of this shell, so none of them counts in the tool's usage.
 */
const WRAPPER = `
out=$1; want=$2; comm=$3; shift 3
"$@" &
top=$!
pid=
trap 'kill -TERM "$top" $pid 2>/dev/null' TERM INT HUP
n=0
while [ -z "$pid" ] && [ "$n" -lt 500 ] && kill -0 "$top" 2>/dev/null; do
  for s in /proc/[0-9]*/stat; do
    IFS= read -r l < "$s" 2>/dev/null || continue
    c=\${l#*\\(}; c=\${c%%\\)*}
    set -- \${l##*") "}
    if [ "$2" = "$top" ] && [ "$c" = "$comm" ]; then pid=\${s#/proc/}; pid=\${pid%/stat}; break; fi
  done
  [ -n "$pid" ] || { sleep 0.01; n=$((n+1)); }
done
n=0
while [ -n "$pid" ] && [ "$n" -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
  tasks=$(ls /proc/"$pid"/task 2>/dev/null | wc -l)
  [ "$tasks" -gt "$want" ] && break
  sleep 0.01; n=$((n+1))
done
if [ -n "$pid" ]; then
  sleep 0.05
  for d in /proc/"$pid"/task/*; do
    s=$(cat "$d/stat" 2>/dev/null) || continue
    c=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$d/status" 2>/dev/null)
    printf '%s %s %s %s\\n' "$pid" "\${d##*/}" "\${c:--}" "$s"
  done > "$out" 2>/dev/null
fi
wait "$top"
`;

/** A tool's run under WRAPPER: its exit and output (stderr without the usage line), its threads as /proc showed them, its own usage. */
export interface WatchedRun {
  r: RunResult;
  observed: ObservedThread[];
  usage: ProcessUsage | null;
}

/**
 * Runs `argv` on the target with its measurement threads' scheduling read from /proc while it
 * runs and its own CPU time and peak RSS measured; `dir` is a private folder for the /proc figures.
 */
export async function runWatched(t: Transport, argv: string[], threads: number, dir: string, o: { signal?: AbortSignal; timeoutMs: number }): Promise<WatchedRun> {
  const schedFile = `${dir}/sched.txt`;
  const comm = argv[0].split('/').pop()!.slice(0, 15);
  const wrapped = withUsage(argv) as { script: string; args: string[] };
  const r = await t.run({ script: WRAPPER, args: [schedFile, String(threads), comm, 'sh', '-c', wrapped.script, 'sh', ...wrapped.args] }, o);
  const { usage, rest } = takeUsage(r.stderr);
  return { r: { ...r, stderr: rest }, observed: await readObserved(t, schedFile), usage };
}

/**
 * Runs cyclictest on the target. Missing tool, bad exit, unreadable JSON, or figures that cannot
 * be right (bench/cyclictest/checks.ts) throw RunFailedError.
 */
export async function runCyclictest(t: Transport, bench: CyclictestBenchmark, durationNs: number, opts: CyclictestRunOptions = {}): Promise<CyclictestRun> {
  const binary = opts.binary ?? 'cyclictest';
  await requireTool(t, binary, 'rt-tests', opts.signal);
  return inToolDir(t, 'cyclictest', opts, async (dir) => {
    const jsonFile = `${dir}/cyclictest.json`;
    const { argv, request, warnings } = buildCyclictestArgs(bench, durationNs, { jsonFile, binary });
    const expectedS = request.durationS ?? ((request.loops ?? 0) * (request.intervalUs + (request.threads - 1) * request.distanceUs)) / 1e6;
    const { r, observed, usage } = await runWatched(t, argv, request.threads, dir, { signal: opts.signal, timeoutMs: (expectedS + 60) * 1000 * 1.5 });
    for (const line of r.stderr.split('\n').map((l) => l.trim()).filter(Boolean))
      if (/^(WARN|defaulting|policy and priority)/i.test(line) && !/distance is ignored/.test(line))
        warnings.push({ code: 'cyclictest-said', message: line });
    if (r.exitCode !== 0) throw toolFailed(t, 'cyclictest', r, argv);
    const jsonText = await readToolJson(t, 'cyclictest', jsonFile);
    let imp: ParsedFile;
    try {
      imp = parseCyclictestJson(jsonText, `${t.name}:${jsonFile}`, { spikeThresholdNs: bench.spikeThreshold });
    } catch (e) {
      throw e instanceof InputError ? refused('cyclictest', e, argv) : e;
    }
    warnings.push(...imp.warnings);
    // The -h text on stdout says the same as the JSON plus the overflow cycle numbers; check they agree.
    if (request.histogramUs !== null && r.stdout.includes('# Histogram')) {
      try {
        const hist = parseCyclictestHistogram(r.stdout, `${t.name}:cyclictest stdout`, { nsecs: request.nsecs, spikeThresholdNs: bench.spikeThreshold });
        const [histCount, jsonCount] = [hist, imp].map((f) => f.latency.threads.reduce((n, th) => n + th.histogram.count, 0));
        if (histCount !== jsonCount || hist.latency.overflows !== imp.latency.overflows)
          warnings.push({ code: 'cyclictest-output-mismatch', message: `histogram text (${histCount} samples) and JSON (${jsonCount}) disagree` });
        if (hist.meta.overflowCycles && imp.latency.overflows)
          (imp.meta as { overflowCycles?: Record<number, number[]> }).overflowCycles = hist.meta.overflowCycles;
      } catch (e) {
        // Text it cannot read only warns (the JSON has the figures); figures it cannot have measured fail the step.
        if (e instanceof ImpossibleFigureError) throw refused('cyclictest', e, argv);
        warnings.push({ code: 'cyclictest-output-unreadable', message: `histogram text not readable: ${(e as Error).message}` });
      }
    }
    // Interval per thread as run (the JSON's cmdline gives the same, but the plan knows rounding).
    for (const th of imp.latency.threads) th.intervalNs = request.threadIntervalsNs[th.thread] ?? th.intervalNs;
    if (request.histogramAuto)
      warnings.push({ code: 'cyclictest-auto-histogram', message: `histogram range ${request.histogramUs} us chosen by unilat (benchmark sets none)` });

    const seen = observedPolicy('cyclictest', observed, request.policy, request.priority);
    warnings.push(...seen.warnings);
    const dma = /set to (\d+)us/.exec(r.stdout);
    const applied: CyclictestApplied = {
      tool: 'cyclictest',
      version: imp.meta.version,
      commandLine: argv,
      request,
      policy: seen.policy,
      priority: seen.priority,
      observed: seen.threads,
      cpus: imp.latency.threads.map((th) => th.cpu),
      dmaLatencyUs: dma ? Number(dma[1]) : null,
    };
    return { latency: imp.latency, applied, warnings, usage };
  });
}

/** Runs `fn` with a private folder on the target (under opts.tmpDir, else /tmp), removed afterwards. */
export async function inToolDir<T>(t: Transport, tool: string, opts: { signal?: AbortSignal; tmpDir?: string }, fn: (dir: string) => Promise<T>): Promise<T> {
  const mk = await t.run(['mktemp', '-d', `${opts.tmpDir ?? '/tmp'}/unilat-${tool}.XXXXXX`], { signal: opts.signal });
  if (mk.exitCode !== 0) throw new RunFailedError(`${t.name}: cannot make a temporary directory: ${mk.stderr.trim()}`);
  const dir = mk.stdout.trim();
  try {
    return await fn(dir);
  } finally {
    await t.run(['rm', '-rf', dir]).catch(() => {});
  }
}

/** A tool's bad exit as the step's error. */
export function toolFailed(t: Transport, tool: string, r: RunResult, argv: string[]): RunFailedError {
  return new RunFailedError(`${t.name}: ${tool} exited with ${r.exitCode ?? r.signal}: ${tail(r.stderr) || tail(r.stdout)}\n  command: ${argv.join(' ')}`);
}

/** The JSON file a tool wrote with --json. */
export async function readToolJson(t: Transport, tool: string, file: string): Promise<string> {
  try {
    return (await t.read(file)).toString('utf8');
  } catch (e) {
    throw new RunFailedError(`${t.name}: ${tool} wrote no JSON file ${file}: ${(e as Error).message}`);
  }
}

/**
 * The policy and priority the measurement threads were seen to run with (null where they differ
 * or were not seen), with a warning when that is not what was asked (priority null: none asked).
 */
export function observedPolicy(tool: string, observed: ObservedThread[], want: string, priority: number | null): { policy: string | null; priority: number | null; threads: ObservedThread[]; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const policies = [...new Set(observed.map((o) => o.policy))];
  const prios = [...new Set(observed.map((o) => o.priority))];
  if (observed.length === 0)
    warnings.push({ code: 'policy-not-observed', message: `${tool} ended before its threads could be inspected: policy and priority not verified` });
  else if (policies.length !== 1 || policies[0] !== want || (priority !== null && prios[0] !== priority))
    warnings.push({
      code: 'policy-differs',
      message: `asked ${want}${priority !== null ? `/${priority}` : ''}, the measurement threads ran ${observed.map((o) => `${o.policy}/${o.priority}`).join(', ')}`,
    });
  return { policy: policies.length === 1 ? policies[0] : null, priority: prios.length === 1 ? prios[0] : null, threads: observed, warnings };
}

/** A tool's output that cannot be right: the step fails on it rather than record a figure. */
export function refused(tool: string, e: InputError, argv: string[]): RunFailedError {
  return new RunFailedError(`${tool}'s output is refused: ${e.message}\n  command: ${argv.join(' ')}`);
}

/** Reads the /proc figures the wrapper saved; the main thread (tid == pid, the first) is left out. */
async function readObserved(t: Transport, file: string): Promise<ObservedThread[]> {
  let text = '';
  try {
    text = (await t.read(file)).toString('utf8');
  } catch {
    return [];
  }
  const rows: ObservedThread[] = [];
  let mainPid: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) (\S+) \d+ \((.*)\) (.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const tid = Number(m[2]);
    mainPid = pid;
    if (tid === pid) continue;
    const f = m[5].split(' ');
    // After "(comm)": field 3 is f[0]; rt_priority is field 40, policy field 41.
    const prio = Number(f[37]);
    const pol = Number(f[38]);
    rows.push({ tid, policy: POLICY[pol] ?? (Number.isFinite(pol) ? `policy-${pol}` : null), priority: Number.isFinite(prio) ? prio : null, cpus: m[3] === '-' ? null : m[3] });
  }
  void mainPid;
  return rows.sort((a, b) => a.tid - b.tid);
}

/** rt-tests' tools run on the host itself: a guest deployment is refused before the host is touched. */
export function requireBareMetal(tool: string, d: Deployment): void {
  if (d.kind !== 'bare-metal') throw new Error(`${tool} runs on bare metal only (deployment ${d.name} is ${d.kind}); use kind: cyclic inside guests`);
}

/** Throws a RunFailedError naming the Debian package when a tool is missing on the target. */
export async function requireTool(t: Transport, tool: string, pkg: string, signal?: AbortSignal): Promise<void> {
  const r = await t.run({ script: 'command -v "$1"', args: [tool] }, { signal });
  if (r.exitCode !== 0)
    throw new RunFailedError(`${t.name}: ${tool} not found on the target: install the package ${pkg} (Debian/Ubuntu: apt-get install ${pkg})`);
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-5).join('\n');
}
