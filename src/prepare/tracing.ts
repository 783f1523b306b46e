/**
 * Kernel tracing around a measurement: one ftrace instance per spike to be traced, each with its
 * own ring buffer, the fixed event set enabled and the measurement's clock. The top-level tracing
 * state (tracing_on, current_tracer, events, buffer size, markers) is never touched; what the
 * host gets is a tracefs mount where there was none and the instances, both journaled before
 * they are made, so undo (also after Ctrl-C or a lost connection) leaves tracing as it was.
 *
 * Values travel as argv; the scripts are constant text.
 */
import { randomBytes } from 'node:crypto';
import type { Transport } from '../transport/transport.js';
import type { HostJournal, JournalEntry } from './journal.js';

/** Cheap events that say what held a CPU: scheduler switches and wake-ups, IRQs, softirqs, timer and IPI vectors. */
export const TRACE_EVENTS = [
  'sched/sched_switch',
  'sched/sched_wakeup',
  'irq/irq_handler_entry',
  'irq/irq_handler_exit',
  'irq/softirq_entry',
  'irq/softirq_exit',
  'irq_vectors/local_timer_entry',
  'irq_vectors/local_timer_exit',
  'irq_vectors/reschedule_entry',
  'irq_vectors/reschedule_exit',
  'irq_vectors/call_function_entry',
  'irq_vectors/call_function_exit',
  'irq_vectors/call_function_single_entry',
  'irq_vectors/call_function_single_exit',
  'irq_vectors/irq_work_entry',
  'irq_vectors/irq_work_exit',
] as const;

const TRACEFS = '/sys/kernel/tracing';

export interface TracingRequest {
  /** Instances, one a traced spike. */
  count: number;
  /** Ring buffer per CPU and instance, KiB. */
  bufferKb: number;
  /** The measurement's clock as ftrace names it: mono (CLOCK_MONOTONIC) or mono_raw. */
  clock: 'mono' | 'mono_raw';
}

export interface ActiveTracing {
  /** The probe's --trace-prefix: instance k is `${prefix}${k}`. */
  prefix: string;
  instances: string[];
  events: string[];
  /** Events of the set this kernel does not have. */
  missing: string[];
  /** The journal's mark before the first change: undoSince(mark) ends the tracing. */
  mark: number;
}

/** Why tracing could not start; the step measures without it and says so. */
export class TracingUnavailable extends Error {}

/** $1: prints where tracefs is mounted (one line each), "dir" when /sys/kernel/tracing exists to mount it on. */
const FIND_SH = `awk '$3 == "tracefs" { print "mounted " $2 }' /proc/mounts
[ -d /sys/kernel/tracing ] && echo dir
exit 0`;

/** $1 tracefs, $2 instance name prefix, $3 count, $4 KiB, $5 clock, then events (system/name). */
const SETUP_SH = `root=$1; name=$2; n=$3; kb=$4; clk=$5; shift 5
[ -d "$root/instances" ] || { echo "$root has no instances folder (kernel too old for ftrace instances)" >&2; exit 3; }
for e in "$@"; do
  if [ -e "$root/events/$e/enable" ]; then echo "event $e"; else echo "missing $e"; fi
done
i=0
while [ "$i" -lt "$n" ]; do
  d=$root/instances/$name$i
  mkdir -- "$d" || exit 3
  echo 0 > "$d/tracing_on" || exit 3
  grep -qw -- "$clk" "$d/trace_clock" || { echo "this kernel's ftrace has no $clk clock" >&2; exit 3; }
  printf '%s' "$clk" > "$d/trace_clock" || exit 3
  printf '%s' "$kb" > "$d/buffer_size_kb" || exit 3
  for e in "$@"; do
    [ -e "$d/events/$e/enable" ] && { echo 1 > "$d/events/$e/enable" || exit 3; }
  done
  i=$((i + 1))
done
i=0
while [ "$i" -lt "$n" ]; do echo 1 > "$root/instances/$name$i/tracing_on" || exit 3; i=$((i + 1)); done
echo ok`;

/**
 * Makes the instances (mounting tracefs first where it is not mounted). On failure everything
 * made so far is undone and TracingUnavailable says why.
 */
export async function startTracing(t: Transport, journal: HostJournal, req: TracingRequest): Promise<ActiveTracing> {
  const mark = journal.mark();
  try {
    const root = await tracefsRoot(t, journal);
    const name = `unilat-${randomBytes(4).toString('hex')}-`;
    const instances = Array.from({ length: req.count }, (_, k) => `${root}/instances/${name}${k}`);
    const entries: JournalEntry[] = await journal.record(instances.map((path) => ({ area: 'tracing' as const, knob: 'trace', kind: 'trace-instance' as const, path, before: '', after: req.clock })));
    const r = await t.run(['sh', '-c', SETUP_SH, 'sh', root, name, String(req.count), String(req.bufferKb), req.clock, ...TRACE_EVENTS], { timeoutMs: 60_000 });
    const ok = r.exitCode === 0 && r.stdout.trimEnd().endsWith('ok');
    await journal.settle(entries, ok ? 'applied' : 'pending');
    if (!ok) throw new TracingUnavailable(`setting up ftrace instances under ${root} failed: ${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`}`);
    const lines = r.stdout.split('\n');
    const events = lines.filter((l) => l.startsWith('event ')).map((l) => l.slice(6).replace('/', ':'));
    const missing = lines.filter((l) => l.startsWith('missing ')).map((l) => l.slice(8).replace('/', ':'));
    if (!events.some((e) => e === 'sched:sched_switch')) throw new TracingUnavailable(`this kernel's ftrace has no sched:sched_switch event, without which nothing can be attributed`);
    return { prefix: `${root}/instances/${name}`, instances, events, missing, mark };
  } catch (e) {
    await journal.undoSince(mark).catch(() => {});
    throw e;
  }
}

/** Ends the tracing: instances removed, tracefs unmounted if this run mounted it. */
export async function stopTracing(journal: HostJournal, active: ActiveTracing): Promise<string[]> {
  return (await journal.undoSince(active.mark)).errors;
}

/** Where tracefs is mounted on the target, mounting it (journaled: undo unmounts it) where it is not. */
export async function tracefsRoot(t: Transport, journal: HostJournal): Promise<string> {
  const r = await t.run(['sh', '-c', FIND_SH], { timeoutMs: 15_000 });
  const lines = r.stdout.split('\n');
  const mounted = lines.filter((l) => l.startsWith('mounted ')).map((l) => l.slice(8));
  if (mounted.includes(TRACEFS)) return TRACEFS;
  if (mounted.includes('/sys/kernel/debug/tracing')) return '/sys/kernel/debug/tracing';
  if (!lines.includes('dir')) throw new TracingUnavailable(`${TRACEFS} does not exist: this kernel has no tracefs (CONFIG_FTRACE)`);
  const entry = await journal.recordOne({ area: 'tracing', knob: 'trace', kind: 'mount', path: TRACEFS, before: '', after: 'tracefs' });
  const m = await t.run(['mount', '-t', 'tracefs', 'nodev', TRACEFS], { timeoutMs: 15_000 });
  await journal.settle([entry], m.exitCode === 0 ? 'applied' : 'refused', m.exitCode === 0 ? undefined : m.stderr.trim() || `exit ${m.exitCode}`);
  if (m.exitCode !== 0) throw new TracingUnavailable(`mounting tracefs on ${TRACEFS} failed: ${entry.error}`);
  return TRACEFS;
}

/** $1 instance: nothing when it still runs (no spike reached it), else the late CPU's trace up to its marker. */
const READ_SH = `d=$1
[ "$(cat "$d/tracing_on")" = 0 ] || exit 0
m=$(grep -m1 'tracing_mark_write: unilat-spike ' "$d/trace") || { echo nomarker; exit 0; }
cpu=\${m##* cpu=}; cpu=\${cpu%% *}
case $cpu in ''|*[!0-9]*) echo nomarker; exit 0;; esac
echo "cpu $cpu"
tail -c 16000000 -- "$d/per_cpu/cpu$cpu/trace"`;

/** What one instance holds after the measurement. */
export type InstanceTrace = { state: 'not-triggered' } | { state: 'no-marker' } | { state: 'triggered'; cpu: number; text: string };

export async function readInstance(t: Transport, instance: string): Promise<InstanceTrace> {
  const r = await t.run(['sh', '-c', READ_SH, 'sh', instance], { timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`reading the trace ${instance} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  if (!r.stdout) return { state: 'not-triggered' };
  if (r.stdout.startsWith('nomarker')) return { state: 'no-marker' };
  const nl = r.stdout.indexOf('\n');
  return { state: 'triggered', cpu: Number(r.stdout.slice(4, nl)), text: r.stdout.slice(nl + 1) };
}
