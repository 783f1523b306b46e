/**
 * `accel: auto` through the real CLI: the guest must run, under KVM when KVM really boots a
 * kernel here, else under TCG with a warning that says why (on the development VM, nested KVM
 * passes the quick check and then hangs the kernel: the fallback path).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { isOpsResult, type RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-auto-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function qemuLeft(): string {
  try {
    return execFileSync('pgrep', ['-a', 'qemu-system']).toString();
  } catch {
    return '';
  }
}

test('accel: auto runs the guest and says which accelerator it really used', { timeout: 400_000 }, async () => {
  const f = join(dir, 'auto.yaml');
  writeFileSync(
    f,
    'name: auto\ndeployments:\n  - {name: uni, kind: unikernel, kernel: debian-rt, accel: auto, pin: [1], bootTimeout: 180s}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}\n',
  );
  const env: Record<string, string> = { UNILAT_KVM_BOOT_BUDGET_MS: '10000' };
  const r = await runCli(['run', f, '--out', dir, '--quiet'], { env: { ...env, UNILAT_FORCE_TCG: '' } });
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
  const res = rec.results.find(isOpsResult);
  assert.ok(res, 'the guest measured');
  const accel = res.context?.accel;
  const kvmWarnings = res.warnings.filter((w) => w.code === 'no-kvm');
  if (accel === 'kvm') assert.deepEqual(kvmWarnings, [], 'under KVM no TCG warning');
  else {
    assert.equal(accel, 'tcg');
    assert.equal(kvmWarnings.length, 1, 'exactly one warning says why it is TCG');
    assert.match(kvmWarnings[0].message, /KVM|kvm/);
  }
  assert.equal(qemuLeft(), '', 'no qemu-system left');
});
