/**
 * The real probe in cyclic mode, parsed by the real parser: chunking, console noise, the C/TS
 * histogram layout, quantile error against exact quantiles from raw samples, truncation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, bucketOf } from '../../src/results/histogram.js';
import { quantile } from '../../src/stats/quantiles.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import {
  ProtocolParser,
  TruncatedStreamError,
  assembleCyclic,
  parseStream,
  singleRun,
  splitRuns,
  type CyclicPieces,
  type HelloMessage,
  type ProbeMessage,
} from '../../src/probe/protocol.js';
import { cleanupProbes, compileProbe, runProbe } from '../helpers/probe.js';

const isRoot = process.getuid?.() === 0;

/** Nearest-rank quantile of ascending samples: the same definition the histogram uses. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

/** Feeds text to a parser in odd-sized chunks (1, 2, 3, 5, 8, ... bytes, cycling). */
function feedInChunks(buf: Buffer, interleaveNoise: boolean): ProtocolParser {
  const p = new ProtocolParser();
  const sizes = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597];
  let source = buf;
  if (interleaveNoise) {
    // Kernel messages between lines, CRLF endings as a serial console would give.
    const lines = buf.toString('utf8').split('\n');
    const mixed: string[] = [];
    lines.forEach((l, i) => {
      mixed.push(`[ ${(i * 0.0123).toFixed(6)}] random: crng init done, line ${i}`);
      if (l) mixed.push(l);
    });
    mixed.push('[   12.345678] reboot: Power down');
    source = Buffer.from(mixed.join('\r\n') + '\r\n');
  }
  let off = 0;
  for (let k = 0; off < source.length; k++) {
    const n = sizes[k % sizes.length];
    p.push(source.subarray(off, off + n));
    off += n;
  }
  p.end();
  return p;
}

describe('probe cyclic mode (real run)', () => {
  let stdout: Buffer;
  let messages: ProbeMessage[];
  let pieces: CyclicPieces;
  let hello: HelloMessage;

  before(async () => {
    const bin = await compileProbe();
    const r = await runProbe(bin, [
      'cyclic', '--threads', '2', '--interval', '1000000', '--duration-ms', '1500',
      '--mlockall', '--dma-latency', '--raw', '--progress-ms', '500', '--spike-threshold', '50000',
    ]);
    assert.equal(r.code, 0, r.stderr);
    stdout = r.stdout;
    messages = parseStream(stdout).messages;
    const run = singleRun(messages);
    hello = run.hello;
    pieces = assembleCyclic(run);
  });
  after(cleanupProbes);

  test('every stdout line is a protocol line with valid JSON', () => {
    const lines = stdout.toString().split('\n').filter(Boolean);
    assert.ok(lines.length >= 8);
    for (const l of lines) {
      assert.ok(l.startsWith('@@UNILAT {'), l.slice(0, 80));
      JSON.parse(l.slice('@@UNILAT '.length));
    }
    assert.equal(messages[0].type, 'hello');
    assert.equal(messages[messages.length - 1].type, 'done');
  });

  test('odd-sized chunks and interleaved kernel lines give the same messages', () => {
    for (const noise of [false, true]) {
      const p = feedInChunks(stdout, noise);
      assert.deepEqual(p.messages, messages);
      if (noise) {
        assert.ok(p.noise().length <= 50);
        assert.match(p.noise().at(-1) ?? '', /reboot: Power down/);
      }
    }
  });

  test('hello reports what was applied', () => {
    assert.equal(hello.mode, 'cyclic');
    assert.equal(hello.threads, 2);
    assert.equal(hello.intervalNs, 1_000_000);
    assert.equal(hello.histogram.layout, 'loglin7');
    assert.ok(hello.clockResolutionNs >= 1);
    assert.ok(hello.loopOverheadNs >= 0);
    assert.equal(typeof hello.kernel, 'string');
    assert.ok(typeof hello.uptimeS === 'number' && hello.uptimeS > 0);
    assert.deepEqual(hello.requested, { policy: 'fifo', priority: 80 });
    const refused = pieces.warnings.some((w) => w.code === 'no-rt-policy');
    // Honesty: either the policy was granted, or it says other and warns.
    if (refused) assert.equal(hello.policy, 'other');
    else assert.equal(hello.policy, 'fifo');
    if (isRoot) {
      assert.equal(hello.policy, 'fifo');
      assert.equal(hello.priority, 80);
      assert.equal(hello.mlockall, true);
      assert.equal(hello.dmaLatency, true);
    }
    assert.equal(hello.threadInfo?.length, 2);
    assert.equal(pieces.applied.probeVersion, hello.version);
    assert.equal(pieces.applied.policy, hello.policy);
  });

  test('counts agree across histogram, series, raw and done', () => {
    const latency = summarizeLatency(pieces.latency);
    const done = messages.at(-1);
    assert.ok(done?.type === 'done');
    assert.equal(latency.count, done.samples);
    assert.equal(latency.threads.length, 2);
    assert.deepEqual(latency.threads.map((t) => t.intervalNs), [1_000_000, 1_500_000]);
    for (const t of latency.threads) {
      assert.ok(t.summary.count > 0);
      assert.equal(t.series.reduce((s, p) => s + p.count, 0), t.summary.count);
      const raw = pieces.raw?.get(t.thread) ?? [];
      assert.equal(raw.length, t.summary.count);
      assert.equal(Math.min(...raw), t.summary.min);
      assert.equal(Math.max(...raw), t.summary.max);
      assert.equal(raw.reduce((a, b) => a + b, 0), t.histogram.sum);
      for (const p of t.series) {
        if (p.count) assert.ok(p.min <= p.mean && p.mean <= p.max);
      }
    }
    assert.equal(latency.threads.reduce((s, t) => s + t.summary.count, 0), latency.count);
    // Spikes are exactly the raw samples above the threshold (when none were dropped).
    if (latency.spikesDropped === 0) {
      const above = [...(pieces.raw?.values() ?? [])].flat().filter((v) => v > 50_000).length;
      assert.equal(latency.spikes.length, above);
    }
  });

  test('C histogram bins equal the TypeScript layout applied to the raw samples', () => {
    for (const t of pieces.latency.threads) {
      const h = new Histogram();
      for (const v of pieces.raw?.get(t.thread) ?? []) h.record(v);
      assert.deepEqual(t.histogram.bins, h.toData().bins);
    }
    assert.equal(bucketOf(255), 255);
  });

  test('histogram quantiles are within the stated error of exact quantiles', () => {
    const all: number[] = [];
    for (const t of pieces.latency.threads) {
      const sorted = [...(pieces.raw?.get(t.thread) ?? [])].sort((a, b) => a - b);
      all.push(...sorted);
      for (const q of [0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
        const exact = exactQuantile(sorted, q);
        const approx = quantile(t.histogram, q);
        if (exact < 256) assert.equal(approx, exact);
        else assert.ok(Math.abs(approx - exact) <= exact * 0.01, `q=${q} exact=${exact} hist=${approx}`);
      }
    }
    all.sort((a, b) => a - b);
    const latency = summarizeLatency(pieces.latency);
    for (const [q, v] of [[0.5, latency.p50], [0.99, latency.p99]] as const) {
      const exact = exactQuantile(all, q);
      assert.ok(Math.abs(v - exact) <= Math.max(exact * 0.01, 0), `merged q=${q}`);
    }
    assert.equal(latency.max, all.at(-1));
  });

  test('a stream without done or with a lost line is reported as truncated', () => {
    const text = stdout.toString();
    const lines = text.split('\n').filter(Boolean);
    const withoutDone = lines.slice(0, -1).join('\n') + '\n';
    assert.throws(() => assembleCyclic(splitRuns(parseStream(withoutDone).messages).runs[0]), TruncatedStreamError);
    const lostMiddle = [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n';
    assert.throws(() => assembleCyclic(splitRuns(parseStream(lostMiddle).messages).runs[0]), /2? ?lines|truncated/);
    assert.throws(() => singleRun(parseStream(lostMiddle).messages), TruncatedStreamError);
    // Cut inside the last line (no newline): truncation, not a JSON error.
    const cut = text.slice(0, text.length - 10);
    assert.throws(() => parseStream(cut), TruncatedStreamError);
    // Nothing at all.
    assert.throws(() => singleRun(parseStream('kernel panic\n').messages), TruncatedStreamError);
  });
});
