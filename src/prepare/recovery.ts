/**
 * Undoing what a run left on a host: leftovers of an earlier controller (lost connection,
 * crash) found on connecting, and this process's own journals when a signal ends it.
 */
import { constants as osConstants } from 'node:os';
import type { TuningChange } from '../results/types.js';
import type { Transport } from '../transport/transport.js';
import { BOOT_ID, DEFAULT_JOURNAL_DIR, HostJournal, activeJournals, type JournalEntry, type JournalFile } from './journal.js';

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
      out.push({ file, id: null, outcome: 'unreadable', changes: [], errors: [`${t.name}: ${file}: ${(err as Error).message}`] });
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

/** A persisted journal, version 2 or the tuning-only version 1 (read as version 2). */
function parseJournal(text: string): JournalFile {
  const d = JSON.parse(text) as Record<string, unknown>;
  if (d.format === 'unilat-host-journal' && d.version === 2 && Array.isArray(d.entries) && typeof d.id === 'string') return d as unknown as JournalFile;
  if (d.format === 'unilat-tuning-journal' && Array.isArray(d.entries) && typeof d.runId === 'string')
    return {
      format: 'unilat-host-journal',
      version: 2,
      id: d.runId,
      host: String(d.host ?? ''),
      owner: { pid: 0, controller: 'unknown' },
      bootId: typeof d.bootId === 'string' ? d.bootId : null,
      createdAt: String(d.createdAt ?? ''),
      entries: (d.entries as JournalEntry[]).map((e) => ({ ...e, area: 'tuning' })),
    };
  throw new Error('not a unilat undo journal');
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
