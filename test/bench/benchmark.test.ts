/** The benchmark registry: one benchmark per scenario kind, and what each says about its steps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkFor, type BenchmarkStep } from '../../src/bench/benchmark.js';
import { benchmarkSchema, type Benchmark, type Deployment } from '../../src/scenario/schema.js';
import type { Transport } from '../../src/transport/transport.js';

const bare = { name: 'bare', kind: 'bare-metal' } as Deployment;
const step = <B extends Benchmark>(b: Record<string, unknown>, deployment = bare): BenchmarkStep<B> => ({ benchmark: benchmarkSchema.parse({ name: 'b', ...b }) as B, deployment, durationNs: 2e9 });

describe('benchmark registry', () => {
  it('has the benchmark of every kind, each run its own way', () => {
    for (const [kind, runs] of [['cyclic', 'probe'], ['syscall', 'probe'], ['cyclictest', 'tool'], ['cyclicdeadline', 'tool']] as const) {
      const b = benchmarkFor(step({ kind }).benchmark);
      assert.equal(b.kind, kind);
      assert.equal(b.runs, runs);
    }
  });

  it('expected times: loops of the slowest thread, else the duration; syscall from its batches', () => {
    const loops = { threads: 3, interval: '1000us', distance: '500us', loops: 100 };
    assert.equal(benchmarkFor(step({ kind: 'cyclic', ...loops }).benchmark).expectedMs(step({ kind: 'cyclic', ...loops })), 200);
    assert.equal(benchmarkFor(step({ kind: 'cyclictest', ...loops }).benchmark).expectedMs(step({ kind: 'cyclictest', ...loops })), 200);
    assert.equal(benchmarkFor(step({ kind: 'cyclic' }).benchmark).expectedMs(step({ kind: 'cyclic' })), 2000);
    const sys = step({ kind: 'syscall', batches: 2000, warmup: 0, ops: ['func', 'getppid'] });
    assert.equal(benchmarkFor(sys.benchmark).expectedMs(sys), 4000);
  });

  it('probe benchmarks give their invocation', () => {
    const s = step({ kind: 'cyclic', loops: 10 });
    const b = benchmarkFor(s.benchmark);
    assert.ok(b.runs === 'probe');
    const inv = b.invocation(s);
    assert.equal(inv.mode, 'cyclic');
    assert.deepEqual(inv.args.slice(inv.args.indexOf('--loops'), inv.args.indexOf('--loops') + 2), ['--loops', '10']);
  });

  it('cyclictest runs on bare metal only, before it touches the host', async () => {
    const s = step({ kind: 'cyclictest' }, { name: 'g', kind: 'vm' } as Deployment);
    const b = benchmarkFor(s.benchmark);
    assert.ok(b.runs === 'tool');
    const untouched = new Proxy({}, { get: () => assert.fail('the transport was used') }) as Transport;
    await assert.rejects(b.measure(s, { transport: untouched, signal: new AbortController().signal }), /cyclictest runs on bare metal only \(deployment g is vm\); use kind: cyclic inside guests/);
  });
});
