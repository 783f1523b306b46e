/**
 * Host tuning knobs, each change journaled (journal.ts) before it is made.
 *
 * Everything goes through the Transport: values travel as argv (`"$1"`) and the scripts
 * are constant text, so no value is ever pasted into shell code.
 */
import type { TuningChange } from '../results/types.js';
import type { Transport } from '../transport/transport.js';
import { DEBUGFS, SCHED_FEATURES_SH, parseCpuList, parseSchedFeatures } from './facts.js';
import { processMarker, tuningChange, type HostJournal, type JournalEntry } from './journal.js';

export type { TuningChange };

/** Tuning knobs of one deployment. Absent knobs are left alone. */
export interface TuningKnobs {
  /** cpufreq governor for every CPU that has one (e.g. "performance"); skipped with a note where cpufreq is absent. */
  governor?: string;
  /** false: disable RT throttling (sched_rt_runtime_us = -1); true: make sure it is on (950000 if it was -1). */
  rtThrottling?: boolean;
  /** CPU list IRQs are moved to (away from the measurement CPUs), e.g. "0". */
  irqAffinity?: string;
  /** Hold /dev/cpu_dma_latency at this many microseconds (0: no deep C-states) for the run. */
  dmaLatency?: number;
  /**
   * true: turn the scheduler's HRTICK_DL feature (HRTICK before 5.11) on for the run, mounting
   * debugfs first where it is not; false: make sure it is off. SCHED_DEADLINE periods under 2 ms need it on.
   */
  hrtick?: boolean;
}

export interface ApplyReport {
  changes: TuningChange[];
  /** Knobs skipped or left unchanged, and why. */
  notes: string[];
  /** IRQ affinity outcome when the knob was given. */
  irqs?: { moved: number; refused: number; unchanged: number; refusedPaths: string[] };
}

/** A knob could not be applied. What was applied before it stays in the journal: restore it. */
export class TuningError extends Error {
  constructor(
    message: string,
    readonly host: string,
    readonly knob: string,
  ) {
    super(message);
    this.name = 'TuningError';
  }
}

const RT_RUNTIME = '/proc/sys/kernel/sched_rt_runtime_us';
const DMA_DEV = '/dev/cpu_dma_latency';
/** The kernel's default sched_rt_runtime_us, used when rtThrottling: true finds it disabled. */
const RT_RUNTIME_DEFAULT = '950000';

// ---- shell snippets (constant text; values only as positional parameters) ----

/** $1 value, then paths: one status line per path, in order. */
const WRITE_MANY_SH = `v=$1; shift
for p in "$@"; do
  if e=$( { printf '%s' "$v" > "$p"; } 2>&1 ); then echo ok
  else printf 'fail\\t%s\\n' "$(printf '%s' "$e" | tr '\\n\\t' '  ')"; fi
done`;
/** Lists "path<TAB>value" for each readable file matching the glob given as $1 (glob expanded by sh). */
const READ_GLOB_SH = `for f in $1; do
  [ -w "$f" ] || continue
  v=$(cat -- "$f" 2>/dev/null) || continue
  printf '%s\\t%s\\n' "$f" "$v"
done`;
/** Holder: $0 marker, $1 value. fd 4 appears only after the value was accepted (readiness). */
const DMA_HOLDER_SH = `exec 3>${DMA_DEV} || exit 1
printf '%s' "$1" >&3 || exit 1
exec 4</dev/null
trap 'kill $s 2>/dev/null; exit 0' TERM INT HUP
while :; do sleep 3600 3>&- 4>&- & s=$!; wait $s; done`;
/** $1 marker, $2 value, $3 holder script: start it detached and print "pid effective-value". */
const DMA_START_SH = `[ -w ${DMA_DEV} ] || { echo "${DMA_DEV} is not writable" >&2; exit 3; }
sh -c "$3" "$1" "$2" </dev/null >/dev/null 2>&1 &
p=$!; i=0
while [ ! -e /proc/$p/fd/4 ] && [ $i -lt 100 ]; do
  [ -d /proc/$p ] || { echo "holder exited: value refused by ${DMA_DEV}" >&2; exit 4; }
  sleep 0.05; i=$((i+1))
done
[ -e /proc/$p/fd/4 ] || { kill $p 2>/dev/null; echo "holder did not become ready" >&2; exit 5; }
printf '%s %s\\n' "$p" "$(od -An -td4 -N4 ${DMA_DEV} 2>/dev/null | tr -d ' ')"`;
// ---- applying knobs ----

/** Check knob values before anything changes; throws TuningError. */
export function validateKnobs(knobs: TuningKnobs, host = ''): void {
  if (knobs.governor !== undefined && !/^[a-z0-9_-]+$/.test(knobs.governor))
    throw new TuningError(`governor: not a governor name: ${JSON.stringify(knobs.governor)}`, host, 'governor');
  if (knobs.irqAffinity !== undefined) {
    const cpus = /^[0-9,-]+$/.test(knobs.irqAffinity) ? parseCpuList(knobs.irqAffinity) : null;
    if (!cpus || cpus.length === 0)
      throw new TuningError(`irqAffinity: not a CPU list: ${JSON.stringify(knobs.irqAffinity)}`, host, 'irqAffinity');
  }
  if (knobs.dmaLatency !== undefined && !(Number.isInteger(knobs.dmaLatency) && knobs.dmaLatency >= 0 && knobs.dmaLatency <= 0x7fffffff))
    throw new TuningError(`dmaLatency: must be an integer number of microseconds >= 0, got ${knobs.dmaLatency}`, host, 'dmaLatency');
}

/**
 * Apply knobs in a fixed order (rtThrottling, governor, irqAffinity, dmaLatency, hrtick), journaling
 * each change before making it. On failure throws TuningError; what was applied stays in the
 * journal and the caller restores it (the executor always calls journal.restore()).
 */
export async function applyTuning(t: Transport, knobs: TuningKnobs, journal: HostJournal): Promise<ApplyReport> {
  validateKnobs(knobs, t.name);
  const notes: string[] = [];
  const report: ApplyReport = { changes: [], notes };
  const note = (m: string) => {
    notes.push(m);
    journal.notes.push(m);
  };
  const start = journal.entries.length;

  if (knobs.rtThrottling !== undefined) await applyRtThrottling(t, knobs.rtThrottling, journal, note);
  if (knobs.governor !== undefined) await applyGovernor(t, knobs.governor, journal, note);
  if (knobs.irqAffinity !== undefined) report.irqs = await applyIrqAffinity(t, knobs.irqAffinity, journal, note);
  if (knobs.dmaLatency !== undefined) await applyDmaLatency(t, knobs.dmaLatency, journal);
  if (knobs.hrtick !== undefined) await applyHrtick(t, knobs.hrtick, journal, note);

  report.changes = journal.entries
    .slice(start)
    .filter((e) => e.state !== 'refused')
    .map((e) => tuningChange(t.name, e));
  return report;
}

async function readFile1(t: Transport, path: string): Promise<string | null> {
  const r = await t.run(['cat', '--', path], { timeoutMs: 15_000 });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

async function readGlob(t: Transport, glob: string): Promise<Array<{ path: string; value: string }>> {
  const r = await t.run(['sh', '-c', READ_GLOB_SH, 'sh', glob], { timeoutMs: 30_000 });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf('\t');
      return { path: l.slice(0, i), value: l.slice(i + 1).trim() };
    })
    .filter((x) => x.path.length > 0);
}

/** Write one value to many files after recording them; marks each entry applied or refused. */
async function writeRecorded(t: Transport, entries: JournalEntry[], value: string, journal: HostJournal): Promise<void> {
  const r = await t.run(['sh', '-c', WRITE_MANY_SH, 'sh', value, ...entries.map((e) => e.path)], { timeoutMs: 60_000 });
  const lines = r.stdout.split('\n').filter(Boolean);
  entries.forEach((e, i) => {
    const line = lines[i];
    if (line === 'ok') e.state = 'applied';
    else if (line?.startsWith('fail')) {
      e.state = 'refused';
      e.error = line.slice(5) || 'write failed';
    } // no line: unknown, stays pending (restore will check)
  });
  await journal.persist();
}

async function applyRtThrottling(t: Transport, enable: boolean, journal: HostJournal, note: (m: string) => void): Promise<void> {
  const cur = await readFile1(t, RT_RUNTIME);
  if (cur === null) throw new TuningError(`rtThrottling: cannot read ${RT_RUNTIME}`, t.name, 'rtThrottling');
  const target = enable ? (cur === '-1' ? RT_RUNTIME_DEFAULT : cur) : '-1';
  if (target === cur) {
    note(`rtThrottling: ${RT_RUNTIME} already ${cur}, left unchanged`);
    return;
  }
  const [e] = await journal.record([{ area: 'tuning', knob: 'rtThrottling', kind: 'write', path: RT_RUNTIME, before: cur, after: target }]);
  await writeRecorded(t, [e], target, journal);
  if (e.state !== 'applied') throw new TuningError(`rtThrottling: writing ${target} to ${RT_RUNTIME} failed: ${e.error ?? 'no status'}`, t.name, 'rtThrottling');
}

async function applyGovernor(t: Transport, governor: string, journal: HostJournal, note: (m: string) => void): Promise<void> {
  const files = await readGlob(t, '/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor');
  if (files.length === 0) {
    note('governor: no cpufreq scaling_governor files (VM or fixed clock): knob skipped');
    return;
  }
  const change = files.filter((f) => f.value !== governor);
  if (change.length === 0) {
    note(`governor: already ${governor} on ${files.length} CPUs`);
    return;
  }
  const entries = await journal.record(change.map((f) => ({ area: 'tuning' as const, knob: 'governor', kind: 'write' as const, path: f.path, before: f.value, after: governor })));
  await writeRecorded(t, entries, governor, journal);
  const bad = entries.filter((e) => e.state !== 'applied');
  if (bad.length > 0)
    throw new TuningError(`governor: ${bad.length} of ${entries.length} CPUs refused ${governor} (${bad[0].path}: ${bad[0].error ?? 'no status'})`, t.name, 'governor');
}

async function applyIrqAffinity(
  t: Transport,
  list: string,
  journal: HostJournal,
  note: (m: string) => void,
): Promise<NonNullable<ApplyReport['irqs']>> {
  const want = parseCpuList(list)!.join(',');
  const files = await readGlob(t, '/proc/irq/[0-9]*/smp_affinity_list');
  const change = files.filter((f) => parseCpuList(f.value)?.join(',') !== want);
  const unchanged = files.length - change.length;
  if (files.length === 0) {
    note('irqAffinity: no writable /proc/irq/*/smp_affinity_list: knob skipped');
    return { moved: 0, refused: 0, unchanged: 0, refusedPaths: [] };
  }
  if (change.length === 0) {
    note(`irqAffinity: all ${files.length} IRQs already on ${list}`);
    return { moved: 0, refused: 0, unchanged, refusedPaths: [] };
  }
  const entries = await journal.record(change.map((f) => ({ area: 'tuning' as const, knob: 'irqAffinity', kind: 'write' as const, path: f.path, before: f.value, after: list })));
  await writeRecorded(t, entries, list, journal);
  const refused = entries.filter((e) => e.state === 'refused');
  const moved = entries.filter((e) => e.state === 'applied').length;
  // Some IRQs (per-CPU, managed) always refuse with EIO: count them, do not fail.
  if (refused.length > 0) note(`irqAffinity: ${refused.length} of ${entries.length} IRQs refused ${list} (normal for per-CPU and managed IRQs)`);
  if (moved === 0)
    throw new TuningError(`irqAffinity: every IRQ refused ${list} (${refused[0]?.error ?? 'no status'}): CPUs online?`, t.name, 'irqAffinity');
  return { moved, refused: refused.length, unchanged, refusedPaths: refused.map((e) => e.path) };
}

/**
 * The kernel keeps a cpu_dma_latency request only while the file stays open, so a small
 * holder process keeps it open. The value is written as the 10-character hex string the
 * kernel accepts ("0x00000000"): a 4-byte write would be taken as a raw binary s32, so a
 * decimal like "1000" would be misread.
 */
async function applyDmaLatency(t: Transport, us: number, journal: HostJournal): Promise<void> {
  const before = await t.run(['sh', '-c', `od -An -td4 -N4 ${DMA_DEV} | tr -d ' \\n'`], { timeoutMs: 15_000 });
  if (before.exitCode !== 0) throw new TuningError(`dmaLatency: cannot read ${DMA_DEV}: ${before.stderr.trim()}`, t.name, 'dmaLatency');
  const marker = processMarker(journal, 'dma-hold');
  const [e] = await journal.record([{ area: 'tuning', knob: 'dmaLatency', kind: 'process', path: DMA_DEV, before: before.stdout.trim(), after: String(us), marker }]);
  const hex = '0x' + us.toString(16).padStart(8, '0');
  const r = await t.run(['sh', '-c', DMA_START_SH, 'sh', marker, hex, DMA_HOLDER_SH], { timeoutMs: 30_000 });
  const m = /^(\d+) (-?\d*)/.exec(r.stdout.trim());
  if (r.exitCode !== 0 || !m) {
    e.state = 'refused';
    e.error = r.stderr.trim() || `exit ${r.exitCode}`;
    await journal.persist();
    throw new TuningError(`dmaLatency: could not hold ${DMA_DEV} at ${us} us: ${e.error}`, t.name, 'dmaLatency');
  }
  e.pid = Number(m[1]);
  e.state = 'applied';
  await journal.persist();
}

/**
 * The scheduler's features file is in debugfs: mounted first where it is not (a change of its
 * own, journaled as a `mount` entry that undo unmounts), then the one feature token written
 * (`HRTICK_DL` or `NO_HRTICK_DL`: the file takes one feature per write), journaled as a write
 * whose undo writes the old token back. Newest first, undo restores the feature, then unmounts.
 */
async function applyHrtick(t: Transport, enable: boolean, journal: HostJournal, note: (m: string) => void): Promise<void> {
  const readFeatures = async () => parseSchedFeatures((await t.run(['sh', '-c', SCHED_FEATURES_SH], { timeoutMs: 15_000 })).stdout);
  let found = await readFeatures();
  if (!found.debugfsMounted) {
    const mount = await journal.recordOne({ area: 'tuning', knob: 'hrtick', kind: 'mount', path: DEBUGFS, before: '', after: 'debugfs' });
    const r = await t.run(['mount', '-t', 'debugfs', 'debugfs', DEBUGFS], { timeoutMs: 15_000 });
    await journal.settle([mount], r.exitCode === 0 ? 'applied' : 'refused', r.exitCode === 0 ? undefined : r.stderr.trim() || `exit ${r.exitCode}`);
    if (r.exitCode !== 0) throw new TuningError(`hrtick: mounting debugfs on ${DEBUGFS} failed: ${mount.error}`, t.name, 'hrtick');
    found = await readFeatures();
  }
  const h = found.hrtick;
  if (found.schedFeaturesError)
    throw new TuningError(`hrtick: cannot read ${found.schedFeaturesError} (under kernel lockdown debugfs refuses it even to root: HRTICK cannot be switched on this host)`, t.name, 'hrtick');
  if (!h) throw new TuningError(`hrtick: no HRTICK_DL or HRTICK in the scheduler's features file under ${DEBUGFS} (a kernel without CONFIG_SCHED_DEBUG or CONFIG_SCHED_HRTICK cannot switch it)`, t.name, 'hrtick');
  const token = (on: boolean) => `${on ? '' : 'NO_'}${h.feature}`;
  if (h.enabled === enable) {
    note(`hrtick: ${h.path} already has ${token(enable)}, left unchanged`);
    return;
  }
  const [e] = await journal.record([{ area: 'tuning', knob: 'hrtick', kind: 'write', path: h.path, before: token(h.enabled), after: token(enable) }]);
  await writeRecorded(t, [e], e.after, journal);
  if (e.state !== 'applied') throw new TuningError(`hrtick: writing ${e.after} to ${h.path} failed: ${e.error ?? 'no status'}`, t.name, 'hrtick');
}
