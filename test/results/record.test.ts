/**
 * The stored run record as input: records written by older unilat versions still load and
 * report (test/results/fixtures holds real ones), and a tampered record is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { migrateRunRecord } from '../../src/results/migrate.js';
import { loadRunRecord } from '../../src/results/store.js';
import { InputError } from '../../src/errors.js';
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

/** A run folder holding the quickstart record after `tamper` changed it. */
function tamperedRun(tamper: (r: Record<string, any>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'unilat-tampered-'));
  const r = migrateRunRecord(raw('v1-quickstart.json')) as Record<string, any>;
  tamper(r);
  writeFileSync(join(dir, 'run.json'), JSON.stringify(r));
  return dir;
}

test('unilat report refuses a tampered record: exit 2, the field named, no report written', async () => {
  const cases: Array<[(r: Record<string, any>) => void, RegExp]> = [
    [(r) => (r.results[0].latency.p99 = 'fast'), /run\.json: results\.0\.latency\.p99: expected number, received string$/m],
    [(r) => delete r.results[1].ops.getppid.nsPerOp, /run\.json: results\.1\.ops\.getppid\.nsPerOp: expected number, received undefined$/m],
    [(r) => (r.readiness.local[0].status = 'maybe'), /run\.json: readiness\.local\.0\.status: .*"pass"/m],
    [(r) => (r.results[0].context = { bootShare: { index: 'first' } }), /run\.json: results\.0\.context\.bootShare\.index: expected number/m],
    [(r) => (r.scenario.deployments = 'bare'), /run\.json: scenario\.deployments: expected array, received string$/m],
  ];
  for (const [tamper, message] of cases) {
    const dir = tamperedRun(tamper);
    try {
      const r = await runCli(['report', dir]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(readdirSync(dir), ['run.json'], 'no report files');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('unilat schema --run-record prints a JSON Schema the fixtures fit', async () => {
  const r = await runCli(['schema', '--run-record']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { properties: Record<string, { const?: number }>; required: string[] };
  assert.equal(s.properties.schemaVersion.const, SCHEMA_VERSION);
  for (const k of ['scenario', 'facts', 'readiness', 'results']) assert.ok(s.required.includes(k), k);
  assert.ok('gates' in s.properties && 'comparisons' in s.properties && !('extra' in s.properties));
});

test('a statistic of no samples (NaN, written by JSON as null) still loads', async () => {
  const dir = tamperedRun((r) => {
    r.results[0].latency.p99 = null;
    r.results[1].ops.getppid.ciLow = null;
  });
  try {
    const r = await loadRunRecord(dir);
    assert.equal(r.results[0].status === 'completed' && r.results[0].latency?.p99, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run.json nested deeper than any record, or not JSON, is refused with exit-2 errors that quote nothing of it', async () => {
  const d = mkdtempSync(join(tmpdir(), 'unilat-deep-'));
  try {
    const deep = join(d, 'deep.json');
    writeFileSync(deep, '['.repeat(100_000) + ']'.repeat(100_000));
    await assert.rejects(loadRunRecord(deep), (e: Error) => e instanceof InputError && /nested 100000 levels deep, more than a run record can be \(64\)/.test(e.message));
    const bad = join(d, 'bad.json');
    writeFileSync(bad, '{"x": \x1b[31mroot:x:0:0 SECRET');
    await assert.rejects(loadRunRecord(bad), (e: Error) => e instanceof InputError && /not valid JSON/.test(e.message) && !/SECRET|\x1b/.test(e.message));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a stored record with a 300-character benchmark name: every report is written, file names bounded', async () => {
  const long = `b${'x'.repeat(299)}`;
  const dir = tamperedRun((r) => {
    for (const x of r.results) x.benchmark = long;
  });
  try {
    const r = await runCli(['report', dir]);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(dir);
    for (const f of ['report.md', 'report.html', 'summary.csv', 'summary.tex']) assert.ok(files.includes(f), f);
    assert.ok(files.every((f) => Buffer.byteLength(f) <= 120), files.join(', '));
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), new RegExp(long));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
