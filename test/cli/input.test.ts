import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `name: ok
hosts: [local]
deployments:
  - name: bare
    kind: bare-metal
benchmarks:
  - name: wakeup
    kind: cyclic
`;

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Asserts exit 2, no stack trace, and that every expected pattern is on a FILE:LINE:COL line. */
async function expectBad(args: string[], ...patterns: RegExp[]) {
  const r = await runCli(args);
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
  for (const p of patterns) assert.match(r.stderr, p);
  return r;
}

test('a good scenario validates', async () => {
  const r = await runCli(['validate', file('good.yaml', GOOD)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /good\.yaml: ok \(1 deployments, 1 benchmarks, hosts: local\)/);
});

test('malformed YAML names file, line and column', async () => {
  const f = file('malformed.yaml', 'name: x\ndeployments: [\n  - a: b\n');
  await expectBad(['validate', f], new RegExp(`${f.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
});

test('unknown keys are named with what is allowed', async () => {
  const f = file('unknown.yaml', GOOD.replace('    kind: bare-metal\n', '    kind: bare-metal\n    colour: red\n'));
  await expectBad(['validate', f], /unknown\.yaml:6:5: deployments\[0\]\.colour: unknown field \(allowed: .*name.*kind/);
});

test('wrong types', async () => {
  const f = file('types.yaml', GOOD.replace('kind: cyclic\n', 'kind: cyclic\n    threads: "many"\n    mlockall: 3\n'));
  await expectBad(['validate', f], /types\.yaml:9:14: benchmarks\[0\]\.threads: expected number, found "many"/, /types\.yaml:10:15: benchmarks\[0\]\.mlockall: expected boolean, found 3/);
});

test('out-of-range numbers: priority, threads, interval', async () => {
  const f = file('range.yaml', GOOD.replace('kind: cyclic\n', 'kind: cyclic\n    priority: 120\n    threads: 0\n    interval: 0us\n'));
  await expectBad(
    ['validate', f],
    /range\.yaml:9:15: benchmarks\[0\]\.priority: 120 is too big \(maximum 99\)/,
    /range\.yaml:10:14: benchmarks\[0\]\.threads: 0 is too small \(minimum 1\)/,
    /range\.yaml:11:15: benchmarks\[0\]\.interval: "0us" is not a positive time/,
  );
});

test('unknown kinds and enum values list what is allowed', async () => {
  const f = file('kind.yaml', GOOD.replace('kind: bare-metal', 'kind: container').replace('kind: cyclic\n', 'kind: cyclic\n    policy: fast\n'));
  await expectBad(['validate', f], /kind\.yaml:5:11: deployments\[0\]\.kind: "container" is not allowed \(allowed: "bare-metal", "vm", "unikernel"\)/);
});

test('unknown host names', async () => {
  const f = file('host.yaml', GOOD.replace('hosts: [local]', 'hosts: [local, lab-board]'));
  await expectBad(['validate', f], /host\.yaml:2:16: hosts\[1\]: unknown host "lab-board"/);
});

test('duplicate names', async () => {
  const f = file('dup.yaml', GOOD + '  - name: wakeup\n    kind: syscall\n');
  await expectBad(['validate', f], /dup\.yaml:9:11: benchmarks\[1\]\.name: duplicate name "wakeup"/);
});

test('duplicate keys', async () => {
  const f = file('dupkey.yaml', GOOD + 'name: again\n');
  await expectBad(['validate', f], /dupkey\.yaml:9:1: .*(unique|duplicate)/i);
});

test('empty files', async () => {
  await expectBad(['validate', file('empty.yaml', '')], /empty\.yaml:1:1: file is empty/);
  await expectBad(['validate', file('comments.yaml', '# nothing\n\n')], /comments\.yaml:1:1: file is empty/);
});

test('a missing file', async () => {
  await expectBad(['validate', join(dir, 'nope.yaml')], /nope\.yaml: cannot read \(no such file\)/);
});

test('YAML alias bombs are refused', async () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const f = file('bomb.yaml', `${levels.join('\n')}\nname: bomb\n`);
  await expectBad(['validate', f], /bomb\.yaml:\d+:\d+: too many YAML alias expansions/);
});

test('bad hosts file entries', async () => {
  const h = file('hosts.yaml', 'hosts:\n  board:\n    address: 10.0.0.2\n    port: 70000\n    colour: blue\ngroups:\n  lab: [board, ghost]\n');
  await expectBad(
    ['validate', file('good2.yaml', GOOD), '--hosts', h],
    /hosts\.yaml:4:11: hosts\.board\.port: 70000 is too big \(maximum 65535\)/,
    /hosts\.yaml:5:5: hosts\.board\.colour: unknown field/,
  );
  const h2 = file('hosts2.yaml', 'hosts:\n  board:\n    address: 10.0.0.2\ngroups:\n  lab: [board, ghost]\n');
  await expectBad(['validate', file('good3.yaml', GOOD), '--hosts', h2], /hosts2\.yaml:5:16: groups\.lab\[1\]: unknown host "ghost"/);
});

test('bad CLI flags are usage errors (exit 2)', async () => {
  await expectBad(['run', file('good4.yaml', GOOD), '--duration', 'soon'], /--duration: "soon" is not a positive duration/);
  await expectBad(['run', file('good5.yaml', GOOD), '--only', 'nothing'], /--only: .* no deployment or benchmark named "nothing"/);
  await expectBad(['frobnicate'], /Unknown argument: frobnicate/);
  await expectBad(['run'], /Not enough non-option arguments/);
});

test('gates with bad syntax', async () => {
  const f = file('gates.yaml', GOOD + 'gates:\n  - "p99 < 50xs"\n  - "p42 < 5us"\n  - "latency is fine"\n');
  await expectBad(['validate', f], /gates\.yaml:10:5: gates\[0\]: "50xs" is not a positive time/, /gates\[1\]: unknown metric "p42"/, /gates\[2\]: cannot read gate/);
});

test('every shipped scenario validates', async () => {
  const scenarios = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f));
  assert.ok(scenarios.includes(join('scenarios', 'syscall-tax.yaml')));
  const r = await runCli(['validate', ...scenarios]);
  assert.equal(r.code, 0, r.stderr);
  for (const s of scenarios) assert.match(r.stdout, new RegExp(`^${s.replace(/[.]/g, '\\.')}: ok`, 'm'));
});
