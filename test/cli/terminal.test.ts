/**
 * What a person sees in the terminal, from the real CLI on this machine: `run`'s progress
 * through its phases to 100% (plain lines when stderr is not a terminal; bars under a real
 * pseudo-terminal from `script`), the end-of-run summary (none with --quiet), `compare`'s verdict
 * table instead of compare.md's prose, `facts`' host lines, and JUnit figures without float noise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli, type CliResult } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-terminal-'));
const scenario = join(dir, 'two.yaml');
const lastLine = (s: string) => s.trim().split('\n').pop()!;
let run: CliResult;

before(async () => {
  writeFileSync(
    scenario,
    [
      'name: terminal',
      'hosts: [local]',
      'duration: 2s',
      'deployments:',
      '  - {name: fifo, kind: bare-metal}',
      '  - {name: other, kind: bare-metal}',
      'benchmarks:',
      '  - {name: wakeup, kind: cyclic, threads: 1, interval: 1ms}',
      '  - {name: sys, kind: syscall}',
      '',
    ].join('\n'),
  );
  run = await runCli(['run', scenario, '--out', dir, '--wait-lock', '10m']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('run: plain progress names every phase and reaches 100% at each step, without terminal animation', () => {
  assert.equal(run.code, 0, run.stderr);
  const err = run.stderr;
  // Not a terminal: no carriage returns, no cursor movement.
  assert.doesNotMatch(err, /\r|\x1b\[/);
  const phases = ['connecting', 'checking the host', 'building the probe', 'measuring', 'restoring the host', 'writing reports', 'reports written'];
  let at = 0;
  for (const p of phases) {
    const i = err.indexOf(p, at);
    assert.ok(i >= 0, `phase "${p}" not named (in order) in:\n${err}`);
    at = i;
  }
  for (let s = 1; s <= 4; s++) assert.match(err, new RegExp(`^\\[local\\] step ${s}/4: `, 'm'));
  // Each step ends at 100%, the last one at 100% of the host's steps.
  assert.equal((err.match(/^\[local\] {3}100%/gm) ?? []).length, 4, err);
  assert.match(err, /^\[local\] {3}100% \(100% of local's steps\)$/m);
});

test('run: the end-of-run summary has the headline table, the warnings counted and where the report is; stdout ends with the run folder', () => {
  const runDir = lastLine(run.stdout);
  assert.ok(existsSync(join(runDir, 'run.json')), run.stdout);
  assert.equal(run.stdout.trim(), runDir, 'stdout is the run folder alone');
  const err = run.stderr;
  assert.match(err, /^terminal: completed, 4 steps in [\d.]+ s$/m);
  // The headline, a column per deployment and a row per figure, latency in µs, the syscall in ns.
  assert.match(err, /^ +fifo( \[[^\]]+\])? +other( \[[^\]]+\])?$/m);
  assert.match(err, /^samples +\d+ +\d+/m);
  for (const row of ['p50', 'p99', 'p99.9', 'max']) assert.match(err, new RegExp(`^${row.replace('.', '\\.')} .*\\d µs`, 'm'), row);
  assert.match(err, /^getppid +[\d.]+ ns +[\d.]+ ns ×[\d.]+ (n\.s\.|better|worse)$/m);
  assert.match(err, /^p50 +[\d.]+ µs +[\d.]+ µs ×[\d.]+ (n\.s\.|better|worse)$/m);
  assert.match(err, /^Ratios \(×\) against fifo/m);
  assert.match(err, /^(no warnings|\d+ warnings? \(.+\): see the report's Warnings section)$/m);
  assert.ok(err.includes(`report: ${join(runDir, 'report.html')}`), err);
});

test('run --quiet: no progress, no summary; stdout still ends with the run folder', async () => {
  const q = await runCli(['run', scenario, '--out', dir, '--wait-lock', '10m', '--quiet', '--only', 'sys']);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stderr, '');
  assert.ok(existsSync(join(lastLine(q.stdout), 'run.json')), q.stdout);
});

test('run under a terminal: bars that reach 100%, and the summary after them', { skip: !existsSync('/usr/bin/script') && 'no script(1)' }, async () => {
  const log = join(dir, 'tty.txt');
  // script(1) gives the CLI a real pseudo-terminal; its typescript file holds what the terminal got.
  const cmd = `${process.execPath} ${BIN} run ${scenario} --out ${dir} --wait-lock 10m --only sys`;
  const code = await new Promise<number | null>((resolve, reject) => {
    const c = spawn('script', ['-qfec', cmd, log], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, COLUMNS: '120' } });
    c.on('error', reject);
    c.on('close', resolve);
  });
  assert.equal(code, 0);
  const screen = readFileSync(log, 'utf8');
  assert.match(screen, /local +\[#+\] 100% 2\/2 /);
  assert.match(screen, /unilat +reports written/);
  assert.match(screen, /^terminal: completed, 2 steps/m);
});

test('compare: the verdict table, short, not the Markdown prose; its figures in their unit; JUnit without float noise', async () => {
  const junit = join(dir, 'pair.xml');
  const c = await runCli(['compare', lastLine(run.stdout), '--deployments', 'fifo,other', '--out', dir, '--junit', junit]);
  assert.equal(c.code, 0, c.stderr);
  const lines = c.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^Comparison: \S+ vs \S+$/);
  const header = lines.findIndex((l) => /^group +metric +baseline +candidate +ratio +interval +MDE +verdict$/.test(l));
  assert.ok(header > 0, c.stdout);
  assert.match(lines[header + 1], /^-+( +-+){7}$/);
  assert.match(c.stdout, /^wakeup@local: other vs fifo +p99 +[\d.]+ µs +[\d.]+ µs +×[\d.]+ /m);
  assert.match(c.stdout, /^sys@local: other vs fifo +syscall\.getppid +[\d.]+ ns +[\d.]+ ns +×[\d.]+ /m);
  // No Markdown table or heading, no paragraph: every line fits a wide terminal.
  assert.doesNotMatch(c.stdout, /^\||^#/m);
  for (const l of lines) assert.ok([...l].length <= 200 || l.startsWith('wrote '), `long line: ${l}`);
  assert.match(c.stdout, /compare\.md has what decided each verdict/);
  assert.match(c.stdout, /^wrote compare\.md, compare\.json, compare\.html in /m);
  const xml = readFileSync(junit, 'utf8');
  // Only gated rows are cases; a comparison inside one run has none, so the test of digits is the report's (junit-figures.test).
  assert.match(xml, /<testsuites name="unilat"/);
  assert.doesNotMatch(xml, /\d\.\d{6,}/);
});

test('facts: the host lines the README promises (CPU model, count, governor), then the checklist', async () => {
  const f = await runCli(['facts']);
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stdout, /^== local: Linux \S+/m);
  for (const label of ['host', 'kernel', 'CPU', 'CPUs', 'governor', 'isolated', 'RT throttling', 'memory', 'clocksource', 'KVM', 'tools', 'privileges'])
    assert.match(f.stdout, new RegExp(`^  ${label} +\\S`, 'm'), label);
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1].trim();
  if (model) assert.ok(f.stdout.includes(`  CPU `) && f.stdout.includes(model), `CPU model ${model} not shown:\n${f.stdout}`);
  const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  assert.match(f.stdout, new RegExp(`^  CPUs +\\d+ online \\(${online.replace(/[-,]/g, '\\$&')}\\)`, 'm'));
  assert.match(f.stdout, /^  governor +(none \(no cpufreq|\w+ on \d)/m);
  assert.match(f.stdout, /^Real-time readiness of local:$/m);
});
