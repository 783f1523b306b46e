/**
 * `unilat import` as a new user meets it: what cannot be known is absent from every output (and
 * the history), lower bounds are marked, an import is a counted run with the policy its command
 * line names, its spikes counted, stored in the history next to the runs, and compared without
 * one comparison's files overwriting another's.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { openHistory } from '../../src/results/history.js';
import type { RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const runDir = (stdout: string) => stdout.trim().split('\n').pop()!;

/** A cyclictest --json file; without `histogram` per thread it is what cyclictest writes without -h. */
function ctJson(file: string, cmdline: string, thread: Record<string, unknown>): string {
  const f = join(dir, file);
  writeFileSync(f, JSON.stringify({ 'cmdline:': cmdline, rt_test_version: '2.40', num_threads: 1, sysinfo: { nodename: 'lab1' }, thread: { '0': thread } }, null, 1));
  return f;
}

/** The metric names the history holds for a run. */
function storedMetrics(db: string, id: string): string[] {
  const h = openHistory(db, 'read');
  try {
    return (h.prepare('SELECT DISTINCT metric FROM metrics WHERE run_id = ?').all(id) as Array<{ metric: string }>).map((r) => r.metric);
  } finally {
    h.close();
  }
}

describe('cyclictest --json without -h: percentiles are absent everywhere', () => {
  test('report.html, summary.tex, CSV, plots and the history show no percentile; nothing on stderr', async () => {
    const out = join(dir, 'nohist');
    const f = ctJson('ct.json', 'cyclictest -t 1 -p 80 -i 1000 -m -D 2 --json=ct.json', { cycles: 2000, min: 21, max: 3217, avg: 48.25, cpu: 0 });
    const r = await runCli(['import', f, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no plotting library warning reaches the terminal');
    const d = runDir(r.stdout);
    const html = readFileSync(join(d, 'report.html'), 'utf8');
    // The max is there once (the summary table); p50, p99 and p99.9 are not the max.
    assert.equal((html.match(/>3217<\/td>/g) ?? []).length, 1, 'only the max is 3217 µs');
    assert.doesNotMatch(html, /data-plot="(latency-histogram|exceedance)"/, 'no plot without a distribution');
    assert.match(html, /No latency histogram or exceedance plot of imported: the tool kept no histogram/);
    assert.match(html, /– for percentiles: not known, the tool kept no histogram/);
    const tex = readFileSync(join(d, 'summary.tex'), 'utf8');
    assert.match(tex, /21\.0 & -- & -- & -- & 3217 \\\\/, tex);
    assert.match(tex, /--: not known/);
    assert.deepEqual(readdirSync(d).filter((x) => x.endsWith('.svg')), [], 'no empty figure written');
    const csv = readFileSync(join(d, 'summary.csv'), 'utf8').split('\n');
    const head = csv[0].split(',');
    const all = csv.find((l) => l.includes(',all,'))!.split(',');
    assert.equal(all[head.indexOf('p50')], '');
    assert.equal(all[head.indexOf('max')], '3217000');
    const metrics = storedMetrics(join(out, 'history.db'), basename(d));
    assert.ok(metrics.includes('max') && metrics.includes('mean') && metrics.includes('count'), metrics.join(' '));
    assert.deepEqual(metrics.filter((m) => /^p\d/.test(m)), [], 'an unknown percentile is no row of the history');
  });
});

describe('an import is a run', () => {
  // -h 200: 16 of 1000 samples overflowed it; 20 more lie above 100 µs inside it.
  const hist = () => ctJson('lab.json', 'cyclictest -t 1 -p 80 -i 1000 -m -h 200 -D 1 --json=lab.json', { cycles: 1000, min: 9, max: 3217, avg: 25.5, cpu: 0, histogram: { '9': 100, '10': 800, '50': 64, '150': 20 } });

  test('policy from the command line, repetition 1, spikes counted, lower bounds marked, default reports/ folder and the history', async () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd, { recursive: true });
    const r = await runCli(['import', hist(), '--deployment', 'bare', '--benchmark', 'wakeup', '--host', 'lab'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const d = runDir(r.stdout);
    assert.equal(d, join(cwd, 'reports', basename(d)), 'imports go where runs go');
    const rec = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunRecord;
    const res = rec.results[0];
    assert.deepEqual([res.deployment, res.benchmark, res.host, res.repetition], ['bare', 'wakeup', 'lab', 1]);
    assert.ok(res.status === 'completed' && res.applied);
    assert.deepEqual([res.applied.policy, res.applied.priority, res.applied.intervalNs, res.applied.threads, res.applied.mlockall], ['fifo', 80, 1_000_000, 1, true]);

    const md = readFileSync(join(d, 'report.md'), 'utf8');
    assert.match(md, /\| bare \| wakeup \| lab \| 1 \| fifo\/80 \| 1000 \|/, 'counted, with its policy');
    assert.doesNotMatch(md, /warm-up/);
    assert.match(md, /36 spikes above 100 µs, 16 samples beyond the histogram range/);
    // p99 and p99.9 fall among the overflows: only lower bounds; p99.99 is the exact max.
    assert.match(md, /\| ≥ 200\.\d\d \| ≥ 200\.\d\d \| 3217\.00 \| 3217\.00 \|/, md);
    assert.match(readFileSync(join(d, 'report.html'), 'utf8'), />≥ 200<\/td><td class="num">≥ 200<\/td><td class="num">3217</);
    assert.match(readFileSync(join(d, 'summary.tex'), 'utf8'), /\$\\geq\$\\,200 & \$\\geq\$\\,200 & 3217/);
    const csv = readFileSync(join(d, 'summary.csv'), 'utf8').split('\n');
    const head = csv[0].split(',');
    const all = csv.find((l) => l.includes(',all,'))!.split(',');
    assert.equal(all[head.indexOf('repetition')], '1');
    assert.equal(all[head.indexOf('lower_bounds')], 'p99 p999');

    const db = join(cwd, 'reports', 'history.db');
    const metrics = storedMetrics(db, rec.id);
    assert.ok(metrics.includes('p99 (lower bound)') && !metrics.includes('p99') && metrics.includes('p50'), metrics.join(' '));
    const h = await runCli(['history', '--db', db]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, new RegExp(rec.id));
  });

  test('compare: each comparison in its own folder named after both runs; --out makes it there; whole-µs inputs widen the interval', async () => {
    const out = join(dir, 'cmp');
    const imp = async (name: string) => {
      const r = await runCli(['import', hist(), '--out', out, '--name', name, '--deployment', 'bare', '--benchmark', 'wakeup', '--host', 'lab']);
      assert.equal(r.code, 0, r.stderr);
      return runDir(r.stdout);
    };
    const [a, b, c] = [await imp('a'), await imp('b'), await imp('c')];
    const first = await runCli(['compare', a, b]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstDir = join(b, `compare-${basename(a)}-vs-${basename(b)}`);
    const firstJson = readFileSync(join(firstDir, 'compare.json'), 'utf8');
    const second = await runCli(['compare', c, b]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(existsSync(join(b, `compare-${basename(c)}-vs-${basename(b)}`, 'compare.md')), 'the second comparison has its own folder');
    assert.equal(readFileSync(join(firstDir, 'compare.json'), 'utf8'), firstJson, 'the first comparison is untouched');
    for (const f of ['compare.md', 'compare.html']) assert.ok(existsSync(join(firstDir, f)), f);

    const elsewhere = join(dir, 'cmp-out');
    mkdirSync(elsewhere);
    const third = await runCli(['compare', a, b, '--out', elsewhere]);
    assert.equal(third.code, 0, third.stderr);
    const rows = (JSON.parse(readFileSync(join(elsewhere, `compare-${basename(a)}-vs-${basename(b)}`, 'compare.json'), 'utf8')) as { rows: Array<{ metric: string; ratioLow: number; ratioHigh: number; verdict: string; note: string }> }).rows;
    // The same file twice: the samples agree, but a whole-µs value v stands for [v, v+1) µs.
    const p50 = rows.find((r) => r.metric === 'p50')!;
    assert.ok(p50.ratioLow < 0.92 && p50.ratioHigh > 1.09, `p50 interval [${p50.ratioLow}, ${p50.ratioHigh}] ignores the 1 µs resolution`);
    assert.match(p50.note, /widened for the inputs' resolution \(baseline 1 us, candidate 1 us\)/);
    assert.ok(rows.every((r) => r.verdict === 'no significant change'));
  });
});
