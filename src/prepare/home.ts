/**
 * unilat's private home on a host: the probe cache, the undo journals and the host lock live in
 * one directory that only the user unilat logs in as can write (root: /var/lib/unilat; anyone
 * else: ~/.local/state/unilat). Before any use, every component of its path is checked without
 * following links: a directory, owned by root or that user, writable by nobody else (a sticky
 * root-owned one such as /tmp is allowed above it); the home itself must be that user's, mode
 * 0700. Anything else is refused with the path and the fix, since root would otherwise run,
 * restore or overwrite what another user planted there.
 */
import { RunFailedError } from '../errors.js';
import { HOME_SH, homeOverride, normalizeHome } from '../transport/host-home.js';
import type { Transport } from '../transport/transport.js';

export { homeOverride };

export interface HostHome {
  path: string;
  uid: number;
  journals: string;
  probes: string;
}

/** The home on a host is refused: someone else could write there. */
export class UnsafeHomeError extends RunFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeHomeError';
  }
}

/** Finds, checks and (where missing) makes unilat's home on the host. */
export async function openHome(t: Transport, given = homeOverride()): Promise<HostHome> {
  const n = normalizeHome(given);
  if ('error' in n) throw new UnsafeHomeError(n.error);
  const path = n.path;
  // The SSH transport's runner ran the same check for the same home while connecting.
  const pre = t.checkedHome?.given === path ? t.checkedHome.line : undefined;
  const r = pre === undefined ? await t.run({ script: HOME_SH, args: [path] }, { timeoutMs: 30_000 }) : { exitCode: 0, stdout: pre, stderr: '' };
  const [what, at, detail] = r.stdout.trim().split('\n').pop()!.split('\t');
  if (r.exitCode !== 0 || (what !== 'home' && what !== 'refuse')) throw new RunFailedError(`cannot check unilat's home: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  if (what === 'refuse') throw new UnsafeHomeError(`refusing ${at}: it ${detail}: another user could change or read what unilat runs and restores there as its user. Fix: ${fixFor(at, detail)}`);
  return { path: at, uid: Number(detail), journals: `${at}/journals`, probes: `${at}/probes` };
}

function fixFor(path: string, why: string): string {
  if (why.startsWith('is a symbolic link') || why.startsWith('is not a directory')) return `remove it (rm ${path}) and run again; unilat makes its home itself.`;
  if (why.startsWith('is owned by')) return `if you trust its contents, chown it to unilat's user; else remove it (rm -rf ${path}) and run again.`;
  if (why.startsWith('is writable')) return `chmod go-w ${path}`;
  if (why.startsWith('has mode')) return `chmod 700 ${path}`;
  return `give UNILAT_HOST_HOME a folder unilat may make (an absolute path).`;
}
