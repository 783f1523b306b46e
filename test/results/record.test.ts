/**
 * The stored run record as input: records written by older unilat versions still load and
 * report (test/results/fixtures holds real ones), and a tampered record is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { migrateRunRecord } from '../../src/results/migrate.js';
import { loadRunRecord } from '../../src/results/store.js';
import { SCHEMA_VERSION } from '../../src/results/types.js';

const FIXTURES = join(ROOT, 'test/results/fixtures');
const raw = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as { schemaVersion: number; extra: Record<string, unknown> };

test('a version 1 record migrates: extra.readiness, plan, gates and comparisons become fields', () => {
  const old = raw('v1-gates-comparisons.json');
  assert.equal(old.schemaVersion, 1);
  const m = migrateRunRecord(old) as Record<string, unknown>;
  assert.equal(m.schemaVersion, SCHEMA_VERSION);
  assert.ok(!('extra' in m));
  for (const k of ['readiness', 'plan', 'gates', 'comparisons']) assert.deepEqual(m[k], old.extra[k], k);
  // A quickstart run had no gates or comparisons: they stay absent.
  const q = migrateRunRecord(raw('v1-quickstart.json')) as Record<string, unknown>;
  assert.ok(!('gates' in q) && !('comparisons' in q));
  assert.deepEqual(q.readiness, raw('v1-quickstart.json').extra.readiness);
});

test('loadRunRecord reads a version 1 record with its named fields', async () => {
  const r = await loadRunRecord(join(FIXTURES, 'v1-gates-comparisons.json'));
  assert.equal(r.schemaVersion, SCHEMA_VERSION);
  assert.ok(r.readiness.local.some((c) => c.id === 'preempt-rt'));
  assert.deepEqual(r.gates?.map((g) => g.gate), (raw('v1-gates-comparisons.json').extra.gates as Array<{ gate: string }>).map((g) => g.gate));
  assert.equal(r.comparisons?.[0].rows.length ? r.comparisons[0].rows[0].candidateGroup.deployment : null, 'bare-again');
  assert.equal(r.plan?.steps, 4);
});

test('unilat report rewrites the reports of a version 1 record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unilat-old-record-'));
  try {
    copyFileSync(join(FIXTURES, 'v1-gates-comparisons.json'), join(dir, 'run.json'));
    const r = await runCli(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(md, /^# unilat report: old-record/m);
    assert.match(md, /## Gates: all passed/);
    assert.match(md, /## Deployment vs deployment/);
    assert.match(md, /PREEMPT_RT kernel/);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /id="gates"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
