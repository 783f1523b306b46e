/**
 * The -v importer streams: peak RSS of a 10-million-sample import stays at the level of a
 * 1-million one. Each import runs in its own node process so its VmHWM is its own.
 * (No timing assertions; the speed is printed as a diagnostic.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'unilat-verbose-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const importModule = fileURLToPath(new URL('../../src/bench/import.js', import.meta.url));

/** Writes n samples in cyclictest's "%8d:%8lu:%8ld" format, two threads, varied latencies. */
async function writeVerbose(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('Max CPUs = 2\nOnline CPUs = 2\n# /dev/cpu_dma_latency set to 0us\nThread 0 Interval: 1500\nThread 1 Interval: 2000\n');
  const pad = (x: number) => String(x).padStart(8);
  let lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const th = i & 1;
    const v = 10 + ((i * 7919) % 53) + (i % 100_003 === 0 ? 5000 : 0);
    lines.push(`${pad(th)}:${pad(i >> 1)}:${pad(v)}\n`);
    if (lines.length === 65536) {
      if (!out.write(lines.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    }
  }
  out.write(lines.join(''));
  await new Promise((r, j) => out.end((e?: Error) => (e ? j(e) : r(null))));
}

function importInChild(file: string): { samples: number; hwmKiB: number; seconds: number; count: number } {
  const code = `
    import { readFileSync } from 'node:fs';
    const { importFile } = await import(${JSON.stringify(importModule)});
    const t0 = process.hrtime.bigint();
    const r = await importFile(${JSON.stringify(file)});
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const hwm = Number(/VmHWM:\\s*(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    console.log(JSON.stringify({ samples: r.meta.samples, count: r.latency.count, hwmKiB: hwm, seconds }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }));
}

describe('verbose import memory', () => {
  it('peak RSS at 1e7 samples stays within a small margin of 1e6 samples', { timeout: 600_000 }, async () => {
    const small = join(dir, '1e6.verbose');
    const big = join(dir, '1e7.verbose');
    await writeVerbose(small, 1_000_000);
    await writeVerbose(big, 10_000_000);
    const a = importInChild(small);
    rmSync(small);
    const b = importInChild(big);
    rmSync(big);
    assert.equal(a.samples, 1_000_000);
    assert.equal(b.samples, 10_000_000);
    assert.equal(b.count, 10_000_000);
    const note = `1e6: ${a.hwmKiB} KiB peak, ${(a.samples / a.seconds / 1e6).toFixed(1)} M samples/s; 1e7: ${b.hwmKiB} KiB peak, ${(b.samples / b.seconds / 1e6).toFixed(1)} M samples/s`;
    console.log(`# ${note}`);
    assert.ok(b.hwmKiB < a.hwmKiB + 16 * 1024, note);
  });
});
