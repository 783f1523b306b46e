/**
 * unilat's home against a local unprivileged user (nobody), through the real CLI as root: what
 * they plant is never run, restored, written through or shown. And two controllers on one host:
 * the second fails naming the first, or waits for it; the first one's tuning stays applied.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeHash } from '../../src/prepare/probe.js';
import type { RunRecord } from '../../src/results/types.js';
import { runCli } from '../helpers/cli.js';

const root = process.getuid?.() === 0;
const RT = '/proc/sys/kernel/sched_rt_runtime_us';
let base: string;
let secret: string;
let scenario: string;
let out: string;

/** Runs a command as nobody (uid 65534). */
function asNobody(...argv: string[]): void {
  execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv]);
}

function lastRecord(stdout: string): RunRecord {
  return JSON.parse(readFileSync(path.join(stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
}

before(() => {
  if (!root) return;
  // A sticky, world-writable folder like /tmp, so that nobody can make things in it.
  base = mkdtempSync(path.join(tmpdir(), 'unilat-attack-'));
  chmodSync(base, 0o1777);
  out = mkdtempSync(path.join(tmpdir(), 'unilat-attack-out-'));
  secret = path.join(out, 'secret');
  writeFileSync(secret, 'TOP-SECRET-LINE\n', { mode: 0o600 });
  scenario = path.join(out, 'quick.yaml');
  writeFileSync(scenario, 'name: quick\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: sys, kind: syscall, batches: 5, ops: [func, getppid]}\n');
});
after(() => {
  if (!root) return;
  rmSync(base, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

describe("unilat's home", { skip: !root && 'needs root (and setpriv)' }, () => {
  it("a home nobody made beforehand, with a planted probe, a forged journal and links: refused, nothing of theirs runs", async () => {
    const home = path.join(base, 'planted');
    const log = path.join(base, 'planted-ran');
    const victim = path.join(out, 'victim');
    writeFileSync(victim, 'untouched\n');
    const probeDir = path.join(home, 'probes', `probe-${await probeHash()}`);
    asNobody('mkdir', '-p', probeDir, path.join(home, 'journals'));
    asNobody('chmod', '700', home);
    asNobody('sh', '-c', `printf '#!/bin/sh\\nid > ${log}\\n' > "$1/unilat-probe"; chmod 755 "$1/unilat-probe"; sha256sum < "$1/unilat-probe" | cut -d' ' -f1 > "$1/unilat-probe.sha256"`, 'sh', probeDir);
    asNobody('ln', '-s', victim, path.join(probeDir, 'probe.c'));
    asNobody('sh', '-c', `cat > "$1"`, 'sh', path.join(home, 'journals', 'journal-forged.json'));
    asNobody('ln', '-s', secret, path.join(home, 'journals', 'journal-leak.json'));
    const r = await runCli(['run', scenario, '--out', out, '--quiet'], { env: { UNILAT_HOST_HOME: home } });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`refusing ${home}: it is owned by uid 65534, not 0`));
    assert.match(r.stderr, /Fix: /);
    assert.equal(existsSync(log), false, 'the planted probe never ran');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'nothing written through the link');
    const rec = lastRecord(r.stdout);
    assert.doesNotMatch(JSON.stringify(rec), /TOP-SECRET/);
    assert.equal(rec.results[0].status, 'failed');
  });

  it('a folder above the home that nobody owns, or that is a link: refused', async () => {
    const theirs = path.join(base, 'theirs');
    asNobody('mkdir', theirs);
    let r = await runCli(['run', scenario, '--out', out, '--quiet'], { env: { UNILAT_HOST_HOME: path.join(theirs, 'unilat') } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`refusing ${theirs}: it is owned by uid 65534 \\(neither root nor 0\\)`));
    assert.equal(existsSync(path.join(theirs, 'unilat')), false, 'nothing made in their folder');
    const link = path.join(base, 'link');
    asNobody('ln', '-s', out, link);
    r = await runCli(['run', scenario, '--out', out, '--quiet'], { env: { UNILAT_HOST_HOME: path.join(link, 'unilat') } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`refusing ${link}: it is a symbolic link`));
  });

  it("in root's own home: a probe whose checksum does not match is rebuilt, a forged journal and a linked one are left alone and not quoted", async () => {
    const home = path.join(out, 'home');
    mkdirSync(home, { mode: 0o700 });
    const first = await runCli(['run', scenario, '--out', out, '--quiet'], { env: { UNILAT_HOST_HOME: home } });
    assert.equal(first.code, 0, first.stderr);
    const bin = path.join(home, 'probes', `probe-${await probeHash()}`, 'unilat-probe');
    assert.ok(statSync(bin).isFile());
    const log = path.join(out, 'swapped-ran');
    writeFileSync(bin, `#!/bin/sh\nid > ${log}\n`, { mode: 0o755 });
    const victim = path.join(out, 'victim2');
    writeFileSync(victim, 'untouched\n');
    const sleeper = spawn('sh', ['-c', 'sleep 60', 'unilat-load:forged:0123abcd'], { stdio: 'ignore', detached: true });
    const forged = {
      format: 'unilat-host-journal', version: 2, id: 'forged', host: 'local', owner: { pid: 1, controller: 'x' }, bootId: null, createdAt: '',
      entries: [
        { seq: 0, area: 'tuning', knob: 'x', kind: 'write', path: victim, before: 'pwned', after: '', state: 'applied' },
        { seq: 1, area: 'load', knob: 'load', kind: 'process', path: 'sh', before: '', after: '', state: 'applied', marker: 'unilat-load:forged:0123abcd' },
      ],
    };
    writeFileSync(path.join(home, 'journals', 'journal-forged.json'), JSON.stringify(forged));
    symlinkSync(secret, path.join(home, 'journals', 'journal-leak.json'));
    try {
      const r = await runCli(['run', scenario, '--out', out, '--quiet'], { env: { UNILAT_HOST_HOME: home } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(log), false, 'the swapped probe never ran: it was rebuilt');
      assert.notEqual(readFileSync(bin, 'utf8').slice(0, 2), '#!');
      assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'the forged write was not made');
      assert.equal(sleeper.exitCode, null, 'the forged kill was not made (nothing of it is undone)');
      const rec = lastRecord(r.stdout);
      const text = JSON.stringify(rec) + readFileSync(path.join(r.stdout.trim().split('\n').pop()!, 'report.md'), 'utf8');
      assert.doesNotMatch(text, /TOP-SECRET/);
      const msgs = rec.warnings.filter((w) => w.code === 'leftover-tuning').map((w) => w.message);
      assert.ok(msgs.some((m) => /journal-forged\.json: left in place, nothing of it undone: .*entry 0: a write to a path tuning never writes/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /journal-leak\.json: left in place, nothing of it undone: .*not unilat's/.test(m)), msgs.join('\n'));
      assert.deepEqual(readdirSync(path.join(home, 'journals')).sort(), ['journal-forged.json', 'journal-leak.json'], 'left in place, untouched');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});

describe('two controllers on one host', { skip: !root && 'needs root' }, () => {
  it('the second fails naming the first, or waits for it; the first keeps its tuning until it ends', { timeout: 120_000 }, async () => {
    const rtBefore = readFileSync(RT, 'utf8').trim();
    const tuned = path.join(out, 'tuned.yaml');
    writeFileSync(tuned, 'name: tuned\ndeployments:\n  - {name: bare, kind: bare-metal, tuning: {rtThrottling: false}}\nbenchmarks:\n  - {name: wake, kind: cyclic, interval: 1ms, duration: 8s}\n');
    let started!: () => void;
    const tunedNow = new Promise<void>((r) => (started = r));
    const a = runCli(['run', tuned, '--out', out], {
      onStderr: (s) => {
        if (/step 1\/1/.test(s)) started();
      },
    });
    await tunedNow;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(readFileSync(RT, 'utf8').trim(), '-1', "A's tuning is applied");
    const b = await runCli(['run', scenario, '--out', out, '--quiet']);
    assert.equal(b.code, 3);
    assert.match(b.stderr, /local: the host is in use by run \S+-tuned-\S+ of .* \(pid \d+, since .*\); wait for it to end, or give --wait-lock DURATION/);
    assert.equal(readFileSync(RT, 'utf8').trim(), '-1', "B undid nothing of A's");
    const c = runCli(['run', scenario, '--out', out, '--wait-lock', '60s']);
    const ra = await a;
    assert.equal(ra.code, 0, ra.stderr);
    const recA = lastRecord(ra.stdout);
    assert.ok(recA.tuning.some((t) => t.knob === 'rtThrottling' && t.after === '-1' && t.restored));
    assert.deepEqual(recA.warnings.filter((w) => /leftover|not-restored|lock/.test(w.code)), []);
    const rc = await c;
    assert.equal(rc.code, 0, rc.stderr);
    assert.match(rc.stderr, /waiting for run \S+-tuned-\S+/);
    assert.deepEqual(lastRecord(rc.stdout).warnings.filter((w) => w.code === 'leftover-tuning'), [], 'A had restored everything itself');
    assert.equal(readFileSync(RT, 'utf8').trim(), rtBefore);
  });
});
