/**
 * `npm run bench:report`: how long writing the reports of a large run takes (250 results:
 * 200 cyclic x 2 threads x 600 s of series, 50 syscall; lib/record.ts), each reporter on its
 * own and all of them written to disk as `run` and `report` write them. One warm-up, then
 * --reps=N timed repetitions (default 3), each cold (the SVG cache emptied first: within one
 * writeReports, report.html reuses the figures' SVGs); prints a table and writes JSON
 * (default test-artifacts/bench/report.json). No assertion fails on time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearSvgCache } from '../../src/report/plots.js';
import { reporters, writeReports } from '../../src/report/write.js';
import { bigRecord } from './lib/record.js';
import { machine, parseArgs } from './lib/util.js';

const args = parseArgs(process.argv.slice(2));
const reps = Number(args.reps ?? 3);
const outFile = path.resolve(args.out ?? 'test-artifacts/bench/report.json');

function time(fn: () => unknown): number {
  clearSvgCache();
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  clearSvgCache();
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const record = bigRecord(200, 600);
const rows: Array<{ task: string; files: number; 'min ms': number; 'mean ms': number }> = [];
const summarise = (task: string, files: number, ms: number[]) =>
  rows.push({ task, files, 'min ms': +Math.min(...ms).toFixed(1), 'mean ms': +(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1) });

for (const rep of reporters) {
  const files = rep(record).map((f) => f.file);
  const label = files.length > 3 ? `${files.slice(0, 2).join(', ')} +${files.length - 2} more` : files.join(', ');
  summarise(label, files.length, Array.from({ length: reps }, () => time(() => rep(record))));
}
const dir = mkdtempSync(path.join(tmpdir(), 'unilat-bench-report-'));
try {
  await writeReports(record, dir);
  const ms: number[] = [];
  let n = 0;
  for (let i = 0; i < reps; i++) ms.push(await timeAsync(async () => (n = (await writeReports(record, dir)).length)));
  summarise('all files, written to disk (writeReports)', n, ms);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`report writing, ${record.results.length} results, ${reps} repetitions after a warm-up`);
console.table(rows);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ machine: machine(), date: new Date().toISOString(), results: record.results.length, reps, rows }, null, 1)}\n`);
console.log(`wrote ${outFile}`);
