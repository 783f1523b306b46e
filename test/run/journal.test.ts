/**
 * The one host journal and the host lock, through the real CLI: a controller killed with SIGKILL
 * while a guest runs under background load: the lock's holder ends QEMU and the load within
 * seconds, and the next run's connection removes what is left (their folders) and says so.
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

async function gone(what: () => unknown[], ms: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (what().length === 0) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

it('SIGKILL during a guest run under load: QEMU and the load end within 10 s, the next run removes their folders', { timeout: 600_000 }, async (t) => {
  const scenario = path.join(dir, 'killed.yaml');
  writeFileSync(
    scenario,
    'name: killed\ndeployments:\n  - name: uni\n    kind: unikernel\n    accel: tcg\n    bootTimeout: 300s\n    load: {tool: stress-ng, args: [--cpu, "1", --cpu-load, "10"]}\n' +
      'benchmarks:\n  - {name: wake, kind: cyclic, interval: 1ms, duration: 120s}\n',
  );
  let pid = 0;
  let killed = false;
  let guestDir: string | undefined;
  let loadSeen = false;
  const first = await runCli(['run', scenario, '--out', dir], {
    onSpawn: (p) => (pid = p),
    onStderr: () => {
      // Once QEMU runs (it carries its journal marker as -name), the controller dies without a word.
      const qemus = killed ? [] : withMarker('qemu-system.*-name unilat-qemu:');
      if (qemus.length > 0) {
        guestDir = /-kernel\0([^\0]+)\/vmlinuz/.exec(readFileSync(`/proc/${qemus[0]}/cmdline`, 'utf8'))?.[1];
        loadSeen = withMarker('unilat-load:').length > 0;
        killed = true;
        process.kill(pid, 'SIGKILL');
      }
    },
  });
  assert.ok(killed, `QEMU never started: ${first.stderr}`);
  assert.equal(first.code, null, 'killed');
  assert.ok(guestDir && existsSync(guestDir), 'the guest folder is there');
  assert.ok(loadSeen, 'the load ran');
  // Any QEMU: no other test runs one meanwhile.
  const qemuGone = await gone(() => liveQemus(), 10_000);
  const loadGone = await gone(() => withMarker('unilat-load:'), 10_000);
  assert.notEqual(qemuGone, null, `QEMU ended within 10 s of its controller: ${JSON.stringify(liveQemus())}`);
  assert.notEqual(loadGone, null, 'the load ended within 10 s of its controller');
  t.diagnostic(`after the SIGKILL: QEMU gone in ${qemuGone} ms, the load in ${loadGone} ms more`);

  // Any run on the same host recovers: a one-second bare-metal one will do.
  const quick = path.join(dir, 'quick.yaml');
  writeFileSync(quick, 'name: quick\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 5, ops: [func, getppid]}\n');
  // The dead controller's lock holder may still be ending things: wait for it rather than fail.
  const second = await runCli(['run', quick, '--out', dir, '--quiet', '--wait-lock', '30s']);
  assert.equal(second.code, 0, second.stderr);
  const rec = JSON.parse(readFileSync(path.join(second.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
  const leftovers = rec.warnings.filter((w) => w.code === 'leftover-tuning');
  assert.equal(leftovers.length, 1, JSON.stringify(rec.warnings));
  assert.match(leftovers[0].message, /was restored/);
  assert.deepEqual(liveQemus(), [], `QEMU ${qemuGone} ms after the kill`);
  assert.deepEqual(withMarker('unilat-load:'), []);
  assert.equal(existsSync(guestDir!), false, 'the guest folder removed');
});
