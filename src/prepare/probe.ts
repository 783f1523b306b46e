/**
 * Probe provisioning: the probe source is compiled on the target and cached there by source
 * hash in unilat's private home (home.ts), so a second run does not recompile; where the target
 * has no compiler, a static binary built on the controller is uploaded instead. A cached binary
 * runs only if it is a regular file of unilat's user whose SHA-256 is the one recorded when it
 * was built.
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
import type { HostHome } from './home.js';

export const PROBE_SOURCE = fileURLToPath(new URL('src/probe/probe.c', PACKAGE_ROOT));
const CFLAGS = ['-O2', '-pthread', '-Wall'];

export async function probeHash(staticBuild = false): Promise<string> {
  const src = await readFile(PROBE_SOURCE);
  return createHash('sha256').update(src).update(CFLAGS.join(' ')).update(staticBuild ? 'static' : 'dynamic').digest('hex').slice(0, 16);
}

export interface ProvisionedProbe {
  path: string;
  /** 'cached' when the target already had this build. */
  how: 'compiled' | 'cached' | 'uploaded-static';
}

/** $1 the binary: prints `ok` when it is our user's regular file (no link) matching its recorded checksum. */
const CACHED_SH = `b=$1
[ -f "$b" ] && [ ! -L "$b" ] && [ -x "$b" ] && [ -f "$b.sha256" ] && [ ! -L "$b.sha256" ] || exit 0
[ "$(stat -c %u -- "$b")" = "$(id -u)" ] || exit 0
[ "$(sha256sum < "$b" | cut -d' ' -f1)" = "$(cat -- "$b.sha256")" ] && echo ok`;
/** $1 a build folder holding unilat-probe, $2 the cache folder: records its checksum, moves it in place, removes the build folder. */
const INSTALL_SH = `b=$1; d=$2
mkdir -p -m 700 -- "$d" && sha256sum < "$b/unilat-probe" | cut -d' ' -f1 > "$b/sha" && chmod 755 -- "$b/unilat-probe" &&
  mv -f -- "$b/sha" "$d/unilat-probe.sha256" && mv -f -- "$b/unilat-probe" "$d/unilat-probe"
rc=$?; rm -rf -- "$b"; exit $rc`;

/** Makes sure the probe for the current source exists on the target; returns its path there. */
export async function provisionProbe(t: Transport, home: HostHome): Promise<ProvisionedProbe> {
  const hash = await probeHash();
  const dir = `${home.probes}/probe-${hash}`;
  const bin = `${dir}/unilat-probe`;
  if ((await t.run({ script: CACHED_SH, args: [bin] })).stdout.trim() === 'ok') return { path: bin, how: 'cached' };
  // Built in a folder of its own (hosts of one run may be one machine) and moved in place, so a half-built binary is never cached.
  const mk = await t.run(['mktemp', '-d', `${home.probes}/build.XXXXXX`]);
  const build = mk.stdout.trim();
  if (mk.exitCode !== 0 || !build.startsWith(`${home.probes}/build.`)) throw new RunFailedError(`${t.name}: cannot make a build folder in ${home.probes}: ${mk.stderr.trim()}`);
  const hasCc = (await t.run(['sh', '-c', 'command -v cc'])).exitCode === 0;
  let how: ProvisionedProbe['how'];
  try {
    if (hasCc) {
      await t.upload(PROBE_SOURCE, `${build}/probe.c`);
      const r = await t.run(['cc', ...CFLAGS, '-o', `${build}/unilat-probe`, `${build}/probe.c`, '-lrt'], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new RunFailedError(`${t.name}: compiling the probe failed:\n${r.stderr.trim()}`);
      how = 'compiled';
    } else {
      await t.upload(await buildLocalProbe({ static: true }), `${build}/unilat-probe`, 0o755);
      how = 'uploaded-static';
    }
  } catch (e) {
    await t.run(['rm', '-rf', '--', build]).catch(() => {});
    throw e;
  }
  const inst = await t.run({ script: INSTALL_SH, args: [build, dir] });
  if (inst.exitCode !== 0) throw new RunFailedError(`${t.name}: installing the probe failed: ${inst.stderr.trim()}`);
  return { path: bin, how };
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
