/**
 * A realistic run record for report tests, measured for real: the C probe runs on this
 * machine for two deployments (SCHED_FIFO and SCHED_OTHER, both bare metal) x (cyclic +
 * syscall), its output goes through the real protocol parser, and the host facts and
 * readiness checklist are gathered from this machine. Only the layout of the record (what
 * the executor would write around those results) is assembled here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assembleStream } from '../../src/probe/protocol.js';
import { summarizeLatency, summarizeOps } from '../../src/stats/summary.js';
import { SCHEMA_VERSION, type Result, type RunRecord } from '../../src/results/types.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { gatherFacts } from '../../src/prepare/facts.js';
import { checkReadiness } from '../../src/prepare/readiness.js';
import { LocalTransport } from '../../src/transport/local.js';
import { compileProbe, runProbe } from '../helpers/probe.js';

const SCENARIO = `
name: report-fixture
description: Two scheduling policies on bare metal, wake-up latency and syscall costs <compared & "escaped">.
hosts: [local]
duration: 2s
deployments:
  - name: fifo
    kind: bare-metal
  - name: other
    kind: bare-metal
benchmarks:
  - name: wakeup
    kind: cyclic
    threads: 2
    interval: 1ms
    priority: 80
    policy: fifo
    mlockall: true
  - name: syscalls
    kind: syscall
`;

const DEPLOYMENTS = {
  fifo: ['--policy', 'fifo', '--priority', '80'],
  other: ['--policy', 'other'],
} as const;

/** Runs the probe for every step (a few seconds in all) and returns the record. */
export async function measuredRecord(): Promise<RunRecord> {
  const bin = await compileProbe();
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-report-'));
  let scenario: Scenario;
  try {
    const file = path.join(dir, 'scenario.yaml');
    await writeFile(file, SCENARIO);
    scenario = (await loadScenario(file)).scenario;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const t = new LocalTransport('local');
  const facts = await gatherFacts(t);
  await t.close();

  const results: Result[] = [];
  let order = 0;
  const startedAt = new Date().toISOString();
  for (const [deployment, policy] of Object.entries(DEPLOYMENTS)) {
    const steps: Array<[string, string[]]> = [
      ['wakeup', ['cyclic', '--threads', '2', '--interval', '1000000', '--distance', '500000', '--duration-ms', '2500', '--mlockall', '--progress-ms', '0', '--spike-threshold', '300000', ...policy]],
      ['syscalls', ['syscall', '--batches', '20', '--warmup', '2', '--cpu', '0', ...policy]],
    ];
    for (const [benchmark, args] of steps) {
      const began = new Date().toISOString();
      const r = await runProbe(bin, args);
      if (r.code !== 0) throw new Error(`probe ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      const pieces = assembleStream(r.stdout);
      const base = { deployment, benchmark, host: 'local', repetition: 1, order: order++, startedAt: began, endedAt: new Date().toISOString(), warnings: pieces.warnings, applied: pieces.applied };
      results.push(
        pieces.kind === 'cyclic'
          ? { ...base, kind: 'cyclic', status: 'completed', latency: summarizeLatency(pieces.latency) }
          : { ...base, kind: 'syscall', status: 'completed', ...summarizeOps(pieces.ops) },
      );
    }
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    id: 'report-fixture-<1>',
    tool: { name: 'unilat', version: '0.0.0-test' },
    startedAt,
    endedAt: new Date().toISOString(),
    status: 'completed',
    scenario,
    scenarioFile: 'scenario.yaml',
    facts: { local: facts },
    tuning: [{ host: 'local', knob: 'timerSlack & <friends>', path: '/proc/sys/kernel/example', before: '1', after: '0', restored: true }],
    results,
    warnings: [{ code: 'test-warning', message: 'a run-level warning with <markup> & "quotes" that must show as text' }],
    hostErrors: {},
    readiness: { local: checkReadiness(facts) },
  };
}
