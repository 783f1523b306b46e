/**
 * Test helper for guest deployments: a deployment with test defaults, a DeploymentContext that
 * collects the protocol stream, a transport that hides that it is local (so the remote code path
 * runs on this machine), and the check that no QEMU outlived a test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalProbe } from '../../src/prepare/probe.js';
import type { DeploymentContext } from '../../src/deploy/types.js';
import type { GuestDeployment } from '../../src/scenario/schema.js';
import { LocalTransport } from '../../src/transport/local.js';
import { HostJournal } from '../../src/prepare/journal.js';
import type { Command, RunOptions, RunResult, Transport } from '../../src/transport/transport.js';

export function guestDeployment(over: Partial<GuestDeployment> = {}): GuestDeployment {
  return {
    name: 'guest',
    kind: 'unikernel',
    kernel: 'debian-rt',
    accel: 'auto',
    vcpus: 1,
    memory: 256,
    memLock: false,
    hugepages: false,
    machine: 'pc',
    cmdline: '',
    bootTimeout: 90e9,
    ...over,
  } as GuestDeployment;
}

export interface CollectingContext extends DeploymentContext {
  chunks: Buffer[];
  text(): string;
  /** Undoes what the journal still holds (a snapshot folder), as the executor does at the host's end. */
  hostEnd(): Promise<void>;
}

export function guestContext(over: Partial<DeploymentContext> & { runDir: string; stepLabel: string }): CollectingContext {
  const chunks: Buffer[] = [];
  const transport = over.transport ?? new LocalTransport();
  const journal = over.journal ?? new HostJournal(transport, { dir: journalDir() });
  return {
    hostEnd: async () => {
      const r = await journal.restore();
      if (r.errors.length) throw new Error(r.errors.join('; '));
    },
    transport,
    journal,
    probePath: '',
    staticProbe: () => buildLocalProbe({ static: true }),
    signal: new AbortController().signal,
    onData: (c) => chunks.push(c),
    chunks,
    text: () => Buffer.concat(chunks).toString('utf8'),
    ...over,
  };
}

let jdir: string | undefined;
/** One journal folder for the test process, removed at its exit (journals in it are removed as they are restored). */
function journalDir(): string {
  if (!jdir) {
    const d = mkdtempSync(join(tmpdir(), 'unilat-test-journals-'));
    process.once('exit', () => rmSync(d, { recursive: true, force: true }));
    jdir = d;
  }
  return jdir;
}

/** LocalTransport behind a plain object: guest code must not care which transport it has. */
export function disguisedLocal(name = 'disguised-local'): Transport {
  const t = new LocalTransport(name);
  return {
    name,
    run: (cmd: Command, opts?: RunOptions): Promise<RunResult> => t.run(cmd, opts),
    upload: (a, b, m) => t.upload(a, b, m),
    writeFile: (p, d, m) => t.writeFile(p, d, m),
    read: (p) => t.read(p),
    tempDir: (p) => t.tempDir(p),
    connectUnix: (p) => t.connectUnix(p),
    close: () => t.close(),
  };
}

/** Live (not zombie) qemu-system processes: pid and command line. */
export function liveQemus(): { pid: number; cmd: string }[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', '^(timeout .* )?qemu-system'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map((pid) => {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 200);
      } catch {
        /* gone meanwhile */
      }
      return { pid, cmd };
    })
    .filter((p) => /qemu-system/.test(p.cmd));
}

/**
 * Fails if a QEMU is still running (after a short grace for one being reaped), killing it first
 * so one failure does not leak into the next test.
 */
export async function assertNoQemu(): Promise<void> {
  for (let i = 0; i < 20 && liveQemus().length; i++) await new Promise((r) => setTimeout(r, 100));
  const left = liveQemus();
  if (!left.length) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  throw new Error(`QEMU survived the test (killed now): ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
}
