/**
 * Ansible inventories end to end, against real OpenSSH servers on 127.0.0.x: a scenario naming
 * an inventory group measures every host of it, from INI, YAML and `ansible-inventory --list`
 * JSON; StrictHostKeyChecking from ansible_ssh_common_args is honoured by the host-key check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadHostsInventory } from '../../src/hosts/hosts-file.js';
import { resolveHosts } from '../../src/hosts/inventory.js';
import { isLatencyResult, type RunRecord } from '../../src/results/types.js';
import { connectHost } from '../../src/run/connect.js';
import { runCli } from '../helpers/cli.js';
import { startSshdFleet, stopAllSshd, type SshdServer } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-ansible-run-'));
let servers: SshdServer[] = [];
let knownHosts = '';

before(async () => {
  servers = await startSshdFleet(2, 20);
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
});
after(async () => {
  await stopAllSshd();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const vars = (s: SshdServer) => ({ ansible_host: s.address, ansible_port: s.port, ansible_user: s.user, ansible_ssh_private_key_file: s.clientKeyPath });
const commonArgs = () => `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`;

const forms: Record<string, () => string> = {
  ini: () =>
    write(
      'lab.ini',
      [
        '[rt]',
        ...servers.map((s, i) => `rt${i + 1} ${Object.entries(vars(s)).map(([k, v]) => `${k}=${v}`).join(' ')}`),
        '[rt:vars]',
        `ansible_ssh_common_args=${commonArgs()}`,
        '[lab:children]',
        'rt',
      ].join('\n') + '\n',
    ),
  yaml: () =>
    write(
      'lab.yaml',
      [
        'all:',
        '  children:',
        '    lab:',
        '      vars:',
        `        ansible_ssh_common_args: ${commonArgs()}`,
        '      children:',
        '        rt:',
        '          hosts:',
        ...servers.flatMap((s, i) => [`            rt${i + 1}:`, ...Object.entries(vars(s)).map(([k, v]) => `              ${k}: ${v}`)]),
      ].join('\n') + '\n',
    ),
  json: () =>
    write(
      'lab.json',
      JSON.stringify(
        {
          _meta: { hostvars: Object.fromEntries(servers.map((s, i) => [`rt${i + 1}`, { ...vars(s), ansible_ssh_common_args: commonArgs() }])) },
          all: { children: ['ungrouped', 'lab'] },
          lab: { children: ['rt'] },
          rt: { hosts: servers.map((_, i) => `rt${i + 1}`) },
        },
        null,
        4,
      ),
    ),
};

describe('Ansible inventory runs', () => {
  for (const [form, make] of Object.entries(forms)) {
    test(`${form}: a scenario naming the group measures every host of it`, async () => {
      const scenario = write(`${form}-scenario.yaml`, `name: ansible-${form}\nhosts: [lab]\ndeployments: [{name: bare, kind: bare-metal}]\nbenchmarks:\n  - {name: wakeup, kind: cyclic, threads: 1, interval: 1ms, duration: 1s}\n`);
      const r = await runCli(['run', scenario, '--hosts', make(), '--out', dir, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      const rec = JSON.parse(readFileSync(join(r.stdout.trim().split('\n').pop()!, 'run.json'), 'utf8')) as RunRecord;
      assert.deepEqual(Object.keys(rec.facts).sort(), ['rt1', 'rt2']);
      for (const host of ['rt1', 'rt2']) {
        const lat = rec.results.find((x) => x.host === host);
        assert.ok(lat && isLatencyResult(lat) && lat.status === 'completed' && lat.latency.count > 500, `${host} measured`);
      }
    });
  }

  test('StrictHostKeyChecking: yes refuses an unknown key even when new keys are accepted, accept-new records it, no takes a changed key and warns', async () => {
    const s = servers[0];
    const inventory = (name: string, checking: string, kh: string) =>
      write(`${name}.ini`, `h ansible_host=${s.address} ansible_port=${s.port} ansible_user=${s.user} ansible_ssh_private_key_file=${s.clientKeyPath} ansible_ssh_common_args="-o StrictHostKeyChecking=${checking} -o UserKnownHostsFile=${kh}"\n`);
    const connect = async (file: string, warnings: string[]) => {
      const [h] = resolveHosts(['h'], await loadHostsInventory(file), () => 'test');
      const t = await connectHost(h, { acceptNewHostKeys: true, warn: (m) => warnings.push(m) });
      const r = await t.run(['echo', 'hi']);
      await t.close();
      return r.stdout.trim();
    };
    const warnings: string[] = [];

    await assert.rejects(connect(inventory('yes', 'yes', join(dir, 'kh-yes')), warnings), /host key verification failed: .* is not in .*kh-yes/);

    const khNew = join(dir, 'kh-new');
    assert.equal(await connect(inventory('new', 'accept-new', khNew), warnings), 'hi');
    assert.match(readFileSync(khNew, 'utf8'), new RegExp(`^\\[${s.address.replace(/\./g, '\\.')}\\]:${s.port} ssh-ed25519 `));

    // The other server's key recorded for this address: what a changed key looks like.
    const khChanged = write('kh-changed', `[${s.address}]:${s.port} ${servers[1].hostKey}\n`);
    const noFile = inventory('no', 'no', khChanged);
    assert.equal(await connect(noFile, warnings), 'hi');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`^warning: h: StrictHostKeyChecking=no \\(${noFile.replace(/[.]/g, '\\.')}:1\\): its host key is not verified`));
    assert.equal(await connect(noFile, warnings), 'hi');
    assert.equal(warnings.length, 1, 'warned once per host');
  });

  test('StrictHostKeyChecking from ~/.ssh/config: yes refuses an unknown key, accept-new records it; the inventory wins over it; a bad value names its line', async () => {
    const s = servers[1];
    const config = (name: string, checking: string, kh: string) =>
      write(`${name}.ssh_config`, `Host cfg-box\n  HostName ${s.address}\n  Port ${s.port}\n  User ${s.user}\n  IdentityFile ${s.clientKeyPath}\n  UserKnownHostsFile ${kh}\n  StrictHostKeyChecking ${checking}\n`);
    const connect = async (cfg: string, inventoryArgs?: string) => {
      const inv = inventoryArgs ? await loadHostsInventory(write('cfg-inv.ini', `cfg-box ansible_ssh_common_args="${inventoryArgs}"\n`)) : { file: null, hosts: {}, groups: {} };
      const entry = inv.hosts['cfg-box'] ?? { address: 'cfg-box', agent: false };
      const t = await connectHost({ name: 'cfg-box', kind: 'ssh', entry: { ...entry, sshConfig: true } }, { acceptNewHostKeys: true, sshConfigFile: cfg, warn: () => {} });
      const r = await t.run(['echo', 'hi']);
      await t.close();
      return r.stdout.trim();
    };
    await assert.rejects(connect(config('cfg-yes', 'yes', join(dir, 'cfg-kh-yes'))), /host key verification failed: .* is not in .*cfg-kh-yes/);
    const khNew = join(dir, 'cfg-kh-new');
    assert.equal(await connect(config('cfg-new', 'accept-new', khNew)), 'hi');
    assert.match(readFileSync(khNew, 'utf8'), new RegExp(`^\\[${s.address.replace(/\./g, '\\.')}\\]:${s.port} ssh-ed25519 `));
    // The inventory's accept-new over the config's yes.
    assert.equal(await connect(config('cfg-yes2', 'yes', join(dir, 'cfg-kh-2')), '-o StrictHostKeyChecking=accept-new'), 'hi');
    const bad = config('cfg-bad', 'sometimes', join(dir, 'cfg-kh-bad'));
    await assert.rejects(connect(bad), (e: Error) => e.message.includes(`${bad}:7: bad StrictHostKeyChecking "sometimes" (allowed: yes, accept-new, no, ask, off)`));
  });
});
