/**
 * Fleet scale: the same scenario on 1 loopback sshd host and on 16 and 64 of them
 * (127.0.0.2...), through the real CLI; target (issue 18): 16 hosts take at most 1.1x the wall
 * time of one, with the login user's shell as it is on the machine. All "hosts" share this
 * machine's CPUs, so the scenario is chosen to measure the harness's own overhead (connect, the
 * remote command runner, facts, provisioning, protocol, records, reports) rather than contended
 * latency: a syscall run with few small batches and a short low-rate cyclic run at SCHED_OTHER.
 * Each round runs every size once (1, 16, 64, 1, 16, 64, ...) so drift hits all alike. The
 * controller's own CPU seconds and peak RSS come from /usr/bin/time around the CLI; the hosts'
 * side (sshd, login shells, the runner and every command) from the CPU time the sshd listeners
 * collected from their ended children.
 * Options: --fleet-hosts=16,64  --fleet-rounds=3
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import type { SshdServer } from '../helpers/sshd.js';
import { mean, meanCi } from './lib/util.js';

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

const TIME = '/usr/bin/time';

interface One {
  wallS: number;
  /** The controller's user + system CPU seconds (null without /usr/bin/time). */
  cpuS: number | null;
  rssMiB: number | null;
  machineBusyS: number;
  /** CPU seconds of the hosts' side (every sshd session tree of the run). */
  hostsCpuS: number;
}

/** CPU seconds of the ended children of these processes (cutime + cstime). */
function childrenCpuS(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks / 100;
}

/** Runs the CLI once, under /usr/bin/time when there is one; rejects on a non-zero exit. */
async function runOnce(args: string[], usageFile: string, servers: SshdServer[]): Promise<One> {
  const listeners = servers.map((s) => s.pid);
  const timed = existsSync(TIME);
  const [cmd, ...argv] = timed ? [TIME, '-f', '%U %S %M', '-o', usageFile, process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const t0 = performance.now();
  const c0 = busyCpuS();
  const h0 = childrenCpuS(listeners);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err = (err + c).slice(-20000)));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const wallS = (performance.now() - t0) / 1000;
  const machineBusyS = busyCpuS() - c0;
  // The sessions end as the CLI closes them: wait until the listeners have reaped them all.
  for (let i = 0; i < 100 && servers.some((s) => s.descendants().length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  const hostsCpuS = childrenCpuS(listeners) - h0;
  if (code !== 0) throw new Error(`unilat ${args.slice(0, 2).join(' ')} exited ${code}:\n${stderr.trim().split('\n').slice(-25).join('\n')}`);
  if (!timed) return { wallS, cpuS: null, rssMiB: null, machineBusyS, hostsCpuS };
  const [u, s, kb] = (await readFile(usageFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return { wallS, cpuS: u + s, rssMiB: kb / 1024, machineBusyS, hostsCpuS };
}

export async function fleet(args: Record<string, string>): Promise<unknown> {
  const sizes = [1, ...(args['fleet-hosts'] ?? '16,64').split(',').map(Number).filter((n) => n > 1)];
  const ROUNDS = Number(args['fleet-rounds'] ?? 3);
  const most = Math.max(...sizes);
  let sshd: typeof import('../helpers/sshd.js');
  try {
    sshd = await import('../helpers/sshd.js');
  } catch (e) {
    return { skipped: `test/helpers/sshd.ts not available: ${(e as Error).message}` };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'unilat-fleet-'));
  try {
    const servers = await sshd.startSshdFleet(most, 2);
    const known = path.join(dir, 'known_hosts');
    await writeFile(known, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
    const names = servers.map((_, i) => `h${i + 2}`);
    const hosts = ['hosts:', ...servers.flatMap((s, i) => [
      `  ${names[i]}:`, `    address: ${s.address}`, `    port: ${s.port}`, `    user: ${s.user}`, `    identityFile: ${s.clientKeyPath}`, `    knownHosts: ${known}`,
    ])].join('\n') + '\n';
    const hostsFile = path.join(dir, 'hosts.yaml');
    await writeFile(hostsFile, hosts);
    await mkdir(path.join(dir, 'reports'));
    const files = new Map<number, string>();
    for (const n of sizes) {
      const f = path.join(dir, `fleet-${n}.yaml`);
      await writeFile(f, SCENARIO(`fleet-${n}`, names.slice(0, n)));
      files.set(n, f);
    }
    const time = (n: number) =>
      runOnce(['run', files.get(n)!, '--hosts', hostsFile, '--out', path.join(dir, 'reports'), '--parallel', String(n), '--quiet'], path.join(dir, 'usage'), servers.slice(0, n));
    const runs = new Map<number, One[]>(sizes.map((n) => [n, []]));
    try {
      // One uncounted round: first connections, the runner's and the probe's builds on every host.
      for (const n of sizes) await time(n);
    } catch (e) {
      return { skipped: `the SSH transport does not run yet: ${(e as Error).message}` };
    }
    for (let i = 0; i < ROUNDS; i++) {
      const line: string[] = [];
      for (const n of sizes) {
        let r: One;
        try {
          r = await time(n);
        } catch (e) {
          return { failed: `round ${i + 1}, ${n} hosts: ${(e as Error).message}`, raw: Object.fromEntries(runs) };
        }
        runs.get(n)!.push(r);
        line.push(
          `${n} host${n > 1 ? 's' : ''} ${r.wallS.toFixed(2)} s (controller ${r.cpuS?.toFixed(2) ?? '?'} CPU-s, ${r.rssMiB?.toFixed(0) ?? '?'} MiB; hosts' side ${r.hostsCpuS.toFixed(2)} CPU-s; machine busy ${r.machineBusyS.toFixed(1)} of ${(2 * r.wallS).toFixed(1)} CPU-s)`,
        );
      }
      console.log(`  round ${i + 1}: ${line.join(', ')}`);
    }
    const one = meanCi(runs.get(1)!.map((r) => r.wallS));
    const out = sizes.map((n) => {
      const rs = runs.get(n)!;
      const wall = meanCi(rs.map((r) => r.wallS));
      const cpu = rs.every((r) => r.cpuS !== null) ? mean(rs.map((r) => r.cpuS!)) : null;
      const rss = rs.every((r) => r.rssMiB !== null) ? mean(rs.map((r) => r.rssMiB!)) : null;
      return {
        hosts: n,
        wallS: wall,
        ratio: wall.mean / one.mean,
        controllerCpuS: cpu,
        controllerCpuPerHostS: cpu === null ? null : cpu / n,
        peakRssMiB: rss,
        peakRssPerHostMiB: rss === null ? null : rss / n,
        hostsCpuPerHostS: mean(rs.map((r) => r.hostsCpuS)) / n,
        machineBusyS: rs.map((r) => r.machineBusyS),
        raw: rs.map((r) => r.wallS),
      };
    });
    for (const o of out.slice(1)) console.log(`  ${o.hosts} hosts / 1 host = ${o.ratio.toFixed(2)}${o.hosts === 16 ? ' (target <= 1.1)' : ''}`);
    return { rounds: ROUNDS, sshRunner: process.env.UNILAT_SSH_RUNNER !== 'off', sizes: out };
  } finally {
    await sshd.stopAllSshd();
    await rm(dir, { recursive: true, force: true });
  }
}
