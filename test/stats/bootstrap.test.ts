/** Histogram bootstrap vs the same bootstrap over the raw samples; tail support; repetition intervals. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramIntervals, repetitionInterval, repetitionRatioInterval, resampleCounts, tailSupport } from '../../src/stats/bootstrap.js';
import { percentileInterval } from '../../src/stats/dist.js';
import { histogramOf, lognormalSamples, makeRng } from './synth.js';

/** Percentile-method bootstrap over raw samples: the reference the histogram version must reproduce. */
function rawBootstrap(samples: number[], qs: number[], B: number, seed: number) {
  const rng = makeRng(seed);
  const n = samples.length;
  const tmp = new Float64Array(n);
  const draws = qs.map(() => new Float64Array(B));
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += tmp[i] = samples[Math.floor(rng() * n)];
    tmp.sort();
    qs.forEach((q, k) => (draws[k][b] = tmp[Math.max(1, Math.ceil(q * n)) - 1]));
    means[b] = sum / n;
  }
  return { q: draws.map((d) => percentileInterval(d, 0.95)), mean: percentileInterval(means, 0.95) };
}

describe('bootstrap over a histogram', () => {
  test('intervals match a bootstrap over the raw samples (lognormal latencies)', () => {
    for (const seed of [1, 2]) {
      const samples = lognormalSamples(makeRng(seed), 20000, 5000, 0.35);
      const iv = histogramIntervals(histogramOf(samples), { seed: 99 });
      const ref = rawBootstrap(samples, [0.5, 0.9, 0.99, 0.999], 600, seed + 10);
      // Tolerance: bucket rounding (<0.4%) plus Monte Carlo noise of the endpoints, which grows in the tail.
      const tol = [0.012, 0.012, 0.02, 0.05];
      [iv.p50, iv.p90, iv.p99, iv.p999].forEach((got, k) => {
        const [lo, hi] = ref.q[k];
        assert.ok(Math.abs(got.low / lo - 1) < tol[k], `seed ${seed} q${k} low ${got.low} vs ${lo}`);
        assert.ok(Math.abs(got.high / hi - 1) < tol[k], `seed ${seed} q${k} high ${got.high} vs ${hi}`);
        assert.ok(got.low <= got.estimate && got.estimate <= got.high);
      });
      assert.ok(Math.abs(iv.mean.low / ref.mean[0] - 1) < 0.002, `mean low ${iv.mean.low} vs ${ref.mean[0]}`);
      assert.ok(Math.abs(iv.mean.high / ref.mean[1] - 1) < 0.002, `mean high ${iv.mean.high} vs ${ref.mean[1]}`);
    }
  });

  test('a resample keeps the total and is centred on the original counts', () => {
    const h = histogramOf(lognormalSamples(makeRng(5), 5000));
    const rng = makeRng(6);
    const acc = new Float64Array(h.bins.length);
    const R = 400;
    for (let r = 0; r < R; r++) {
      const c = resampleCounts(h.bins, h.count, rng);
      assert.equal(c.reduce((a, b) => a + b, 0), h.count);
      c.forEach((x, i) => (acc[i] += x / R));
    }
    const big = h.bins.map(([, c], i) => [c, acc[i]]).filter(([c]) => c >= 100);
    for (const [c, m] of big) assert.ok(Math.abs(m / c - 1) < 0.1, `${m} vs ${c}`);
  });

  test('the same seed gives the same intervals', () => {
    const h = histogramOf(lognormalSamples(makeRng(8), 3000));
    assert.deepEqual(histogramIntervals(h, { seed: 4, resamples: 200 }), histogramIntervals(h, { seed: 4, resamples: 200 }));
  });

  test('an empty histogram gives NaN, not a crash', () => {
    const iv = histogramIntervals(histogramOf([]), { resamples: 10 });
    assert.ok(Number.isNaN(iv.p99.estimate) && Number.isNaN(iv.p99.low));
  });
});

describe('tail support', () => {
  test('p99.99 from 5,000 samples is flagged; p99 is not', () => {
    assert.equal(tailSupport(5000, 0.9999).supported, false);
    assert.equal(tailSupport(5000, 0.99).supported, true);
    assert.equal(tailSupport(10000, 0.999).supported, true);
    assert.equal(tailSupport(9999, 0.999).supported, false);
    assert.equal(tailSupport(5000, 0.9999).countNeeded, 100000);
    const iv = histogramIntervals(histogramOf(lognormalSamples(makeRng(1), 5000)), { resamples: 50 });
    assert.deepEqual(
      iv.support.map((s) => s.supported),
      [true, true, true, false, false],
    );
  });
});

describe('across repetitions', () => {
  test('t-interval of repetition figures', () => {
    const iv = repetitionInterval([1, 2, 3, 4, 5]);
    assert.equal(iv.estimate, 3);
    const half = 2.7764451 * (Math.sqrt(2.5) / Math.sqrt(5));
    assert.ok(Math.abs(iv.high - 3 - half) < 1e-4 && Math.abs(3 - iv.low - half) < 1e-4);
  });

  test('bootstrap of repetition means lies inside the range and around the mean', () => {
    const iv = repetitionInterval([10, 11, 12, 13, 14, 15], { method: 'bootstrap', resamples: 2000 });
    assert.ok(iv.low > 10 && iv.high < 15 && iv.low < 12.5 && iv.high > 12.5);
  });

  test('one repetition says nothing about run-to-run noise', () => {
    const iv = repetitionInterval([7]);
    assert.ok(Number.isNaN(iv.low) && Number.isNaN(iv.high));
    assert.equal(repetitionRatioInterval([1], [1, 2]), null);
  });

  test('ratio interval over repetitions covers the true ratio', () => {
    const [lo, hi] = repetitionRatioInterval([100, 104, 98, 101], [120, 123, 118, 121])!;
    assert.ok(lo < 1.2 && hi > 1.2 && lo > 1.1);
  });
});
