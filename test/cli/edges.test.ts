/**
 * Command-line edges through the real CLI: misspelled and single-dash flags, --only lists,
 * compare's arguments, a closed output pipe, and where usage errors point.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const QUICK = 'scenarios/quickstart.yaml';

async function expectUsage(args: string[], ...patterns: RegExp[]) {
  const r = await runCli(args);
  assert.equal(r.code, 2, `exit 2 expected, got ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  for (const p of patterns) assert.match(r.stderr, p);
  return r;
}

test('a misspelled flag is named with the flag it probably meant', async () => {
  await expectUsage(['run', '--duraton', '3s', QUICK], /^unilat: Unknown argument: duraton \(did you mean --duration\?\)$/m);
  // An unknown flag swallows the next word, so yargs alone would only say "not enough arguments".
  await expectUsage(['plan', '--jsn', QUICK], /Unknown argument: jsn \(did you mean --json\?\)/);
  await expectUsage(['--verson'], /Unknown argument: verson \(did you mean --version\?\)/);
});

test('a misspelled command is named with the command it probably meant', async () => {
  await expectUsage(['valdiate', QUICK], /^unilat: Unknown command: valdiate \(did you mean validate\?\)$/m, /^see unilat --help$/m);
});

test('a long option with one dash says to use two', async () => {
  const r = await expectUsage(['run', '-duration', '3s', QUICK], /-duration: long options take two dashes: use --duration instead/);
  assert.doesNotMatch(r.stderr, /Unknown arguments: d, u/);
});

test('usage errors point to the command\'s own help', async () => {
  await expectUsage(['run'], /^see unilat run --help$/m);
  await expectUsage(['plan', '--jsn', QUICK], /^see unilat plan --help$/m);
  await expectUsage(['frobnicate'], /^see unilat --help$/m);
});

test('--only takes one value per flag, split on commas, and does not swallow the scenario', async () => {
  const one = await runCli(['plan', '--only', 'wakeup', QUICK, '--json']);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual((JSON.parse(one.stdout) as { benchmark: string }[]).map((s) => s.benchmark), ['wakeup']);
  const two = await runCli(['plan', '--only', 'wakeup,syscalls', QUICK, '--json']);
  assert.equal(two.code, 0, two.stderr);
  assert.deepEqual((JSON.parse(two.stdout) as { benchmark: string }[]).map((s) => s.benchmark), ['wakeup', 'syscalls']);
  const repeated = await runCli(['plan', '--only', 'wakeup', '--only', 'syscalls', QUICK, '--json']);
  assert.equal(repeated.stdout, two.stdout);
  await expectUsage(['plan', QUICK, '--only'], /Not enough arguments following: only/);
});

test('an unknown --only name gets a suggestion and the list of valid names', async () => {
  for (const cmd of ['run', 'plan'])
    await expectUsage([cmd, '--only', 'wakup', QUICK], /--only: scenarios\/quickstart\.yaml: no deployment or benchmark named "wakup" \(did you mean "wakeup"\?\) \(deployments: bare; benchmarks: wakeup, syscalls\)/);
});

test('compare: unknown --deployments names, folders that are not runs, a missing --out folder', async () => {
  const s = join(dir, 'two.yaml');
  writeFileSync(s, 'name: two\nhosts: [local]\ndeployments:\n  - {name: bare, kind: bare-metal}\n  - {name: again, kind: bare-metal}\nbenchmarks:\n  - {name: s, kind: syscall, batches: 5, ops: [func]}\n');
  const r = await runCli(['run', s, '--out', dir, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const run = r.stdout.trim().split('\n').pop()!;
  await expectUsage(['compare', run, '--deployments', 'bare,agian'], /--deployments: .* has no deployment named "agian" \(did you mean "again"\?\) \(it has: bare, again\)/);
  await expectUsage(['compare', dir, run], new RegExp(`${dir.replace(/[.]/g, '\\.')} is not a run folder \\(no run\\.json\\)`));
  const missing = join(dir, 'nowhere');
  const out = await expectUsage(['compare', run, '--deployments', 'bare,again', '--out', missing], new RegExp(`--out: ${missing.replace(/[.]/g, '\\.')} is not a folder`));
  assert.doesNotMatch(out.stderr, /\.tmp/);
  const ok = await runCli(['compare', run, '--deployments', 'bare,again', '--out', dir]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('a reader that closes the pipe early gets no EPIPE stack trace', async () => {
  for (const args of [['schema'], ['plan', 'scenarios/all-knobs.yaml'], ['--help']]) {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the CLI has started, so every write of it meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    assert.equal(stderr, '', `${args.join(' ')}: nothing on stderr`);
    assert.equal(code, 0, args.join(' '));
  }
});

test('--version and --help work', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['run', 'validate', 'plan', 'schema', 'compare']) assert.match(h.stdout, new RegExp(`unilat ${c}`));
});
