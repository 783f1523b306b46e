/**
 * `unilat selftest` on this machine through the real CLI, with tiny repetitions: a run folder
 * like any other (run.json of the generated scenario, its reports) plus selftest.md and
 * selftest.json, the table printed, a verdict for every figure that has a reference.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadRunRecord } from '../../src/results/store.js';
import { selftestOf } from '../../src/run/selftest.js';
import { runCli } from '../helpers/cli.js';
import { assertSelftest, selftestFolder } from '../bench/lib/selftest.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-selftest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('selftest on local: the verdict table printed and written as a run folder', async () => {
  const r = await runCli(['selftest', '--repetitions', '2', '--duration', '1s', '--out', dir, '--quiet', '--wait-lock', '10m']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# unilat selftest$/m);
  assert.match(r.stdout, /^\| local \| fifo \| p50 \| [\d.]+ us \| [\d.]+ us \(cyclictest\) \| /m);
  assert.match(r.stdout, /^\| local \| deadline \| max \| [\d.]+ us \| [\d.]+ us \(cyclicdeadline\) \| /m);
  assert.match(r.stdout, /^\| local \| syscall \| getppid \| [\d.]+ ns \| [\d.]+ ns \(perf bench syscall basic\) \| /m);
  const { folder, record, selftest } = selftestFolder(r.stdout);
  assertSelftest(selftest, 'local', 2);
  assert.equal(record.status, 'completed');
  assert.deepEqual(record.results.map((x) => x.benchmark).slice(0, 5), ['probe-fifo', 'cyclictest-fifo', 'probe-deadline', 'cyclicdeadline', 'syscall']);
  assert.equal(record.results.length, 10);
  for (const f of ['report.md', 'summary.csv', 'selftest.md']) assert.ok(existsSync(join(folder, f)), f);
  assert.equal(readFileSync(join(folder, 'selftest.md'), 'utf8').trim(), r.stdout.trim().split('\n').slice(0, -1).join('\n').trim());
  // The self-test is a function of the stored record: recomputed from run.json, the same figures.
  assert.deepEqual(selftestOf(await loadRunRecord(folder)).figures, selftest.figures);
  // Both tools' own cost was measured, by the same method.
  const usage = record.results.map((x) => (x.context as { usage?: { method: string } } | undefined)?.usage?.method);
  assert.equal(new Set(usage.filter((_, i) => record.results[i].benchmark !== 'syscall')).size, 1);
});

test('selftest refuses bad options before it touches a host', async () => {
  const r = await runCli(['selftest', '--repetitions', '0', '--out', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--repetitions: a whole number from 1 to 10000, got 0/);
  const h = await runCli(['selftest', 'no-such-host', '--out', dir]);
  assert.equal(h.code, 2);
  assert.match(h.stderr, /unknown host "no-such-host"/);
});
