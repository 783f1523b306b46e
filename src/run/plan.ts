import { checkPlanSize } from '../scenario/limits.js';
import type { ResolvedHost } from '../hosts/inventory.js';
import { RUNS_ON_PROBE, type Benchmark, type Deployment, type Scenario } from '../scenario/schema.js';

/** One measurement the executor will make. Building the plan touches nothing (plan, then apply). */
export interface PlanStep {
  /** Position in the interleaved order on its host. */
  order: number;
  host: string;
  deployment: Deployment;
  benchmark: Benchmark;
  /** 1-based; 0 is the uncounted warm-up repetition. */
  repetition: number;
  warmup: boolean;
  /** Measurement length in ns (benchmark override, else scenario duration). */
  durationNs: number;
  /**
   * Guests: the boot this step runs in. Steps with the same id run in one boot, in plan order
   * (one boot per deployment and repetition), unless the deployment asks for `freshBoot`.
   */
  boot: { id: string; index: number; size: number } | null;
}

export interface Plan {
  scenario: Scenario;
  hosts: ResolvedHost[];
  /** Steps per host, in execution order. Hosts run concurrently, steps on one host sequentially. */
  steps: PlanStep[];
}

export interface PlanOptions {
  /** Overrides every benchmark's duration. */
  durationNs?: number;
  /** Keep only deployments or benchmarks with these names. */
  only?: string[];
}

/**
 * Interleaves repetitions (A B C A B C, not A A B B C C) so slow drift of a machine
 * hits every deployment alike.
 */
export function buildPlan(scenario: Scenario, hosts: ResolvedHost[], opts: PlanOptions = {}): Plan {
  const { deployments, benchmarks } = selectOnly(scenario, opts.only);
  checkPlanSize('', scenario, hosts.length, deployments.length, benchmarks.length);
  const steps: PlanStep[] = [];
  for (const host of hosts) {
    let order = 0;
    const reps = [...(scenario.warmup ? [0] : []), ...Array.from({ length: scenario.repetitions }, (_, i) => i + 1)];
    for (const repetition of reps)
      for (const deployment of deployments)
        for (const benchmark of benchmarks)
          steps.push({
            order: order++,
            host: host.name,
            deployment,
            benchmark,
            repetition,
            warmup: repetition === 0,
            durationNs: opts.durationNs ?? durationOf(benchmark) ?? scenario.duration,
            boot: null,
          });
  }
  assignBoots(steps);
  return { scenario, hosts, steps };
}

/** Probe benchmarks of a guest deployment share one boot per host and repetition (freshBoot: one each). */
function assignBoots(steps: PlanStep[]): void {
  const groups = new Map<string, PlanStep[]>();
  for (const st of steps) {
    const d = st.deployment;
    if (d.kind === 'bare-metal' || !RUNS_ON_PROBE[st.benchmark.kind]) continue;
    const id = d.freshBoot ? `${st.host}/${d.name}/r${st.repetition}/${st.benchmark.name}` : `${st.host}/${d.name}/r${st.repetition}`;
    const g = groups.get(id) ?? [];
    g.push(st);
    groups.set(id, g);
  }
  for (const [id, g] of groups) g.forEach((st, index) => (st.boot = { id, index, size: g.length }));
}

function durationOf(b: Benchmark): number | undefined {
  return b.kind === 'syscall' ? undefined : b.duration;
}

/**
 * The scenario as `--only` leaves it: the deployments and benchmarks named (a kind none of whose
 * names was given is kept whole), and only the gates about what is left, so the record stores the
 * scenario that ran.
 */
export function selectOnly(scenario: Scenario, only: readonly string[] | undefined): Scenario {
  if (!only?.length) return scenario;
  const keep = new Set(only);
  const pick = <T extends { name: string }>(xs: readonly T[]) => (xs.some((x) => keep.has(x.name)) ? xs.filter((x) => keep.has(x.name)) : [...xs]);
  const deployments = pick(scenario.deployments);
  const benchmarks = pick(scenario.benchmarks);
  const names = new Set([...deployments, ...benchmarks].map((x) => x.name));
  const gates = scenario.gates.filter((g) => (g.deployment === undefined || names.has(g.deployment)) && (g.benchmark === undefined || names.has(g.benchmark)));
  return { ...scenario, deployments, benchmarks, gates };
}

/** Names given to --only that match nothing. */
export function unknownOnly(scenario: Scenario, only: string[]): string[] {
  const names = new Set([...scenario.deployments, ...scenario.benchmarks].map((x) => x.name));
  return only.filter((n) => !names.has(n));
}
