/** Rank-sum from histograms against simple-statistics' wilcoxonRankSum and brute force. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { wilcoxonRankSum } from 'simple-statistics';
import { rankSumHistograms, rankSumSamples } from '../../src/stats/ranksum.js';
import { histogramOf, lognormalSamples, makeRng } from './synth.js';

/** Pairs with x > y plus half the ties: the definition of U. */
function bruteU(x: number[], y: number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

describe('rank-sum', () => {
  // simple-statistics 7.x wilcoxonRankSum(x, y) returns the rank sum of x: 1-based ranks in the
  // pooled sample, ties given their average rank. (Not U, not a p-value.)
  test('wilcoxonRankSum returns the rank sum of X (checked on its documented example)', () => {
    assert.equal(wilcoxonRankSum([1, 4, 8], [9, 12, 15]), 6);
    assert.equal(rankSumSamples([1, 4, 8], [9, 12, 15]).rankSumX, 6);
  });

  test('histogram rank sum equals wilcoxonRankSum on small integer samples with ties', () => {
    const rng = makeRng(11);
    for (let trial = 0; trial < 200; trial++) {
      const nx = 1 + Math.floor(rng() * 15);
      const ny = 1 + Math.floor(rng() * 15);
      // Values below 256 have exact buckets, so bucket ties are value ties; a small range forces many ties.
      const range = 2 + Math.floor(rng() * 30);
      const x = Array.from({ length: nx }, () => 100 + Math.floor(rng() * range));
      const y = Array.from({ length: ny }, () => 100 + Math.floor(rng() * range) + (trial % 3));
      const r = rankSumHistograms(histogramOf(x), histogramOf(y));
      assert.equal(r.rankSumX, wilcoxonRankSum(x, y), `trial ${trial}`);
      assert.equal(r.u, bruteU(x, y));
      assert.equal(rankSumSamples(x, y).rankSumX, r.rankSumX);
      assert.ok(Math.abs(r.probXGreater - bruteU(x, y) / (nx * ny)) < 1e-12);
    }
  });

  test('symmetry: swapping the samples flips z and the effect, keeps p', () => {
    const x = lognormalSamples(makeRng(1), 3000, 5000);
    const y = lognormalSamples(makeRng(2), 3000, 5200);
    const a = rankSumHistograms(histogramOf(x), histogramOf(y));
    const b = rankSumHistograms(histogramOf(y), histogramOf(x));
    assert.ok(Math.abs(a.z + b.z) < 1e-9);
    assert.ok(Math.abs(a.p - b.p) < 1e-12);
    assert.ok(Math.abs(a.probXGreater + b.probXGreater - 1) < 1e-12);
    assert.ok(a.z < 0 && a.p < 0.01, `x is smaller: z=${a.z} p=${a.p}`);
  });

  test('tie-corrected z matches a textbook example', () => {
    // x = [1, 2, 2, 3], y = [2, 3, 4, 5]: ranks 1, 3, 3, 3 | 3, 5.5, 5.5, 7, 8 -> computed by hand below.
    const r = rankSumSamples([1, 2, 2, 3], [2, 3, 4, 5]);
    assert.equal(r.rankSumX, 1 + 3 + 3 + 5.5);
    const u = r.rankSumX - 10;
    const ties = 3 ** 3 - 3 + (2 ** 3 - 2);
    const sd = Math.sqrt(((4 * 4) / 12) * (9 - ties / (8 * 7)));
    assert.ok(Math.abs(r.z - (u - 8 + 0.5) / sd) < 1e-12);
  });

  test('identical distributions give large p in most seeds', () => {
    let small = 0;
    for (let seed = 0; seed < 40; seed++) {
      const r = rankSumHistograms(histogramOf(lognormalSamples(makeRng(seed), 2000)), histogramOf(lognormalSamples(makeRng(seed + 1000), 2000)));
      if (r.p < 0.05) small++;
    }
    assert.ok(small <= 6, `${small} of 40 below 0.05`);
  });

  test('all samples tied: no evidence, p = 1', () => {
    const r = rankSumSamples([5, 5, 5], [5, 5]);
    assert.equal(r.p, 1);
    assert.equal(r.probXGreater, 0.5);
  });
});
