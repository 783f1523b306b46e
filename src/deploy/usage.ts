/**
 * A measuring tool's own cost: the CPU time and peak RSS of the process itself (the probe, or
 * rt-tests' cyclictest / cyclicdeadline), not of the harness around it. The command runs as the
 * child of an intermediate process that waits for it and reports what the kernel accounted to
 * it, as the last line of stderr:
 *  - GNU time where /usr/bin/time takes -f: getrusage of the waited-for child (wait4): user and
 *    system CPU time (printed to 10 ms) and ru_maxrss (KiB);
 *  - else a shell that waits for it and reads its own /proc/PID/stat: cutime and cstime, the CPU
 *    time of the children it waited for (clock ticks, 10 ms at CLK_TCK 100); no peak RSS then.
 * The measured process is therefore always the only child of the process the command starts.
 */
import type { Command } from '../transport/transport.js';

export interface ProcessUsage {
  /** User + system CPU time of the process (and of children it waited for), s. */
  cpuS: number;
  userS: number;
  sysS: number;
  /** Peak resident set size, KiB; null when the method cannot see it. */
  maxRssKiB: number | null;
  /** wait4: GNU time's rusage of the child; proc-stat: the waiting shell's cutime/cstime. */
  method: 'wait4' | 'proc-stat';
  /** The CPU figures are truncated to this (s): a value v stands for [v, v + resolutionS). */
  resolutionS: number;
}

const MARK = 'unilat-usage:';

/** $@ is the command. GNU time execs in place of the shell, so the command is this process's only child. */
const SCRIPT = `
if [ -x /usr/bin/time ] && /usr/bin/time -f x true >/dev/null 2>&1; then
  exec /usr/bin/time -f '${MARK} wait4 %U %S %M' -- "$@"
fi
"$@"
s=$?
IFS= read -r st < /proc/$$/stat
printf '${MARK} proc-stat %s %s\\n' "$(getconf CLK_TCK 2>/dev/null || echo 100)" "$st" >&2
exit $s
`;

/** The command `argv`, run so that its own CPU time and peak RSS are reported (see takeUsage). */
export function withUsage(argv: string[]): Command {
  return { script: SCRIPT, args: argv };
}

/** GNU time's own lines about the exit, which are not the command's. */
const TIME_NOTE = /^Command (exited with non-zero status|terminated by signal) \d+$/;

/**
 * The usage line of a withUsage command's stderr, and that stderr without it (and without GNU
 * time's notes on the exit status). usage is null when no line is there or its figures are not
 * plausible numbers.
 */
export function takeUsage(stderr: string): { usage: ProcessUsage | null; rest: string } {
  let usage: ProcessUsage | null = null;
  const keep: string[] = [];
  for (const line of stderr.split('\n')) {
    if (line.startsWith(MARK)) usage = parseUsage(line.slice(MARK.length).trim()) ?? usage;
    else if (!TIME_NOTE.test(line.trim())) keep.push(line);
  }
  return { usage, rest: keep.join('\n') };
}

function parseUsage(s: string): ProcessUsage | null {
  let m = /^wait4 (\d+\.\d+) (\d+\.\d+) (\d+)$/.exec(s);
  if (m) return usage(Number(m[1]), Number(m[2]), Number(m[3]), 'wait4', 0.01);
  m = /^proc-stat (\d+) \d+ \(.*\) (.*)$/.exec(s);
  if (!m) return null;
  const hz = Number(m[1]);
  // After "(comm)": field 3 (state) is f[0], so cutime (16) is f[13] and cstime (17) f[14].
  const f = m[2].split(' ');
  if (!(hz > 0) || f.length < 15) return null;
  return usage(Number(f[13]) / hz, Number(f[14]) / hz, null, 'proc-stat', 1 / hz);
}

function usage(userS: number, sysS: number, maxRssKiB: number | null, method: ProcessUsage['method'], resolutionS: number): ProcessUsage | null {
  const ok = (v: number) => Number.isFinite(v) && v >= 0;
  if (!ok(userS) || !ok(sysS) || (maxRssKiB !== null && !ok(maxRssKiB))) return null;
  return { cpuS: userS + sysS, userS, sysS, maxRssKiB, method, resolutionS };
}
