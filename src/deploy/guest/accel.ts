/**
 * The accelerator a guest really runs under, and `accel: auto`'s promise: KVM where KVM boots
 * the guest, else TCG with a warning that quotes why. KVM fails in three ways seen on real
 * hosts: the quick check fails, QEMU aborts at start (AMD nested: `-cpu host` cannot set MSR
 * 0x10a), or the kernel hangs in its boot (Intel nested). Each is caught and decided once per
 * host, machine and CPU model for the transport's life (one run).
 */
import type { Warning } from '../../results/types.js';
import { removeDir, type Transport } from '../../transport/transport.js';
import { describeExit, stderrTail } from './qemu-exit.js';
import { GuestError, QEMU, runGuest, type GuestRunInfo, type GuestRunOptions, type GuestSettings } from './qemu.js';

export type Accel = 'kvm' | 'tcg';

/** The `-cpu` model for an accelerator: the deployment's, else host under KVM and max under TCG (TCG cannot pass the host through). */
export function cpuModel(cpu: string | undefined, accel: Accel): string {
  if (accel === 'tcg' && (cpu === undefined || cpu === 'host')) return 'max';
  return cpu ?? 'host';
}

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

/** The check's QEMU argv: the same machine and CPU model as the real launch, so it fails where that would. */
export function kvmCheckArgs(machine: string, cpu: string, bios: string): string[] {
  return ['-nodefaults', '-no-user-config', '-display', 'none', '-machine', machine, '-accel', 'kvm', '-cpu', cpu, '-m', '16', '-bios', bios, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'];
}

/** null when a KVM vCPU runs guest code with this machine and CPU model on the target, else why not. */
export async function kvmCheck(t: Transport, machine: string, cpu: string): Promise<string | null> {
  const open = await t.run({ script: 'exec 3<>/dev/kvm', args: [] });
  if (open.exitCode !== 0) return `/dev/kvm cannot be opened on ${t.name}`;
  const dir = await t.tempDir('kvmcheck');
  try {
    const bios = `${dir}/kvm-check.bin`;
    await t.writeFile(bios, kvmCheckBios());
    const r = await t.run(['timeout', '-s', 'KILL', '10', QEMU, ...kvmCheckArgs(machine, cpu, bios)], { timeoutMs: 20_000 });
    if (r.exitCode === 3) return null;
    const said = stderrTail(r.stderr);
    return `a KVM test guest (machine ${machine}, cpu ${cpu}) did not run: ${describeExit(r.exitCode, r.signal)}${said.length ? `: ${said.join(' | ')}` : ''}`;
  } finally {
    await removeDir(t, dir).catch(() => {});
  }
}

/** Per transport: the verdict for each machine+CPU model (null = KVM works), and a host-wide one once a KVM kernel hung. */
const verdicts = new WeakMap<Transport, { byModel: Map<string, Promise<string | null>>; hung: string | null }>();

function verdictsOf(t: Transport) {
  let v = verdicts.get(t);
  if (!v) verdicts.set(t, (v = { byModel: new Map(), hung: null }));
  return v;
}

function kvmVerdict(t: Transport, machine: string, cpu: string): Promise<string | null> {
  const v = verdictsOf(t);
  if (v.hung) return Promise.resolve(v.hung);
  const key = `${machine}|${cpu}`;
  let p = v.byModel.get(key);
  if (!p) v.byModel.set(key, (p = kvmCheck(t, machine, cpu)));
  return p;
}

/** How long a KVM guest may stay silent under `accel: auto` before TCG is tried (KVM boots in about a second). */
function kvmBootBudgetMs(): number {
  return Number(process.env.UNILAT_KVM_BOOT_BUDGET_MS ?? 30_000);
}

function tcgWarning(why: string): Warning {
  return { code: 'no-kvm', message: `guest runs under TCG (${why}): instructions are emulated, so latencies describe the emulator, not the hardware` };
}

export type AccelRunOptions = Omit<GuestRunOptions, 'accel' | 'cpuModel'> & { settings: GuestSettings };

/** Boots the guest under the accelerator the deployment asks for, with `auto`'s fallback; the result says which ran and why. */
export async function runGuestWithAccel(o: AccelRunOptions): Promise<GuestRunInfo> {
  const s = o.settings;
  const tcg = async (why: string) => {
    const g = await runGuest({ ...o, accel: 'tcg', cpuModel: cpuModel(s.cpu, 'tcg') });
    g.warnings.unshift(tcgWarning(why));
    return g;
  };
  if (s.accel === 'tcg') return tcg('accel: tcg');
  const kvmCpu = cpuModel(s.cpu, 'kvm');
  if (s.accel === 'kvm') return runGuest({ ...o, accel: 'kvm', cpuModel: kvmCpu });
  if (process.env.UNILAT_FORCE_TCG === '1') return tcg('UNILAT_FORCE_TCG=1');
  const t = o.transport;
  const problem = await kvmVerdict(t, s.machine, kvmCpu);
  if (problem) return tcg(`accel: auto, ${problem}`);
  const budget = Math.min(o.bootTimeoutMs, kvmBootBudgetMs());
  try {
    return await runGuest({ ...o, accel: 'kvm', cpuModel: kvmCpu, bootTimeoutMs: budget });
  } catch (e) {
    if (o.signal.aborted || !(e instanceof GuestError)) throw e;
    const v = verdictsOf(t);
    if (e.reason === 'qemu-exit' && !e.guestPrinted) {
      // QEMU refused to run this model under KVM: later guests of this kind go straight to TCG.
      const why = `KVM passed its quick check on ${t.name} but QEMU with -accel kvm -cpu ${kvmCpu} stopped at start: ${describeExit(e.qemu?.exitCode ?? null, e.qemu?.signal)}${e.qemu?.stderrTail.length ? `: ${e.qemu.stderrTail.join(' | ')}` : ''}`;
      v.byModel.set(`${s.machine}|${kvmCpu}`, Promise.resolve(why));
      return tcg(`accel: auto fell back: ${why}`);
    }
    if (e.reason === 'boot-timeout' && budget < o.bootTimeoutMs) {
      v.hung = `KVM passed its quick check on ${t.name} but a KVM guest printed nothing within ${Math.round(budget / 1000)} s (nested KVM?)`;
      return tcg(`accel: auto fell back: ${v.hung}`);
    }
    throw e;
  }
}
