/**
 * The self-test's verdicts on synthetic inputs: agrees, differs by X%, too noisy to tell with N
 * repetitions; the reference's quantization allowed for; and the figures selftestOf makes from a
 * record of the self-test scenario (structure, and the verdict each synthetic case deserves).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletedLatencyResult, CompletedOpsResult, Result } from '../../src/results/types.js';
import { selftestMarkdown, selftestOf, selftestScenario } from '../../src/run/selftest.js';
import { EXACT, fidelityVerdict, quantizedRatio, truncatedTo, verdictText } from '../../src/stats/fidelity.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from '../stats/synth.js';

const text = (ratio: number, low: number, high: number, reps = 5) => verdictText(fidelityVerdict({ ratio, low, high }, 0.1, reps));

describe('fidelity verdicts', () => {
  it('agrees when the whole interval lies in the tolerance band', () => {
    assert.equal(text(1.02, 0.97, 1.06), 'agrees');
    assert.equal(text(0.95, 1 / 1.1, 1.0), 'agrees');
  });

  it('differs by X% when the whole interval lies outside it, X from the point ratio', () => {
    assert.equal(text(1.5, 1.3, 1.7), 'differs by +50%');
    assert.equal(text(0.6, 0.5, 0.7), 'differs by -40%');
    assert.equal(text(1.14, 1.11, 1.17), 'differs by +14%');
    assert.equal(text(0.92, 0.85, 0.9), 'differs by -8.0%');
  });

  it('too noisy to tell with N repetitions when it reaches across an edge, or there is no interval', () => {
    assert.equal(text(1.05, 0.95, 1.2), 'too noisy to tell with 5 repetitions');
    assert.equal(text(1.3, 1.05, 1.6, 2), 'too noisy to tell with 2 repetitions');
    assert.equal(text(1.3, NaN, NaN, 1), 'too noisy to tell with 1 repetition');
    assert.equal(text(1, 0.5, Infinity), 'too noisy to tell with 5 repetitions');
  });

  it('a truncating reference: v stands for [v, v+1) us, so the point is at v + 0.5 and the interval covers the whole step', () => {
    // The probe measures 2.5 us where cyclictest prints 2: equal, but 1 us steps cannot tell 10%.
    const small = quantizedRatio({ ratio: 1.25, low: 1.25, high: 1.25 }, 2500, 2000, EXACT, truncatedTo(1000));
    assert.deepEqual(small, { ratio: 1, low: 2500 / 3000, high: 1.25 });
    assert.equal(verdictText(fidelityVerdict(small, 0.1, 5)), 'too noisy to tell with 5 repetitions');
    // At 100 us the step is 1%: the same agreement is told.
    const big = quantizedRatio({ ratio: 1.005, low: 1.005, high: 1.005 }, 100_500, 100_000, EXACT, truncatedTo(1000));
    assert.equal(big.ratio, 1);
    assert.equal(verdictText(fidelityVerdict(big, 0.1, 5)), 'agrees');
    // A figure printed as 0 has no ratio; quantized on both sides (CPU time in 10 ms steps) the ranges add.
    assert.ok(Number.isNaN(quantizedRatio({ ratio: Infinity, low: NaN, high: NaN }, 0.01, 0, truncatedTo(0.01), truncatedTo(0.01)).low));
    const cpu = quantizedRatio({ ratio: 2, low: 2, high: 2 }, 0.2, 0.1, truncatedTo(0.01), truncatedTo(0.01));
    assert.ok(Math.abs(cpu.ratio - 0.205 / 0.105) < 1e-12 && Math.abs(cpu.low - 0.2 / 0.11) < 1e-12 && Math.abs(cpu.high - 0.21 / 0.1) < 1e-12);
    // cyclicdeadline's (v-1, v+1): a reference at or below 1 us has no upper bound.
    assert.equal(quantizedRatio({ ratio: 1, low: 1, high: 1 }, 1000, 1000, EXACT, { low: -1000, high: 1000 }).high, Infinity);
  });
});

describe('selftestOf on a synthetic self-test record', () => {
  const usage = (cpuS: number, maxRssKiB: number) => ({ usage: { cpuS, userS: cpuS, sysS: 0, maxRssKiB, method: 'wait4', resolutionS: 0.01 } });
  /** Five repetitions: the probe's samples as drawn (x scale), cyclictest's the same kind of draw truncated to whole us. */
  function record(o: { scale?: number; reps?: number; perfScale?: number } = {}) {
    const reps = o.reps ?? 5;
    const rng = makeRng(7);
    const results: Result[] = [];
    const lat = (benchmark: string, samples: number[], cpuS: number, rss: number, repetition: number): CompletedLatencyResult => {
      const r = latencyResult(samples, { benchmark, repetition });
      r.context = usage(cpuS, rss);
      r.applied = { mode: 'cyclic', policy: 'fifo', priority: 80, threads: 1, affinity: [], mlockall: true, dmaLatency: true, clockResolutionNs: 1, loopOverheadNs: 20, probeVersion: 't', timerSlackNs: 50000 } as CompletedLatencyResult['applied'];
      return r;
    };
    for (let rep = 1; rep <= reps; rep++) {
      const draw = () => lognormalSamples(rng, 20_000, 40_000, 0.3);
      results.push(lat('probe-fifo', draw().map((v) => v * (o.scale ?? 1)), 0.3 + rep * 0.01, 2700, rep));
      results.push(lat('cyclictest-fifo', draw().map((v) => Math.floor(v / 1000) * 1000), 0.15 + rep * 0.01, 2744, rep));
      results.push(lat('probe-deadline', draw(), 0.2, 2690, rep));
      const cd = lat('cyclicdeadline', draw().map((v) => Math.floor(v / 1000) * 1000), 0.02, 10_600, rep);
      cd.latency = { ...cd.latency, p50: NaN, p90: NaN, p99: NaN, p999: NaN, p9999: NaN, histogram: { ...cd.latency.histogram, bins: [] } };
      results.push(cd);
      const getppid = Array.from({ length: 50 }, () => 170 + rng() * 4);
      const sys: CompletedOpsResult = opsResult({ getppid, 'perf:getppid': Array.from({ length: 7 }, () => (170 + rng() * 4) * (o.perfScale ?? 1)) }, { benchmark: 'syscall', repetition: rep });
      results.push(sys);
    }
    return runRecord('st', results, { scenario: selftestScenario(['local'], reps, 10e9) });
  }

  it('one row per host, policy and figure; the probe\'s own figures; a table that says it', () => {
    const s = selftestOf(record());
    assert.deepEqual(
      s.figures.map((f) => `${f.policy}/${f.figure}`),
      ['fifo/p50', 'fifo/p99', 'fifo/max', 'fifo/mean', 'fifo/cpu time', 'fifo/peak RSS', 'deadline/p50', 'deadline/p99', 'deadline/max', 'deadline/mean', 'deadline/cpu time', 'deadline/peak RSS', 'syscall/getppid'],
    );
    assert.deepEqual(s.hosts, ['local']);
    assert.equal(s.repetitions, 5);
    assert.deepEqual(s.instrument.map((i) => [i.figure, i.valueNs]), [['clock resolution', 1], ['timer slack', 50000], ['loop overhead', 20]]);
    for (const f of s.figures) assert.match(f.verdict, /^(agrees|differs by [+-][\d.]+%|too noisy to tell with \d+ repetitions?|n\/a)$/, `${f.policy} ${f.figure}`);
    const md = selftestMarkdown(s);
    assert.match(md, /\| host \| policy \| figure \| probe \| reference \| probe\/reference \[95% interval\] \| verdict \|/);
    assert.match(md, /\| local \| fifo \| p50 \| [\d.]+ us \| [\d.]+ us \(cyclictest\) \| [\d.]+ \[[\d.]+, [\d.]+\] \| agrees \|/);
  });

  it('the same distribution agrees once cyclictest\'s truncation is allowed for; a scaled one differs by its scale', () => {
    const same = selftestOf(record());
    const get = (s: ReturnType<typeof selftestOf>, policy: string, figure: string) => s.figures.find((f) => f.policy === policy && f.figure === figure)!;
    assert.equal(get(same, 'fifo', 'p50').verdict, 'agrees');
    assert.equal(get(same, 'fifo', 'mean').verdict, 'agrees');
    assert.equal(get(same, 'syscall', 'getppid').verdict, 'agrees');
    const slower = selftestOf(record({ scale: 1.5, perfScale: 0.5 }));
    assert.match(get(slower, 'fifo', 'p50').verdict, /^differs by \+(4[7-9]|5[0-2])%$/);
    assert.match(get(slower, 'fifo', 'p99').verdict, /^differs by \+(4[5-9]|5[0-5])%$/);
    assert.match(get(slower, 'syscall', 'getppid').verdict, /^differs by \+(9\d|10\d)%$/);
    // Tools' own cost: the probe here uses about twice cyclictest's CPU time, and the same RSS.
    assert.match(get(same, 'fifo', 'cpu time').verdict, /^differs by \+\d+%$/);
    assert.equal(get(same, 'fifo', 'peak RSS').verdict, 'agrees');
  });

  it('cyclicdeadline has no percentiles (n/a, not a verdict); one repetition is too noisy for the figures only repetitions give an interval', () => {
    const one = selftestOf(record({ reps: 1 }));
    const dl = one.figures.filter((f) => f.policy === 'deadline');
    assert.deepEqual(dl.filter((f) => f.verdict === 'n/a').map((f) => f.figure), ['p50', 'p99']);
    assert.match(dl.find((f) => f.figure === 'p50')!.note, /cyclicdeadline keeps no histogram/);
    for (const f of one.figures.filter((x) => ['max', 'mean', 'cpu time', 'peak RSS'].includes(x.figure)))
      assert.equal(f.verdict, 'too noisy to tell with 1 repetition', `${f.policy} ${f.figure}`);
  });

  it('missing results are n/a with the reason, and failed steps are listed', () => {
    const r = record({ reps: 2 });
    r.results = r.results.filter((x) => x.benchmark !== 'cyclictest-fifo');
    r.results.push({ ...r.results[0], benchmark: 'cyclictest-fifo', status: 'failed', error: 'cyclictest not found' } as Result);
    const s = selftestOf(r);
    const fifo = s.figures.filter((f) => f.policy === 'fifo');
    assert.ok(fifo.every((f) => f.verdict === 'n/a' && /no completed cyclictest-fifo results on local/.test(f.note)));
    assert.deepEqual(s.failed, ['local cyclictest-fifo#1: cyclictest not found']);
  });
});
