/** Names of built-in object properties are no hosts, groups or jump hosts: exit 2 with the file, line and field. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-names-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const scenario = (hosts: string) => `name: p\nhosts: [${hosts}]\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: s, kind: syscall}\n`;

test('hosts: [toString] and the like are unknown hosts', async () => {
  for (const n of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
    const f = join(dir, `s-${n}.yaml`);
    writeFileSync(f, scenario(n));
    const r = await runCli(['validate', f]);
    assert.equal(r.code, 2, `${n}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`s-${n}\\.yaml:2:9: hosts\\[0\\]: unknown host "${n}"`));
  }
});

test('a hosts file whose jump or group member is toString or valueOf is refused', async () => {
  const hosts = join(dir, 'h.yaml');
  writeFileSync(hosts, 'hosts:\n  a: {address: 127.0.0.2, jump: toString}\ngroups:\n  g: [valueOf]\n');
  const f = join(dir, 's.yaml');
  writeFileSync(f, scenario('a'));
  const r = await runCli(['validate', '--hosts', hosts, f]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /h\.yaml:2:33: hosts\.a\.jump: unknown jump host "toString"/);
  assert.match(r.stderr, /h\.yaml:4:7: groups\.g\[0\]: unknown host "valueOf"/);
});

test('limits: a scenario file over 1 MiB, more than 256 benchmarks, a plan over 100000 steps: exit 2 at once', async () => {
  const many = join(dir, 'many.yaml');
  writeFileSync(many, `name: m\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n${Array.from({ length: 300 }, (_, i) => `  - {name: b${i}, kind: syscall}\n`).join('')}`);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, `name: m\n# ${'x'.repeat(2 << 20)}\ndeployments:\n  - {name: bare, kind: bare-metal}\nbenchmarks:\n  - {name: s, kind: syscall}\n`);
  const list = (p: string, n: number, kind: string) => Array.from({ length: n }, (_, i) => `  - {name: ${p}${i}, kind: ${kind}}\n`).join('');
  const matrix = join(dir, 'matrix.yaml');
  writeFileSync(matrix, `name: m\nrepetitions: 1000\ndeployments:\n${list('d', 20, 'bare-metal')}benchmarks:\n${list('b', 20, 'syscall')}`);
  const cases: Array<[string[], RegExp]> = [
    [['validate', many], /many\.yaml:5:3: benchmarks: a list is too big \(maximum 256 items\)/],
    [['validate', big], /big\.yaml: 2\.0 MiB, more than a scenario or hosts file can be \(1 MiB\)/],
    [['validate', matrix], /matrix\.yaml: the plan has 400000 steps \(1 host\(s\) x 1000 repetition\(s\) x 20 deployment\(s\) x 20 benchmark\(s\)\), more than 100000/],
    [['plan', matrix], /the plan has 400000 steps/],
  ];
  for (const [args, why] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});

test('control characters in an unknown key or a value are shown escaped, never sent to the terminal', async () => {
  const f = join(dir, 'esc.yaml');
  writeFileSync(f, 'name: p\ndeployments:\n  - {name: bare, kind: bare-metal, "bad\x1b[31mkey\rx": 1}\nbenchmarks:\n  - {name: s, kind: "sys\x1b]0;pwned\x07"}\n');
  const r = await runCli(['validate', f]);
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control character reaches stderr');
  assert.match(r.stderr, /deployments\[0\]\.bad\\x1b\[31mkey\\x0dx: unknown field/);
  assert.match(r.stderr, /"sys\\u001b\]0;pwned\\u0007" is not allowed/);
});
