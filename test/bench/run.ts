/**
 * `npm run bench`: the harness's own speed and memory.
 *  1. tinybench on the hot paths (protocol parsing, cyclictest -v import, histogram record and
 *     merge, percentiles on a 1e9-sample histogram, bootstrap when it exists, report generation);
 *  2. peak memory and time at 1e6 / 1e7 / 1e8 samples, each import in its own child process;
 *  3. fleet scale (1, 16 and 64 loopback sshd hosts), when the SSH transport exists (fleet.ts).
 * Prints tables and writes JSON (default test-artifacts/bench/bench.json, git-ignored: figures
 * of record go to BENCHMARKS.md). Options: --only=tinybench,memory,fleet  --sizes=1e6,1e7,1e8
 * --time=MS (tinybench budget per task)  --out=FILE. No assertion here fails on time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { importVerbose } from '../../src/bench/import.js';
import { ProtocolParser, assembleRun, singleRun } from '../../src/probe/protocol.js';
import { Histogram, mergeHistograms, type HistogramData } from '../../src/results/histogram.js';
import { histogramIntervals } from '../../src/stats/bootstrap.js';
import { quantile, summarize } from '../../src/stats/quantiles.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import { reporters } from '../../src/report/write.js';
import { compileProbe, runProbe, cleanupProbes } from '../helpers/probe.js';
import { latencySampler, probeStream, probeStreamText, writeVerboseFile } from './lib/synth.js';
import { bigRecord } from './lib/record.js';
import { fmt, machine, parseArgs } from './lib/util.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const args = parseArgs(process.argv.slice(2));
const only = new Set((args.only ?? 'tinybench,memory,fleet').split(','));
const TIME = Number(args.time ?? 1500);
const tmp = mkdtempSync(path.join(tmpdir(), 'unilat-bench-'));
const out: Record<string, unknown> = { machine: machine(), date: new Date().toISOString(), commit: gitHead() };

function gitHead(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// 1. tinybench

interface Row {
  task: string;
  /** Work per iteration, for the rate columns. */
  samples?: number;
  bytes?: number;
  unit?: string;
  iterations: number;
  meanMs: number;
  rmePct: number;
  p50Ms: number;
  p99Ms: number;
  perSecond?: number;
  bytesPerSecond?: number;
}

function feed(text: string, chunk = 64 * 1024): ProtocolParser {
  // Pipe-sized pieces, as a probe's stdout arrives.
  const p = new ProtocolParser();
  for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk));
  p.end();
  return p;
}

function parseAndAssemble(text: string): number {
  const p = feed(text);
  const pieces = assembleRun(singleRun(p.messages, p.noise()), p.noise());
  return pieces.kind === 'cyclic' ? summarizeLatency(pieces.latency).count : 0;
}

async function tinybench(): Promise<Row[]> {
  const rows: Row[] = [];
  const bench = new Bench({ time: TIME, iterations: 5, warmupIterations: 2, warmupTime: 200, throws: true });
  const work = new Map<string, { samples?: number; bytes?: number; unit?: string }>();
  const add = (name: string, w: { samples?: number; bytes?: number; unit?: string }, fn: () => unknown) => {
    work.set(name, w);
    bench.add(name, fn);
  };

  // The real probe: a short --raw run gives a stream with every sample on the wire, and a real hello.
  const probe = await compileProbe();
  const real = await runProbe(probe, ['cyclic', '--threads', '2', '--interval', '100000', '--duration-ms', '2000', '--raw', '--policy', 'other', '--progress-ms', '500']);
  if (real.code !== 0) throw new Error(`probe failed: ${real.stderr}`);
  const realText = real.stdout.toString('utf8');
  const realSamples = parseAndAssemble(realText);
  const hello = JSON.parse(realText.slice(realText.indexOf('{'), realText.indexOf('\n')));
  add('protocol: real probe stream (--raw, 2 s)', { samples: realSamples, bytes: Buffer.byteLength(realText) }, () => parseAndAssemble(realText));

  // Long runs synthesized in the real format from the real hello.
  const longText = probeStreamText({ samples: 1e7, hello });
  add('protocol: synthetic 1e7-sample run (2 thr, 1 kHz)', { samples: 1e7, bytes: Buffer.byteLength(longText) }, () => parseAndAssemble(longText));
  const rawText = probeStreamText({ samples: 1e6, hello, raw: true });
  add('protocol: synthetic 1e6-sample --raw run', { samples: 1e6, bytes: Buffer.byteLength(rawText) }, () => parseAndAssemble(rawText));

  // cyclictest -v import from a generated file (page cache warm after the first read).
  const vfile = path.join(tmp, 'bench-1e6.verbose');
  const vbytes = await writeVerboseFile(vfile, 1e6);
  bench.add('import: cyclictest -v, 1e6 samples', async () => {
    await importVerbose(vfile);
  });
  work.set('import: cyclictest -v, 1e6 samples', { samples: 1e6, bytes: vbytes });

  // Histogram recording and merging.
  const draw = latencySampler(5);
  const values = Float64Array.from({ length: 1e6 }, () => draw());
  add('histogram: record 1e6 values', { samples: 1e6 }, () => {
    const h = new Histogram();
    for (let i = 0; i < values.length; i++) h.record(values[i]);
    return h;
  });
  const parts: HistogramData[] = [];
  for (let k = 0; k < 64; k++) {
    const h = new Histogram();
    for (let i = k * 15_000; i < (k + 1) * 15_000; i++) h.record(values[i]);
    parts.push(h.toData());
  }
  add('histogram: merge 64 histograms (mergeHistograms)', { samples: 64, unit: 'histograms' }, () => mergeHistograms(parts));

  // Percentiles on a 1e9-sample histogram: cost depends on the bins, not the count.
  const h9 = new Histogram();
  for (let i = 0; i < values.length; i++) h9.record(values[i], 1000);
  const d9 = h9.toData();
  add('stats: summarize (5 quantiles) of a 1e9-sample histogram', { samples: 1e9, unit: 'represented samples' }, () => summarize(d9));
  add('stats: quantile p99 of a 1e9-sample histogram', { samples: 1e9, unit: 'represented samples' }, () => quantile(d9, 0.99));
  addBootstrap(bench, work, d9);

  // Report generation for a large run: every registered reporter, no disk.
  // One task per registered reporter, named after the files it writes.
  const record = bigRecord(200, 600);
  const nres = record.results.length;
  const quiet = silenceWarnings();
  for (const rep of reporters) {
    const files = (await rep(record)).map((f) => f.file);
    const label = files.length > 3 ? `${files.slice(0, 2).join(', ')} +${files.length - 2} more` : files.join(', ');
    add(`report: ${label} (${nres} results)`, { samples: nres, unit: 'results' }, () => rep(record));
  }

  try {
    await bench.run();
  } finally {
    quiet.restore();
    if (quiet.count) console.log(`(${quiet.count} library warnings silenced during the report tasks, e.g. "${quiet.first}")`);
  }
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
    const w = work.get(t.name) ?? {};
    const l = r.latency;
    rows.push({
      task: t.name,
      samples: w.samples,
      bytes: w.bytes,
      unit: w.unit ?? 'samples',
      iterations: l.samplesCount,
      meanMs: l.mean,
      rmePct: l.rme,
      p50Ms: l.p50,
      p99Ms: l.p99,
      perSecond: w.samples ? (w.samples * 1000) / l.mean : undefined,
      bytesPerSecond: w.bytes ? (w.bytes * 1000) / l.mean : undefined,
    });
  }
  rmSync(vfile, { force: true });
  return rows;
}

/** Bootstrap intervals as a report computes them: 1000 resamples, 5 percentiles, one histogram. */
function addBootstrap(bench: Bench, work: Map<string, object>, d9: HistogramData): void {
  const task = 'stats: histogramIntervals (bootstrap, 1000 resamples, 5 percentiles) of a 1e9-sample histogram';
  work.set(task, { samples: 1e9, unit: 'represented samples' });
  bench.add(task, () => histogramIntervals(d9));
}

/** The plotting library warns on every large legend; count those lines instead of printing them. */
function silenceWarnings(): { restore(): void; count: number; first: string } {
  const saved = { warn: console.warn, error: console.error };
  const state = { count: 0, first: '', restore: () => Object.assign(console, saved) };
  const swallow = (...a: unknown[]) => {
    if (!state.count) state.first = a.map(String).join(' ');
    state.count++;
  };
  console.warn = swallow;
  console.error = swallow;
  return state;
}

function printRows(rows: Row[]): void {
  const table = rows.map((r) => ({
    task: r.task,
    iters: r.iterations,
    'mean ms': r.meanMs.toFixed(3),
    '±%': r.rmePct.toFixed(1),
    'p50 ms': r.p50Ms.toFixed(3),
    'p99 ms': r.p99Ms.toFixed(3),
    rate: r.perSecond ? `${fmt(r.perSecond)} ${r.unit}/s` : '',
    'MB/s': r.bytesPerSecond ? (r.bytesPerSecond / 1e6).toFixed(0) : '',
  }));
  console.table(table);
}

// ---------------------------------------------------------------------------------------------
// 2. memory and time at growing sizes, each in a child process

interface MemRow {
  what: string;
  samples: number;
  fileBytes: number;
  seconds: number;
  cpuSeconds: number;
  samplesPerSecond: number;
  hwmMiB: number;
}

function child(kind: string, file: string): { samples: number; seconds: number; cpuSeconds: number; hwmKiB: number } {
  const js = path.join(HERE, 'memory-child.js');
  return JSON.parse(execFileSync(process.execPath, [js, kind, file], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

async function writeProbeFile(file: string, samples: number, raw: boolean): Promise<number> {
  const { createWriteStream } = await import('node:fs');
  const ws = createWriteStream(file);
  for (const c of probeStream({ samples, raw }, 1 << 20)) if (!ws.write(c)) await new Promise<void>((r) => ws.once('drain', () => r()));
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
  return statSync(file).size;
}

async function memory(): Promise<MemRow[]> {
  const sizes = (args.sizes ?? '1e6,1e7,1e8').split(',').map(Number);
  const rows: MemRow[] = [];
  const run = (what: string, kind: string, file: string, bytes: number) => {
    const r = child(kind, file);
    const row = { what, samples: r.samples, fileBytes: bytes, seconds: r.seconds, cpuSeconds: r.cpuSeconds, samplesPerSecond: r.samples / r.seconds, hwmMiB: r.hwmKiB / 1024 };
    rows.push(row);
    console.log(`  ${what.padEnd(28)} ${fmt(r.samples, 0).padStart(7)} samples  ${(bytes / 1e6).toFixed(0).padStart(6)} MB  ${r.seconds.toFixed(2).padStart(7)} s  ${fmt(row.samplesPerSecond)} samples/s  peak ${row.hwmMiB.toFixed(0)} MiB`);
  };
  for (const n of sizes) {
    const f = path.join(tmp, `mem-${n}.verbose`);
    const bytes = await writeVerboseFile(f, n);
    run('cyclictest -v import', 'verbose', f, bytes);
    rmSync(f);
  }
  for (const n of sizes) {
    const f = path.join(tmp, `mem-${n}.probe`);
    const bytes = await writeProbeFile(f, n, false);
    run('probe stream (2 thr, 1 kHz)', 'probe', f, bytes);
    rmSync(f);
  }
  // --raw puts every sample on the wire and the result keeps them: memory grows by design.
  for (const n of sizes.filter((s) => s <= 1e7)) {
    const f = path.join(tmp, `mem-${n}.raw.probe`);
    const bytes = await writeProbeFile(f, n, true);
    run('probe stream --raw', 'probe', f, bytes);
    rmSync(f);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

try {
  if (only.has('tinybench')) {
    console.log('# tinybench: hot paths');
    const rows = await tinybench();
    printRows(rows);
    out.tinybench = rows;
  }
  if (only.has('memory')) {
    console.log('# peak memory and time by run length (each in its own process)');
    out.memory = await memory();
  }
  if (only.has('fleet')) {
    const { fleet } = await import('./fleet.js');
    console.log('# fleet: 1, 16 and 64 loopback sshd hosts');
    out.fleet = await fleet(args);
    const f = out.fleet as { skipped?: string; failed?: string };
    if (f.skipped) console.log(`  skipped: ${f.skipped}`);
    if (f.failed) console.log(`  FAILED: ${f.failed}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  await cleanupProbes();
}
const file = args.out ?? path.join(ROOT, 'test-artifacts/bench/bench.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
