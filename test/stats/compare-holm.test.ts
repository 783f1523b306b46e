/** Holm's correction per comparison and the minimum detectable effect, on known inputs and synthetic runs. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../../src/stats/compare.js';
import { holm } from '../../src/stats/holm.js';
import { minimumDetectableEffect } from '../../src/stats/mde.js';
import { normalQuantile } from '../../src/stats/dist.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from './synth.js';

function latencyRun(id: string, seed: number, scale: number, reps = 1, n = 20000) {
  const rng = makeRng(seed);
  return runRecord(
    id,
    Array.from({ length: reps }, (_, i) => latencyResult(lognormalSamples(rng, n, 5000, 0.35, scale), { repetition: i + 1 })),
  );
}

describe('holm', () => {
  test('step-down on p-values: the textbook example', () => {
    const ps = [0.01, 0.04, 0.03, 0.005];
    const out = holm(ps, 0.05, (p, level) => p <= level);
    // Sorted: 0.005 and 0.01 <= 0.05/4 (both at the first step), then 0.03 > 0.05/2 stops it,
    // so 0.04 is not rejected either.
    assert.deepEqual(out.map((o) => o.rejected), [true, false, false, true]);
    assert.equal(out[3].level, 0.05 / 4);
    assert.equal(out[0].level, 0.05 / 4);
    assert.equal(out[2].level, 0.05 / 2);
    assert.equal(out[1].level, 0.05 / 2);
    // Everything below alpha / m goes at once; alone, a test keeps the full alpha.
    assert.deepEqual(holm([0.001, 0.002, 0.003], 0.05, (p, l) => p <= l).map((o) => o.rejected), [true, true, true]);
    assert.deepEqual(holm([0.04], 0.05, (p, l) => p <= l).map((o) => [o.rejected, o.level]), [[true, 0.05]]);
    assert.deepEqual(holm([], 0.05, () => true), []);
  });
});

describe('compare: Holm per comparison', () => {
  test('a p90 change significant alone is withheld among six metrics, and says why', () => {
    const base = latencyRun('a', 3, 1);
    const cand = latencyRun('b', 103, 1.06);
    const alone = compareRuns(base, cand, { resamples: 300, metrics: ['p90'] }).rows[0];
    assert.equal(alone.verdict, 'worse');
    assert.deepEqual(alone.holm, { family: 1, level: 0.05 });
    const c = compareRuns(base, cand, { resamples: 300 });
    assert.equal(c.correction, 'holm');
    const p90 = c.rows.find((r) => r.metric === 'p90')!;
    assert.equal(p90.verdict, 'no significant change');
    assert.equal(p90.holm!.family, 6);
    assert.match(p90.note!, /^worse at alpha 0\.05 alone, not after Holm's correction across 6 metrics/);
  });

  test('families are per group pair, gated rows apart from reported ones', () => {
    const rng = makeRng(8);
    const run = (id: string, scale: number) =>
      runRecord(id, [latencyResult(lognormalSamples(rng, 20000, 5000, 0.35, scale)), opsResult({ getppid: lognormalSamples(rng, 60, 80, 0.05, scale), read: lognormalSamples(rng, 60, 300, 0.05, scale) })]);
    const c = compareRuns(run('a', 1), run('b', 1.3), { resamples: 200, gates: [{ metric: 'p99', maxRegression: 0.1 }, { metric: 'syscall.getppid', maxRegression: 0.1 }] });
    const fam = (m: string) => c.rows.find((r) => r.metric === m)!.holm!.family;
    assert.equal(fam('p99'), 1);
    assert.equal(fam('p50'), 5);
    assert.equal(fam('syscall.getppid'), 1);
    assert.equal(fam('syscall.read'), 1);
    assert.deepEqual(c.regressions.map((r) => r.metric).sort(), ['p99', 'syscall.getppid']);
  });

  test('A/A: comparisons that call any change stay rare', () => {
    let calling = 0;
    for (let seed = 0; seed < 20; seed++) {
      const c = compareRuns(latencyRun('a', seed, 1, 3, 5000), latencyRun('b', seed + 700, 1, 3, 5000), { resamples: 200 });
      if (c.rows.some((r) => r.verdict !== 'no significant change')) calling++;
    }
    assert.ok(calling <= 2, `${calling} of 20 A/A comparisons called a change`);
  });
});

describe('minimum detectable effect', () => {
  test('the two-sample formula on log values, by hand', () => {
    const b = [100, 110, 90];
    const c = [105, 95, 100];
    const m = minimumDetectableEffect(b, c, 0.05);
    const logs = (v: number[]) => v.map(Math.log);
    const ss = (v: number[]) => {
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      return v.reduce((a, x) => a + (x - mean) ** 2, 0);
    };
    const s = Math.sqrt((ss(logs(b)) + ss(logs(c))) / 4);
    const z = normalQuantile(0.975) + normalQuantile(0.8);
    assert.ok(Math.abs(m.logSpread! - s) < 1e-12);
    assert.ok(Math.abs(m.relative! - (Math.exp(z * s * Math.sqrt(2 / 3)) - 1)) < 1e-12);
    assert.equal(m.repetitionsForTarget, Math.ceil(2 * ((z * s) / Math.log(1.05)) ** 2));
    assert.deepEqual([m.power, m.target, m.alpha], [0.8, 0.05, 0.05]);
    // More repetitions, smaller detectable change; the repetitions it asks for detect the target.
    const again = minimumDetectableEffect([...b, ...b, ...b], [...c, ...c, ...c], 0.05);
    assert.ok(again.relative! < m.relative!);
    const n = m.repetitionsForTarget!;
    assert.ok(Math.expm1(z * s * Math.sqrt(2 / n)) <= 0.05 + 1e-12);
    assert.ok(Math.expm1(z * s * Math.sqrt(2 / (n - 1))) > 0.05);
  });

  test('one repetition on a side: the spread is unknown, not zero', () => {
    const m = minimumDetectableEffect([100], [100, 101], 0.05);
    assert.deepEqual([m.logSpread, m.relative, m.repetitionsForTarget], [null, null, null]);
    assert.deepEqual(m.repetitions, { baseline: 1, candidate: 2 });
  });

  test('every comparison row states it, at its Holm family\'s strictest level', () => {
    const c = compareRuns(latencyRun('a', 1, 1, 3, 5000), latencyRun('b', 2, 1, 3, 5000), { resamples: 100 });
    const p99 = c.rows.find((r) => r.metric === 'p99')!;
    assert.equal(p99.mde!.alpha, 0.05 / 6);
    assert.deepEqual(p99.mde!.repetitions, { baseline: 3, candidate: 3 });
    assert.ok(p99.mde!.relative! > 0 && p99.mde!.repetitionsForTarget! >= 2, JSON.stringify(p99.mde));
    const one = compareRuns(latencyRun('a', 1, 1), latencyRun('b', 2, 1), { resamples: 100 });
    assert.equal(one.rows.find((r) => r.metric === 'p99')!.mde!.relative, null);
  });
});
