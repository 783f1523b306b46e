/**
 * Probe provisioning: the probe source is compiled on the target and cached there by source
 * hash, so a second run does not recompile; where the target has no compiler, a static binary
 * built on the controller is uploaded instead.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunFailedError } from '../errors.js';
import { LocalTransport } from '../transport/local.js';
import type { Transport } from '../transport/transport.js';
import { PACKAGE_ROOT } from '../version.js';

export const PROBE_SOURCE = fileURLToPath(new URL('src/probe/probe.c', PACKAGE_ROOT));
const CFLAGS = ['-O2', '-pthread', '-Wall'];
const REMOTE_CACHE = '/var/tmp/unilat';

export async function probeHash(staticBuild = false): Promise<string> {
  const src = await readFile(PROBE_SOURCE);
  return createHash('sha256').update(src).update(CFLAGS.join(' ')).update(staticBuild ? 'static' : 'dynamic').digest('hex').slice(0, 16);
}

export interface ProvisionedProbe {
  path: string;
  /** 'cached' when the target already had this build. */
  how: 'compiled' | 'cached' | 'uploaded-static';
}

/** Makes sure the probe for the current source exists on the target; returns its path there. */
export async function provisionProbe(t: Transport): Promise<ProvisionedProbe> {
  const hash = await probeHash();
  const dir = `${REMOTE_CACHE}/probe-${hash}`;
  const bin = `${dir}/unilat-probe`;
  if ((await t.run(['test', '-x', bin])).exitCode === 0) return { path: bin, how: 'cached' };
  await t.run(['mkdir', '-p', dir]);
  const hasCc = (await t.run(['sh', '-c', 'command -v cc'])).exitCode === 0;
  if (hasCc) {
    await t.upload(PROBE_SOURCE, `${dir}/probe.c`);
    // Build to a temporary name and rename, so a half-built binary is never cached.
    const r = await t.run(['cc', ...CFLAGS, '-o', `${bin}.tmp`, `${dir}/probe.c`, '-lrt'], { timeoutMs: 120_000 });
    if (r.exitCode !== 0) throw new RunFailedError(`${t.name}: compiling the probe failed:\n${r.stderr.trim()}`);
    await t.run(['mv', '-f', `${bin}.tmp`, bin]);
    return { path: bin, how: 'compiled' };
  }
  const local = await buildLocalProbe({ static: true });
  await t.upload(local, `${bin}.tmp`, 0o755);
  await t.run(['mv', '-f', `${bin}.tmp`, bin]);
  return { path: bin, how: 'uploaded-static' };
}

const building = new Map<string, Promise<string>>();

/** Builds the probe on the controller (cached under ~/.cache/unilat by source hash). */
export function buildLocalProbe(opts: { static: boolean }): Promise<string> {
  const key = opts.static ? 'static' : 'dynamic';
  let p = building.get(key);
  if (!p) {
    p = (async () => {
      const hash = await probeHash(opts.static);
      const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'unilat');
      const bin = join(dir, `unilat-probe-${key}-${hash}`);
      if (existsSync(bin)) return bin;
      await mkdir(dir, { recursive: true });
      const tmp = `${bin}.${process.pid}.tmp`;
      const r = await new LocalTransport().run(['cc', ...CFLAGS, ...(opts.static ? ['-static'] : []), '-o', tmp, PROBE_SOURCE, '-lrt'], {
        timeoutMs: 120_000,
      });
      if (r.exitCode !== 0) throw new RunFailedError(`compiling the ${key} probe on this machine failed:\n${r.stderr.trim()}`);
      await rename(tmp, bin);
      return bin;
    })();
    building.set(key, p);
    p.catch(() => building.delete(key));
  }
  return p;
}
