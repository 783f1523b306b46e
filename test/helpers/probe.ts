/**
 * Test helper: builds the real C probe with the machine's `cc` (once per test process) and
 * runs it. Tests use the real binary, never a fake of its output.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** src/probe/probe.c, found from dist/test/helpers/ or test/helpers/. */
export const PROBE_SOURCE = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../src/probe/probe.c' : '../../src/probe/probe.c', import.meta.url),
);

let cached: Promise<string> | null = null;
let tmpDirs: string[] = [];

/** Compiles probe.c into a fresh temp dir with `extraFlags`; returns the binary's path. */
export async function buildProbe(extraFlags: string[] = []): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-probe-'));
  tmpDirs.push(dir);
  // World-readable so tests can run it as an unprivileged user.
  await chmod(dir, 0o755);
  const out = path.join(dir, 'probe');
  await execFileP('cc', ['-O2', '-pthread', '-Wall', '-Wextra', ...extraFlags, '-o', out, PROBE_SOURCE, '-lrt']);
  return out;
}

/** The probe binary for this test process (compiled on first use). */
export function compileProbe(): Promise<string> {
  cached ??= buildProbe();
  return cached;
}

/** Removes every temp dir this helper made (call from an `after` hook if you like). */
export async function cleanupProbes(): Promise<void> {
  const dirs = tmpDirs;
  tmpDirs = [];
  cached = null;
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

export interface ProbeRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a binary to completion, collecting stdout as bytes. `prefix` runs it under another
 * command (e.g. setpriv to drop privileges).
 */
export function runProbe(
  binary: string,
  args: string[],
  opts: { prefix?: string[]; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ProbeRunResult> {
  const argv = [...(opts.prefix ?? []), binary, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    opts.onSpawn?.(child);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
}
