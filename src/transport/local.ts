import { spawn } from 'node:child_process';
import { copyFile, chmod, readFile, writeFile, mkdir, mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { abortError, type Command, type RunOptions, type RunResult, type Transport } from './transport.js';

/** Runs commands on this machine as child processes, in their own process group. */
export class LocalTransport implements Transport {
  readonly name: string;
  constructor(name = 'local') {
    this.name = name;
  }

  run(cmd: Command, opts: RunOptions = {}): Promise<RunResult> {
    const argv = Array.isArray(cmd) ? cmd : ['sh', '-c', cmd.script, 'sh', ...(cmd.args ?? [])];
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(abortError());
      // detached: own process group, so a kill reaches the whole command tree.
      const child = spawn(argv[0], argv.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let aborted = false;
      const killTree = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            killTree();
          }, opts.timeoutMs)
        : undefined;
      const onAbort = () => {
        aborted = true;
        killTree();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => (opts.onStdout ? opts.onStdout(c) : out.push(c)));
      child.stderr.on('data', (c: Buffer) => (opts.onStderr ? opts.onStderr(c) : err.push(c)));
      child.stdin.on('error', () => {});
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
      child.on('error', (e) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (aborted) return reject(abortError());
        if (timedOut) return reject(new Error(`command timed out after ${opts.timeoutMs} ms: ${argv[0]}`));
        resolve({
          exitCode: code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
  }

  async upload(localPath: string, remotePath: string, mode?: number): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await copyFile(localPath, remotePath);
    if (mode !== undefined) await chmod(remotePath, mode);
  }

  async writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await writeFile(remotePath, data, mode !== undefined ? { mode } : undefined);
  }

  read(remotePath: string): Promise<Buffer> {
    return readFile(remotePath);
  }

  tempDir(prefix: string): Promise<string> {
    return mkdtemp(join(tmpdir(), `unilat-${prefix}.`));
  }

  connectUnix(socketPath: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = connect(socketPath);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  }

  async close(): Promise<void> {}
}

export { abortError };
