/**
 * Host tuning with an undo journal (DESIGN.md "Undo journal").
 *
 * Every change is recorded in the journal *before* it is made, and the journal is also
 * persisted on the host itself (/var/tmp/unilat/journal-<runId>.json), so a controller
 * that loses the connection or dies leaves enough behind for the next connection to undo
 * it (`recoverLeftoverJournals`). `journal.restore()` replays in reverse, keeps going when
 * a restore fails, and removes the persisted file once everything is back.
 *
 * Everything goes through the Transport: values travel as argv (`"$1"`) and the scripts
 * are constant text, so no value is ever pasted into shell code.
 */
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { TuningChange } from '../results/types.js';
import type { Transport } from '../transport/transport.js';
import { parseCpuList } from './facts.js';

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
}

export type EntryState = 'pending' | 'applied' | 'refused' | 'restored' | 'restore-failed';

/** One recorded change. `pending` means "recorded, maybe made": restore treats it as made. */
export interface JournalEntry {
  seq: number;
  knob: string;
  /** write: a sysfs/procfs value; process: a holder process started on the host. */
  kind: 'write' | 'process';
  path: string;
  before: string;
  after: string;
  state: EntryState;
  /** process entries: a unique string in the process's argv, how restore finds it. */
  marker?: string;
  pid?: number;
  error?: string;
}

/** The persisted form of a journal. */
export interface JournalFile {
  format: 'unilat-tuning-journal';
  version: 1;
  runId: string;
  host: string;
  /** /proc/sys/kernel/random/boot_id when written: after a reboot nothing is left to undo. */
  bootId: string | null;
  createdAt: string;
  entries: JournalEntry[];
}

export interface RestoreReport {
  /** Entries restored by this call. */
  restored: number;
  /** One message per entry that could not be restored (the persisted file is kept then). */
  errors: string[];
  changes: TuningChange[];
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

export const DEFAULT_JOURNAL_DIR = '/var/tmp/unilat';
const RT_RUNTIME = '/proc/sys/kernel/sched_rt_runtime_us';
const DMA_DEV = '/dev/cpu_dma_latency';
/** The kernel's default sched_rt_runtime_us, used when rtThrottling: true finds it disabled. */
const RT_RUNTIME_DEFAULT = '950000';

/** Journals of this process not yet fully restored (what a signal handler must undo). */
const live = new Set<TuningJournal>();

/** Journals created in this process that still have something to restore. */
export function activeJournals(): TuningJournal[] {
  return [...live];
}

// ---- shell snippets (constant text; values only as positional parameters) ----

/** $1 dir, $2 file, stdin: content. Atomic replace so a crash never leaves half a journal. */
const PERSIST_SH = 'umask 077; mkdir -p -- "$1" && cat > "$2.tmp" && mv -f -- "$2.tmp" "$2"';
/** $1 value, then paths: one status line per path, in order. */
const WRITE_MANY_SH = `v=$1; shift
for p in "$@"; do
  if e=$( { printf '%s' "$v" > "$p"; } 2>&1 ); then echo ok
  else printf 'fail\\t%s\\n' "$(printf '%s' "$e" | tr '\\n\\t' '  ')"; fi
done`;
/** Pairs of (path, value): skip when already equal, else write; one status line per pair. */
const RESTORE_MANY_SH = `while [ $# -ge 2 ]; do
  p=$1; v=$2; shift 2
  c=$(cat -- "$p" 2>/dev/null)
  if [ "$c" = "$v" ]; then echo same
  elif e=$( { printf '%s' "$v" > "$p"; } 2>&1 ); then echo ok
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
/** stdin: marker (kept out of our own argv so we never match ourselves). Kills matching processes, waits for them. */
const KILL_MARKED_SH = `IFS= read -r m || exit 2
[ -n "$m" ] || exit 2
pids=
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$$" ] && continue
  c=$(tr '\\0' '\\n' < "$d/cmdline" 2>/dev/null) || continue
  case "$c" in *"$m"*) kill "$p" 2>/dev/null && pids="$pids $p";; esac
done
for p in $pids; do
  i=0
  while [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  [ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && kill -9 "$p" 2>/dev/null
done
echo "killed$pids"`;
const BOOT_ID = '/proc/sys/kernel/random/boot_id';

// ---- the journal ----

export interface JournalOptions {
  /** Identifies the run (file name part): letters, digits, '.', '_', '-'. Random when absent. */
  runId?: string;
  /** Where journals are persisted on the host. */
  dir?: string;
}

export class TuningJournal {
  readonly runId: string;
  readonly dir: string;
  readonly file: string;
  readonly host: string;
  /** Things skipped or left as they were, for the run record's warnings. */
  readonly notes: string[] = [];
  private list: JournalEntry[] = [];
  private createdAt = new Date().toISOString();
  private bootId: string | null | undefined;
  private persisted = false;
  private chain: Promise<void> = Promise.resolve();
  private restoring: Promise<RestoreReport> | null = null;

  constructor(
    readonly transport: Transport,
    opts: JournalOptions = {},
  ) {
    this.runId = opts.runId ?? `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    if (!/^[A-Za-z0-9._-]+$/.test(this.runId)) throw new Error(`invalid journal run id: ${this.runId}`);
    this.dir = (opts.dir ?? DEFAULT_JOURNAL_DIR).replace(/\/+$/, '');
    this.file = `${this.dir}/journal-${this.runId}.json`;
    this.host = transport.name;
  }

  /** Rebuild a journal from its persisted form (recovery). */
  static fromFile(t: Transport, data: JournalFile, file: string): TuningJournal {
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';
    const j = new TuningJournal(t, { runId: data.runId, dir });
    j.list = data.entries.map((e) => ({ ...e }));
    j.createdAt = data.createdAt;
    j.bootId = data.bootId;
    j.persisted = true;
    (j as { file: string }).file = file;
    return j;
  }

  get entries(): readonly JournalEntry[] {
    return this.list;
  }

  /** The run record's view: every change made (refused writes changed nothing and are left out). */
  changes(): TuningChange[] {
    return this.list.filter((e) => e.state !== 'refused').map((e) => toChange(this.host, e));
  }

  /** True while something recorded is not yet restored. */
  get dirty(): boolean {
    return this.list.some((e) => e.state === 'pending' || e.state === 'applied' || e.state === 'restore-failed');
  }

  toJSON(): JournalFile {
    return {
      format: 'unilat-tuning-journal',
      version: 1,
      runId: this.runId,
      host: this.host,
      bootId: this.bootId ?? null,
      createdAt: this.createdAt,
      entries: this.list,
    };
  }

  /** Record entries as pending and persist them on the host before the caller makes the change. */
  async record(items: Array<Omit<JournalEntry, 'seq' | 'state'>>): Promise<JournalEntry[]> {
    const added = items.map((e, i) => ({ ...e, seq: this.list.length + i, state: 'pending' as EntryState }));
    this.list.push(...added);
    live.add(this);
    await this.persist();
    return added;
  }

  /** Write the journal to the host (serialized: concurrent callers queue). */
  persist(): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.bootId === undefined) {
        const r = await this.transport.run(['cat', BOOT_ID], { timeoutMs: 10_000 });
        this.bootId = r.exitCode === 0 ? r.stdout.trim() || null : null;
      }
      const r = await this.transport.run(['sh', '-c', PERSIST_SH, 'sh', this.dir, this.file], {
        stdin: JSON.stringify(this.toJSON(), null, 1) + '\n',
        timeoutMs: 15_000,
      });
      if (r.exitCode !== 0) throw new Error(`cannot persist tuning journal ${this.file} on ${this.host}: ${r.stderr.trim()}`);
      this.persisted = true;
    });
    this.chain = next.catch(() => {});
    return next;
  }

  /**
   * Undo everything recorded, newest first. Every entry is attempted even when others fail;
   * errors are collected. When all is restored the persisted file is removed, otherwise it is
   * kept (updated) so the next connection can retry. Safe to call again and concurrently.
   */
  restore(): Promise<RestoreReport> {
    if (!this.restoring) {
      this.restoring = this.doRestore().finally(() => {
        this.restoring = null;
      });
    }
    return this.restoring;
  }

  private async doRestore(): Promise<RestoreReport> {
    const todo = this.list.filter((e) => e.state === 'pending' || e.state === 'applied' || e.state === 'restore-failed').reverse();
    const errors: string[] = [];
    let restored = 0;
    let i = 0;
    while (i < todo.length) {
      const e = todo[i];
      if (e.kind === 'process') {
        await this.restoreProcess(e);
        i++;
      } else {
        // consecutive writes go in one round trip
        let k = i;
        while (k < todo.length && todo[k].kind === 'write') k++;
        await this.restoreWrites(todo.slice(i, k));
        i = k;
      }
    }
    for (const e of todo) {
      if (e.state === 'restored') restored++;
      else errors.push(`${this.host}: ${e.knob} ${e.path}: could not restore ${JSON.stringify(e.before)}: ${e.error ?? 'unknown error'}`);
    }
    try {
      if (errors.length === 0) {
        if (this.persisted) {
          const r = await this.transport.run(['rm', '-f', '--', this.file], { timeoutMs: 15_000 });
          if (r.exitCode !== 0) errors.push(`${this.host}: cannot remove ${this.file}: ${r.stderr.trim()}`);
          else this.persisted = false;
        }
        live.delete(this);
      } else if (todo.length > 0) {
        await this.persist();
      }
    } catch (err) {
      errors.push(`${this.host}: journal file ${this.file}: ${(err as Error).message}`);
    }
    return { restored, errors, changes: this.changes() };
  }

  private async restoreWrites(batch: JournalEntry[]): Promise<void> {
    const args = batch.flatMap((e) => [e.path, e.before]);
    try {
      const r = await this.transport.run(['sh', '-c', RESTORE_MANY_SH, 'sh', ...args], { timeoutMs: 60_000 });
      const lines = r.stdout.split('\n').filter(Boolean);
      batch.forEach((e, idx) => {
        const line = lines[idx];
        if (line === 'ok' || line === 'same') {
          e.state = 'restored';
          delete e.error;
        } else {
          e.state = 'restore-failed';
          e.error = line?.startsWith('fail\t') ? line.slice(5) || 'write failed' : `no status (exit ${r.exitCode}) ${r.stderr.trim()}`;
        }
      });
    } catch (err) {
      for (const e of batch) {
        e.state = 'restore-failed';
        e.error = (err as Error).message;
      }
    }
  }

  private async restoreProcess(e: JournalEntry): Promise<void> {
    try {
      if (!e.marker) throw new Error('process entry without marker');
      const r = await this.transport.run(['sh', '-c', KILL_MARKED_SH, 'sh'], { stdin: e.marker + '\n', timeoutMs: 30_000 });
      if (r.exitCode !== 0 || !r.stdout.startsWith('killed')) throw new Error(`kill failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      // Nothing found: it never started or already died; either way its request is gone.
      e.state = 'restored';
      delete e.error;
    } catch (err) {
      e.state = 'restore-failed';
      e.error = (err as Error).message;
    }
  }
}

function toChange(host: string, e: JournalEntry): TuningChange {
  return { host, knob: e.knob, path: e.path, before: e.before, after: e.after, restored: e.state === 'restored' };
}

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
 * Apply knobs in a fixed order (rtThrottling, governor, irqAffinity, dmaLatency), journaling
 * each change before making it. On failure throws TuningError; what was applied stays in the
 * journal and the caller restores it (the executor always calls journal.restore()).
 */
export async function applyTuning(t: Transport, knobs: TuningKnobs, journal: TuningJournal): Promise<ApplyReport> {
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

  report.changes = journal.entries
    .slice(start)
    .filter((e) => e.state !== 'refused')
    .map((e) => toChange(t.name, e));
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
async function writeRecorded(t: Transport, entries: JournalEntry[], value: string, journal: TuningJournal): Promise<void> {
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

async function applyRtThrottling(t: Transport, enable: boolean, journal: TuningJournal, note: (m: string) => void): Promise<void> {
  const cur = await readFile1(t, RT_RUNTIME);
  if (cur === null) throw new TuningError(`rtThrottling: cannot read ${RT_RUNTIME}`, t.name, 'rtThrottling');
  const target = enable ? (cur === '-1' ? RT_RUNTIME_DEFAULT : cur) : '-1';
  if (target === cur) {
    note(`rtThrottling: ${RT_RUNTIME} already ${cur}, left unchanged`);
    return;
  }
  const [e] = await journal.record([{ knob: 'rtThrottling', kind: 'write', path: RT_RUNTIME, before: cur, after: target }]);
  await writeRecorded(t, [e], target, journal);
  if (e.state !== 'applied') throw new TuningError(`rtThrottling: writing ${target} to ${RT_RUNTIME} failed: ${e.error ?? 'no status'}`, t.name, 'rtThrottling');
}

async function applyGovernor(t: Transport, governor: string, journal: TuningJournal, note: (m: string) => void): Promise<void> {
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
  const entries = await journal.record(change.map((f) => ({ knob: 'governor', kind: 'write' as const, path: f.path, before: f.value, after: governor })));
  await writeRecorded(t, entries, governor, journal);
  const bad = entries.filter((e) => e.state !== 'applied');
  if (bad.length > 0)
    throw new TuningError(`governor: ${bad.length} of ${entries.length} CPUs refused ${governor} (${bad[0].path}: ${bad[0].error ?? 'no status'})`, t.name, 'governor');
}

async function applyIrqAffinity(
  t: Transport,
  list: string,
  journal: TuningJournal,
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
  const entries = await journal.record(change.map((f) => ({ knob: 'irqAffinity', kind: 'write' as const, path: f.path, before: f.value, after: list })));
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
async function applyDmaLatency(t: Transport, us: number, journal: TuningJournal): Promise<void> {
  const before = await t.run(['sh', '-c', `od -An -td4 -N4 ${DMA_DEV} | tr -d ' \\n'`], { timeoutMs: 15_000 });
  if (before.exitCode !== 0) throw new TuningError(`dmaLatency: cannot read ${DMA_DEV}: ${before.stderr.trim()}`, t.name, 'dmaLatency');
  const marker = `unilat-dma-hold:${journal.runId}:${journal.entries.length}`;
  const [e] = await journal.record([{ knob: 'dmaLatency', kind: 'process', path: DMA_DEV, before: before.stdout.trim(), after: String(us), marker }]);
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

// ---- recovery and signals ----

export interface RecoveredJournal {
  file: string;
  runId: string | null;
  /** restored: undone now; rebooted: written before the last boot, nothing to undo (file removed); unreadable: left in place. */
  outcome: 'restored' | 'partial' | 'rebooted' | 'unreadable';
  changes: TuningChange[];
  errors: string[];
}

const JOURNAL_MARK = '@@unilat-journal@@';
const LIST_JOURNALS_SH = `printf '%s %s\\n' '${JOURNAL_MARK}' "boot $(cat ${BOOT_ID} 2>/dev/null)"
for f in "$1"/journal-*.json; do
  [ -f "$f" ] || continue
  printf '\\n%s %s\\n' '${JOURNAL_MARK}' "$f"
  cat -- "$f"
done`;

/**
 * Find journals a previous controller left on this host (lost connection, crash) and undo
 * them. Call it right after connecting and before applying new tuning. `exclude` names run
 * ids that must be left alone; journals live on this same Transport object are always left
 * alone. Journals written before the
 * host's last reboot are removed without restoring: a reboot already reset the values.
 */
export async function recoverLeftoverJournals(
  t: Transport,
  opts: { dir?: string; exclude?: Iterable<string> } = {},
): Promise<RecoveredJournal[]> {
  const dir = (opts.dir ?? DEFAULT_JOURNAL_DIR).replace(/\/+$/, '');
  const exclude = new Set(opts.exclude ?? []);
  // Journals still in use through this very connection are not leftovers; a new connection
  // (a new Transport object) recovers everything, including journals of a dropped one.
  for (const j of live) if (j.transport === t && j.dir === dir) exclude.add(j.runId);
  const r = await t.run(['sh', '-c', LIST_JOURNALS_SH, 'sh', dir], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`cannot list tuning journals in ${dir} on ${t.name}: ${r.stderr.trim()}`);
  let bootId: string | null = null;
  const found: Array<{ file: string; text: string }> = [];
  let cur: { file: string; lines: string[] } | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(JOURNAL_MARK + ' ')) {
      if (cur) found.push({ file: cur.file, text: cur.lines.join('\n') });
      const rest = line.slice(JOURNAL_MARK.length + 1);
      if (rest.startsWith('boot ')) {
        bootId = rest.slice(5).trim() || null;
        cur = null;
      } else cur = { file: rest, lines: [] };
    } else if (cur) cur.lines.push(line);
  }
  if (cur) found.push({ file: cur.file, text: cur.lines.join('\n') });

  const out: RecoveredJournal[] = [];
  for (const { file, text } of found) {
    let data: JournalFile;
    try {
      data = JSON.parse(text) as JournalFile;
      if (data.format !== 'unilat-tuning-journal' || !Array.isArray(data.entries)) throw new Error('not a unilat tuning journal');
    } catch (err) {
      out.push({ file, runId: null, outcome: 'unreadable', changes: [], errors: [`${t.name}: ${file}: ${(err as Error).message}`] });
      continue;
    }
    if (exclude.has(data.runId)) continue;
    const j = TuningJournal.fromFile(t, data, file);
    if (data.bootId && bootId && data.bootId !== bootId) {
      const rm = await t.run(['rm', '-f', '--', file], { timeoutMs: 15_000 });
      out.push({ file, runId: data.runId, outcome: 'rebooted', changes: j.changes(), errors: rm.exitCode === 0 ? [] : [rm.stderr.trim()] });
      continue;
    }
    const rep = await j.restore();
    out.push({ file, runId: data.runId, outcome: rep.errors.length ? 'partial' : 'restored', changes: rep.changes, errors: rep.errors });
  }
  return out;
}

export interface SignalRestoreOptions {
  /** Signals to handle (default SIGINT, SIGTERM, SIGHUP). */
  signals?: NodeJS.Signals[];
  /** Called after restoring with 128 + signal number (default process.exit). */
  exit?: (code: number) => void;
  /** Progress and errors (default: stderr). */
  log?: (message: string) => void;
  /** Give up waiting for restores after this long and exit anyway (default 60 s). */
  timeoutMs?: number;
}

/**
 * On SIGINT/SIGTERM/SIGHUP: restore every journal (default: all live journals of this
 * process, looked up when the signal arrives), then exit with 128 + signal number. A second
 * signal exits at once. Returns a function that removes the handlers.
 */
export function installSignalRestore(
  journals: Iterable<TuningJournal> | (() => Iterable<TuningJournal>) = activeJournals,
  opts: SignalRestoreOptions = {},
): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const log = opts.log ?? ((m: string) => process.stderr.write(`unilat: ${m}\n`));
  let busy = false;
  const handler = (sig: NodeJS.Signals) => {
    const code = 128 + (osConstants.signals[sig] ?? 0);
    if (busy) {
      log(`${sig} again: exiting without waiting for the tuning restore`);
      exit(code);
      return;
    }
    busy = true;
    const list = [...(typeof journals === 'function' ? journals() : journals)].filter((j) => j.dirty);
    if (list.length === 0) {
      exit(code);
      return;
    }
    log(`${sig}: restoring tuning on ${[...new Set(list.map((j) => j.host))].join(', ')}`);
    const timer = setTimeout(() => {
      log('tuning restore timed out; leftover journals will be restored on the next connection');
      exit(code);
    }, opts.timeoutMs ?? 60_000);
    timer.unref?.();
    void Promise.allSettled(list.map((j) => j.restore())).then((results) => {
      clearTimeout(timer);
      for (const r of results) {
        if (r.status === 'rejected') log(`restore failed: ${(r.reason as Error)?.message ?? r.reason}`);
        else for (const e of r.value.errors) log(`restore failed: ${e}`);
      }
      exit(code);
    });
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
