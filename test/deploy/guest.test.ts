/**
 * Real guests: Debian's PREEMPT_RT kernel under QEMU TCG (KVM hangs on nested hosts such as CI's,
 * so UNILAT_FORCE_TCG=1), the real static probe inside, results parsed by the protocol parser.
 * After every test no qemu-system process may be left.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createGuestRunner } from '../../src/deploy/guest/runner.js';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import type { VcpuMapping } from '../../src/deploy/guest/qemu.js';
import type { ProbeInvocation } from '../../src/deploy/types.js';
import { assembleCyclic, assembleSyscall, parseStream, singleRun, splitRuns, type HelloMessage } from '../../src/probe/protocol.js';
import { summarizeLatency, summarizeOps } from '../../src/stats/summary.js';
import type { Transport } from '../../src/transport/transport.js';
import { assertNoQemu, disguisedLocal, guestContext, guestDeployment } from '../helpers/qemu.js';

process.env.UNILAT_FORCE_TCG = '1';

const cyclic: ProbeInvocation = { mode: 'cyclic', args: ['--threads', '1', '--interval', '1000000', '--duration-ms', '2000', '--mlockall', '--progress-ms', '500'], expectedMs: 2000 };
const syscall: ProbeInvocation = { mode: 'syscall', args: ['--batches', '20', '--warmup', '2'], expectedMs: 1000 };

const runDir = mkdtempSync(path.join(tmpdir(), 'unilat-guest-test-'));
const timings: string[] = [];

before(async () => {
  // Fetches the kernels on a fresh machine (scripts/fetch-kernels.sh), a no-op when cached.
  await resolveKernel('debian-rt');
});
afterEach(assertNoQemu);
after(() => {
  rmSync(runDir, { recursive: true, force: true });
  if (timings.length) console.log(`# guest timings (TCG):\n# ${timings.join('\n# ')}`);
});

function hello(text: string): HelloMessage {
  const { runs } = splitRuns(parseStream(text).messages);
  assert.equal(runs.length, 1);
  return runs[0].hello;
}

async function boot(label: string, kind: 'vm' | 'unikernel', inv: ProbeInvocation, over: Parameters<typeof guestDeployment>[0] = {}, transport?: Transport) {
  const ctx = guestContext({ runDir, stepLabel: label, ...(transport ? { transport } : {}) });
  const t0 = performance.now();
  const info = await createGuestRunner(guestDeployment({ kind, pin: [1], ...over })).runProbes([inv], ctx);
  const wall = Math.round(performance.now() - t0);
  timings.push(`${label}: bootMs ${info.context.bootMs}, guest uptime at probe ${info.context.guestUptimeAtProbeS} s, whole run ${wall} ms`);
  return { info, text: ctx.text(), ctx };
}

function checkGuestFacts(info: { context: Record<string, unknown>; warnings: { code: string }[] }, text: string, label: string) {
  const h = hello(text);
  assert.equal(h.realtime, 1, 'the guest kernel says /sys/kernel/realtime = 1');
  assert.equal(h.preempt, 'PREEMPT_RT');
  assert.equal(info.context.guestRealtime, 1);
  assert.match(String(info.context.guestKernel), /-rt-amd64$/);
  assert.ok(typeof info.context.bootMs === 'number' && info.context.bootMs > 0, 'boot time measured');
  assert.ok(typeof info.context.guestUptimeAtProbeS === 'number' && info.context.guestUptimeAtProbeS > 0);
  assert.equal(info.context.accel, 'tcg');
  assert.ok(info.warnings.some((w) => w.code === 'no-kvm'), 'TCG is flagged');
  const vcpus = info.context.vcpus as VcpuMapping[];
  assert.equal(vcpus.length, 1);
  assert.equal(vcpus[0].vcpu, 0);
  assert.equal(vcpus[0].hostCpu, 1);
  assert.ok(vcpus[0].threadId > 0);
  const log = path.join(runDir, `${label}.console.log`);
  assert.equal(info.context.consoleLog, log);
  assert.match(readFileSync(log, 'utf8'), /Linux version .*PREEMPT_RT/);
}

describe('guest deployments under QEMU TCG', { timeout: 600_000 }, () => {
  it('unikernel: cyclic run with the probe as PID 1', async () => {
    const { info, text } = await boot('uk-cyclic', 'unikernel', cyclic);
    checkGuestFacts(info, text, 'uk-cyclic');
    assert.equal(hello(text).pid, 1, 'the probe is init');
    const { messages, noise } = parseStream(text);
    const c = { latency: summarizeLatency(assembleCyclic(singleRun(messages, noise), noise).latency) };
    assert.equal(c.latency.threads.length, 1);
    assert.ok(c.latency.count > 1000, `got ${c.latency.count} samples of ~2000`);
    assert.ok(messages.some((m) => m.type === 'end'), 'script end seen');
  });

  it('unikernel: syscall run, vCPU thread as SCHED_FIFO 1', async () => {
    const { info, text } = await boot('uk-syscall', 'unikernel', syscall, { vcpuPolicy: 'fifo', vcpuPriority: 1 });
    checkGuestFacts(info, text, 'uk-syscall');
    const vcpus = info.context.vcpus as VcpuMapping[];
    assert.equal(vcpus[0].policy, 'fifo');
    assert.equal(vcpus[0].priority, 1);
    const { messages, noise } = parseStream(text);
    const s = assembleSyscall(singleRun(messages, noise), noise);
    assert.ok(summarizeOps(s.ops).ops.getppid.nsPerOp > 0);
  });

  it('vm: BusyBox guest, cyclic run', async () => {
    const { info, text } = await boot('vm-cyclic', 'vm', cyclic);
    checkGuestFacts(info, text, 'vm-cyclic');
    assert.notEqual(hello(text).pid, 1, 'a shell is init, the probe is its child');
    const { messages, noise } = parseStream(text);
    assert.ok(summarizeLatency(assembleCyclic(singleRun(messages, noise), noise).latency).count > 1000);
    assert.match(readFileSync(path.join(runDir, 'vm-cyclic.console.log'), 'utf8'), /unilat: probe exited with 0/);
  });

  it('vm: syscall run through the remote code path (upload, QMP client on the target, tail)', async () => {
    // Compare with what was there before: another run's leftovers are not this test's.
    const before = readdirTmp().filter((d) => d.startsWith('unilat-guest.'));
    const { info, text } = await boot('vm-syscall-remote', 'vm', syscall, {}, disguisedLocal());
    checkGuestFacts(info, text, 'vm-syscall-remote');
    const { messages, noise } = parseStream(text);
    assert.ok(summarizeOps(assembleSyscall(singleRun(messages, noise), noise).ops).ops.read.nsPerOp > 0);
    assert.deepEqual(
      readdirTmp().filter((d) => d.startsWith('unilat-guest.')),
      before,
      'the temp dir on the target is gone',
    );
  });

  it('a guest that never starts the probe fails by its boot timeout, quoting the console', async () => {
    const ctx = guestContext({ runDir, stepLabel: 'hang' });
    // panic=0 (after our panic=-1) makes the kernel wait forever after "No working init".
    const d = guestDeployment({ kind: 'unikernel', cmdline: 'rdinit=/nonexistent panic=0', bootTimeout: 12e9 });
    const t0 = performance.now();
    await assert.rejects(createGuestRunner(d).runProbes([cyclic], ctx), (e: Error) => {
      assert.match(e.message, /boot timeout \(12 s/);
      assert.match(e.message, /last \d+ console lines/);
      assert.match(e.message, /Kernel panic/);
      return true;
    });
    timings.push(`hanging guest failed after ${Math.round(performance.now() - t0)} ms (boot timeout 12 s)`);
    assert.equal(ctx.chunks.length, 0);
  });

  it('a guest that dies early fails at once with the console tail', async () => {
    const ctx = guestContext({ runDir, stepLabel: 'dies' });
    const d = guestDeployment({ kind: 'unikernel', cmdline: 'rdinit=/nonexistent' });
    await assert.rejects(createGuestRunner(d).runProbes([cyclic], ctx), /the guest stopped before the probe started \(QEMU exited with status 0\)[\s\S]*Kernel panic/);
  });

  it('abort during the measurement kills QEMU and removes its files', async () => {
    const ac = new AbortController();
    const before = readdirTmp().filter((d) => d.startsWith('unilat-guest.'));
    const ctx = guestContext({ runDir, stepLabel: 'abort', signal: ac.signal });
    const onData = ctx.onData;
    // The stream may split the hello line across chunks: look at everything received so far.
    let seen = '';
    ctx.onData = (c) => {
      onData(c);
      seen += c.toString();
      if (!ac.signal.aborted && seen.includes('"type":"hello"')) ac.abort();
    };
    const long: ProbeInvocation = { mode: 'cyclic', args: ['--duration-ms', '60000'], expectedMs: 60000 };
    await assert.rejects(createGuestRunner(guestDeployment({ kind: 'vm' })).runProbes([long], ctx), { name: 'AbortError' });
    const afterDirs = readdirTmp().filter((d) => d.startsWith('unilat-guest.'));
    assert.deepEqual(afterDirs, before, 'no temp dir left');
    assert.ok(existsSync(path.join(runDir, 'abort.console.log')), 'the console log is kept');
  });
});

function readdirTmp(): string[] {
  return readdirSync(tmpdir());
}
