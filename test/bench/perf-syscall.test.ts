import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePerfSyscall } from '../../src/bench/perf-syscall.js';
import { isOpsResult, type RunRecord } from '../../src/results/types.js';
import { runCli } from '../helpers/cli.js';

test('parses perf bench syscall basic output', () => {
  const ns = parsePerfSyscall('# Running...\n     Total time: 0.801 [sec]\n\n       0.080142 usecs/op\n       12477914 ops/sec\n');
  assert.ok(ns !== null && Math.abs(ns - 80.142) < 1e-9);
  assert.equal(parsePerfSyscall('nothing here'), null);
});

test('a syscall benchmark with perf: true records perf:getppid next to the probe getppid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unilat-perf-'));
  try {
    const f = join(dir, 's.yaml');
    writeFileSync(f, 'name: perf\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks: [{name: sys, kind: syscall, batches: 20, ops: [func, getppid], perf: true}]\n');
    const r = await runCli(['run', f, '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
    const ops = rec.results.find(isOpsResult)!;
    const perf = ops.ops['perf:getppid'];
    assert.ok(perf, `perf figure recorded (warnings: ${JSON.stringify(ops.warnings)})`);
    assert.equal(perf.samples, 7);
    assert.ok(perf.ciLow <= perf.nsPerOp && perf.nsPerOp <= perf.ciHigh);
    // Same system call, two instruments: same order of magnitude (tight agreement is a benchmark matter).
    const ratio = perf.nsPerOp / ops.ops.getppid.nsPerOp;
    assert.ok(ratio > 0.2 && ratio < 5, `perf ${perf.nsPerOp} ns vs probe ${ops.ops.getppid.nsPerOp} ns`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
