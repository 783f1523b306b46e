/**
 * `npm run bench:fidelity`: the probe against the instruments the field trusts, on this machine.
 *  - cyclic: the probe's cyclic mode and rt-tests' cyclictest with identical knobs (2 threads,
 *    1 ms, SCHED_FIFO 80, pinned to CPUs 0-1, mlockall, cpu_dma_latency held at 0), interleaved, REPS x DURATION each;
 *    p50/p99/max of both with 95% intervals across repetitions, and each tool's own CPU time and
 *    peak RSS (GNU time around the tool process itself, not the harness).
 *  - syscall: the probe's getppid against `perf bench syscall basic`, and the rep-to-rep
 *    coefficient of variation of every syscall op.
 * Options (or env): --reps=N (UNILAT_FIDELITY_REPS, 5), --duration=S (UNILAT_FIDELITY_DURATION, 20),
 * --syscall-reps=N (7), --out=FILE. Targets are reported, never asserted.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseCyclictestJson } from '../../src/bench/import.js';
import { parsePerfSyscall } from '../../src/bench/perf-syscall.js';
import { assembleStream } from '../../src/probe/protocol.js';
import { summarizeLatency, summarizeOps } from '../../src/stats/summary.js';
import { compileProbe, cleanupProbes } from '../helpers/probe.js';
import { cv, machine, meanCi, parseArgs } from './lib/util.js';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const args = parseArgs(process.argv.slice(2));
const REPS = Number(args.reps ?? process.env.UNILAT_FIDELITY_REPS ?? 5);
const DURATION = Number(args.duration ?? process.env.UNILAT_FIDELITY_DURATION ?? 20);
const SYSCALL_REPS = Number(args['syscall-reps'] ?? 7);
const tmp = mkdtempSync(path.join(tmpdir(), 'unilat-fidelity-'));

interface Usage {
  wallS: number;
  cpuS: number;
  maxRssKiB: number;
}

/** Runs argv under GNU time: the figures are the tool's own (rusage of that child). */
async function timed(argv: string[]): Promise<{ stdout: string; usage: Usage }> {
  const tf = path.join(tmp, 'time.txt');
  const { stdout } = await execFileP('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, ...argv], { maxBuffer: 1 << 28, encoding: 'utf8' });
  const [e, u, s, m] = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
  return { stdout, usage: { wallS: e, cpuS: u + s, maxRssKiB: m } };
}

interface CyclicRep {
  tool: 'probe' | 'cyclictest';
  rep: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  usage: Usage;
}

async function probeRep(probe: string, rep: number): Promise<CyclicRep> {
  const { stdout, usage } = await timed([
    probe, 'cyclic', '--threads', '2', '--interval', '1000000', '--distance', '0', '--priority', '80', '--policy', 'fifo',
    '--affinity', '0,1', '--mlockall', '--dma-latency', '--duration-ms', String(DURATION * 1000), '--progress-ms', '0',
  ]);
  const p = assembleStream(stdout);
  if (p.kind !== 'cyclic') throw new Error('expected cyclic');
  if (p.applied.policy !== 'fifo') throw new Error(`probe did not get SCHED_FIFO: ${p.applied.policy}`);
  const l = summarizeLatency(p.latency);
  return { tool: 'probe', rep, samples: l.count, p50: l.p50, p99: l.p99, max: l.max, usage };
}

async function cyclictestRep(rep: number): Promise<CyclicRep> {
  const json = path.join(tmp, 'ct.json');
  // Same knobs (cyclictest holds /dev/cpu_dma_latency at 0 by default, hence the probe's
  // --dma-latency); -h gives cyclictest's histogram (1 us bins) and --json writes it for the importer.
  const { usage } = await timed(['cyclictest', '-t', '2', '-i', '1000', '-d', '0', '-p', '80', '--affinity=0-1', '-m', '-D', String(DURATION), '-q', '-h', '10000', `--json=${json}`]);
  const imp = parseCyclictestJson(readFileSync(json, 'utf8'), json);
  const l = summarizeLatency(imp.latency);
  return { tool: 'cyclictest', rep, samples: l.count, p50: l.p50, p99: l.p99, max: l.max, usage };
}

function summarizeTool(reps: CyclicRep[]) {
  const f = (k: (r: CyclicRep) => number) => meanCi(reps.map(k));
  return {
    reps: reps.length,
    samples: reps.reduce((s, r) => s + r.samples, 0),
    p50Ns: f((r) => r.p50),
    p99Ns: f((r) => r.p99),
    maxNs: f((r) => r.max),
    cpuS: f((r) => r.usage.cpuS),
    maxRssKiB: f((r) => r.usage.maxRssKiB),
  };
}

async function syscall(probe: string) {
  const perRep: Array<Record<string, number>> = [];
  const perf: number[] = [];
  for (let i = 0; i < SYSCALL_REPS; i++) {
    const { stdout } = await execFileP(probe, ['syscall'], { maxBuffer: 1 << 24, encoding: 'utf8' });
    const p = assembleStream(stdout);
    if (p.kind !== 'syscall') throw new Error('expected syscall');
    perRep.push(Object.fromEntries(Object.entries(summarizeOps(p.ops).ops).map(([k, v]) => [k, v.nsPerOp])));
    // Interleaved with the probe, so drift hits both alike.
    const r = await execFileP('perf', ['bench', 'syscall', 'basic', '--loop', '2000000'], { encoding: 'utf8' });
    const ns = parsePerfSyscall(r.stdout);
    if (ns === null) throw new Error(`perf output not understood: ${r.stdout}`);
    perf.push(ns);
  }
  const ops = Object.keys(perRep[0]);
  const cvs = Object.fromEntries(ops.map((op) => [op, { meanNs: meanCi(perRep.map((r) => r[op])), cv: cv(perRep.map((r) => r[op])) }]));
  const getppid = meanCi(perRep.map((r) => r.getppid));
  const perfCi = meanCi(perf);
  return { reps: SYSCALL_REPS, ops: cvs, getppid, perf: { meanNs: perfCi, cv: cv(perf), raw: perf }, getppidVsPerf: getppid.mean / perfCi.mean - 1 };
}

const us = (ns: number) => (ns / 1000).toFixed(2);
const ci = (c: { mean: number; low: number; high: number }, f = us) => `${f(c.mean)} [${f(c.low)}, ${f(c.high)}]`;

try {
  const probe = await compileProbe();
  console.log(`# fidelity: ${REPS} x ${DURATION} s per tool, interleaved (probe, cyclictest, probe, ...)`);
  const reps: CyclicRep[] = [];
  for (let i = 1; i <= REPS; i++) {
    // Alternate which goes first so a slow drift does not favour one tool.
    const order = i % 2 ? [() => probeRep(probe, i), () => cyclictestRep(i)] : [() => cyclictestRep(i), () => probeRep(probe, i)];
    for (const run of order) {
      const r = await run();
      reps.push(r);
      console.log(`  rep ${i} ${r.tool.padEnd(10)} samples ${r.samples}  p50 ${us(r.p50)} us  p99 ${us(r.p99)} us  max ${us(r.max)} us  cpu ${r.usage.cpuS.toFixed(2)} s  rss ${r.usage.maxRssKiB} KiB`);
    }
  }
  const probeS = summarizeTool(reps.filter((r) => r.tool === 'probe'));
  const ctS = summarizeTool(reps.filter((r) => r.tool === 'cyclictest'));
  console.log('\n| figure | probe | cyclictest | probe/cyclictest |\n|---|---|---|---|');
  const line = (name: string, a: ReturnType<typeof meanCi>, b: ReturnType<typeof meanCi>, f = us) =>
    console.log(`| ${name} | ${ci(a, f)} | ${ci(b, f)} | ${(a.mean / b.mean).toFixed(3)} |`);
  line('p50 (us)', probeS.p50Ns, ctS.p50Ns);
  line('p99 (us)', probeS.p99Ns, ctS.p99Ns);
  line('max (us)', probeS.maxNs, ctS.maxNs);
  line('CPU time (s)', probeS.cpuS, ctS.cpuS, (x) => x.toFixed(3));
  line('peak RSS (KiB)', probeS.maxRssKiB, ctS.maxRssKiB, (x) => x.toFixed(0));

  console.log(`\n# syscall: probe (all ops) and perf bench syscall basic, ${SYSCALL_REPS} interleaved repetitions`);
  const sc = await syscall(probe);
  console.log('| op | mean ns/op [95% CI] | rep-to-rep CV |\n|---|---|---|');
  for (const [op, v] of Object.entries(sc.ops)) console.log(`| ${op} | ${ci(v.meanNs, (x) => x.toFixed(2))} | ${(v.cv * 100).toFixed(2)}% |`);
  console.log(`| perf getppid | ${ci(sc.perf.meanNs, (x) => x.toFixed(2))} | ${(sc.perf.cv * 100).toFixed(2)}% |`);
  console.log(`probe getppid / perf - 1 = ${(sc.getppidVsPerf * 100).toFixed(1)}%`);

  const out = { machine: machine(), date: new Date().toISOString(), reps: REPS, durationS: DURATION, cyclic: { probe: probeS, cyclictest: ctS, raw: reps }, syscall: sc };
  const file = args.out ?? path.join(ROOT, 'test-artifacts/bench/fidelity.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  await cleanupProbes();
}
