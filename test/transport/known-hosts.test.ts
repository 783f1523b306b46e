/** known_hosts parsing and matching, checked against OpenSSH's own ssh-keygen where it can answer. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  hostFieldMatches,
  knownHostName,
  knownHostsLine,
  keyTypeOf,
  parseKnownHosts,
} from '../../src/transport/known-hosts.js';
import { generateKeyPair, type KeyPair } from '../helpers/sshd.js';

const execFileP = promisify(execFile);
const blobOf = (k: KeyPair) => Buffer.from(k.publicKey.split(' ')[1], 'base64');

describe('known_hosts', () => {
  let dir: string;
  let a: KeyPair;
  let b: KeyPair;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'unilat-kh-'));
    [a, b] = await Promise.all([generateKeyPair(dir, 'a'), generateKeyPair(dir, 'b')]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise', () => {
    assert.equal(knownHostName('Example.COM', 22), 'example.com');
    assert.equal(knownHostName('10.0.0.1', 2222), '[10.0.0.1]:2222');
  });

  it('fingerprints and key types agree with ssh-keygen', async () => {
    const { stdout } = await execFileP('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${a.privatePath}.pub`]);
    assert.equal(fingerprintSha256(blobOf(a)), stdout.split(' ')[1]);
    assert.equal(keyTypeOf(blobOf(a)), 'ssh-ed25519');
  });

  it('matches plain patterns, wildcards and negations', () => {
    assert.ok(hostFieldMatches('foo,bar', 'bar', 22));
    assert.ok(!hostFieldMatches('foo,bar', 'baz', 22));
    assert.ok(hostFieldMatches('[10.0.0.1]:2222', '10.0.0.1', 2222));
    assert.ok(!hostFieldMatches('10.0.0.1', '10.0.0.1', 2222), 'a bare entry is for port 22 only');
    assert.ok(hostFieldMatches('*.lab', 'rt1.lab', 22));
    assert.ok(hostFieldMatches('rt?.lab', 'rt1.lab', 22));
    assert.ok(!hostFieldMatches('*.lab,!rt2.lab', 'rt2.lab', 22));
    assert.ok(hostFieldMatches('[*.lab]:*', 'rt1.lab', 2200));
  });

  it('matches entries hashed by ssh-keygen -H', async () => {
    const f = path.join(dir, 'hashed');
    await writeFile(f, `rt1.lab ${a.publicKey}\n[10.1.2.3]:2200 ${b.publicKey}\n`);
    await execFileP('ssh-keygen', ['-H', '-f', f]);
    const entries = parseKnownHosts(await readFile(f, 'utf8'));
    assert.ok(entries.every((e) => e.hosts.startsWith('|1|')));
    assert.equal(checkHostKey(entries, 'rt1.lab', 22, blobOf(a)).status, 'ok');
    assert.equal(checkHostKey(entries, '10.1.2.3', 2200, blobOf(b)).status, 'ok');
    assert.equal(checkHostKey(entries, '10.1.2.3', 22, blobOf(b)).status, 'unknown');
    assert.equal(checkHostKey(entries, 'rt1.lab', 22, blobOf(b)).status, 'changed');
  });

  it('reports changed keys with their line, revoked keys, and skips junk', () => {
    const text = [
      '# comment',
      '',
      'garbage',
      `@cert-authority *.lab ${a.publicKey}`,
      `other ${a.publicKey}`,
      `rt1.lab ${a.publicKey}`,
      `@revoked * ${b.publicKey}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.deepEqual(
      entries.map((e) => [e.line, e.marker]),
      [
        [4, 'cert-authority'],
        [5, null],
        [6, null],
        [7, 'revoked'],
      ],
    );
    const r = checkHostKey(entries, 'rt1.lab', 22, blobOf(b));
    assert.equal(r.status, 'revoked');
    const fresh = parseKnownHosts(`rt1.lab ${a.publicKey}\n`);
    const c = checkHostKey(fresh, 'rt1.lab', 22, Buffer.from(blobOf(b)));
    assert.ok(c.status === 'changed' && c.entry.line === 1);
  });

  it('appends new keys once, in a form ssh-keygen -F finds', async () => {
    const f = path.join(dir, 'sub', 'known_hosts');
    await appendKnownHost(f, '10.9.9.9', 2201, blobOf(a));
    await appendKnownHost(f, '10.9.9.9', 2201, blobOf(a));
    await writeFile(f, (await readFile(f, 'utf8')).trimEnd()); // no trailing newline
    await appendKnownHost(f, 'rt9.lab', 22, blobOf(b));
    const text = await readFile(f, 'utf8');
    assert.equal(text, `${knownHostsLine('10.9.9.9', 2201, blobOf(a))}\n${knownHostsLine('rt9.lab', 22, blobOf(b))}\n`);
    const { stdout } = await execFileP('ssh-keygen', ['-F', '[10.9.9.9]:2201', '-f', f]);
    assert.ok(stdout.includes(a.publicKey.split(' ')[1]));
  });
});
