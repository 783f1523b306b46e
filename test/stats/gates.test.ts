/** Gates against run records: absolute pass/fail, missing results, relative gates with a baseline. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGate, type AbsoluteGate, type Gate } from '../../src/scenario/gates.js';
import { evaluateGates, gatesPassed } from '../../src/stats/gates.js';
import { isLatencyResult } from '../../src/results/types.js';
import { renderGatesJunit } from '../../src/report/junit.js';
import { failedResult, latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from './synth.js';

function gate(text: string, extra: Partial<Gate> = {}): Gate {
  const g = parseGate(text);
  if (typeof g === 'string') throw new Error(g);
  return { ...g, ...extra } as Gate;
}

const rng = makeRng(21);
const lat = lognormalSamples(rng, 20000, 5000, 0.35); // p99 around 11 us, max below 30 us
const run = runRecord('cand', [
  latencyResult(lat, { repetition: 1 }),
  latencyResult(lognormalSamples(rng, 20000, 5000, 0.35), { repetition: 2 }),
  opsResult({ getppid: lognormalSamples(rng, 50, 80, 0.05) }),
]);

describe('absolute gates', () => {
  test('pass and fail per counted result, with p99.9 read from p999', () => {
    const out = evaluateGates([gate('p99 < 50us'), gate('p99.9 < 5us'), gate('max <= 1ms')], run);
    assert.equal(out.length, 6);
    assert.deepEqual(
      out.map((o) => [o.gate, o.key, o.pass]),
      [
        ['p99 < 50us', 'cyclic/bare@local#1', true],
        ['p99 < 50us', 'cyclic/bare@local#2', true],
        ['p99.9 < 5us', 'cyclic/bare@local#1', false],
        ['p99.9 < 5us', 'cyclic/bare@local#2', false],
        ['max <= 1ms', 'cyclic/bare@local#1', true],
        ['max <= 1ms', 'cyclic/bare@local#2', true],
      ],
    );
    assert.equal(out[2].value, run.results[0].status === 'completed' ? run.results[0].latency!.p999 : -1);
    assert.equal(out[2].limit, 5000);
    assert.match(out[2].detail, /p99\.9 = [\d.]+ µs not < 5 µs/);
    assert.equal(gatesPassed(out), false);
  });

  test('a percentile the result cannot know fails as unknown, never as a number', () => {
    const done = run.results.find(isLatencyResult)!;
    for (const unknown of [NaN, null]) {
      const r = { ...done, latency: { ...done.latency, p99: unknown as unknown as number } };
      const out = evaluateGates([gate('p99 < 50us')], { ...run, results: [r] });
      assert.equal(out.length, 1);
      assert.equal(out[0].pass, false);
      assert.equal(out[0].value, null);
      assert.match(out[0].detail, /^p99 unknown: the result keeps no histogram/);
      assert.doesNotMatch(out[0].detail, /NaN|null/);
    }
  });

  test('syscall.<op> reads ns/op; < vs <= at the limit', () => {
    const ns = run.results[2].status === 'completed' ? run.results[2].ops!.getppid.nsPerOp : NaN;
    assert.equal(evaluateGates([gate('syscall.getppid < 200ns')], run)[0].pass, true);
    const exact = { ...(gate('syscall.getppid < 1ns') as AbsoluteGate), limitNs: ns };
    assert.equal(evaluateGates([exact], run)[0].pass, false);
    assert.equal(evaluateGates([{ ...exact, inclusive: true }], run)[0].pass, true);
  });

  test('a gate that matches nothing fails with a reason', () => {
    const out = evaluateGates([gate('syscall.getpid < 200ns'), gate('p99 < 50us', { benchmark: 'nope' })], run);
    assert.equal(out.length, 2);
    assert.ok(out.every((o) => !o.pass && o.value === null));
    assert.match(out[0].detail, /no result for syscall\.getpid/);
    assert.match(out[1].detail, /no result for p99 \(benchmark nope\)/);
  });

  test('a failed result fails the gates that match it', () => {
    const r = runRecord('x', [failedResult()]);
    const out = evaluateGates([gate('p99 < 50us')], r);
    assert.equal(out[0].pass, false);
    assert.match(out[0].detail, /failed: probe exited 1/);
  });

  test('no gates pass trivially', () => {
    assert.equal(gatesPassed(evaluateGates([], run)), true);
  });
});

describe('relative gates', () => {
  const base = (scale: number) =>
    runRecord('base', [1, 2].map((rep) => latencyResult(lognormalSamples(makeRng(100 + rep), 20000, 5000, 0.35, scale), { repetition: rep })));

  test('no regression passes; a 30% regression fails a 10% allowance', () => {
    const g = gate('p99 may not regress more than 10%');
    const ok = evaluateGates([g], run, { baseline: base(1), compare: { resamples: 200 } });
    assert.equal(ok.length, 1);
    assert.equal(ok[0].pass, true, ok[0].detail);
    assert.equal(ok[0].limit, 1.1);
    const bad = evaluateGates([g], run, { baseline: base(1 / 1.3), compare: { resamples: 200 } });
    assert.equal(bad[0].pass, false, bad[0].detail);
    assert.match(bad[0].detail, /worse/);
    // A 30% allowance tolerates it.
    assert.equal(evaluateGates([gate('p99 regress < 40%')], run, { baseline: base(1 / 1.3), compare: { resamples: 200 } })[0].pass, true);
  });

  test('without a baseline a relative gate is skipped, saying why: in JUnit a skip, not a pass', () => {
    const skipped = evaluateGates([gate('p99 regress < 10%'), gate('syscall.getppid < 200ns')], run, { baseline: null, baselineNote: 'the first night' });
    assert.deepEqual(skipped.map((o) => [o.skipped === true, o.pass]), [[true, true], [false, true]]);
    assert.equal(skipped[0].detail, 'not evaluated: the first night');
    assert.equal(gatesPassed(skipped), true);
    assert.match(evaluateGates([gate('p99 regress < 10%')], run)[0].detail, /^not evaluated: no baseline run to compare with$/);
    const xml = renderGatesJunit(skipped);
    assert.match(xml, /<testsuites name="unilat" tests="2" failures="0" skipped="1">/);
    assert.match(xml, /<testcase classname="\(no baseline\)" name="p99 regress &lt; 10%">\n {6}<skipped message="not evaluated: the first night"\/>/);
    assert.equal((xml.match(/<skipped /g) ?? []).length, 1);
    assert.doesNotMatch(xml, /<failure/);
  });

  test('the relative gates of a run are judged in one comparison, Holm-corrected together', () => {
    const out = evaluateGates([gate('p99 regress < 10%'), gate('p50 regress < 10%'), gate('p99 < 50us')], run, { baseline: base(1 / 1.3), compare: { resamples: 200 } });
    assert.deepEqual(out.map((o) => o.gate), ['p99 regress < 10%', 'p50 regress < 10%', 'p99 < 50us', 'p99 < 50us']);
    assert.ok(out.slice(0, 2).every((o) => !o.pass && /worse, Holm-corrected across 2 gated metrics/.test(o.detail)), out.map((o) => o.detail).join('\n'));
    const alone = evaluateGates([gate('p99 regress < 10%')], run, { baseline: base(1 / 1.3), compare: { resamples: 200 } });
    assert.doesNotMatch(alone[0].detail, /Holm/);
  });

  test('a relative gate on a tail too thin to judge is skipped, not passed', () => {
    // p99.99 needs about 100000 samples per side for ten in its tail; these runs have 40000.
    const out = evaluateGates([gate('p99.99 regress < 10%')], run, { baseline: base(1), compare: { resamples: 100 } });
    assert.equal(out.length, 1);
    assert.equal(out[0].skipped, true);
    assert.match(out[0].detail, /^not evaluated: not enough samples for p99\.99: needs \d+ per side/);
    assert.match(renderGatesJunit(out), /failures="0" skipped="1"/);
  });

  test('without matching results a relative gate fails', () => {
    const out = evaluateGates([gate('syscall.getppid regress < 10%')], run, { baseline: base(1) });
    assert.equal(out[0].pass, false);
    assert.match(out[0].detail, /no result for syscall\.getppid/);
  });
});
