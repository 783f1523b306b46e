/**
 * `unilat export --format rt-tests-json`: a real run's latency results as the JSON cyclictest
 * --json writes, of the shape real cyclictest writes on this host, read back by the parser of
 * real cyclictest JSON and by `unilat import` with the same min, max and mean (within whole us).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { parseCyclictestJson } from '../../src/bench/cyclictest/json.js';
import { isLatencyResult, type CompletedLatencyResult, type RunRecord } from '../../src/results/types.js';
import { Histogram } from '../../src/results/histogram.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { rtTestsJson, wholeUnitHistogram } from '../../src/report/rt-tests-json.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lastLine = (s: string) => s.trim().split('\n').pop()!;
const record = (runDir: string): RunRecord => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
const latencyOf = (runDir: string): CompletedLatencyResult[] => record(runDir).results.filter(isLatencyResult);

/** Real cyclictest's --json on this host (a 1 s run). */
function realCyclictest(name: string, args: string[]): string {
  const f = join(dir, name);
  execFileSync('cyclictest', ['-q', '-D1', ...args, `--json=${f}`], { stdio: 'ignore' });
  return f;
}

/** Key names of a document, nested objects as "key.sub", thread entries as "thread.N.key". */
function shape(d: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    out.push(k);
    if (k === 'sysinfo') for (const s of Object.keys(v as object)) out.push(`${k}.${s}`);
    if (k === 'thread') for (const t of Object.values(v as object)) for (const s of Object.keys(t)) out.push(`thread.N.${s}`);
  }
  return [...new Set(out)].sort();
}

async function exported(run: string, out: string): Promise<string[]> {
  const r = await runCli(['export', run, '--format', 'rt-tests-json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

describe('a real run of the probe, exported', () => {
  let run = '';
  let files: string[] = [];
  before(async () => {
    const out = join(dir, 'runs');
    mkdirSync(out);
    const r = await runCli(['run', 'scenarios/quickstart.yaml', '--out', out, '--duration', '2s', '--wait-lock', '10m']);
    assert.equal(r.code, 0, r.stderr);
    run = lastLine(r.stdout);
    files = await exported(run, join(dir, 'export'));
  });

  test('one file per latency result, with the keys real cyclictest writes (and one of unilat\'s)', () => {
    const results = latencyOf(run);
    assert.equal(files.length, results.length);
    assert.deepEqual(readdirSync(join(dir, 'export')), ['bare-wakeup-local-rep1.json']);
    const real = JSON.parse(readFileSync(realCyclictest('real.json', ['-t1', '-h', '100']), 'utf8'));
    const ours = JSON.parse(readFileSync(files[0], 'utf8'));
    assert.deepEqual(shape(ours).filter((k) => !k.startsWith('unilat')), shape(real));
    assert.equal(ours.num_threads, 2);
    assert.deepEqual(Object.keys(ours.thread), ['0', '1']);
    assert.equal(ours.return_code, 0);
    assert.equal(ours.unilat.cmdline, 'equivalent');
    assert.match(ours['cmdline:'], /^cyclictest -t 2 -i 1000 -p 80 --policy=fifo .*-h \d+ /);
  });

  test('the parser of real cyclictest JSON reads it, and unilat import gives the same min, max and mean within whole us', async () => {
    const orig = latencyOf(run)[0].latency;
    const text = readFileSync(files[0], 'utf8');
    const parsed = parseCyclictestJson(text, files[0]);
    assert.deepEqual(parsed.warnings, [], 'all samples in range, nothing guessed');
    const imp = await runCli(['import', files[0], '--out', join(dir, 'imported')]);
    assert.equal(imp.code, 0, imp.stderr);
    const back = latencyOf(lastLine(imp.stdout))[0].latency;
    assert.equal(back.count, orig.count);
    assert.equal(back.min, Math.floor(orig.min / 1000) * 1000, 'min truncated to whole us');
    assert.equal(back.max, Math.floor(orig.max / 1000) * 1000, 'max truncated to whole us');
    assert.ok(Math.abs(back.mean - orig.mean) <= 5, `mean ${back.mean} vs ${orig.mean} (avg has two decimals of us)`);
    for (const [i, t] of orig.threads.entries()) {
      assert.equal(back.threads[i].summary.count, t.summary.count);
      assert.ok(Math.abs(back.threads[i].summary.mean - t.summary.mean) <= 5);
      // Percentiles survive within a us plus half a bucket.
      assert.ok(Math.abs(back.threads[i].summary.p99 - t.summary.p99) <= 1000 + t.summary.p99 / 256, `p99 ${back.threads[i].summary.p99} vs ${t.summary.p99}`);
    }
    assert.equal(latencyOf(lastLine(imp.stdout))[0].applied?.policy, 'fifo', 'the equivalent command line names the policy');
  });

  test('buckets wider than a us: the max is the highest bin, the min the lowest, and the parser of real cyclictest JSON agrees', () => {
    // 9001 and 9010 ns share the loglin7 bucket [8960, 9024), whose middle (8992) is in us 8; the max is in us 9.
    const samples = [1500, 1700, 2300, 9001, 9010];
    const h = new Histogram();
    for (const v of samples) h.record(v);
    const lat = summarizeLatency({ threads: [{ thread: 0, cpu: 1, intervalNs: 1e6, histogram: h.toData(), series: [] }], spikes: [], spikesDropped: 0, overflows: 0 });
    assert.deepEqual(wholeUnitHistogram(lat.threads[0], 1000, 1), { '1': 2, '2': 1, '8': 1, '9': 1 });
    const rec = record(run);
    const r = { ...rec.results.find(isLatencyResult)!, latency: lat, applied: null };
    const doc = rtTestsJson(rec, r);
    assert.deepEqual([doc.thread['0'].min, doc.thread['0'].max, doc.thread['0'].cycles, doc.thread['0'].cpu], [1, 9, 5, 1]);
    assert.equal(doc.thread['0'].avg, Math.round(samples.reduce((a, b) => a + b) / 5 / 10) / 100);
    const parsed = parseCyclictestJson(JSON.stringify(doc, null, 2), 'x.json');
    assert.equal(parsed.latency.threads[0].histogram.count, 5);
  });

  test('--out FILE.json for a run with several latency results is refused', async () => {
    const rec = record(run);
    const two = join(dir, 'two');
    mkdirSync(two);
    const lat = rec.results.find(isLatencyResult)!;
    writeFileSync(join(two, 'run.json'), JSON.stringify({ ...rec, results: [lat, { ...lat, repetition: 2, order: 5 }] }));
    const r = await runCli(['export', two, '--out', join(dir, 'one.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /2 latency results, one file each: give a folder/);
  });
});

describe('exports of imported cyclictest files', () => {
  test('an import of -h text, which records no interval, is readable again (report and export)', async () => {
    const src = join(dir, 'hist.txt');
    writeFileSync(src, execFileSync('cyclictest', ['-q', '-t1', '-D1', '-h', '60'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    const imp = await runCli(['import', src, '--out', join(dir, 'imp-htext')]);
    assert.equal(imp.code, 0, imp.stderr);
    const run = lastLine(imp.stdout);
    assert.equal(record(run).results.filter(isLatencyResult)[0].latency.threads[0].intervalNs, null, 'the interval is unknown, stored as such');
    const rep = await runCli(['report', run]);
    assert.equal(rep.code, 0, rep.stderr);
    const [file] = await exported(run, join(dir, 'exp-htext'));
    parseCyclictestJson(readFileSync(file, 'utf8'), file);
  });

  test('real cyclictest -h with overflows: the histogram, cycles, min, max and avg come back as cyclictest wrote them', async () => {
    const src = realCyclictest('overflow.json', ['-t1', '-h', '60']);
    const imp = await runCli(['import', src, '--out', join(dir, 'imp-overflow')]);
    assert.equal(imp.code, 0, imp.stderr);
    const [file] = await exported(lastLine(imp.stdout), join(dir, 'exp-overflow'));
    const a = JSON.parse(readFileSync(src, 'utf8'));
    const b = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(b['cmdline:'], a['cmdline:'], 'the command that ran');
    assert.equal(b.unilat.cmdline, 'as run');
    assert.equal(b['rt_test_version:'], a['rt_test_version:']);
    for (const k of ['histogram', 'cycles', 'min', 'max', 'avg']) assert.deepEqual(b.thread['0'][k], a.thread['0'][k], k);
    parseCyclictestJson(readFileSync(file, 'utf8'), file);
  });

  test('real cyclictest -v (no command line): the options it is known to have run with only, and the same figures back', async () => {
    const src = join(dir, 'verbose.txt');
    writeFileSync(src, execFileSync('cyclictest', ['-t1', '-i', '700', '-l', '400', '-v'], { encoding: 'utf8' }));
    const imp = await runCli(['import', src, '--out', join(dir, 'imp-verbose')]);
    assert.equal(imp.code, 0, imp.stderr);
    const orig = latencyOf(lastLine(imp.stdout))[0].latency;
    const [file] = await exported(lastLine(imp.stdout), join(dir, 'exp-verbose'));
    const b = JSON.parse(readFileSync(file, 'utf8'));
    assert.match(b['cmdline:'], /^cyclictest -t 1 -i \d+ -h \d+ -q --json$/, 'no policy claimed: -v output does not say it');
    parseCyclictestJson(readFileSync(file, 'utf8'), file);
    const again = await runCli(['import', file, '--out', join(dir, 'imp-verbose2')]);
    assert.equal(again.code, 0, again.stderr);
    const back = latencyOf(lastLine(again.stdout))[0].latency;
    assert.deepEqual([back.count, back.min, back.max], [orig.count, orig.min, orig.max]);
    assert.ok(Math.abs(back.mean - orig.mean) <= 5);
    assert.equal(back.p99, orig.p99, 'whole-us data below 131 us keep their bins');
  });

  test('without -h (no percentiles): "histogram": {} as cyclictest writes it, still valid and imported back', async () => {
    const src = realCyclictest('nohist.json', ['-t1']);
    const imp = await runCli(['import', src, '--out', join(dir, 'imp-nohist')]);
    assert.equal(imp.code, 0, imp.stderr);
    const orig = latencyOf(lastLine(imp.stdout))[0].latency;
    assert.equal(orig.p99, null, 'percentiles unknown');
    const [file] = await exported(lastLine(imp.stdout), join(dir, 'exp-nohist'));
    const b = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(b.thread['0'].histogram, {});
    assert.equal(b.unilat.noHistogram, true);
    assert.ok(parseCyclictestJson(readFileSync(file, 'utf8'), file).warnings.some((w) => w.code === 'no-histogram'));
    const again = await runCli(['import', file, '--out', join(dir, 'imp-nohist2')]);
    assert.equal(again.code, 0, again.stderr);
    const back = latencyOf(lastLine(again.stdout))[0].latency;
    assert.deepEqual([back.count, back.min, back.max, back.mean], [orig.count, orig.min, orig.max, orig.mean]);
  });
});

describe('refusals', () => {
  test('a run without latency results, and an unknown format, exit 2 with one line', async () => {
    const rec = JSON.parse(readFileSync(join(import.meta.dirname, '../../../test/results/fixtures/v1-quickstart.json'), 'utf8'));
    const ops = join(dir, 'ops');
    mkdirSync(ops);
    writeFileSync(join(ops, 'run.json'), JSON.stringify({ ...rec, results: rec.results.filter((r: { ops?: unknown }) => r.ops) }));
    const r = await runCli(['export', ops]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ops: no latency results to export as rt-tests-json \(the run has syscall\)/);
    const f = await runCli(['export', ops, '--format', 'lava']);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--format: unknown format "lava" \(known: rt-tests-json\)/);
    assert.doesNotMatch(r.stderr + f.stderr, /at .*\.js:\d+/, 'no stack trace');
  });
});
