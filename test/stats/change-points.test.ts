/**
 * Change points (stats/change-points.ts, stats/history-changes.ts) on synthetic series with
 * planted changes and stated noise: found within ±1 run, direction-aware; none in A/A series;
 * deterministic; a single noisy run is no change, except as the newest run when it is large.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changePoints, tTestP } from '../../src/stats/change-points.js';
import { historyChanges } from '../../src/stats/history-changes.js';
import { makeRng } from '../../src/stats/dist.js';
import { aaSeries, oneChangeSeries, plantedSeries, score } from './change-synth.js';

test('planted changes of 20% and 50% at 5% noise are found within ±1 run, nearly without false ones', () => {
  for (const shift of [0.2, 0.5]) {
    const s = score(oneChangeSeries(11, 100, 60, 0.05, shift));
    assert.ok(s.truePositives >= 97, `recall ${s.truePositives}/100 at ${shift}`);
    assert.ok(s.falsePositives <= 4, `${s.falsePositives} false change points at ${shift}`);
  }
});

test('two changes close together (5 runs apart) are both found', () => {
  const rng = makeRng(5);
  let both = 0;
  for (let i = 0; i < 50; i++) {
    const p = plantedSeries(rng, 40, 0.03, [{ at: 20, shift: 0.3 }, { at: 25, shift: -0.2 }]);
    const found = changePoints(p.values).map((c) => c.index);
    if (p.changes.every((c) => found.some((f) => Math.abs(f - c) <= 1))) both++;
  }
  assert.ok(both >= 47, `${both}/50 series with both changes found`);
});

test('A/A series: no change point in at least 99% of them, at 5%, 10% and 30% noise', () => {
  for (const cv of [0.05, 0.1, 0.3]) {
    const s = score(aaSeries(Math.round(cv * 1000) + 3, 200, 60, cv));
    assert.ok(s.aaSeriesFlagged <= 2, `${s.aaSeriesFlagged} of 200 A/A series flagged at CV ${cv}`);
  }
});

test('direction: lower is better by default (an increase is a regression), and the reverse when asked', () => {
  const x = [...Array(15).fill(100), ...Array(15).fill(130)].map((v, i) => v + (i % 3) - 1);
  const [up] = changePoints(x);
  assert.equal(up.index, 15);
  assert.equal(up.direction, 'regression');
  assert.ok(Math.abs(up.change - 0.3) < 0.01, String(up.change));
  assert.ok(up.pValue < 1e-6);
  assert.equal(up.before.n, 15);
  assert.equal(up.after.n, 15);
  assert.ok(up.before.ciLow! < up.before.mean && up.before.mean < up.before.ciHigh!);
  assert.equal(changePoints(x, { lowerIsBetter: false })[0].direction, 'improvement');
  assert.equal(changePoints([...x].reverse())[0].direction, 'improvement');
});

test('a shift below the smallest magnitude is no change point, and is one when the magnitude allows it', () => {
  const x = [...Array(20).fill(1000), ...Array(20).fill(1030)].map((v, i) => v + ((i * 7) % 5) - 2);
  assert.deepEqual(changePoints(x, { minMagnitude: 0.05 }), []);
  assert.equal(changePoints(x, { minMagnitude: 0.01 })[0]?.index, 20);
});

test('one noisy run in the middle is no change; a large shift at the newest run is one (one run after it)', () => {
  const rng = makeRng(9);
  const base = plantedSeries(rng, 30, 0.05, []).values;
  const spike = [...base];
  spike[15] *= 3;
  assert.deepEqual(changePoints(spike).map((c) => c.index), []);
  const last = [...base, base[0] * 3];
  const cps = changePoints(last);
  assert.deepEqual(cps.map((c) => [c.index, c.direction, c.after.n, c.after.ciLow]), [[30, 'regression', 1, null]]);
});

test('deterministic: the same series gives the same change points; a constant series none', () => {
  const p = oneChangeSeries(42, 1, 200, 0.1, 0.3)[0];
  assert.deepEqual(changePoints(p.values), changePoints([...p.values]));
  assert.deepEqual(changePoints(Array(50).fill(7)), []);
  assert.deepEqual(changePoints([]), []);
  assert.deepEqual(changePoints([1]), []);
});

test('long series: changes are found across the windows of the search', () => {
  const rng = makeRng(77);
  const plants = [{ at: 300, shift: 0.25 }, { at: 1200, shift: -0.3 }, { at: 1950, shift: 0.5 }];
  const p = plantedSeries(rng, 2000, 0.05, plants);
  const found = changePoints(p.values).map((c) => c.index);
  for (const c of p.changes) assert.ok(found.some((f) => Math.abs(f - c) <= 1), `change at ${c} not found in ${found}`);
  assert.ok(found.length <= p.changes.length + 2, `found ${found}`);
});

test('bad input and options are refused', () => {
  assert.throws(() => changePoints([1, NaN, 2]), /value 1 is not a finite number/);
  assert.throws(() => changePoints([1, 2], { alpha: 0 }), /alpha/);
  assert.throws(() => changePoints([1, 2], { minSegment: 0 }), /minSegment/);
  assert.throws(() => changePoints([1, 2], { window: 3 }), /window/);
});

test("tTestP: Student's pooled test; one run on a side borrows the other's spread", () => {
  const st = (n: number, mean: number, variance: number) => ({ n, mean, variance });
  assert.equal(tTestP(st(10, 5, 1), st(10, 5, 1)), 1);
  // t = 1 / sqrt(1 * (1/10 + 1/10)) = 2.236 on 18 df: p = 0.038
  assert.ok(Math.abs(tTestP(st(10, 5, 1), st(10, 6, 1)) - 0.038) < 0.001);
  assert.ok(tTestP(st(10, 5, 1), st(1, 20, 0)) < 0.001);
  assert.equal(tTestP(st(1, 5, 0), st(1, 6, 0)), 0);
});

test("historyChanges: per series, the scenario's threshold as the smallest shift, newest marked only at the scenario's newest run", () => {
  const mk = (metric: string, values: number[], host = 'h') => ({
    scenario: 's',
    host,
    deployment: 'bare',
    benchmark: 'w',
    metric,
    runIds: values.map((_, i) => `r${i}`),
    startedAt: values.map((_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`),
    values,
  });
  const flat = Array.from({ length: 12 }, (_, i) => 100 + (i % 3));
  const jump = [...flat.slice(0, 11), 400];
  const small = [...flat.slice(0, 6), ...flat.slice(6).map((v) => v * 1.08)];
  const out = historyChanges([mk('p99', jump), mk('mean', small), mk('p50', jump.slice(0, 11), 'g')], { thresholds: new Map([['s', 0.1]]) });
  assert.deepEqual(out.map((s) => [s.host, s.metric, s.minMagnitude, s.changes.map((c) => [c.runId, c.previousRunId, c.direction, c.newest])]), [
    ['g', 'p50', 0.1, []],
    ['h', 'mean', 0.1, []],
    ['h', 'p99', 0.1, [['r11', 'r10', 'regression', true]]],
  ]);
  // An 8% shift counts with a threshold of 5%.
  const five = historyChanges([mk('mean', small)], { thresholds: new Map([['s', 0.05]]) });
  assert.deepEqual(five[0].changes.map((c) => [c.runId, c.newest]), [['r6', false]]);
});
