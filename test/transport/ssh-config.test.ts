/** ~/.ssh/config parsing: first value wins per keyword, patterns, ProxyJump, IdentityFile expansion. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostPatternsMatch, lookupSshConfig, parseProxyJump, parseSshConfig, readSshConfig, SshConfigError } from '../../src/transport/ssh-config.js';

const CONFIG = `
# global defaults come last in a typical file, but lines before any Host apply to all
ServerAliveInterval 30

Host rt1 rt1.lab
    HostName 10.0.0.11
    User bench
    Port 2201
    IdentityFile ~/.ssh/rt1_ed25519

Host rt?.lab !rt9.lab
    User labuser
    ProxyJump admin@gateway.lab:2222
    IdentityFile "%d/keys/%r@%h"

Match originalhost rt1 host 10.0.0.11
    UserKnownHostsFile ~/.ssh/rt1_known_hosts

# ssh tests Match host against the HostName obtained so far (10.0.0.11 here), not the alias
Match host rt1
    ProxyJump never-applied

Match exec "true"
    ProxyJump never-run

Host *.lab
    Port=2222
    HostName %h.internal

Host *
    User root
    IdentityFile ~/.ssh/id_ed25519
`;

const env = { home: '/home/me', localUser: 'me' };

describe('ssh config', () => {
  const blocks = parseSshConfig(CONFIG);

  it('first obtained value wins per keyword; IdentityFile accumulates in order', () => {
    assert.deepEqual(lookupSshConfig(blocks, 'rt1', env), {
      hostName: '10.0.0.11',
      user: 'bench',
      port: 2201,
      userKnownHostsFile: '~/.ssh/rt1_known_hosts',
      identityFiles: ['/home/me/.ssh/rt1_ed25519', '/home/me/.ssh/id_ed25519'],
    });
  });

  it('wildcards, negation, %h in HostName, tokens in IdentityFile, ProxyJump', () => {
    assert.deepEqual(lookupSshConfig(blocks, 'rt2.lab', env), {
      hostName: 'rt2.lab.internal',
      user: 'labuser',
      port: 2222,
      proxyJump: [{ user: 'admin', host: 'gateway.lab', port: 2222 }],
      identityFiles: ['/home/me/keys/labuser@rt2.lab.internal', '/home/me/.ssh/id_ed25519'],
    });
    const rt9 = lookupSshConfig(blocks, 'rt9.lab', env);
    assert.equal(rt9.user, 'root', 'negated pattern excludes the block');
    assert.equal(rt9.proxyJump, undefined);
    assert.equal(rt9.port, 2222);
  });

  it('an unmatched host gets only the catch-all values; Match exec never runs', () => {
    assert.deepEqual(lookupSshConfig(blocks, 'elsewhere', env), { user: 'root', identityFiles: ['/home/me/.ssh/id_ed25519'] });
  });

  it('Match: host (with HostName), user, localuser, negation, all', () => {
    const b = parseSshConfig(
      [
        'Host box',
        '  HostName box.lab',
        'Match host *.lab user bench',
        '  Port 2000',
        'Match !localuser me',
        '  ProxyJump gw',
        'Match localuser me !originalhost box',
        '  ProxyJump other',
        'Match all',
        '  User fallback',
      ].join('\n'),
    );
    assert.deepEqual(lookupSshConfig(b, 'box', { ...env, user: 'bench' }), { hostName: 'box.lab', port: 2000, user: 'fallback', identityFiles: [] });
    assert.deepEqual(lookupSshConfig(b, 'box', env), { hostName: 'box.lab', user: 'fallback', identityFiles: [] }, 'user root is no bench');
    assert.deepEqual(lookupSshConfig(b, 'x', { ...env, localUser: 'you' }).proxyJump, [{ user: undefined, host: 'gw', port: undefined }]);
    assert.deepEqual(lookupSshConfig(b, 'x', env).proxyJump, [{ user: undefined, host: 'other', port: undefined }]);
  });

  it('Include: files in place, globs sorted, conditional inside a Host block, errors name the included file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unilat-sshcfg-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      writeFileSync(join(dir, 'conf.d', '20-b.conf'), 'Host b\n  Port 2202\n');
      writeFileSync(join(dir, 'conf.d', '10-a.conf'), 'Host a b\n  Port 2201\n  User from-a\n');
      writeFileSync(join(dir, 'only-rt'), 'User rt-user\nHost *\n  IdentityFile ~/.ssh/from-include\n');
      writeFileSync(join(dir, 'config'), 'Include conf.d/*.conf missing-file\nHost rt*\n  Include only-rt\n  Port 2299\nHost *\n  User default\n');
      const blocks = await readSshConfig(join(dir, 'config'));
      assert.deepEqual(lookupSshConfig(blocks, 'b', env), { port: 2201, user: 'from-a', identityFiles: ['/home/me/.ssh/from-include'] }, '10-a before 20-b');
      assert.deepEqual(lookupSshConfig(blocks, 'rt1', env), { port: 2299, user: 'rt-user', identityFiles: ['/home/me/.ssh/from-include'] });
      assert.equal(lookupSshConfig(blocks, 'x', env).user, 'default', 'the included lead lines keep the Host rt* condition');
      writeFileSync(join(dir, 'conf.d', '30-bad.conf'), 'Host c\n  Port abc\n  Match nonsense\n');
      await assert.rejects(readSshConfig(join(dir, 'config')), (e: Error) => e instanceof SshConfigError && e.message === `${join(dir, 'conf.d', '30-bad.conf')}:3: unknown Match criterion "nonsense" (allowed: all, host, originalhost, user, localuser, exec, canonical, final)`);
      writeFileSync(join(dir, 'conf.d', '30-bad.conf'), 'Host c\n  Port abc\n');
      const again = await readSshConfig(join(dir, 'config'));
      assert.throws(() => lookupSshConfig(again, 'c', env), new RegExp(`^SshConfigError: ${join(dir, 'conf.d', '30-bad.conf').replace(/[.]/g, '\\.')}:2: bad Port "abc"`));
      writeFileSync(join(dir, 'loop'), 'Include loop\n');
      await assert.rejects(readSshConfig(join(dir, 'loop')), /loop:1: Include nested more than 16 deep/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keywords are case-insensitive and accept "=", quotes keep spaces', () => {
    const b = parseSshConfig('HOST a\n  hostname = "my host"\n  PORT=22\n');
    assert.deepEqual(lookupSshConfig(b, 'a', env), { hostName: 'my host', port: 22, identityFiles: [] });
  });

  it('host patterns', () => {
    assert.ok(hostPatternsMatch(['*'], 'x'));
    assert.ok(hostPatternsMatch(['10.0.0.?'], '10.0.0.7'));
    assert.ok(!hostPatternsMatch(['10.0.0.?'], '10.0.0.17'));
    assert.ok(!hostPatternsMatch(['*', '!x'], 'x'));
    assert.ok(hostPatternsMatch(['A.LAB'], 'a.lab'));
  });

  it('ProxyJump forms', () => {
    assert.deepEqual(parseProxyJump('none'), undefined);
    assert.deepEqual(parseProxyJump('a,u@b:2200,[::1]:22,ssh://c'), [
      { user: undefined, host: 'a', port: undefined },
      { user: 'u', host: 'b', port: 2200 },
      { user: undefined, host: '::1', port: 22 },
      { user: undefined, host: 'c', port: undefined },
    ]);
  });

  it('reports bad lines and ports with file:line', () => {
    assert.throws(() => parseSshConfig('Host\n', 'cfg'), (e: Error) => e instanceof SshConfigError && /cfg:1/.test(e.message));
    assert.throws(() => lookupSshConfig(parseSshConfig('Host a\nPort abc\n'), 'a', env, 'cfg'), /cfg:2: bad Port/);
  });
});
