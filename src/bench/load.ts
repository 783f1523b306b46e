/**
 * Background load on a target (stress-ng, hackbench or any command) around a measurement.
 *
 * The load runs in its own session (setsid), so its process group id is its session leader's
 * pid; stop() signals the whole group (TERM, then KILL) and waits until no process of the
 * session is left. A state directory on the target holds the pid and, when the load ends on
 * its own, its exit code: that is how a load that died during the measurement is detected.
 *
 * hackbench exits after its loops, so it is restarted in a loop for as long as the load is
 * meant to run; a failing hackbench ends the loop (and shows up as diedEarly with its exit code).
 * A watchdog in the same group kills everything after maxRunMs, so a load cannot outlive a
 * controller that died without calling stop(); and the load and its folder are in the host's
 * undo journal before they exist, so a step that fails, a signal or the next connection ends it.
 */
import { RunFailedError } from '../errors.js';
import type { Load } from '../scenario/schema.js';
import { abortError, type Transport } from '../transport/transport.js';
import { journaledTempDir, processMarker, type HostJournal } from '../prepare/journal.js';
import { requireTool } from './cyclictest.js';

export interface LoadOptions {
  /** The host's undo journal: the load and its state folder are recorded in it. */
  journal: HostJournal;
  signal?: AbortSignal;
  /** Safety net: the load's group is killed after this long even without stop(). Default 6 h. */
  maxRunMs?: number;
}

export interface LoadStopResult {
  ranMs: number;
  /** The load had ended on its own before stop() (it was not running for the whole measurement). */
  diedEarly: boolean;
  /** Exit code when it ended on its own; null when stop() ended it. */
  exitCode: number | null;
  /** Last lines the load wrote to stderr (for the report when it died). */
  stderrTail: string;
}

export interface LoadHandle {
  /** The load's own command (without the setsid/taskset plumbing). */
  commandLine: string[];
  startedAt: Date;
  /** Process group (= session) id on the target. */
  pgid: number;
  isRunning(): Promise<boolean>;
  /** Idempotent: later calls return the first call's promise. */
  stop(): Promise<LoadStopResult>;
}

const TOOL_PACKAGE: Record<string, string> = { 'stress-ng': 'stress-ng', hackbench: 'rt-tests', taskset: 'util-linux', setsid: 'util-linux' };

/** The load's command line (pure). */
export function loadCommand(load: Load): string[] {
  switch (load.tool) {
    case 'stress-ng':
      return ['stress-ng', ...load.args];
    case 'hackbench':
      return ['hackbench', ...load.args];
    case 'command':
      if (load.args.length === 0) throw new RunFailedError('load: tool command needs args (the program and its arguments)');
      return [...load.args];
  }
}

/**
 * In the new session: record our pid (= pgid), start the watchdog, run the load (hackbench in
 * a loop), write its exit code when it ends on its own. $1 = state dir, $2 = max seconds,
 * $3 = 1 to loop, then the command.
 */
const RUNNER = `
dir=$1; max=$2; loop=$3; shift 3
echo $$ > "$dir/pid"
( sleep "$max"; kill -KILL 0 ) >/dev/null 2>&1 &
if [ "$loop" = 1 ]; then
  while :; do "$@" >/dev/null || { rc=$?; echo "$rc" > "$dir/rc"; exit "$rc"; }; done
else
  "$@"
  echo $? > "$dir/rc"
fi
`;

/** Starts the detached runner and returns once its pid file exists. */
const LAUNCH = `
dir=$1; shift
setsid sh -c "$@" </dev/null >"$dir/out" 2>"$dir/err" &
i=0
while [ ! -s "$dir/pid" ] && [ "$i" -lt 500 ]; do sleep 0.01; i=$((i+1)); done
cat "$dir/pid"
`;

export async function startLoad(t: Transport, load: Load, opts: LoadOptions): Promise<LoadHandle> {
  const signal = opts.signal;
  if (signal?.aborted) throw abortError();
  const commandLine = loadCommand(load);
  await requireTool(t, 'setsid', TOOL_PACKAGE.setsid, signal);
  if (load.cpus) await requireTool(t, 'taskset', TOOL_PACKAGE.taskset, signal);
  const pkg = TOOL_PACKAGE[commandLine[0]];
  if (load.tool !== 'command' || pkg) await requireTool(t, commandLine[0], pkg ?? commandLine[0], signal);
  else await requireTool(t, commandLine[0], `that provides ${commandLine[0]}`, signal);

  const j = opts.journal;
  const { path: dir, entry: dirEntry } = await journaledTempDir(j, 'load', 'load');
  const marker = processMarker(j, 'load');
  const proc = await j.recordOne({ area: 'load', knob: 'load', kind: 'process', path: commandLine[0], before: '', after: commandLine.join(' '), marker, group: true });
  const pinned = load.cpus ? ['taskset', '-c', load.cpus.join(','), ...commandLine] : commandLine;
  const maxS = Math.ceil((opts.maxRunMs ?? 6 * 3600_000) / 1000);
  const loop = load.tool === 'hackbench' ? '1' : '0';
  // sh -c RUNNER MARKER DIR MAX LOOP CMD...: the runner script is one literal argument, the rest are data;
  // the marker, its $0, is how the journal finds the load's session.
  const r = await t.run({ script: LAUNCH, args: [dir, RUNNER, marker, dir, String(maxS), loop, ...pinned] }, { signal, timeoutMs: 15_000 });
  const pgid = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !Number.isInteger(pgid) || pgid <= 1) {
    await j.undo([proc, dirEntry]).catch(() => {});
    throw new RunFailedError(`${t.name}: starting the load failed: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  await j.settle([proc], 'applied', undefined);
  const startedAt = new Date();

  // The shell's kill builtin: a kill binary may be missing, and its group syntax varies.
  const kill = (sig: string, target: string) => t.run({ script: 'kill -s "$1" -- "$2" 2>/dev/null', args: [sig, target] });
  const groupAlive = async (): Promise<boolean> => (await kill('0', `-${pgid}`)).exitCode === 0;
  const ended = async (): Promise<string | null> => {
    const rc = await t.run(['cat', `${dir}/rc`]);
    return rc.exitCode === 0 ? rc.stdout.trim() : null;
  };

  let stopping: Promise<LoadStopResult> | null = null;
  const onAbort = () => void handle.stop().catch(() => {});
  const stop = async (): Promise<LoadStopResult> => {
    signal?.removeEventListener('abort', onAbort);
    const ranMs = Date.now() - startedAt.getTime();
    const rc = await ended();
    const leaderAlive = (await kill('0', String(pgid))).exitCode === 0;
    const diedEarly = rc !== null || !leaderAlive;
    // TERM lets stress-ng reap its workers; KILL whatever is left after 3 s.
    await kill('TERM', `-${pgid}`);
    for (let i = 0; i < 30 && (await groupAlive()); i++) await sleep(100);
    if (await groupAlive()) await kill('KILL', `-${pgid}`);
    for (let i = 0; i < 50 && (await groupAlive()); i++) await sleep(100);
    if (await groupAlive()) throw new RunFailedError(`${t.name}: load process group ${pgid} survived SIGKILL`);
    await j.settle([proc], 'restored');
    const err = await t.run(['tail', '-n', '5', `${dir}/err`]);
    const removed = await j.undo([dirEntry]);
    if (removed.errors.length) throw new RunFailedError(removed.errors.join('; '));
    const code = rc !== null && /^\d+$/.test(rc) ? Number(rc) : null;
    return { ranMs, diedEarly, exitCode: code, stderrTail: err.stdout.trim() };
  };
  const handle: LoadHandle = {
    commandLine,
    startedAt,
    pgid,
    async isRunning() {
      return (await ended()) === null && (await kill('0', String(pgid))).exitCode === 0;
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  return handle;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
