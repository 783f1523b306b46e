/**
 * Undoing what a run left on a host: leftovers of an earlier controller (lost connection,
 * crash) found on connecting, and this process's own journals when a signal ends it.
 */
import { constants as osConstants } from 'node:os';
import type { TuningChange } from '../results/types.js';
import type { Transport } from '../transport/transport.js';
import { BOOT_ID, HostJournal, activeJournals, type JournalEntry, type JournalFile } from './journal.js';

export interface RecoveredJournal {
  file: string;
  /** The journal's id (a version 1 file's run id). */
  id: string | null;
  /** restored: undone now; rebooted: written before the last boot, nothing to undo (file removed); unreadable: left in place. */
  outcome: 'restored' | 'partial' | 'rebooted' | 'unreadable';
  changes: TuningChange[];
  errors: string[];
}

const JOURNAL_MARK = '@@unilat-journal@@';
const LIST_JOURNALS_SH = `printf '%s %s\\n' '${JOURNAL_MARK}' "boot $(cat ${BOOT_ID} 2>/dev/null)"
uid=$(id -u)
for f in "$1"/journal-*.json; do
  [ -f "$f" ] || continue
  printf '\\n%s %s\\n' '${JOURNAL_MARK}' "$f"
  # Only our own regular files, never through a link, never a huge one.
  if [ -L "$f" ] || [ "$(stat -c %u -- "$f")" != "$uid" ]; then echo '!not-ours'; continue; fi
  head -c 4000000 -- "$f"
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
  opts: { dir: string; exclude?: Iterable<string> },
): Promise<RecoveredJournal[]> {
  const dir = opts.dir.replace(/\/+$/, '');
  const exclude = new Set(opts.exclude ?? []);
  // Journals still in use through this very connection are not leftovers; a new connection
  // (a new Transport object) recovers everything, including journals of a dropped one.
  for (const j of activeJournals()) if (j.transport === t && j.dir === dir) exclude.add(j.id);
  const r = await t.run(['sh', '-c', LIST_JOURNALS_SH, 'sh', dir], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`cannot list undo journals in ${dir} on ${t.name}: ${r.stderr.trim()}`);
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
      data = parseJournal(text);
    } catch (err) {
      // The message is ours, never the file's text: it could be anything, and it reaches run.json.
      out.push({ file, id: null, outcome: 'unreadable', changes: [], errors: [`${t.name}: ${file}: ${(err as Error).message}; left in place`] });
      continue;
    }
    if (exclude.has(data.id)) continue;
    const j = HostJournal.fromFile(t, data, file);
    if (data.bootId && bootId && data.bootId !== bootId) {
      const rm = await t.run(['rm', '-f', '--', file], { timeoutMs: 15_000 });
      out.push({ file, id: data.id, outcome: 'rebooted', changes: j.changes(), errors: rm.exitCode === 0 ? [] : [rm.stderr.trim()] });
      continue;
    }
    const rep = await j.restore();
    out.push({ file, id: data.id, outcome: rep.errors.length ? 'partial' : 'restored', changes: rep.changes, errors: rep.errors });
  }
  return out;
}

/** A persisted journal, version 2 or the tuning-only version 1 (read as version 2), checked entry by entry. */
function parseJournal(text: string): JournalFile {
  if (text.trim() === '!not-ours') throw new Error("not unilat's: a link, or a file of another user");
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('not a unilat undo journal (not JSON)');
  }
  let file: JournalFile;
  if (d?.format === 'unilat-host-journal' && d.version === 2 && typeof d.id === 'string') file = d as unknown as JournalFile;
  else if (d?.format === 'unilat-tuning-journal' && typeof d.runId === 'string')
    file = {
      format: 'unilat-host-journal',
      version: 2,
      id: d.runId,
      host: String(d.host ?? ''),
      owner: { pid: 0, controller: 'unknown' },
      bootId: typeof d.bootId === 'string' ? d.bootId : null,
      createdAt: String(d.createdAt ?? ''),
      entries: Array.isArray(d.entries) ? (d.entries as JournalEntry[]).map((e) => ({ ...e, area: 'tuning' as const })) : (null as never),
    };
  else throw new Error('not a unilat undo journal (format)');
  if (!/^[A-Za-z0-9._-]+$/.test(file.id) || !Array.isArray(file.entries)) throw new Error('not a unilat undo journal (id or entries)');
  for (const [i, e] of file.entries.entries()) {
    const why = entryProblem(e);
    if (why) throw new Error(`entry ${i}: ${why}; nothing of it was undone`);
  }
  return file;
}

/** The scheduler's features file takes any feature: undo writes only the HRTICK ones there. */
const SCHED_FEATURES_PATH = /^\/sys\/kernel\/debug\/(sched\/features|sched_features)$/;
const SCHED_FEATURE_VALUE = /^(NO_)?HRTICK(_DL)?$/;
const MOUNTS: ReadonlyArray<{ path: string; type: string }> = [
  { path: '/sys/kernel/debug', type: 'debugfs' },
  { path: '/sys/kernel/tracing', type: 'tracefs' },
];
/** The instances prepare/tracing.ts makes, under either tracefs mount point. */
const TRACE_INSTANCE = /^\/sys\/kernel\/(debug\/)?tracing\/instances\/unilat-[0-9a-f]{8}-[0-9]{1,2}$/;
/** What undo may do: write only the knobs tuning writes, kill only marked processes, remove only temp folders, unmount only what tuning mounts. */
const WRITABLE = [/^\/proc\/sys\/kernel\/sched_rt_runtime_us$/, /^\/sys\/devices\/system\/cpu\/cpu[0-9]+\/cpufreq\/scaling_governor$/, /^\/proc\/irq\/[0-9]+\/smp_affinity_list$/, SCHED_FEATURES_PATH];
const MARKER = /^unilat-[a-z-]+:[A-Za-z0-9._-]+:[0-9a-f]{8}$/;
const LEGACY_MARKER = /^unilat-dma-hold:[A-Za-z0-9._-]+:[0-9]+$/;
const FOLDER = /^\/[A-Za-z0-9._/-]*\/unilat-[a-z0-9-]+\.[A-Za-z0-9]{6}$/;

function entryProblem(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return 'not an object';
  const x = e as Record<string, unknown>;
  if (typeof x.seq !== 'number' || typeof x.knob !== 'string' || typeof x.path !== 'string' || typeof x.before !== 'string' || typeof x.state !== 'string') return 'missing fields';
  if (!['tuning', 'load', 'guest', 'tracing'].includes(String(x.area))) return 'unknown area';
  if (x.kind === 'write') {
    const path = String(x.path);
    if (!WRITABLE.some((r) => r.test(path)) || /[\n\0]/.test(String(x.before))) return 'a write to a path tuning never writes';
    return SCHED_FEATURES_PATH.test(path) && !SCHED_FEATURE_VALUE.test(String(x.before)) ? 'a scheduler feature tuning never writes' : null;
  }
  if (x.kind === 'trace-instance') return TRACE_INSTANCE.test(String(x.path)) ? null : 'a trace instance unilat never makes';
  if (x.kind === 'mount') return MOUNTS.some((m) => m.path === x.path && m.type === x.after) ? null : 'a mount tuning never makes';
  if (x.kind === 'process') return typeof x.marker === 'string' && (MARKER.test(x.marker) || LEGACY_MARKER.test(x.marker)) ? null : 'a process marker unilat never makes';
  if (x.kind === 'folder') return FOLDER.test(String(x.path)) && !String(x.path).includes('/../') ? null : 'a folder unilat never makes';
  return 'unknown kind';
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
  journals: Iterable<HostJournal> | (() => Iterable<HostJournal>) = activeJournals,
  opts: SignalRestoreOptions = {},
): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const log = opts.log ?? ((m: string) => process.stderr.write(`unilat: ${m}\n`));
  let busy = false;
  const handler = (sig: NodeJS.Signals) => {
    const code = 128 + (osConstants.signals[sig] ?? 0);
    if (busy) {
      log(`${sig} again: exiting without waiting for the restore`);
      exit(code);
      return;
    }
    busy = true;
    const list = [...(typeof journals === 'function' ? journals() : journals)].filter((j) => j.dirty);
    if (list.length === 0) {
      exit(code);
      return;
    }
    log(`${sig}: restoring what this run changed on ${[...new Set(list.map((j) => j.host))].join(', ')}`);
    const timer = setTimeout(() => {
      log('the restore timed out; leftover journals will be restored on the next connection');
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
