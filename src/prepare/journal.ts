/**
 * The one undo journal for everything the harness changes on a host (DESIGN.md "Undo journal"):
 * tuning writes, held files (cpu_dma_latency), started loads, QEMU instances and the temporary
 * folders they live in.
 *
 * Every change is recorded *before* it is made, and the journal is persisted on the host itself
 * (<unilat's home>/journals/journal-<id>.json, see home.ts), so a controller that loses the connection or dies leaves
 * enough behind for the next connection to undo it (recovery.ts). Undoing goes newest first,
 * keeps going when one entry fails, and removes the persisted file once nothing is left.
 *
 * Everything goes through the Transport: values travel as argv (`"$1"`) or stdin and the
 * scripts are constant text, so no value is ever pasted into shell code.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { TuningChange } from '../results/types.js';
import { removeDir, type Transport } from '../transport/transport.js';

export type EntryState = 'pending' | 'applied' | 'refused' | 'restored' | 'restore-failed';

/** What an entry belongs to: only tuning entries are the run record's `tuning` list. */
export type ChangeArea = 'tuning' | 'load' | 'guest' | 'tracing';

/** One recorded change. `pending` means "recorded, maybe made": undo treats it as made. */
export interface JournalEntry {
  seq: number;
  area: ChangeArea;
  /** The knob or thing changed: rtThrottling, governor, irqAffinity, dmaLatency, load, qemu, folder. */
  knob: string;
  /**
   * write: a sysfs/procfs value (undo writes `before` back);
   * process: processes started on the host, found by a marker in their argv (undo kills them);
   * folder: a temporary folder made by Transport.tempDir (undo removes it);
   * mount: a filesystem mounted on `path` (type `after`, e.g. debugfs for the hrtick knob; undo unmounts it);
   * trace-instance: an ftrace instance folder (prepare/tracing.ts; undo stops and removes it).
   */
  kind: 'write' | 'process' | 'folder' | 'mount' | 'trace-instance';
  path: string;
  before: string;
  after: string;
  state: EntryState;
  /** process entries: a unique string in the processes' argv, how undo finds them. */
  marker?: string;
  /** process entries: also kill the process group of each marked process that leads one (a load's setsid session). */
  group?: boolean;
  pid?: number;
  /** 'host': kept past the step that made it (a snapshot), undone when the host's part of the run ends. */
  lifetime?: 'host';
  error?: string;
}

export type NewEntry = Omit<JournalEntry, 'seq' | 'state'>;

/** Who wrote a journal: the controller process, for telling a live run from a dead one. */
export interface JournalOwner {
  pid: number;
  controller: string;
}

/** The persisted form (version 1 files, tuning only and without area or owner, are still read). */
export interface JournalFile {
  format: 'unilat-host-journal';
  version: 2;
  id: string;
  host: string;
  owner: JournalOwner;
  /** /proc/sys/kernel/random/boot_id when written: after a reboot nothing is left to undo. */
  bootId: string | null;
  createdAt: string;
  /** Only entries still to undo: what is back needs no second undo. */
  entries: JournalEntry[];
}

export interface RestoreReport {
  /** Entries restored by this call. */
  restored: number;
  /** One message per entry that could not be restored (the persisted file keeps it then). */
  errors: string[];
  /** The tuning changes among the entries this call was about. */
  changes: TuningChange[];
}

export const BOOT_ID = '/proc/sys/kernel/random/boot_id';

/** Journals of this process with something left to undo (what a signal handler must undo). */
const live = new Set<HostJournal>();

export function activeJournals(): HostJournal[] {
  return [...live];
}

const open = (e: JournalEntry) => e.state === 'pending' || e.state === 'applied' || e.state === 'restore-failed';

// ---- shell snippets (constant text; values only as positional parameters or stdin) ----

/** $1 dir, $2 file, stdin: content. Atomic replace so a crash never leaves half a journal. */
const PERSIST_SH = 'umask 077; mkdir -p -- "$1" && cat > "$2.tmp" && mv -f -- "$2.tmp" "$2"';
/** Pairs of (path, value): skip when already equal, else write; one status line per pair. */
const RESTORE_MANY_SH = `while [ $# -ge 2 ]; do
  p=$1; v=$2; shift 2
  c=$(cat -- "$p" 2>/dev/null)
  if [ "$c" = "$v" ]; then echo same
  elif e=$( { printf '%s' "$v" > "$p"; } 2>&1 ); then echo ok
  else printf 'fail\\t%s\\n' "$(printf '%s' "$e" | tr '\\n\\t' '  ')"; fi
done`;
/** $1 an ftrace instance: stopped, then removed (its events, buffers and settings go with it). */
const RMDIR_INSTANCE_SH = `[ -d "$1" ] || { echo gone; exit 0; }
echo 0 > "$1/tracing_on" 2>/dev/null
rmdir -- "$1" && echo ok`;
/** $1 mount point, $2 filesystem type: unmounts it if that type is still mounted there. */
const UMOUNT_SH = `grep -qsF " $1 $2 " /proc/mounts || { echo gone; exit 0; }
umount -- "$1" && echo ok`;
/**
 * stdin: marker (kept out of our own argv so we never match ourselves); $1 = "group" to kill
 * the process group of every marked process that leads one. TERM, then KILL after 5 s.
 */
export const KILL_MARKED_SH = `IFS= read -r m || exit 2
[ -n "$m" ] || exit 2
mode=$1; targets=
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$$" ] && continue
  c=$(tr '\\0' '\\n' < "$d/cmdline" 2>/dev/null) || continue
  case "$c" in *"$m"*) ;; *) continue;; esac
  t=$p
  if [ "$mode" = group ] && s=$(cat "$d/stat" 2>/dev/null); then
    set -- \${s##*) }
    [ "$3" = "$p" ] && t=-$p
  fi
  kill -s TERM -- "$t" 2>/dev/null && targets="$targets $t"
done
# A zombie has nothing left to stop: it only waits for its parent.
alive() {
  for t in $targets; do
    case $t in
      -*) kill -s 0 -- "$t" 2>/dev/null && return 0;;
      *) [ -d /proc/$t ] && ! grep -q '^State:.*Z' /proc/$t/status 2>/dev/null && return 0;;
    esac
  done
  return 1
}
i=0
while alive && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
alive && for t in $targets; do kill -s KILL -- "$t" 2>/dev/null; done
echo "killed$targets"`;

export interface JournalOptions {
  /** Identifies the journal (file name part): letters, digits, '.', '_', '-'. Random when absent. */
  id?: string;
  /** Where journals are persisted on the host: the journals folder of unilat's home (home.ts). */
  dir: string;
  /** The host's boot id when the caller has read it already (null: unknown); read on first persist otherwise. */
  bootId?: string | null;
}

export class HostJournal {
  readonly id: string;
  readonly dir: string;
  readonly file: string;
  readonly host: string;
  /** Things skipped or left as they were, for the run record's warnings. */
  readonly notes: string[] = [];
  private list: JournalEntry[] = [];
  private createdAt = new Date().toISOString();
  private owner: JournalOwner = { pid: process.pid, controller: hostname() };
  private bootId: string | null | undefined;
  private persisted = false;
  private chain: Promise<void> = Promise.resolve();
  private undoing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly transport: Transport,
    opts: JournalOptions,
  ) {
    this.id = opts.id ?? `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    if (!/^[A-Za-z0-9._-]+$/.test(this.id)) throw new Error(`invalid journal id: ${this.id}`);
    this.dir = opts.dir.replace(/\/+$/, '');
    this.file = `${this.dir}/journal-${this.id}.json`;
    this.host = transport.name;
    this.bootId = opts.bootId;
  }

  /** Rebuilds a journal from its persisted form (recovery). */
  static fromFile(t: Transport, data: JournalFile, file: string): HostJournal {
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';
    const j = new HostJournal(t, { id: data.id, dir });
    j.list = data.entries.map((e) => ({ ...e }));
    j.createdAt = data.createdAt;
    j.owner = data.owner;
    j.bootId = data.bootId;
    j.persisted = true;
    (j as { file: string }).file = file;
    return j;
  }

  get entries(): readonly JournalEntry[] {
    return this.list;
  }

  /** A mark for undoSince: everything recorded after it. */
  mark(): number {
    return this.list.length;
  }

  /** The run record's view: tuning changes made (refused writes changed nothing and are left out). */
  changes(from = 0): TuningChange[] {
    return this.list.slice(from).filter((e) => e.area === 'tuning' && e.state !== 'refused').map((e) => tuningChange(this.host, e));
  }

  /** True while something recorded is not yet undone. */
  get dirty(): boolean {
    return this.list.some(open);
  }

  toJSON(): JournalFile {
    return {
      format: 'unilat-host-journal',
      version: 2,
      id: this.id,
      host: this.host,
      owner: this.owner,
      bootId: this.bootId ?? null,
      createdAt: this.createdAt,
      entries: this.list.filter(open),
    };
  }

  /** Records entries as pending and persists them on the host before the caller makes the change. */
  async record(items: NewEntry[]): Promise<JournalEntry[]> {
    const added = items.map((e, i) => ({ ...e, seq: this.list.length + i, state: 'pending' as EntryState }));
    this.list.push(...added);
    live.add(this);
    await this.persist();
    return added;
  }

  /** Records one entry (see record). */
  async recordOne(item: NewEntry): Promise<JournalEntry> {
    return (await this.record([item]))[0];
  }

  /** Sets entries' state after the caller made (or undid) the change itself, and persists. */
  async settle(entries: JournalEntry[], state: EntryState, error?: string): Promise<void> {
    for (const e of entries) {
      e.state = state;
      if (error === undefined) delete e.error;
      else e.error = error;
    }
    await this.persist();
  }

  /** Writes the journal to the host (serialized: concurrent callers queue). */
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
      if (r.exitCode !== 0) throw new Error(`cannot persist the undo journal ${this.file} on ${this.host}: ${r.stderr.trim()}`);
      this.persisted = true;
    });
    this.chain = next.catch(() => {});
    return next;
  }

  /** Undoes what was recorded after `mark` (a step's tuning, load and guest), newest first; host-lifetime entries stay. */
  undoSince(mark: number): Promise<RestoreReport> {
    return this.undo(this.list.slice(mark).filter((e) => e.lifetime !== 'host'));
  }

  /**
   * Undoes everything still open and removes the persisted file: the end of a host's part of
   * a run, a signal, or recovery. When something cannot be undone the file stays, updated, so
   * the next connection retries.
   */
  restore(): Promise<RestoreReport> {
    return this.undo(this.list, true);
  }

  /** Undoes the open ones among `entries`, newest first; calls queue, so nothing is undone twice. */
  undo(entries: readonly JournalEntry[], removeFile = false): Promise<RestoreReport> {
    const next = this.undoing.then(() => this.doUndo(entries, removeFile));
    this.undoing = next.catch(() => {});
    return next;
  }

  private async doUndo(entries: readonly JournalEntry[], removeFile: boolean): Promise<RestoreReport> {
    const todo = entries.filter(open).sort((a, b) => b.seq - a.seq);
    const errors: string[] = [];
    let i = 0;
    while (i < todo.length) {
      // consecutive writes go in one round trip
      let k = i + 1;
      if (todo[i].kind === 'write') while (k < todo.length && todo[k].kind === 'write') k++;
      await this.undoBatch(todo.slice(i, k));
      i = k;
    }
    const restored = todo.filter((e) => e.state === 'restored').length;
    for (const e of todo) if (e.state !== 'restored') errors.push(`${this.host}: ${e.knob} ${e.path}: could not restore ${JSON.stringify(e.before)}: ${e.error ?? 'unknown error'}`);
    try {
      if (!this.dirty) {
        live.delete(this);
        if (removeFile && this.persisted) {
          const r = await this.transport.run(['rm', '-f', '--', this.file], { timeoutMs: 15_000 });
          if (r.exitCode !== 0) errors.push(`${this.host}: cannot remove ${this.file}: ${r.stderr.trim()}`);
          else this.persisted = false;
        } else if (todo.length > 0 && this.persisted) await this.persist();
      } else if (todo.length > 0) await this.persist();
    } catch (err) {
      errors.push(`${this.host}: journal file ${this.file}: ${(err as Error).message}`);
    }
    return { restored, errors, changes: todo.filter((e) => e.area === 'tuning').map((e) => tuningChange(this.host, e)) };
  }

  private async undoBatch(batch: JournalEntry[]): Promise<void> {
    try {
      const e = batch[0];
      if (e.kind === 'write') return await this.restoreWrites(batch);
      if (e.kind === 'process') {
        if (!e.marker) throw new Error('process entry without marker');
        const r = await this.transport.run(['sh', '-c', KILL_MARKED_SH, 'sh', e.group ? 'group' : 'one'], { stdin: e.marker + '\n', timeoutMs: 30_000 });
        if (r.exitCode !== 0 || !r.stdout.startsWith('killed')) throw new Error(`kill failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
        // Nothing found: it never started or already ended; either way it is gone.
      } else if (e.kind === 'mount') {
        const r = await this.transport.run(['sh', '-c', UMOUNT_SH, 'sh', e.path, e.after], { timeoutMs: 30_000 });
        if (r.exitCode !== 0 || !/^(ok|gone)$/.test(r.stdout.trim())) throw new Error(`umount ${e.path} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      } else if (e.kind === 'trace-instance') {
        const r = await this.transport.run(['sh', '-c', RMDIR_INSTANCE_SH, 'sh', e.path], { timeoutMs: 30_000 });
        if (r.exitCode !== 0 || !/^(ok|gone)$/.test(r.stdout.trim())) throw new Error(`removing the trace instance ${e.path} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      } else await removeDir(this.transport, e.path);
      e.state = 'restored';
      delete e.error;
    } catch (err) {
      for (const e of batch) {
        e.state = 'restore-failed';
        e.error = (err as Error).message;
      }
    }
  }

  private async restoreWrites(batch: JournalEntry[]): Promise<void> {
    const r = await this.transport.run(['sh', '-c', RESTORE_MANY_SH, 'sh', ...batch.flatMap((e) => [e.path, e.before])], { timeoutMs: 60_000 });
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
  }
}

export function tuningChange(host: string, e: JournalEntry): TuningChange {
  return { host, knob: e.knob, path: e.path, before: e.before, after: e.after, restored: e.state === 'restored' };
}

/** A marker for a process entry: unique, safe in argv and QEMU options, and never a prefix of another (fixed-length tail). */
export function processMarker(j: HostJournal, what: string): string {
  return `unilat-${what}:${j.id}:${randomBytes(4).toString('hex')}`;
}

/**
 * A temporary folder on the host, journaled so that a run that dies still gets it removed:
 * made first (its name is random), recorded at once.
 */
export async function journaledTempDir(j: HostJournal, area: ChangeArea, prefix: string, lifetime?: 'host'): Promise<{ path: string; entry: JournalEntry }> {
  const path = await j.transport.tempDir(prefix);
  try {
    const entry = await j.recordOne({ area, knob: 'folder', kind: 'folder', path, before: '', after: path, ...(lifetime ? { lifetime } : {}) });
    return { path, entry };
  } catch (e) {
    await removeDir(j.transport, path).catch(() => {});
    throw e;
  }
}
