/**
 * The one host journal, through the real CLI: a controller killed with SIGKILL while a guest
 * boots under background load leaves QEMU, the load and their folders on the host; the next run's
 * connection ends them all and says so in its run.json.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, it } from 'node:test';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import type { RunRecord } from '../../src/results/types.js';
import { runCli } from '../helpers/cli.js';
import { assertNoQemu, liveQemus } from '../helpers/qemu.js';

const dir = mkdtempSync(path.join(tmpdir(), 'unilat-journal-run-'));
before(async () => {
  await resolveKernel('debian-rt');
});
afterEach(assertNoQemu);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Processes whose command line holds `text`, but not this test's own. */
function withMarker(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
  } catch {
    return [];
  }
}

it('SIGKILL during a guest run under load: the next run ends QEMU and the load and removes their folders', { timeout: 600_000 }, async () => {
  const scenario = path.join(dir, 'killed.yaml');
  writeFileSync(
    scenario,
    'name: killed\ndeployments:\n  - name: uni\n    kind: unikernel\n    accel: tcg\n    bootTimeout: 300s\n    load: {tool: stress-ng, args: [--cpu, "1", --cpu-load, "10"]}\n' +
      'benchmarks:\n  - {name: wake, kind: cyclic, interval: 1ms, duration: 120s}\n',
  );
  let pid = 0;
  let killed = false;
  const first = await runCli(['run', scenario, '--out', dir], {
    onSpawn: (p) => (pid = p),
    onStderr: () => {
      // Once QEMU runs (it carries its journal marker as -name), the controller dies without a word.
      if (!killed && withMarker('qemu-system.*-name unilat-qemu:').length > 0) {
        killed = true;
        process.kill(pid, 'SIGKILL');
      }
    },
  });
  assert.ok(killed, `QEMU never started: ${first.stderr}`);
  assert.equal(first.code, null, 'killed');
  const qemus = withMarker('qemu-system.*-name unilat-qemu:');
  assert.ok(qemus.length > 0, 'QEMU outlived its controller');
  const guestDir = /-kernel\0([^\0]+)\/vmlinuz/.exec(readFileSync(`/proc/${qemus[0]}/cmdline`, 'utf8'))?.[1];
  assert.ok(guestDir && existsSync(guestDir), 'the guest folder is there');
  assert.ok(withMarker('unilat-load:').length > 0, 'the load outlived its controller');

  // Any run on the same host recovers: a one-second bare-metal one will do.
  const quick = path.join(dir, 'quick.yaml');
  writeFileSync(quick, 'name: quick\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 5, ops: [func, getppid]}\n');
  const second = await runCli(['run', quick, '--out', dir, '--quiet']);
  assert.equal(second.code, 0, second.stderr);
  const rec = JSON.parse(readFileSync(path.join(second.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
  const leftovers = rec.warnings.filter((w) => w.code === 'leftover-tuning');
  assert.equal(leftovers.length, 1, JSON.stringify(rec.warnings));
  assert.match(leftovers[0].message, /was restored/);
  assert.deepEqual(liveQemus(), [], 'QEMU ended');
  assert.deepEqual(withMarker('unilat-load:'), [], 'the load ended');
  assert.equal(existsSync(guestDir), false, 'the guest folder removed');
});
