/**
 * How guests boot, through the real CLI and QEMU TCG (any host, Intel or AMD, KVM or not): one
 * boot per deployment and repetition or one per benchmark, a snapshot restored instead of a
 * boot, and QEMU's minimal microvm machine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import { runCli } from '../helpers/cli.js';
import { assertNoQemu } from '../helpers/qemu.js';
import type { RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'unilat-boots-'));

before(async () => {
  await resolveKernel('debian-rt');
});
afterEach(assertNoQemu);
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(name: string, yaml: string): Promise<{ rec: RunRecord; runDir: string; ctx: Record<string, unknown>[] }> {
  const f = path.join(dir, `${name}.yaml`);
  writeFileSync(f, yaml);
  const r = await runCli(['run', f, '--out', dir, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const runDir = r.stdout.trim().split('\n').pop()!;
  const rec = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunRecord;
  return { rec, runDir, ctx: rec.results.map((x) => (x as { context?: Record<string, unknown> }).context ?? {}) };
}

describe('boots per deployment and repetition', { timeout: 600_000 }, () => {
  for (const freshBoot of [false, true]) {
    it(freshBoot ? 'freshBoot: true boots once per benchmark' : 'one boot runs all benchmarks of a deployment and repetition', async () => {
      const { rec, runDir, ctx } = await run(
        `boots-${freshBoot}`,
        `name: boots\nduration: 1s\ndeployments:\n  - {name: uni, kind: unikernel, accel: tcg, freshBoot: ${freshBoot}}\nbenchmarks:\n  - {name: wake, kind: cyclic, interval: 1ms}\n  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}\n`,
      );
      assert.deepEqual(rec.results.map((x) => [x.benchmark, x.status]), [['wake', 'completed'], ['sys', 'completed']]);
      assert.deepEqual(ctx.map((c) => c.bootShare), freshBoot ? [{ index: 0, of: 1, freshBoot }, { index: 0, of: 1, freshBoot }] : [{ index: 0, of: 2, freshBoot }, { index: 1, of: 2, freshBoot }]);
      const logs = new Set(ctx.map((c) => c.consoleLog));
      assert.equal(logs.size, freshBoot ? 2 : 1, 'one console log per boot');
      for (const c of ctx) assert.ok(typeof c.bootMs === 'number' && c.bootMs > 0);
      const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
      assert.match(md, freshBoot ? /a fresh boot for every benchmark/ : /one boot per repetition runs all its benchmarks/);
    });
  }
});

describe('snapshot restore (boot: snapshot)', { timeout: 600_000 }, () => {
  it('restores a saved guest for every boot, faster than the cold boot that made it, and removes the state file', async () => {
    const before = readdirSync('/tmp').filter((d) => d.startsWith('unilat-snap.'));
    const { rec, runDir, ctx } = await run(
      'snap',
      'name: snap\nrepetitions: 2\ndeployments:\n  - {name: snap, kind: unikernel, accel: tcg, boot: snapshot}\nbenchmarks:\n  - {name: wake, kind: cyclic, interval: 1ms, duration: 1s}\n  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}\n',
    );
    assert.deepEqual(rec.results.map((x) => x.status), ['completed', 'completed', 'completed', 'completed']);
    const snaps = ctx.map((c) => c.snapshot as { coldBootMs: number; stateBytes: number });
    assert.equal(new Set(snaps.map((x) => JSON.stringify(x))).size, 1, 'one snapshot serves every boot');
    assert.ok(snaps[0].stateBytes > 1e6, 'a real VM state was saved');
    for (const c of ctx) {
      assert.equal(c.bootMode, 'snapshot');
      assert.ok(typeof c.restoreMs === 'number' && c.restoreMs > 0);
      assert.ok(c.restoreMs < snaps[0].coldBootMs, `restore ${c.restoreMs} ms < cold boot ${snaps[0].coldBootMs} ms`);
    }
    // No sample spans the restore: each run's time base starts after the script arrived.
    const wake = rec.results.find((x) => x.benchmark === 'wake' && x.status === 'completed') as { latency: { count: number } };
    assert.ok(wake.latency.count > 500, `${wake.latency.count} wake-ups in 1 s`);
    assert.deepEqual(readdirSync('/tmp').filter((d) => d.startsWith('unilat-snap.')), before, 'the state file is removed after the run');
    const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    assert.match(md, /restore \(snapshot\)/);
    for (const c of ctx) assert.equal((c.boot as { firstConsoleMs: unknown }).firstConsoleMs, null, 'a restore has no boot console');
  });
});

describe('microvm (no PCI, no ACPI tables to scan, qboot)', { timeout: 900_000 }, () => {
  it('boots 3 of 3 times under TCG, with the console and results on ports of their own', async () => {
    const { rec, ctx } = await run(
      'microvm',
      'name: microvm\nrepetitions: 3\ndeployments:\n  - {name: micro, kind: unikernel, accel: tcg, machine: microvm, pin: [1]}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}\n',
    );
    assert.deepEqual(rec.results.map((x) => x.status), ['completed', 'completed', 'completed']);
    for (const c of ctx) {
      assert.equal(c.machine, 'microvm');
      // The harness told the kernel the TSC rate (it cannot calibrate it on microvm under TCG) where it is invariant.
      const tscKnown = !rec.results[0].warnings.some((w) => w.code === 'microvm-tsc-unknown');
      if (tscKnown) assert.match(String(c.cmdline), /tsc_early_khz=\d+ tsc=reliable/);
      const log = readFileSync(String(c.consoleLog), 'utf8');
      assert.match(log, /Linux version .*PREEMPT_RT/, 'kernel messages on the console, not in the results stream');
      assert.ok(((c.boot as Record<string, unknown>).kernelToInitMs as number) > 0, 'microvm shows its init line now that it need not be quiet');
    }
  });
});
