import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';
import type { RunRecord } from '../../src/results/types.js';
import { isLatencyResult, isOpsResult, runScenario } from '../../src/results/types.js';

const out = mkdtempSync(join(tmpdir(), 'unilat-run-'));
test.after(() => rmSync(out, { recursive: true, force: true }));

function lastLine(s: string): string {
  return s.trim().split('\n').pop()!;
}

test('run quickstart on local writes a complete run folder; report rebuilds it', async () => {
  // Waits for the host rather than failing when another run (another test) holds it.
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--out', out, '--duration', '2s', '--wait-lock', '10m']);
  assert.equal(r.code, 0, r.stderr);
  const dir = lastLine(r.stdout);
  assert.ok(dir.startsWith(out), `last line is the run folder: ${dir}`);
  const rec = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(rec.schemaVersion, 2);
  // What the record says is what ran: the 2 s of --duration, not the scenario file's 20 s.
  assert.deepEqual(rec.overrides, { durationNs: 2e9, parallel: 8, waitLockMs: 600_000 });
  const ran = runScenario(rec)!;
  assert.equal(ran.duration, 2e9);
  assert.deepEqual(ran.benchmarks.map((b) => [b.name, b.kind === 'syscall' ? null : b.duration]), [['wakeup', 2e9], ['syscalls', null]]);
  assert.equal(rec.status, 'completed');
  assert.equal(rec.results.length, 2);
  const lat = rec.results.find(isLatencyResult);
  assert.ok(lat, 'a latency result');
  assert.equal(lat.deployment, 'bare');
  assert.equal(lat.host, 'local');
  assert.equal(lat.repetition, 1);
  const l = lat.latency;
  // 2 threads at 1 ms for 2 s: about 4000 wake-ups.
  assert.ok(l.count > 3000 && l.count <= 4100, `count ${l.count}`);
  assert.ok(l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.p9999 && l.p9999 <= l.max);
  assert.equal(l.threads.length, 2);
  assert.equal(l.threads[0].summary.count + l.threads[1].summary.count, l.count);
  assert.equal(l.histogram.bins.reduce((s, [, c]) => s + c, 0), l.count);
  // Root here: the probe must have got SCHED_FIFO 80 and say so.
  if (process.getuid?.() === 0) {
    assert.equal(lat.applied?.policy, 'fifo');
    assert.equal(lat.applied?.priority, 80);
  }
  const ops = rec.results.find(isOpsResult);
  assert.ok(ops);
  for (const name of ['func', 'getppid', 'clock_gettime', 'read']) {
    const o = ops.ops[name];
    assert.ok(o && o.ciLow <= o.nsPerOp && o.nsPerOp <= o.ciHigh, `${name} with interval`);
  }
  assert.ok(ops.ratios.getppid > 1, 'a syscall costs more than a function call');
  assert.ok(rec.facts.local, 'host facts recorded');

  const csv = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n');
  assert.match(csv[0], /^deployment,benchmark,kind,host,repetition,status,thread/);
  assert.equal(csv.length, 1 + 3 + Object.keys(ops.ops).length, 'header + merged + 2 threads + one row per op');
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /## Wake-up latency/);
  assert.match(md, /## System call vs function call/);
  assert.match(md, /Status: \*\*completed\*\*/);
  assert.match(md, /Command-line options: --duration 2 s \(applied to the scenario below\), --parallel 8, --wait-lock 600 s/);
  assert.match(md, /"duration": 2000000000/);
  assert.doesNotMatch(md, /"duration": 20000000000/, 'the scenario as resolved is the one that ran');
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<dt>command line<\/dt><dd><code>--duration 2 s/);

  // `report` rebuilds the same files from run.json alone.
  rmSync(join(dir, 'report.md'));
  const rep = await runCli(['report', dir]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.equal(readFileSync(join(dir, 'report.md'), 'utf8'), md);
});

test('an import named like a run\'s step (--deployment, --benchmark, --host) compares with that run', async () => {
  const f = join(out, 'wake.yaml');
  writeFileSync(f, 'name: wake\nhosts: [local]\nduration: 2s\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks: [{name: wakeup, kind: cyclic, threads: 1, interval: 1ms}]\n');
  const run = await runCli(['run', f, '--out', out, '--wait-lock', '10m', '--quiet']);
  assert.equal(run.code, 0, run.stderr);
  // 2000 samples at 20-60 µs: a cyclictest file as -h 1000 writes it, with its command line.
  const histogram = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [String(20 + i), i === 40 ? 40 : 49]));
  const json = join(out, 'ct.json');
  writeFileSync(json, JSON.stringify({ 'cmdline:': 'cyclictest -t 1 -p 80 -i 1000 -h 1000 -D 2 --json=ct.json', thread: { '0': { histogram, cycles: 2000, min: 20, max: 60, avg: 39.5, cpu: 0 } } }));
  const imp = await runCli(['import', json, '--out', out, '--deployment', 'bare', '--benchmark', 'wakeup', '--host', 'local']);
  assert.equal(imp.code, 0, imp.stderr);
  const c = await runCli(['compare', lastLine(imp.stdout), lastLine(run.stdout)]);
  assert.ok(c.code === 0 || c.code === 1, c.stderr);
  assert.doesNotMatch(c.stdout, /No results to compare/);
  assert.match(c.stdout, /^wakeup\/bare@local +p50 .*(better|worse|no significant change)$/m);
});

test('plan prints the interleaved matrix', async () => {
  const f = join(out, 'rep.yaml');
  writeFileSync(
    f,
    'name: rep\nrepetitions: 2\nwarmup: true\ndeployments:\n  - {name: a, kind: bare-metal}\n  - {name: b, kind: bare-metal}\nbenchmarks:\n  - {name: s, kind: syscall}\n',
  );
  const r = await runCli(['plan', f, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const steps = JSON.parse(r.stdout) as Array<{ deployment: string; repetition: number }>;
  assert.deepEqual(
    steps.map((s) => `${s.deployment}${s.repetition}`),
    ['a0', 'b0', 'a1', 'b1', 'a2', 'b2'],
  );
});

test('schema prints a JSON Schema with the scenario fields', async () => {
  const r = await runCli(['schema']);
  assert.equal(r.code, 0);
  const s = JSON.parse(r.stdout);
  assert.ok(s.properties.deployments && s.properties.benchmarks && s.properties.hosts);
});

test('--version and --help', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  for (const cmd of ['run', 'validate', 'plan', 'schema', 'report']) {
    const h = await runCli([cmd, '--help']);
    assert.equal(h.code, 0, cmd);
    assert.match(h.stdout, /Exit codes|exit/i, `${cmd} --help documents exit codes`);
  }
});

test('SIGINT mid-run: exit 3, run.json marked aborted with what was measured, no probe left', async () => {
  let pid = 0;
  let sent = false;
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--out', out, '--duration', '30s'], {
    onSpawn: (p) => (pid = p),
    onStderr: (s) => {
      if (!sent && /step 1\/2|\[#*\.*\]/.test(s)) {
        sent = true;
        setTimeout(() => process.kill(pid, 'SIGINT'), 1500);
      }
    },
  });
  assert.equal(r.code, 3, r.stderr);
  const dir = lastLine(r.stdout);
  const rec = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(rec.status, 'aborted');
  assert.ok(rec.results.every((x) => x.status === 'aborted'));
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /ABORTED/);
  assert.ok(existsSync(join(dir, 'summary.csv')) && statSync(join(dir, 'summary.csv')).size > 0);
  let left = '';
  try {
    left = // Specific to this test's invocation: other tests may run probes of their own.
    left = execFileSync('pgrep', ['-f', 'unilat-probe cyclic .*--duration-ms 30000']).toString();
  } catch {
    /* none */
  }
  assert.equal(left, '', 'no probe process left behind');
});
