/**
 * Fleet scale: the same scenario on 16 loopback sshd hosts (127.0.0.2..17) and on one, through
 * the real CLI; target: 16 hosts take at most 1.3x the wall time of one. All 16 "hosts" share
 * this machine's CPUs, so the scenario is chosen to measure the harness's own overhead
 * (connect, facts, provisioning, protocol, records, reports) rather than contended latency:
 * a syscall run with few small batches and a short low-rate cyclic run at SCHED_OTHER.
 * Runs alternate (1, 16, 1, 16, ...) so drift hits both alike.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { meanCi } from './lib/util.js';

const SCENARIO = (name: string, hosts: string[]) => `name: ${name}
description: harness overhead across hosts (tiny syscall run, short low-rate cyclic run)
hosts: [${hosts.join(', ')}]
repetitions: 1
deployments:
  - name: bare
    kind: bare-metal
benchmarks:
  - name: sys
    kind: syscall
    ops: [func, getppid]
    batches: 5
    warmup: 0
    batch: 1000
  - name: tick
    kind: cyclic
    threads: 1
    interval: 100ms
    loops: 20
    policy: other
`;

/** Machine-wide busy CPU seconds so far (all CPUs, from /proc/stat): shows when the 2 cores saturate. */
function busyCpuS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return (f.reduce((a, b) => a + b, 0) - idle) / 100; // USER_HZ = 100 on Linux
}

export async function fleet(args: Record<string, string>): Promise<unknown> {
  const N = Number(args['fleet-hosts'] ?? 16);
  const ROUNDS = Number(args['fleet-rounds'] ?? 3);
  let sshd: typeof import('../helpers/sshd.js');
  try {
    sshd = await import('../helpers/sshd.js');
  } catch (e) {
    return { skipped: `test/helpers/sshd.ts not available: ${(e as Error).message}` };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-fleet-'));
  try {
    const servers = await sshd.startSshdFleet(N, 2);
    const known = path.join(dir, 'known_hosts');
    await writeFile(known, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
    const names = servers.map((_, i) => `h${i + 2}`);
    const hosts = ['hosts:', ...servers.flatMap((s, i) => [
      `  ${names[i]}:`, `    address: ${s.address}`, `    port: ${s.port}`, `    user: ${s.user}`, `    identityFile: ${s.clientKeyPath}`, `    knownHosts: ${known}`,
    ])].join('\n') + '\n';
    const hostsFile = path.join(dir, 'hosts.yaml');
    await writeFile(hostsFile, hosts);
    const one = path.join(dir, 'one.yaml');
    const many = path.join(dir, 'many.yaml');
    await writeFile(one, SCENARIO('fleet-1', names.slice(0, 1)));
    await writeFile(many, SCENARIO(`fleet-${N}`, names));
    const time = async (file: string) => {
      const t0 = performance.now();
      const c0 = busyCpuS();
      const r = await runCli(['run', file, '--hosts', hostsFile, '--out', path.join(dir, 'reports'), '--parallel', String(N), '--quiet']);
      const s = (performance.now() - t0) / 1000;
      (file === one ? cpu1 : cpuN).push(busyCpuS() - c0);
      if (r.code !== 0) throw new Error(`unilat run ${path.basename(file)} exited ${r.code}:\n${r.stderr.trim().split('\n').slice(-25).join('\n')}`);
      return s;
    };
    const cpu1: number[] = [];
    const cpuN: number[] = [];
    const w1: number[] = [];
    const wN: number[] = [];
    try {
      // One uncounted round each: first connections and probe provisioning on every host.
      await time(one);
      await time(many);
    } catch (e) {
      return { skipped: `the SSH transport does not run yet: ${(e as Error).message}` };
    }
    for (let i = 0; i < ROUNDS; i++) {
      try {
        w1.push(await time(one));
        wN.push(await time(many));
      } catch (e) {
        return { failed: `round ${i + 1}: ${(e as Error).message}`, raw: { one: w1, many: wN } };
      }
      const last = (a: number[]) => a[a.length - 1].toFixed(1);
      console.log(`  round ${i + 1}: 1 host ${w1[i].toFixed(2)} s (machine busy ${last(cpu1)} CPU-s), ${N} hosts ${wN[i].toFixed(2)} s (busy ${last(cpuN)} CPU-s of ${(2 * wN[i]).toFixed(1)} available on 2 cores)`);
    }
    const a = meanCi(w1);
    const b = meanCi(wN);
    const ratio = b.mean / a.mean;
    console.log(`  ${N} hosts / 1 host = ${ratio.toFixed(2)} (target <= 1.3)`);
    // The uncounted warm-up round is in cpu1/cpuN[0]; keep only counted rounds.
    return { hosts: N, rounds: ROUNDS, oneHostS: a, manyHostsS: b, ratio, raw: { one: w1, many: wN, busyCpuOne: cpu1.slice(1), busyCpuMany: cpuN.slice(1) } };
  } finally {
    await sshd.stopAllSshd();
    await rm(dir, { recursive: true, force: true });
  }
}
