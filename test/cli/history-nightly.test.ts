/**
 * The nightly basics through the real CLI on real runs of the probe: three nights into one --out
 * folder; `compare RUN --baseline last-good` compares each with the night before (the first with
 * none: its gates are skipped, not passed), history.db found next to the run folders; `history`
 * in table, JSON and CSV, oldest first; an unknown --metric lists the metrics there are (exit 2);
 * deployments compared inside a run are never gated.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import type { RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-nightly-'));
const out = join(dir, 'reports');
mkdirSync(out);
after(() => rmSync(dir, { recursive: true, force: true }));

const GATE = 'syscall.getppid may not regress more than 300%';
function scenario(name: string, deployments: string[], extra: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(
    f,
    `name: ${name}\nrepetitions: 2\ndeployments:\n${deployments.map((d) => `  - {name: ${d}, kind: bare-metal}\n`).join('')}benchmarks:\n` +
      `  - {name: w, kind: cyclic, threads: 1, interval: 1ms, duration: 1s}\n  - {name: s, kind: syscall, batches: 10, ops: [getppid]}\n${extra}`,
  );
  return f;
}
const runDir = (stdout: string) => stdout.trim().split('\n').pop()!;
const idOf = (d: string) => (JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunRecord).id;

// Run from a folder with no reports/history.db of its own: the history must be found next to the runs.
const inDir = { cwd: dir };
const nights: string[] = [];
before(async () => {
  const file = scenario('nightly', ['bare'], `baseline: last-good\ngates: ["${GATE}"]\n`);
  for (let i = 0; i < 3; i++) {
    const r = await runCli(['run', file, '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    if (i === 0) assert.match(r.stderr, new RegExp(`gate skip: ${GATE.replace(/\./g, '\\.')} \\(not evaluated: no completed run of scenario "nightly" on host\\(s\\) local with passing gates started before `));
    else assert.match(r.stderr, /gate pass: syscall\.getppid/);
    nights.push(runDir(r.stdout));
  }
});

test('compare --baseline last-good: the night before, never the run itself; the first night skips its gates', async () => {
  const [first, second, third] = nights;
  for (const [cand, base] of [[third, second], [second, first]]) {
    const c = await runCli(['compare', cand, '--baseline', 'last-good', '--out', dir], inDir);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`^# Comparison: ${idOf(cand)} vs ${idOf(base)}$`, 'm'));
    assert.match(c.stdout, /Verdicts are Holm-corrected/);
    assert.match(c.stdout, /## Minimum detectable effect/);
    assert.match(c.stdout, /w\/bare@local: with 2 repetitions per side this host can detect a p99 change of ±[\d.]+%; \d+ repetitions per side would detect ±5%/);
    assert.match(c.stdout, /s\/bare@local: with 2 repetitions per side this host can detect a syscall\.getppid change of ±[\d.]+%/);
  }
  const junit = join(dir, 'first.xml');
  const c = await runCli(['compare', first, '--baseline', 'last-good', '--junit', junit], inDir);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`^gate skip: ${GATE.replace(/\./g, '\\.')} \\(not evaluated: --baseline last-good: no completed run of scenario "nightly" on host\\(s\\) local with passing gates started before ${idOf(first)} .* in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/history\\.db\\)$`, 'm'));
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /tests="1" failures="0" skipped="1"/);
  assert.match(xml, /<skipped message="not evaluated: /);
});

test('history: found next to the folder given; table, JSON and CSV oldest first; an unknown metric lists those there are', async () => {
  const ids = nights.map(idOf);
  const table = await runCli(['history', out], inDir);
  assert.equal(table.code, 0, table.stderr);
  const order = (text: string) => ids.map((id) => text.indexOf(id));
  const at = order(table.stdout);
  assert.ok(at.every((i) => i > 0) && at[0] < at[1] && at[1] < at[2], table.stdout);

  const json = await runCli(['history', nights[2], '--json'], inDir);
  assert.equal(json.code, 0, json.stderr);
  const runs = JSON.parse(json.stdout) as Array<{ id: string; status: string; gatesPassed: boolean | null; hosts: string[] }>;
  assert.deepEqual(runs.map((r) => r.id), ids);
  assert.ok(runs.every((r) => r.status === 'completed' && r.gatesPassed === true && r.hosts.join() === 'local'), json.stdout);
  const runsCsv = await runCli(['history', out, '--csv'], inDir);
  assert.equal(runsCsv.code, 0, runsCsv.stderr);
  assert.equal(runsCsv.stdout.split('\n')[0], 'startedAt,id,scenario,status,gatesPassed,hosts,dir');
  assert.deepEqual(runsCsv.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[1]), ids);

  const metric = await runCli(['history', out, '--metric', 'syscall.getppid', '--json'], inDir);
  assert.equal(metric.code, 0, metric.stderr);
  const points = JSON.parse(metric.stdout) as Array<{ runId: string; metric: string; value: number; benchmark: string }>;
  assert.deepEqual(points.map((p) => p.runId), ids, 'the metric view in the run list\'s order');
  assert.ok(points.every((p) => p.metric === 'syscall.getppid' && p.value > 0 && p.benchmark === 's'));

  const csv = await runCli(['history', out, '--metric', 'p99', '--csv'], inDir);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines[0], 'startedAt,runId,benchmark,deployment,host,metric,value,status,gatesPassed');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[1]), ids);
  assert.ok(lines.slice(1).every((l) => /,w,bare,local,p99,[\d.]+,completed,true$/.test(l)), csv.stdout);

  for (const [name, hint] of [['p95', 'p90'], ['getppid', 'syscall.getppid']] as const) {
    const r = await runCli(['history', out, '--metric', name], inDir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--metric "${name}" \\(did you mean "${hint}"\\?\\): no figures recorded in .*history\\.db; metrics with figures: .*\\bp99\\b.*syscall\\.getppid`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const both = await runCli(['history', out, '--json', '--csv'], inDir);
  assert.equal(both.code, 2);
  const nowhere = await runCli(['history', join(dir, 'nowhere')], inDir);
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /nowhere: no history\.db there/);
});

test('compare --deployments inside one run is never gated, even with relative gates', async () => {
  const file = scenario('pair', ['bare', 'again'], `gates: ["p99 may not regress more than 1%", "${GATE}"]\n`);
  mkdirSync(join(dir, 'pair'));
  const r = await runCli(['run', file, '--out', join(dir, 'pair'), '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const c = await runCli(['compare', runDir(r.stdout), '--deployments', 'bare,again', '--out', dir], inDir);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /Nothing is gated here/);
  assert.doesNotMatch(c.stdout, /\(gated\)/);
});
