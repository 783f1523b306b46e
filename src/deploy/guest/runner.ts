/**
 * The vm and unikernel deployments: one boot runs a list of probe invocations, as the script of
 * the static probe in the guest's initramfs; the guest's results port is the protocol stream
 * (the script's `error` lines say which invocation could not run). Images are cached on the controller by content hash.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GuestDeployment } from '../../scenario/schema.js';
import { fileSafe } from '../../names.js';
import type { DeploymentContext, DeploymentRunInfo, DeploymentRunner, ProbeInvocation } from '../types.js';
import { buildGuestImage, busyboxPath, type GuestProfile } from './initramfs.js';
import { resolveKernel, type ResolvedKernel } from './kernel.js';
import { GO_DEVICE, RESULTS_DEVICE, runGuest, type GuestRunInfo } from './qemu.js';
import { hostTscKhz } from './tsc.js';
import { journaledTempDir, type HostJournal } from '../../prepare/journal.js';
import { runGuestWithAccel } from './accel.js';

/** Slack on top of the expected measurement time (TCG guests are slow to start a run and to stop). */
const RUN_MARGIN_MS = 60_000;

function imageCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'unilat', 'initramfs');
}

/** Builds (or finds in the cache) the initramfs for one script; returns its path on the controller. */
export async function guestImage(profile: GuestProfile, probePath: string, script: string[] | { wait: string }, out: string): Promise<{ path: string; cmdline: string[]; hash: string }> {
  const probe = await readFile(probePath);
  const busybox = profile === 'vm' ? await readFile(busyboxPath()) : undefined;
  return cachedImage(profile, [JSON.stringify({ v: 1, profile, script, out }), probe, busybox ?? ''], () => buildGuestImage({ profile, probe, script, out, busybox }));
}

/**
 * An image from the cache when one was built from the same `inputs`, else `build`'s, stored
 * there: the key covers every input, so a hit is the same bytes the builder would make.
 */
export async function cachedImage(prefix: string, inputs: Array<string | Buffer>, build: () => Promise<{ initramfs: Buffer; cmdline: string[] }>): Promise<{ path: string; cmdline: string[]; hash: string }> {
  const h = createHash('sha256');
  for (const x of inputs) h.update(x);
  const key = h.digest('hex').slice(0, 24);
  const dir = imageCacheDir();
  const path = join(dir, `${prefix}-${key}.cpio.gz`);
  const cmdFile = `${path}.cmdline.json`;
  if (existsSync(path) && existsSync(cmdFile)) return { path, cmdline: JSON.parse(await readFile(cmdFile, 'utf8')) as string[], hash: key };
  const img = await build();
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
    async runProbes(invs: ProbeInvocation[], ctx: DeploymentContext): Promise<DeploymentRunInfo> {
      const kernel = await resolveKernel(d.kernel);
      await mkdir(ctx.runDir, { recursive: true });
      const consoleLog = join(ctx.runDir, `${ctx.stepLabel}.console.log`);
      const runTimeoutMs = invs.reduce((a, inv) => a + inv.expectedMs, 0) * 2 + RUN_MARGIN_MS;
      const tscKhz = () => hostTscKhz(ctx.transport, ctx.staticProbe);
      const base = { transport: ctx.transport, journal: ctx.journal, settings: d, kernelPath: kernel.path, bootTimeoutMs: d.bootTimeout / 1e6, runTimeoutMs, consoleLogPath: consoleLog, signal: ctx.signal, onResults: ctx.onData, tscKhz };
      let g: GuestRunInfo;
      let image: { hash: string };
      const extra: Record<string, unknown> = {};
      if (d.boot === 'snapshot') {
        const snap = await snapshotFor(d, ctx, kernel.path);
        image = snap.image;
        g = await runGuest({ ...base, accel: snap.cold.accel, cpuModel: snap.cold.cpuModel, initrdPath: snap.image.path, imageCmdline: snap.image.cmdline, snapshot: { restore: snap.stateFile, script: invs.map(scriptLine) } });
        // Why the snapshot runs under TCG holds for every restore of it.
        g.warnings.unshift(...snap.cold.warnings);
        extra.restoreMs = g.restoreMs;
        extra.snapshot = { coldBootMs: snap.cold.bootMs, coldBoot: snap.cold.boot, savedMs: snap.cold.saved?.savedMs ?? null, stateBytes: snap.cold.saved?.bytes ?? null, consoleLog: snap.cold.consoleLog };
      } else {
        const img = await guestImage(d.kind, await ctx.staticProbe(), invs.map(scriptLine), RESULTS_DEVICE);
        image = img;
        g = await runGuestWithAccel({ ...base, initrdPath: img.path, imageCmdline: img.cmdline });
      }
      const context = guestRunContext(d, kernel, g, image.hash, extra);
      return { context, warnings: g.warnings };
    },
  };
}

/** What a guest run adds to its results' context: the boot, the guest's kernel, the vCPUs, the images and logs. */
export function guestRunContext(d: GuestDeployment, kernel: ResolvedKernel, g: GuestRunInfo, initramfs: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const h = g.hello ?? {};
  return {
    deploymentKind: d.kind,
    accel: g.accel,
    cpuModel: g.cpuModel,
    machine: d.machine,
    bootMode: d.boot,
    bootMs: g.bootMs,
    boot: g.boot,
    ...extra,
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
    initramfs,
    cmdline: g.cmdline,
    qemuVersion: g.qemuVersion,
    consoleLog: g.consoleLog,
    qemuLog: g.qemuLog,
  };
}

interface Snapshot {
  stateFile: string;
  image: { path: string; cmdline: string[]; hash: string };
  /** The boot that made it: accelerator, CPU model, boot time to the probe's `ready`. */
  cold: GuestRunInfo;
}

/** Per journal (one host's part of a run), per deployment: the snapshot made at its first boot. */
const snapshots = new WeakMap<HostJournal, Map<string, Promise<Snapshot>>>();

/**
 * Boots the deployment once to the probe's `ready` (waiting for its script) and saves the VM
 * there, into a folder on the target removed when the host's run ends.
 */
function snapshotFor(d: GuestDeployment, ctx: DeploymentContext, kernelPath: string): Promise<Snapshot> {
  let byDep = snapshots.get(ctx.journal);
  if (!byDep) snapshots.set(ctx.journal, (byDep = new Map()));
  let p = byDep.get(d.name);
  if (!p) {
    const t = ctx.transport;
    p = (async () => {
      // Kept for the boot groups after this one; the journal removes it when the host's run ends.
      const { path: dir } = await journaledTempDir(ctx.journal, 'guest', 'snap', 'host');
      const image = await guestImage(d.kind, await ctx.staticProbe(), { wait: GO_DEVICE }, RESULTS_DEVICE);
      const stateFile = `${dir}/state`;
      const cold = await runGuestWithAccel({
        transport: t,
        journal: ctx.journal,
        settings: d,
        kernelPath,
        initrdPath: image.path,
        imageCmdline: image.cmdline,
        bootTimeoutMs: d.bootTimeout / 1e6,
        runTimeoutMs: RUN_MARGIN_MS,
        consoleLogPath: join(ctx.runDir, `${fileSafe(d.name)}-snapshot.console.log`),
        signal: ctx.signal,
        onResults: () => {},
        snapshot: { save: stateFile },
        tscKhz: () => hostTscKhz(t, ctx.staticProbe),
      });
      return { stateFile, image, cold };
    })();
    byDep.set(d.name, p);
    // A failed snapshot is not kept: the next boot group tries again.
    p.catch(() => byDep!.delete(d.name));
  }
  return p;
}
