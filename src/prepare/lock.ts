/**
 * The host lock: one controller at a time measures and tunes a host. A small holder process on
 * the host takes `flock` on a file in unilat's home and keeps it while it can still write to its
 * controller: it prints a heartbeat every second, and once its output is gone (the controller
 * died, or the connection did) it ends every process this run started there (found by the run's
 * marker, as the journal finds them) and exits, which releases the lock. The lock is released
 * by the kernel with its holder, so a stale one is simply free.
 */
import { hostname } from 'node:os';
import { RunFailedError } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import type { HostHome } from './home.js';
import { KILL_MARKED_SH } from './journal.js';

/** Who holds a host, as the lock's owner file says. */
export interface LockOwner {
  runId: string;
  controller: string;
  pid: number;
  since: string;
}

export class HostBusyError extends RunFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'HostBusyError';
  }
}

export interface HostLock {
  /** False once the holder is gone before release (the host is then unguarded). */
  readonly held: boolean;
  release(): Promise<void>;
}

export interface LockOptions {
  runId: string;
  /** Wait this long for another run to finish with the host; 0: fail at once. */
  waitMs: number;
  /** Told when the host is busy and the lock is waited for. */
  onWait?: (holder: string) => void;
}

/** $1 home, $2 seconds to wait, $3 the kill script; stdin: the run's marker key, the owner line. */
const HOLD_SH = `home=$1; wait=$2; kill_sh=$3
IFS= read -r key || exit 2
IFS= read -r owner || exit 2
command -v flock >/dev/null 2>&1 || { echo 'flock not found (apt-get install util-linux)' >&2; exit 5; }
exec 9>>"$home/lock" || exit 3
if ! flock -n 9; then
  printf 'busy\\t%s\\n' "$(head -c 2000 "$home/lock.owner" 2>/dev/null | tr '\\n\\t' '  ')"
  [ "$wait" -gt 0 ] 2>/dev/null || exit 4
  flock -w "$wait" 9 || { echo timeout; exit 4; }
fi
printf '%s\\n' "$owner" > "$home/lock.owner.tmp" && mv -f -- "$home/lock.owner.tmp" "$home/lock.owner"
trap '' PIPE
echo locked
while printf '.\\n' 2>/dev/null; do sleep 1; done
printf '%s\\n' "$key" | sh -c "$kill_sh" sh group >/dev/null 2>&1`;

/** The substring every process marker of a run carries (journal ids begin with the run id). */
export function runMarkerKey(runId: string): string {
  return `:${runId}-`;
}

export async function lockHost(t: Transport, home: HostHome, o: LockOptions): Promise<HostLock> {
  const owner: LockOwner = { runId: o.runId, controller: hostname(), pid: process.pid, since: new Date().toISOString() };
  const ac = new AbortController();
  let out = '';
  let state: 'waiting' | 'locked' | 'gone' = 'waiting';
  let busyWith = '';
  let onLocked: () => void = () => {};
  const locked = new Promise<void>((r) => (onLocked = r));
  const holder = t
    .run({ script: HOLD_SH, args: [home.path, String(Math.ceil(o.waitMs / 1000)), KILL_MARKED_SH] }, {
      stdin: `${runMarkerKey(o.runId)}\n${JSON.stringify(owner)}\n`,
      signal: ac.signal,
      onStdout: (c) => {
        if (state !== 'waiting') return;
        out += c.toString('utf8');
        for (;;) {
          const nl = out.indexOf('\n');
          if (nl < 0) break;
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          if (line.startsWith('busy\t')) {
            busyWith = describeOwner(line.slice(5));
            if (o.waitMs > 0) o.onWait?.(busyWith);
          } else if (line === 'locked') {
            state = 'locked';
            onLocked();
            return;
          }
        }
      },
    })
    .then(
      (r) => ({ r }),
      (e: Error) => ({ e }),
    )
    .finally(() => {
      state = 'gone';
    });
  const first = await Promise.race([locked.then(() => null), holder]);
  if (first) {
    if ('e' in first) throw first.e;
    const r = first.r;
    if (r.exitCode === 4)
      throw new HostBusyError(`the host is in use by ${busyWith || 'another unilat run'}${o.waitMs > 0 ? `, still after waiting ${Math.round(o.waitMs / 1000)} s` : ''}; wait for it to end, or give --wait-lock DURATION`);
    throw new RunFailedError(`cannot lock ${home.path}/lock: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
  return {
    get held() {
      return state === 'locked';
    },
    async release() {
      ac.abort();
      await holder;
    },
  };
}

function describeOwner(text: string): string {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    return `run ${String(o.runId)} of ${String(o.controller)} (pid ${String(o.pid)}, since ${String(o.since)})`;
  } catch {
    return 'another unilat run';
  }
}
