/** Verdicts on synthetic runs with known shifts: no change stays quiet, +20% is worse, -20% is better. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDeployments, compareRuns, exceedanceP, type Comparison } from '../../src/stats/compare.js';
import { renderComparisonMarkdown } from '../../src/report/compare-md.js';
import { renderComparisonJunit } from '../../src/report/junit.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from './synth.js';

const N = 20000;

function latencyRun(id: string, seed: number, scale: number, reps = 1, n = N) {
  const rng = makeRng(seed);
  return runRecord(
    id,
    Array.from({ length: reps }, (_, i) => latencyResult(lognormalSamples(rng, n, 5000, 0.35, scale), { repetition: i + 1 })),
  );
}

function opsRun(id: string, seed: number, scale: number, batches = 60) {
  const rng = makeRng(seed);
  return runRecord(id, [opsResult({ getppid: lognormalSamples(rng, batches, 80, 0.05, scale) })]);
}

function verdicts(c: Comparison): Record<string, string> {
  return Object.fromEntries(c.rows.map((r) => [r.metric, r.verdict]));
}

describe('compare: verdicts on known shifts', () => {
  test('0% change: no verdict in nearly all seeds (A/A)', () => {
    let calls = 0;
    let rows = 0;
    for (let seed = 0; seed < 12; seed++) {
      const c = compareRuns(latencyRun('a', seed, 1), latencyRun('b', seed + 500, 1), { resamples: 300 });
      rows += c.rows.length;
      calls += c.rows.filter((r) => r.verdict !== 'no significant change').length;
    }
    assert.ok(calls <= 1, `${calls} of ${rows} A/A rows got a verdict`);
  });

  test('+20% is worse, -20% is better (p50 p90 p99 mean)', () => {
    for (const seed of [1, 2, 3]) {
      const worse = verdicts(compareRuns(latencyRun('a', seed, 1), latencyRun('b', seed + 100, 1.2), { resamples: 300 }));
      const better = verdicts(compareRuns(latencyRun('a', seed, 1), latencyRun('b', seed + 100, 0.8), { resamples: 300 }));
      for (const m of ['p50', 'p90', 'p99', 'mean']) {
        assert.equal(worse[m], 'worse', `seed ${seed} ${m}`);
        assert.equal(better[m], 'better', `seed ${seed} ${m}`);
      }
      // Tail and max may lack the evidence, but never point the wrong way.
      for (const m of ['p99.9', 'max']) {
        assert.notEqual(worse[m], 'better');
        assert.notEqual(better[m], 'worse');
      }
    }
  });

  test('rows carry ratio, interval, p and effect; regressions are the gated worse rows', () => {
    const c = compareRuns(latencyRun('a', 1, 1), latencyRun('b', 2, 1.2), { resamples: 200 });
    const p99 = c.rows.find((r) => r.metric === 'p99')!;
    assert.equal(p99.key, 'cyclic/bare@local');
    assert.ok(p99.ratioLow! < p99.ratio && p99.ratio < p99.ratioHigh!);
    assert.ok(Math.abs(p99.ratio - 1.2) < 0.06);
    assert.ok(p99.p! < 1e-6 && p99.effect! > 0.6);
    // Without gates nothing is gated: the verdicts are reported, and no regression fails anything.
    assert.ok(c.rows.some((r) => r.verdict === 'worse'));
    assert.ok(c.rows.every((r) => r.gated === false));
    assert.deepEqual(c.regressions, []);
    const all = ['p50', 'p90', 'p99', 'p99.9', 'max', 'mean'].map((metric) => ({ metric, maxRegression: 0.05 }));
    const gated = compareRuns(latencyRun('a', 1, 1), latencyRun('b', 2, 1.2), { resamples: 200, gates: all });
    assert.deepEqual(
      gated.regressions.map((r) => r.metric).sort(),
      gated.rows.filter((r) => r.verdict === 'worse').map((r) => r.metric).sort(),
    );
    assert.ok(gated.regressions.length >= 4);
    assert.doesNotThrow(() => JSON.stringify(c));
    assert.ok(!('decide' in p99));
  });

  test('a 3% shift stays under the 5% noise threshold', () => {
    const c = compareRuns(latencyRun('a', 1, 1, 1, 100000), latencyRun('b', 2, 1.03, 1, 100000), { resamples: 200 });
    assert.equal(verdicts(c).p50, 'no significant change');
    // ...but a 1% threshold sees it.
    const strict = compareRuns(latencyRun('a', 1, 1, 1, 100000), latencyRun('b', 2, 1.03, 1, 100000), { resamples: 200, threshold: 0.01 });
    assert.equal(verdicts(strict).p50, 'worse');
  });

  test('repetitions widen the interval by the run-to-run noise', () => {
    // Each repetition drifts by a random +-8%: the pooled bootstrap alone would be too sure.
    const drift = (id: string, seed: number) => {
      const rng = makeRng(seed);
      return runRecord(
        id,
        [1, 2, 3].map((rep) => latencyResult(lognormalSamples(rng, 10000, 5000, 0.35, 1 + (rng() - 0.5) * 0.16), { repetition: rep })),
      );
    };
    const c = compareRuns(drift('a', 1), drift('b', 2), { resamples: 200 });
    const one = compareRuns(runRecord('a', drift('a', 1).results.slice(0, 1)), runRecord('b', drift('b', 2).results.slice(0, 1)), { resamples: 200 });
    const w = (x: Comparison) => x.rows.find((r) => r.metric === 'p50')!;
    assert.ok(w(c).ratioHigh! - w(c).ratioLow! > 2 * (w(one).ratioHigh! - w(one).ratioLow!));
    assert.ok(c.rows.find((r) => r.metric === 'p50')!.note!.includes('repetitions'));
  });

  test('a percentile without tail support gets no verdict, even on a big shift', () => {
    const c = compareRuns(latencyRun('a', 1, 1, 1, 5000), latencyRun('b', 2, 1.5, 1, 5000), { resamples: 200, metrics: ['p99', 'p99.9', 'p99.99'] });
    const v = verdicts(c);
    assert.equal(v.p99, 'worse');
    assert.equal(v['p99.9'], 'no significant change');
    assert.match(c.rows.find((r) => r.metric === 'p99.9')!.note!, /not enough samples/);
  });
});

describe('compare: max by exceedance', () => {
  test('the exceedance probability is exact: top k all from one side', () => {
    assert.equal(exceedanceP(0, 10, 10), 1);
    assert.ok(Math.abs(exceedanceP(1, 10, 10) - 0.5) < 1e-12);
    assert.ok(Math.abs(exceedanceP(2, 10, 10) - (10 / 20) * (9 / 19)) < 1e-12);
    assert.equal(exceedanceP(11, 10, 10), 0);
  });

  test('one spike is not a max regression; a cluster of spikes is', () => {
    const base = lognormalSamples(makeRng(1), N);
    const cand = lognormalSamples(makeRng(2), N);
    const one = compareRuns(runRecord('a', [latencyResult(base)]), runRecord('b', [latencyResult([...cand, 200000])]), { resamples: 100 });
    assert.equal(verdicts(one).max, 'no significant change');
    const many = compareRuns(runRecord('a', [latencyResult(base)]), runRecord('b', [latencyResult([...cand, ...Array(12).fill(200000)])]), {
      resamples: 100,
    });
    assert.equal(verdicts(many).max, 'worse');
    // The 12 spikes, plus any natural candidate sample that happens to lie beyond baseline max + 5%.
    assert.ok(Number(/(\d+) candidate samples/.exec(many.rows.find((r) => r.metric === 'max')!.note!)![1]) >= 12);
    assert.equal(many.rows.find((r) => r.metric === 'max')!.ratioLow, null);
  });
});

describe('compare: syscall ops', () => {
  test('ns/op: 0% quiet, +20% worse, -20% better', () => {
    let calls = 0;
    for (let seed = 0; seed < 10; seed++) {
      const c = compareRuns(opsRun('a', seed, 1), opsRun('b', seed + 50, 1), { resamples: 300 });
      if (c.rows[0].verdict !== 'no significant change') calls++;
    }
    assert.ok(calls <= 1, `${calls} A/A op verdicts`);
    assert.equal(compareRuns(opsRun('a', 1, 1), opsRun('b', 2, 1.2)).rows[0].verdict, 'worse');
    assert.equal(compareRuns(opsRun('a', 1, 1), opsRun('b', 2, 0.8)).rows[0].verdict, 'better');
    assert.equal(compareRuns(opsRun('a', 1, 1), opsRun('b', 2, 1.2)).rows[0].metric, 'syscall.getppid');
  });
});

describe('compare: grouping and gating', () => {
  test('deployment vs deployment inside one run', () => {
    const rng = makeRng(4);
    const rec = runRecord('r', [
      latencyResult(lognormalSamples(rng, N), { deployment: 'bare' }),
      latencyResult(lognormalSamples(rng, N, 5000, 0.35, 1.3), { deployment: 'vm' }),
    ]);
    const c = compareDeployments(rec, 'bare', 'vm', { resamples: 200 });
    assert.equal(c.rows[0].key, 'cyclic@local: vm vs bare');
    assert.equal(verdicts(c).p50, 'worse');
  });

  test('unmatched groups are listed, warm-up repetition 0 is left out', () => {
    const rng = makeRng(5);
    const a = runRecord('a', [
      latencyResult(lognormalSamples(rng, 5000, 5000, 0.35, 3), { repetition: 0 }),
      latencyResult(lognormalSamples(rng, 5000), { repetition: 1 }),
      latencyResult(lognormalSamples(rng, 5000), { deployment: 'old' }),
    ]);
    const b = runRecord('b', [latencyResult(lognormalSamples(rng, 5000)), latencyResult(lognormalSamples(rng, 5000), { deployment: 'new' })]);
    const c = compareRuns(a, b, { resamples: 100 });
    assert.deepEqual(c.unmatched, { baseline: ['cyclic/old@local'], candidate: ['cyclic/new@local'] });
    assert.equal(c.rows.find((r) => r.metric === 'p50')!.repetitions.baseline, 1);
    assert.equal(verdicts(c).p50, 'no significant change');
  });

  test('no percentile rows where a side kept no full histogram (Holm counts only the rows there are)', () => {
    const rng = makeRng(6);
    const full = latencyResult(lognormalSamples(rng, 5000));
    const bare = latencyResult(lognormalSamples(rng, 5000));
    if (bare.status !== 'completed' || !bare.latency) throw new Error('synth');
    const noBins = { ...bare, latency: { ...bare.latency, histogram: { ...bare.latency.histogram, bins: [] } } };
    const c = compareRuns(runRecord('a', [full]), runRecord('b', [noBins]), { resamples: 100 });
    assert.deepEqual(c.rows.map((r) => r.metric).sort(), ['max', 'mean']);
    assert.ok(c.rows.every((r) => r.holm!.family === 2));
  });

  test('deployments inside one run: whole-µs inputs widen the intervals as between runs', () => {
    const rng = makeRng(7);
    const whole = (deployment: string) => {
      const r = latencyResult(lognormalSamples(rng, 5000).map((v) => Math.floor(v / 1000) * 1000), { deployment });
      return { ...r, latency: { ...r.latency, resolutionNs: 1000 } };
    };
    const c = compareDeployments(runRecord('a', [whole('bare'), whole('vm')]), 'bare', 'vm', { resamples: 100 });
    const p50 = c.rows.find((r) => r.metric === 'p50')!;
    assert.match(p50.note ?? '', /widened for the inputs' resolution \(baseline 1 us, candidate 1 us\)/);
  });

  test('gates: only matching rows are gated, with their own allowance', () => {
    const a = latencyRun('a', 1, 1);
    const b = latencyRun('b', 2, 1.2);
    const loose = compareRuns(a, b, { resamples: 200, gates: [{ metric: 'p99', maxRegression: 0.5 }] });
    const p99 = loose.rows.find((r) => r.metric === 'p99')!;
    assert.equal(p99.gated, true);
    assert.equal(p99.threshold, 0.5);
    assert.equal(p99.verdict, 'no significant change');
    assert.equal(loose.rows.find((r) => r.metric === 'p50')!.gated, false);
    assert.equal(loose.regressions.length, 0);
    const tight = compareRuns(a, b, { resamples: 200, gates: [{ metric: 'p99', maxRegression: 0.1 }] });
    assert.deepEqual(tight.regressions.map((r) => r.metric), ['p99']);
  });
});

describe('compare: writers', () => {
  test('markdown table and JUnit XML with one failing testcase per gated regression', () => {
    const c = compareRuns(latencyRun('a', 1, 1), latencyRun('b<&>', 2, 1.2), { resamples: 100, gates: [{ metric: 'p99', maxRegression: 0.1 }, { metric: 'p50', maxRegression: 0.5 }] });
    const md = renderComparisonMarkdown(c);
    assert.match(md, /\| Group \| Metric \|/);
    assert.match(md, /\| cyclic\/bare@local \| p99 \|.*\*\*worse\*\* \(gated\)/);
    assert.match(md, /## Regressions \(1\)/);
    const xml = renderComparisonJunit(c);
    assert.match(xml, /<testsuites name="unilat" tests="2" failures="1" skipped="0">/);
    assert.match(xml, /compare b&lt;&amp;&gt; vs a/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
    assert.equal((xml.match(/<failure /g) ?? []).length, 1);
    // A gated tail without the samples to judge it is a skip, not a pass.
    const thin = compareRuns(latencyRun('a', 1, 1, 1, 5000), latencyRun('b', 2, 1, 1, 5000), { resamples: 100, metrics: ['p99.9'], gates: [{ metric: 'p99.9', maxRegression: 0.1 }] });
    assert.match(thin.rows[0].withheld!, /not enough samples for p99\.9/);
    assert.match(renderComparisonJunit(thin), /tests="1" failures="0" skipped="1">[\s\S]*<skipped message="not enough samples for p99\.9/);
  });
});
