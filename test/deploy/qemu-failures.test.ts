/**
 * QEMU that will not run a guest, on any host (Intel or AMD, KVM or not): it is reported in its
 * own words at once, and `accel: auto` falls back to TCG when a KVM launch stops at start. The
 * abort is made real and vendor-independent by a transport that hands the KVM launch a CPU
 * model this QEMU refuses (as `-cpu host` is refused on nested AMD hosts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createGuestRunner } from '../../src/deploy/guest/runner.js';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import { GuestError } from '../../src/deploy/guest/qemu.js';
import type { ProbeInvocation } from '../../src/deploy/types.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { Command, RunOptions, Transport } from '../../src/transport/transport.js';
import { runCli } from '../helpers/cli.js';
import { assertNoQemu, guestContext, guestDeployment } from '../helpers/qemu.js';
import type { FailedResult, RunRecord } from '../../src/results/types.js';

const REFUSED = 'unilat-refused-model';
const syscall: ProbeInvocation = { mode: 'syscall', args: ['--batches', '10', '--warmup', '1', '--ops', 'func,getppid'], expectedMs: 1000 };
const dir = mkdtempSync(path.join(tmpdir(), 'unilat-qemu-fail-'));

before(async () => {
  await resolveKernel('debian-rt');
});
afterEach(assertNoQemu);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Local transport whose guest launches under KVM get a CPU model QEMU refuses; counts those launches. */
function kvmRefusingTransport(): Transport & { kvmLaunches: number } {
  const t = new LocalTransport('kvm-refusing');
  const wrapped = {
    name: t.name,
    kvmLaunches: 0,
    run(cmd: Command, opts?: RunOptions) {
      if (Array.isArray(cmd) && cmd.includes('-kernel') && cmd.join(' ').includes('-accel kvm')) {
        wrapped.kvmLaunches++;
        const argv = cmd;
        cmd = argv.map((a, i) => (argv[i - 1] === '-cpu' ? REFUSED : a));
      }
      return t.run(cmd, opts);
    },
    upload: t.upload.bind(t),
    writeFile: t.writeFile.bind(t),
    read: t.read.bind(t),
    tempDir: t.tempDir.bind(t),
    connectUnix: t.connectUnix.bind(t),
    close: t.close.bind(t),
  };
  return wrapped;
}

function kvmOpens(): boolean {
  try {
    execFileSync('sh', ['-c', 'exec 3<>/dev/kvm']);
    return true;
  } catch {
    return false;
  }
}

describe('QEMU that stops at start', { timeout: 600_000 }, () => {
  for (const accel of ['tcg', 'kvm'] as const) {
    it(`accel: ${accel}: a refused CPU model fails at once with QEMU's exit status and words`, async () => {
      const ctx = guestContext({ runDir: dir, stepLabel: `refused-${accel}` });
      const d = guestDeployment({ accel, cpu: REFUSED });
      await assert.rejects(createGuestRunner(d).runProbes([syscall], ctx), (e: Error) => {
        assert.ok(e instanceof GuestError, e.message);
        assert.equal(e.reason, 'qemu-exit');
        assert.match(e.message, /QEMU exited with status 1 before the probe started/);
        assert.doesNotMatch(e.message, /QMP/, 'not the QMP socket it never made');
        // Without a usable /dev/kvm QEMU says so first; either way its own words are quoted.
        assert.match(e.message, accel === 'tcg' || kvmOpens() ? new RegExp(`unable to find CPU model '${REFUSED}'`) : /qemu-system-x86_64: .*KVM/);
        assert.ok(e.qemu && e.qemu.exitCode === 1 && e.qemu.stderrTail.length > 0);
        return true;
      });
      const log = readFileSync(path.join(dir, `refused-${accel}.qemu.log`), 'utf8');
      assert.match(log, /qemu-system-x86_64: /, "QEMU's stderr is kept beside the console log");
    });
  }

  it('accel: auto falls back to TCG when the KVM launch stops at start, once per host', async () => {
    const t = kvmRefusingTransport();
    // qemu64 passes the KVM check wherever KVM opens at all (even nested), so the launch itself is what fails.
    const runner = createGuestRunner(guestDeployment({ accel: 'auto', cpu: 'qemu64', pin: [1], bootTimeout: 180e9 }));
    const saved = process.env.UNILAT_FORCE_TCG;
    delete process.env.UNILAT_FORCE_TCG;
    try {
      for (const label of ['auto-1', 'auto-2']) {
        const ctx = guestContext({ runDir: dir, stepLabel: label, transport: t });
        const info = await runner.runProbes([syscall], ctx);
        assert.equal(info.context.accel, 'tcg');
        assert.equal(info.context.cpuModel, 'qemu64', 'TCG keeps the named model');
        const w = info.warnings.filter((x) => x.code === 'no-kvm');
        assert.equal(w.length, 1, 'one warning says why');
        if (kvmOpens()) assert.match(w[0].message, new RegExp(`-accel kvm -cpu qemu64 stopped at start: QEMU exited with status 1: .*unable to find CPU model '${REFUSED}'`));
        else assert.match(w[0].message, /\/dev\/kvm cannot be opened/);
        assert.ok(ctx.text().includes('"type":"done"'), 'the guest measured');
      }
      assert.equal(t.kvmLaunches, kvmOpens() ? 1 : 0, 'the fallback is decided once: the second guest goes straight to TCG');
    } finally {
      if (saved !== undefined) process.env.UNILAT_FORCE_TCG = saved;
    }
  });

  it('a kernel image that is not a kernel fails its step with QEMU\'s message, exit 3', async () => {
    const kernel = path.join(dir, 'not-a-kernel');
    writeFileSync(kernel, randomBytes(4096));
    const f = path.join(dir, 'bad-kernel.yaml');
    writeFileSync(f, `name: bad-kernel\ndeployments:\n  - {name: uni, kind: unikernel, kernel: ${JSON.stringify(kernel)}, accel: tcg}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 10}\n`);
    const r = await runCli(['run', f, '--out', dir, '--quiet']);
    assert.equal(r.code, 3, r.stderr);
    const rec = JSON.parse(readFileSync(path.join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
    const res = rec.results[0] as FailedResult;
    assert.equal(res.status, 'failed');
    assert.match(res.error, /QEMU exited with status 1 before the probe started/);
    assert.match(res.error, /QEMU's stderr[^]*\nqemu: .*kernel/, 'QEMU says what is wrong with the kernel');
  });
});
