/**
 * A realistic run record to inject into, and the walkers that replace its text: the run
 * written by the real CLI (test/results/fixtures/v1-gates-comparisons.json: facts, readiness,
 * gates, comparisons) loaded as any run.json is, with what that run did not have added (a
 * guest with its boot, load and vCPUs, a failed step, a host error, warnings, tuning, an op
 * without TSC cycles), so every section of every report has rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunRecord } from '../../src/results/schema.js';
import type { CompletedLatencyResult, CompletedOpsResult, RunRecord } from '../../src/results/types.js';
import { ROOT } from '../helpers/cli.js';

export type Path = ReadonlyArray<string | number>;

export function realisticRecord(): RunRecord {
  const file = join(ROOT, 'test/results/fixtures/v1-gates-comparisons.json');
  const record = parseRunRecord(JSON.parse(readFileSync(file, 'utf8')), file);
  const lat = record.results.find((r) => r.kind === 'cyclic') as CompletedLatencyResult;
  const ops = record.results.find((r) => r.kind === 'syscall') as CompletedOpsResult;
  const guest: CompletedLatencyResult = {
    ...structuredClone(lat),
    deployment: 'guest',
    order: record.results.length,
    warnings: [{ code: 'guest-warning', message: 'the guest said something' }],
    context: {
      bootMs: 812,
      boot: { pausedMs: 40, firstConsoleMs: 120, kernelStartMs: 200, kernelToInitMs: 300, initToProbeMs: 150, totalMs: 812 },
      bootShare: { index: 0, of: 2, freshBoot: false },
      accel: 'kvm',
      deploymentKind: 'vm',
      guestKernel: '6.6.0-rt guest',
      guestRealtime: 1,
      guestUptimeAtProbeS: 0.61,
      vcpus: [{ vcpu: 0, hostCpu: 1, threadId: 4242, policy: 'fifo', priority: 90 }],
      consoleLog: '/tmp/run/guest-console.log',
      load: { tool: 'stress-ng', commandLine: ['stress-ng', '--cpu', '2'], cpus: '1', startedAt: record.startedAt, ranMs: 2000, diedEarly: true, exitCode: 1 },
    },
  };
  const noCycles = structuredClone(ops);
  noCycles.deployment = 'guest';
  noCycles.order = record.results.length + 1;
  for (const o of Object.values(noCycles.ops)) {
    o.cycles = null;
    o.cyclesReason = 'the TSC is not invariant in this guest';
  }
  noCycles.applied = noCycles.applied && { ...noCycles.applied, mitigations: 'off', mitigationsReason: null };
  return {
    ...record,
    results: [
      ...record.results,
      guest,
      noCycles,
      { ...structuredClone(lat), status: 'failed', error: 'probe exited 1\nits stderr', order: record.results.length + 2, latency: undefined, applied: undefined } as never,
    ],
    warnings: [{ code: 'run-warning', message: 'a warning of the run' }],
    hostErrors: { 'other-host': 'ssh: connection refused' },
    tuning: [{ host: 'local', knob: 'timer slack', path: '/proc/self/timerslack_ns', before: '50000', after: '1', restored: true }],
  };
}

/** A deep copy of `v` with every string leaf replaced by `f(leaf, path)`. */
export function mapStrings(v: unknown, f: (s: string, path: Path) => string, path: Path = []): unknown {
  if (typeof v === 'string') return f(v, path);
  if (Array.isArray(v)) return v.map((x, i) => mapStrings(x, f, [...path, i]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f, [...path, k])]));
  return v;
}

/** A deep copy of `v` with the keys `f` names (null: keep) renamed, at any depth. */
export function mapKeys(v: unknown, f: (k: string, path: Path) => string | null, path: Path = []): unknown {
  if (Array.isArray(v)) return v.map((x, i) => mapKeys(x, f, [...path, i]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [f(k, path) ?? k, mapKeys(x, f, [...path, k])]));
  return v;
}

/** Keys that are names (hosts, ops, facts, vulnerabilities), not a record's structure. */
export function isNameKey(path: Path): boolean {
  const p = path.join('.');
  return /^(facts|readiness|hostErrors)$/.test(p) || /^facts\.[^.]+(\.|$)/.test(p) || /^results\.\d+\.(ops|ratios|applied\.vulnerabilities)$/.test(p);
}
