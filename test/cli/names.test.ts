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
