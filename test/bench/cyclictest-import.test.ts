import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCyclictestArgs, parseCyclictestCmdline } from '../../src/bench/cyclictest/args.js';
import { detectFormat, importFile, importFiles } from '../../src/bench/import.js';
import { InputError } from '../../src/errors.js';
import { benchmarkSchema, type CyclictestBenchmark } from '../../src/scenario/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-ct-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cyclictest(args: string[], stdoutFile?: string): string {
  const out = execFileSync('cyclictest', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (stdoutFile) writeFileSync(stdoutFile, out);
  return out;
}

/** Footer line values of a -h output. */
function footer(text: string, key: string): number[] {
  const line = text.split('\n').find((l) => l.startsWith(`# ${key}:`));
  assert.ok(line, `no ${key} line`);
  return line.slice(key.length + 3).trim().split(/\s+/).map(Number);
}

const bench = (over: Record<string, unknown>): CyclictestBenchmark =>
  benchmarkSchema.parse({ name: 'ct', kind: 'cyclictest', ...over }) as CyclictestBenchmark;

describe('cyclictest argv', () => {
  it('maps the knobs to cyclictest 2.x options', () => {
    const { argv, request } = buildCyclictestArgs(bench({ threads: 2, interval: '500us', priority: 90, affinity: '0-1', histogram: 400 }), 3e9, { jsonFile: '/t/x.json' });
    assert.deepEqual(argv, ['cyclictest', '-t', '2', '-i', '500', '-p', '90', '--policy=fifo', '--affinity=0,1', '-m', '-D', '3s', '-h', '400', '--json=/t/x.json', '-q']);
    assert.equal(request.distanceUs, 0);
  });
  it('leaves -p out for policy other, uses loops, keeps distance without histogram', () => {
    const { argv, warnings } = buildCyclictestArgs(bench({ threads: 2, distance: '100us', policy: 'other', loops: 500, args: ['--secaligned'] }), 1e9, { jsonFile: 'j' });
    assert.ok(!argv.includes('-p'));
    assert.ok(argv.includes('--policy=other'));
    assert.deepEqual(argv.slice(argv.indexOf('-l'), argv.indexOf('-l') + 2), ['-l', '500']);
    assert.deepEqual(argv.slice(argv.indexOf('-d'), argv.indexOf('-d') + 2), ['-d', '100']);
    assert.equal(argv.at(-1), '--secaligned');
    assert.ok(warnings.some((w) => w.code === 'cyclictest-no-histogram'));
  });
  it('explains that deadline is not a cyclictest policy, and refuses options the harness owns', () => {
    assert.throws(() => buildCyclictestArgs(bench({ policy: 'deadline', runtime: '100us' }), 1e9, { jsonFile: 'j' }), /no SCHED_DEADLINE/);
    assert.throws(() => buildCyclictestArgs(bench({ args: ['-v'] }), 1e9, { jsonFile: 'j' }), InputError);
  });
  it('reads units and intervals back from a cmdline', () => {
    assert.deepEqual(parseCyclictestCmdline('cyclictest -t 2 -i 250 -d 50 -N'), {
      intervalUs: 250,
      distanceUs: 50,
      histogramUs: null,
      nsecs: true,
      affinity: null,
      mlockall: false,
      dmaLatency: true,
      policy: 'other',
      priority: null,
    });
    assert.equal(parseCyclictestCmdline('cyclictest --histogram=30 -i200').histogramUs, 30);
  });
});

describe('import of real cyclictest output', () => {
  const json = join(dir, 'run.json');
  const hist = join(dir, 'run.hist');
  before(() => {
    cyclictest(['-t', '2', '-i', '500', '-p', '80', '-m', '-D', '2s', '-q', '-h', '400', `--json=${json}`], hist);
  });

  it('detects each format', async () => {
    assert.equal(await detectFormat(json), 'cyclictest-json');
    assert.equal(await detectFormat(hist), 'cyclictest-histogram');
  });

  it('--json: per-thread min/avg/max are cyclictest\'s own', async () => {
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    const imp = await importFile(json);
    assert.equal(imp.latency.threads.length, 2);
    let total = 0;
    for (const th of imp.latency.threads) {
      const t = doc.thread[String(th.thread)];
      assert.equal(th.histogram.min, t.min * 1000);
      assert.equal(th.histogram.max, t.max * 1000);
      assert.equal(th.summary.count, t.cycles);
      assert.ok(Math.abs(th.summary.mean - t.avg * 1000) < 1e-6);
      assert.equal(th.intervalNs, 500_000);
      total += t.cycles;
    }
    assert.equal(imp.latency.count, total);
    assert.equal(imp.latency.max, Math.max(doc.thread['0'].max, doc.thread['1'].max) * 1000);
  });

  it('-h text: min/avg/max agree with the footer lines, and with the JSON of the same run', async () => {
    const text = readFileSync(hist, 'utf8');
    const imp = await importFile(hist);
    const fromJson = await importFile(json);
    const [mins, avgs, maxs, ovf] = ['Min Latencies', 'Avg Latencies', 'Max Latencies', 'Histogram Overflows'].map((k) => footer(text, k));
    imp.latency.threads.forEach((th, j) => {
      assert.equal(th.summary.min, mins[j] * 1000);
      assert.equal(th.summary.max, maxs[j] * 1000);
      assert.equal(Math.floor(th.summary.mean / 1000), avgs[j]);
      // The JSON's 2-decimal avg and the text's bins agree within the text's truncation.
      assert.ok(Math.abs(th.summary.mean - fromJson.latency.threads[j].summary.mean) < 1000);
      assert.equal(th.summary.count, fromJson.latency.threads[j].summary.count);
    });
    assert.equal(imp.latency.overflows, ovf[0] + ovf[1]);
    assert.deepEqual(imp.latency.histogram.bins.length > 0, true);
  });

  it('counts overflows past a tiny -h range and warns, never drops them', async () => {
    const j2 = join(dir, 'tiny.json');
    const h2 = join(dir, 'tiny.hist');
    cyclictest(['-t', '1', '-i', '500', '-p', '80', '-l', '2000', '-q', '-h', '3', `--json=${j2}`], h2);
    const doc = JSON.parse(readFileSync(j2, 'utf8'));
    for (const f of [j2, h2]) {
      const imp = await importFile(f);
      const inRange = Object.values(doc.thread['0'].histogram as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.equal(imp.latency.count, 2000, f);
      assert.equal(imp.latency.overflows, 2000 - inRange, f);
      assert.ok(imp.latency.overflows! > 0);
      assert.equal(imp.latency.max, doc.thread['0'].max * 1000);
      assert.ok(imp.warnings.some((w) => w.code === 'histogram-overflow' && /lower bound/.test(w.message)), f);
    }
    const h = await importFile(h2);
    assert.ok((h.meta.overflowCycles?.[0]?.length ?? 0) > 0);
  });

  it('-v verbose: matches an independent computation from the same lines', async () => {
    const v = join(dir, 'run.verbose');
    cyclictest(['-t', '2', '-i', '500', '-p', '80', '-m', '-l', '2000', '-v'], v);
    const per = new Map<number, number[]>();
    for (const line of readFileSync(v, 'utf8').split('\n')) {
      const m = /^\s*(\d+):\s*(\d+):\s*(\d+)$/.exec(line);
      if (m) per.set(Number(m[1]), [...(per.get(Number(m[1])) ?? []), Number(m[3])]);
    }
    assert.equal(await detectFormat(v), 'cyclictest-verbose');
    const imp = await importFile(v);
    assert.equal(imp.latency.threads.length, per.size);
    for (const th of imp.latency.threads) {
      const xs = per.get(th.thread)!;
      assert.equal(th.summary.count, xs.length);
      assert.equal(th.summary.min, Math.min(...xs) * 1000);
      assert.equal(th.summary.max, Math.max(...xs) * 1000);
      assert.ok(Math.abs(th.summary.mean - (xs.reduce((a, b) => a + b, 0) / xs.length) * 1000) < 1e-6);
    }
    // cyclictest prints "Thread N Interval" one distance too late; the importer corrects it.
    assert.equal(imp.latency.threads[0].intervalNs, 500_000);
    assert.equal(imp.latency.threads[1].intervalNs, 1_000_000);
  });

  it('bad files name FILE:LINE', async () => {
    const bad = join(dir, 'bad.verbose');
    writeFileSync(bad, 'Max CPUs = 2\n       0:       0:      12\n       0:       1:  zz\n');
    await assert.rejects(importFile(bad), (e: Error) => e instanceof InputError && e.message.startsWith(`${bad}:3: `));
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '{\n "thread": {\n  "0": {"cycles": 1, "min": 1, "max": 1}\n }\n}\n');
    await assert.rejects(importFile(badJson), (e: Error) => e instanceof InputError && /bad\.json:3: thread\.0\.avg: missing/.test(e.message));
    const badHist = join(dir, 'bad.hist');
    writeFileSync(badHist, '# Histogram\n000000 000001\n000001 000002\n# Total: 000000004\n# Min Latencies: 00000\n# Avg Latencies: 00000\n# Max Latencies: 00001\n# Histogram Overflows: 00000\n');
    await assert.rejects(importFile(badHist), (e: Error) => /bad\.hist:4: thread 0: "# Total" says 4 but the rows hold 3/.test(e.message));
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello\n');
    await assert.rejects(importFiles([junk, bad]), (e: Error) => e instanceof InputError && e.problems.length === 2);
  });
});
