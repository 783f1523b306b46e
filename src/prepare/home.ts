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
import type { Transport } from '../transport/transport.js';

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

/**
 * $1: the home ('' for the default). Prints `home<TAB>PATH<TAB>UID` once the path is checked and
 * made, else `refuse<TAB>PATH<TAB>WHY` for the first component at fault.
 */
const HOME_SH = `uid=$(id -u) || exit 3
home=$1
if [ -z "$home" ]; then
  if [ "$uid" = 0 ]; then home=/var/lib/unilat
  else home=\${XDG_STATE_HOME:-$HOME/.local/state}/unilat; fi
fi
case $home in /*) ;; *) printf 'refuse\\t%s\\tnot an absolute path\\n' "$home"; exit 0;; esac
# Checks one existing component: $1 path, $2 "home" for the home itself.
check() {
  if [ -L "$1" ]; then printf 'refuse\\t%s\\tis a symbolic link\\n' "$1"; exit 0; fi
  [ -d "$1" ] || { printf 'refuse\\t%s\\tis not a directory\\n' "$1"; exit 0; }
  set -- "$1" "$2" $(stat -c '%u %a' -- "$1") || exit 3
  mode=$4
  if [ "$2" = home ]; then
    [ "$3" = "$uid" ] || { printf 'refuse\\t%s\\tis owned by uid %s, not %s\\n' "$1" "$3" "$uid"; exit 0; }
    case $mode in *00) ;; *) printf 'refuse\\t%s\\thas mode %s, not 700\\n' "$1" "$mode"; exit 0;; esac
    return
  fi
  [ "$3" = 0 ] || [ "$3" = "$uid" ] || { printf 'refuse\\t%s\\tis owned by uid %s (neither root nor %s)\\n' "$1" "$3" "$uid"; exit 0; }
  # Group or others may write: only a sticky directory of root's (like /tmp) keeps them from our entries.
  w=$(( 0$mode & 022 )); sticky=$(( 0$mode & 01000 ))
  if [ "$w" != 0 ] && { [ "$sticky" = 0 ] || [ "$3" != 0 ]; }; then
    printf 'refuse\\t%s\\tis writable by other users (mode %s)\\n' "$1" "$mode"; exit 0
  fi
}
p=; rest=\${home#/}
while [ -n "$rest" ]; do
  part=\${rest%%/*}
  if [ "$part" = "$rest" ]; then rest=; else rest=\${rest#*/}; fi
  [ -n "$part" ] || continue
  [ -n "$rest" ] || break
  p=$p/$part
  if [ -e "$p" ] || [ -L "$p" ]; then check "$p" parent
  else (umask 022; mkdir -- "$p") 2>/dev/null || { printf 'refuse\\t%s\\tcannot be created\\n' "$p"; exit 0; }; fi
done
if [ ! -e "$home" ] && [ ! -L "$home" ]; then
  (umask 077; mkdir -- "$home") 2>/dev/null || { printf 'refuse\\t%s\\tcannot be created\\n' "$home"; exit 0; }
fi
check "$home" home
for d in journals probes; do
  if [ -e "$home/$d" ] || [ -L "$home/$d" ]; then check "$home/$d" home
  else (umask 077; mkdir -- "$home/$d") || exit 3; fi
done
printf 'home\\t%s\\t%s\\n' "$home" "$uid"`;

/** The path given to this controller for every host's home (tests; a lab's own layout), else the default. */
export function homeOverride(): string {
  return process.env.UNILAT_HOST_HOME ?? '';
}

/** Finds, checks and (where missing) makes unilat's home on the host. */
export async function openHome(t: Transport, given = homeOverride()): Promise<HostHome> {
  const path = given.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  if (path && (!/^\/[A-Za-z0-9._/-]*$/.test(path) || /\/\.\.?(\/|$)/.test(path))) throw new UnsafeHomeError(`UNILAT_HOST_HOME ${JSON.stringify(path)}: give an absolute path of letters, digits, '.', '_', '-' and '/'`);
  const r = await t.run({ script: HOME_SH, args: [path] }, { timeoutMs: 30_000 });
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
