import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../../src/scenario/load.js';
import { buildPlan, selectOnly } from '../../src/run/plan.js';
import { parseGate, type Gate } from '../../src/scenario/gates.js';
import type { ResolvedHost } from '../../src/hosts/inventory.js';

const local = { name: 'local', kind: 'local' } as unknown as ResolvedHost;

test('--only: the stored scenario is the one that ran (deployments, benchmarks and their gates)', async () => {
  const { scenario } = await loadScenario('scenarios/bare-vs-vm-vs-unikernel.yaml');
  const gated = { ...scenario, gates: ['p99 < 1ms', 'syscall.getppid < 1us'].map((t) => parseGate(t) as Gate) };
  const deps = gated.deployments.map((d) => d.name);
  const benches = gated.benchmarks.map((b) => b.name);
  assert.ok(deps.length >= 2 && benches.length >= 2, 'a scenario with choices to make');
  const gatedOn = { ...gated, gates: [...gated.gates, { ...gated.gates[0], deployment: deps[1] }, { ...gated.gates[0], benchmark: benches[1] }] };

  const ran = selectOnly(gatedOn, [deps[0]]);
  assert.deepEqual(ran.deployments.map((d) => d.name), [deps[0]]);
  // No benchmark was named, so all of them ran.
  assert.deepEqual(ran.benchmarks.map((b) => b.name), benches);
  // The gate about the deployment that did not run is not part of what ran; the others are.
  assert.equal(ran.gates.length, gatedOn.gates.length - 1);
  assert.ok(!ran.gates.some((g) => g.deployment === deps[1]));

  const both = selectOnly(gatedOn, [deps[1], benches[0]]);
  assert.deepEqual(both.deployments.map((d) => d.name), [deps[1]]);
  assert.deepEqual(both.benchmarks.map((b) => b.name), [benches[0]]);
  assert.ok(!both.gates.some((g) => g.benchmark === benches[1]));

  // The plan of the selected scenario is the plan --only asked for.
  const plan = buildPlan(both, [local]);
  assert.ok(plan.steps.length > 0);
  assert.ok(plan.steps.every((s) => s.deployment.name === deps[1] && s.benchmark.name === benches[0]));
  assert.equal(selectOnly(gatedOn, undefined), gatedOn);
});
