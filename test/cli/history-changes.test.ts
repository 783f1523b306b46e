/**
 * `unilat history --changes` on a real history: eight short runs of the probe on one CPU, a
 * SCHED_FIFO 95 busy-loop interferer pinned to that CPU from the sixth run on. The change point
 * must be a regression at that run, with the provenance diff (the label that changed) beside it;
 * the quiet runs alone have none; --fail-on-regression and --junit gate on the newest run;
 * options misused exit 2 with one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { hogSource } from '../helpers/hog.js';
import type { RunRecord } from '../../src/results/types.js';
import type { ChangeRow } from '../../src/cli/history-changes.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-changes-'));
const out = join(dir, 'reports');
mkdirSync(out);
after(() => rmSync(dir, { recursive: true, force: true }));
// CPU 0: the other real-time tests (test/run/trace.test.ts) load CPU 1 with an interferer of their own.
const CPU = 0;
const RUNS = 8;
/** The first run with the interferer. */
const K = 5;

/** Busy 5 ms, sleep 15 ms, at SCHED_FIFO 95 on one CPU: the probe (priority 80) waits up to 5 ms a quarter of the time. */
const HOG_C = hogSource(5, 15);

const scenarioFile = join(dir, 'nightly.yaml');
writeFileSync(
  scenarioFile,
  `name: nightly\nhosts: [local]\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 1s, priority: 80, affinity: "${CPU}"}\n`,
);
const ids: string[] = [];
/**
 * Quiet runs whose p99 is over 1 ms (quiet ones here: 50 to 200 µs) had a real-time load of
 * someone else's on the CPU: a real change the history rightly shows, so where there is one the
 * quiet runs are no A/A series, and other change points may come before run K.
 */
const DISTURBED_NS = 1_000_000;
let disturbed: number[] = [];
/** The history as it was after the quiet runs, and after the first run with the interferer (the newest then). */
const quietDb = join(dir, 'quiet.db');
const firstDb = join(dir, 'first.db');

before(async () => {
  execFileSync('cc', ['-O1', '-o', join(dir, 'hog'), '-x', 'c', '-'], { input: HOG_C });
  let hog: ChildProcess | null = null;
  try {
    for (let i = 0; i < RUNS; i++) {
      if (i === K) {
        hog = spawn(join(dir, 'hog'), [String(CPU), '120'], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(hog.exitCode, null, 'the interferer runs');
      }
      const r = await runCli(['run', scenarioFile, '--out', out, '--quiet', '--label', `night=${i}`, '--label', `interferer=${i >= K ? 'fifo95' : 'none'}`], { env: { GITHUB_SHA: `sha${i}`, GITHUB_REF_NAME: 'main' } });
      assert.equal(r.code, 0, r.stderr);
      const rec = JSON.parse(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
      ids.push(rec.id);
      // unilat closed the database: its WAL is folded in, the file alone is the history.
      assert.ok(!existsSync(join(out, 'history.db-wal')));
      if (i === K - 1) copyFileSync(join(out, 'history.db'), quietDb);
      if (i === K) copyFileSync(join(out, 'history.db'), firstDb);
    }
  } finally {
    hog?.kill('SIGKILL');
  }
  const quiet = await runCli(['history', '--db', quietDb, '--metric', 'p99', '--json']);
  assert.equal(quiet.code, 0, quiet.stderr);
  disturbed = (JSON.parse(quiet.stdout) as Array<{ value: number }>).map((p) => p.value).filter((v) => v > DISTURBED_NS);
});

const changesJson = async (...extra: string[]) => {
  const r = await runCli(['history', ...(extra.length ? [] : [out]), '--changes', '--json', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ChangeRow[];
};

test('run.json records the labels, the CI job, the scenario hash and the kernel; the history keeps them', () => {
  // Run folders are named by their ids.
  const rec = JSON.parse(readFileSync(join(out, ids[K], 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(rec.provenance?.labels, { night: String(K), interferer: 'fifo95' });
  assert.deepEqual(rec.provenance?.ci, { system: 'github', commit: `sha${K}`, branch: 'main', build: null });
  assert.match(rec.provenance?.scenarioHash ?? '', /^[0-9a-f]{64}$/);
  // The kernel config hash, as this machine's config reads.
  const k = rec.facts.local.kernel;
  const cfg = [`/boot/config-${k.release}`, '/proc/config.gz'].find((f) => existsSync(f));
  const text = cfg ? (cfg.endsWith('.gz') ? gunzipSync(readFileSync(cfg)) : readFileSync(cfg)) : null;
  assert.deepEqual(k.config, text ? { sha256: createHash('sha256').update(text).digest('hex'), source: cfg } : null);
});

test('a FIFO 95 interferer from run K on: a regression change point at run K, with the provenance diff', async () => {
  const rows = await changesJson();
  const at = (metric: string) => rows.filter((r) => r.metric === metric && r.benchmark === 'wakeup' && r.host === 'local');
  for (const metric of ['p99', 'mean']) {
    const found = at(metric);
    const why = `${metric}: ${JSON.stringify(found)}`;
    if (disturbed.length) assert.ok(found.every((r) => ids.indexOf(r.runId) <= K), why);
    else assert.deepEqual(found.map((r) => [r.runId, r.direction]), [[ids[K], 'regression']], why);
    const c = found.find((r) => r.runId === ids[K]);
    assert.ok(c && c.direction === 'regression', why);
    assert.equal(c.scenario, 'nightly');
    assert.equal(c.deployment, 'bare');
    assert.equal(c.previousRunId, ids[K - 1]);
    assert.deepEqual([c.before.runs, c.after.runs], [disturbed.length ? c.before.runs : K, RUNS - K]);
    assert.ok(c.after.mean > c.before.mean * 1.5, `${metric}: ${c.before.mean} -> ${c.after.mean}`);
    assert.ok(c.change > 0.5 && c.pValue < 0.001);
    assert.equal(c.newest, false);
    assert.ok(c.provenance.includes(`label night: ${K - 1} -> ${K}`), c.provenance.join('; '));
    assert.ok(c.provenance.includes('label interferer: none -> fifo95'));
    assert.ok(c.provenance.includes(`ci commit: sha${K - 1} -> sha${K}`));
    assert.ok(!c.provenance.some((l) => l.startsWith('kernel@')), 'the kernel did not change');
  }
  // The table says the same for a reader.
  const t = await runCli(['history', out, '--changes']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`^${ids[K]} +nightly +wakeup/bare@local +p99 +REGRESSION \\+\\d+\\.\\d%`, 'm'));
  assert.match(t.stdout, /label interferer: none -> fifo95/);
});

// p99 and mean, the figures the interferer moves. (p50 varies so little from run to run that a
// shared machine's drift of a few percent at the newest run can be a real change point.)
test('A/A: the quiet runs alone have no change point in p99 or mean', async (t) => {
  if (disturbed.length) return t.skip(`the quiet runs were not quiet: p99 of ${disturbed.map((v) => `${(v / 1e6).toFixed(2)} ms`).join(', ')} (another real-time load on CPU ${CPU})`);
  const rows = await changesJson('--db', quietDb);
  assert.deepEqual(rows.filter((r) => ['p99', 'mean'].includes(r.metric)).map((r) => `${r.metric} ${r.runId} ${r.change}`), []);
});

test('--fail-on-regression and --junit: exit 1 when the newest run begins a regression, 0 when it does not', async () => {
  const junit = join(dir, 'changes.xml');
  // The history the night the interferer came.
  const bad = await runCli(['history', '--db', firstDb, '--changes', '--fail-on-regression', '--junit', junit]);
  const table = async (db: string) => (await runCli(['history', '--db', db, '--changes'])).stdout + (await runCli(['history', '--db', db, '--metric', 'p99'])).stdout;
  assert.equal(bad.code, 1, `${bad.stderr}\n${await table(firstDb)}`);
  assert.match(bad.stderr, new RegExp(`series regressed at the newest run: .*wakeup/bare@local p99 \\+\\d+\\.\\d% \\(${ids[K]}\\)`));
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="history changes: nightly" tests="\d+" failures="[1-9]\d*"/);
  assert.match(xml, /<testcase classname="nightly\.wakeup\/bare@local" name="p99">\n {6}<failure message="regression at the newest run /);
  assert.match(xml, /<testcase classname="nightly\.wakeup\/bare@local" name="p50">/, 'a case per series');
  assert.match(xml, /-&gt; /, 'text is escaped');
  // All eight: the newest run is the third with the interferer, not the start of a change (in p99:
  // another figure may begin one at the newest run where the shared machine drifted).
  const ok = await runCli(['history', out, '--changes', '--metric', 'p99', '--fail-on-regression', '--junit', junit]);
  assert.equal(ok.code, 0, `${ok.stderr}\n${await table(join(out, 'history.db'))}`);
  assert.doesNotMatch(readFileSync(junit, 'utf8'), /name="p99">\n {6}<failure/);
});

test('misused options exit 2 with one line', async () => {
  for (const [args, msg] of [
    [['--fail-on-regression'], /--fail-on-regression: only with --changes/],
    [['--changes', '--alpha', '2'], /--alpha 2: give a level between 0 and 1/],
    [['--changes', '--min-change', '-1'], /--min-change -1: give a fraction/],
    [['--changes', '--junit', join(dir, 'no', 'x.xml')], /--junit: .*no is not a folder/],
    [['--changes', '--metric', 'p95'], /--metric "p95".*metrics with figures: .*p99/],
    [['--limit', '0'], /--limit 0: give a whole number >= 1/],
  ] as const) {
    const r = await runCli(['history', out, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // A bad label stops a run before anything is measured.
  const r = await runCli(['run', scenarioFile, '--out', join(dir, 'never'), '--label', 'night=1', '--label', 'no value']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), 'error: --label "no value": expected KEY=VALUE');
  assert.ok(!existsSync(join(dir, 'never')), 'no run folder');
});
