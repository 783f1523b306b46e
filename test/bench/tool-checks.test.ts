/**
 * cyclictest's output checked like user input: impossible figures (negative latencies, min > max,
 * non-whole or non-finite counts, histograms that contradict their own summary) are refused with
 * "FILE:LINE: field: what is wrong" and exit 2, by the parsers and through `unilat import`; a run
 * of cyclictest that writes such figures fails rather than record them.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCyclictest } from '../../src/bench/cyclictest.js';
import { ImpossibleFigureError } from '../../src/bench/cyclictest/checks.js';
import { importFile } from '../../src/bench/import.js';
import { InputError, RunFailedError } from '../../src/errors.js';
import { benchmarkSchema, type CyclictestBenchmark } from '../../src/scenario/schema.js';
import { LocalTransport } from '../../src/transport/local.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-toolcheck-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BIG = '9'.repeat(400);
const BIG_SHOWN = /999999999999… \(400 digits\) is too large for a number/;

type Num = number | string;
interface JsonThread {
  histogram: Record<string, Num>;
  cycles: Num;
  min: Num;
  max: Num;
  avg: Num;
  cpu?: Num;
}

/** The shape cyclictest 2.40 writes with --json (key order, indentation, "cmdline:" with its colon). */
function ctJson(threads: JsonThread[], o: { histogram?: number | null; numThreads?: Num } = {}): string {
  const h = o.histogram === undefined ? 4000 : o.histogram;
  const body = threads.map((t, i) => {
    const bins = Object.entries(t.histogram).map(([v, c]) => `        "${v}": ${c}`);
    return [
      `    "${i}": {`,
      bins.length ? `      "histogram": {\n${bins.join(',\n')}\n      },` : '      "histogram": {      },',
      `      "cycles": ${t.cycles},`,
      `      "min": ${t.min},`,
      `      "max": ${t.max},`,
      `      "avg": ${t.avg},`,
      `      "cpu": ${t.cpu ?? i},`,
      '      "node": 0',
      `    }${i === threads.length - 1 ? '' : ','}`,
    ].join('\n');
  });
  return [
    '{',
    '  "file_version": 1,',
    `  "cmdline:": "cyclictest -t ${threads.length} -i 500 -p 80 -m -l 500 -q${h === null ? '' : ` -h ${h}`} --json=t.json",`,
    '  "rt_test_version:": "2.40",',
    '  "start_time": "Wed, 02 Dec 2026 00:25:31 +0000",',
    '  "end_time": "Wed, 02 Dec 2026 00:25:32 +0000",',
    '  "return_code": 0,',
    '  "sysinfo": {',
    '    "sysname": "Linux",',
    '    "nodename": "vm",',
    '    "release": "6.1.0",',
    '    "version": "#1 SMP PREEMPT_DYNAMIC",',
    '    "machine": "x86_64",',
    '    "realtime": 0',
    '  },',
    `  "num_threads": ${o.numThreads ?? threads.length},`,
    '  "resolution_in_ns": 0,',
    '  "thread": {',
    ...body,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** A plausible thread: 10 samples from 15 to 3017 us, all inside the 4000 us histogram. */
const T: JsonThread = { histogram: { 15: 2, 16: 5, 100: 2, 3017: 1 }, cycles: 10, min: 15, max: 3017, avg: 332.7 };
const json = (over: Partial<JsonThread>, o?: Parameters<typeof ctJson>[1]) => ctJson([{ ...T, ...over }], o);

/** The shape of cyclictest's -h text: a range of 5 us, samples at 2..4 us and 2 overflows (cycles 3 and 7). */
function ctHist(o: { rows?: Num[][]; total?: Num[]; min?: Num[]; avg?: Num[]; max?: Num[]; overflows?: Num[]; lists?: string[] } = {}): string {
  const rows = o.rows ?? [[0], [0], [3], [4], [1]];
  const pad = (v: Num, w: number) => String(v).padStart(w, '0');
  const col = (xs: Num[], w: number) => xs.map((x) => ` ${pad(x, w)}`).join('');
  return [
    '# /dev/cpu_dma_latency set to 0us',
    '# Histogram',
    ...rows.map((r, i) => `${pad(i, 6)} ${r.map((c) => pad(c, 6)).join('\t')}`),
    `# Total:${col(o.total ?? [8], 9)}`,
    `# Min Latencies:${col(o.min ?? [2], 5)}`,
    `# Avg Latencies:${col(o.avg ?? [3], 5)}`,
    `# Max Latencies:${col(o.max ?? [9], 5)}`,
    `# Histogram Overflows:${col(o.overflows ?? [2], 5)}`,
    '# Histogram Overflow at cycle number:',
    ...(o.lists ?? ['00003 00007']).map((l, i) => `# Thread ${i}:${l ? ` ${l}` : ''}`),
    '',
  ].join('\n');
}

/** The shape of cyclictest -v: header lines, then "%8d:%8lu:%8ld" samples. */
function ctVerbose(samples: Array<[Num, Num, Num]>, header = ['Thread 0 Interval: 1500']): string {
  const pad = (x: Num) => String(x).padStart(8);
  return ['Max CPUs = 2', 'Online CPUs = 2', '# /dev/cpu_dma_latency set to 0us', ...header, ...samples.map(([t, c, v]) => `${pad(t)}:${pad(c)}:${pad(v)}`), ''].join('\n');
}
const V: Array<[Num, Num, Num]> = [[0, 0, 12], [0, 1, 15], [0, 2, 13]];
/** The line of a -h fixture's line starting with `start` (the footer's place does not depend on the figures). */
const HL = (start: string) => ctHist().split('\n').findIndex((l) => l.startsWith(start)) + 1;

interface Case {
  name: string;
  /** File name (its extension does not matter: the format is detected). */
  file: string;
  text: string;
  /** Line of the message, and what follows "FILE:LINE: ". */
  line: number;
  message: RegExp;
  nsecs?: boolean;
}

/** The line (1-based) of the first line of `text` that contains `needle` after the line holding `after`. */
function lineOf(text: string, needle: string, after?: string): number {
  const lines = text.split('\n');
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, k) => k >= from && l.includes(needle));
  assert.ok(i >= 0, `no "${needle}" in the fixture`);
  return i + 1;
}

function jsonCase(name: string, file: string, text: string, needle: string, message: RegExp, after?: string): Case {
  return { name, file, text, line: lineOf(text, needle, after), message };
}

// The findings of the issue, each a regression test.
const findings: Case[] = [
  (() => {
    const text = json({ min: -5, max: -1, avg: -3 });
    return jsonCase('JSON min -5 and max -1 with bins from 15 to 3017 us (was p50 = -1 us)', 'negative.json', text, '"min": -5', /^thread\.0\.min: -5 is negative$/);
  })(),
  jsonCase('JSON min 500 > max 2 (was accepted)', 'min-above-max.json', json({ min: 500, max: 2 }), '"min": 500', /^thread\.0\.min: 500 is above the max, 2$/),
  jsonCase('JSON count 0.5 without a histogram (was accepted)', 'half-count.json', json({ histogram: {}, cycles: 0.5 }, { histogram: null }), '"cycles": 0.5', /^thread\.0\.cycles: 0\.5 is not a whole number$/),
  jsonCase('JSON count 10.5 with 10 samples in the histogram', 'half-overflow.json', json({ cycles: 10.5 }), '"cycles": 10.5', /^thread\.0\.cycles: 10\.5 is not a whole number$/),
  jsonCase('JSON cycles 1.7e308 (made the mean null)', 'huge-cycles.json', json({ cycles: '1.7e308' }), '"cycles": 1.7e308', /^thread\.0\.cycles: 1\.7e\+308 is above 2\^53 - 1, more than a count can be$/),
  (() => {
    const text = ctHist({ max: [BIG] });
    return { name: '-h 400-digit max (was Infinity, max null in run.json)', file: 'big-max.hist', text, line: lineOf(text, '# Max Latencies'), message: new RegExp(`^Max Latencies, thread 0: ${BIG_SHOWN.source}$`) };
  })(),
  (() => {
    const text = ctHist({ rows: [[0], [0], [BIG], [4], [1]] });
    return { name: '-h 400-digit count in a row (was Infinity, count null in run.json)', file: 'big-count.hist', text, line: 5, message: new RegExp(`^histogram row 2, thread 0: ${BIG_SHOWN.source}$`) };
  })(),
  (() => {
    const text = ctHist({ overflows: [BIG] });
    return { name: '-h 400-digit overflow count', file: 'big-overflows.hist', text, line: lineOf(text, '# Histogram Overflows:'), message: new RegExp(`^Histogram Overflows, thread 0: ${BIG_SHOWN.source}$`) };
  })(),
  { name: '-v 400-digit latency (was Infinity, max null in run.json)', file: 'big-latency.verbose', text: ctVerbose([...V, [0, 3, BIG]]), line: 8, message: new RegExp(`^latency: ${BIG_SHOWN.source}$`) },
];

// Each further check, through the parsers and the CLI.
const checks: Case[] = [
  jsonCase('JSON bin below the min', 'bin-below-min.json', json({ min: 20 }), '"15": 2', /^thread\.0\.histogram\.15: 2 samples at 15 us, below the min \(20 us\)$/),
  jsonCase('JSON bin above the max', 'bin-above-max.json', json({ max: 3000 }), '"3017": 1', /^thread\.0\.histogram\.3017: 1 samples at 3017 us, above the max \(3000 us\)$/),
  jsonCase('JSON bin at or above the range of the cmdline', 'bin-past-range.json', json({}, { histogram: 3000 }), '"3017": 1', /^thread\.0\.histogram\.3017: a bin at 3017 us, at or above the histogram range \(3000 us\)$/),
  jsonCase('JSON avg outside min..max', 'avg.json', json({ avg: 5000 }), '"avg": 5000', /^thread\.0\.avg: 5000 is not between the min, 15, and the max, 3017$/),
  jsonCase('JSON histogram holds more samples than cycles', 'more-bins.json', json({ cycles: 9 }), '"cycles": 9', /^thread\.0\.cycles: 9, but the histogram holds 10 samples$/),
  jsonCase('JSON overflows, but max below the range', 'overflow-max.json', json({ cycles: 12 }), '"max": 3017', /^thread\.0\.max: 3017 us, below the histogram range \(4000 us\) that 2 samples overflowed$/),
  jsonCase('JSON no overflow, but max above the highest bin', 'max-past-bins.json', json({ max: 3500 }), '"max": 3500', /^thread\.0\.max: 3500 us, but no sample overflowed the histogram and its highest bin is 3017 us$/),
  jsonCase('JSON every sample overflowed, but min below the range', 'all-overflow.json', json({ histogram: {}, cycles: 5, min: 15, max: 5000, avg: 4000 }), '"min": 15', /^thread\.0\.min: 15 us, below the histogram range \(4000 us\), yet all 5 samples overflowed it$/),
  jsonCase('JSON non-finite bin count (1e400)', 'inf-bin.json', json({ histogram: { ...T.histogram, 100: '1e400' } }), '"100": 1e400', /^thread\.0\.histogram\.100: Infinity is not a finite number$/),
  jsonCase('JSON negative bin count', 'neg-bin.json', json({ histogram: { ...T.histogram, 16: -5 } }), '"16": -5', /^thread\.0\.histogram\.16: -5 is negative$/),
  jsonCase('JSON 400-digit bin value', 'big-bin.json', json({ histogram: { ...T.histogram, [BIG]: 1 } }), `"${BIG}": 1`, new RegExp(`^thread\\.0\\.histogram\\.999999999999… \\(400 digits\\): ${BIG_SHOWN.source}$`)),
  jsonCase('JSON non-finite max (1e400)', 'inf-max.json', json({ max: '1e400' }), '"max": 1e400', /^thread\.0\.max: Infinity is not a finite number$/),
  jsonCase('JSON latency longer than a day', 'day.json', json({ max: 100_000_000_000 }), '"max": 100000000000', /^thread\.0\.max: 100000000000 us is longer than a day, not a latency$/),
  jsonCase('JSON non-whole cpu', 'cpu.json', json({ cpu: 1.5 }), '"cpu": 1.5', /^thread\.0\.cpu: 1\.5 is not a whole number$/),
  jsonCase('JSON num_threads against the threads', 'num-threads.json', json({}, { numThreads: 2 }), '"num_threads"', /^num_threads: 2, but "thread" holds 1 threads$/),
  jsonCase('JSON second thread: its own line and path', 'thread1.json', ctJson([T, { ...T, max: -1 }]), '"max": -1', /^thread\.1\.max: -1 is negative$/),
  { name: '-h min above max', file: 'min-max.hist', text: ctHist({ min: [12] }), line: HL('# Min Latencies'), message: /^Min Latencies, thread 0: 12 is above the max, 9$/ },
  { name: '-h avg above max', file: 'avg.hist', text: ctHist({ avg: [10] }), line: HL('# Avg Latencies'), message: /^Avg Latencies, thread 0: 10 is not between the min, 2, and the max, 9$/ },
  { name: '-h row below the min', file: 'row-min.hist', text: ctHist({ min: [3] }), line: 5, message: /^histogram row 2, thread 0: 3 samples at 2 us, below the min \(3 us\)$/ },
  { name: '-h overflows, but max below the range', file: 'overflow-max.hist', text: ctHist({ max: [4] }), line: HL('# Max Latencies'), message: /^Max Latencies, thread 0: 4 us, below the histogram range \(5 us\) that 2 samples overflowed$/ },
  { name: '-h no overflow, but max above the highest row', file: 'max-rows.hist', text: ctHist({ overflows: [0], lists: [''] }), line: HL('# Max Latencies'), message: /^Max Latencies, thread 0: 9 us, but no sample overflowed the histogram and its highest bin is 4 us$/ },
  { name: '-h "# Total" against the rows', file: 'total.hist', text: ctHist({ total: [9] }), line: HL('# Total'), message: /^thread 0: "# Total" says 9 but the rows hold 8$/ },
  { name: '-h overflow list against "# Histogram Overflows"', file: 'list.hist', text: ctHist({ lists: ['00003'] }), line: HL('# Thread 0:'), message: /^Histogram Overflow at cycle number, thread 0: 1 cycles listed and 0 others, but "# Histogram Overflows" says 2$/ },
  { name: '-h overflow cycle past the thread\'s cycles', file: 'list-cycle.hist', text: ctHist({ lists: ['00003 00010'] }), line: HL('# Thread 0:'), message: /^Histogram Overflow at cycle number, thread 0: cycle 10, but the thread ran 10 cycles$/ },
  {
    name: '-H all-threads "# Total" against the threads',
    file: 'all-total.hist',
    text: ctHist({ rows: [[0, 0, 0], [0, 0, 0], [3, 1, 4], [4, 1, 5], [1, 0, 1]], total: [8, 2, 11], min: [2, 2], avg: [3, 2], max: [9, 3, 9], overflows: [2, 0, 2], lists: ['00003 00007', ''] }),
    line: HL('# Total'),
    message: /^Total, all threads: 11, but the threads' figures give 10$/,
  },
  {
    name: '-H all-threads row cell against the threads',
    file: 'all-row.hist',
    text: ctHist({ rows: [[0, 0, 0], [0, 0, 0], [3, 1, 5], [4, 1, 5], [1, 0, 1]], total: [8, 2, 10], min: [2, 2], avg: [3, 2], max: [9, 3, 9], overflows: [2, 0, 2], lists: ['00003 00007', ''] }),
    line: 5,
    message: /^histogram row 2, all threads: 5, but the threads' columns add up to 4$/,
  },
  { name: '-v latency longer than a day', file: 'day.verbose', text: ctVerbose([...V, [0, 3, 100_000_000_000]]), line: 8, message: /^latency: 100000000000 us is longer than a day, not a latency$/ },
  { name: '-v -N latency longer than a day', file: 'day-ns.verbose', text: ctVerbose([...V, [0, 3, 100_000_000_000_000]]), line: 8, message: /^latency: 100000000000000 ns is longer than a day, not a latency$/, nsecs: true },
  { name: '-v negative latency', file: 'negative.verbose', text: ctVerbose([...V, [0, 3, -5]]), line: 8, message: /^latency: -5 is negative$/ },
  { name: '-v cycle number past 2^53', file: 'cycle.verbose', text: ctVerbose([...V, [0, '99999999999999999', 14]]), line: 8, message: /^cycle: 99999999999999999 is above 2\^53 - 1, more than a count can be$/ },
  { name: '-v 400-digit interval', file: 'interval.verbose', text: ctVerbose(V, [`Thread 0 Interval: ${BIG}`]), line: 4, message: new RegExp(`^Thread 0 Interval: ${BIG_SHOWN.source}$`) },
  { name: '-v 400-digit cpu', file: 'cpu.verbose', text: ctVerbose(V, ['Thread 0 Interval: 1500', `Thread 0 using cpu ${BIG}.`]), line: 5, message: new RegExp(`^Thread 0 cpu: ${BIG_SHOWN.source}$`) },
];

const write = (c: Case) => {
  const p = join(dir, c.file);
  writeFileSync(p, c.text);
  return p;
};
/** The message a case expects, whole: "FILE:LINE: field: what is wrong". */
const expected = (c: Case, path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${c.line}: ${c.message.source.replace(/^\^/, '')}`);

describe('impossible cyclictest figures, in the parsers', () => {
  for (const c of [...findings, ...checks])
    it(c.name, async () => {
      const p = write(c);
      await assert.rejects(importFile(p, { nsecs: c.nsecs }), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.problems.length, 1);
        assert.match(e.problems[0], expected(c, p));
        return true;
      });
    });

  it('the figures that are right pass: the base fixtures, an unpinned thread (cpu -1), -H with its all-threads column', async () => {
    writeFileSync(join(dir, 'base.json'), json({ cpu: -1 }));
    writeFileSync(join(dir, 'base.hist'), ctHist());
    writeFileSync(join(dir, 'base.verbose'), ctVerbose(V));
    writeFileSync(join(dir, 'all.hist'), ctHist({ rows: [[0, 0, 0], [0, 0, 0], [3, 1, 4], [4, 1, 5], [1, 0, 1]], total: [8, 2, 10], min: [2, 2], avg: [3, 2], max: [9, 3, 9], overflows: [2, 0, 2], lists: ['00003 00007', ''] }));
    const j = await importFile(join(dir, 'base.json'));
    assert.equal(j.latency.threads[0].cpu, null);
    assert.equal(j.latency.count, 10);
    assert.equal(j.latency.min, 15_000);
    assert.equal(j.latency.max, 3_017_000);
    const h = await importFile(join(dir, 'base.hist'));
    assert.equal(h.latency.count, 10);
    assert.equal(h.latency.overflows, 2);
    assert.deepEqual(h.meta.overflowCycles, { 0: [3, 7] });
    assert.equal((await importFile(join(dir, 'base.verbose'))).latency.max, 15_000);
    const all = await importFile(join(dir, 'all.hist'));
    assert.deepEqual(all.latency.threads.map((t) => t.summary.count), [10, 2]);
  });

  it('an impossible figure is an ImpossibleFigureError; a broken format stays a plain InputError', async () => {
    await assert.rejects(importFile(write(findings[0])), ImpossibleFigureError);
    const p = join(dir, 'order.hist');
    writeFileSync(p, ctHist().replace('000002 ', '000009 '));
    await assert.rejects(importFile(p), (e: unknown) => e instanceof InputError && !(e instanceof ImpossibleFigureError) && /order\.hist:6: histogram row 3 after row 9: rows out of order/.test(e.message));
  });
});

describe('impossible cyclictest figures, through `unilat import`', () => {
  const out = join(dir, 'runs');
  /** Exit 2, one "error: FILE:LINE: field: what" line per file, no stack, no run folder. */
  async function refused(cases: Case[]) {
    const paths = cases.map(write);
    const r = await runCli(['import', '--out', out, ...paths, ...(cases.some((c) => c.nsecs) ? ['--nsecs'] : [])]);
    assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, cases.length, r.stderr);
    cases.forEach((c, i) => assert.match(lines[i].replace(/^error: /, ''), expected(c, paths[i]), c.name));
    assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'no run folder written');
  }

  for (const c of findings) it(c.name, () => refused([c]));
  it('every further check at once (each file refused, and only once)', () => refused(checks.filter((c) => !c.nsecs)));
  it('-N (--nsecs) figures are checked in ns', () => refused(checks.filter((c) => c.nsecs)));
});

describe('a measured cyclictest run counts spikes at the benchmark\'s spikeThreshold', () => {
  it('spikeThreshold: 1us counts (nearly) every wake-up, as the histogram says', { timeout: 60_000 }, async () => {
    const b = benchmarkSchema.parse({ name: 'ct', kind: 'cyclictest', threads: 1, interval: '500us', loops: 200, histogram: 100, spikeThreshold: '1us' }) as CyclictestBenchmark;
    const r = await runCyclictest(new LocalTransport(), b, 1e9);
    assert.equal(r.latency.spikeThresholdNs, 1000);
    const counted = r.latency.spikes.length + r.latency.spikesDropped;
    const n = r.latency.threads[0].histogram.count;
    assert.equal(n, 200);
    // Whole-µs values: a minimum of 2 µs or more means every sample lies above 1 µs.
    if (r.latency.threads[0].histogram.min >= 2000) assert.equal(counted, n);
    else assert.ok(counted > 0 && counted < n, `${counted} of ${n}`);
  });
});

describe('a cyclictest run whose output cannot be right fails', () => {
  const t = new LocalTransport();
  const bench = (over: Record<string, unknown>): CyclictestBenchmark =>
    benchmarkSchema.parse({ name: 'ct', kind: 'cyclictest', ...over }) as CyclictestBenchmark;
  /** The real cyclictest, then `edit` (sh) on its JSON file ($json) and stdout ($out) before they are read. */
  function corrupting(name: string, edit: string): string {
    const p = join(dir, name);
    writeFileSync(
      p,
      `#!/bin/sh
for a in "$@"; do case "$a" in --json=*) json="\${a#--json=}";; esac; done
out=$(cyclictest "$@") || exit $?
${edit}
printf '%s\\n' "$out"
`,
    );
    chmodSync(p, 0o755);
    return p;
  }
  const b = bench({ threads: 1, interval: '500us', loops: 200, histogram: 100 });

  it('an impossible figure in its JSON: RunFailedError naming the file, line and field, no figures', { timeout: 60_000 }, async () => {
    const binary = corrupting('ct-json', `sed -i 's/"min": [0-9]*/"min": 99999/' "$json"`);
    await assert.rejects(runCyclictest(t, b, 1e9, { binary }), (e: unknown) => {
      assert.ok(e instanceof RunFailedError, String(e));
      assert.match(e.message, /^cyclictest's output is refused: local:\/tmp\/[^:]+\/cyclictest\.json:\d+: thread\.0\.min: 99999 is above the max, \d+\n {2}command: /);
      return true;
    });
  });

  it('an impossible figure in its -h text fails too; text it cannot read only warns', { timeout: 60_000 }, async () => {
    const bad = corrupting('ct-hist', `out=$(printf '%s\\n' "$out" | sed 's/^# Max Latencies: .*/# Max Latencies: ${BIG}/')`);
    await assert.rejects(runCyclictest(t, b, 1e9, { binary: bad }), (e: unknown) => e instanceof RunFailedError && /cyclictest stdout:\d+: Max Latencies, thread 0: 999999999999… \(400 digits\) is too large for a number/.test(e.message));
    const odd = corrupting('ct-odd', `out=$(printf '%s\\nsomething else\\n' "$out")`);
    const r = await runCyclictest(t, b, 1e9, { binary: odd });
    assert.equal(r.latency.threads[0].histogram.count, 200);
    assert.ok(r.warnings.some((w) => w.code === 'cyclictest-output-unreadable'));
  });
});
