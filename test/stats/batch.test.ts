/** Batch means: the design effect of autocorrelated runs, and honest verdicts on them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { designEffect, opsDesignEffect, widenFactor } from '../../src/stats/batch.js';
import { compareRuns, type Comparison } from '../../src/stats/compare.js';
import { ar1Samples, latencyResult, lognormalSamples, makeRng, opsResult, runRecord, threadedLatencyResult } from './synth.js';

/** A run of `threads` threads, `seconds` s at 1000 samples/s, AR(1) log-latencies. */
function ar1Run(id: string, seed: number, phi: number, scale = 1, seconds = 3, threads = 2) {
  const rng = makeRng(seed);
  return runRecord(id, [threadedLatencyResult(Array.from({ length: threads }, () => ar1Samples(rng, seconds * 1000, phi, 5000, 0.35, scale)))]);
}

function sources(run: ReturnType<typeof ar1Run>) {
  const r = run.results[0];
  if (r.status !== 'completed' || !r.latency) throw new Error('not a latency result');
  return r.latency.threads.map((t) => ({ series: t.series, stddev: t.summary.stddev, count: t.summary.count }));
}

const verdict = (c: Comparison, metric: string) => c.rows.find((r) => r.metric === metric)!.verdict;

/** Whether a comparison called any metric worse (nothing is gated without gates). */
const calledWorse = (c: Comparison): boolean => c.rows.some((r) => r.verdict === 'worse');

describe('batch means: design effect', () => {
  test('independent samples: deff ~ 1', () => {
    for (const seed of [1, 2, 3]) {
      const d = designEffect(sources(ar1Run('a', seed, 0, 1, 30)));
      assert.equal(d.df, 58);
      assert.equal(d.batches, 60);
      assert.ok(d.raw > 0.5 && d.raw < 1.6, `seed ${seed}: deff ${d.raw}`);
      assert.ok(widenFactor(d, 0.95) < 1.3);
    }
  });

  test('AR(1) samples: deff near (1 + phi) / (1 - phi), and the factor grows with it', () => {
    // Gaussian AR(1) with phi 0.9 has deff 19 for the mean of the log; the lognormal is close.
    const d = designEffect(sources(ar1Run('a', 4, 0.9, 1, 30)));
    assert.ok(d.raw > 8 && d.raw < 40, `deff ${d.raw}`);
    assert.ok(widenFactor(d, 0.95) > 2.5);
  });

  test('not estimable without series, or with one second per thread', () => {
    assert.ok(Number.isNaN(designEffect([]).deff));
    const one = sources(ar1Run('a', 1, 0, 1, 1));
    assert.equal(designEffect(one).df, 0);
    assert.equal(widenFactor(designEffect(one), 0.95), 1);
  });

  test('ops: consecutive groups of sqrt(n) batches; iid ~ 1, drifting > 1', () => {
    const rng = makeRng(7);
    const iid = opsDesignEffect([lognormalSamples(rng, 400, 80, 0.05)]);
    assert.equal(iid.df, 19);
    assert.ok(iid.raw > 0.4 && iid.raw < 2, `iid deff ${iid.raw}`);
    const drift = opsDesignEffect([ar1Samples(rng, 400, 0.95, 80, 0.05)]);
    assert.ok(drift.raw > 5, `drift deff ${drift.raw}`);
  });
});

describe('batch means: verdicts on autocorrelated runs', () => {
  test('A/A pairs of AR(1) runs are not called a regression in most seeds (the iid bootstrap would be)', () => {
    let honest = 0;
    let naive = 0;
    const seeds = 20;
    for (let seed = 0; seed < seeds; seed++) {
      const samples = (sd: number) => {
        const rng = makeRng(sd);
        return [ar1Samples(rng, 3000, 0.99), ar1Samples(rng, 3000, 0.99)];
      };
      const [sa, sb] = [samples(seed), samples(seed + 1000)];
      const a = runRecord('a', [threadedLatencyResult(sa)]);
      const b = runRecord('b', [threadedLatencyResult(sb)]);
      if (calledWorse(compareRuns(a, b, { resamples: 200, ops: false }))) honest++;
      // The same samples without their series: the independent-samples behaviour.
      const a0 = runRecord('a', [latencyResult(sa.flat())]);
      const b0 = runRecord('b', [latencyResult(sb.flat())]);
      if (calledWorse(compareRuns(a0, b0, { resamples: 200, ops: false }))) naive++;
    }
    assert.ok(honest <= 2, `${honest} of ${seeds} A/A pairs called a regression`);
    assert.ok(naive >= 10, `the independent-samples bootstrap should cry wolf here (it did ${naive} times)`);
  });

  test('a +20% shift is still caught on autocorrelated runs (p50, p99, mean)', () => {
    for (const seed of [1, 2, 3]) {
      const c = compareRuns(ar1Run('a', seed, 0.9, 1, 20), ar1Run('b', seed + 100, 0.9, 1.2, 20), { resamples: 300 });
      for (const m of ['p50', 'p99', 'mean']) assert.equal(verdict(c, m), 'worse', `seed ${seed} ${m}`);
      assert.match(c.rows.find((r) => r.metric === 'p99')!.note!, /batch means: baseline deff/);
    }
  });

  test('max is judged by seconds, so one burst second is not a regression', () => {
    const rng = makeRng(9);
    const base = threadedLatencyResult([lognormalSamples(rng, 3000), lognormalSamples(rng, 3000)]);
    const burst = lognormalSamples(rng, 3000);
    for (let i = 1000; i < 1030; i++) burst[i] = 200000; // 30 spikes, all in second 1
    const cand = threadedLatencyResult([burst, lognormalSamples(rng, 3000)]);
    const c = compareRuns(runRecord('a', [base]), runRecord('b', [cand]), { resamples: 100, ops: false });
    assert.equal(verdict(c, 'max'), 'no significant change');
    assert.match(c.rows.find((r) => r.metric === 'max')!.note!, /exceedance by second/);
  });

  test('a result without series keeps the independent-sample interval and says so', () => {
    const rng = makeRng(3);
    const c = compareRuns(runRecord('a', [latencyResult(lognormalSamples(rng, 5000))]), ar1Run('b', 3, 0.5), { resamples: 100 });
    assert.match(c.rows.find((r) => r.metric === 'p50')!.note!, /baseline: no per-second series/);
  });

  test('ops A/A with drifting batches is quiet', () => {
    let calls = 0;
    for (let seed = 0; seed < 10; seed++) {
      const rng = makeRng(seed);
      const run = (id: string) => runRecord(id, [opsResult({ getppid: ar1Samples(rng, 60, 0.95, 80, 0.05) })]);
      if (compareRuns(run('a'), run('b'), { resamples: 200 }).rows[0].verdict !== 'no significant change') calls++;
    }
    assert.ok(calls <= 2, `${calls} of 10 drifting ops A/A pairs got a verdict`);
  });
});

