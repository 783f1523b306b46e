/**
 * kind: timerlat inside a vm guest booted from Debian's PREEMPT_RT kernel under QEMU TCG (its
 * kernel has the timerlat tracer; this machine's does not): the guest image carries this
 * machine's rtla and its libraries, `unilat run` gives IRQ and thread latency per vCPU. The
 * real rtla output the run keeps is then read back: its own count lines against the result,
 * `unilat import` of it, and broken copies of it refused with FILE:LINE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import type { CompletedLatencyResult, ThreadLatency } from '../../src/results/types.js';
import { runCli } from '../helpers/cli.js';
import { assertNoQemu, liveQemus } from '../helpers/qemu.js';

const dir = mkdtempSync(path.join(tmpdir(), 'unilat-timerlat-guest-'));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(assertNoQemu);
before(async () => {
  await resolveKernel('debian-rt');
});

const env = { UNILAT_FORCE_TCG: '1' };

function runRecord(parent: string, id: string): { dir: string; result: CompletedLatencyResult } {
  const run = readdirSync(parent).find((f) => f.includes(id));
  assert.ok(run, `a run folder for ${id} in ${parent}`);
  const rec = JSON.parse(readFileSync(path.join(parent, run, 'run.json'), 'utf8'));
  assert.equal(rec.results.length, 1);
  return { dir: path.join(parent, run), result: rec.results[0] };
}

const us = (ns: number) => (ns / 1000).toFixed(1);
const figures = (s: ThreadLatency['summary']) => `p50 ${us(s.p50)} p99 ${us(s.p99)} p99.9 ${us(s.p999)} max ${us(s.max)} us (${s.count} samples)`;

describe('timerlat in a vm guest (Debian PREEMPT_RT, TCG)', { timeout: 600_000 }, () => {
  let run: { dir: string; result: CompletedLatencyResult };
  let rtlaFile: string;

  before(async () => {
    const scenario = path.join(dir, 'tl-guest.yaml');
    writeFileSync(
      scenario,
      [
        'name: tl-guest',
        'duration: 5s',
        'deployments:',
        '  - {name: rt-guest, kind: vm, kernel: debian-rt, accel: tcg, vcpus: 2}',
        'benchmarks:',
        '  - {name: tl, kind: timerlat, interval: 1ms, priority: 95}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', scenario, '--out', dir, '--quiet'], { env });
    assert.equal(r.code, 0, r.stderr);
    run = runRecord(dir, 'tl-guest');
    rtlaFile = path.join(run.dir, String((run.result.context as { timerlat: { file: string } }).timerlat.file));
  });

  it('gives IRQ and thread latency for each vCPU, the result itself the thread latency', () => {
    const r = run.result;
    assert.equal(r.status, 'completed');
    assert.equal(r.kind, 'timerlat');
    const ctx = r.context as Record<string, any>;
    assert.match(String(ctx.guestKernel), /-rt-amd64$/);
    assert.equal(ctx.guestPreempt, 'PREEMPT_RT');
    assert.equal(ctx.guestRealtime, 1);
    assert.equal(ctx.accel, 'tcg');
    assert.equal(r.applied?.mode, 'timerlat');
    assert.match(String(r.applied?.probeVersion), /^rtla /);
    assert.equal(r.applied?.intervalNs, 1_000_000);
    assert.equal(r.applied?.priority, 95);
    assert.deepEqual(ctx.timerlat.commandLine.slice(1, 11), ['timerlat', 'hist', '-d', '5', '-p', '1000', '-P', 'f:95', '--dma-latency', '0']);
    const threads = r.latency.threads;
    assert.deepEqual(threads.map((t) => `${t.cpu}/${t.context}`).sort(), ['0/irq', '0/thread', '1/irq', '1/thread']);
    const lines: string[] = [];
    for (const t of threads) {
      const s = t.summary;
      assert.ok(s.count > 100, `${t.context} of CPU ${t.cpu} has samples`);
      for (const k of ['min', 'p50', 'p90', 'p99', 'p999', 'max'] as const) assert.ok(Number.isFinite(s[k]) && s[k] > 0, `${k} of ${t.context} CPU ${t.cpu}`);
      assert.ok(s.min <= s.p50 && s.p50 <= s.p99 && s.p99 <= s.max);
      assert.equal(t.intervalNs, 1_000_000);
      lines.push(`CPU ${t.cpu} ${String(t.context).padEnd(6)}: ${figures(s)}`);
    }
    for (const cpu of [0, 1]) {
      const irq = threads.find((t) => t.cpu === cpu && t.context === 'irq')!;
      const thr = threads.find((t) => t.cpu === cpu && t.context === 'thread')!;
      // Each wake-up's thread runs after its timer IRQ: it cannot be earlier on average.
      assert.ok(thr.summary.mean >= irq.summary.mean, `CPU ${cpu}: thread mean ${thr.summary.mean} >= IRQ mean ${irq.summary.mean}`);
    }
    const thr = threads.filter((t) => t.context === 'thread');
    assert.equal(r.latency.count, thr.reduce((a, t) => a + t.summary.count, 0), "the result's own figures are the thread latency's");
    assert.equal(r.latency.max, Math.max(...thr.map((t) => t.summary.max)));
    assert.equal(r.latency.resolutionNs, 1000);
    // Debian 12's rtla 6.1 has no -u: said, and only IRQ and thread are measured.
    if (ctx.timerlat.unavailable.includes('-u')) assert.ok(r.warnings.some((w) => w.code === 'rtla-options-missing' && /-u \(user-space threads\)/.test(w.message)));
    // The reports tell the contexts apart: the per-thread table and the histogram's legend.
    const md = readFileSync(path.join(run.dir, 'report.md'), 'utf8');
    for (const t of threads) assert.match(md, new RegExp(`\\| ${t.thread} \\(${t.context}\\) \\| ${t.cpu} \\|`));
    assert.match(readFileSync(path.join(run.dir, 'latency-histogram-tl.vl.json'), 'utf8'), /"CPU 1 irq"/);
    console.log(`# timerlat in the guest (TCG, 1 ms period, 5 s):\n# ${lines.join('\n# ')}\n# result (thread): ${figures(r.latency)}`);
  });

  it("keeps rtla's own output, whose count lines are the result's sample counts", () => {
    const text = readFileSync(rtlaFile, 'utf8');
    assert.match(text, /^# RTLA timerlat histogram$/m);
    const header = /^Index\s+(.*)$/m.exec(text)![1].trim().split(/\s+/);
    const counts = /^count:\s+(.*)$/m.exec(text)![1].trim().split(/\s+/).map(Number);
    assert.equal(header.length, 4);
    header.forEach((col, k) => {
      const [ctx, cpu] = col.split('-');
      const t = run.result.latency.threads.find((x) => x.cpu === Number(cpu) && x.context === (ctx === 'IRQ' ? 'irq' : 'thread'))!;
      assert.equal(t.summary.count, counts[k], col);
    });
    const max = /^max:\s+(.*)$/m.exec(text)![1].trim().split(/\s+/).map(Number);
    header.forEach((col, k) => assert.equal(run.result.latency.threads[k].summary.max, max[k], `${col} max (ns, as rtla printed it)`));
  });

  it('unilat import reads that file into the same IRQ and thread figures', async () => {
    const out = path.join(dir, 'imported');
    const r = await runCli(['import', rtlaFile, '--out', out, '--name', 'tl-import'], { env });
    assert.equal(r.code, 0, r.stderr);
    const imp = runRecord(out, 'tl-import').result;
    assert.equal(imp.kind, 'timerlat');
    assert.equal((imp.context as any).import.format, 'rtla-timerlat-hist');
    assert.equal(imp.latency.resolutionNs, 1000, 'the 1 us buckets inferred from their edges');
    const pick = (t: ThreadLatency) => ({ cpu: t.cpu, context: t.context, count: t.summary.count, min: t.summary.min, p50: t.summary.p50, p99: t.summary.p99, max: t.summary.max });
    assert.deepEqual(imp.latency.threads.map(pick), run.result.latency.threads.map(pick));
    assert.equal(imp.latency.count, run.result.latency.count);
    assert.equal(imp.latency.p99, run.result.latency.p99);
  });

  it('a broken copy of it is refused with FILE:LINE and exit 2', async () => {
    const text = readFileSync(rtlaFile, 'utf8');
    const lines = text.split('\n');
    const row = lines.findIndex((l) => /^\d+\s/.test(l));
    const cells = lines[row].trim().split(/\s+/);
    cells[1] = String(Number(cells[1]) + 1);
    const bumped = path.join(dir, 'bumped.txt');
    writeFileSync(bumped, [...lines.slice(0, row), cells.join(' '), ...lines.slice(row + 1)].join('\n'));
    const countLine = lines.findIndex((l) => l.startsWith('count:')) + 1;
    const a = await runCli(['import', bumped, '--out', path.join(dir, 'bad')]);
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, new RegExp(`${bumped.replace(/[.]/g, '\\.')}:${countLine}: count IRQ-000: \\d+, but its buckets hold \\d+ and over \\d+`));
    assert.doesNotMatch(a.stderr, /\n\s+at /);
    const cut = path.join(dir, 'cut.txt');
    writeFileSync(cut, lines.filter((l) => !l.startsWith('max:')).join('\n'));
    const b = await runCli(['import', cut, '--out', path.join(dir, 'bad')]);
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /cut\.txt: no "max:" line after the histogram/);
  });
});

describe('timerlat in a vm guest, interrupted', { timeout: 300_000 }, () => {
  it('SIGINT while rtla runs in the guest: exit 3, the step aborted, no QEMU left', async () => {
    const scenario = path.join(dir, 'tl-int.yaml');
    writeFileSync(scenario, ['name: tl-int', 'duration: 120s', 'deployments:', '  - {name: g, kind: vm, kernel: debian-rt, accel: tcg}', 'benchmarks:', '  - {name: tl, kind: timerlat}', ''].join('\n'));
    let pid = 0;
    const poll = setInterval(() => {
      // Once QEMU runs, give the guest time to boot into rtla, then interrupt.
      if (pid && liveQemus().length) {
        clearInterval(poll);
        setTimeout(() => process.kill(pid, 'SIGINT'), 15_000);
      }
    }, 200);
    const r = await runCli(['run', scenario, '--out', dir, '--quiet'], { env, onSpawn: (p) => (pid = p) }).finally(() => clearInterval(poll));
    assert.equal(r.code, 3, r.stderr);
    const rec = JSON.parse(readFileSync(path.join(dir, readdirSync(dir).find((f) => f.includes('tl-int') && !f.endsWith('.yaml'))!, 'run.json'), 'utf8'));
    assert.equal(rec.status, 'aborted');
    assert.equal(rec.results[0].status, 'aborted');
    assert.deepEqual(liveQemus(), [], 'QEMU ended with the run');
  });
});
