/**
 * The remote command runner (src/transport/runner.c, runner.ts) against a real sshd: the login
 * shell runs once per connection, commands keep the transport's semantics, a killed runner is
 * noticed and started again (a bounded number of times), a lost connection fails clearly and
 * its undo journal is recovered by the next connection, and UNILAT_SSH_RUNNER=off falls back to
 * one exec per command.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openHome } from '../../src/prepare/home.js';
import { HostJournal, journaledTempDir, processMarker } from '../../src/prepare/journal.js';
import { recoverLeftoverJournals } from '../../src/prepare/recovery.js';
import { FrameDecoder, encodeFrame, encodeSpawn } from '../../src/transport/runner-frames.js';
import { runnerCacheName } from '../../src/transport/runner.js';
import { MAX_RUNNER_RESTARTS, SshTransport } from '../../src/transport/ssh.js';
import { TransportError, type Transport } from '../../src/transport/transport.js';
import { startSshd, stopAllSshd, targetFor, type SshdServer } from '../helpers/sshd.js';
import { alive, waitFor } from './suite.js';

let scratch: string;
let server: SshdServer;

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'unilat-runner-test-'));
  server = await startSshd({ address: '127.0.0.40' });
});
after(async () => {
  await stopAllSshd();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Sessions that ran a command, as sshd logs them: each is one start of the login user's shell. */
const shellCount = () => server.log().split('\n').filter((l) => l.includes('Starting session: command')).length;
const sftpCount = () => server.log().split('\n').filter((l) => l.includes("Starting session: subsystem 'sftp'")).length;

async function connect(name = 'runner-host'): Promise<SshTransport> {
  return SshTransport.connect(await targetFor(server, { name }));
}

/** Starts `script` (which prints its shell's pid first), resolving that pid and the run's outcome. */
function started(t: SshTransport, script: string, opts: { signal?: AbortSignal; args?: string[] } = {}) {
  let onPid!: (p: number) => void;
  const pid = new Promise<number>((r) => (onPid = r));
  let text = '';
  const outcome = t
    .run({ script, args: opts.args }, {
      signal: opts.signal,
      onStdout: (c) => {
        text += c.toString();
        const m = /^(\d+)\n/.exec(text);
        if (m) onPid(Number(m[1]));
      },
    })
    .then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
  return { pid, outcome };
}

describe('frames', () => {
  it('decode what encode wrote, split anywhere', () => {
    const frames = Buffer.concat([encodeSpawn(7, ['printf', '%s', 'ü'], ['A=1']), encodeFrame('I', 7, Buffer.from('data')), encodeFrame('I', 7)]);
    for (const cut of [1, 3, 9, 17, frames.length - 1]) {
      const d = new FrameDecoder();
      const got = [...d.push(frames.subarray(0, cut)), ...d.push(frames.subarray(cut))];
      assert.deepEqual(
        got.map((f) => [f.type, f.id, f.payload.length]),
        [
          ['S', 7, frames.readUInt32BE(0) - 5],
          ['I', 7, 4],
          ['I', 7, 0],
        ],
      );
      assert.equal(d.pending, 0);
    }
    assert.throws(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 2, 0, 0])), /bad frame length/);
    assert.throws(() => encodeSpawn(1, ['a\0b'], []), /NUL/);
  });
});

describe('runner over ssh', () => {
  let t: SshTransport;
  before(async () => {
    t = await connect();
  });
  after(async () => {
    await t?.close();
  });

  it('starts the login shell once for the connection, however many commands run', async () => {
    assert.equal(t.commandMode.mode, 'runner');
    const before = shellCount();
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => t.run(['echo', String(i)])));
    assert.deepEqual(
      rs.map((r) => r.stdout),
      rs.map((_, i) => `${i}\n`),
    );
    for (let i = 0; i < 10; i++) await t.run({ script: 'true' });
    assert.equal(shellCount(), before, 'no command started a login shell');
  });

  it("hands over the home check its start made, so openHome needs no command", async () => {
    const given = process.env.UNILAT_HOST_HOME ?? '';
    const home = await openHome(t);
    assert.deepEqual(t.checkedHome, { given, line: `home\t${home.path}\t${home.uid}` });
    assert.equal(await commandsRun(t, (c) => openHome(c)), 0);
    // Another home than the one checked at the start is checked by a command of its own.
    assert.equal(await commandsRun(t, (c) => openHome(c, path.join(scratch, 'other-home')).catch(() => null)), 1);
  });

  it('runs argv literally, with exit codes, signals, stdin and environment', async () => {
    const pwned = path.join(scratch, `pwned-${randomBytes(4).toString('hex')}`);
    const args = [`$(touch ${pwned})`, "it's", 'a b', '', '*', 'x\ny'];
    const r = await t.run(['printf', '%s\\0', ...args]);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), args);
    assert.equal(existsSync(pwned), false);
    assert.equal((await t.run({ script: 'exit 42' })).exitCode, 42);
    const k = await t.run({ script: 'kill -KILL $$' });
    assert.deepEqual([k.exitCode, k.signal], [null, 'SIGKILL']);
    assert.equal((await t.run(['cat'], { stdin: 'in\n' })).stdout, 'in\n');
    assert.equal((await t.run(['sh', '-c', 'printf %s "$V"'], { env: { V: `$(touch ${pwned}) 'q'` } })).stdout, `$(touch ${pwned}) 'q'`);
    assert.equal(existsSync(pwned), false);
    await assert.rejects(t.run(['unilat-no-such-program']), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    // A command that does not read its stdin still ends (the rest of stdin is dropped).
    assert.equal((await t.run(['true'], { stdin: randomBytes(3 << 20) })).exitCode, 0);
  });

  it('moves files through the runner, without an SFTP session', async () => {
    const sftp = sftpCount();
    const f = path.join(scratch, 'files', 'deep', 'w.txt');
    await t.writeFile(f, 'first\n', 0o640);
    assert.equal((await stat(f)).mode & 0o777, 0o640);
    await t.writeFile(f, 'second\n');
    assert.equal((await t.read(f)).toString(), 'second\n');
    assert.equal((await stat(f)).mode & 0o777, 0o640, 'rewriting keeps the mode');
    const local = path.join(scratch, 'local.bin');
    const data = randomBytes(3_000_000);
    await writeFile(local, data, { mode: 0o751 });
    await t.upload(local, path.join(scratch, 'files', 'up.bin'));
    assert.ok((await t.read(path.join(scratch, 'files', 'up.bin'))).equals(data));
    assert.equal((await stat(path.join(scratch, 'files', 'up.bin'))).mode & 0o777, 0o751);
    await assert.rejects(t.read(path.join(scratch, 'files', 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && /read .*missing: no such file/.test(e.message));
    await assert.rejects(t.writeFile(path.join(f, 'under-a-file'), 'x'), /w\.txt exists and is not a directory/);
    assert.deepEqual(readdirSync(path.dirname(f)), ['w.txt'], 'no temporary file is left');
    assert.equal(sftpCount(), sftp);
  });

  it('carries large output on both streams intact', async () => {
    const f = path.join(scratch, 'big');
    const made = await t.run({ script: 'head -c 12000000 /dev/urandom > "$1" && sha256sum < "$1"', args: [f] });
    const sum = made.stdout.split(' ')[0];
    const r = await t.run({ script: 'cat "$1"; cat "$1" >&2', args: [f] });
    // Compare bytes, not text: the transport hands out UTF-8 strings, so check through a re-read.
    const local = readFileSync(f);
    assert.equal(createHash('sha256').update(local).digest('hex'), sum);
    assert.equal(r.stdout, local.toString('utf8'));
    assert.equal(r.stderr, local.toString('utf8'));
    let streamed = 0;
    await t.run(['cat', f], { onStdout: (c) => (streamed += c.length) });
    assert.equal(streamed, local.length);
  });

  it('abort and timeout kill the whole process group', async () => {
    const ac = new AbortController();
    const s = started(t, 'echo $$; sleep 300 & wait', { signal: ac.signal });
    const pid = await s.pid;
    const sleeper = await waitForChild(pid);
    ac.abort();
    const res = await s.outcome;
    assert.ok(!res.ok && res.e.name === 'AbortError');
    for (const p of [pid, sleeper]) await waitFor(() => !alive(p), `process ${p} to end after abort`);
    await assert.rejects(t.run(['sleep', '300'], { timeoutMs: 300 }), /timed out after 300 ms: sleep/);
    assert.equal((await t.run(['echo', 'after'])).stdout, 'after\n');
  });

  it('notices a killed runner, fails its command clearly and starts a new one, a bounded number of times', async () => {
    const t2 = await connect('restart-host');
    try {
      const first = t2.commandMode.pid!;
      const s = started(t2, 'echo $$; exec sleep 300');
      const cmd = await s.pid;
      process.kill(first, 'SIGKILL');
      const res = await s.outcome;
      assert.ok(!res.ok, 'the command on the killed runner fails');
      assert.ok(res.e instanceof TransportError && /remote command runner ended \(signal (SIG)?KILL\) while running sh/.test(res.e.message), res.e.message);
      // The command itself is not the runner's to end any more; this test's to clean up.
      process.kill(cmd, 'SIGKILL');
      const before = shellCount();
      assert.equal((await t2.run(['echo', 'again'])).stdout, 'again\n');
      const second = t2.commandMode.pid!;
      assert.notEqual(second, first);
      assert.equal(shellCount(), before + 1, 'the new runner cost one login shell');
      // Kill it every time: after MAX_RUNNER_RESTARTS restarts the connection gives up with a clear error.
      let pid = second;
      for (let i = 1; i < MAX_RUNNER_RESTARTS; i++) {
        process.kill(pid, 'SIGKILL');
        await waitFor(() => t2.commandMode.pid === undefined, 'the runner to be seen gone');
        assert.equal((await t2.run(['true'])).exitCode, 0);
        pid = t2.commandMode.pid!;
      }
      process.kill(pid, 'SIGKILL');
      await waitFor(() => t2.commandMode.pid === undefined, 'the runner to be seen gone');
      await assert.rejects(t2.run(['true']), (e: Error) => e instanceof TransportError && /runner ended 4 times; giving up/.test(e.message));
    } finally {
      await t2.close();
    }
  });

  it('a lost connection fails clearly; the next connection undoes what its journal recorded', async () => {
    const t3 = await connect('lost-host');
    const home = await openHome(t3);
    const j = new HostJournal(t3, { dir: home.journals, id: `runner-test-${randomBytes(4).toString('hex')}` });
    // What a step leaves: a folder and a marked process (a load), both recorded before they exist.
    const folder = await journaledTempDir(j, 'load', 'runner-test');
    const marker = processMarker(j, 'load');
    const e = await j.recordOne({ area: 'load', knob: 'load', kind: 'process', path: '', before: '', after: '', marker, group: true });
    const s = started(t3, 'echo $$; sleep 300', { args: [marker] });
    const cmd = await s.pid;
    await j.settle([e], 'applied');
    server.dropConnections();
    const res = await s.outcome;
    assert.ok(!res.ok && res.e instanceof TransportError && /lost-host .*connection lost/.test(res.e.message), String(!res.ok && res.e.message));
    await assert.rejects(t3.run(['true']), /connection lost/);
    const rep = await j.restore();
    assert.match(rep.errors.join('\n'), /connection lost/);
    assert.ok(existsSync(folder.path) && existsSync(j.file), 'nothing could be undone over the lost connection');
    // (dropConnections killed the marked process with the session; a real network loss would not.)
    await waitFor(() => !alive(cmd), "the session's processes to end");
    await t3.close();

    const t4 = await connect('lost-host');
    try {
      const rec = await recoverLeftoverJournals(t4, { dir: home.journals });
      const mine = rec.find((r) => r.id === j.id);
      assert.equal(mine?.outcome, 'restored', JSON.stringify(rec));
      assert.ok(!existsSync(folder.path), 'the folder is removed');
      assert.equal(existsSync(j.file), false, 'the journal file is gone once undone');
    } finally {
      await t4.close();
    }
  });

  it('never starts a cached runner whose checksum is not the recorded one: it is built again', async () => {
    const t6 = await connect('cache-host');
    const home = await openHome(t6);
    await t6.close();
    const bin = path.join(home.probes, runnerCacheName(), 'unilat-runner');
    const tampered = Buffer.concat([readFileSync(bin), Buffer.from('tampered')]);
    // (Replaced by a rename: the other connections' runners run the file.)
    await writeFile(`${bin}.new`, tampered, { mode: 0o755 });
    await rename(`${bin}.new`, bin);
    const t7 = await connect('cache-host');
    try {
      assert.equal(t7.commandMode.mode, 'runner');
      const now = readFileSync(bin);
      assert.ok(!now.equals(tampered), 'the tampered binary was replaced');
      assert.equal(createHash('sha256').update(now).digest('hex'), readFileSync(`${bin}.sha256`, 'utf8').trim());
    } finally {
      await t7.close();
    }
  });

  it('where the home is not safe, starts no runner from it and runs commands without one', async () => {
    const unsafe = path.join(scratch, 'open-home');
    await mkdir(unsafe);
    await chmod(unsafe, 0o777);
    const t8 = await SshTransport.connect(await targetFor(server, { name: 'unsafe-host' }), { home: unsafe });
    try {
      assert.deepEqual(t8.commandMode, { mode: 'exec', reason: 'no home' });
      assert.equal((await t8.run(['echo', 'ok'])).stdout, 'ok\n');
      await assert.rejects(openHome(t8, unsafe), /refusing .*open-home: it has mode 777/);
    } finally {
      await t8.close();
    }
  });

  it('UNILAT_SSH_RUNNER=off runs every command as an exec of its own', async () => {
    process.env.UNILAT_SSH_RUNNER = 'off';
    let t5: SshTransport | undefined;
    try {
      t5 = await connect('exec-host');
    } finally {
      delete process.env.UNILAT_SSH_RUNNER;
    }
    try {
      assert.deepEqual(t5.commandMode, { mode: 'exec', reason: 'UNILAT_SSH_RUNNER=off' });
      const before = shellCount();
      assert.equal((await t5.run({ script: 'exit 7' })).exitCode, 7);
      assert.equal((await t5.run(['cat'], { stdin: 'x' })).stdout, 'x');
      assert.equal(shellCount(), before + 2, 'one login shell per command');
      const sftp = sftpCount();
      assert.equal((await t5.read('/proc/self/comm')).length > 0, true);
      assert.equal(sftpCount(), sftp + 1, 'files go through SFTP');
    } finally {
      await t5.close();
    }
  });
});

/** How many commands `f` runs through `t` (a proxy counts the calls of run()). */
async function commandsRun(t: Transport, f: (counted: Transport) => Promise<unknown>): Promise<number> {
  let n = 0;
  const counted = new Proxy(t, {
    get(target, prop) {
      if (prop === 'run') return (...a: Parameters<Transport['run']>) => (n++, target.run(...a));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  await f(counted);
  return n;
}

/** The first child of `pid` (the sleep a script put in the background). */
async function waitForChild(pid: number): Promise<number> {
  let child = 0;
  await waitFor(() => {
    try {
      child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || 0;
    } catch {
      child = 0;
    }
    return child > 0;
  }, `a child of ${pid}`);
  return child;
}
