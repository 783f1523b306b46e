/**
 * The target's TSC rate, measured by the static probe (`unilat-probe tsc`) run on the target
 * itself: the controller's rate says nothing about another host's. Once per transport.
 */
import { ProtocolParser } from '../../probe/protocol.js';
import { removeDir, type Transport } from '../../transport/transport.js';

const rates = new WeakMap<Transport, Promise<number | null>>();

/** kHz, or null where the TSC is not invariant (its rate is then no constant to pass on). */
export function hostTscKhz(t: Transport, staticProbe: () => Promise<string>): Promise<number | null> {
  let p = rates.get(t);
  if (!p) rates.set(t, (p = measure(t, staticProbe)));
  return p;
}

async function measure(t: Transport, staticProbe: () => Promise<string>): Promise<number | null> {
  const dir = await t.tempDir('tsc');
  const bin = `${dir}/probe`;
  await t.upload(await staticProbe(), bin, 0o755);
  try {
    const r = await t.run([bin, 'tsc'], { timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`${t.name}: unilat-probe tsc exited with ${r.exitCode}: ${r.stderr.trim()}`);
    const p = new ProtocolParser();
    const m = p.push(r.stdout).find((x) => x.type === 'tsc');
    return m && m.type === 'tsc' && typeof m.khz === 'number' && m.khz > 0 ? m.khz : null;
  } finally {
    await removeDir(t, dir).catch(() => {});
  }
}
