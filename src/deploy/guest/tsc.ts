/**
 * The target's TSC rate, measured by the static probe (`unilat-probe tsc`) run on the target
 * itself: the controller's rate says nothing about another host's. Once per transport.
 */
import { ProtocolParser } from '../../probe/protocol.js';
import { LocalTransport } from '../../transport/local.js';
import type { Transport } from '../../transport/transport.js';

const rates = new WeakMap<Transport, Promise<number | null>>();

/** kHz, or null where the TSC is not invariant (its rate is then no constant to pass on). */
export function hostTscKhz(t: Transport, staticProbe: () => Promise<string>): Promise<number | null> {
  let p = rates.get(t);
  if (!p) rates.set(t, (p = measure(t, staticProbe)));
  return p;
}

async function measure(t: Transport, staticProbe: () => Promise<string>): Promise<number | null> {
  const local = await staticProbe();
  let bin = local;
  let dir: string | null = null;
  if (!(t instanceof LocalTransport)) {
    const mk = await t.run(['mktemp', '-d', '/tmp/unilat-tsc.XXXXXX']);
    dir = mk.stdout.trim();
    if (mk.exitCode !== 0 || !dir.startsWith('/tmp/unilat-tsc.')) throw new Error(`${t.name}: mktemp failed: ${mk.stderr.trim()}`);
    bin = `${dir}/probe`;
    await t.upload(local, bin, 0o755);
  }
  try {
    const r = await t.run([bin, 'tsc'], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`${t.name}: unilat-probe tsc exited with ${r.exitCode}: ${r.stderr.trim()}`);
    const p = new ProtocolParser();
    const m = p.push(r.stdout).find((x) => x.type === 'tsc');
    return m && m.type === 'tsc' && typeof m.khz === 'number' && m.khz > 0 ? m.khz : null;
  } finally {
    if (dir) await t.run(['rm', '-rf', '--', dir]).catch(() => {});
  }
}
