/** Numerical building blocks against simple-statistics and textbook values. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cumulativeStdNormalProbability, errorFunction } from 'simple-statistics';
import { binomialDraw, erfc, makeRng, normalCdf, normalQuantile, normalSf, tCdf, tQuantile } from '../../src/stats/dist.js';

describe('distributions', () => {
  test('erfc and normal CDF agree with simple-statistics', () => {
    for (const x of [-3, -1.5, -0.3, 0, 0.2, 1, 2.4, 2.6, 3.5]) {
      assert.ok(Math.abs(1 - erfc(x) - errorFunction(x)) < 1e-6, `erf(${x})`);
      // simple-statistics' Phi is a table to 2 decimals, ending at 3.09.
      if (Math.abs(x) <= 3) assert.ok(Math.abs(normalCdf(x) - cumulativeStdNormalProbability(x)) < 1e-4, `Phi(${x})`);
    }
  });

  test('normal tail stays accurate far out (tiny p-values)', () => {
    // P(Z > 10) = 7.6198530241605e-24
    assert.ok(Math.abs(normalSf(10) / 7.6198530241605e-24 - 1) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-9);
  });

  test('t quantiles match the table', () => {
    const table: Array<[number, number]> = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [4, 2.776],
      [5, 2.571],
      [10, 2.228],
      [30, 2.042],
      [120, 1.98],
    ];
    for (const [df, t] of table) assert.ok(Math.abs(tQuantile(0.975, df) - t) < 1.5e-3, `df ${df}: ${tQuantile(0.975, df)}`);
    assert.ok(Math.abs(tCdf(0, 7) - 0.5) < 1e-12);
  });

  test('binomial draws have the right mean and variance (exact and normal branches)', () => {
    const rng = makeRng(3);
    for (const [n, p] of [
      [20, 0.3],
      [1000, 0.01],
      [100000, 0.4],
    ] as const) {
      const N = 20000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const x = binomialDraw(n, p, rng);
        assert.ok(x >= 0 && x <= n && Number.isInteger(x));
        s += x;
        s2 += x * x;
      }
      const mean = s / N;
      const v = s2 / N - mean * mean;
      assert.ok(Math.abs(mean - n * p) < 4 * Math.sqrt((n * p * (1 - p)) / N), `mean n=${n} p=${p}: ${mean}`);
      assert.ok(Math.abs(v / (n * p * (1 - p)) - 1) < 0.06, `variance n=${n} p=${p}: ${v}`);
    }
  });
});
