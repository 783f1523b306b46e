/** What the selftest CLI tests read of a self-test's run folder, and what every self-test holds. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../../src/results/types.js';
import type { Selftest } from '../../../src/run/selftest.js';

/** The run folder a selftest printed last, its record and its self-test. */
export function selftestFolder(stdout: string): { folder: string; record: RunRecord; selftest: Selftest } {
  const folder = stdout.trim().split('\n').pop()!;
  const read = (f: string) => JSON.parse(readFileSync(join(folder, f), 'utf8'));
  return { folder, record: read('run.json') as RunRecord, selftest: read('selftest.json') as Selftest };
}

/** What every self-test of `host` holds, whatever the figures are. */
export function assertSelftest(s: Selftest, host: string, reps: number): void {
  assert.deepEqual(s.hosts, [host]);
  assert.equal(s.repetitions, reps);
  assert.deepEqual(s.failed, []);
  assert.equal(s.figures.length, 13);
  const verdict = /^(agrees|differs by [+-][\d.]+%|too noisy to tell with \d+ repetitions?)$/;
  for (const f of s.figures) {
    assert.equal(f.host, host);
    // cyclicdeadline keeps no histogram: its percentiles are the only figures without a verdict.
    if (f.policy === 'deadline' && (f.figure === 'p50' || f.figure === 'p99')) assert.equal(f.verdict, 'n/a');
    else {
      assert.match(f.verdict, verdict, `${f.policy} ${f.figure}: ${f.note}`);
      assert.ok(f.probeValue !== null && f.probeValue >= 0 && f.referenceValue !== null && f.referenceValue >= 0, `${f.policy} ${f.figure} has both figures`);
    }
  }
  for (const fig of ['clock resolution', 'timer slack', 'loop overhead']) assert.ok(typeof s.instrument.find((i) => i.figure === fig)?.valueNs === 'number', fig);
}

