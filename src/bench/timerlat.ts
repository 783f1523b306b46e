/**
 * The timerlat benchmark: `rtla timerlat hist` (Debian package rtla) on the target, on bare
 * metal through its Transport or inside a `vm` guest that carries the controller's rtla and its
 * shared libraries (deploy/guest/tool.ts). The kernel's timerlat tracer wakes a thread on each
 * measured CPU every period and records two latencies per wake-up: at the timer IRQ and when
 * the thread runs (a third, back in user space, with rtla -u). Its histogram becomes one
 * latency result: every CPU x context a thread of it (with `context`), the result's own summary
 * that of the thread context (output.ts timerlatResult), so statistics, comparisons, gates and
 * plots work as for cyclic and cyclictest.
 *
 * A kernel without the tracer (CONFIG_TIMERLAT_TRACER) fails the step and says how to get one.
 * On bare metal tracefs is mounted where it is not, and rtla's trace instance and the osnoise
 * options it sets are journaled before it runs (journalRtla), so a killed rtla leaves nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { runGuestTool } from '../deploy/guest/tool.js';
import { InputError, RunFailedError } from '../errors.js';
import { tracefsRoot, TracingUnavailable } from '../prepare/tracing.js';
import type { HostJournal } from '../prepare/journal.js';
import type { AppliedConfig, LatencyFigures, Warning } from '../results/types.js';
import type { GuestDeployment, TimerlatBenchmark } from '../scenario/schema.js';
import { shellJoin } from '../transport/quote.js';
import type { Transport } from '../transport/transport.js';
import type { BenchmarkContext, ToolBenchmark } from './benchmark.js';
import { refused, requireTool, toolFailed } from './cyclictest.js';
import { buildTimerlatArgs, rtlaOptions, type RtlaOptions, type TimerlatRequest } from './timerlat/args.js';
import { parseTimerlatHist, timerlatFigures, timerlatResult } from './timerlat/output.js';

export const timerlat: ToolBenchmark<TimerlatBenchmark> = {
  kind: 'timerlat',
  runs: 'tool',
  expectedMs: (step) => Math.max(1, Math.ceil((step.benchmark.duration ?? step.durationNs) / 1e9 - 1e-9)) * 1000,
  async measure(step, c) {
    const b = step.benchmark;
    const r = step.deployment.kind === 'bare-metal' ? await runTimerlat(c.transport, need(c, 'journal'), b, step.durationNs, c.signal) : await runTimerlatInGuest(step.deployment, b, step.durationNs, c);
    // rtla's own output kept beside the record: `unilat import` reads it back.
    const file = `rtla-${need(c, 'stepLabel')}.txt`;
    await mkdir(need(c, 'runDir'), { recursive: true });
    await writeFile(join(need(c, 'runDir'), file), r.stdout);
    return { status: 'completed', applied: timerlatApplied(r.applied), latency: timerlatResult(r.latency), warnings: r.warnings, context: { ...r.context, timerlat: { ...r.applied, file } } };
  },
};

function need<K extends keyof BenchmarkContext>(c: BenchmarkContext, k: K): NonNullable<BenchmarkContext[K]> {
  const v = c[k];
  if (v === undefined || v === null) throw new Error(`internal: timerlat needs the step's ${k}`);
  return v as NonNullable<BenchmarkContext[K]>;
}

/** What rtla ran as, in the run record's context (`timerlat`). */
export interface TimerlatApplied {
  tool: 'rtla';
  version: string | null;
  commandLine: string[];
  request: TimerlatRequest;
  /** Options of those the harness uses (-u, -H, --no-aa, --dma-latency) that this rtla lacks. */
  unavailable: string[];
  /** The kernel rtla ran under (uname -r). */
  kernel: string | null;
  /** CPU and context of each column rtla printed, in order (the result's thread numbers). */
  columns: Array<{ cpu: number; context: string }>;
}

export interface TimerlatRun {
  latency: LatencyFigures;
  applied: TimerlatApplied;
  warnings: Warning[];
  /** The deployment's part of the result's context (a guest's boot and kernel). */
  context: Record<string, unknown>;
  /** What rtla printed (its histogram). */
  stdout: string;
}

function timerlatApplied(a: TimerlatApplied): AppliedConfig {
  return {
    mode: 'timerlat',
    policy: 'fifo',
    priority: a.request.priority,
    threads: new Set(a.columns.map((c) => c.cpu)).size,
    intervalNs: a.request.periodUs * 1000,
    distanceNs: 0,
    affinity: a.request.cpus ?? [],
    mlockall: false,
    dmaLatency: a.request.dmaLatency,
    clockResolutionNs: a.request.unit === 'ns' ? 1 : 1000,
    probeVersion: `rtla ${a.version ?? '?'}`,
    ...(a.kernel ? { kernel: a.kernel } : {}),
  };
}

/** $1: tracefs. The CPU count, the kernel (release, version, /sys/kernel/realtime), the tracers, then rtla timerlat hist's help. */
const FACTS_SH = `echo "cpus $(getconf _NPROCESSORS_CONF 2>/dev/null || nproc --all 2>/dev/null || grep -c ^processor /proc/cpuinfo)"
echo "release $(uname -r)"
echo "version $(uname -v)"
echo "realtime $(cat /sys/kernel/realtime 2>/dev/null)"
echo "tracers $(cat "$1/available_tracers" 2>/dev/null)"
echo help
rtla timerlat hist --help 2>&1
exit 0`;

interface TargetFacts {
  cpus: number;
  release: string;
  version: string;
  /** /sys/kernel/realtime (1 on PREEMPT_RT); null where the file is not. */
  realtime: number | null;
  tracers: string[];
  help: string;
}

function readFacts(text: string, where: string): TargetFacts {
  const at = text.indexOf('\nhelp\n');
  const head = new Map((at < 0 ? text : text.slice(0, at)).split('\n').map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1).trim()] as const));
  const cpus = Number(head.get('cpus'));
  if (!(Number.isInteger(cpus) && cpus > 0)) throw new RunFailedError(`${where}: cannot tell how many CPUs it has: ${text.trim().split('\n')[0] ?? ''}`);
  const rt = head.get('realtime');
  return { cpus, release: head.get('release') ?? '?', version: head.get('version') ?? '', realtime: rt ? Number(rt) : null, tracers: (head.get('tracers') ?? '').split(/\s+/).filter(Boolean), help: at < 0 ? '' : text.slice(at + 6) };
}

/** The exit-3 message of a kernel without the tracer: which kernel, what it has, how to get one that has it. */
export function noTracerMessage(where: string, release: string, tracers: string[]): string {
  return (
    `${where}: kernel ${release} has no timerlat tracer (CONFIG_TIMERLAT_TRACER is not set; its tracers: ${tracers.join(' ') || 'none'}), which rtla timerlat needs: ` +
    'boot a kernel built with it, such as Debian\'s PREEMPT_RT kernel (apt-get install linux-image-rt-amd64), or measure in a vm deployment with kernel: debian-rt'
  );
}

function options(help: string, where: string): RtlaOptions {
  try {
    return rtlaOptions(help);
  } catch (e) {
    throw new RunFailedError(`${where}: rtla timerlat hist --help: ${(e as Error).message}`);
  }
}

/** rtla's stdout into figures and the record's account of the run. */
function readOutput(stdout: string, file: string, argv: string[], req: TimerlatRequest, bench: TimerlatBenchmark, base: Omit<TimerlatApplied, 'columns'>, warnings: Warning[]): { latency: LatencyFigures; applied: TimerlatApplied } {
  let figs;
  let columns: TimerlatApplied['columns'];
  try {
    const h = parseTimerlatHist(stdout, file);
    if (h.unit !== req.unit) throw new InputError(`${file}: figures in ${h.unit}, but ${req.unit} were asked for`);
    figs = timerlatFigures(h, { bucket: req.bucket, entries: req.entries, periodNs: req.periodUs * 1000, spikeThresholdNs: bench.spikeThreshold });
    columns = h.columns.map((c) => ({ cpu: c.cpu, context: c.context }));
  } catch (e) {
    throw e instanceof InputError ? refused('rtla', e, argv) : e;
  }
  if (!figs.all.threads.some((t) => t.histogram.count > 0)) throw new RunFailedError(`${file}: rtla recorded no samples\n  command: ${argv.join(' ')}`);
  warnings.push(...figs.warnings);
  return { latency: figs.all, applied: { ...base, columns } };
}

/** The trace instance rtla timerlat hist makes (6.1 to current). */
const RTLA_INSTANCE = 'timerlat_hist';

/**
 * $1 tracefs: "busy" when rtla's instance is there already (another rtla is running), then the
 * osnoise options rtla sets, "PATH<TAB>VALUE" a line.
 */
const RTLA_STATE_SH = `[ -d "$1/instances/${RTLA_INSTANCE}" ] && echo busy
for f in cpus period_us runtime_us stop_tracing_us stop_tracing_total_us timerlat_period_us print_stack; do
  [ -f "$1/osnoise/$f" ] && printf '%s\t%s\n' "$1/osnoise/$f" "$(cat "$1/osnoise/$f")"
done
exit 0`;

/**
 * Journals what rtla changes, before it runs: it puts its instance and options back when it
 * exits, but not when it is killed (Ctrl-C ends it with SIGKILL, or the connection is lost),
 * and then its instance keeps the tracer's threads waking every period. Undo removes the
 * instance (which stops them) and writes the options back.
 */
export async function journalRtla(t: Transport, journal: HostJournal, root: string, signal?: AbortSignal): Promise<void> {
  const r = await t.run({ script: RTLA_STATE_SH, args: [root] }, { signal, timeoutMs: 30_000 });
  const lines = r.stdout.split('\n').filter(Boolean);
  if (lines.includes('busy')) throw new RunFailedError(`${t.name}: ${root}/instances/${RTLA_INSTANCE} exists: another rtla timerlat hist is running there (or one was killed; remove the folder with rmdir)`);
  const writes = lines.map((l) => l.split('\t')).filter((w) => w.length === 2).map(([path, before]) => ({ area: 'tracing' as const, knob: 'timerlat', kind: 'write' as const, path, before, after: 'rtla' }));
  const entries = await journal.record([...writes, { area: 'tracing', knob: 'timerlat', kind: 'trace-instance', path: `${root}/instances/${RTLA_INSTANCE}`, before: '', after: 'timerlat' }]);
  await journal.settle(entries, 'applied');
}

/** Runs rtla timerlat hist on a bare-metal target. */
export async function runTimerlat(t: Transport, journal: HostJournal, bench: TimerlatBenchmark, durationNs: number, signal?: AbortSignal): Promise<TimerlatRun> {
  await requireTool(t, 'rtla', 'rtla', signal);
  const mark = journal.mark();
  const warnings: Warning[] = [];
  try {
    let root: string;
    try {
      root = await tracefsRoot(t, journal);
    } catch (e) {
      if (e instanceof TracingUnavailable) throw new RunFailedError(`${t.name}: rtla timerlat needs tracefs: ${e.message}`);
      throw e;
    }
    const f = await t.run({ script: FACTS_SH, args: [root] }, { signal, timeoutMs: 30_000 });
    const facts = readFacts(f.stdout, t.name);
    if (!facts.tracers.includes('timerlat')) throw new RunFailedError(noTracerMessage(t.name, facts.release, facts.tracers));
    const opts = options(facts.help, t.name);
    const a = buildTimerlatArgs(bench, durationNs, { options: opts, cpuCount: facts.cpus });
    warnings.push(...a.warnings);
    await journalRtla(t, journal, root, signal);
    const r = await t.run(a.argv, { signal, timeoutMs: (a.request.durationS + 60) * 1500 });
    if (r.exitCode !== 0) throw toolFailed(t, 'rtla', r, a.argv);
    const base = { tool: 'rtla' as const, version: opts.version, commandLine: a.argv, request: a.request, unavailable: a.unavailable, kernel: facts.release };
    return { ...readOutput(r.stdout, `${t.name}:rtla timerlat hist`, a.argv, a.request, bench, base, warnings), warnings, context: {}, stdout: r.stdout };
  } finally {
    const undo = await journal.undoSince(mark);
    if (undo.errors.length) warnings.push({ code: 'not-restored', message: undo.errors.join('; ') });
  }
}

/** A program on the controller's PATH, as an absolute path. */
function controllerProgram(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

const TRACEFS = '/sys/kernel/tracing';

/** The guest's script: facts, then (with the tracer) rtla with its stdout, stderr and exit status apart. */
function guestScript(argv: string[]): string {
  const cmd = shellJoin(argv);
  return [
    `mount -t tracefs nodev ${TRACEFS} 2>/dev/null`,
    'section facts',
    `( ${FACTS_SH.replace(/\$1/g, TRACEFS)} )`,
    `if grep -qw timerlat ${TRACEFS}/available_tracers 2>/dev/null; then`,
    '  section stdout',
    `  ${cmd} 2>/tmp/rtla.err`,
    '  rc=$?',
    '  section stderr',
    '  cat /tmp/rtla.err',
    '  section exit',
    '  echo "$rc"',
    'fi',
  ].join('\n');
}

/**
 * Runs rtla timerlat hist inside a vm guest: the controller's rtla (its options read from its
 * own --help), its libraries and the script go into the image; the guest's kernel must have
 * the tracer (Debian's PREEMPT_RT kernel does).
 */
export async function runTimerlatInGuest(d: GuestDeployment, bench: TimerlatBenchmark, durationNs: number, c: BenchmarkContext): Promise<TimerlatRun> {
  const rtla = controllerProgram('rtla');
  if (!rtla) throw new RunFailedError(`rtla not found on this machine, whose rtla a ${d.kind} guest carries: install the package rtla (Debian/Ubuntu: apt-get install rtla)`);
  let help: string;
  try {
    const r = await promisify(execFile)(rtla, ['timerlat', 'hist', '--help'], { encoding: 'utf8' });
    help = r.stdout + r.stderr;
  } catch (e) {
    // rtla 6.1 exits 1 after printing its usage.
    help = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
  }
  const opts = options(help, 'this machine');
  const a = buildTimerlatArgs(bench, durationNs, { options: opts, cpuCount: d.vcpus, binary: rtla });
  const where = `guest ${d.name}`;
  let g;
  try {
    g = await runGuestTool(d, { programs: [rtla], script: guestScript(a.argv), expectedMs: a.request.durationS * 1000 }, {
      transport: c.transport,
      journal: need(c, 'journal'),
      staticProbe: need(c, 'staticProbe'),
      runDir: need(c, 'runDir'),
      stepLabel: need(c, 'stepLabel'),
      signal: c.signal,
    });
  } catch (e) {
    if (c.signal.aborted || (e as Error).name === 'TransportError') throw e;
    throw new RunFailedError(`${where}: ${(e as Error).message}`);
  }
  const facts = readFacts(g.sections.get('facts') ?? '', where);
  if (!facts.tracers.includes('timerlat')) throw new RunFailedError(noTracerMessage(where, facts.release, facts.tracers));
  const rc = Number((g.sections.get('exit') ?? '').trim());
  const stderr = (g.sections.get('stderr') ?? '').trim();
  if (!g.sections.has('exit') || rc !== 0)
    throw new RunFailedError(`${where}: rtla exited with ${g.sections.has('exit') ? rc : 'no status (the guest stopped first)'}: ${stderr.split('\n').slice(-5).join('\n') || '(nothing on stderr)'}\n  command: ${a.argv.join(' ')}`);
  const warnings = [...g.warnings, ...a.warnings];
  const base = { tool: 'rtla' as const, version: opts.version, commandLine: a.argv, request: a.request, unavailable: a.unavailable, kernel: facts.release };
  const stdout = g.sections.get('stdout') ?? '';
  const out = readOutput(stdout, `${where}:rtla timerlat hist`, a.argv, a.request, bench, base, warnings);
  // What the probe's hello would have said of the guest's kernel.
  const kernel = { guestKernel: facts.release, guestKernelVersion: facts.version || null, guestPreempt: /\bPREEMPT_RT\b/.test(facts.version) ? 'PREEMPT_RT' : null, guestRealtime: facts.realtime };
  return { ...out, warnings, context: { ...g.context, ...kernel }, stdout };
}
