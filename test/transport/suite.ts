/**
 * The transport contract as one test suite (DESIGN.md: "the local and SSH transports pass the
 * same test suite"). Every check runs real commands; SSH servers in these tests run on this
 * machine, so the checks can look at files and /proc directly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDir, type Transport } from '../../src/transport/transport.js';
import { createServer } from 'node:net';

/** Alive = /proc entry present and not a zombie (PID 1 here may not reap orphans promptly). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until `cond()` holds; fails with `what` after `limitMs` (a deadline, not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, limitMs = 10000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Script that starts a long sleep in the background, prints "<sleep pid> <shell pid>", waits. */
const SLEEPER = 'sleep 300 & echo "$! $$"; wait';

/** Runs SLEEPER; resolves the pids once printed, plus the run's settled outcome. */
function startSleeper(t: Transport, opts: { timeoutMs?: number; signal?: AbortSignal }) {
  let onPids!: (p: number[]) => void;
  const pids = new Promise<number[]>((r) => (onPids = r));
  let text = '';
  const run = t.run({ script: SLEEPER }, {
    ...opts,
    onStdout: (c) => {
      text += c.toString();
      const m = /^(\d+) (\d+)\n/.exec(text);
      if (m) onPids([Number(m[1]), Number(m[2])]);
    },
  });
  const outcome = run.then(
    (r) => ({ ok: true as const, r }),
    (e: Error) => ({ ok: false as const, e }),
  );
  return { pids, outcome };
}

export function transportSuite(label: string, open: () => Promise<Transport>): void {
  describe(`transport contract: ${label}`, () => {
    let t: Transport;
    let dir: string;
    before(async () => {
      t = await open();
      dir = await mkdtemp(path.join(tmpdir(), 'unilat-transport-'));
      await chmod(dir, 0o755);
    });
    after(async () => {
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('passes argv elements to the command as literals (no shell interpretation)', async () => {
      const pwned = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
      const args = [
        `$(touch ${pwned})`,
        `\`touch ${pwned}\``,
        `; touch ${pwned}`,
        `&& touch ${pwned} #`,
        `| touch ${pwned}`,
        "it's",
        '"double"',
        'two  spaces',
        'line1\nline2',
        '*',
        '$HOME',
        '\\back\\slash',
        '',
        '-n',
        '\t',
        'ünïcödé',
      ];
      const r = await t.run(['printf', '%s\\0', ...args]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), args);
      assert.equal(existsSync(pwned), false, 'an argument was executed by a shell');
    });

    it('runs a script with literal arguments', async () => {
      const pwned = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
      const args = [`$(touch ${pwned})`, "a 'b' c", 'x\ny'];
      const r = await t.run({ script: 'printf "%s|" "$#" "$@"; printf "%s" "$0" >&2', args });
      assert.equal(r.stdout, `3|${args.join('|')}|`);
      assert.equal(r.stderr, 'sh');
      assert.equal(existsSync(pwned), false);
    });

    it('passes environment variables literally', async () => {
      const pwned = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
      const value = `$(touch ${pwned}) 'q' "d"`;
      const r = await t.run(['sh', '-c', 'printf %s "$UNILAT_TEST_VAR"'], { env: { UNILAT_TEST_VAR: value } });
      assert.equal(r.stdout, value);
      assert.equal(existsSync(pwned), false);
    });

    it('reports exit codes and signals', async () => {
      assert.equal((await t.run(['true'])).exitCode, 0);
      assert.equal((await t.run(['false'])).exitCode, 1);
      assert.equal((await t.run({ script: 'exit 42' })).exitCode, 42);
      const killed = await t.run({ script: 'kill -TERM $$' });
      assert.equal(killed.exitCode, null);
      assert.equal(killed.signal, 'SIGTERM');
    });

    it('keeps stdout and stderr apart', async () => {
      const r = await t.run({ script: 'echo out; echo err >&2; echo out2' });
      assert.equal(r.stdout, 'out\nout2\n');
      assert.equal(r.stderr, 'err\n');
    });

    it('rejects a missing program with code ENOENT', async () => {
      await assert.rejects(t.run(['unilat-no-such-program-xyz', 'a']), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    });

    it('feeds stdin (text and binary) and closes it', async () => {
      assert.equal((await t.run(['cat'], { stdin: 'hello\nworld' })).stdout, 'hello\nworld');
      const big = randomBytes(1 << 20);
      const r = await t.run({ script: 'wc -c; ' }, { stdin: big });
      assert.equal(r.stdout.trim(), String(big.length));
      const sum = await t.run(['sha256sum'], { stdin: big });
      const { createHash } = await import('node:crypto');
      assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(big).digest('hex'));
      // No stdin given: the command sees end-of-file, not a hang.
      assert.equal((await t.run(['cat'])).stdout, '');
    });

    it('streams output while the command still runs', async () => {
      const flag = path.join(dir, `go-${randomBytes(4).toString('hex')}`);
      const seen: string[] = [];
      let sentFlag = false;
      // The command only finishes after the test saw its first line: without streaming this deadlocks.
      const r = await t.run({ script: 'echo first; while [ ! -e "$1" ]; do sleep 0.02; done; echo second; echo e >&2', args: [flag] }, {
        onStdout: (c) => {
          seen.push(c.toString());
          if (!sentFlag && seen.join('').includes('first\n')) {
            sentFlag = true;
            void t.writeFile(flag, 'go');
          }
        },
        onStderr: (c) => seen.push(`[err]${c.toString()}`),
      });
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout, '', 'streamed output is not also collected');
      assert.equal(r.stderr, '');
      const all = seen.join('');
      assert.ok(all.includes('first\n') && all.includes('second\n') && all.includes('[err]e\n'), all);
    });

    it('kills the command tree on timeout and rejects', async () => {
      const { pids, outcome } = startSleeper(t, { timeoutMs: 3000 });
      const res = await outcome;
      assert.equal(res.ok, false);
      if (!res.ok) assert.match(res.e.message, /timed out/);
      // On a very slow machine the timeout may strike before the pids were printed.
      const ps = await Promise.race([pids, new Promise<number[]>((r) => setImmediate(() => r([])))]);
      for (const pid of ps) await waitFor(() => !alive(pid), `process ${pid} to die after timeout`);
    });

    it('abort kills the command tree and rejects with AbortError', async () => {
      const ac = new AbortController();
      const { pids, outcome } = startSleeper(t, { signal: ac.signal });
      const ps = await pids;
      for (const pid of ps) assert.ok(alive(pid), `process ${pid} runs before the abort`);
      ac.abort();
      const res = await outcome;
      assert.equal(res.ok, false);
      if (!res.ok) assert.equal(res.e.name, 'AbortError');
      for (const pid of ps) await waitFor(() => !alive(pid), `process ${pid} to die after abort`);
      // The transport is still usable afterwards.
      assert.equal((await t.run(['echo', 'still here'])).stdout, 'still here\n');
    });

    it('rejects at once when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(t.run(['true'], { signal: ac.signal }), { name: 'AbortError' });
    });

    it('runs many commands at once', async () => {
      const rs = await Promise.all(Array.from({ length: 14 }, (_, i) => t.run(['echo', String(i)])));
      assert.deepEqual(
        rs.map((r) => r.stdout),
        rs.map((_, i) => `${i}\n`),
      );
    });

    it('uploads, writes and reads files (binary, modes, new directories, overwrite)', async () => {
      const local = path.join(dir, 'local.bin');
      const data = randomBytes(300_000);
      await writeFile(local, data);
      await chmod(local, 0o750);
      const remote = path.join(dir, 'a', 'b', 'up.bin');
      await t.upload(local, remote);
      assert.ok((await t.read(remote)).equals(data));
      assert.equal((await stat(remote)).mode & 0o777, 0o750, 'upload keeps the local mode');
      await t.upload(local, remote, 0o700);
      assert.equal((await stat(remote)).mode & 0o777, 0o700);

      const w = path.join(dir, 'c', 'w.txt');
      await t.writeFile(w, 'first\n', 0o640);
      assert.equal((await t.read(w)).toString(), 'first\n');
      assert.equal((await stat(w)).mode & 0o777, 0o640);
      await t.writeFile(w, Buffer.from('second\n'));
      assert.equal((await t.read(w)).toString(), 'second\n');
      assert.equal((await stat(w)).mode & 0o777, 0o640, 'rewriting keeps the mode');
      // The command side sees the same file.
      assert.equal((await t.run(['cat', w])).stdout, 'second\n');
      await t.writeFile(w, '');
      assert.equal((await t.read(w)).length, 0);
    });

    it('rejects reading a missing file with code ENOENT', async () => {
      await assert.rejects(t.read(path.join(dir, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    });

    it('makes private temp folders, each new, and removes them', async () => {
      const a = await t.tempDir('suite');
      const b = await t.tempDir('suite');
      assert.notEqual(a, b);
      assert.match(path.basename(a), /^unilat-suite\.[A-Za-z0-9]{6}$/);
      const st = await stat(a);
      assert.ok(st.isDirectory());
      assert.equal(st.mode & 0o777, 0o700, 'only its owner may enter it');
      await removeDir(t, a);
      await removeDir(t, b);
      assert.ok(!existsSync(a) && !existsSync(b));
      await assert.rejects(removeDir(t, '/etc'), /no unilat temp folder/, 'removes only what tempDir made');
    });

    it('reaches a UNIX socket on the target as a byte stream', async () => {
      const sock = path.join(dir, 'echo.sock');
      const server = createServer((c) => c.on('data', (d) => c.write(Buffer.concat([Buffer.from('echo:'), d]))));
      await new Promise<void>((r) => server.listen(sock, r));
      try {
        const s = await t.connectUnix(sock);
        const reply = new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
        s.write('hello\n');
        assert.equal(await reply, 'echo:hello\n');
        s.destroy();
        await assert.rejects(t.connectUnix(path.join(dir, 'no-such.sock')));
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });
}
