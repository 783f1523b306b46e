/**
 * kind: timerlat without a guest: the scenario knobs, the installed rtla's options read from its
 * own --help, the knobs mapped to rtla's argv (and what an rtla lacks said), and a real run on
 * this machine, whose kernel has no timerlat tracer: exit 3 with a message that says so and how
 * to get one, and the tracefs mount as it was before. (The guest run, where the tracer is, and
 * the parser on its real output are in test/deploy/timerlat.test.ts.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { benchmarkFor } from '../../src/bench/benchmark.js';
import { journalRtla } from '../../src/bench/timerlat.js';
import { HostJournal } from '../../src/prepare/journal.js';
import { LocalTransport } from '../../src/transport/local.js';
import { buildTimerlatArgs, rtlaOptions, type RtlaOptions } from '../../src/bench/timerlat/args.js';
import { InputError } from '../../src/errors.js';
import { benchmarkSchema, scenarioSchema, type TimerlatBenchmark } from '../../src/scenario/schema.js';
import { runCli } from '../helpers/cli.js';

const tl = (b: Record<string, unknown> = {}) => benchmarkSchema.parse({ name: 'tl', kind: 'timerlat', ...b }) as TimerlatBenchmark;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The help of the rtla installed here (Debian 12: 6.1, which prints it on stderr). */
function installedHelp(): string {
  const r = spawnSync('rtla', ['timerlat', 'hist', '--help'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

const ALL: RtlaOptions = { version: 'x', userThreads: true, kernelThreads: true, noAa: true, houseKeeping: true, nano: true, dmaLatency: true };

describe('timerlat scenario knobs', () => {
  it('defaults: 1 ms period, priority 80, cpu_dma_latency 0, user threads where rtla has them, a 20 ms histogram', () => {
    const b = tl();
    assert.equal(b.interval, 1_000_000);
    assert.equal(b.priority, 80);
    assert.equal(b.dmaLatency, true);
    assert.equal(b.userThreads, true);
    assert.equal(b.histogram, 20_000);
    assert.equal(benchmarkFor(b).runs, 'tool');
  });

  it('has no loop count: a scenario giving one is refused at its field', () => {
    const r = scenarioSchema.safeParse({ name: 's', deployments: [{ name: 'bare', kind: 'bare-metal' }], benchmarks: [{ name: 'tl', kind: 'timerlat', loops: 100 }] });
    assert.equal(r.success, false);
    assert.ok(r.error!.issues.some((i) => i.path.join('.') === 'benchmarks.0.loops' && /rtla timerlat has no loop count: give a duration/.test(i.message)));
    assert.equal(scenarioSchema.safeParse({ name: 's', deployments: [{ name: 'bare', kind: 'bare-metal' }], benchmarks: [{ name: 'tl', kind: 'timerlat', thread: 2 }] }).success, false);
    const fast = scenarioSchema.safeParse({ name: 's', deployments: [{ name: 'bare', kind: 'bare-metal' }], benchmarks: [{ name: 'tl', kind: 'timerlat', interval: '50us' }] });
    assert.ok(!fast.success && fast.error.issues.some((i) => i.path.join('.') === 'benchmarks.0.interval' && /rtla timerlat takes a period of 100us to 1s, not 50us/.test(i.message)));
  });
});

describe("rtla's options", () => {
  it('reads what the installed rtla offers from its --help (Debian 12: 6.1, without -u, --no-aa and -H)', () => {
    const o = rtlaOptions(installedHelp());
    assert.equal(o.version, '6.1');
    assert.equal(o.nano, true);
    assert.equal(o.dmaLatency, true);
    assert.equal(o.userThreads, false);
    assert.equal(o.noAa, false);
    assert.equal(o.houseKeeping, false);
    assert.equal(o.kernelThreads, false);
  });

  it('refuses text that is not timerlat hist help', () => {
    assert.throws(() => rtlaOptions('rtla: command not found'), /not rtla timerlat hist's --help: rtla: command not found/);
  });

  it('maps the knobs: -p period, -P f:PRIO, -d seconds, --dma-latency 0, ns in 1 us buckets over the histogram range', () => {
    const a = buildTimerlatArgs(tl({ interval: '500us', priority: 95, duration: '3s', histogram: 5000 }), 10e9, { options: rtlaOptions(installedHelp()), cpuCount: 2 });
    assert.deepEqual(a.argv, ['rtla', 'timerlat', 'hist', '-d', '3', '-p', '500', '-P', 'f:95', '--dma-latency', '0', '-n', '-b', '1000', '-E', '5000']);
    assert.deepEqual(a.unavailable, ['-u', '-H', '--no-aa']);
    assert.equal(a.request.unit, 'ns');
    assert.equal(a.request.bucket, 1000);
    // -u was asked for (the default) and is missing: said; -H is not needed without affinity.
    assert.equal(a.warnings.length, 1);
    assert.match(a.warnings[0].message, /^rtla 6\.1 on the target lacks -u \(user-space threads\): only the IRQ and thread latencies are measured/);
    assert.doesNotMatch(a.warnings[0].message, /-H/);
  });

  it('affinity: -c the measured CPUs, -H the others where rtla has it (else said); -u and --no-aa where it has them', () => {
    const full = buildTimerlatArgs(tl({ affinity: '1,3' }), 2e9, { options: ALL, cpuCount: 4 });
    assert.deepEqual(full.argv.slice(9), ['-c', '1,3', '-H', '0,2', '--dma-latency', '0', '-n', '-b', '1000', '-E', '20000', '--no-aa', '-u']);
    assert.deepEqual(full.warnings, []);
    const old = buildTimerlatArgs(tl({ affinity: '1', userThreads: false, dmaLatency: false }), 2e9, { options: { ...ALL, houseKeeping: false, dmaLatency: false }, cpuCount: 2 });
    assert.deepEqual(old.argv.slice(9), ['-c', '1', '-n', '-b', '1000', '-E', '20000', '--no-aa', '-k']);
    assert.match(old.warnings[0].message, /lacks -H \(house-keeping CPUs\): rtla's own threads may run on the measured CPUs$/);
  });

  it('a duration is whole seconds (rounded up, said); a period outside 100 us..1 s and CPUs the target lacks are refused', () => {
    const a = buildTimerlatArgs(tl(), 2.5e9, { options: ALL, cpuCount: 1 });
    assert.deepEqual(a.argv.slice(3, 5), ['-d', '3']);
    assert.ok(a.warnings.some((w) => w.code === 'rtla-duration-rounded'));
    assert.throws(() => buildTimerlatArgs(tl({ interval: '50us' }), 2e9, { options: ALL, cpuCount: 1 }), (e: unknown) => e instanceof InputError && /benchmark tl: interval: rtla timerlat takes a period of 100 us to 1 s, not 50 us/.test(e.message));
    assert.throws(() => buildTimerlatArgs(tl({ affinity: '0,5' }), 2e9, { options: ALL, cpuCount: 2 }), /benchmark tl: affinity: CPU 5 not on the target \(it has 2 CPUs\)/);
  });
});

/** tracefs mount lines of this machine. */
function tracefsMounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'tracefs');
}

/** Whether this kernel has the timerlat tracer (tracefs mounted for the look and unmounted again). */
function hostHasTimerlat(): boolean {
  const mounted = tracefsMounts().length > 0;
  if (!mounted) execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
  try {
    return readFileSync('/sys/kernel/tracing/available_tracers', 'utf8').split(/\s+/).includes('timerlat');
  } finally {
    if (!mounted) execFileSync('umount', ['/sys/kernel/tracing']);
  }
}

describe('timerlat on this machine (bare metal)', () => {
  it('a kernel without the timerlat tracer fails the step: exit 3, what is missing and how to get it, tracefs left as it was', { timeout: 120_000 }, async (t) => {
    if (hostHasTimerlat()) return t.skip('this kernel has the timerlat tracer (the guest test covers a real run)');
    const dir = mkdtempSync(path.join(tmpdir(), 'unilat-timerlat-host-'));
    dirs.push(dir);
    const scenario = path.join(dir, 'tl.yaml');
    writeFileSync(scenario, ['name: tl-host', 'duration: 2s', 'deployments:', '  - {name: bare, kind: bare-metal}', 'benchmarks:', '  - {name: tl, kind: timerlat, interval: 1ms}', ''].join('\n'));
    const before = tracefsMounts();
    const r = await runCli(['run', scenario, '--out', dir, '--quiet']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /error: bare\/tl rep 1: local: kernel \S+ has no timerlat tracer \(CONFIG_TIMERLAT_TRACER is not set; its tracers: [^)]*\), which rtla timerlat needs: boot a kernel built with it, such as Debian's PREEMPT_RT kernel \(apt-get install linux-image-rt-amd64\), or measure in a vm deployment with kernel: debian-rt/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(tracefsMounts(), before, 'tracefs mounted for the look is unmounted again');
    const run = readdirSync(dir).find((f) => f.includes('tl-host'))!;
    const rec = JSON.parse(readFileSync(path.join(dir, run, 'run.json'), 'utf8'));
    assert.equal(rec.results[0].status, 'failed');
    assert.equal(rec.results[0].kind, 'timerlat');
  });
});

describe("what a killed rtla leaves (journaled before it runs)", () => {
  // A folder laid out as tracefs' instances/ and osnoise/ (this kernel has no osnoise): the
  // journal's own undo scripts run on it as they would on tracefs.
  function tempDir(prefix: string): string {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  }
  function fakeTracefs(): string {
    const root = tempDir('unilat-timerlat-tracefs-');
    mkdirSync(path.join(root, 'instances'));
    mkdirSync(path.join(root, 'osnoise'));
    for (const [f, v] of [['cpus', '0-1'], ['timerlat_period_us', '1000'], ['stop_tracing_us', '0'], ['print_stack', '0']]) writeFileSync(path.join(root, 'osnoise', f), v);
    return root;
  }

  // (Undo of the instance itself, rmdir after tracing_on 0, needs a real tracefs: in the guest, a
  // killed rtla's timerlat_hist instance kept its timerlat/N threads running until that rmdir.)
  it("journals rtla's instance; undo writes its osnoise options back", async () => {
    const root = fakeTracefs();
    const t = new LocalTransport();
    const journal = new HostJournal(t, { dir: tempDir('unilat-timerlat-journal-') });
    const mark = journal.mark();
    await journalRtla(t, journal, root);
    // What rtla -p 500 -c 1 leaves when it is killed.
    writeFileSync(path.join(root, 'osnoise', 'timerlat_period_us'), '500');
    writeFileSync(path.join(root, 'osnoise', 'cpus'), '1');
    const instance = journal.entries.filter((e) => e.kind === 'trace-instance');
    assert.deepEqual(instance.map((e) => e.path), [path.join(root, 'instances', 'timerlat_hist')]);
    assert.equal(journal.entries.filter((e) => e.kind === 'write').length, 4);
    const undo = await journal.undoSince(mark);
    assert.deepEqual(undo.errors, []);
    assert.equal(readFileSync(path.join(root, 'osnoise', 'timerlat_period_us'), 'utf8'), '1000');
    assert.equal(readFileSync(path.join(root, 'osnoise', 'cpus'), 'utf8'), '0-1');
    await journal.restore();
  });

  it('refuses to run beside another rtla timerlat hist (its instance exists), journaling nothing', async () => {
    const root = fakeTracefs();
    mkdirSync(path.join(root, 'instances', 'timerlat_hist'));
    const t = new LocalTransport();
    const journal = new HostJournal(t, { dir: tempDir('unilat-timerlat-journal-') });
    const mark = journal.mark();
    await assert.rejects(journalRtla(t, journal, root), /instances\/timerlat_hist exists: another rtla timerlat hist is running there/);
    assert.equal(journal.mark(), mark);
    assert.equal(existsSync(path.join(root, 'instances', 'timerlat_hist')), true);
  });
});
