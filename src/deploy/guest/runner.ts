/**
 * The vm and unikernel deployments: each probe invocation boots a fresh guest whose initramfs
 * carries the static probe and a one-line script; the guest's results port is the protocol
 * stream. Images are cached on the controller by content hash.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GuestDeployment } from '../../scenario/schema.js';
import type { DeploymentContext, DeploymentRunInfo, DeploymentRunner, ProbeInvocation } from '../types.js';
import { buildGuestImage, busyboxPath, type GuestProfile } from './initramfs.js';
import { resolveKernel } from './kernel.js';
import { chooseAccel, GuestError, resultsDevice, runGuest, type GuestRunInfo, type GuestRunOptions } from './qemu.js';
import type { Transport } from '../../transport/transport.js';
import type { Warning } from '../../results/types.js';

/** Slack on top of the expected measurement time (TCG guests are slow to start a run and to stop). */
const RUN_MARGIN_MS = 60_000;

function imageCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'unilat', 'initramfs');
}

/** Builds (or finds in the cache) the initramfs for one script; returns its path on the controller. */
export async function guestImage(profile: GuestProfile, probePath: string, script: string[], out: string): Promise<{ path: string; cmdline: string[]; hash: string }> {
  const probe = await readFile(probePath);
  const busybox = profile === 'vm' ? await readFile(busyboxPath()) : undefined;
  // The key covers every input, so a hit is the same bytes the writer would make.
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, profile, script, out }))
    .update(probe)
    .update(busybox ?? '')
    .digest('hex')
    .slice(0, 24);
  const dir = imageCacheDir();
  const path = join(dir, `${profile}-${key}.cpio.gz`);
  const cmdFile = `${path}.cmdline.json`;
  if (existsSync(path) && existsSync(cmdFile)) return { path, cmdline: JSON.parse(await readFile(cmdFile, 'utf8')) as string[], hash: key };
  const img = await buildGuestImage({ profile, probe, script, out, busybox });
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, img.initramfs);
  await writeFile(`${cmdFile}.${process.pid}.tmp`, JSON.stringify(img.cmdline));
  await rename(`${cmdFile}.${process.pid}.tmp`, cmdFile);
  await rename(tmp, path);
  return { path, cmdline: img.cmdline, hash: key };
}

/** The probe script line for an invocation (the script splits on blanks: arguments must have none). */
export function scriptLine(inv: ProbeInvocation): string {
  const bad = inv.args.find((a) => /\s/.test(a) || a === '');
  if (bad !== undefined) throw new Error(`probe argument ${JSON.stringify(bad)} cannot go into a guest script (blank inside)`);
  return [inv.mode, ...inv.args].join(' ');
}

export function createGuestRunner(d: GuestDeployment): DeploymentRunner {
  return {
    async runProbe(inv: ProbeInvocation, ctx: DeploymentContext): Promise<DeploymentRunInfo> {
      const kernel = await resolveKernel(d.kernel);
      const out = resultsDevice(d.machine);
      const image = await guestImage(d.kind, await ctx.staticProbe(), [scriptLine(inv)], out);
      const consoleLog = join(ctx.runDir, `${ctx.stepLabel}.console.log`);
      await mkdir(ctx.runDir, { recursive: true });
      const g = await runWithAccel(d, {
        transport: ctx.transport,
        settings: d,
        kernelPath: kernel.path,
        initrdPath: image.path,
        imageCmdline: image.cmdline,
        bootTimeoutMs: d.bootTimeout / 1e6,
        runTimeoutMs: inv.expectedMs * 2 + RUN_MARGIN_MS,
        consoleLogPath: consoleLog,
        signal: ctx.signal,
        onResults: ctx.onData,
      });
      if (g.probeErrors.length) throw new Error(`the probe in the guest failed: ${g.probeErrors.join('; ')}`);
      const h = g.hello ?? {};
      const context: Record<string, unknown> = {
        deploymentKind: d.kind,
        accel: g.accel,
        machine: d.machine,
        bootMs: g.bootMs,
        bootAfterResumeMs: g.bootAfterResumeMs,
        guestUptimeAtProbeS: g.guestUptimeAtProbeS,
        guestKernel: h.kernel ?? null,
        guestKernelVersion: h.kernelVersion ?? null,
        guestPreempt: h.preempt ?? null,
        guestRealtime: h.realtime ?? null,
        vcpus: g.vcpus,
        memoryMiB: d.memory,
        memLock: d.memLock,
        hugepages: d.hugepages,
        kernel: { spec: kernel.spec, ...(kernel.manifest ? { package: kernel.manifest.package, version: kernel.manifest.version, sha256: kernel.manifest.sha256 } : { path: kernel.path }) },
        initramfs: image.hash,
        cmdline: g.cmdline,
        qemuVersion: g.qemuVersion,
        consoleLog,
      };
      return { context, warnings: g.warnings };
    },
  };
}

/** Hosts where `auto` chose KVM but a KVM guest then never booted: later guests go straight to TCG. */
const kvmHangs = new WeakMap<Transport, string>();

/** How long a KVM guest may stay silent under `accel: auto` before TCG is tried (KVM boots in about a second). */
function kvmBootBudgetMs(): number {
  return Number(process.env.UNILAT_KVM_BOOT_BUDGET_MS ?? 30_000);
}

/**
 * `accel: auto` that keeps its promise: KVM when it works, else TCG with a warning. A KVM that
 * passes the quick check but hangs a real kernel (nested KVM does that) is found by a short boot
 * budget, and the step is run again under TCG, saying so in the result.
 */
async function runWithAccel(d: GuestDeployment, o: GuestRunOptions): Promise<GuestRunInfo> {
  if (d.accel !== 'auto') return runGuest(o);
  const t = o.transport;
  const hang = kvmHangs.get(t);
  if (hang) return withFallbackWarning(await runGuest({ ...o, settings: { ...d, accel: 'tcg' } }), hang);
  const chosen = await autoAccel(t);
  if (chosen.accel === 'tcg') {
    const g = await runGuest({ ...o, settings: { ...d, accel: 'tcg' } });
    // Replace runGuest's "accel: tcg" reason with why auto chose TCG.
    g.warnings.splice(0, g.warnings.length, ...g.warnings.filter((w) => w.code !== 'no-kvm'), ...chosen.warnings);
    return g;
  }
  const budget = Math.min(o.bootTimeoutMs, kvmBootBudgetMs());
  try {
    return await runGuest({ ...o, settings: { ...d, accel: 'kvm' }, bootTimeoutMs: budget });
  } catch (e) {
    if (o.signal.aborted || !(e instanceof GuestError) || !/boot timeout/.test(e.message) || budget >= o.bootTimeoutMs) throw e;
    const why = `KVM passed its quick check on ${t.name} but a KVM guest printed nothing within ${Math.round(budget / 1000)} s (nested KVM?)`;
    kvmHangs.set(t, why);
    return withFallbackWarning(await runGuest({ ...o, settings: { ...d, accel: 'tcg' } }), why);
  }
}

function withFallbackWarning(g: GuestRunInfo, why: string): GuestRunInfo {
  const w: Warning = { code: 'no-kvm', message: `accel: auto fell back to TCG: ${why}; instructions are emulated, so latencies describe the emulator, not the hardware` };
  g.warnings.splice(0, g.warnings.length, ...g.warnings.filter((x) => x.code !== 'no-kvm'), w);
  return g;
}

async function autoAccel(t: Transport): Promise<{ accel: 'kvm' | 'tcg'; warnings: Warning[] }> {
  const r = await t.run(['mktemp', '-d', '/tmp/unilat-kvmcheck-XXXXXX']);
  const dir = r.stdout.trim();
  if (r.exitCode !== 0 || !dir) throw new Error(`${t.name}: cannot make a temporary folder for the KVM check: ${r.stderr.trim()}`);
  try {
    return await chooseAccel(t, 'auto', dir);
  } finally {
    await t.run(['rm', '-rf', '--', dir]).catch(() => {});
  }
}
