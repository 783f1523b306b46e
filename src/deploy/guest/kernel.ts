/**
 * Guest kernels: `debian-rt` / `debian` name Debian's PREEMPT_RT / generic image in the kernel
 * cache (scripts/fetch-kernels.sh fills it, and is run here when an image is missing); anything
 * else is a path to a kernel image on the controller.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunFailedError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../version.js';

export const FETCH_SCRIPT = fileURLToPath(new URL('scripts/fetch-kernels.sh', PACKAGE_ROOT));

/** Where fetch-kernels.sh keeps its images (same rule as the script). */
export function kernelCacheDir(): string {
  return process.env.UNILAT_KERNEL_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'unilat', 'kernels');
}

export interface KernelManifest {
  file: string;
  package: string;
  version: string;
  kernelRelease?: string;
  sha256: string;
}

export interface ResolvedKernel {
  /** Kernel image on the controller. */
  path: string;
  /** What the deployment asked for (`debian-rt`, `debian`, or the path as written). */
  spec: string;
  /** Package facts for the Debian images; null for a path. */
  manifest: KernelManifest | null;
}

const NAMED: Record<string, string> = { 'debian-rt': 'vmlinuz-rt', debian: 'vmlinuz' };

let fetching: Promise<void> | null = null;

function runFetchScript(): Promise<void> {
  fetching ??= new Promise<void>((res, rej) => {
    const child = spawn('/bin/sh', [FETCH_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    child.on('error', (e) => rej(e));
    child.on('close', (code) => {
      if (code === 0) return res();
      const tail = Buffer.concat(out).toString('utf8').trim().split('\n').slice(-8).join('\n');
      rej(new Error(`exit ${code}${tail ? `:\n${tail}` : ''}`));
    });
  }).finally(() => {
    fetching = null;
  });
  return fetching;
}

/**
 * Resolves a deployment's `kernel:` to an image on the controller. A Debian image missing from
 * the cache is fetched first (needs apt-get and current package lists).
 */
export async function resolveKernel(spec: string): Promise<ResolvedKernel> {
  const file = NAMED[spec];
  if (!file) {
    const path = resolve(spec);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new RunFailedError(`kernel ${JSON.stringify(spec)}: no such file (give a kernel image path, or debian-rt / debian)`);
    return { path, spec, manifest: null };
  }
  const dir = kernelCacheDir();
  const path = join(dir, file);
  const manifestPath = join(dir, `${file}.manifest`);
  if (!existsSync(path) || !existsSync(manifestPath)) {
    try {
      await runFetchScript();
    } catch (e) {
      throw new RunFailedError(
        `kernel ${spec}: ${path} is missing and ${FETCH_SCRIPT} failed (${(e as Error).message}); run the script by hand (it needs apt-get and 'apt-get update') or give a kernel image path`,
      );
    }
    if (!existsSync(path)) throw new RunFailedError(`kernel ${spec}: ${FETCH_SCRIPT} ran but left no ${path}`);
  }
  let manifest: KernelManifest | null = null;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as KernelManifest;
  } catch {
    /* an image without manifest still boots; the facts are just unknown */
  }
  return { path, spec, manifest };
}
