/**
 * Test helper: real OpenSSH `sshd` servers on loopback addresses (127.0.0.x, x >= 2), each in
 * its own temp directory with its own ed25519 host key and an authorized client key.
 *
 * Only servers started here are ever killed: each is tracked by the pid of the `sshd -D` child
 * we spawned, and its per-connection processes are found by walking /proc from that pid (sshd
 * puts each connection in its own session, so a process-group kill would miss them). Servers
 * left running by a failing test are stopped by `stopAllSshd()` (call it from `after`) or, as a
 * last resort, by a process 'exit' handler.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SshTarget } from '../../src/transport/ssh.js';

const execFileP = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  /** Private key file (no passphrase unless one was asked for). */
  privatePath: string;
  /** `ssh-ed25519 AAAA...` (without comment). */
  publicKey: string;
}

export interface SshdServer {
  address: string;
  port: number;
  /** Login user (the one running the tests). */
  user: string;
  dir: string;
  pid: number;
  /** Host public key, `ssh-ed25519 AAAA...`. */
  hostKey: string;
  clientKeyPath: string;
  /** `[address]:port ssh-ed25519 AAAA...`, ready for a known_hosts file. */
  knownHostsLine: string;
  /** What sshd printed (with -e), for diagnosing a failed test. */
  log(): string;
  /** Pids of this server's descendants (connection handlers and the commands they run). */
  descendants(): number[];
  /** SIGKILLs every connection of this server (sshd processes first, then their commands); the listener stays. */
  dropConnections(): number[];
  stop(): Promise<void>;
}

const running = new Set<{ pid: number; dir: string; tag: string; child: ChildProcess }>();

/** pid -> children, from /proc (synchronous, so the 'exit' handler can use it too). */
function processTable(): Map<number, { ppid: number; comm: string }> {
  const t = new Map<number, { ppid: number; comm: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      t.set(Number(name), { ppid: Number(fields[1]), comm });
    } catch {
      /* exited meanwhile */
    }
  }
  return t;
}

/** Descendants of `root` (not including it), parents before children. */
export function descendantsOf(root: number): { pid: number; comm: string }[] {
  const t = processTable();
  const out: { pid: number; comm: string }[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next: number[] = [];
    for (const [pid, p] of t) {
      if (frontier.includes(p.ppid)) {
        out.push({ pid, comm: p.comm });
        next.push(pid);
      }
    }
    frontier = next;
  }
  return out;
}

function killQuiet(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Pids whose environment carries `tag` (sshd's SetEnv marks every session of a test server). */
function taggedPids(tag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(tag)) out.push(Number(name));
    } catch {
      /* exited, or not ours to read */
    }
  }
  return out;
}

/**
 * Kills a server, its connections and the commands they run. The tree walk finds processes
 * still attached to the listener; the environment tag finds commands orphaned by a dropped
 * connection.
 */
function killServerSync(s: { pid: number; tag: string }): void {
  for (const d of descendantsOf(s.pid)) killQuiet(d.pid, 'SIGKILL');
  killQuiet(s.pid, 'SIGKILL');
  for (const pid of taggedPids(s.tag)) killQuiet(pid, 'SIGKILL');
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanSync = () => {
    for (const s of running) {
      killServerSync(s);
      rmSync(s.dir, { recursive: true, force: true });
    }
    running.clear();
  };
  process.on('exit', cleanSync);
  // A signal's default action skips 'exit' handlers: clean up, then die of the same signal.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanSync();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * If this test process dies without running any handler (SIGKILL, e.g. from a test runner's
 * timeout), a detached shell notices, kills every process carrying the server's tag and removes
 * its directory. It also ends by itself once stop() removed the directory.
 */
function startWatchdog(dir: string, tag: string, listener: number): void {
  const script =
    // A zombie counts as dead: PID 1 in some containers never reaps orphans.
    'alive() { s=$(cat /proc/$1/stat 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }; ' +
    'while alive "$1" && [ -d "$2" ]; do sleep 2; done; ' +
    'for f in $(grep -lzx -- "$3" /proc/[0-9]*/environ 2>/dev/null); do p=${f#/proc/}; kill -9 "${p%/environ}" 2>/dev/null; done; ' +
    // sshd's setproctitle overwrites its environment, so the listener is also killed by pid.
    'if [ "$(cat /proc/$4/comm 2>/dev/null)" = sshd ]; then kill -9 "$4" 2>/dev/null; fi; ' +
    'rm -rf "$2"';
  const w = spawn('sh', ['-c', script, 'unilat-sshd-watchdog', String(process.pid), dir, tag, String(listener)], { stdio: 'ignore', detached: true });
  w.unref();
}

/** Generates an ed25519 key pair in `dir` (optionally with a passphrase). */
export async function generateKeyPair(dir: string, name: string, passphrase = ''): Promise<KeyPair> {
  const privatePath = path.join(dir, name);
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', privatePath]);
  const pub = (await readFile(`${privatePath}.pub`, 'utf8')).trim().split(/\s+/);
  return { privatePath, publicKey: `${pub[0]} ${pub[1]}` };
}

/** A TCP port that is free on `address` right now. */
async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once something on address:port answers with an SSH banner. */
function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('data', (c) => {
      buf += c.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-2.0-'));
    });
    s.on('error', () => done(false));
    s.on('close', () => done(false));
  });
}

export interface StartSshdOptions {
  /** Loopback address to listen on, e.g. 127.0.0.2 (default). */
  address?: string;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

export async function startSshd(opts: StartSshdOptions = {}): Promise<SshdServer> {
  const address = opts.address ?? '127.0.0.2';
  if (!/^127\.\d+\.\d+\.\d+$/.test(address) || address === '127.0.0.1') throw new Error(`test sshd must listen on 127.0.0.x (x >= 2), not ${address}`);
  installExitHook();
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-sshd-'));
  const tag = `UNILAT_TEST_SSHD=${path.basename(dir)}`;
  try {
    const host = await generateKeyPair(dir, 'host_ed25519');
    const client = await generateKeyPair(dir, 'client_ed25519');
    await writeFile(path.join(dir, 'authorized_keys'), `${client.publicKey} unilat-test\n`, { mode: 0o600 });
    // Privilege separation needs this directory; Debian creates it only when the service starts.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const user = userInfo().username;
    for (let attempt = 0; ; attempt++) {
      const port = await freePort(address);
      const config = [
        `ListenAddress ${address}:${port}`,
        `HostKey ${host.privatePath}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'MaxStartups 100',
        'Subsystem sftp internal-sftp',
        'LogLevel VERBOSE',
        // A test run given its own host home (UNILAT_HOST_HOME) keeps it over SSH too, so two
        // test runs on one machine do not meet each other's host lock.
        `SetEnv ${tag}${process.env.UNILAT_HOST_HOME ? ` UNILAT_HOST_HOME=${process.env.UNILAT_HOST_HOME}` : ''}`,
        ...(opts.extraConfig ?? []),
      ].join('\n');
      const configPath = path.join(dir, 'sshd_config');
      await writeFile(configPath, config + '\n');
      // Own process group: a signal sent to the test's group must not kill the listener before
      // our handler has walked its tree (that would orphan its connections).
      // The tag in sshd's own environment marks its connection processes too (not the listener,
      // whose process title overwrites its environment).
      const [tagName, tagValue] = tag.split('=');
      const child = spawn(SSHD, ['-D', '-e', '-f', configPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
        env: { ...process.env, [tagName]: tagValue },
      });
      let log = '';
      child.stderr!.on('data', (c: Buffer) => {
        log = (log + c.toString('utf8')).slice(-65536);
      });
      // A forgotten server must not keep the test process alive; the exit hook kills it.
      child.unref();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      let exited = false;
      child.once('exit', () => (exited = true));
      if (!child.pid) throw new Error('cannot start sshd');
      const entry = { pid: child.pid, dir, tag, child };
      running.add(entry);
      startWatchdog(dir, tag, child.pid);
      let up = false;
      for (let i = 0; i < 200 && !exited; i++) {
        if (await sshBanner(address, port)) {
          up = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!up) {
        running.delete(entry);
        killServerSync(entry);
        // Someone took the port between our probe and sshd's bind: try another one.
        if (/Address already in use/.test(log) && attempt < 5) continue;
        throw new Error(`sshd on ${address}:${port} did not come up:\n${log}`);
      }
      const server: SshdServer = {
        address,
        port,
        user,
        dir,
        pid: child.pid,
        hostKey: host.publicKey,
        clientKeyPath: client.privatePath,
        knownHostsLine: `[${address}]:${port} ${host.publicKey}`,
        log: () => log,
        descendants: () => descendantsOf(entry.pid).map((d) => d.pid),
        dropConnections: () => {
          const ds = descendantsOf(entry.pid);
          // sshd processes first, so none of them can report the command's exit first.
          const order = [...ds.filter((d) => d.comm.startsWith('sshd')), ...ds.filter((d) => !d.comm.startsWith('sshd'))];
          for (const d of order) killQuiet(d.pid, 'SIGKILL');
          return order.map((d) => d.pid);
        },
        stop: async () => {
          if (!running.has(entry)) return;
          running.delete(entry);
          for (const d of descendantsOf(entry.pid)) killQuiet(d.pid, 'SIGKILL');
          for (const pid of taggedPids(tag)) killQuiet(pid, 'SIGKILL');
          if (!exited) {
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            killQuiet(entry.pid, 'SIGTERM');
            const t = setTimeout(() => killQuiet(entry.pid, 'SIGKILL'), 3000);
            await gone;
            clearTimeout(t);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
      return server;
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** `n` servers on 127.0.0.2, 127.0.0.3, ... (started concurrently). */
export async function startSshdFleet(n: number, first = 2): Promise<SshdServer[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => startSshd({ address: `127.0.0.${first + i}` })));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<SshdServer>).value);
}

/** Stops every server this process started (for `after` hooks). */
export async function stopAllSshd(): Promise<void> {
  for (const s of [...running]) {
    running.delete(s);
    killServerSync(s);
    await rm(s.dir, { recursive: true, force: true });
  }
}

/** An SshTarget for `server`, trusting exactly its host key through a known_hosts file in its dir. */
export async function targetFor(server: SshdServer, over: Partial<SshTarget> = {}): Promise<SshTarget> {
  const knownHosts = path.join(server.dir, 'known_hosts');
  await writeFile(knownHosts, server.knownHostsLine + '\n', { flag: 'a' });
  return {
    name: `sshd-${server.address}`,
    address: server.address,
    port: server.port,
    user: server.user,
    identityFile: server.clientKeyPath,
    useAgent: false,
    knownHosts,
    acceptNewHostKeys: false,
    ...over,
  };
}
