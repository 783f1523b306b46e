/**
 * The script that finds, checks and makes unilat's private home on a host (prepare/home.ts says
 * what it checks and why). It lives in the transport layer because the SSH transport's command
 * runner is cached in that home and checked the same way before it is started.
 */

/**
 * $1: the home ('' for the default). Prints `home<TAB>PATH<TAB>UID` once the path is checked and
 * made, else `refuse<TAB>PATH<TAB>WHY` for the first component at fault.
 */
export const HOME_SH = `uid=$(id -u) || exit 3
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

/** The given home, normalised, or an error message when it is no plain absolute path. */
export function normalizeHome(given: string): { path: string } | { error: string } {
  const path = given.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  if (path && (!/^\/[A-Za-z0-9._/-]*$/.test(path) || /\/\.\.?(\/|$)/.test(path))) return { error: `UNILAT_HOST_HOME ${JSON.stringify(path)}: give an absolute path of letters, digits, '.', '_', '-' and '/'` };
  return { path };
}
