/**
 * The SSH transport (DESIGN.md "Transport"), on ssh2 — the only module that imports it.
 *
 * Commands go through one remote command runner per connection (runner.ts, runner.c): started
 * once over an exec channel (the login user's shell runs once per host and run), it gets every
 * command as an argument vector and kills process groups on cancel and timeout. A runner that
 * dies is started again (at most MAX_RUNNER_RESTARTS times, then every command fails with a
 * clear error); where none can be had (no cc on the host, UNILAT_SSH_RUNNER=off) each command
 * is an exec of its own, as follows.
 *
 * Files (upload, writeFile, read) go through the runner too, without a process on the host;
 * without a runner, through SFTP.
 *
 * Plain exec: the argv is quoted by quote.ts and run as
 *   exec [env K=V ...] sh -c WRAPPER sh ARGV...
 * OpenSSH gives every session its own session/process group (setsid), and every step above
 * exec()s, so the command keeps the session leader's pid. The wrapper reports that pid as its
 * first stderr line (stripped before the caller sees stderr); cancel and timeout kill the whole
 * process group through a second channel, so the remote command really dies, not just the channel.
 * A missing program is reported like the local transport does: rejected with code ENOENT.
 *
 * Host keys: checked against an OpenSSH known_hosts file (known-hosts.ts); a changed key is
 * refused, an unknown one is refused unless acceptNewHostKeys (then recorded, like accept-new).
 * Secrets come only from environment variables the config names, and are scrubbed from messages.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { appendKnownHost, checkHostKey, fingerprintSha256, knownHostName, knownKeyTypes, keyTypeOf, readKnownHosts } from './known-hosts.js';
import { abortError } from './transport.js';
import { homeOverride } from './host-home.js';
import { envAssignments, shellJoin } from './quote.js';
import { RemoteRunner, RunnerUnavailable, type ExecChannel } from './runner.js';
import { TransportError, type Command, type RunOptions, type RunResult, type Transport } from './transport.js';

const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

export interface SshTarget {
  /** The host's name as the user knows it (hosts file name); used in every message. */
  name: string;
  /** IP address or DNS name to connect to (for a jump target: as the jump host resolves it). */
  address: string;
  port: number;
  user: string;
  identityFile?: string;
  /** Name of the environment variable holding the identity file's passphrase. */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password. */
  passwordEnv?: string;
  /** Offer the keys of the ssh-agent at SSH_AUTH_SOCK. */
  useAgent: boolean;
  /** OpenSSH known_hosts file to verify (and, with acceptNewHostKeys, record) host keys. */
  knownHosts: string;
  acceptNewHostKeys: boolean;
  /** StrictHostKeyChecking=no: a changed key is accepted too (the caller warns). */
  acceptChangedHostKeys?: boolean;
  /** Reach this host through another one (ProxyJump). */
  jump?: SshTarget;
  /** Keepalive probe interval; 3 unanswered probes drop the connection. Default 5000. */
  keepaliveIntervalMs?: number;
  /** Limit for TCP connect + handshake + authentication. Default 15000. */
  connectTimeoutMs?: number;
}

export interface SshConnectOptions {
  signal?: AbortSignal;
  /** Run commands through one remote runner (default: yes, unless UNILAT_SSH_RUNNER=off). */
  runner?: boolean;
  /** unilat's home on the host, where the runner is cached (default: UNILAT_HOST_HOME, else the user's default). */
  home?: string;
}

/** A runner that died is started again this often per connection; then commands fail. */
export const MAX_RUNNER_RESTARTS = 3;

/** Whether the runner is wanted: UNILAT_SSH_RUNNER=off runs every command as an exec of its own. */
export function runnerWanted(opts: SshConnectOptions = {}): boolean {
  return opts.runner ?? process.env.UNILAT_SSH_RUNNER !== 'off';
}

/** Key types as written in known_hosts -> host key algorithms that produce them (ssh2 names). */
const ALGOS_FOR_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

const MARK = '@@unilat:';
/** Runs "$@" after reporting its pid (= process group, see above); a missing program is reported instead. */
const WRAPPER = `command -v -- "$1" >/dev/null 2>&1 || { echo '${MARK}enoent' >&2; exit 127; }; echo "${MARK}pid:$$" >&2; exec "$@"`;
const KILL_GROUP = 'kill -s KILL -- "-$1" 2>/dev/null || kill -s KILL "$1" 2>/dev/null; true';

/** OpenSSH's default MaxSessions is 10: leave room for the SFTP channel and a kill channel. */
const MAX_RUN_CHANNELS = 8;

/** The shell line the remote login shell receives for `argv` (exported for tests). */
export function remoteCommandLine(argv: readonly string[], env?: Record<string, string>): string {
  if (argv.length === 0) throw new Error('empty command');
  const envArgs = envAssignments(env);
  const words = [...(envArgs.length ? ['env', ...envArgs] : []), 'sh', '-c', WRAPPER, 'sh', ...argv];
  return `exec ${shellJoin(words)}`;
}

function describe(t: SshTarget): string {
  return `${t.name} (${t.user}@${t.address}:${t.port}${t.jump ? ` via ${t.jump.name}` : ''})`;
}

class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.free > 0) {
      this.free--;
    } else {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(abortError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(go);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

interface ActiveRun {
  /** The connection is gone: reject now. */
  lost(err: TransportError): void;
  /** Kill the remote command (used by close()). */
  kill(): void;
  done: Promise<unknown>;
}

function sftpError(host: string, op: string, path: string, e: unknown): Error {
  const code = (e as { code?: unknown }).code;
  const names: Record<number, [string, string]> = { 2: ['ENOENT', 'no such file'], 3: ['EACCES', 'permission denied'] };
  const known = typeof code === 'number' ? names[code] : undefined;
  const err = new Error(`${host}: ${op} ${path}: ${known ? known[1] : (e as Error).message}`) as NodeJS.ErrnoException;
  if (known) err.code = known[0];
  return err;
}

export class SshTransport implements Transport {
  readonly name: string;
  private lostReason: string | null = null;
  private closed = false;
  private sftpP: Promise<SFTPWrapper> | null = null;
  private readonly slots = new Slots(MAX_RUN_CHANNELS);
  private readonly active = new Set<ActiveRun>();
  private runner: RemoteRunner | null = null;
  private runnerStarting: Promise<RemoteRunner | null> | null = null;
  /** Why commands run without a runner (null: they run through one). */
  private noRunner: string | null = 'not started';
  private runnerHome = '';
  private runnerStarts = 0;

  private constructor(
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly jumpVia: SshTransport | null,
    private readonly secrets: string[],
  ) {
    this.name = target.name;
    const onGone = (why: string) => {
      if (this.lostReason !== null) return;
      this.lostReason = this.closed ? `${describe(target)}: connection closed` : `${describe(target)}: connection lost (${this.scrub(why)})`;
      for (const r of this.active) r.lost(new TransportError(this.lostReason, this.name));
      const reason = this.lostReason;
      this.runner?.fail(() => new TransportError(reason, this.name));
    };
    client.on('error', (e: Error) => onGone(e.message));
    client.on('end', () => onGone('closed by the remote side'));
    client.on('close', () => onGone('closed by the remote side'));
  }

  /** Connects (through the jump host, if any), verifies the host key and authenticates. */
  static async connect(target: SshTarget, opts: SshConnectOptions = {}): Promise<SshTransport> {
    const desc = describe(target);
    const fail = (m: string) => new TransportError(`${desc}: ${m}`, target.name);
    if (opts.signal?.aborted) throw abortError();

    const secrets: string[] = [];
    const secretFrom = (envName: string | undefined, what: string): string | undefined => {
      if (!envName) return undefined;
      const v = process.env[envName];
      if (v === undefined || v === '') throw fail(`environment variable ${envName} (${what}) is not set`);
      secrets.push(v);
      return v;
    };
    const password = secretFrom(target.passwordEnv, 'password');
    const passphrase = secretFrom(target.passphraseEnv, 'identity file passphrase');
    let privateKey: Buffer | undefined;
    if (target.identityFile) {
      try {
        privateKey = await readFile(target.identityFile);
      } catch (e) {
        throw fail(`cannot read identity file ${target.identityFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    let agent: string | undefined;
    if (target.useAgent) {
      agent = process.env.SSH_AUTH_SOCK;
      if (!agent) throw fail('agent authentication asked for, but SSH_AUTH_SOCK is not set');
    }
    if (!privateKey && password === undefined && !agent)
      throw fail('no authentication method configured (identityFile, passwordEnv or agent)');

    let entries;
    try {
      entries = await readKnownHosts(target.knownHosts);
    } catch (e) {
      throw fail(`cannot read known_hosts file ${target.knownHosts} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    // Like OpenSSH: ask for a host key type we already know, so a server that also has
    // other key types is not reported as unknown.
    const preferred = knownKeyTypes(entries, target.address, target.port).flatMap((t) => ALGOS_FOR_KEY_TYPE[t] ?? []);

    let jumpVia: SshTransport | null = null;
    let sock: Duplex | undefined;
    if (target.jump) {
      try {
        jumpVia = await SshTransport.connect(target.jump, { ...opts, runner: false });
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        throw fail(`cannot reach jump host: ${(e as Error).message}`);
      }
      try {
        sock = await jumpVia.forwardOut(target.address, target.port);
      } catch (e) {
        await jumpVia.close();
        throw fail(`jump host ${target.jump.name} could not connect to ${target.address}:${target.port} (${(e as Error).message})`);
      }
    }

    const client = new Client();
    let hostKeyProblem: string | null = null;
    const nameInFile = knownHostName(target.address, target.port);
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      const fp = fingerprintSha256(key);
      const type = keyTypeOf(key);
      const r = checkHostKey(entries, target.address, target.port, key);
      if (r.status === 'ok') return verify(true);
      if (r.status === 'revoked') {
        hostKeyProblem = `host key verification failed: the ${type} key ${fp} offered by ${nameInFile} is marked @revoked in ${target.knownHosts}:${r.entry.line}`;
        return verify(false);
      }
      if (r.status === 'changed') {
        if (target.acceptChangedHostKeys) return verify(true);
        hostKeyProblem =
          `host key verification failed: the ${type} key offered by ${nameInFile} (${fp}) differs from the one recorded in ` +
          `${target.knownHosts}:${r.entry.line}. Someone may be intercepting the connection, or the host was reinstalled; ` +
          `if the change is expected, remove that line (ssh-keygen -R '${nameInFile}' -f ${target.knownHosts})`;
        return verify(false);
      }
      if (!target.acceptNewHostKeys) {
        hostKeyProblem =
          `host key verification failed: ${nameInFile} is not in ${target.knownHosts} (offered ${type} key ${fp}` +
          `${r.otherTypes.length ? `; recorded key types: ${r.otherTypes.join(', ')}` : ''}); ` +
          `check the fingerprint and add it to the file, or accept new host keys`;
        return verify(false);
      }
      appendKnownHost(target.knownHosts, target.address, target.port, key).then(
        () => verify(true),
        (e: NodeJS.ErrnoException) => {
          hostKeyProblem = `cannot record the new host key ${fp} in ${target.knownHosts} (${e.code ?? e.message})`;
          verify(false);
        },
      );
    };

    const timeoutMs = target.connectTimeoutMs ?? 15000;
    const keepaliveMs = target.keepaliveIntervalMs ?? 5000;
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      sock: sock as ConnectConfig['sock'],
      privateKey,
      passphrase,
      password,
      agent,
      readyTimeout: timeoutMs,
      keepaliveInterval: keepaliveMs,
      keepaliveCountMax: 3,
      hostVerifier: hostVerifier as unknown as ConnectConfig['hostVerifier'],
      ...(preferred.length ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred } as never } } : {}),
    };

    const scrub = (m: string) => secrets.reduce((s, v) => s.split(v).join('***'), m);
    try {
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const done = (e?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (e) {
            client.removeAllListeners('ready');
            client.end();
            client.destroy();
            reject(e);
          } else resolve();
        };
        const timer = setTimeout(() => done(fail(`timed out after ${timeoutMs} ms connecting`)), timeoutMs + 1000);
        const onAbort = () => done(abortError());
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        client.once('ready', () => done());
        client.on('error', (e: Error & { level?: string; code?: string }) => {
          if (settled) return;
          if (hostKeyProblem) return done(fail(hostKeyProblem));
          if (e.level === 'client-authentication') {
            const tried = [privateKey ? `publickey (${target.identityFile})` : '', agent ? 'agent' : '', password !== undefined ? `password (from $${target.passwordEnv})` : '']
              .filter(Boolean)
              .join(', ');
            return done(fail(`authentication failed for user ${target.user} (tried: ${tried})`));
          }
          if (e.level === 'client-timeout') return done(fail(`timed out after ${timeoutMs} ms waiting for the SSH handshake`));
          switch (e.code) {
            case 'ECONNREFUSED':
              return done(fail('connection refused (is sshd running on that port?)'));
            case 'ETIMEDOUT':
            case 'EHOSTUNREACH':
            case 'ENETUNREACH':
              return done(fail(`host unreachable (${e.code})`));
            case 'ENOTFOUND':
            case 'EAI_AGAIN':
              return done(fail(`cannot resolve ${target.address} (${e.code})`));
            case 'ECONNRESET':
              return done(fail('connection reset during the handshake'));
          }
          done(fail(scrub(e.message)));
        });
        client.on('close', () => done(fail(hostKeyProblem ?? 'connection closed during the handshake')));
        try {
          client.connect(config);
        } catch (e) {
          // ssh2 throws synchronously for keys it cannot parse (e.g. a wrong passphrase).
          done(fail(`cannot use identity file ${target.identityFile ?? ''}: ${scrub((e as Error).message)}`));
        }
      });
    } catch (e) {
      if (jumpVia) await jumpVia.close();
      throw e;
    }
    const t = new SshTransport(target, client, jumpVia, secrets);
    if (runnerWanted(opts)) {
      t.runnerHome = opts.home ?? homeOverride();
      t.noRunner = null;
      let onAbort = () => {};
      const aborted = new Promise<'aborted'>((resolve) => (onAbort = () => resolve('aborted')));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
      const started = await Promise.race([t.startRunner(), aborted]);
      opts.signal?.removeEventListener('abort', onAbort);
      if (started === 'aborted') {
        await t.close();
        throw abortError();
      }
      if (!started) {
        // The connection itself may be what failed: then say so, as a plain command would.
        if (t.lostReason !== null) throw new TransportError(t.lostReason, t.name);
      }
    } else t.noRunner = 'UNILAT_SSH_RUNNER=off';
    return t;
  }

  get checkedHome(): { given: string; line: string } | undefined {
    return this.runner?.alive && this.runner.homeLine ? { given: this.runnerHome, line: this.runner.homeLine } : undefined;
  }

  /** How commands run: 'runner' (one remote runner for the connection) or 'exec' (one channel each), and why. */
  get commandMode(): { mode: 'runner' | 'exec'; pid?: number; reason?: string } {
    if (this.runner?.alive) return { mode: 'runner', pid: this.runner.pid };
    return this.noRunner === null ? { mode: 'runner' } : { mode: 'exec', reason: this.noRunner };
  }

  /** Starts the runner (again): null when none can be had (this.noRunner says why) or the limit is reached. */
  private startRunner(): Promise<RemoteRunner | null> {
    if (this.runnerStarting) return this.runnerStarting;
    const desc = describe(this.target);
    const p = (async () => {
      this.runnerStarts++;
      const r = await RemoteRunner.start(
        (line) =>
          new Promise<ExecChannel>((resolve, reject) => {
            try {
              this.client.exec(line, (e, ch) => (e ? reject(new Error(this.scrub(e.message))) : resolve(ch)));
            } catch (e) {
              reject(e as Error);
            }
          }),
        this.runnerHome,
        { name: this.name },
      );
      if (r instanceof RunnerUnavailable) {
        // Only the first start may fall back: a runner that worked and cannot come back is an error.
        if (this.runnerStarts === 1) this.noRunner = r.reason;
        else this.runnerFailure = `${desc}: the remote command runner could not be started again: ${this.scrub(r.reason)}`;
        return null;
      }
      r.onEnd((how) => {
        if (this.runner === r) this.runner = null;
        // The connection's own end is reported by onGone; wait for it to be seen.
        setImmediate(() => {
          const reason = this.lostReason ?? (this.closed ? `${desc}: transport closed` : null);
          r.fail((argv0) => new TransportError(reason ?? `${desc}: the remote command runner ended (${this.scrub(how)})${argv0 ? ` while running ${argv0}` : ''}`, this.name));
        });
      });
      this.runner = r;
      return r;
    })();
    this.runnerStarting = p;
    p.finally(() => {
      if (this.runnerStarting === p) this.runnerStarting = null;
    }).catch(() => {});
    return p;
  }

  /** Set once the runner died and could not come back: every command fails with it. */
  private runnerFailure: string | null = null;

  /** The live runner, restarted when it died (bounded); null: run without one. */
  private async liveRunner(): Promise<RemoteRunner | null> {
    if (this.noRunner !== null) return null;
    if (this.runner?.alive) return this.runner;
    if (this.runnerFailure === null && !this.runnerStarting && this.runnerStarts > MAX_RUNNER_RESTARTS)
      this.runnerFailure = `${describe(this.target)}: the remote command runner ended ${this.runnerStarts} times; giving up on this connection (UNILAT_SSH_RUNNER=off runs commands without it)`;
    if (this.runnerFailure !== null) throw new TransportError(this.runnerFailure, this.name);
    const r = await this.startRunner();
    this.usable();
    if (!r) throw new TransportError(this.runnerFailure ?? `${describe(this.target)}: the remote command runner could not be started again`, this.name);
    return r;
  }

  private scrub(m: string): string {
    return this.secrets.reduce((s, v) => s.split(v).join('***'), m);
  }

  private usable(): void {
    if (this.lostReason !== null) throw new TransportError(this.lostReason, this.name);
    if (this.closed) throw new TransportError(`${describe(this.target)}: transport is closed`, this.name);
  }

  /** A TCP stream to address:port opened by this host (for jumping through it). */
  forwardOut(address: string, port: number): Promise<Duplex> {
    this.usable();
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, address, port, (err, ch) => (err ? reject(new Error(this.scrub(err.message))) : resolve(ch)));
    });
  }

  async run(cmd: Command, opts: RunOptions = {}): Promise<RunResult> {
    const argv = Array.isArray(cmd) ? cmd : ['sh', '-c', cmd.script, 'sh', ...(cmd.args ?? [])];
    const line = remoteCommandLine(argv, opts.env);
    if (opts.signal?.aborted) throw abortError();
    this.usable();
    const runner = await this.liveRunner();
    if (runner) return runner.run(argv, opts);
    const release = await this.slots.acquire(opts.signal);
    try {
      this.usable();
      return await this.runOnChannel(argv, line, opts);
    } finally {
      release();
    }
  }

  private runOnChannel(argv: readonly string[], line: string, opts: RunOptions): Promise<RunResult> {
    const desc = describe(this.target);
    let resolveDone!: () => void;
    const entry: ActiveRun = { lost: () => {}, kill: () => {}, done: new Promise<void>((r) => (resolveDone = r)) };
    const p = new Promise<RunResult>((resolve, reject) => {
      let settled = false;
      let channel: ClientChannel | null = null;
      let pid: number | null = null;
      let killFor: 'abort' | 'timeout' | 'close' | null = null;
      let killSent = false;
      let enoent = false;
      let exit: { code: number | null; signal: string | null } | null = null;
      let chClosed = false;
      let errEnded = false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let header: Buffer | null = Buffer.alloc(0);

      const finish = (e: Error | null, r?: RunResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.active.delete(entry);
        resolveDone();
        if (e) reject(e);
        else resolve(r!);
      };

      const sendKill = () => {
        if (killSent || !channel) return;
        if (pid === null) {
          // The wrapper has not reported yet; the marker handler calls us again. Should it
          // never report (a login shell stuck before our command), drop the channel.
          if (header === null) channel.close();
          else setTimeout(() => !killSent && channel?.close(), 5000).unref();
          return;
        }
        killSent = true;
        const ch = channel;
        const closeMain = () => ch.close();
        try {
          this.client.exec(shellJoin(['sh', '-c', KILL_GROUP, 'sh', String(pid)]), (e, kch) => {
            if (e) {
              // No channel for the kill: ask sshd to signal the command, then drop the channel.
              try {
                ch.signal('KILL');
              } catch {
                /* not supported */
              }
              return closeMain();
            }
            kch.resume();
            kch.stderr.resume();
            kch.on('close', closeMain);
            kch.end();
          });
        } catch {
          closeMain();
        }
      };
      const requestKill = (why: 'abort' | 'timeout' | 'close') => {
        if (settled || killFor) return;
        killFor = why;
        sendKill();
      };
      entry.kill = () => requestKill('close');
      entry.lost = (e) => finish(killFor === 'abort' ? abortError() : e);

      const timer = opts.timeoutMs ? setTimeout(() => requestKill('timeout'), opts.timeoutMs) : undefined;
      const onAbort = () => requestKill('abort');
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const emitErr = (c: Buffer) => {
        if (c.length === 0) return;
        if (opts.onStderr) opts.onStderr(c);
        else err.push(c);
      };
      // The first stderr lines up to our marker: login-shell noise passes through, the marker is eaten.
      const onStderr = (c: Buffer) => {
        if (header === null) return emitErr(c);
        header = Buffer.concat([header, c]);
        for (;;) {
          const nl = header.indexOf(0x0a);
          if (nl < 0) {
            if (header.length > 65536) {
              emitErr(header);
              header = null;
            }
            return;
          }
          const lineText = header.subarray(0, nl).toString('utf8');
          const rest = header.subarray(nl + 1);
          if (lineText.startsWith(MARK)) {
            header = null;
            const what = lineText.slice(MARK.length);
            if (what === 'enoent') enoent = true;
            else if (/^pid:\d+$/.test(what)) pid = Number(what.slice(4));
            emitErr(rest);
            if (killFor) sendKill();
            return;
          }
          emitErr(header.subarray(0, nl + 1));
          header = rest;
        }
      };

      const settleIfDone = () => {
        if (!chClosed || !errEnded) return;
        if (header && header.length) emitErr(header);
        header = null;
        if (killFor === 'abort') return finish(abortError());
        if (killFor === 'timeout') return finish(new Error(`${this.name}: command timed out after ${opts.timeoutMs} ms: ${argv[0]}`));
        if (killFor === 'close') return finish(new TransportError(`${desc}: transport closed while running ${argv[0]}`, this.name));
        if (!exit) {
          return finish(new TransportError(this.lostReason ?? `${desc}: connection lost while running ${argv[0]} (no exit status)`, this.name));
        }
        if (enoent) {
          const e = new Error(`${this.name}: cannot run ${argv[0]}: command not found`) as NodeJS.ErrnoException;
          e.code = 'ENOENT';
          return finish(e);
        }
        finish(null, {
          exitCode: exit.code,
          signal: exit.signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      };

      this.active.add(entry);
      try {
        this.client.exec(line, (e, ch) => {
          if (e) {
            const msg = this.lostReason ?? `${desc}: cannot start ${argv[0]} (${this.scrub(e.message)})`;
            return finish(new TransportError(msg, this.name));
          }
          channel = ch;
          ch.on('data', (c: Buffer) => (opts.onStdout ? opts.onStdout(c) : out.push(c)));
          ch.stderr.on('data', onStderr);
          ch.stderr.on('end', () => {
            errEnded = true;
            settleIfDone();
          });
          ch.on('exit', (code: number | null, signal?: string) => {
            exit = { code: code ?? null, signal: code === null || code === undefined ? (signal ?? null) : null };
          });
          ch.on('close', () => {
            chClosed = true;
            settleIfDone();
          });
          ch.on('error', () => {});
          if (opts.stdin !== undefined) ch.end(opts.stdin);
          else ch.end();
          if (settled) ch.close();
          else if (killFor) sendKill();
        });
      } catch (e) {
        finish(new TransportError(this.lostReason ?? `${desc}: cannot start ${argv[0]} (${this.scrub((e as Error).message)})`, this.name));
      }
    });
    return p;
  }

  private sftp(): Promise<SFTPWrapper> {
    this.usable();
    if (!this.sftpP) {
      const p = new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((e, s) => {
          if (e) return reject(new TransportError(this.lostReason ?? `${describe(this.target)}: cannot start SFTP (${this.scrub(e.message)})`, this.name));
          s.on('close', () => {
            if (this.sftpP === p) this.sftpP = null;
          });
          resolve(s);
        });
      });
      this.sftpP = p;
      p.catch(() => {
        if (this.sftpP === p) this.sftpP = null;
      });
    }
    return this.sftpP;
  }

  /** Wraps an SFTP call: a lost connection becomes a TransportError, the rest errno-like errors. */
  private async sftpCall<T>(op: string, path: string, f: (s: SFTPWrapper, cb: (e: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    const s = await this.sftp();
    return new Promise<T>((resolve, reject) => {
      f(s, (e, v) => {
        if (!e) return resolve(v as T);
        if (this.lostReason !== null) return reject(new TransportError(this.lostReason, this.name));
        reject(sftpError(this.name, op, path, e));
      });
    });
  }

  private async remoteStat(path: string): Promise<Stats | null> {
    try {
      return await this.sftpCall<Stats>('stat', path, (s, cb) => s.stat(path, cb));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  private async mkdirp(dir: string): Promise<void> {
    if (dir === '/' || dir === '.' || dir === '') return;
    const st = await this.remoteStat(dir);
    if (st) {
      if (!st.isDirectory()) throw new Error(`${this.name}: ${dir} exists and is not a directory`);
      return;
    }
    await this.mkdirp(posix.dirname(dir));
    try {
      await this.sftpCall<void>('mkdir', dir, (s, cb) => s.mkdir(dir, cb));
    } catch (e) {
      // Someone else may have made it meanwhile.
      if (!(await this.remoteStat(dir))?.isDirectory()) throw e;
    }
  }

  /**
   * Writes into a temporary name beside the target and renames it over the target, so a
   * reader never sees half a file and a running binary can be replaced (no ETXTBSY).
   */
  private async replaceWith(remotePath: string, mode: number | undefined, write: (tmp: string) => Promise<void>): Promise<void> {
    await this.mkdirp(posix.dirname(remotePath));
    const tmp = `${remotePath}.unilat-${randomBytes(4).toString('hex')}`;
    try {
      await write(tmp);
      if (mode !== undefined) await this.sftpCall<void>('chmod', tmp, (s, cb) => s.chmod(tmp, mode, cb));
      await this.sftpCall<void>('rename', remotePath, (s, cb) => {
        try {
          s.ext_openssh_rename(tmp, remotePath, cb);
        } catch {
          // Server without posix-rename@openssh.com: plain SFTP rename refuses to overwrite.
          s.unlink(remotePath, () => s.rename(tmp, remotePath, cb));
        }
      });
    } catch (e) {
      await this.sftpCall<void>('unlink', tmp, (s, cb) => s.unlink(tmp, cb)).catch(() => {});
      throw e;
    }
  }

  async upload(localPath: string, remotePath: string, mode?: number): Promise<void> {
    // Like cp: the local file's permission bits unless a mode is given.
    const st = await stat(localPath);
    const runner = await this.liveRunner();
    if (runner) return runner.writeFile(remotePath, await readFile(localPath), mode ?? st.mode & 0o7777);
    await this.replaceWith(remotePath, mode ?? st.mode & 0o7777, (tmp) =>
      this.sftpCall<void>('upload', remotePath, (s, cb) => s.fastPut(localPath, tmp, (e) => cb(e))),
    );
  }

  async writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void> {
    this.usable();
    const runner = await this.liveRunner();
    if (runner) return runner.writeFile(remotePath, Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'), mode);
    // An existing file keeps its mode unless one is given (as fs.writeFile does).
    const keep = mode === undefined ? (await this.remoteStat(remotePath))?.mode : undefined;
    await this.replaceWith(remotePath, mode ?? (keep !== undefined ? keep & 0o7777 : undefined), (tmp) =>
      this.sftpCall<void>('write', remotePath, (s, cb) => s.writeFile(tmp, data, (e) => cb(e))),
    );
  }

  async read(remotePath: string): Promise<Buffer> {
    this.usable();
    const runner = await this.liveRunner();
    if (runner) return runner.readFile(remotePath);
    return this.sftpCall<Buffer>('read', remotePath, (s, cb) => s.readFile(remotePath, cb));
  }

  async tempDir(prefix: string): Promise<string> {
    if (!/^[a-z0-9-]+$/.test(prefix)) throw new Error(`internal: bad temp folder prefix ${JSON.stringify(prefix)}`);
    const r = await this.run(['mktemp', '-d', `/tmp/unilat-${prefix}.XXXXXX`]);
    const dir = r.stdout.trim();
    if (r.exitCode !== 0 || !dir.startsWith(`/tmp/unilat-${prefix}.`)) throw new Error(`${this.name}: mktemp failed: ${this.scrub(r.stderr.trim())}`);
    return dir;
  }

  connectUnix(socketPath: string): Promise<Duplex> {
    this.usable();
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(new Error(`${this.name}: ${socketPath}: ${this.scrub(err.message)}`)) : resolve(ch)));
    });
  }

  /** Kills commands still running, then closes the connection (and the jump host's). */
  async close(): Promise<void> {
    if (this.closed) return;
    const running = [...this.active];
    for (const r of running) r.kill();
    const desc = describe(this.target);
    const runner = this.runner;
    await Promise.all([
      runner?.killAll((argv0) => new TransportError(`${desc}: transport closed while running ${argv0}`, this.name)),
      running.length ? Promise.race([Promise.all(running.map((r) => r.done)), new Promise((r) => setTimeout(r, 3000).unref())]) : undefined,
    ]);
    this.closed = true;
    await runner?.close();
    if (this.lostReason === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.client.destroy();
          resolve();
        }, 3000);
        t.unref();
        this.client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        this.client.end();
      });
    }
    if (this.jumpVia) await this.jumpVia.close();
  }
}

/** Convenience: `SshTransport.connect`. */
export function connectSsh(target: SshTarget, opts: SshConnectOptions = {}): Promise<SshTransport> {
  return SshTransport.connect(target, opts);
}
