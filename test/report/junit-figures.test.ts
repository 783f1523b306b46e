/** JUnit figures: in their unit (µs latency, ns per operation) to a few digits, never a raw double. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../../src/stats/compare.js';
import { renderComparisonJunit } from '../../src/report/junit.js';
import { latencyResult, lognormalSamples, makeRng, opsResult, runRecord } from '../stats/synth.js';

/** Numbers with more than 4 decimals or more than 7 significant digits: float noise in text. */
const NOISE = /\d\.\d{5,}|\d{8,}/;

test('JUnit: comparison figures carry units and sensible digits, no float noise', () => {
  const rng = makeRng(7);
  // Odd scales make figures like 128.96699999999998 if printed raw.
  const lat = (id: string, scale: number) => runRecord(id, [latencyResult(lognormalSamples(rng, 20000, 5123.457, 0.35, scale))]);
  const ops = (id: string, scale: number) => runRecord(id, [opsResult({ getppid: lognormalSamples(rng, 60, 128.967, 0.05, scale) })]);
  const cases = [
    compareRuns(lat('a', 1), lat('b', 1.1337), { resamples: 100, gates: [{ metric: 'p99', maxRegression: 0.05 }, { metric: 'p50', maxRegression: 0.5 }] }),
    compareRuns(ops('a', 1), ops('b', 1.0711), { resamples: 100, gates: [{ metric: 'syscall.getppid', maxRegression: 0.01 }] }),
  ];
  const [latXml, opsXml] = cases.map(renderComparisonJunit);
  for (const xml of [latXml, opsXml]) {
    const texts = [...xml.matchAll(/<system-out>([^<]*)<\/system-out>|message="([^"]*)"/g)].map((m) => m[1] ?? m[2]);
    assert.ok(texts.length >= 2, xml);
    for (const t of texts) assert.doesNotMatch(t.replace(/\(.*\)$/, ''), NOISE, t);
  }
  // Latency in µs, operations in ns, each with its unit.
  assert.match(latXml, /<system-out>p99: \d+(\.\d+)? µs -&gt; \d+(\.\d+)? µs, ratio ×\d/);
  assert.match(opsXml, /<system-out>syscall\.getppid: \d+(\.\d+)? ns -&gt; \d+(\.\d+)? ns, ratio ×\d/);
  assert.match(latXml, /regression beyond \+5%: p99/);
});
