/**
 * `npm run bench:startup`: how long the CLI takes to start and finish its light commands
 * (`--version`, `--help`, `validate`, `plan`, `schema`) against a bare `node -e 0`.
 * Each round runs every command once, in a fresh order, so load from other work on the machine
 * falls on all of them alike; the figures are the median of the rounds with the quartiles and
 * the extremes as the spread, and CPU time (user + system of the child, from /proc/self/stat's
 * cutime/cstime, 10 ms ticks) as a mean. Wall time is measured around a synchronous spawn, so it
 * includes process creation, as a shell's would. "files" is how many JavaScript files the command
 * loads (ES modules through a loader hook, CommonJS ones from require's cache), counted in one
 * extra run: unlike the times it does not depend on the machine's load.
 * Options: --runs=N (30) --warmup=N (3) --bin=FILE (bin/unilat.js of this checkout)
 * --compare=FILE (another checkout's bin/unilat.js, measured in the same rounds, e.g. a build
 * of the commit before a change) --out=FILE (JSON, default test-artifacts/bench/startup.json).
 * Nothing here fails on time: the target (under 3x `node -e 0`) is reported, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, parseArgs } from './lib/util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 30);
const WARMUP = Number(args.warmup ?? 3);
const BIN = path.resolve(args.bin ?? path.join(ROOT, 'bin/unilat.js'));
const COMPARE = args.compare ? path.resolve(args.compare) : undefined;
const OUT = args.out ?? path.join(ROOT, 'test-artifacts/bench/startup.json');
const TARGET = 3;

const COMMANDS: [string, string[]][] = [
  ['--version', ['--version']],
  ['--help', ['--help']],
  ['validate', ['validate', 'scenarios/quickstart.yaml']],
  ['plan', ['plan', 'scenarios/quickstart.yaml']],
  ['schema', ['schema']],
];

interface Case {
  label: string;
  argv: string[];
  /** What the command must print and exit with, checked on every run (a fast failure is no result). */
  expect: { code: number; stdout: string };
  wallMs: number[];
  cpuTicks: number;
  files?: number;
}

const BASELINE = 'node -e 0';
const cases: Case[] = [{ label: BASELINE, argv: ['-e', '0'], expect: { code: 0, stdout: '' }, wallMs: [], cpuTicks: 0 }];
for (const [bin, tag] of [[BIN, ''], ...(COMPARE ? [[COMPARE, ' (compare)']] : [])] as [string, string][]) {
  if (!existsSync(bin)) throw new Error(`${bin}: no such file (npm run build first)`);
  for (const [name, argv] of COMMANDS) {
    const full = [bin, ...argv];
    const r = spawnSync(process.execPath, full, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${path.relative(ROOT, bin)} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    cases.push({ label: `unilat ${name}${tag}`, argv: full, expect: { code: 0, stdout: r.stdout }, wallMs: [], cpuTicks: 0 });
  }
}

/** user + system time of this process's waited-for children so far, in clock ticks (USER_HZ, 100/s on Linux). */
function childTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) (cutime, cstime); the slice starts at field 3.
  return Number(fields[13]) + Number(fields[14]);
}

function runOnce(c: Case, record: boolean): void {
  const t0 = childTicks();
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.argv, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const ticks = childTicks() - t0;
  if (r.status !== c.expect.code || r.stdout !== c.expect.stdout) throw new Error(`${c.label}: exit ${r.status}, output changed between runs: ${r.stderr}`);
  if (!record) return;
  c.wallMs.push(ms);
  c.cpuTicks += ticks;
}

/** How many files a command loads: one run with a loader hook that lists ES modules and, at exit, require's cache. */
function filesLoaded(c: Case): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'unilat-startup-'));
  const list = path.join(dir, 'files.txt');
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(list)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  writeFileSync(
    path.join(dir, 'register.mjs'),
    `import { register, createRequire } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nimport { pathToFileURL } from 'node:url';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\nconst require = createRequire(import.meta.url);\nprocess.on('exit', () => { for (const f of Object.keys(require.cache)) appendFileSync(${JSON.stringify(list)}, pathToFileURL(f).href + '\\n'); });\n`,
  );
  try {
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, ...c.argv], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== c.expect.code) throw new Error(`${c.label} with the file-counting hook: exit ${r.status}: ${r.stderr}`);
    const own = pathToFileURL(dir).href;
    return new Set((existsSync(list) ? readFileSync(list, 'utf8') : '').split('\n').filter((u) => u && !u.startsWith(own))).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

for (const c of cases) c.files = filesLoaded(c);
for (let round = 0; round < WARMUP + RUNS; round++) {
  for (const c of shuffled(cases)) runOnce(c, round >= WARMUP);
  if (round >= WARMUP && (round - WARMUP + 1) % 10 === 0) process.stderr.write(`${round - WARMUP + 1}/${RUNS} rounds\n`);
}

const base = quantile([...cases[0].wallMs].sort((a, b) => a - b), 0.5);
const rows = cases.map((c) => {
  const s = [...c.wallMs].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  return {
    command: c.label,
    files: c.files,
    runs: s.length,
    medianMs: median,
    p25Ms: quantile(s, 0.25),
    p75Ms: quantile(s, 0.75),
    minMs: s[0],
    maxMs: s[s.length - 1],
    cpuMeanMs: (c.cpuTicks * 10) / s.length,
    xNode: median / base,
  };
});
const baseCpu = rows[0].cpuMeanMs;

const f = (x: number) => x.toFixed(0);
const lines = [
  `| command | files | wall: median | p25-p75 | min-max | CPU (mean) | median / node -e 0 | CPU / node -e 0 |`,
  `|---|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| \`${r.command}\` | ${r.files} | ${f(r.medianMs)} ms | ${f(r.p25Ms)}-${f(r.p75Ms)} ms | ${f(r.minMs)}-${f(r.maxMs)} ms | ${f(r.cpuMeanMs)} ms | ${r.command === BASELINE ? '1' : `${r.xNode.toFixed(2)}${r.xNode < TARGET ? '' : ' (not under 3x)'}`} | ${(r.cpuMeanMs / baseCpu).toFixed(2)} |`,
  ),
];
const m = machine();
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
process.stdout.write(`${m.cpu}, ${m.cores} CPUs, Node ${m.node}; ${RUNS} interleaved rounds after ${WARMUP} warm-up; load average at the end ${load}\n\n${lines.join('\n')}\n`);
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ machine: m, date: new Date().toISOString(), runs: RUNS, warmup: WARMUP, loadAverage: load, rows }, null, 2)}\n`);
process.stderr.write(`wrote ${path.relative(process.cwd(), OUT)}\n`);
