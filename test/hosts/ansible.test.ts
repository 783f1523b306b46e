/** Ansible inventories as --hosts files: the three forms, variables, ranges, ssh args, and bad input. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { expandHostRange, parseHostPattern } from '../../src/hosts/ansible-ranges.js';
import { detectHostsFormat, loadHostsInventory } from '../../src/hosts/hosts-file.js';
import { resolveHosts } from '../../src/hosts/inventory.js';
import { shellWords } from '../../src/hosts/shell-words.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-ansible-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string, ext = 'ini'): string {
  const f = join(dir, `inv${n++}.${ext}`);
  writeFileSync(f, text);
  return f;
}
async function problems(text: string, ext = 'ini'): Promise<string[]> {
  const f = file(text, ext);
  try {
    await loadHostsInventory(f);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.problems.map((p) => p.replace(f, 'FILE'));
  }
  assert.fail('expected an InputError');
}

const INI = `# lab
bastion ansible_host=198.51.100.1 ansible_user=jump

[rt]
rt[01:03].lab ansible_user=bench
rt-x:2201 ansible_host=10.0.0.9  # inline comment

[rt:vars]
ansible_ssh_private_key_file=~/.ssh/lab
ansible_ssh_common_args='-o UserKnownHostsFile=/etc/lab/known_hosts -o StrictHostKeyChecking=accept-new -J bastion'

[boards]
b[a:b] ansible_port=2222 ansible_ssh_pass="{{ lookup('env', 'LAB_PASS') }}"

[lab:children]
rt
boards

[lab:vars]
ansible_user=lab
ansible_port=22
`;

describe('Ansible INI inventory', () => {
  it('hosts, ranges, group vars, children, precedence and ssh args', async () => {
    const inv = await loadHostsInventory(file(INI));
    assert.deepEqual(Object.keys(inv.hosts), ['bastion', 'rt01.lab', 'rt02.lab', 'rt03.lab', 'rt-x', 'ba', 'bb']);
    assert.deepEqual(inv.groups.rt, ['rt01.lab', 'rt02.lab', 'rt03.lab', 'rt-x']);
    assert.deepEqual(inv.groups.lab, ['rt01.lab', 'rt02.lab', 'rt03.lab', 'rt-x', 'ba', 'bb']);
    assert.deepEqual(inv.groups.ungrouped, ['bastion']);
    assert.equal(inv.groups.all.length, 7);
    // Host vars beat the child group (rt), which beats its parent (lab).
    assert.deepEqual(inv.hosts['rt01.lab'], {
      address: 'rt01.lab',
      port: 22,
      user: 'bench',
      identityFile: '~/.ssh/lab',
      agent: false,
      sshConfig: false,
      knownHosts: '/etc/lab/known_hosts',
      hostKeyChecking: { value: 'accept-new', at: `${inv.file}:10` },
      jump: 'bastion',
    });
    assert.equal(inv.hosts['rt-x'].address, '10.0.0.9');
    assert.equal(inv.hosts['rt-x'].port, 2201);
    assert.equal(inv.hosts['rt-x'].user, 'lab');
    assert.equal(inv.hosts.ba.port, 2222);
    assert.equal(inv.hosts.ba.passwordEnv, 'LAB_PASS');
    assert.equal(inv.hosts.bastion.user, 'jump');
    assert.equal(inv.hosts.bastion.address, '198.51.100.1');
    const two = await loadHostsInventory(file(`[g]\nh\n[g:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=/kh' '-o StrictHostKeyChecking=no'\n`));
    assert.equal(two.hosts.h.knownHosts, '/kh');
    assert.equal(two.hosts.h.hostKeyChecking?.value, 'no');
    const gw = await loadHostsInventory(file(`[g]\ngw\nrt1\n[g:vars]\nansible_ssh_common_args=-J gw\n`));
    assert.equal(gw.hosts.rt1.jump, 'gw');
    assert.equal(gw.hosts.gw.jump, undefined, 'the jump host of its own group is reached directly');
    assert.equal(gw.hosts.gw.proxyJump, undefined);
    // Groups resolve as scenario host names, as today's groups do.
    assert.deepEqual(
      resolveHosts(['boards', 'bastion'], inv, () => 'scenario').map((h) => h.name),
      ['ba', 'bb', 'bastion'],
    );
  });

  it('a ProxyJump that is no host of the inventory stays a hop list', async () => {
    const inv = await loadHostsInventory(file(`a ansible_ssh_extra_args="-o ProxyJump=u@gw.lab:2200,gw2"\n`));
    assert.deepEqual(inv.hosts.a.proxyJump, [
      { user: 'u', host: 'gw.lab', port: 2200 },
      { user: undefined, host: 'gw2', port: undefined },
    ]);
    assert.equal(inv.hosts.a.jump, undefined);
  });

  it('hosts with a non-SSH connection are left out', async () => {
    const inv = await loadHostsInventory(file(`localhost ansible_connection=local\nrt1\n[g]\nrt1\nlocalhost\n`));
    assert.deepEqual(Object.keys(inv.hosts), ['rt1']);
    assert.deepEqual(inv.groups.g, ['rt1']);
    const f = inv.file!;
    // Named in a scenario: told why, not "unknown host"; a group measures the rest and says so.
    assert.throws(
      () => resolveHosts(['localhost'], inv, () => 'S:3'),
      (e: unknown) => e instanceof InputError && e.problems[0] === `S:3: hosts[0]: "localhost" has ansible_connection=local (${f}:1): unilat connects over SSH only; for this machine, name the built-in host "local"`,
    );
    const warnings: string[] = [];
    assert.deepEqual(resolveHosts(['g'], inv, () => 'S:3', (w) => warnings.push(w)).map((h) => h.name), ['rt1']);
    assert.deepEqual(warnings, [`S:3: hosts[0]: group "g" leaves out "localhost" (ansible_connection=local, ${f}:1): unilat connects over SSH only`]);
    const only = await loadHostsInventory(file(`[w]\nwin1 ansible_connection=winrm\n`));
    assert.throws(
      () => resolveHosts(['w'], only, () => 'S:3'),
      (e: unknown) => e instanceof InputError && /group "w" has no host unilat can reach: "win1" \(ansible_connection=winrm, .*:2\)/.test(e.problems[0]),
    );
  });

  it('bad inventories: FILE:LINE: what is wrong, all at once', async () => {
    assert.deepEqual(
      await problems(`[g]\nrt[05:01]\nrt[a:3]\n[g:hostvars]\n[g:vars]\nnovalue\n[h:children]\nbad name\n[k]\nx ansible_port=99999\ny ansible_ssh_pass=hunter2\nz ansible_ssh_common_args='-o ProxyCommand="nc %h %p"'\nw notkv\n`),
      [
        'FILE:2: "rt[05:01]": bad range [05:01] (start is after end; write [01:16] or [a:c])',
        'FILE:3: "rt[a:3]": bad range [a:3] (both ends must be numbers or both single letters; write [01:16] or [a:c])',
        'FILE:4: unknown section type "[g:hostvars]" (allowed: [g], [g:vars], [g:children])',
        'FILE:6: expected key=value in [g:vars]',
        'FILE:8: expected one group name per line in [h:children], found "bad name"',
        'FILE:13: host w: expected key=value after the host name, found a word without "=" or with a bad name',
        'FILE:10: x: ansible_port: "99999" is not a port (1-65535)',
        `FILE:11: y: ansible_ssh_pass: a literal password is refused (unilat never stores passwords); write "{{ lookup('env', 'NAME') }}" and set NAME in the environment`,
        'FILE:12: z: ansible_ssh_common_args: -o ProxyCommand is not supported here; use -o ProxyJump=... or -J',
      ],
    );
  });

  it('a literal password never appears in a message', async () => {
    const p = await problems(`[g]\nh1 ansible_password=s3cr3t-Pa55\n[k]\nh2\n[k:vars]\nansible_ssh_pass = 'an0ther-s3cr3t'\n`);
    assert.equal(p.length, 2);
    assert.ok(p.every((m) => !m.includes('s3cr3t')), p.join('\n'));
  });

  it('loops through children and host/group name clashes are refused', async () => {
    const p = await problems(`[a:children]\nb\n[b:children]\na\n[c]\nc\n`);
    assert.ok(p.some((m) => /group "a" contains itself through children/.test(m)), p.join('\n'));
    assert.ok(p.includes('FILE:5: group "c" has the name of a host'), p.join('\n'));
  });

  it('StrictHostKeyChecking values and ssh flags', async () => {
    const inv = await loadHostsInventory(file(`a ansible_ssh_common_args="-q -oStrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"\nb ansible_ssh_extra_args="-o 'StrictHostKeyChecking yes'"\n`));
    assert.equal(inv.hosts.a.hostKeyChecking?.value, 'no');
    assert.equal(inv.hosts.a.knownHosts, '/dev/null');
    assert.equal(inv.hosts.b.hostKeyChecking?.value, 'yes');
    assert.deepEqual(await problems(`a ansible_ssh_common_args="-o StrictHostKeyChecking=maybe -p 22"\nb ansible_ssh_common_args="-i key"\n`), [
      'FILE:1: a: ansible_ssh_common_args: StrictHostKeyChecking=maybe is not allowed (allowed: yes, accept-new, no)',
      'FILE:1: a: ansible_ssh_common_args: -p is not understood by unilat (of the ssh options, only -o UserKnownHostsFile, StrictHostKeyChecking, ProxyJump and -J are)',
      'FILE:2: b: ansible_ssh_common_args: -i is not understood by unilat (of the ssh options, only -o UserKnownHostsFile, StrictHostKeyChecking, ProxyJump and -J are)',
    ]);
  });
});

describe('Ansible YAML inventory', () => {
  const YAML = `all:
  vars:
    ansible_user: root
  children:
    lab:
      vars:
        ansible_ssh_common_args: -o UserKnownHostsFile=/lab/kh
      hosts:
        rt[1:2]:
          ansible_host: 10.0.0.1
        rt3:2202:
      children:
        boards:
          hosts:
            board-a: {ansible_user: pi, ansible_ssh_pass: "{{ lookup(\\"env\\", \\"PI_PASS\\") }}"}
`;
  it('nested children, vars and ranges', async () => {
    const inv = await loadHostsInventory(file(YAML, 'yaml'));
    assert.deepEqual(inv.groups.lab, ['rt1', 'rt2', 'rt3', 'board-a']);
    assert.deepEqual(inv.groups.boards, ['board-a']);
    assert.equal(inv.hosts.rt1.address, '10.0.0.1');
    assert.equal(inv.hosts.rt3.port, 2202);
    assert.equal(inv.hosts.rt3.user, 'root');
    assert.equal(inv.hosts['board-a'].user, 'pi');
    assert.equal(inv.hosts['board-a'].passwordEnv, 'PI_PASS');
    assert.equal(inv.hosts['board-a'].knownHosts, '/lab/kh');
  });

  it('bad YAML inventories name line and column', async () => {
    assert.deepEqual(await problems(`all:\n  children:\n    lab:\n      host:\n        rt1:\n      hosts:\n        rt[1:x]:\n        rt9: {ansible_port: abc}\n`, 'yaml'), [
      'FILE:4:7: all.children.lab.host: unknown key (allowed: hosts, vars, children)',
      'FILE:7:9: all.children.lab.hosts.rt[1:x]: "rt[1:x]": bad range [1:x] (both ends must be numbers or both single letters; write [01:16] or [a:c])',
      'FILE:8:29: rt9: ansible_port: "abc" is not a port (1-65535)',
    ]);
  });
});

describe('ansible-inventory --list JSON', () => {
  it('groups, children and _meta.hostvars', async () => {
    const json = {
      _meta: { hostvars: { rt1: { ansible_host: '127.0.0.5', ansible_port: 2200 }, rt2: { ansible_user: 'me' } } },
      all: { children: ['ungrouped', 'lab'] },
      lab: { children: ['rt'] },
      rt: { hosts: ['rt1', 'rt2'], vars: { ansible_user: 'bench' } },
    };
    const inv = await loadHostsInventory(file(JSON.stringify(json, null, 4), 'json'));
    assert.deepEqual(inv.groups.lab, ['rt1', 'rt2']);
    assert.deepEqual(inv.hosts.rt1, { address: '127.0.0.5', port: 2200, user: 'bench', agent: inv.hosts.rt1.agent, sshConfig: false });
    assert.equal(inv.hosts.rt2.user, 'me');
  });

  it('bad JSON inventories name the line', async () => {
    const text = '{\n  "_meta": {"hostvars": {"ghost": {}}},\n  "lab": {"hosts": "rt1"},\n  "x": {"children": ["lab"], "hostz": []}\n}\n';
    assert.deepEqual(await problems(text, 'json'), [
      'FILE:3:20: lab.hosts: expected a list of names, found a string',
      'FILE:4:30: x.hostz: unknown key (allowed: hosts, vars, children)',
      'FILE:2:26: _meta.hostvars.ghost: host "ghost" is in no group',
    ]);
  });
});

describe('format detection and helpers', () => {
  it('tells the forms apart by content', () => {
    assert.equal(detectHostsFormat('hosts:\n  a: {address: x}\n'), 'unilat');
    assert.equal(detectHostsFormat('# c\ngroups:\n  g: [a]\nhosts: {}\n'), 'unilat');
    assert.equal(detectHostsFormat('{"hosts": {"a": {"address": "x"}}}'), 'unilat');
    assert.equal(detectHostsFormat('all:\n  hosts:\n    a:\n'), 'ansible-yaml');
    assert.equal(detectHostsFormat('lab:\n  hosts:\n    a:\n'), 'ansible-yaml');
    assert.equal(detectHostsFormat('{"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}'), 'ansible-json');
    assert.equal(detectHostsFormat('; comment\n[lab]\na\n'), 'ansible-ini');
    assert.equal(detectHostsFormat('rt1:2222 ansible_host=fe80::1\n'), 'ansible-ini');
    assert.equal(detectHostsFormat(''), 'unilat');
  });

  it('ranges and host patterns', () => {
    assert.deepEqual(expandHostRange('rt[01:03].lab'), ['rt01.lab', 'rt02.lab', 'rt03.lab']);
    assert.deepEqual(expandHostRange('rt[a:c]'), ['rta', 'rtb', 'rtc']);
    assert.deepEqual(expandHostRange('n[1:5:2]-[a:b]'), ['n1-a', 'n1-b', 'n3-a', 'n3-b', 'n5-a', 'n5-b']);
    assert.deepEqual(expandHostRange('x[:2]'), ['x0', 'x1', 'x2']);
    assert.deepEqual(parseHostPattern('rt[1:2]:2200'), { names: ['rt1', 'rt2'], port: 2200 });
    assert.deepEqual(parseHostPattern('fe80::1'), { names: ['fe80::1'] });
    assert.throws(() => expandHostRange('rt[1:3'), /"\[" without "\]"/);
  });

  it('shell words', () => {
    assert.deepEqual(shellWords(`a 'b c' "d \\" e" f\\ g # no`, true), ['a', 'b c', 'd " e', 'f g']);
    assert.throws(() => shellWords(`a 'b`), /unclosed/);
  });
});
