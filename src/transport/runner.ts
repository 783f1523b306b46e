/**
 * The controller's side of the remote command runner (runner.c): started once per SSH
 * connection over one exec channel, so the login user's shell runs once per host and run, not
 * once per command. Every command of the connection is then a spawn frame: an argument vector
 * with literal environment entries, run with execvp in a session (process group) of its own;
 * stdin, stdout and stderr travel as frames, cancel and timeout as a kill frame to the group.
 *
 * Start-up (BOOT_SH, through the login shell): check or make unilat's home (host-home.ts), then
 * start the runner cached there by source hash (a regular file of the user, checksummed like the
 * probe's); missing, it is compiled there with cc from source sent on stdin, once per host. No
 * cc, no safe home or a failed build: the caller goes on without a runner (plain exec).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../version.js';
import { HOME_SH } from './host-home.js';
import { envAssignments, shellJoin } from './quote.js';
import {
  FrameDecoder,
  READY_LINE,
  EXITED,
  FAILED,
  STARTED,
  STDERR,
  STDIN,
  STDOUT,
  decodeExit,
  decodeFailed,
  encodeFrame,
  encodeKill,
  encodeReadFile,
  encodeSpawn,
  encodeWriteFile,
  type Frame,
} from './runner-frames.js';
import { abortError, type RunOptions, type RunResult } from './transport.js';

/** The part of an SSH exec channel the runner needs (ssh2's ClientChannel has it). */
export interface ExecChannel {
  write(data: Buffer): unknown;
  end(): unknown;
  close(): unknown;
  on(event: 'data', f: (chunk: Buffer) => void): unknown;
  on(event: 'close', f: () => void): unknown;
  on(event: 'exit', f: (code: number | null, signal?: string) => void): unknown;
  on(event: 'error', f: (e: Error) => void): unknown;
  stderr: { on(event: 'data', f: (chunk: Buffer) => void): unknown };
}

export const RUNNER_SOURCE = fileURLToPath(new URL('src/transport/runner.c', PACKAGE_ROOT));
const CFLAGS = ['-O2'];
const STATUS = '@@unilat-runner:';

let sourceCache: { text: Buffer; hash: string } | undefined;
function runnerSource(): { text: Buffer; hash: string } {
  if (!sourceCache) {
    const text = readFileSync(RUNNER_SOURCE);
    sourceCache = { text, hash: createHash('sha256').update(text).update(CFLAGS.join(' ')).digest('hex').slice(0, 16) };
  }
  return sourceCache;
}

/** The runner's cache folder name under the home's probes folder (by source hash, as BOOT_SH makes it). */
export function runnerCacheName(): string {
  return `runner-${runnerSource().hash}`;
}

/**
 * $1 the home ('' for the default), $2 the source hash, $3 HOME_SH, $4 the source's length.
 * Starts the cached runner, or builds it first from the source the controller sends on stdin
 * after `send-source`; else prints why not (a STATUS line) and exits 0.
 */
const BOOT_SH = `line=$(sh -c "$3" sh "$1")
line=\${line##*"\n"}
tab='\t'
what=\${line%%"$tab"*}; rest=\${line#*"$tab"}; home=\${rest%%"$tab"*}
[ "$what" = home ] || { echo '${STATUS}no-home'; exit 0; }
printf '${STATUS}home %s\\n' "$line"
d=$home/probes/runner-$2; b=$d/unilat-runner
# Few forks: this runs on every connection.
ok() {
  [ -f "$b" ] && [ ! -L "$b" ] && [ -x "$b" ] && [ -O "$b" ] && [ -f "$b.sha256" ] && [ ! -L "$b.sha256" ] || return 1
  IFS= read -r want < "$b.sha256" || return 1
  set -- $(sha256sum < "$b")
  [ "$1" = "$want" ]
}
if ! ok; then
  command -v cc >/dev/null 2>&1 || { echo '${STATUS}no-cc'; exit 0; }
  t=$(mktemp -d "$home/probes/build.XXXXXX") || { echo '${STATUS}no-build-folder'; exit 0; }
  echo '${STATUS}send-source'
  if head -c "$4" > "$t/runner.c" && cc ${CFLAGS.join(' ')} -o "$t/unilat-runner" "$t/runner.c" 2> "$t/log" &&
    mkdir -p -m 700 -- "$d" && sha256sum < "$t/unilat-runner" | cut -d' ' -f1 > "$t/sha" && chmod 755 -- "$t/unilat-runner" &&
    mv -f -- "$t/sha" "$b.sha256" && mv -f -- "$t/unilat-runner" "$b"; then rm -rf -- "$t"
  else
    printf '${STATUS}build-failed %s\\n' "$(head -c 2000 "$t/log" 2>/dev/null | tr '\\n\\t' '  ')"; rm -rf -- "$t"; exit 0
  fi
fi
exec "$b"`;

/** The command line the login shell gets to start the runner (exported for tests). */
export function runnerBootLine(home: string): string {
  const src = runnerSource();
  return `exec ${shellJoin(['sh', '-c', BOOT_SH, 'sh', home, src.hash, HOME_SH, String(src.text.length)])}`;
}

/** Why no runner could be started (the caller runs commands without one). */
export class RunnerUnavailable {
  constructor(readonly reason: string) {}
}

/** Names the messages of one connection use. */
export interface RunnerContext {
  /** The host's name, as in every message. */
  name: string;
}

/** Number -> name; where two names share a number (SIGABRT, SIGIOT) the first, the usual one. */
function namesByNumber(table: Record<string, number>): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(table)) if (!m.has(v)) m.set(v, k);
  return m;
}
const SIGNAL_NAMES = namesByNumber(osConstants.signals);
const ERRNO_NAMES = namesByNumber(osConstants.errno);
/** Worded as the SFTP path words them, so both paths fail alike. */
const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied' };
const SIGKILL = osConstants.signals.SIGKILL;
const STDIN_CHUNK = 1 << 20;

interface Command {
  argv0: string;
  frame(f: Frame): void;
  /** The runner or the connection is gone: reject now. */
  gone(e: Error): void;
  /** Kill it (close()): it rejects with `e` once ended. */
  kill(e: Error): void;
  done: Promise<void>;
}

export class RemoteRunner {
  private readonly decoder = new FrameDecoder();
  private readonly commands = new Map<number, Command>();
  private nextId = 1;
  private endedBy: Error | null = null;
  private channelClosed = false;
  private readonly endListeners: ((how: string) => void)[] = [];
  private stderrTail = '';

  private constructor(
    private readonly ch: ExecChannel,
    /** The runner's process id on the host. */
    readonly pid: number,
    /** HOME_SH's last line as the start printed it (unilat's home, checked). */
    readonly homeLine: string,
    private readonly ctx: RunnerContext,
    firstFrames: Buffer,
  ) {
    ch.on('data', (c) => this.feed(c));
    ch.stderr.on('data', (c) => (this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-2000)));
    let exit = '';
    ch.on('exit', (code, signal) => (exit = code === null || code === undefined ? `signal ${signal ?? '?'}` : `exit ${code}`));
    ch.on('close', () => {
      this.channelClosed = true;
      const how = [exit || 'channel closed', this.stderrTail.trim()].filter(Boolean).join(': ');
      for (const f of this.endListeners) f(how);
    });
    if (firstFrames.length) this.feed(firstFrames);
  }

  /**
   * Opens the exec channel with `open` and starts the runner on it; resolves once it is ready,
   * or with why it cannot be had (no cc, no safe home, a failed build).
   */
  static start(open: (line: string) => Promise<ExecChannel>, home: string, ctx: RunnerContext, timeoutMs = 120_000): Promise<RemoteRunner | RunnerUnavailable> {
    const src = runnerSource();
    return open(runnerBootLine(home)).then(
      (ch) =>
        new Promise<RemoteRunner | RunnerUnavailable>((resolve) => {
          let text = Buffer.alloc(0);
          let errText = '';
          let homeLine = '';
          let done = false;
          const settle = (r: RemoteRunner | RunnerUnavailable) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            if (r instanceof RunnerUnavailable) ch.close();
            resolve(r);
          };
          const timer = setTimeout(() => settle(new RunnerUnavailable(`the runner did not start within ${timeoutMs / 1000} s`)), timeoutMs);
          timer.unref();
          const onData = (c: Buffer) => {
            if (done) return;
            text = Buffer.concat([text, c]);
            for (;;) {
              const nl = text.indexOf(0x0a);
              if (nl < 0) {
                if (text.length > 65536) text = text.subarray(text.length - 1024);
                return;
              }
              const line = text.subarray(0, nl).toString('utf8').replace(/\r$/, '');
              text = text.subarray(nl + 1);
              if (line.startsWith(`${READY_LINE} `)) {
                const r = new RemoteRunner(ch, Number(line.slice(READY_LINE.length + 1)), homeLine, ctx, text);
                return settle(r);
              }
              if (!line.startsWith(STATUS)) continue; // login-shell noise
              const what = line.slice(STATUS.length);
              if (what === 'send-source') ch.write(src.text);
              else if (what.startsWith('home ')) homeLine = what.slice(5);
              else if (what.startsWith('build-failed')) return settle(new RunnerUnavailable(`building the runner with cc failed: ${what.slice(12).trim()}`));
              else return settle(new RunnerUnavailable(what.replace(/-/g, ' ').trim()));
            }
          };
          ch.on('data', onData);
          ch.stderr.on('data', (c) => (errText = (errText + c.toString('utf8')).slice(-2000)));
          ch.on('error', () => {});
          ch.on('close', () => settle(new RunnerUnavailable(`the runner's channel closed before it was ready${errText.trim() ? `: ${errText.trim()}` : ''}`)));
        }),
      (e: Error) => new RunnerUnavailable(`cannot open a channel for the runner: ${e.message}`),
    );
  }

  /** Called once when the runner's channel is gone, with how it ended. */
  onEnd(f: (how: string) => void): void {
    this.endListeners.push(f);
  }

  /** True until the runner's channel is gone or fail() was called. */
  get alive(): boolean {
    return this.endedBy === null && !this.channelClosed;
  }

  /** Every command still running is rejected with `err(argv0)`; later runs with `err('')`. */
  fail(err: (argv0: string) => Error): void {
    if (this.endedBy === null) this.endedBy = err('');
    for (const c of [...this.commands.values()]) c.gone(err(c.argv0));
  }

  /** Kills every running command (each rejects with `err`); resolves once all have ended or 3 s passed. */
  async killAll(err: (argv0: string) => Error): Promise<void> {
    const cmds = [...this.commands.values()];
    for (const c of cmds) c.kill(err(c.argv0));
    if (cmds.length) await Promise.race([Promise.all(cmds.map((c) => c.done)), new Promise((r) => setTimeout(r, 3000).unref())]);
  }

  /**
   * Ends the runner: end of file on its stdin; resolves once its channel closed (at most 2 s), so
   * sshd has reaped it before the connection goes and it is not left to end on its own.
   */
  close(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      t.unref();
      this.onEnd(() => {
        clearTimeout(t);
        resolve();
      });
    });
    try {
      this.ch.end();
    } catch {
      /* already gone */
    }
    return closed;
  }

  private send(b: Buffer): void {
    this.ch.write(b);
  }

  private feed(c: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(c);
    } catch (e) {
      this.fail((argv0) => new Error(`${this.ctx.name}: the runner's output is broken (${(e as Error).message})${argv0 ? ` while running ${argv0}` : ''}`));
      this.ch.close();
      return;
    }
    for (const f of frames) this.commands.get(f.id)?.frame(f);
  }

  /** Writes `data` to `path` on the host through a temporary name beside it; `mode` unset: an existing file keeps its own. */
  async writeFile(path: string, data: Buffer, mode?: number): Promise<void> {
    const frames = [encodeWriteFile(this.nextId, path, mode)];
    for (let off = 0; off < data.length; off += STDIN_CHUNK) frames.push(encodeFrame(STDIN, this.nextId, data.subarray(off, off + STDIN_CHUNK)));
    frames.push(encodeFrame(STDIN, this.nextId));
    await this.fileOp('write', path, frames);
  }

  readFile(path: string): Promise<Buffer> {
    return this.fileOp('read', path, [encodeReadFile(this.nextId, path)]);
  }

  /** Sends a file operation's frames (all with id this.nextId) and collects its bytes until it ends. */
  private fileOp(op: string, path: string, frames: Buffer[]): Promise<Buffer> {
    if (this.endedBy) return Promise.reject(this.endedBy);
    const id = this.nextId++;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    return new Promise<Buffer>((resolve, reject) => {
      const got: Buffer[] = [];
      const finish = (e: Error | null) => {
        if (!this.commands.delete(id)) return;
        resolveDone();
        if (e) reject(e);
        else resolve(Buffer.concat(got));
      };
      this.commands.set(id, {
        argv0: `${op} ${path}`,
        done,
        gone: finish,
        kill: finish,
        frame: (f) => {
          if (f.type === STDOUT) got.push(f.payload);
          else if (f.type === EXITED) finish(null);
          else if (f.type === FAILED) {
            const { errno, message } = decodeFailed(f.payload);
            const code = ERRNO_NAMES.get(errno);
            const e = new Error(`${this.ctx.name}: ${op} ${path}: ${(code && FILE_ERRORS[code]) ?? message}`) as NodeJS.ErrnoException;
            if (code) e.code = code;
            finish(e);
          }
        },
      });
      for (const b of frames) this.send(b);
    });
  }

  /** Runs argv (literal words, no shell) with the Transport.run semantics. */
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) return Promise.reject(abortError());
    if (this.endedBy) return Promise.reject(this.endedBy);
    let spawn: Buffer;
    try {
      if (argv.length === 0) throw new Error('empty command');
      spawn = encodeSpawn(this.nextId, argv, envAssignments(opts.env));
    } catch (e) {
      return Promise.reject(e);
    }
    const id = this.nextId++;
    const argv0 = argv[0];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    return new Promise<RunResult>((resolve, reject) => {
      let settled = false;
      let killFor: 'abort' | 'timeout' | Error | null = null;
      let forced: NodeJS.Timeout | undefined;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const finish = (e: Error | null, r?: RunResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(forced);
        opts.signal?.removeEventListener('abort', onAbort);
        this.commands.delete(id);
        resolveDone();
        if (e) reject(e);
        else resolve(r!);
      };
      const killed = (): Error | null => {
        if (killFor === 'abort') return abortError();
        if (killFor === 'timeout') return new Error(`${this.ctx.name}: command timed out after ${opts.timeoutMs} ms: ${argv0}`);
        return killFor;
      };
      const kill = (why: 'abort' | 'timeout' | Error) => {
        if (settled || killFor) return;
        killFor = why;
        this.send(encodeKill(id, SIGKILL));
        // Something outside the group may hold the command's output open: do not wait forever.
        forced = setTimeout(() => finish(killed()), 5000);
        forced.unref();
      };
      const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : undefined;
      const onAbort = () => kill('abort');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.commands.set(id, {
        argv0,
        done,
        gone: (e) => finish(killFor === 'abort' ? abortError() : e),
        kill: (e) => kill(e),
        frame: (f) => {
          switch (f.type) {
            case STARTED:
              return;
            case STDOUT:
              return opts.onStdout ? opts.onStdout(f.payload) : void out.push(f.payload);
            case STDERR:
              return opts.onStderr ? opts.onStderr(f.payload) : void err.push(f.payload);
            case FAILED: {
              const k = killed();
              if (k) return finish(k);
              const { errno, message } = decodeFailed(f.payload);
              if (errno === osConstants.errno.ENOENT) {
                const e = new Error(`${this.ctx.name}: cannot run ${argv0}: command not found`) as NodeJS.ErrnoException;
                e.code = 'ENOENT';
                return finish(e);
              }
              // As a shell reports a program it found but could not run.
              return finish(null, { exitCode: 126, signal: null, stdout: '', stderr: `${message}\n` });
            }
            case EXITED: {
              const k = killed();
              if (k) return finish(k);
              const x = decodeExit(f.payload);
              return finish(null, {
                exitCode: x.code,
                signal: x.signal === null ? null : (SIGNAL_NAMES.get(x.signal) ?? `SIG${x.signal}`),
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
              });
            }
          }
        },
      });
      this.send(spawn);
      const stdin = opts.stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin, 'utf8');
      for (let off = 0; off < stdin.length; off += STDIN_CHUNK) this.send(encodeFrame(STDIN, id, stdin.subarray(off, off + STDIN_CHUNK)));
      this.send(encodeFrame(STDIN, id));
    });
  }
}
