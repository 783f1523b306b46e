/** The loglin7 histogram layout: round-trips, error bound, merging. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUCKETS,
  Histogram,
  MAX_EXP,
  bucketBounds,
  bucketOf,
  bucketValue,
  mergeHistograms,
  type HistogramData,
} from '../../src/results/histogram.js';
import { quantile } from '../../src/stats/quantiles.js';
import { makeRng } from '../../src/stats/dist.js';

/** Deterministic PRNG (the stats module's mulberry32) so failures reproduce. */
const rng = makeRng;

describe('loglin7 layout', () => {
  test('size matches the protocol (4480 buckets, last index 4479)', () => {
    assert.equal(BUCKETS, 4480);
    assert.equal(bucketOf(2 ** (MAX_EXP + 1) - 1), 4479);
    assert.equal(bucketOf(2 ** (MAX_EXP + 1)), 4479);
    assert.equal(bucketOf(1e18), 4479);
  });

  test('values below 256 are exact', () => {
    for (let v = 0; v < 256; v++) {
      assert.equal(bucketOf(v), v);
      assert.deepEqual(bucketBounds(v), [v, v + 1]);
      assert.equal(bucketValue(v), v);
    }
    assert.equal(bucketOf(256), 256);
  });

  test('the formula of docs/protocol.md', () => {
    const r = rng(1);
    for (let k = 0; k < 10_000; k++) {
      const v = 256 + Math.floor(r() * 2 ** (8 + r() * 33));
      if (v >= 2 ** 41) continue;
      const e = Math.floor(Math.log2(v));
      const eFixed = 2 ** e > v ? e - 1 : 2 ** (e + 1) <= v ? e + 1 : e;
      const want = 256 + (eFixed - 8) * 128 + (Math.floor(v / 2 ** (eFixed - 7)) - 128);
      assert.equal(bucketOf(v), want, `v=${v}`);
    }
  });

  test('bounds round-trip and tile the line without gaps', () => {
    for (let i = 0; i < BUCKETS; i++) {
      const [lo, hi] = bucketBounds(i);
      assert.ok(hi > lo);
      assert.equal(bucketOf(lo), i, `lo of ${i}`);
      assert.equal(bucketOf(hi - 1), i, `hi-1 of ${i}`);
      if (i < BUCKETS - 1) {
        assert.equal(bucketBounds(i + 1)[0], hi, `gap after ${i}`);
        assert.equal(bucketOf(hi), i + 1);
      }
      if (i >= 256) assert.ok(hi - lo <= lo / 128, `width of ${i}`);
    }
  });

  test('powers of two and their neighbours land correctly', () => {
    for (let e = 8; e <= MAX_EXP; e++) {
      const p = 2 ** e;
      const i = bucketOf(p);
      assert.equal(bucketBounds(i)[0], p);
      assert.equal(bucketBounds(bucketOf(p - 1))[1], p);
    }
  });

  test('reported value is within 1% (0.39%) from 1 ns to 10 s, exact below 256', () => {
    const r = rng(7);
    for (let k = 0; k < 200_000; k++) {
      const v = Math.max(1, Math.floor(Math.exp(r() * Math.log(10e9))));
      const got = bucketValue(bucketOf(v));
      if (v < 256) assert.equal(got, v);
      else assert.ok(Math.abs(got - v) <= v / 256, `v=${v} got=${got}`);
    }
  });
});

describe('Histogram', () => {
  test('merging equals recording everything in one', () => {
    const r = rng(3);
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let k = 0; k < 5000; k++) {
      const v = Math.floor(1000 + r() * 1e6 * (r() < 0.01 ? 100 : 1));
      (k % 3 ? a : b).record(v);
      all.record(v);
    }
    // sumSq exceeds 2^53 here, so its last bits depend on the order of addition.
    const same = (x: HistogramData, y: HistogramData) => {
      assert.deepEqual({ ...x, sumSq: 0 }, { ...y, sumSq: 0 });
      assert.ok(Math.abs(x.sumSq - y.sumSq) <= y.sumSq * 1e-12);
    };
    same(mergeHistograms([a.toData(), b.toData(), new Histogram().toData()]), all.toData());
    const c = Histogram.from(a.toData());
    c.add(b);
    same(c.toData(), all.toData());
  });

  test('empty histograms', () => {
    const d = new Histogram().toData();
    assert.deepEqual(d, { layout: 'loglin7', bins: [], min: 0, max: 0, count: 0, sum: 0, sumSq: 0 });
    assert.deepEqual(mergeHistograms([]), d);
  });

  test('quantiles are within 1% of exact nearest-rank quantiles', () => {
    const r = rng(11);
    const h = new Histogram();
    const values: number[] = [];
    for (let k = 0; k < 20_000; k++) {
      const v = Math.floor(Math.exp(Math.log(50) + r() * Math.log(2e6)));
      values.push(v);
      h.record(v);
    }
    values.sort((x, y) => x - y);
    const data = h.toData();
    for (const q of [0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1]) {
      const exact = values[Math.max(1, Math.ceil(q * values.length)) - 1];
      const got = quantile(data, q);
      if (exact < 256) assert.equal(got, exact, `q=${q}`);
      else assert.ok(Math.abs(got - exact) <= exact * 0.01, `q=${q} exact=${exact} got=${got}`);
    }
    assert.equal(data.sum, values.reduce((s, v) => s + v, 0));
  });
});
