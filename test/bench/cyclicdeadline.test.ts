/**
 * kind: cyclicdeadline: rt-tests' SCHED_DEADLINE tool with the knobs mapped (and refused where it
 * cannot run them), its --json and -q summary checked like cyclictest's output, what it would
 * change on a host by itself refused first, and a real run on this machine whose result is what
 * cyclicdeadline itself printed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkFor, type BenchmarkStep } from '../../src/bench/benchmark.js';
import { cyclicdeadline, hostRefusal } from '../../src/bench/cyclicdeadline.js';
import { buildCyclicdeadlineArgs, runtimePercent } from '../../src/bench/cyclicdeadline/args.js';
import { parseCyclicdeadlineJson, parseCyclicdeadlineSummary, summaryMismatch } from '../../src/bench/cyclicdeadline/output.js';
import { ImpossibleFigureError } from '../../src/bench/cyclictest/checks.js';
import { InputError } from '../../src/errors.js';
import { benchmarkSchema, scenarioSchema, type CyclicdeadlineBenchmark, type Deployment } from '../../src/scenario/schema.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/transport.js';

const cd = (b: Record<string, unknown> = {}) => benchmarkSchema.parse({ name: 'cd', kind: 'cyclicdeadline', ...b }) as CyclicdeadlineBenchmark;
const args = (b: Record<string, unknown> = {}, cpuCount = 4) => buildCyclicdeadlineArgs(cd(b), 10e9, { jsonFile: '/tmp/x.json', cpuCount });

/** The shape cyclicdeadline 2.40 writes with --json (tabs, "cmdline:" with its colon, no histogram, no cpu). */
function cdJson(threads: Array<{ cycles: unknown; min: unknown; max: unknown; avg: unknown }>, numThreads: unknown = threads.length): string {
  const body = threads.map((t, i) => [`    "${i}": {`, `\t "cycles": ${t.cycles},`, `\t "min": ${t.min},`, `\t "max": ${t.max},`, `\t "avg": ${t.avg}`, '    }'].join('\n'));
  const head = {
    file_version: 1,
    'cmdline:': 'cyclicdeadline -t 1 -i 4000 -s 0 -D 2 -q --json=/tmp/cd.json -a',
    'rt_test_version:': '2.40',
    start_time: 'Wed, 02 Dec 2026 01:09:55 +0000',
    end_time: 'Wed, 02 Dec 2026 01:09:57 +0000',
    return_code: 0,
    sysinfo: { sysname: 'Linux', nodename: 'vm', release: '6.18.44', version: '#1 SMP PREEMPT_DYNAMIC', machine: 'x86_64', realtime: 0 },
    num_threads: numThreads,
    resolution_in_ns: 0,
  };
  return `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "thread": {\n${body.join(',\n')}\n  }\n}\n`;
}
const T = { cycles: 501, min: 14, max: 1891, avg: 65.29 };

describe('cyclicdeadline arguments', () => {
  it('maps threads, interval, step and duration; -t first, -a last (all CPUs, no cpuset)', () => {
    const a = args({ threads: 2, interval: '4ms', distance: '1ms', duration: '3s' });
    assert.deepEqual(a.argv, ['cyclicdeadline', '-t', '2', '-i', '4000', '-s', '1000', '-D', '3', '-q', '--json=/tmp/x.json', '-a']);
    assert.deepEqual(a.request.periodsUs, [4000, 5000]);
    assert.deepEqual(a.request.runtimesUs, [2400, 3000]);
    assert.equal(a.request.cpuset, false);
    assert.deepEqual(a.warnings, []);
  });

  it('its runtime percentage: 60%, or nr_cpus * 80 / threads when threads outnumber CPUs', () => {
    assert.equal(runtimePercent(1, 2), 60);
    assert.equal(runtimePercent(4, 2), 40);
    assert.equal(runtimePercent(3, 1), 26);
  });

  it('runtime, deadline and period are checked against what it runs, not passed', () => {
    assert.deepEqual(args({ interval: '4ms', runtime: '2400us', deadline: '4ms', period: '4000us' }).argv.slice(3, 5), ['-i', '4000']);
    assert.throws(() => args({ interval: '4ms', runtime: '400us' }), (e: unknown) => e instanceof InputError && /runtime: cyclicdeadline sets the runtime itself, 60% of each period: 2400 us for an interval of 4000 us, not 400 us/.test(e.message));
    assert.throws(() => args({ interval: '4ms', deadline: '2ms' }), /deadline: cyclicdeadline runs deadline = period = interval \(4000 us\), not 2000 us/);
    assert.throws(() => args({ interval: '4ms', period: '8ms' }), /period: cyclicdeadline runs deadline = period = interval/);
  });

  it('affinity: all CPUs is -a; a subset is --affinity=LIST with a warning about its cpusets; a CPU the host lacks is refused', () => {
    assert.equal(args({ affinity: '0-3' }).argv.at(-1), '-a');
    const sub = args({ affinity: '1,2', threads: 4 });
    assert.equal(sub.argv.at(-1), '--affinity=1,2');
    assert.equal(sub.request.percent, 40);
    assert.match(sub.warnings.map((w) => w.code).join(), /cyclicdeadline-cpuset/);
    assert.throws(() => args({ affinity: '5' }), /affinity: CPU 5 not on the target \(it has 4 CPUs\)/);
  });

  it('whole us and whole seconds, with warnings; loops refused by the schema', () => {
    const a = args({ interval: '4000500ns', duration: '1500ms' });
    assert.deepEqual(a.warnings.map((w) => w.code), ['cyclicdeadline-rounded', 'cyclicdeadline-duration-rounded']);
    const s = scenarioSchema.safeParse({ name: 's', deployments: [{ name: 'b', kind: 'bare-metal' }], benchmarks: [{ name: 'cd', kind: 'cyclicdeadline', loops: 10 }] });
    assert.ok(!s.success);
    assert.match(JSON.stringify(s.error.issues), /cyclicdeadline has no loop count: give a duration/);
  });
});

describe('what cyclicdeadline would change by itself is refused', () => {
  const req = (b: Record<string, unknown>) => args(b, 2).request;
  const v1 = { cgroupType: 'tmpfs', cpusetV1: true };
  it('HRTICK: runtimes below 2 ms without debugfs, or with HRTICK off', () => {
    assert.match(hostRefusal('h', req({ interval: '1ms' }), { ...v1, features: null }) ?? '', /runtime of 600 us .*debugfs is not mounted.*interval of at least 3334 us/);
    assert.match(hostRefusal('h', req({ interval: '1ms' }), { ...v1, features: { mount: '/sys/kernel/debug', words: ['GENTLE_FAIR_SLEEPERS', 'NO_HRTICK', 'NO_HRTICK_DL'] } }) ?? '', /would switch HRTICK on .* and leave it on/);
    assert.equal(hostRefusal('h', req({ interval: '1ms' }), { ...v1, features: { mount: '/sys/kernel/debug', words: ['HRTICK', 'HRTICK_DL'] } }), null);
    assert.equal(hostRefusal('h', req({ interval: '4ms' }), { ...v1, features: null }), null);
  });
  it('a CPU subset needs cgroup-v1 cpusets under a tmpfs /sys/fs/cgroup', () => {
    assert.match(hostRefusal('h', req({ interval: '4ms', affinity: '1' }), { cgroupType: 'cgroup2', cpusetV1: false, features: null }) ?? '', /would mount a tmpfs over \/sys\/fs\/cgroup/);
    assert.equal(hostRefusal('h', req({ interval: '4ms', affinity: '1' }), { ...v1, features: null }), null);
  });
});

describe('cyclicdeadline output, checked', () => {
  it('reads its --json: count, min, mean and max in ns, no distribution', () => {
    const j = parseCyclicdeadlineJson(cdJson([T]), 'cd.json', [4000]);
    const h = j.latency.threads[0].histogram;
    assert.deepEqual([h.count, h.min, h.max, h.bins.length], [501, 14_000, 1_891_000, 0]);
    assert.ok(Math.abs(h.sum / h.count - 65_290) < 1e-6);
    assert.equal(j.latency.threads[0].noDistribution, true);
    assert.equal(j.latency.threads[0].intervalNs, 4e6);
    assert.equal(j.version, '2.40');
    assert.match(j.warnings.map((w) => w.message).join(), /cyclicdeadline keeps no histogram/);
  });

  it('refuses impossible figures with FILE:LINE: field', () => {
    const bad = (t: Record<string, unknown>, re: RegExp, n?: unknown) =>
      assert.throws(() => parseCyclicdeadlineJson(cdJson([{ ...T, ...t }], n), 'cd.json', [4000]), (e: unknown) => e instanceof ImpossibleFigureError && re.test(e.message));
    bad({ min: -3 }, /^cd\.json:21: thread\.0\.min: -3 is negative/);
    bad({ max: 10 }, /thread\.0\.min: 14 is above the max, 10/);
    bad({ cycles: 2.5 }, /thread\.0\.cycles: 2\.5 is not a whole number/);
    bad({ avg: 1e300 }, /thread\.0\.avg: .* longer than a day/);
    bad({}, /num_threads: 2, but "thread" holds 1 threads/, 2);
    assert.throws(() => parseCyclicdeadlineJson('{"thread": ', 'cd.json', [4000]), /cd\.json: not valid JSON/);
  });

  it('an avg below its min means a sample was 0 (its min skips those): min taken as 0, with a warning', () => {
    const j = parseCyclicdeadlineJson(cdJson([{ cycles: 4, min: 5, max: 9, avg: 3.5 }]), 'cd.json', [4000]);
    assert.equal(j.latency.threads[0].histogram.min, 0);
    assert.equal(j.printedMin.get(0), 5);
    assert.ok(j.warnings.some((w) => w.code === 'cyclicdeadline-min-zero'));
  });

  it('reads its -q summary and says where it disagrees with the JSON', () => {
    const out = 'interval: 2400:4000\n  Tested at 3us of 2400us\nT: 0 ( 1717) I:4000 C:    501 Min:     14 Act:   57 Avg:   65 Max:    1891\n';
    const s = parseCyclicdeadlineSummary(out, 'stdout');
    assert.deepEqual(s, [{ thread: 0, tid: 1717, intervalUs: 4000, cycles: 501, min: 14, act: 57, avg: 65, max: 1891 }]);
    const j = parseCyclicdeadlineJson(cdJson([T]), 'cd.json', [4000]);
    assert.deepEqual(summaryMismatch(s, j), []);
    assert.match(summaryMismatch([{ ...s[0], max: 1890, cycles: 500 }], j)[0].message, /cycles 500 printed, 501 in the JSON; thread 0: max 1890 us printed, 1891 us in the JSON/);
    assert.throws(() => parseCyclicdeadlineSummary('T: 0 ( 1717) I:4000 C:    501 Min:     -4 Act:   57 Avg:   65 Max:    1891', 'stdout'), /stdout:1: T:0 Min: -4 is negative/);
  });
});

describe('kind: cyclicdeadline', () => {
  const step = (b: Record<string, unknown>, deployment = { name: 'bare', kind: 'bare-metal' } as Deployment): BenchmarkStep<CyclicdeadlineBenchmark> => ({ benchmark: cd(b), deployment, durationNs: 2e9 });

  it('is in the registry, a tool of its own, on bare metal only', async () => {
    const b = benchmarkFor(cd());
    assert.equal(b.kind, 'cyclicdeadline');
    assert.equal(b.runs, 'tool');
    assert.equal(b.expectedMs(step({ duration: '1500ms' })), 2000);
    const untouched = new Proxy({}, { get: () => assert.fail('the transport was used') }) as Transport;
    await assert.rejects(cyclicdeadline.measure(step({}, { name: 'g', kind: 'vm' } as Deployment), { transport: untouched, signal: new AbortController().signal }), /cyclicdeadline runs on bare metal only \(deployment g is vm\)/);
  });

  it('runs here: the result is what cyclicdeadline printed, its threads ran SCHED_DEADLINE, its own CPU time and RSS are measured', async () => {
    const m = await cyclicdeadline.measure(step({ interval: '4ms', duration: '1s' }), { transport: new LocalTransport(), signal: new AbortController().signal });
    assert.ok('latency' in m);
    const ctx = m.context as { cyclicdeadline: { summary: Array<{ cycles: number; min: number; avg: number; max: number }>; policy: string }; usage?: { cpuS: number; maxRssKiB: number | null } };
    const [s] = ctx.cyclicdeadline.summary;
    assert.ok(s.cycles > 100, `${s.cycles} cycles in 1 s at 4 ms`);
    assert.equal(m.latency.count, s.cycles);
    assert.equal(m.latency.max, s.max * 1000);
    if (!m.warnings.some((w) => w.code === 'cyclicdeadline-min-zero')) assert.equal(m.latency.min, s.min * 1000);
    assert.equal(Math.floor(m.latency.mean / 1000), s.avg);
    assert.ok(Number.isNaN(m.latency.p99), 'no percentiles without a histogram');
    assert.equal(ctx.cyclicdeadline.policy, 'deadline');
    assert.equal(m.applied?.mode, 'cyclicdeadline');
    assert.ok(ctx.usage && ctx.usage.cpuS >= 0 && (ctx.usage.maxRssKiB === null || ctx.usage.maxRssKiB > 0));
    assert.ok(!m.warnings.some((w) => /mismatch|policy/.test(w.code)), JSON.stringify(m.warnings));
  });
});
