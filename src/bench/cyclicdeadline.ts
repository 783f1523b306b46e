/**
 * The cyclicdeadline benchmark: rt-tests' SCHED_DEADLINE latency tool, run on a bare-metal
 * target like cyclictest (bench/cyclictest.ts: the same wrapper reads its threads' policy from
 * /proc while it runs and measures its own CPU time and peak RSS), its --json read back and
 * checked against the -q summary it prints. It keeps no histogram: its results have count, min,
 * mean and max, no percentiles. What it would change on the host by itself is refused first:
 * HRTICK switched on and left on (runtimes below 2 ms), a tmpfs mounted over /sys/fs/cgroup
 * (CPU subsets without cgroup-v1 cpusets).
 */
import { InputError, RunFailedError } from '../errors.js';
import type { ProcessUsage } from '../deploy/usage.js';
import type { AppliedConfig, LatencyFigures, Warning } from '../results/types.js';
import type { CyclicdeadlineBenchmark } from '../scenario/schema.js';
import { summarizeLatency } from '../stats/summary.js';
import type { Transport } from '../transport/transport.js';
import type { ToolBenchmark } from './benchmark.js';
import { inToolDir, observedPolicy, readToolJson, refused, requireBareMetal, requireTool, runWatched, toolFailed, type ObservedThread } from './cyclictest.js';
import { buildCyclicdeadlineArgs, HRTICK_RUNTIME_US, hrtickFreeIntervalUs, type CyclicdeadlineRequest } from './cyclicdeadline/args.js';
import { parseCyclicdeadlineJson, parseCyclicdeadlineSummary, summaryMismatch, type CyclicdeadlineJson, type SummaryLine } from './cyclicdeadline/output.js';

export const cyclicdeadline: ToolBenchmark<CyclicdeadlineBenchmark> = {
  kind: 'cyclicdeadline',
  runs: 'tool',
  expectedMs: (step) => Math.max(1, Math.ceil((step.benchmark.duration ?? step.durationNs) / 1e9 - 1e-9)) * 1000,
  async measure(step, c) {
    requireBareMetal('cyclicdeadline', step.deployment);
    const r = await runCyclicdeadline(c.transport, step.benchmark, step.durationNs, { signal: c.signal });
    return {
      status: 'completed',
      applied: cyclicdeadlineApplied(r.applied),
      latency: summarizeLatency(r.latency),
      warnings: r.warnings,
      context: { cyclicdeadline: r.applied, ...(r.usage ? { usage: r.usage } : {}) },
    };
  },
};

export interface CyclicdeadlineApplied {
  tool: 'cyclicdeadline';
  version: string | null;
  commandLine: string[];
  request: CyclicdeadlineRequest;
  /** Seen on the measurement threads while it ran; null when not seen or not one. */
  policy: string | null;
  observed: ObservedThread[];
  /** Its -q summary lines, as printed. */
  summary: SummaryLine[];
}

export interface CyclicdeadlineRun {
  latency: LatencyFigures;
  applied: CyclicdeadlineApplied;
  warnings: Warning[];
  usage: ProcessUsage | null;
}

function cyclicdeadlineApplied(a: CyclicdeadlineApplied): AppliedConfig {
  return {
    mode: 'cyclicdeadline',
    policy: a.policy ?? 'unknown',
    priority: 0,
    threads: a.request.threads,
    intervalNs: a.request.intervalUs * 1000,
    distanceNs: a.request.stepUs * 1000,
    affinity: a.request.affinity ?? [],
    mlockall: true,
    dmaLatency: false,
    clockResolutionNs: 1000,
    probeVersion: `cyclicdeadline ${a.version ?? '?'}`,
  };
}

/**
 * $1: CPU count (getconf), the debugfs sched features (or "-": no debugfs), the types of
 * /sys/fs/cgroup and /sys/fs/cgroup/cpuset, one "key value" line each.
 */
const TARGET = `
echo "cpus $(getconf _NPROCESSORS_CONF 2>/dev/null || nproc --all)"
dbg=
while read -r dev mnt type opts rest; do
  [ "$type" = debugfs ] && [ -z "$dbg" ] && dbg=$mnt
  [ "$mnt" = /sys/fs/cgroup ] && echo "cgroup $type"
  [ "$mnt" = /sys/fs/cgroup/cpuset ] && echo "cpuset $type $opts"
done < /proc/mounts
if [ -n "$dbg" ]; then
  f=$(cat "$dbg/sched/features" 2>/dev/null || cat "$dbg/sched_features" 2>/dev/null)
  echo "features $dbg \${f:-?}"
else
  echo "features -"
fi
`;

interface TargetFacts {
  cpus: number;
  /** The debugfs mount and its sched feature words; null: no debugfs. */
  features: { mount: string; words: string[] } | null;
  cgroupType: string | null;
  cpusetV1: boolean;
}

async function targetFacts(t: Transport, signal?: AbortSignal): Promise<TargetFacts> {
  const r = await t.run({ script: TARGET }, { signal });
  const lines = new Map(r.stdout.split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1)] as const));
  const cpus = Number(lines.get('cpus')?.[0]);
  if (!(Number.isInteger(cpus) && cpus > 0)) throw new RunFailedError(`${t.name}: cannot tell how many CPUs it has (getconf _NPROCESSORS_CONF): ${r.stderr.trim() || r.stdout.trim()}`);
  const f = lines.get('features');
  const cs = lines.get('cpuset');
  return {
    cpus,
    features: f && f[0] !== '-' ? { mount: f[0], words: f.slice(1) } : null,
    cgroupType: lines.get('cgroup')?.[0] ?? null,
    cpusetV1: Boolean(cs && cs[0] === 'cgroup' && cs[1]?.split(',').includes('cpuset')),
  };
}

/** What cyclicdeadline would do to the host by itself, as the reason the step is refused; null when nothing. */
export function hostRefusal(host: string, req: CyclicdeadlineRequest, f: Pick<TargetFacts, 'features' | 'cgroupType' | 'cpusetV1'>): string | null {
  const shortest = Math.min(...req.runtimesUs);
  if (shortest < HRTICK_RUNTIME_US) {
    const instead = `use an interval of at least ${hrtickFreeIntervalUs(req.percent)} us (runtime ${HRTICK_RUNTIME_US} us at ${req.percent}%)`;
    if (!f.features) return `${host}: cyclicdeadline needs HRTICK for a runtime of ${shortest} us (below 2 ms) and debugfs is not mounted, so it would stop; ${instead}`;
    if (f.features.words.some((w) => /^NO_HRTICK(_DL)?$/.test(w)))
      return `${host}: for a runtime of ${shortest} us (below 2 ms) cyclicdeadline would switch HRTICK on in ${f.features.mount}'s sched features and leave it on; switch it on yourself, or ${instead}`;
  }
  if (req.cpuset && !(f.cgroupType === 'tmpfs' && f.cpusetV1))
    return `${host}: cyclicdeadline runs a subset of the CPUs in cgroup-v1 cpusets at /sys/fs/cgroup/cpuset, which this host does not have (it would mount a tmpfs over /sys/fs/cgroup); leave affinity out to use all CPUs`;
  return null;
}

/**
 * Runs cyclicdeadline on the target. Missing tool, a change it would make to the host, bad
 * exit, unreadable JSON or figures that cannot be right throw RunFailedError.
 */
export async function runCyclicdeadline(t: Transport, bench: CyclicdeadlineBenchmark, durationNs: number, opts: { signal?: AbortSignal; tmpDir?: string; binary?: string } = {}): Promise<CyclicdeadlineRun> {
  const binary = opts.binary ?? 'cyclicdeadline';
  await requireTool(t, binary, 'rt-tests', opts.signal);
  const facts = await targetFacts(t, opts.signal);
  return inToolDir(t, 'cyclicdeadline', opts, async (dir) => {
    const jsonFile = `${dir}/cyclicdeadline.json`;
    const { argv, request, warnings } = buildCyclicdeadlineArgs(bench, durationNs, { jsonFile, cpuCount: facts.cpus, binary });
    const refusal = hostRefusal(t.name, request, facts);
    if (refusal) throw new RunFailedError(refusal);
    const { r, observed, usage } = await runWatched(t, argv, request.threads, dir, { signal: opts.signal, timeoutMs: (request.durationS + 60) * 1000 * 1.5 });
    if (r.exitCode !== 0) throw toolFailed(t, 'cyclicdeadline', r, argv);
    let json: CyclicdeadlineJson;
    let summary: SummaryLine[];
    try {
      json = parseCyclicdeadlineJson(await readToolJson(t, 'cyclicdeadline', jsonFile), `${t.name}:${jsonFile}`, request.periodsUs);
      summary = parseCyclicdeadlineSummary(r.stdout, `${t.name}:cyclicdeadline stdout`);
    } catch (e) {
      throw e instanceof InputError ? refused('cyclicdeadline', e, argv) : e;
    }
    warnings.push(...json.warnings, ...summaryMismatch(summary, json));
    const seen = observedPolicy('cyclicdeadline', observed, 'deadline', null);
    warnings.push(...seen.warnings);
    const applied: CyclicdeadlineApplied = { tool: 'cyclicdeadline', version: json.version, commandLine: argv, request, policy: seen.policy, observed: seen.threads, summary };
    return { latency: json.latency, applied, warnings, usage };
  });
}
