/** What the headline says its latency columns merge: threads for the probe, one context's CPUs for rtla timerlat. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headlineTable } from '../../src/report/headline.js';
import { latencyResult, lognormalSamples, makeRng, runRecord, testScenario } from '../stats/synth.js';

function note(benchmarks: Array<{ name: string; kind: 'cyclic' | 'timerlat' }>): string {
  const rng = makeRng(7);
  const results = benchmarks.map((b) => ({ ...latencyResult(lognormalSamples(rng, 2000, 20_000, 0.2), { benchmark: b.name }), kind: b.kind as 'cyclic' }));
  const t = headlineTable(runRecord('r', results, { scenario: testScenario('s', { benchmarks }) }));
  assert.ok(t);
  return t.notes?.[0] ?? '';
}

test('the headline note names what its latency merges, per kind', () => {
  assert.match(note([{ name: 'wakeup', kind: 'cyclic' }]), /^Wake-up latency of all threads and counted repetitions merged\./);
  const tl = note([{ name: 'tl', kind: 'timerlat' }]);
  assert.doesNotMatch(tl, /all threads/);
  assert.match(tl, /^tl \(rtla timerlat\): the latency at the timerlat thread, all CPUs and counted repetitions merged; the IRQ latency is in the benchmark's section\./);
  const both = note([{ name: 'wakeup', kind: 'cyclic' }, { name: 'tl', kind: 'timerlat' }]);
  assert.match(both, /^Wake-up latency of all threads and counted repetitions merged \(wakeup\)\. tl \(rtla timerlat\): /);
});
