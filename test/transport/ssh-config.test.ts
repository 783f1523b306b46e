/** ~/.ssh/config parsing: first value wins per keyword, patterns, ProxyJump, IdentityFile expansion. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostPatternsMatch, lookupSshConfig, parseProxyJump, parseSshConfig, SshConfigError } from '../../src/transport/ssh-config.js';

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

Match host rt1
    User ignored-match

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

  it('an unmatched host gets only the catch-all values; Match blocks are not applied', () => {
    assert.deepEqual(lookupSshConfig(blocks, 'elsewhere', env), { user: 'root', identityFiles: ['/home/me/.ssh/id_ed25519'] });
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
