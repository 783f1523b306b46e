/**
 * QEMU on the target host, through the Transport: argument building (pure), accelerator choice,
 * and one guest's life: start paused, pin and prioritise the vCPU threads over QMP, resume,
 * stream the results serial port, enforce boot and run timeouts, and always kill QEMU and remove
 * everything it left on the target.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolParser } from '../../probe/protocol.js';
import type { Warning } from '../../results/types.js';
import type { GuestDeployment } from '../../scenario/schema.js';
import { LocalTransport } from '../../transport/local.js';
import type { Transport } from '../../transport/transport.js';
import { connectLocalQmp, queryVcpuThreads, transportQmp, waitForSocket, type Qmp } from './qmp.js';

export const QEMU = 'qemu-system-x86_64';
/** Lines of guest console quoted in error messages. */
export const CONSOLE_TAIL_LINES = 20;
/** After the probe's script `end`, the guest has this long to power off before QEMU is killed. */
const POWEROFF_GRACE_MS = 15_000;

export type GuestSettings = Pick<
  GuestDeployment,
  'vcpus' | 'memory' | 'pin' | 'vcpuPolicy' | 'vcpuPriority' | 'memLock' | 'hugepages' | 'machine' | 'cmdline' | 'accel'
>;

/** microvm has one serial port: results share it with the console. */
export function resultsDevice(machine: GuestSettings['machine']): string {
  return machine === 'microvm' ? '/dev/ttyS0' : '/dev/ttyS1';
}

/**
 * The guest kernel command line: our defaults, then the deployment's own words (so they can
 * override ours: the kernel keeps the last `panic=` or `rdinit=`), then the image's words, whose
 * `--` part (init arguments) must come last.
 */
export function kernelCmdline(s: Pick<GuestSettings, 'machine' | 'cmdline'>, image: string[]): string {
  const dash = image.indexOf('--');
  const imageParams = dash < 0 ? image : image.slice(0, dash);
  const initArgs = dash < 0 ? [] : image.slice(dash);
  const words = [
    'console=ttyS0',
    // panic=-1: a panic reboots at once, and -no-reboot turns that into QEMU's exit.
    'panic=-1',
    // With one shared port, kernel messages could land inside protocol lines: keep it quiet.
    ...(s.machine === 'microvm' ? ['quiet', 'loglevel=1'] : []),
    ...imageParams,
    ...s.cmdline.split(/\s+/).filter(Boolean),
    ...initArgs,
  ];
  return words.join(' ');
}

export interface QemuArgsInput {
  settings: GuestSettings;
  accel: 'kvm' | 'tcg';
  kernel: string;
  initrd: string;
  append: string;
  /** Files QEMU makes, on the target. */
  consoleFile: string;
  resultsFile: string;
  qmpSocket: string;
  pidFile: string;
}

/** QEMU's argv (without the binary). Starts paused (-S): the vCPUs are pinned before they run. */
export function qemuArgs(a: QemuArgsInput): string[] {
  const s = a.settings;
  // Files, not stdio: QEMU's UART drops a byte when its output would block a few times in a row,
  // and a file never blocks. ttyS0 = console, ttyS1 = results (microvm: one port for both).
  const serial =
    s.machine === 'microvm' ? ['-serial', `file:${a.resultsFile}`] : ['-serial', `file:${a.consoleFile}`, '-serial', `file:${a.resultsFile}`];
  return [
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-machine', s.machine,
    '-accel', a.accel,
    ...(a.accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-smp', String(s.vcpus),
    '-m', String(s.memory),
    ...(s.memLock ? ['-overcommit', 'mem-lock=on'] : []),
    ...(s.hugepages ? ['-mem-path', '/dev/hugepages', '-mem-prealloc'] : []),
    '-kernel', a.kernel,
    '-initrd', a.initrd,
    '-append', a.append,
    '-no-reboot',
    ...serial,
    '-qmp', `unix:${a.qmpSocket},server=on,wait=off`,
    '-pidfile', a.pidFile,
    '-S',
  ];
}

// ---- accelerator ----

/**
 * A 64 KiB BIOS whose reset vector writes 1 to the isa-debug-exit port (QEMU exits with 3):
 * proves that a KVM vCPU really executes guest code, which an openable /dev/kvm alone does not.
 */
export function kvmCheckBios(): Buffer {
  const b = Buffer.alloc(65536, 0xf4);
  // mov al,1; out 0xf4,al; hlt; jmp $-1
  Buffer.from([0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]).copy(b, 0xfff0);
  return b;
}

const kvmChecks = new WeakMap<Transport, Promise<string | null>>();

/** null when KVM works on the target, else why not. Cached per transport. */
export function kvmProblem(t: Transport, tmpDir: string): Promise<string | null> {
  let p = kvmChecks.get(t);
  if (!p) {
    p = (async () => {
      const open = await t.run({ script: 'exec 3<>/dev/kvm', args: [] });
      if (open.exitCode !== 0) return '/dev/kvm cannot be opened on the target';
      const bios = `${tmpDir}/kvm-check.bin`;
      await t.writeFile(bios, kvmCheckBios());
      const r = await t.run(
        ['timeout', '-s', 'KILL', '10', QEMU, '-nodefaults', '-no-user-config', '-display', 'none', '-machine', 'pc', '-accel', 'kvm', '-m', '16', '-bios', bios, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
        { timeoutMs: 20_000 },
      );
      return r.exitCode === 3 ? null : `a KVM test guest did not run (exit ${r.exitCode ?? r.signal}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').pop()}` : ''})`;
    })();
    kvmChecks.set(t, p);
  }
  return p;
}

export async function chooseAccel(t: Transport, want: GuestSettings['accel'], tmpDir: string): Promise<{ accel: 'kvm' | 'tcg'; warnings: Warning[] }> {
  const tcgWarning = (why: string): Warning => ({
    code: 'no-kvm',
    message: `guest runs under TCG (${why}): instructions are emulated, so latencies describe the emulator, not the hardware`,
  });
  if (want === 'tcg') return { accel: 'tcg', warnings: [tcgWarning('accel: tcg')] };
  if (want === 'kvm') return { accel: 'kvm', warnings: [] };
  if (process.env.UNILAT_FORCE_TCG === '1') return { accel: 'tcg', warnings: [tcgWarning('UNILAT_FORCE_TCG=1')] };
  const problem = await kvmProblem(t, tmpDir);
  return problem ? { accel: 'tcg', warnings: [tcgWarning(problem)] } : { accel: 'kvm', warnings: [] };
}

// ---- one guest ----

export interface VcpuMapping {
  vcpu: number;
  threadId: number;
  hostCpu: number | null;
  policy: string | null;
  priority: number | null;
}

export interface GuestRunOptions {
  transport: Transport;
  settings: GuestSettings;
  /** Kernel and initramfs on the controller. */
  kernelPath: string;
  initrdPath: string;
  /** Kernel command line words of the image (see kernelCmdline). */
  imageCmdline: string[];
  bootTimeoutMs: number;
  /** From the first protocol line to the script's end. */
  runTimeoutMs: number;
  /** Where the console log goes on the controller. */
  consoleLogPath: string;
  signal: AbortSignal;
  onResults: (chunk: Buffer) => void;
}

export interface GuestRunInfo {
  accel: 'kvm' | 'tcg';
  bootMs: number | null;
  /** From QMP `cont` (vCPUs released) to the first protocol line. */
  bootAfterResumeMs: number | null;
  guestUptimeAtProbeS: number | null;
  hello: Record<string, unknown> | null;
  vcpus: VcpuMapping[];
  cmdline: string;
  qemuVersion: string | null;
  exitCode: number | null;
  /** Messages of script `error` lines (a step the probe refused or could not run). */
  probeErrors: string[];
  consoleLog: string;
  warnings: Warning[];
}

export class GuestError extends Error {
  constructor(
    message: string,
    readonly consoleTail: string[],
  ) {
    super(consoleTail.length ? `${message}\n--- last ${consoleTail.length} console lines ---\n${consoleTail.join('\n')}` : `${message} (the guest console is empty)`);
    this.name = 'GuestError';
  }
}

const POLICY_FLAG: Record<string, string> = { fifo: '-f', rr: '-r', other: '-o' };

/** Boots one guest and runs it to its end (or a timeout). Always kills QEMU and removes its files. */
export async function runGuest(o: GuestRunOptions): Promise<GuestRunInfo> {
  const t = o.transport;
  const local = isLocal(t);
  const s = o.settings;
  const warnings: Warning[] = [];
  const tmp = local ? await mkdtemp(join(tmpdir(), 'unilat-guest-')) : await remoteTmpDir(t);
  const f = { console: `${tmp}/console.log`, results: `${tmp}/results.log`, qmp: `${tmp}/qmp.sock`, pid: `${tmp}/qemu.pid` };
  const killer = new AbortController();
  const onOuterAbort = () => killer.abort(o.signal.reason);
  o.signal.addEventListener('abort', onOuterAbort, { once: true });
  let follower: FileFollower | null = null;
  const stderr: Buffer[] = [];
  let qmp: Qmp | null = null;
  let failure: Error | null = null;
  const info: GuestRunInfo = {
    accel: 'tcg',
    bootMs: null,
    bootAfterResumeMs: null,
    guestUptimeAtProbeS: null,
    hello: null,
    vcpus: [],
    cmdline: '',
    qemuVersion: null,
    exitCode: null,
    probeErrors: [],
    consoleLog: o.consoleLogPath,
    warnings,
  };
  try {
    const { accel, warnings: w } = await chooseAccel(t, s.accel, tmp);
    warnings.push(...w);
    info.accel = accel;
    let kernel = o.kernelPath;
    let initrd = o.initrdPath;
    if (!local) {
      kernel = `${tmp}/vmlinuz`;
      initrd = `${tmp}/initrd.gz`;
      await t.upload(o.kernelPath, kernel);
      await t.upload(o.initrdPath, initrd);
    }
    if (s.hugepages && (await t.run(['test', '-d', '/dev/hugepages'])).exitCode !== 0)
      throw new Error(`hugepages: true but ${t.name} has no /dev/hugepages (mount hugetlbfs and reserve pages: vm.nr_hugepages)`);
    info.cmdline = kernelCmdline(s, o.imageCmdline);
    const args = qemuArgs({ settings: s, accel, kernel, initrd, append: info.cmdline, consoleFile: f.console, resultsFile: f.results, qmpSocket: f.qmp, pidFile: f.pid });
    // The outer `timeout` ends QEMU on the target even if the controller vanishes.
    const maxS = Math.ceil((o.bootTimeoutMs + o.runTimeoutMs + POWEROFF_GRACE_MS) / 1000) + 60;
    const parser = new ProtocolParser();
    let resumedAt = 0;
    let firstLine = false;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, why: () => string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        failure ??= new Error(why());
        killer.abort();
      }, ms);
    };
    const startedAt = performance.now();
    arm(o.bootTimeoutMs, () => `guest printed no probe output within the boot timeout (${Math.round(o.bootTimeoutMs / 1000)} s, accel ${accel}${accel === 'kvm' ? '; if KVM hangs on this host use accel: tcg' : ''})`);
    const onResults = (chunk: Buffer) => {
      o.onResults(chunk);
      let msgs;
      try {
        msgs = parser.push(chunk);
      } catch {
        return; // a malformed line is the protocol parser's to report downstream
      }
      for (const m of msgs) {
        if (!firstLine) {
          firstLine = true;
          const now = performance.now();
          info.bootMs = Math.round(now - startedAt);
          info.bootAfterResumeMs = resumedAt ? Math.round(now - resumedAt) : null;
          arm(o.runTimeoutMs, () => `guest did not finish the probe run within ${Math.round(o.runTimeoutMs / 1000)} s after it started`);
        }
        if (m.type === 'hello' && !info.hello) {
          info.hello = m as unknown as Record<string, unknown>;
          info.guestUptimeAtProbeS = m.uptimeS;
        } else if (m.type === 'error') info.probeErrors.push(`step ${m.step}: ${m.message}`);
        else if (m.type === 'end' && !ended) {
          ended = true;
          arm(POWEROFF_GRACE_MS, () => 'guest did not power off after the probe finished');
        }
      }
    };
    // Made before tail starts: on a missing file `tail -F` falls back to polling (seconds late).
    await t.writeFile(f.results, '');
    follower = followFile(t, f.results, onResults);
    const running = t
      .run(['timeout', '-s', 'KILL', String(maxS), QEMU, ...args], {
        signal: killer.signal,
        onStderr: (c) => stderr.push(c),
      })
      .then(
        (r) => {
          info.exitCode = r.exitCode;
          return r;
        },
        (e: Error) => {
          failure ??= o.signal.aborted ? abortError() : e;
          return null;
        },
      );
    // Paused at start: find the vCPU threads, pin and prioritise them, then let the guest run.
    const setup = (async () => {
      if (local) qmp = await connectLocalQmp(f.qmp, { timeoutMs: 15_000, signal: killer.signal });
      else {
        await waitForSocket(t, f.qmp, 15_000, killer.signal);
        qmp = transportQmp(t, f.qmp, killer.signal);
      }
      const v = await qmp.execute<{ qemu: { major: number; minor: number; micro: number } }>('query-version').catch(() => null);
      if (v) info.qemuVersion = `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}`;
      const threads = await queryVcpuThreads(qmp);
      info.vcpus = await placeVcpus(t, s, threads, warnings);
      resumedAt = performance.now();
      await qmp.execute('cont');
    })();
    await Promise.race([
      setup.catch((e: Error) => {
        failure ??= o.signal.aborted ? abortError() : new Error(`setting up the guest over QMP failed: ${e.message}`);
        killer.abort();
      }),
      running,
    ]);
    const r = await running;
    clearTimeout(timer);
    // Whatever the guest wrote last is in the file even if tail had not passed it on yet.
    await follower.finish();
    await setup.catch(() => {});
    if (!failure && r) {
      if (!ended) {
        const why = r.exitCode === 0 ? 'the guest stopped before the probe finished' : `QEMU exited with ${r.exitCode ?? r.signal}`;
        const err = Buffer.concat(stderr).toString('utf8').trim();
        failure = new Error(`${why}${err ? `: ${err.split('\n').slice(-5).join(' | ')}` : ''}`);
      }
    }
  } catch (e) {
    failure ??= o.signal.aborted ? abortError() : (e as Error);
  } finally {
    o.signal.removeEventListener('abort', onOuterAbort);
    killer.abort();
    (qmp as Qmp | null)?.close();
    // QEMU's pid from its pidfile, killed only if it still is QEMU (pids get reused).
    await t
      .run({
        script: 'pid=$(cat "$1" 2>/dev/null) || exit 0; case "$(cat /proc/$pid/comm 2>/dev/null)" in qemu-system*) kill -9 "$pid";; esac; exit 0',
        args: [f.pid],
      })
      .catch(() => {});
    await (follower as FileFollower | null)?.stop();
    const consoleText = await t
      .read(s.machine === 'microvm' ? f.results : f.console)
      .then((b) => b.toString('utf8'))
      .catch(() => '');
    await writeFile(o.consoleLogPath, consoleText).catch(() => {});
    if (local) await rm(tmp, { recursive: true, force: true });
    else await t.run(['rm', '-rf', tmp]).catch(() => {});
    if (failure) {
      if ((failure as Error).name === 'AbortError') throw failure;
      const tail = consoleText.replace(/\r/g, '').split('\n').filter((l) => l.trim()).slice(-CONSOLE_TAIL_LINES);
      throw new GuestError((failure as Error).message, tail);
    }
  }
  return info;
}

interface FileFollower {
  /** Passes on the rest of the file (read whole, after the writer ended), then stops. */
  finish(): Promise<void>;
  /** Stops following without reading the rest. */
  stop(): Promise<void>;
}

/**
 * Streams a file on the target as it grows (`tail -F` through the transport, so local and remote
 * hosts take the same path), counting bytes so finish() can add what tail had not sent yet.
 */
function followFile(t: Transport, path: string, onData: (chunk: Buffer) => void): FileFollower {
  const ac = new AbortController();
  let offset = 0;
  let done = false;
  const deliver = (c: Buffer) => {
    if (done) return;
    offset += c.length;
    onData(c);
  };
  const tail = t
    .run(['tail', '-c', '+1', '-F', path], { signal: ac.signal, onStdout: deliver, onStderr: () => {} })
    .catch(() => null);
  const stop = async () => {
    ac.abort();
    await tail;
  };
  return {
    async finish() {
      await stop();
      const all = await t.read(path).catch(() => Buffer.alloc(0));
      if (all.length > offset) deliver(all.subarray(offset));
      done = true;
    },
    async stop() {
      done = true;
      await stop();
    },
  };
}

async function remoteTmpDir(t: Transport): Promise<string> {
  const r = await t.run(['mktemp', '-d', '/tmp/unilat-guest.XXXXXX']);
  const dir = r.stdout.trim();
  if (r.exitCode !== 0 || !dir.startsWith('/tmp/unilat-guest.')) throw new Error(`${t.name}: mktemp failed: ${r.stderr.trim()}`);
  return dir;
}

/** vCPU = pCPU: each vCPU thread goes to its host CPU (taskset) with the deployment's policy (chrt). */
async function placeVcpus(t: Transport, s: GuestSettings, threads: { vcpu: number; threadId: number }[], warnings: Warning[]): Promise<VcpuMapping[]> {
  const tids = new Set(threads.map((x) => x.threadId));
  if (s.pin && tids.size < threads.length)
    warnings.push({ code: 'vcpu-shared-thread', message: `${threads.length} vCPUs share ${tids.size} QEMU thread(s) (single-threaded TCG): pinning each vCPU to its own CPU is not possible; the last pin wins` });
  const out: VcpuMapping[] = [];
  for (const th of threads) {
    const hostCpu = s.pin?.[th.vcpu] ?? null;
    const m: VcpuMapping = { vcpu: th.vcpu, threadId: th.threadId, hostCpu: null, policy: null, priority: null };
    if (hostCpu !== null) {
      const r = await t.run(['taskset', '-pc', String(hostCpu), String(th.threadId)]);
      if (r.exitCode === 0) m.hostCpu = hostCpu;
      else warnings.push({ code: 'vcpu-pin-failed', message: `vCPU ${th.vcpu} (thread ${th.threadId}) could not be pinned to CPU ${hostCpu}: ${r.stderr.trim()}` });
    }
    if (s.vcpuPolicy) {
      const prio = s.vcpuPolicy === 'other' ? 0 : (s.vcpuPriority ?? 1);
      const r = await t.run(['chrt', POLICY_FLAG[s.vcpuPolicy], '-p', String(prio), String(th.threadId)]);
      if (r.exitCode === 0) {
        m.policy = s.vcpuPolicy;
        m.priority = prio;
      } else warnings.push({ code: 'vcpu-policy-failed', message: `vCPU ${th.vcpu} (thread ${th.threadId}) could not get ${s.vcpuPolicy} priority ${prio}: ${r.stderr.trim()}` });
    }
    out.push(m);
  }
  return out;
}

/** Plain boolean (no type guard), so `t` keeps its Transport type in both branches. */
export function isLocal(t: Transport): boolean {
  return t instanceof LocalTransport;
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
