/** Sample quartiles against simple-statistics, R's documented results, and stats/median.ts' median. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileSorted } from 'simple-statistics';
import { median, sorted as ascending } from '../../src/stats/median.js';
import { quartiles, sampleQuantile } from '../../src/stats/sample-quantiles.js';
import { lognormalSamples, makeRng } from './synth.js';

describe('sample quantiles (type 7)', () => {
  test("R's quantile(1:10) and quantile(c(1, 3, 5, 7)): hand-checked values", () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(quartiles(ten), { q1: 3.25, q3: 7.75 });
    assert.deepEqual(quartiles([7, 1, 5, 3]), { q1: 2.5, q3: 5.5 }, 'order does not matter');
    assert.deepEqual(quartiles([4]), { q1: 4, q3: 4 });
    const e = quartiles([]);
    assert.ok(Number.isNaN(e.q1) && Number.isNaN(e.q3));
  });

  test('equal to simple-statistics quantileSorted on random samples, and its median to stats/median.ts', () => {
    const rng = makeRng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rng() * 60);
      // Integer samples force ties; lognormal ones look like ns/op figures.
      const xs = trial % 2 ? Array.from({ length: n }, () => Math.floor(rng() * 8)) : lognormalSamples(rng, n, 100, 0.3);
      const sorted = [...xs].sort((a, b) => a - b);
      for (const p of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) {
        const want = quantileSorted(sorted, p);
        assert.ok(Math.abs(sampleQuantile(sorted, p) - want) <= 1e-9 * Math.max(1, Math.abs(want)), `trial ${trial} n=${n} p=${p}`);
      }
      assert.equal(sampleQuantile(sorted, 0.5), median(ascending(sorted)));
      const { q1, q3 } = quartiles(xs);
      assert.ok(q1 <= median(ascending(sorted)) && median(ascending(sorted)) <= q3);
    }
  });

  test('a level outside [0, 1] is an error', () => {
    assert.throws(() => sampleQuantile([1, 2], 1.5), RangeError);
    assert.throws(() => sampleQuantile([1, 2], NaN), RangeError);
  });
});
