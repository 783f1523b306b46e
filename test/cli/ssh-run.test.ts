/**
 * Scenarios over SSH against real OpenSSH servers on 127.0.0.x, through the real CLI:
 * same result shape as local, host keys verified, a dropped host does not lose the others'
 * results, tuning always restored, and scenario values reach the host as literals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startSshdFleet, stopAllSshd, type SshdServer } from '../helpers/sshd.js';
import { isLatencyResult, isOpsResult, type RunRecord } from '../../src/results/types.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-sshrun-'));
let servers: SshdServer[] = [];
const RT = '/proc/sys/kernel/sched_rt_runtime_us';
const rtBefore = readFileSync(RT, 'utf8').trim();

before(async () => {
  servers = await startSshdFleet(3);
});
after(async () => {
  await stopAllSshd();
  // Whatever happened, leave the machine as found.
  writeFileSync(RT, rtBefore);
  rmSync(dir, { recursive: true, force: true });
});

function hostsFile(name: string, opts: { knownHosts?: (s: SshdServer, i: number) => string } = {}): string {
  const lines = ['hosts:'];
  servers.forEach((s, i) => {
    const kh = join(dir, `${name}-kh-${i}`);
    writeFileSync(kh, opts.knownHosts ? opts.knownHosts(s, i) : `${s.knownHostsLine}\n`);
    lines.push(`  h${i + 1}:`, `    address: ${s.address}`, `    port: ${s.port}`, `    user: ${s.user}`, `    identityFile: ${s.clientKeyPath}`, `    knownHosts: ${kh}`);
  });
  lines.push('groups:', `  lab: [${servers.map((_, i) => `h${i + 1}`).join(', ')}]`);
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

function scenario(name: string, body: string): string {
  const f = join(dir, `${name}-scenario.yaml`);
  writeFileSync(f, `name: ${name}\n${body}`);
  return f;
}

function record(stdout: string): RunRecord {
  return JSON.parse(readFileSync(join(stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
}

const SHORT = `deployments: [{name: bare, kind: bare-metal}]
benchmarks:
  - {name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 1s}
  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}
`;

describe('ssh hosts', () => {
  test('a scenario over three SSH hosts gives the same result shape as on local', async () => {
    const h = hostsFile('three');
    const remote = await runCli(['run', scenario('three', `hosts: [lab]\n${SHORT}`), '--hosts', h, '--out', dir, '--quiet']);
    assert.equal(remote.code, 0, remote.stderr);
    const local = await runCli(['run', scenario('one-local', `hosts: [local]\n${SHORT}`), '--out', dir, '--quiet']);
    assert.equal(local.code, 0, local.stderr);
    const r = record(remote.stdout);
    const l = record(local.stdout);
    assert.deepEqual(Object.keys(r.facts).sort(), ['h1', 'h2', 'h3']);
    assert.equal(r.results.length, 6);
    const shape = (x: object) => Object.keys(x).sort().join(',');
    for (const host of ['h1', 'h2', 'h3']) {
      const lat = r.results.find((x) => x.host === host && isLatencyResult(x));
      const ops = r.results.find((x) => x.host === host && isOpsResult(x));
      assert.ok(lat && ops, `both results for ${host}`);
      assert.equal(shape(lat), shape(l.results.find(isLatencyResult)!));
      assert.equal(shape(ops), shape(l.results.find(isOpsResult)!));
      assert.ok(isLatencyResult(lat) && lat.latency.count > 500);
    }
  });

  test('facts over SSH prints the checklist; this kernel is not PREEMPT_RT and it says how to get it', async () => {
    const r = await runCli(['facts', '--hosts', hostsFile('facts')]);
    assert.equal(r.code, 0, r.stderr);
    for (const h of ['h1', 'h2', 'h3']) assert.match(r.stdout, new RegExp(`Real-time readiness of ${h}`));
    assert.match(r.stdout, /✗ PREEMPT_RT kernel/);
    assert.match(r.stdout, /fix: apt-get install linux-image-rt-amd64/);
  });

  test('an unknown host key is refused without --accept-new-host-keys, and recorded with it', async () => {
    const h = hostsFile('unknown', { knownHosts: () => '' });
    const s = scenario('unknown', `hosts: [h1]\n${SHORT}`);
    const refused = await runCli(['run', s, '--hosts', h, '--out', dir, '--quiet']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /h1: .*(unknown|not known).*host key/i);
    const accepted = await runCli(['run', s, '--hosts', h, '--out', dir, '--quiet', '--accept-new-host-keys']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(readFileSync(join(dir, 'unknown-kh-0'), 'utf8'), /ssh-ed25519 /);
  });

  test('a changed host key is refused even with --accept-new-host-keys', async () => {
    // h1's known_hosts holds h2's key for h1's address: what a changed key looks like.
    const h = hostsFile('changed', { knownHosts: (s, i) => (i === 0 ? `[${s.address}]:${s.port} ${servers[1].hostKey}\n` : `${s.knownHostsLine}\n`) });
    const r = await runCli(['run', scenario('changed', `hosts: [h1]\n${SHORT}`), '--hosts', h, '--out', dir, '--quiet', '--accept-new-host-keys']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /h1: .*host key.*(changed|does not match|differs)/i);
    const rec = record(r.stdout);
    assert.ok(rec.hostErrors.h1);
    assert.equal(rec.results.filter((x) => x.status === 'completed').length, 0);
  });

  test('a connection dropped mid-run fails that host clearly; the other hosts finish and every result is saved', async () => {
    const h = hostsFile('drop');
    const s = scenario('drop', `hosts: [lab]\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks:\n  - {name: wakeup, kind: cyclic, threads: 1, interval: 2ms, duration: 6s}\n  - {name: sys, kind: syscall, batches: 10, ops: [func, getppid]}\n`);
    let dropped = false;
    const seen = new Set<string>();
    const r = await runCli(['run', s, '--hosts', h, '--out', dir], {
      onStderr: (text) => {
        for (const m of text.matchAll(/\[(h\d)\] step 1\/2/g)) seen.add(m[1]);
        // Drop h2 while its probe is measuring (not while a session's login shell starts).
        if (!dropped && seen.size === 3 && /\[h2\]\s+25%/.test(text)) {
          dropped = true;
          servers[1].dropConnections();
        }
      },
    });
    assert.ok(dropped, 'the connection was dropped during the run');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /h2/);
    const rec = record(r.stdout);
    assert.match(rec.hostErrors.h2 ?? '', /h2/, 'the error names the host');
    for (const host of ['h1', 'h3']) assert.equal(rec.results.filter((x) => x.host === host && x.status === 'completed').length, 2, `${host} finished`);
    assert.ok(rec.results.filter((x) => x.host === 'h2').every((x) => x.status === 'failed'));
    assert.equal(rec.status, 'partial');
  });

  test('a host named only in ssh_config (Host, HostName, Port, User, IdentityFile, UserKnownHostsFile) works without a hosts file', async () => {
    const s0 = servers[0];
    const kh = join(dir, 'cfg-known-hosts');
    writeFileSync(kh, `${s0.knownHostsLine}\n`);
    const cfg = join(dir, 'ssh_config');
    writeFileSync(cfg, `Host cfg-box\n  HostName ${s0.address}\n  Port ${s0.port}\n  User ${s0.user}\n  IdentityFile ${s0.clientKeyPath}\n  UserKnownHostsFile ${kh}\n\nHost *\n  User nobody-else\n`);
    const r = await runCli(['run', scenario('cfg', `hosts: [cfg-box]\n${SHORT}`), '--out', dir, '--quiet'], { env: { UNILAT_SSH_CONFIG: cfg } });
    assert.equal(r.code, 0, r.stderr);
    const rec = record(r.stdout);
    assert.deepEqual(Object.keys(rec.facts), ['cfg-box']);
    assert.equal(rec.results.filter((x) => x.status === 'completed').length, 2);
    // A name ssh_config does not define is still an input error (exit 2), not a connection attempt.
    const bad = await runCli(['validate', scenario('cfg-bad', `hosts: [not-in-config]\n${SHORT}`)], { env: { UNILAT_SSH_CONFIG: cfg } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown host "not-in-config"/);
  });

  test('a scenario value with shell metacharacters reaches the host as a literal', async () => {
    const target = join(dir, 'literal-$(id -u)-`id -u`');
    const s = scenario('literal', `hosts: [h1]\ndeployments:\n  - name: bare\n    kind: bare-metal\n    load: {tool: command, args: [touch, ${JSON.stringify(target)}]}\nbenchmarks: [{name: sys, kind: syscall, batches: 5, ops: [func]}]\n`);
    const r = await runCli(['run', s, '--hosts', hostsFile('literal'), '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(target), 'the file with the literal name exists');
    assert.deepEqual(readdirSync(dir).filter((f) => /^literal-\d/.test(f)), [], 'nothing was expanded');
  });
});

describe('tuning over SSH is always restored', () => {
  const tuned = (body: string) => `hosts: [h1]\ndeployments:\n  - name: bare\n    kind: bare-metal\n    tuning: {rtThrottling: false, irqAffinity: "0"}\n${body}`;
  const irqs = () => readdirSync('/proc/irq').filter((d) => /^\d+$/.test(d) && existsSync(`/proc/irq/${d}/smp_affinity_list`)).map((d) => [d, readFileSync(`/proc/irq/${d}/smp_affinity_list`, 'utf8').trim()]);

  test('after a normal run', async () => {
    const irqBefore = irqs();
    const r = await runCli(['run', scenario('tuned-ok', tuned('benchmarks: [{name: sys, kind: syscall, batches: 5, ops: [func]}]\n')), '--hosts', hostsFile('tuned-ok'), '--out', dir, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const rec = record(r.stdout);
    assert.ok(rec.tuning.some((t) => t.path === RT && t.after === '-1'), 'the change is listed');
    assert.ok(rec.tuning.every((t) => t.restored));
    assert.equal(readFileSync(RT, 'utf8').trim(), rtBefore);
    assert.deepEqual(irqs(), irqBefore);
    assert.match(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'report.md'), 'utf8'), /sched_rt_runtime_us/);
  });

  test('after a failed step', async () => {
    const s = scenario('tuned-fail', tuned('benchmarks: [{name: ct, kind: cyclictest, args: ["--no-such-option"], duration: 1s}]\n'));
    const r = await runCli(['run', s, '--hosts', hostsFile('tuned-fail'), '--out', dir, '--quiet']);
    assert.equal(r.code, 3);
    const rec = record(r.stdout);
    assert.equal(rec.results[0].status, 'failed');
    assert.ok(rec.tuning.length > 0 && rec.tuning.every((t) => t.restored));
    assert.equal(readFileSync(RT, 'utf8').trim(), rtBefore);
  });

  test('after SIGINT to the CLI', async () => {
    let pid = 0;
    let sent = false;
    const s = scenario('tuned-int', tuned('benchmarks: [{name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 20s}]\n'));
    const r = await runCli(['run', s, '--hosts', hostsFile('tuned-int'), '--out', dir], {
      onSpawn: (p) => (pid = p),
      onStderr: (text) => {
        // Interrupt once the probe is measuring (its progress is on stderr): killing a session
        // while the login shell is still starting can leave that shell's own state behind
        // (pyenv's rehash lock in root's ~/.bashrc on the development machine).
        if (!sent && /\[h1\]\s+25%/.test(text)) {
          sent = true;
          // Tuning is applied before the step's probe starts: make sure it really is, then interrupt.
          const poll = setInterval(() => {
            if (readFileSync(RT, 'utf8').trim() === '-1') {
              clearInterval(poll);
              process.kill(pid, 'SIGINT');
            }
          }, 100);
        }
      },
    });
    assert.ok(sent);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(readFileSync(RT, 'utf8').trim(), rtBefore, 'RT throttling restored');
    const rec = record(r.stdout);
    assert.equal(rec.status, 'aborted');
    assert.ok(rec.tuning.every((t) => t.restored));
  });

  test('after a lost connection: restored at the next connection', async () => {
    let dropped = false;
    const h = hostsFile('tuned-lost');
    const s = scenario('tuned-lost', tuned('benchmarks: [{name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 8s}]\n'));
    const r = await runCli(['run', s, '--hosts', h, '--out', dir], {
      onStderr: (text) => {
        // Drop while the probe is measuring, not while a session's login shell starts (see above).
        if (!dropped && /\[h1\]\s+25%/.test(text)) {
          const poll = setInterval(() => {
            if (readFileSync(RT, 'utf8').trim() === '-1') {
              clearInterval(poll);
              dropped = true;
              servers[0].dropConnections();
            }
          }, 100);
        }
      },
    });
    assert.ok(dropped);
    assert.equal(r.code, 3, r.stderr);
    // The controller could not restore through a dead connection: the value is still changed...
    assert.equal(readFileSync(RT, 'utf8').trim(), '-1');
    // ...until the next run connects to that host, finds the journal and undoes it.
    const next = await runCli(['run', scenario('after-lost', `hosts: [h1]\n${SHORT}`), '--hosts', h, '--out', dir, '--quiet']);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(readFileSync(RT, 'utf8').trim(), rtBefore, 'restored at the next connection');
    assert.ok(record(next.stdout).warnings.some((w) => w.code === 'leftover-tuning'));
  });
});
