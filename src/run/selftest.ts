/**
 * `unilat selftest`: the instrument checked against the tools the field trusts, on the user's
 * own hosts. A generated scenario runs through the normal run lifecycle (lifecycle.ts), so the
 * self-test is a run folder like any other: on bare metal, N interleaved repetitions of
 *   probe-fifo      kind: cyclic, SCHED_FIFO 80, 1 thread, 1 ms   vs cyclictest-fifo (same knobs)
 *   probe-deadline  kind: cyclic, SCHED_DEADLINE 2400/4000/4000 us vs cyclicdeadline (4 ms: the
 *                   runtime it picks is 60% of that, 2.4 ms, which needs no HRTICK)
 *   syscall         kind: syscall with perf: true (the probe's getppid vs perf bench syscall basic).
 * Then, from the record alone (selftestOf, pure), per host and policy, each figure of the probe
 * against the reference's as a ratio with a 95% interval and a verdict (stats/fidelity.ts):
 * p50 and p99 (compareGroups: bootstrap over the histograms widened by batch means and by the
 * repetitions), max and mean (the repetitions' figures, a Welch interval on logs), the tools'
 * own CPU time and peak RSS (result.context.usage, see deploy/usage.ts), getppid ns/op; and the
 * probe's own clock resolution, timer slack and loop overhead. The reference's quantization
 * (cyclictest truncates to whole us: v stands for [v, v+1) us; cyclicdeadline's difference of
 * two truncated readings for (v-1, v+1) us; CPU time in 10 ms steps) and the record
 * histogram's bucket width (1/128 of a value) are allowed for in every interval.
 */
import { join } from 'node:path';
import type { ResolvedHost } from '../hosts/inventory.js';
import { mdText } from '../report/md.js';
import { DASH, nsop, percent, ratio3, us } from '../report/format.js';
import { writeAtomic } from '../results/store.js';
import { isLatencyResult, isOpsResult, type CompletedLatencyResult, type CompletedOpsResult, type Result, type RunRecord } from '../results/types.js';
import { scenarioSchema, type Scenario } from '../scenario/schema.js';
import { repetitionRatioInterval, tailSupport } from '../stats/bootstrap.js';
import { compareGroups, countedResults, resultGroups, METRIC_QUANTILE, type ResultGroup } from '../stats/compare.js';
import { EXACT, fidelityVerdict, quantizedRatio, truncatedTo, verdictText, type FidelityVerdict, type Quantization, type RatioEstimate } from '../stats/fidelity.js';
import { median, sortInPlace } from '../stats/median.js';
import { runScenario, type RunOptions, type RunOutcome } from './lifecycle.js';

export const SELFTEST_NAME = 'selftest';
export const DEFAULT_TOLERANCE = 0.1;
const LEVEL = 0.95;

/** The policies the self-test checks: the probe's benchmark, its reference tool's, and how the tool's printed figures stand for true ones. */
export const SELFTEST_PAIRS = [
  { policy: 'fifo', probe: 'probe-fifo', reference: 'cyclictest-fifo', tool: 'cyclictest', quantization: { low: 0, high: 1000 } },
  { policy: 'deadline', probe: 'probe-deadline', reference: 'cyclicdeadline', tool: 'cyclicdeadline', quantization: { low: -1000, high: 1000 } },
] as const;

/** The generated scenario: every benchmark on bare metal, `repetitions` interleaved repetitions of `durationNs`. */
export function selftestScenario(hosts: string[], repetitions: number, durationNs: number): Scenario {
  const fifo = { threads: 1, interval: '1ms', policy: 'fifo', priority: 80, mlockall: true, dmaLatency: true };
  const deadline = { threads: 1, interval: '4ms', runtime: '2400us', deadline: '4ms', period: '4ms' };
  return scenarioSchema.parse({
    name: SELFTEST_NAME,
    description: 'unilat selftest: the probe against cyclictest, cyclicdeadline and perf bench syscall basic',
    hosts,
    repetitions,
    duration: `${durationNs}ns`,
    deployments: [{ name: 'bare', kind: 'bare-metal' }],
    benchmarks: [
      { name: 'probe-fifo', kind: 'cyclic', ...fifo },
      { name: 'cyclictest-fifo', kind: 'cyclictest', ...fifo },
      { name: 'probe-deadline', kind: 'cyclic', ...deadline, policy: 'deadline', mlockall: true, dmaLatency: false },
      { name: 'cyclicdeadline', kind: 'cyclicdeadline', ...deadline },
      { name: 'syscall', kind: 'syscall', perf: true },
    ],
  });
}

/** One figure of the probe against its reference. Latencies in ns, CPU time in s, RSS in KiB, ns/op. */
export interface SelftestFigure {
  host: string;
  policy: 'fifo' | 'deadline' | 'syscall';
  figure: 'p50' | 'p99' | 'max' | 'mean' | 'cpu time' | 'peak RSS' | 'getppid';
  unit: 'ns' | 's' | 'KiB' | 'ns/op';
  /** The reference tool. */
  reference: string;
  probeValue: number | null;
  referenceValue: number | null;
  /** probe / reference of true values, with its interval (quantization allowed for); null: not comparable. */
  ratio: number | null;
  low: number | null;
  high: number | null;
  verdict: string;
  verdictKind: FidelityVerdict['kind'] | 'n/a';
  /** How the interval was made, or why there is none. */
  note: string;
}

/** One of the probe's own figures (the same on every repetition, as a rule). */
export interface InstrumentFigure {
  host: string;
  figure: 'clock resolution' | 'timer slack' | 'loop overhead';
  /** ns, median of the probe's runs; null when no run said. */
  valueNs: number | null;
  values: number[];
  note: string;
}

export interface Selftest {
  runId: string;
  hosts: string[];
  repetitions: number;
  durationNs: number;
  tolerance: number;
  level: number;
  figures: SelftestFigure[];
  instrument: InstrumentFigure[];
  /** Steps without figures: "host benchmark#rep: error". */
  failed: string[];
}

interface Usage {
  cpuS: number;
  maxRssKiB: number | null;
  resolutionS: number;
  method: string;
}

function usageOf(r: Result): Usage | null {
  const u = r.context?.usage as Partial<Usage> | undefined;
  return u && typeof u.cpuS === 'number' && typeof u.resolutionS === 'number' ? { cpuS: u.cpuS, maxRssKiB: u.maxRssKiB ?? null, resolutionS: u.resolutionS, method: String(u.method) } : null;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** A figure from per-repetition values of both sides: the ratio of means, a Welch interval on logs over the repetitions. */
function fromRepetitions(p: number[], r: number[], qp: Quantization, qr: Quantization): { e: RatioEstimate; pv: number; rv: number } {
  const pv = mean(p);
  const rv = mean(r);
  const iv = repetitionRatioInterval(r, p, LEVEL);
  const e = quantizedRatio({ ratio: pv / rv, low: iv ? iv[0] : NaN, high: iv ? iv[1] : NaN }, pv, rv, qp, qr);
  return { e, pv, rv };
}

/** A half bucket of the record's histograms around a value (its figures are bucket midpoints). */
function bucketError(v: number): Quantization {
  return { low: -v / 256, high: v / 256 };
}

function plus(a: Quantization, b: Quantization): Quantization {
  return { low: a.low + b.low, high: a.high + b.high };
}

/** The self-test's figures and verdicts from a run record of the self-test scenario (pure). */
export function selftestOf(record: RunRecord, tolerance = DEFAULT_TOLERANCE): Selftest {
  const scenario = 'imported' in record.scenario ? null : record.scenario;
  const repetitions = scenario?.repetitions ?? 0;
  const counted = countedResults(record);
  const hosts = [...new Set(record.plan?.order.map((o) => o.split(':')[0]) ?? counted.map((r) => r.host))];
  const groups = resultGroups(record);
  const figures: SelftestFigure[] = [];
  const instrument: InstrumentFigure[] = [];
  const judged = (f: Omit<SelftestFigure, 'ratio' | 'low' | 'high' | 'verdict' | 'verdictKind'>, e: RatioEstimate, reps: number): SelftestFigure => {
    const v = fidelityVerdict(e, tolerance, reps);
    return { ...f, ratio: e.ratio, low: Number.isNaN(e.low) ? null : e.low, high: Number.isNaN(e.high) ? null : e.high, verdict: verdictText(v), verdictKind: v.kind };
  };
  const none = (f: Omit<SelftestFigure, 'ratio' | 'low' | 'high' | 'verdict' | 'verdictKind'>): SelftestFigure => ({ ...f, ratio: null, low: null, high: null, verdict: 'n/a', verdictKind: 'n/a' });

  for (const host of hosts) {
    const of = (benchmark: string) => counted.filter((r) => r.host === host && r.benchmark === benchmark);
    for (const pair of SELFTEST_PAIRS) {
      const probe = of(pair.probe).filter(isLatencyResult);
      const ref = of(pair.reference).filter(isLatencyResult);
      const base = { host, policy: pair.policy, reference: pair.tool } as const;
      const reps = Math.min(probe.length, ref.length);
      if (!probe.length || !ref.length) {
        const missing = !probe.length ? pair.probe : pair.reference;
        for (const figure of ['p50', 'p99', 'max', 'mean', 'cpu time', 'peak RSS'] as const)
          figures.push(none({ ...base, figure, unit: figure === 'cpu time' ? 's' : figure === 'peak RSS' ? 'KiB' : 'ns', probeValue: null, referenceValue: null, note: `no completed ${missing} results on ${host}` }));
        continue;
      }
      figures.push(...percentileFigures(base, groups, pair, probe, ref, tolerance, reps, judged, none));
      for (const figure of ['max', 'mean'] as const) {
        const pick = (r: CompletedLatencyResult) => r.latency[figure];
        const { e, pv, rv } = fromRepetitions(probe.map(pick), ref.map(pick), EXACT, pair.quantization);
        const note = `mean of the ${reps} repetitions' ${figure}; Welch interval over repetitions; ${pair.tool}'s ${quantizationText(pair.quantization)}${pair.tool === 'cyclicdeadline' ? behind(ref) : ''}`;
        figures.push(judged({ ...base, figure, unit: 'ns', probeValue: pv, referenceValue: rv, note }, e, reps));
      }
      figures.push(...usageFigures(base, probe, ref, reps, judged, none));
    }
    figures.push(syscallFigure(host, of('syscall').filter(isOpsResult), tolerance, judged, none));
    instrument.push(...instrumentFigures(host, [...of('probe-fifo'), ...of('probe-deadline')].filter(isLatencyResult), figures));
  }
  const failed = record.results.flatMap((r) => (r.status === 'completed' ? [] : [`${r.host} ${r.benchmark}#${r.repetition}: ${r.error.split('\n')[0]}`]));
  return { runId: record.id, hosts, repetitions, durationNs: scenario?.duration ?? 0, tolerance, level: LEVEL, figures, instrument, failed };
}

/**
 * cyclicdeadline moves its period grid on by one period per wake-up and never re-aligns it: once
 * a wake-up missed a whole period, every later sample carries that period. Said where a
 * repetition's mean is above half its period.
 */
function behind(ref: CompletedLatencyResult[]): string {
  const late = ref.filter((r) => r.latency.threads[0] && r.latency.mean > r.latency.threads[0].intervalNs / 2);
  return late.length
    ? `; in ${late.length} of ${ref.length} repetitions cyclicdeadline's mean is above half its period: it does not re-align its period grid after a missed period, so every later sample carries the period it fell behind`
    : '';
}

type Judged = (f: Omit<SelftestFigure, 'ratio' | 'low' | 'high' | 'verdict' | 'verdictKind'>, e: RatioEstimate, reps: number) => SelftestFigure;
type None = (f: Omit<SelftestFigure, 'ratio' | 'low' | 'high' | 'verdict' | 'verdictKind'>) => SelftestFigure;
type Base = Pick<SelftestFigure, 'host' | 'policy' | 'reference'>;

function quantizationText(q: Quantization): string {
  return q.low === 0 ? `whole us: v stands for [v, v+${q.high / 1000}) us` : `difference of two whole-us readings: v stands for (v${q.low / 1000}, v+${q.high / 1000}) us`;
}

/** p50 and p99: compareGroups' interval of the pooled histograms' ratio, quantization and bucket widths allowed for. */
function percentileFigures(base: Base, groups: ResultGroup[], pair: (typeof SELFTEST_PAIRS)[number], probe: CompletedLatencyResult[], ref: CompletedLatencyResult[], tolerance: number, reps: number, judged: Judged, none: None): SelftestFigure[] {
  const metrics = ['p50', 'p99'] as const;
  // No distribution: no bins (its percentiles are NaN in memory, null in a stored run.json).
  if (ref.some((r) => r.latency.histogram.bins.length === 0 || !Number.isFinite(r.latency.p50)))
    return metrics.map((figure) => none({ ...base, figure, unit: 'ns', probeValue: probe.length ? mean(probe.map((r) => r.latency[figure])) : null, referenceValue: null, note: `${pair.tool} keeps no histogram: no percentiles to compare (max and mean are)` }));
  const group = (b: string) => groups.find((g) => g.host === base.host && g.benchmark === b)!;
  const cmp = compareGroups([[`${pair.policy}@${base.host}`, group(pair.reference), group(pair.probe)]], { metrics, ops: false, threshold: tolerance, level: LEVEL });
  return metrics.map((figure) => {
    const row = cmp.rows.find((r) => r.metric === figure)!;
    const support = [row.samples.baseline, row.samples.candidate].map((n) => tailSupport(n, METRIC_QUANTILE[figure]));
    const note = `pooled ${figure}; bootstrap interval widened by batch means and repetitions (compare); ${pair.tool}'s ${quantizationText(pair.quantization)}; histogram buckets of 1/128`;
    const f = { ...base, figure, unit: 'ns' as const, probeValue: row.candidate, referenceValue: row.baseline };
    const e = quantizedRatio({ ratio: row.ratio, low: row.ratioLow ?? NaN, high: row.ratioHigh ?? NaN }, row.candidate, row.baseline, bucketError(row.candidate), plus(pair.quantization, bucketError(row.baseline)));
    // Too few samples beyond the percentile: noise, whatever the interval says.
    if (!support.every((s) => s.supported))
      return judged({ ...f, note: `${figure} needs ${support[0].countNeeded} samples per side (have ${row.samples.candidate} / ${row.samples.baseline}): run longer` }, { ratio: e.ratio, low: NaN, high: NaN }, reps);
    return judged({ ...f, note }, e, reps);
  });
}

/** The tools' own CPU time and peak RSS, from result.context.usage. */
function usageFigures(base: Base, probe: CompletedLatencyResult[], ref: CompletedLatencyResult[], reps: number, judged: Judged, none: None): SelftestFigure[] {
  const pu = probe.map(usageOf);
  const ru = ref.map(usageOf);
  const out: SelftestFigure[] = [];
  if (pu.some((u) => !u) || ru.some((u) => !u)) {
    const note = 'not measured (a result without context.usage)';
    return [none({ ...base, figure: 'cpu time', unit: 's', probeValue: null, referenceValue: null, note }), none({ ...base, figure: 'peak RSS', unit: 'KiB', probeValue: null, referenceValue: null, note })];
  }
  const p = pu as Usage[];
  const r = ru as Usage[];
  const how = `${p[0].method === 'wait4' ? 'GNU time (wait4 rusage of the tool)' : 'the waiting shell\'s cutime + cstime'}, ${p[0].resolutionS * 1000} ms steps`;
  const cpu = fromRepetitions(p.map((u) => u.cpuS), r.map((u) => u.cpuS), truncatedTo(p[0].resolutionS), truncatedTo(r[0].resolutionS));
  out.push(judged({ ...base, figure: 'cpu time', unit: 's', probeValue: cpu.pv, referenceValue: cpu.rv, note: `user + system CPU time per repetition, ${how}; Welch interval over repetitions` }, cpu.e, reps));
  if (p.some((u) => u.maxRssKiB === null) || r.some((u) => u.maxRssKiB === null))
    out.push(none({ ...base, figure: 'peak RSS', unit: 'KiB', probeValue: null, referenceValue: null, note: 'no GNU time on the host (apt-get install time): peak RSS not measured' }));
  else {
    const rss = fromRepetitions(p.map((u) => u.maxRssKiB!), r.map((u) => u.maxRssKiB!), EXACT, EXACT);
    out.push(judged({ ...base, figure: 'peak RSS', unit: 'KiB', probeValue: rss.pv, referenceValue: rss.rv, note: 'ru_maxrss of the tool (GNU time); Welch interval over repetitions' }, rss.e, reps));
  }
  return out;
}

/** The probe's getppid against perf bench syscall basic's, the same way `unilat compare` compares ops. */
function syscallFigure(host: string, runs: CompletedOpsResult[], tolerance: number, judged: Judged, none: None): SelftestFigure {
  const base = { host, policy: 'syscall', figure: 'getppid', unit: 'ns/op', reference: 'perf bench syscall basic' } as const;
  const both = runs.filter((r) => r.ops.getppid && r.ops['perf:getppid']);
  if (!both.length) {
    const why = runs.flatMap((r) => r.warnings).find((w) => /perf/.test(w.code))?.message ?? `no completed syscall results with perf on ${host}`;
    return none({ ...base, probeValue: runs[0]?.ops.getppid?.nsPerOp ?? null, referenceValue: null, note: why });
  }
  const g = (ops: ResultGroup['ops'], benchmark: string): ResultGroup => ({ deployment: 'bare', benchmark, host, latency: [], ops });
  const cmp = compareGroups([[`syscall@${host}`, g(both.map((r) => ({ getppid: r.ops['perf:getppid'] })), 'perf'), g(both.map((r) => ({ getppid: r.ops.getppid })), 'probe')]], { metrics: [], ops: true, threshold: tolerance, level: LEVEL });
  const row = cmp.rows[0];
  return judged(
    { ...base, probeValue: row.candidate, referenceValue: row.baseline, note: 'median ns/op; bootstrap of per-batch samples widened by repetitions (compare); perf times a loop of getppid() calls' },
    { ratio: row.ratio, low: row.ratioLow ?? NaN, high: row.ratioHigh ?? NaN },
    both.length,
  );
}

/** The probe's clock resolution, timer slack and loop overhead as its runs reported them. */
function instrumentFigures(host: string, runs: CompletedLatencyResult[], figures: SelftestFigure[]): InstrumentFigure[] {
  const pick = (key: 'clockResolutionNs' | 'timerSlackNs' | 'loopOverheadNs') =>
    runs.map((r) => (r.applied as unknown as Record<string, unknown> | null)?.[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const med = (v: number[]) => (v.length ? median(sortInPlace([...v])) : null);
  const res = pick('clockResolutionNs');
  const slack = pick('timerSlackNs');
  const loop = pick('loopOverheadNs');
  const p50 = figures.find((f) => f.host === host && f.policy === 'fifo' && f.figure === 'p50')?.probeValue ?? null;
  const r = med(res);
  const l = med(loop);
  return [
    { host, figure: 'clock resolution', valueNs: r, values: res, note: r === null ? 'not reported' : r > 1000 ? 'coarser than the 1 us steps of cyclictest: latencies below it are not resolved' : 'clock_getres(CLOCK_MONOTONIC); cyclictest and cyclicdeadline print whole us' },
    { host, figure: 'timer slack', valueNs: med(slack), values: slack, note: slack.length ? 'PR_GET_TIMERSLACK of the probe; the kernel lets real-time and deadline tasks sleep without slack' : 'not reported' },
    { host, figure: 'loop overhead', valueNs: l, values: loop, note: l === null ? 'not reported' : `one clock read pair${p50 ? `: ${percent(l / p50)} of the probe's fifo p50` : ''}` },
  ];
}

function fmt(v: number | null, unit: SelftestFigure['unit']): string {
  if (v === null) return DASH;
  if (unit === 'ns') return `${us(v)} us`;
  if (unit === 's') return `${v.toFixed(3)} s`;
  if (unit === 'KiB') return `${Math.round(v)} KiB`;
  return `${nsop(v)} ns`;
}

/** A ratio to 3 decimals; a bound of a wide interval (few repetitions) short. */
function ratioText(v: number): string {
  return v < 100 ? ratio3(v) : v < 1e4 ? v.toFixed(0) : v.toExponential(1);
}

/** selftest.md: the verdict table, the notes, the probe's own figures. */
export function selftestMarkdown(s: Selftest): string {
  const lines = [
    '# unilat selftest',
    '',
    `Run ${mdText(s.runId)}: ${s.repetitions} interleaved repetitions of ${s.durationNs / 1e9} s per tool on ${s.hosts.map(mdText).join(', ')}; ` +
      `verdicts against a tolerance of ±${percent(s.tolerance)} on ${s.level * 100}% intervals of probe/reference.`,
    '',
    '| host | policy | figure | probe | reference | probe/reference [95% interval] | verdict |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const f of s.figures) {
    const ratio = f.ratio === null ? DASH : `${ratioText(f.ratio)} [${f.low === null ? '?' : ratioText(f.low)}, ${f.high === null ? '?' : ratioText(f.high)}]`;
    lines.push(`| ${mdText(f.host)} | ${f.policy} | ${f.figure} | ${fmt(f.probeValue, f.unit)} | ${fmt(f.referenceValue, f.unit)} (${mdText(f.reference)}) | ${ratio} | ${f.verdict} |`);
  }
  lines.push('', '## How each figure was judged', '');
  for (const f of s.figures) lines.push(`- ${mdText(f.host)} ${f.policy} ${f.figure}: ${mdText(f.note)}`);
  lines.push('', "## The probe's own figures", '', '| host | figure | value | note |', '|---|---|---|---|');
  for (const i of s.instrument) lines.push(`| ${mdText(i.host)} | ${i.figure} | ${i.valueNs === null ? DASH : `${i.valueNs} ns`} | ${mdText(i.note)} |`);
  if (s.failed.length) lines.push('', '## Steps that failed', '', ...s.failed.map((f) => `- ${mdText(f)}`));
  return `${lines.join('\n')}\n`;
}

export interface SelftestOptions extends Omit<RunOptions, 'durationNs' | 'only'> {
  repetitions: number;
  durationNs: number;
  tolerance: number;
}

export interface SelftestOutcome {
  outcome: RunOutcome;
  selftest: Selftest;
  markdown: string;
}

/** Runs the self-test on `hosts` and writes selftest.json and selftest.md into its run folder. */
export async function runSelftest(hosts: ResolvedHost[], o: SelftestOptions): Promise<SelftestOutcome> {
  const scenario = selftestScenario(hosts.map((h) => h.name), o.repetitions, o.durationNs);
  const outcome = await runScenario(scenario, '(generated by unilat selftest)', hosts, o);
  const selftest = selftestOf(outcome.record, o.tolerance);
  const markdown = selftestMarkdown(selftest);
  await writeAtomic(join(outcome.dir, 'selftest.json'), `${JSON.stringify(selftest, null, 1)}\n`);
  await writeAtomic(join(outcome.dir, 'selftest.md'), markdown);
  return { outcome, selftest, markdown };
}
