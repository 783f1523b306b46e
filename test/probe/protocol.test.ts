/** Pure parts of the protocol module, checked against independent computations. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { medianCiRanks, medianWithCi } from '../../src/stats/median.js';
import {
  ProtocolError,
  ProtocolParser,
  TruncatedStreamError,
  appliedFromHello,
  checkComplete,
  opFigures,
  parseLine,
  parseStream,
  seriesPoints,
  splitRuns,
  type HelloMessage,
  type OpMessage,
} from '../../src/probe/protocol.js';
import { opRatios, opStat as statOf } from '../../src/stats/summary.js';
import type { TscState } from '../../src/results/types.js';

/** An op message's statistics as the run path makes them: the parser's figures, summarized by stats/. */
const opStat = (m: OpMessage, tsc?: TscState) => statOf(opFigures(m, tsc));

/** Exact P(Binomial(n, 1/2) <= k) with BigInt, as the independent reference. */
function binomCdfHalf(n: number, k: number): number {
  let c = 1n;
  let sum = 0n;
  for (let i = 0; i <= k; i++) {
    sum += c;
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  // sum / 2^n without losing precision for the sizes used here
  return Number((sum * 10n ** 15n) / 2n ** BigInt(n)) / 1e15;
}

describe('median confidence interval', () => {
  test('known ranks', () => {
    assert.deepEqual(medianCiRanks(10), [2, 9]);
    assert.deepEqual(medianCiRanks(100), [40, 61]);
    assert.deepEqual(medianCiRanks(5), [1, 5], 'too few samples: the whole range');
    assert.deepEqual(medianCiRanks(6), [1, 6]);
  });

  test('ranks are the tightest with coverage >= 95% (against exact binomial)', () => {
    for (const n of [6, 7, 9, 12, 20, 31, 50, 99, 200, 500]) {
      const [l, u] = medianCiRanks(n);
      assert.equal(u, n + 1 - l);
      const tail = binomCdfHalf(n, l - 1);
      assert.ok(tail <= 0.025 + 1e-12, `n=${n} l=${l} tail=${tail}`);
      assert.ok(binomCdfHalf(n, l) > 0.025, `n=${n}: l=${l} is not the largest`);
    }
  });

  test('large n does not underflow', () => {
    const [l, u] = medianCiRanks(100_000);
    // Normal approximation: n/2 -+ 1.96 * sqrt(n)/2
    assert.ok(Math.abs(l - (50_000 - 1.96 * 158.11)) < 3, String(l));
    assert.equal(u, 100_001 - l);
  });

  test('median and interval of samples', () => {
    const s = [5, 1, 4, 2, 3, 9, 8, 7, 6, 10];
    assert.deepEqual(medianWithCi(s), { median: 5.5, low: 2, high: 9 });
    assert.deepEqual(medianWithCi([3]), { median: 3, low: 3, high: 3 });
    assert.ok(Number.isNaN(medianWithCi([]).median));
  });

  test('opStat and ratios', () => {
    const func = opStat({ type: 'op', name: 'func', iterations: 100, samples: [2, 2, 2, 2, 2, 2, 2] });
    const getppid = opStat({ type: 'op', name: 'getppid', iterations: 10, samples: [100, 90, 110, 100, 100, 95, 105] });
    assert.equal(func.nsPerOp, 2);
    assert.equal(getppid.nsPerOp, 100);
    assert.equal(getppid.samples, 7);
    assert.equal(getppid.iterationsPerBatch, 10);
    assert.deepEqual(opRatios({ func, getppid }), { getppid: 50 });
    assert.deepEqual(opRatios({ getppid }), {});
  });

  const measured = { invariant: true, cpuid: true, constantTsc: true, nonstopTsc: true, measured: true, reason: null };
  const notInvariant = { invariant: false, cpuid: false, constantTsc: null, nonstopTsc: null, measured: false, reason: 'CPUID 0x80000007 EDX bit 8 (invariant TSC) is clear' };

  test('opStat: cycles with the same median and interval as ns, or null with the reason', () => {
    const cycles = [5, 1, 4, 2, 3, 9, 8, 7, 6, 10];
    const s = opStat({ type: 'op', name: 'func', iterations: 10, samples: cycles.map((c) => c / 2), cycles }, measured);
    assert.deepEqual(s.cycles, { perOp: 5.5, ciLow: 2, ciHigh: 9, raw: cycles });
    assert.equal(s.cyclesReason, undefined);
    const n = opStat({ type: 'op', name: 'func', iterations: 10, samples: [1, 2, 3] }, notInvariant);
    assert.equal(n.cycles, null);
    assert.equal(n.cyclesReason, notInvariant.reason);
    assert.match(opStat({ type: 'op', name: 'func', iterations: 10, samples: [1] }).cyclesReason!, /did not report the TSC/);
  });

  test('opStat: cycles that contradict hello are a protocol error', () => {
    assert.throws(() => opStat({ type: 'op', name: 'func', iterations: 1, samples: [1, 2] }, measured), /cycles were measured, but the op has no cycle figures/);
    assert.throws(() => opStat({ type: 'op', name: 'func', iterations: 1, samples: [1, 2], cycles: [3] }, measured), /has 1 cycle figures for 2 batches/);
    assert.throws(() => opStat({ type: 'op', name: 'func', iterations: 1, samples: [1], cycles: [3] }, notInvariant), (e: unknown) => e instanceof ProtocolError && /not measured/.test(e.message));
  });

  test('appliedFromHello keeps vulnerabilities, mitigations and tsc, and refuses wrong shapes', () => {
    const base: HelloMessage = { type: 'hello', mode: 'syscall', version: '1.0.0', protocol: 1, pid: 1, uid: 0, requested: { policy: 'other', priority: 0 }, policy: 'other', priority: 0, threads: 1, affinity: [0], mlockall: false, dmaLatency: false, clockResolutionNs: 1, loopOverheadNs: 20, uptimeS: 1, realtime: null, cpus: 1, histogram: { layout: 'loglin7' } };
    const a = appliedFromHello({ ...base, vulnerabilities: { meltdown: 'Not affected' }, vulnerabilitiesReason: null, mitigations: 'off', mitigationsReason: null, tsc: notInvariant });
    assert.deepEqual(a.vulnerabilities, { meltdown: 'Not affected' });
    assert.equal(a.mitigations, 'off');
    assert.deepEqual(a.tsc, notInvariant);
    assert.throws(() => appliedFromHello({ ...base, vulnerabilities: { meltdown: 1 } as never }), /vulnerabilities must be null or an object of strings/);
    assert.throws(() => appliedFromHello({ ...base, mitigations: 0 as never }), /mitigations must be a string or null/);
    assert.throws(() => appliedFromHello({ ...base, tsc: { ...notInvariant, reason: null } }), /with a reason when not measured/);
    assert.throws(() => appliedFromHello({ ...base, tsc: { ...notInvariant, measured: true } }), /measured only when invariant/);
  });
});

describe('line parsing', () => {
  test('non-marker lines are ignored, a marker may follow console text', () => {
    assert.equal(parseLine('[    1.000] hello world'), null);
    const m = parseLine('[    2.5] kernel: foo@@UNILAT {"type":"warning","code":"x","message":"y"}');
    assert.deepEqual(m, { type: 'warning', code: 'x', message: 'y' });
  });

  test('a broken marker line is an error carrying the line', () => {
    const line = '@@UNILAT {"type":"hist", oops';
    assert.throws(
      () => parseLine(line),
      (e: unknown) => e instanceof ProtocolError && e.line === line && e.message.includes(line),
    );
    assert.throws(() => parseLine('@@UNILAT [1,2]'), ProtocolError);
    assert.throws(() => parseLine('@@UNILAT {"no":"type"}'), ProtocolError);
    // The parser is fed from stream data events: it keeps the error for end() rather than throw there.
    const p = new ProtocolParser();
    assert.deepEqual(p.push('@@UNILAT {bad}\n@@UNILAT {"type":"warning","code":"c","message":"m"}\n'), [{ type: 'warning', code: 'c', message: 'm' }]);
    assert.match(p.error?.message ?? '', /@@UNILAT \{bad\}/);
    assert.throws(() => p.end(), (e: unknown) => e instanceof ProtocolError && /@@UNILAT \{bad\}/.test(e.message));
  });

  test('unknown types are kept (they count as lines)', () => {
    const m = parseLine('@@UNILAT {"type":"future","x":1}');
    assert.deepEqual(m, { type: 'unknown', originalType: 'future', body: { type: 'future', x: 1 } });
  });

  test('CRLF, split UTF-8 and a last line without newline', () => {
    const text = 'noise é\r\n@@UNILAT {"type":"warning","code":"c","message":"é ü"}\r\n@@UNILAT {"type":"end","steps":1,"failed":0}';
    const bytes = Buffer.from(text);
    const p = new ProtocolParser();
    for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1));
    p.end();
    assert.deepEqual(p.messages, [
      { type: 'warning', code: 'c', message: 'é ü' },
      { type: 'end', steps: 1, failed: 0 },
    ]);
    assert.deepEqual(p.noise(), ['noise é']);
  });

  test('keeps only the last 50 noise lines', () => {
    const p = new ProtocolParser();
    for (let i = 0; i < 120; i++) p.push(`line ${i}\n`);
    assert.equal(p.noise().length, 50);
    assert.equal(p.noise()[0], 'line 70');
  });
});

describe('runs and truncation', () => {
  const hello = '@@UNILAT {"type":"hello","mode":"syscall","threads":1}';
  const op = '@@UNILAT {"type":"op","name":"func","iterations":1,"samples":[1]}';
  const done = (lines: number) => `@@UNILAT {"type":"done","mode":"syscall","samples":1,"lines":${lines},"exit":0}`;

  test('splitRuns separates runs and outside messages', () => {
    const { messages } = parseStream(
      [hello, op, done(2), '@@UNILAT {"type":"error","step":2,"message":"bad","exit":2}', hello, done(1), '@@UNILAT {"type":"end","steps":3,"failed":1}'].join('\n'),
    );
    const { runs, outside } = splitRuns(messages);
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => r.messages.length), [3, 2]);
    assert.deepEqual(outside.map((m) => m.type), ['error', 'end']);
    for (const r of runs) checkComplete(r);
  });

  test('missing done, wrong count, and a hello before done are truncation', () => {
    const runOf = (lines: string[]) => splitRuns(parseStream(lines.join('\n')).messages).runs;
    assert.throws(() => checkComplete(runOf([hello, op])[0]), TruncatedStreamError);
    assert.throws(() => checkComplete(runOf([hello, done(2)])[0]), /says 2 lines .* 1 arrived/);
    const two = runOf([hello, op, hello, op, done(2)]);
    assert.throws(() => checkComplete(two[0]), TruncatedStreamError);
    checkComplete(two[1]);
    const err = (() => {
      try {
        checkComplete(runOf([hello, op])[0], ['Kernel panic - not syncing']);
      } catch (e) {
        return e as Error;
      }
    })();
    assert.match(err?.message ?? '', /Kernel panic/);
  });

  test('seriesPoints computes the mean', () => {
    assert.deepEqual(seriesPoints([[0, 4, 1, 10, 20], [1, 0, 0, 0, 0]]), [
      { t: 0, count: 4, min: 1, max: 10, mean: 5 },
      { t: 1, count: 0, min: 0, max: 0, mean: 0 },
    ]);
  });
});
