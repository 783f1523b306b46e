/**
 * QEMU on the target host, through the Transport: argument building (pure), accelerator choice,
 * and one guest's life: start paused, pin and prioritise the vCPU threads over QMP, resume,
 * stream the results serial port, enforce boot and run timeouts, and always kill QEMU and remove
 * everything it left on the target.
 */
import { writeFile } from 'node:fs/promises';
import { ProtocolParser } from '../../probe/protocol.js';
import type { BootPhases, Warning } from '../../results/types.js';
export type { BootPhases };
import type { GuestDeployment } from '../../scenario/schema.js';
import { abortError, TransportError, type Transport } from '../../transport/transport.js';
import { journaledTempDir, processMarker, type HostJournal, type JournalEntry } from '../../prepare/journal.js';
import { connectQmp, queryVcpuThreads, type Qmp } from './qmp.js';
import { describeExit, stderrTail } from './qemu-exit.js';

export const QEMU = 'qemu-system-x86_64';
/** Lines of guest console quoted in error messages. */
export const CONSOLE_TAIL_LINES = 20;
/** How long a failed QMP set-up waits for QEMU to exit by itself before it is called the failure. */
const QEMU_EXIT_GRACE_MS = 2_000;
/** After the probe's script `end`, the guest has this long to power off before QEMU is killed. */
const POWEROFF_GRACE_MS = 15_000;

export type GuestSettings = Pick<
  GuestDeployment,
  'vcpus' | 'memory' | 'pin' | 'vcpuPolicy' | 'vcpuPriority' | 'memLock' | 'hugepages' | 'machine' | 'cmdline' | 'accel' | 'cpu'
>;

/**
 * The guest's serial ports, the same on every machine: ttyS0 the console, ttyS1 the probe's
 * results, ttyS2 (snapshot guests) the probe's script. ISA serial devices with their own I/O
 * port and IRQ: microvm ignores a second -serial, and COM3's usual IRQ 4 is COM1's.
 */
export const RESULTS_DEVICE = '/dev/ttyS1';
export const GO_DEVICE = '/dev/ttyS2';

/**
 * The guest kernel command line: our defaults, then the deployment's own words (so they can
 * override ours: the kernel keeps the last `panic=` or `rdinit=`), then the image's words, whose
 * `--` part (init arguments) must come last.
 */
export function kernelCmdline(s: Pick<GuestSettings, 'machine' | 'cmdline'>, image: string[], ours: string[] = []): string {
  const dash = image.indexOf('--');
  const imageParams = dash < 0 ? image : image.slice(0, dash);
  const initArgs = dash < 0 ? [] : image.slice(dash);
  const words = [
    'console=ttyS0',
    // panic=-1: a panic reboots at once, and -no-reboot turns that into QEMU's exit.
    'panic=-1',
    ...ours,
    ...imageParams,
    ...s.cmdline.split(/\s+/).filter(Boolean),
    ...initArgs,
  ];
  return words.join(' ');
}

export interface QemuArgsInput {
  settings: GuestSettings;
  accel: 'kvm' | 'tcg';
  /** QEMU's -cpu value (see cpuModel in accel.ts). */
  cpuModel: string;
  kernel: string;
  initrd: string;
  append: string;
  /** Files QEMU makes, on the target. */
  consoleFile: string;
  resultsFile: string;
  qmpSocket: string;
  /** QEMU's -name: the undo journal's marker, how an interrupted run's QEMU is found and ended. */
  name: string;
  /** Snapshot guests: the base path of the pipe (`.in`/`.out` FIFOs) behind the port the probe reads its script from. */
  goPipe?: string;
  /** Restore: the saved state file to start from instead of booting. */
  incoming?: string;
}

/** Paths that go into QEMU options (and `-incoming exec:`, which a shell runs) must be plain. */
function plainPath(p: string): string {
  if (!/^[A-Za-z0-9_./-]+$/.test(p)) throw new Error(`internal: path ${JSON.stringify(p)} is not safe for a QEMU option`);
  return p;
}

function plainName(n: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(n)) throw new Error(`internal: name ${JSON.stringify(n)} is not safe for a QEMU option`);
  return n;
}

/** QEMU's argv (without the binary). Starts paused (-S): the vCPUs are pinned before they run. */
export function qemuArgs(a: QemuArgsInput): string[] {
  const s = a.settings;
  // Files, not stdio: QEMU's UART drops a byte when its output would block a few times in a row,
  // and a file never blocks. The script port is a pipe (FIFOs goPipe.in/.out), written once.
  const serial = [
    '-serial', `file:${a.consoleFile}`,
    '-chardev', `file,id=results,path=${plainPath(a.resultsFile)}`,
    '-device', 'isa-serial,chardev=results,iobase=0x2f8,irq=3',
    ...(a.goPipe ? ['-chardev', `pipe,id=go,path=${plainPath(a.goPipe)}`, '-device', 'isa-serial,chardev=go,iobase=0x3e8,irq=5'] : []),
  ];
  return [
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-machine', s.machine,
    '-accel', a.accel,
    '-cpu', a.cpuModel,
    '-smp', String(s.vcpus),
    '-m', String(s.memory),
    ...(s.memLock ? ['-overcommit', 'mem-lock=on'] : []),
    ...(s.hugepages ? ['-mem-path', '/dev/hugepages', '-mem-prealloc'] : []),
    '-kernel', a.kernel,
    '-initrd', a.initrd,
    '-append', a.append,
    '-no-reboot',
    ...serial,
    ...(a.incoming ? ['-incoming', `exec:cat ${plainPath(a.incoming)}`] : []),
    '-qmp', `unix:${a.qmpSocket},server=on,wait=off`,
    '-name', plainName(a.name),
    '-S',
  ];
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
  /** The host's undo journal: QEMU and its folder are recorded in it before they exist. */
  journal: HostJournal;
  settings: GuestSettings;
  /** Resolved by accel.ts: the accelerator and -cpu model this launch uses. */
  accel: 'kvm' | 'tcg';
  cpuModel: string;
  /** Kernel and initramfs on the controller. */
  kernelPath: string;
  initrdPath: string;
  /** Kernel command line words of the image (see kernelCmdline). */
  imageCmdline: string[];
  bootTimeoutMs: number;
  /** From the first protocol line to the script's end. */
  runTimeoutMs: number;
  /** Where the console log goes on the controller; QEMU's own stderr goes beside it (`.qemu.log`). */
  consoleLogPath: string;
  signal: AbortSignal;
  onResults: (chunk: Buffer) => void;
  /**
   * Snapshot guests (`boot: snapshot`): `save` boots to the probe's `ready` line, saves the VM
   * to that file and quits; `restore` starts from it and sends the probe its script.
   */
  snapshot?: { save: string } | { restore: string; script: string[] };
  /** The target's TSC rate (kHz), null where unknown; asked only for microvm under TCG. */
  tscKhz?: () => Promise<number | null>;
}

export interface GuestRunInfo {
  accel: 'kvm' | 'tcg';
  cpuModel: string;
  bootMs: number | null;
  /** From QMP `cont` (vCPUs released) to the first protocol line. */
  bootAfterResumeMs: number | null;
  boot: BootPhases;
  guestUptimeAtProbeS: number | null;
  hello: Record<string, unknown> | null;
  vcpus: VcpuMapping[];
  cmdline: string;
  qemuVersion: string | null;
  exitCode: number | null;
  consoleLog: string;
  /** QEMU's stderr on the controller, when it said anything. */
  qemuLog: string | null;
  /** Snapshot save: the state file's size in bytes, and QEMU start to the save's end. */
  saved: { bytes: number; savedMs: number } | null;
  /** Snapshot restore: QEMU start to the probe's first line after the restore. */
  restoreMs: number | null;
  warnings: Warning[];
}

/** How QEMU ended: exit status (or signal) and the last lines it wrote to stderr. */
export interface QemuExit {
  exitCode: number | null;
  signal: string | null;
  stderrTail: string[];
}

export type GuestFailure = 'qemu-exit' | 'boot-timeout' | 'run-timeout' | 'qmp' | 'probe-unfinished' | 'other';

export class GuestError extends Error {
  constructor(
    message: string,
    readonly reason: GuestFailure,
    readonly consoleTail: string[],
    /** QEMU's end, when it ended by itself. */
    readonly qemu: QemuExit | null = null,
  ) {
    const parts = [message];
    if (qemu?.stderrTail.length) parts.push(`--- QEMU's stderr (last ${qemu.stderrTail.length} lines) ---\n${qemu.stderrTail.join('\n')}`);
    if (consoleTail.length) parts.push(`--- last ${consoleTail.length} console lines ---\n${consoleTail.join('\n')}`);
    else parts[0] += ' (the guest console is empty)';
    super(parts.join('\n'));
    this.name = 'GuestError';
  }

  /** True when the guest wrote anything to its console before the failure. */
  get guestPrinted(): boolean {
    return this.consoleTail.length > 0;
  }
}

/** Lines of QEMU's stderr quoted in error messages. */
const STDERR_TAIL_LINES = 8;

const POLICY_FLAG: Record<string, string> = { fifo: '-f', rr: '-r', other: '-o' };

const INIT_LINE = /\[\s*(\d+\.\d+)\] Run \S+ as init process/;

/** The kernel's printk time (ms) of the line where it starts init, if the console shows it. */
export function kernelInitMs(consoleText: string): number | null {
  const m = INIT_LINE.exec(consoleText);
  return m ? Math.round(Number(m[1]) * 1000) : null;
}

/** Watches console bytes as they arrive: when the first came, and when the kernel's init line did. */
export class ConsoleClock {
  firstByteMs: number | null = null;
  initLineMs: number | null = null;
  private tail = '';

  push(chunk: Buffer, nowMs: number): void {
    this.firstByteMs ??= nowMs;
    if (this.initLineMs !== null) return;
    // Only the unfinished last line is kept between chunks.
    const text = this.tail + chunk.toString('latin1');
    const nl = text.lastIndexOf('\n');
    if (nl >= 0 && INIT_LINE.test(text.slice(0, nl))) this.initLineMs = nowMs;
    this.tail = text.slice(nl + 1).slice(-4096);
  }
}

/** Boots one guest and runs it to its end (or a timeout). Always kills QEMU and removes its files. */
export async function runGuest(o: GuestRunOptions): Promise<GuestRunInfo> {
  const t = o.transport;
  const s = o.settings;
  const warnings: Warning[] = [];
  const { path: tmp, entry: tmpEntry } = await journaledTempDir(o.journal, 'guest', 'guest');
  const f = { console: `${tmp}/console.log`, results: `${tmp}/results.log`, qmp: `${tmp}/qmp.sock` };
  let qemuEntry: JournalEntry | null = null;
  const killer = new AbortController();
  const onOuterAbort = () => killer.abort(o.signal.reason);
  o.signal.addEventListener('abort', onOuterAbort, { once: true });
  let follower: FileFollower | null = null;
  let consoleWatch: FileFollower | null = null;
  const stderr: Buffer[] = [];
  let qmp: Qmp | null = null;
  let failure: { message: string; reason: GuestFailure } | Error | null = null;
  let exited: QemuExit | null = null;
  // Times console bytes as they arrive; before the console is followed it simply knows nothing.
  const clock = new ConsoleClock();
  const info: GuestRunInfo = {
    accel: o.accel,
    cpuModel: o.cpuModel,
    bootMs: null,
    bootAfterResumeMs: null,
    boot: { pausedMs: null, firstConsoleMs: null, kernelStartMs: null, kernelToInitMs: null, initToProbeMs: null, totalMs: null },
    guestUptimeAtProbeS: null,
    hello: null,
    vcpus: [],
    cmdline: '',
    qemuVersion: null,
    exitCode: null,
    consoleLog: o.consoleLogPath,
    qemuLog: null,
    saved: null,
    restoreMs: null,
    warnings,
  };
  const snap = o.snapshot;
  const fail = (message: string, reason: GuestFailure) => {
    failure ??= { message, reason };
  };
  try {
    // Copied even to this machine (a few MB): one path for every target.
    const kernel = `${tmp}/vmlinuz`;
    const initrd = `${tmp}/initrd.gz`;
    await t.upload(o.kernelPath, kernel);
    await t.upload(o.initrdPath, initrd);
    if (s.hugepages && (await t.run(['test', '-d', '/dev/hugepages'])).exitCode !== 0)
      throw new Error(`hugepages: true but ${t.name} has no /dev/hugepages (mount hugetlbfs and reserve pages: vm.nr_hugepages)`);
    info.cmdline = kernelCmdline(s, o.imageCmdline, await tscWords(o, warnings));
    const goPipe = `${tmp}/go`;
    if (snap) {
      const mk = await t.run(['mkfifo', '-m', '600', `${goPipe}.in`, `${goPipe}.out`]);
      if (mk.exitCode !== 0) throw new Error(`${t.name}: mkfifo failed: ${mk.stderr.trim()}`);
    }
    const qemuMarker = processMarker(o.journal, 'qemu');
    const args = qemuArgs({
      settings: s,
      accel: o.accel,
      cpuModel: o.cpuModel,
      kernel,
      initrd,
      append: info.cmdline,
      consoleFile: f.console,
      resultsFile: f.results,
      qmpSocket: f.qmp,
      name: qemuMarker,
      ...(snap ? { goPipe } : {}),
      ...(snap && 'restore' in snap ? { incoming: snap.restore } : {}),
    });
    // The outer `timeout` ends QEMU on the target even if the controller vanishes.
    const maxS = Math.ceil((o.bootTimeoutMs + o.runTimeoutMs + POWEROFF_GRACE_MS) / 1000) + 60;
    const parser = new ProtocolParser();
    let resumedAt = 0;
    let firstLine = false;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, reason: GuestFailure, why: () => string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        fail(why(), reason);
        killer.abort();
      }, ms);
    };
    const startedAt = performance.now();
    const sinceStart = () => Math.round(performance.now() - startedAt);
    arm(o.bootTimeoutMs, 'boot-timeout', () => `guest printed no probe output within the boot timeout (${Math.round(o.bootTimeoutMs / 1000)} s, accel ${o.accel}${o.accel === 'kvm' ? '; if KVM hangs on this host use accel: tcg' : ''})`);
    let saving: Promise<void> | null = null;
    /** At the probe's `ready`: stop the vCPUs, stream the VM state into the file, quit. */
    const saveState = async (file: string) => {
      try {
        const q = await qmpReady;
        // The default 128 MiB/s limit is for live migration over a network; a file takes all.
        await q.execute('migrate-set-parameters', { 'max-bandwidth': 1e10 });
        await q.execute('stop');
        await q.execute('migrate', { uri: `exec:cat > ${plainPath(file)}` });
        await migration(q, 'saving the guest state');
        const size = await t.run(['stat', '-c', '%s', file]);
        info.saved = { bytes: Number(size.stdout.trim()) || 0, savedMs: sinceStart() };
        ended = true;
        await q.execute('quit').catch(() => {}); // QEMU may close the socket before it replies
      } catch (e) {
        fail(`snapshot: ${(e as Error).message}`, 'other');
        killer.abort();
      }
    };
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
          info.bootMs = sinceStart();
          if (snap && 'restore' in snap) info.restoreMs = info.bootMs;
          info.bootAfterResumeMs = resumedAt ? Math.round(performance.now() - resumedAt) : null;
          arm(o.runTimeoutMs, 'run-timeout', () => `guest did not finish the probe run within ${Math.round(o.runTimeoutMs / 1000)} s after it started`);
        }
        if (m.type === 'ready' && snap && 'save' in snap && !saving) saving = saveState(snap.save);
        if (m.type === 'hello' && !info.hello) {
          info.hello = m as unknown as Record<string, unknown>;
          info.guestUptimeAtProbeS = m.uptimeS;
        } else if (m.type === 'end' && !ended) {
          ended = true;
          arm(POWEROFF_GRACE_MS, 'other', () => 'guest did not power off after the probe finished');
        }
      }
    };
    // Made before tail starts: on a missing file `tail -F` falls back to polling (seconds late).
    await t.writeFile(f.results, '');
    follower = followFile(t, f.results, onResults);
    await t.writeFile(f.console, '');
    consoleWatch = followFile(t, f.console, (c) => clock.push(c, sinceStart()));
    // Set when QEMU ends by itself, so a QMP set-up waiting for a socket that will never come stops at once.
    const qemuGone = new AbortController();
    qemuEntry = await o.journal.recordOne({ area: 'guest', knob: 'qemu', kind: 'process', path: QEMU, before: '', after: s.machine, marker: qemuMarker });
    const running = t
      .run(['timeout', '-s', 'KILL', String(maxS), QEMU, ...args], {
        signal: killer.signal,
        onStderr: (c) => stderr.push(c),
      })
      .then(
        (r) => {
          info.exitCode = r.exitCode;
          if (!killer.signal.aborted) exited = { exitCode: r.exitCode, signal: r.signal ?? null, stderrTail: stderrTail(Buffer.concat(stderr).toString('utf8'), STDERR_TAIL_LINES) };
          return r;
        },
        (e: Error) => {
          failure ??= o.signal.aborted ? abortError() : e;
          return null;
        },
      )
      .finally(() => qemuGone.abort());
    // Paused at start: find the vCPU threads, pin and prioritise them, then let the guest run.
    const setupSignal = AbortSignal.any([killer.signal, qemuGone.signal]);
    let qmpIsReady: (q: Qmp) => void = () => {};
    const qmpReady = new Promise<Qmp>((r) => (qmpIsReady = r));
    const setup = (async () => {
      qmp = await connectQmp(t, f.qmp, { timeoutMs: 15_000, signal: setupSignal });
      const v = await qmp.execute<{ qemu: { major: number; minor: number; micro: number } }>('query-version').catch(() => null);
      if (v) info.qemuVersion = `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}`;
      const threads = await queryVcpuThreads(qmp);
      info.vcpus = await placeVcpus(t, s, threads, warnings);
      // A restore must have loaded the whole state first: cont during the load is ignored.
      if (snap && 'restore' in snap) await migration(qmp, 'loading the saved guest state');
      resumedAt = performance.now();
      info.boot.pausedMs = Math.round(resumedAt - startedAt);
      await qmp.execute('cont');
      qmpIsReady(qmp);
      if (snap && 'restore' in snap) {
        // Only now: bytes that reached the UART during the load would have been lost.
        const script = snap.script.join('\n') + '\ngo\n';
        const w = await t.run({ script: 'cat > "$1"', args: [`${goPipe}.in`] }, { stdin: script, timeoutMs: 20_000, signal: setupSignal });
        if (w.exitCode !== 0) throw new Error(`sending the script to the restored guest failed: ${w.stderr.trim()}`);
      }
    })();
    await Promise.race([
      setup.catch(async (e: Error) => {
        // A QEMU that dies at start can reset the QMP connection just before it exits: give it a
        // moment, so that its exit, reported below in its own words, is what the user sees.
        if (!killer.signal.aborted) await Promise.race([running, new Promise((r) => setTimeout(r, QEMU_EXIT_GRACE_MS).unref())]);
        if (qemuGone.signal.aborted && !killer.signal.aborted) return;
        if (o.signal.aborted) failure ??= abortError();
        else fail(`setting up the guest over QMP failed: ${e.message}`, 'qmp');
        killer.abort();
      }),
      running,
    ]);
    const r = await running;
    clearTimeout(timer);
    // Whatever the guest wrote last is in the file even if tail had not passed it on yet.
    await follower.finish();
    await setup.catch(() => {});
    await saving;
    if (!failure && r && !ended) {
      const how = describeExit(r.exitCode, r.signal);
      if (!firstLine) fail(r.exitCode === 0 ? `the guest stopped before the probe started (${how})` : `${how} before the probe started`, 'qemu-exit');
      else fail(r.exitCode === 0 ? 'the guest stopped before the probe finished' : `${how} before the probe finished`, 'probe-unfinished');
    }
  } catch (e) {
    failure ??= o.signal.aborted ? abortError() : (e as Error);
  } finally {
    o.signal.removeEventListener('abort', onOuterAbort);
    killer.abort();
    (qmp as Qmp | null)?.close();
    // Ended through the journal, as an interrupted run's QEMU would be: found by its -name.
    const killed = qemuEntry ? await o.journal.undo([qemuEntry]) : null;
    if (killed?.errors.length) warnings.push({ code: 'cleanup-failed', message: killed.errors.join('; ') });
    await (follower as FileFollower | null)?.stop();
    await (consoleWatch as FileFollower | null)?.stop();
    const consoleText = await t
      .read(f.console)
      .then((b) => b.toString('utf8'))
      .catch(() => '');
    await writeFile(o.consoleLogPath, consoleText).catch(() => {});
    const stderrText = Buffer.concat(stderr).toString('utf8');
    if (stderrText.trim()) {
      const qemuLog = o.consoleLogPath.replace(/(\.console)?\.log$/, '') + '.qemu.log';
      if (await writeFile(qemuLog, stderrText).then(() => true, () => false)) info.qemuLog = qemuLog;
    }
    const removed = await o.journal.undo([tmpEntry]);
    if (removed.errors.length) warnings.push({ code: 'cleanup-failed', message: removed.errors.join('; ') });
    const b = info.boot;
    b.totalMs = info.bootMs;
    // A restored guest does not boot: what it prints later (powering off) is no boot phase.
    b.firstConsoleMs = snap && 'restore' in snap ? null : clock.firstByteMs;
    b.kernelToInitMs = kernelInitMs(consoleText);
    if (b.kernelToInitMs !== null && clock.initLineMs !== null) b.kernelStartMs = Math.max(0, clock.initLineMs - b.kernelToInitMs);
    if (b.kernelToInitMs !== null && info.guestUptimeAtProbeS !== null) b.initToProbeMs = Math.max(0, Math.round(info.guestUptimeAtProbeS * 1000 - b.kernelToInitMs));
    if (failure) {
      if ((failure as Error).name === 'AbortError' || failure instanceof TransportError) throw failure;
      const tail = consoleText.replace(/\r/g, '').split('\n').filter((l) => l.trim()).slice(-CONSOLE_TAIL_LINES);
      const fl = failure as { message: string; reason?: GuestFailure };
      throw new GuestError(fl.message, fl.reason ?? 'other', tail, exited);
    }
  }
  return info;
}

/**
 * microvm under TCG: the guest's TSC is the host's, but with no PIT route, HPET or PM timer the
 * guest kernel can only calibrate it by a fast PIT read that fails whenever the vCPU thread is
 * descheduled, and then it has no timer tick and hangs. Telling it the rate avoids that.
 */
async function tscWords(o: GuestRunOptions, warnings: Warning[]): Promise<string[]> {
  if (o.settings.machine !== 'microvm' || o.accel !== 'tcg' || /(^|\s)tsc_early_khz=/.test(o.settings.cmdline)) return [];
  const khz = o.tscKhz ? await o.tscKhz() : null;
  // tsc=reliable: with no other clocksource, the watchdog compares the TSC with jiffies, which
  // lag whenever the vCPU thread is descheduled, marks the TSC unstable and falls back to 4 ms
  // jiffies, on which the probe never gets going (seen under load). The host's TSC is invariant.
  if (khz) return [`tsc_early_khz=${khz}`, 'tsc=reliable'];
  warnings.push({ code: 'microvm-tsc-unknown', message: `${o.transport.name}: the TSC rate is unknown (no invariant TSC), so a microvm guest under TCG may hang calibrating it; set tsc_early_khz= in cmdline` });
  return [];
}

/** Waits until the migration QEMU is doing (saving, or loading with -incoming) has completed. */
async function migration(q: Qmp, what: string): Promise<void> {
  for (;;) {
    const st = await q.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
    if (st.status === 'completed') return;
    if (st.status === 'failed' || st.status === 'cancelled') throw new Error(`${what} failed: ${st['error-desc'] ?? st.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
