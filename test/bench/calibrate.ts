/**
 * `npm run calibrate`: how often does `compare` cry wolf, and does it catch a real regression?
 * Runs A/A pairs of a short real scenario (same config twice) and counts comparisons that call
 * a gated regression (exit 1; target: at most 1 of 20 pairs), then A/B pairs with a stress-ng
 * load on the candidate and counts how often the p99 regression is caught (target: every time).
 * The scenario gates what the README recommends a nightly job gate (p99, p99.9 and the syscall
 * ops, relative gates at GATE_PCT), so compare judges exactly as a nightly job's would: only
 * gated metrics can fail it, Holm-corrected per group pair (stats/compare.ts). Each pair's log
 * line gives the minimum detectable p99 change for its repetitions (stats/mde.ts).
 * Each run has REPS interleaved repetitions (default 3): one run alone cannot see how much the
 * machine changes between runs, repetitions can (compare widens its intervals by them).
 * Not part of the test suite. Env: PAIRS (default 20), AB_PAIRS (default 5), SECONDS_PER_RUN
 * (default 2, per repetition), REPS (default 3), GATE_PCT (default 10).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const PAIRS = Number(process.env.PAIRS ?? 20);
const AB_PAIRS = Number(process.env.AB_PAIRS ?? 5);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 2);
const REPS = Number(process.env.REPS ?? 3);
const GATE_PCT = Number(process.env.GATE_PCT ?? 10);
/** The gates of the README's nightly example. */
const GATED = ['p99', 'p99.9', 'syscall.func', 'syscall.getppid', 'syscall.read'];
const dir = mkdtempSync(join(tmpdir(), 'unilat-calibrate-'));

function scenarioFile(sub: string, load: boolean): string {
  mkdirSync(join(dir, sub), { recursive: true });
  const f = join(dir, sub, 'calib.yaml');
  writeFileSync(
    f,
    `name: calib
repetitions: ${REPS}
deployments:
  - name: bare
    kind: bare-metal
${load ? '    load: {tool: stress-ng, args: ["--cpu", "2", "--vm", "2", "--vm-bytes", "256M", "--io", "1"]}\n' : ''}benchmarks:
  - {name: wakeup, kind: cyclic, threads: 2, interval: 1ms, priority: 80, policy: fifo, duration: ${SECONDS}s}
  - {name: sys, kind: syscall, batches: 50, ops: [func, getppid, read]}
gates: [${GATED.map((m) => `"${m} may not regress more than ${GATE_PCT}%"`).join(', ')}]
`,
  );
  return f;
}

async function run(file: string): Promise<string> {
  const r = await runCli(['run', file, '--out', join(dir, 'runs'), '--db', join(dir, 'h.db'), '--quiet']);
  if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

interface Row {
  metric: string;
  key: string;
  verdict: string;
  gated?: boolean;
  ratio: number;
  ratioLow: number | null;
  ratioHigh: number | null;
  note?: string;
  mde?: { relative: number | null; repetitionsForTarget: number | null };
}

/** One pair's p99 (wakeup) figure and every non-null verdict, for the per-pair log. */
function detail(rows: Row[]): string {
  const p99 = rows.find((r) => r.metric === 'p99' && r.key.includes('wakeup'));
  const deff = /baseline deff ([\d.]+).*candidate deff ([\d.]+)/.exec(p99?.note ?? '');
  const iv = p99 && p99.ratioLow !== null ? `p99 x${p99.ratio.toFixed(2)} [${p99.ratioLow.toFixed(2)}, ${p99.ratioHigh!.toFixed(2)}]` : 'p99 -';
  const calls = rows.filter((r) => r.verdict !== 'no significant change').map((r) => `${r.key.split('/')[0]}.${r.metric} ${r.verdict}${r.gated ? ' (gated)' : ''}`);
  const mde = p99?.mde?.relative != null ? ` MDE ±${(p99.mde.relative * 100).toFixed(1)}% (±5%: ${p99.mde.repetitionsForTarget} reps)` : '';
  return `${iv}${deff ? ` deff ${deff[1]}/${deff[2]}` : ''}${mde}${calls.length ? `; ${calls.join(', ')}` : ''}`;
}

async function compare(a: string, b: string): Promise<{ code: number | null; rows: Row[] }> {
  const out = mkdtempSync(join(dir, 'cmp-'));
  const r = await runCli(['compare', a, b, '--out', out]);
  // compare writes into a folder named after both runs, inside --out.
  const rows = (JSON.parse(readFileSync(join(out, `compare-${basename(a)}-vs-${basename(b)}`, 'compare.json'), 'utf8')) as { rows: Row[] }).rows;
  return { code: r.code, rows };
}

const idle = scenarioFile('idle', false);
const loaded = scenarioFile('load', true);
let falseAlarms = 0;
let anyCalled = 0;
const wrongRows = new Map<string, number>();
const mdes: number[] = [];
for (let i = 0; i < PAIRS; i++) {
  const c = await compare(await run(idle), await run(idle));
  if (c.code === 1) falseAlarms++;
  if (c.rows.some((r) => r.verdict !== 'no significant change')) anyCalled++;
  const m = c.rows.find((r) => r.metric === 'p99' && r.key.includes('wakeup'))?.mde?.relative;
  if (m != null) mdes.push(m);
  for (const r of c.rows) if (r.verdict !== 'no significant change') wrongRows.set(`${r.metric} ${r.verdict}`, (wrongRows.get(`${r.metric} ${r.verdict}`) ?? 0) + 1);
  process.stderr.write(`A/A ${i + 1}/${PAIRS}: ${c.code === 1 ? 'REGRESSION called' : 'ok'} (${detail(c.rows)})\n`);
}
let caught = 0;
for (let i = 0; i < AB_PAIRS; i++) {
  const c = await compare(await run(idle), await run(loaded));
  const p99 = c.rows.find((r) => r.metric === 'p99' && r.key.includes('wakeup'));
  if (c.code === 1 && p99?.verdict === 'worse') caught++;
  process.stderr.write(`A/B ${i + 1}/${AB_PAIRS}: p99 ${p99?.verdict ?? 'missing'} (${detail(c.rows)})\n`);
}
const summary = {
  machine: { cpus: (await import('node:os')).cpus()[0]?.model, kernel: (await import('node:os')).release() },
  settings: { repetitions: REPS, secondsPerRepetition: SECONDS, gates: GATED.map((m) => `${m} may not regress more than ${GATE_PCT}%`) },
  aa: {
    pairs: PAIRS,
    regressionsCalled: falseAlarms,
    rate: falseAlarms / PAIRS,
    target: '<= 1 of 20',
    // Reported (ungated) metrics too, Holm-corrected per group pair: how often any verdict at all was called.
    pairsWithAnyVerdict: anyCalled,
    nonNullVerdicts: Object.fromEntries(wrongRows),
    p99MinimumDetectableChange: mdes.length ? { median: mdes.sort((a, b) => a - b)[Math.floor(mdes.length / 2)], max: mdes[mdes.length - 1] } : null,
  },
  ab: { pairs: AB_PAIRS, p99Caught: caught, rate: caught / AB_PAIRS, target: '1.0' },
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
rmSync(dir, { recursive: true, force: true });
