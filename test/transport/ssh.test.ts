/**
 * The SSH transport against real OpenSSH servers on 127.0.0.2-4 (test/helpers/sshd.ts):
 * the shared contract suite, then host keys, errors, several hosts at once, a dropped
 * connection and a jump host.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SshTransport, type SshTarget } from '../../src/transport/ssh.js';
import { TransportError } from '../../src/transport/transport.js';
import { generateKeyPair, startSshdFleet, stopAllSshd, targetFor, type SshdServer } from '../helpers/sshd.js';
import { alive, transportSuite, waitFor } from './suite.js';

const execFileP = promisify(execFile);

let fleet: SshdServer[] = [];
let scratch: string;
const fleetReady = startSshdFleet(3).then((f) => (fleet = f));

before(async () => {
  await fleetReady;
  scratch = await mkdtemp(path.join(tmpdir(), 'unilat-ssh-test-'));
});
after(async () => {
  await stopAllSshd();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

transportSuite('ssh', async () => {
  await fleetReady;
  return SshTransport.connect(await targetFor(fleet[0]));
});

/** The fingerprint as OpenSSH computes it (independent of our code). */
async function sshKeygenFingerprint(pubKey: string): Promise<string> {
  const f = path.join(scratch, `fp-${randomBytes(4).toString('hex')}.pub`);
  await writeFile(f, pubKey + '\n');
  const { stdout } = await execFileP('ssh-keygen', ['-l', '-E', 'sha256', '-f', f]);
  return stdout.split(' ')[1];
}

function isTransportError(host: string, re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof TransportError, `expected TransportError, got ${String(e)}`);
    assert.equal(e.host, host);
    assert.ok(e.message.includes(host), `message names the host: ${e.message}`);
    assert.match(e.message, re);
    return true;
  };
}

describe('ssh: host keys', () => {
  it('refuses a changed host key, naming the file, the line and the offered fingerprint', async () => {
    const s = fleet[0];
    const other = await generateKeyPair(scratch, `other-${randomBytes(4).toString('hex')}`);
    const kh = path.join(scratch, 'kh-changed');
    await writeFile(kh, `# comment\n[${s.address}]:${s.port} ${other.publicKey}\n`);
    const fp = await sshKeygenFingerprint(s.hostKey);
    const target = await targetFor(s, { knownHosts: kh, name: 'changed-host' });
    await assert.rejects(
      SshTransport.connect(target),
      isTransportError('changed-host', /host key verification failed/),
    );
    // Even acceptNewHostKeys never overrides a changed key.
    await assert.rejects(SshTransport.connect({ ...target, acceptNewHostKeys: true }), (e: Error) => {
      assert.ok(e.message.includes(`${kh}:2`), e.message);
      assert.ok(e.message.includes(fp), `offered fingerprint ${fp} in: ${e.message}`);
      assert.match(e.message, /differs/);
      return true;
    });
    assert.equal(await readFile(kh, 'utf8'), `# comment\n[${s.address}]:${s.port} ${other.publicKey}\n`, 'file untouched');
  });

  it('refuses an unknown key without acceptNewHostKeys, and records it with', async () => {
    const s = fleet[1];
    const kh = path.join(scratch, 'sub', 'kh-new');
    const target = await targetFor(s, { knownHosts: kh, name: 'new-host' });
    const fp = await sshKeygenFingerprint(s.hostKey);
    await assert.rejects(SshTransport.connect(target), (e: Error) => {
      isTransportError('new-host', /not in/)(e);
      assert.ok(e.message.includes(kh) && e.message.includes(fp), e.message);
      return true;
    });
    assert.equal(existsSync(kh), false);

    const t = await SshTransport.connect({ ...target, acceptNewHostKeys: true });
    assert.equal((await t.run(['echo', 'ok'])).stdout, 'ok\n');
    await t.close();
    // OpenSSH itself finds the recorded key.
    const { stdout } = await execFileP('ssh-keygen', ['-F', `[${s.address}]:${s.port}`, '-f', kh]);
    assert.ok(stdout.includes(s.hostKey.split(' ')[1]), stdout);
    // Now known: a strict connection works, and nothing is appended twice.
    const t2 = await SshTransport.connect(target);
    await t2.close();
    await SshTransport.connect({ ...target, acceptNewHostKeys: true }).then((x) => x.close());
    assert.equal((await readFile(kh, 'utf8')).trim().split('\n').length, 1);
  });

  it('accepts hashed known_hosts entries (hashed by ssh-keygen -H)', async () => {
    const s = fleet[2];
    const kh = path.join(scratch, 'kh-hashed');
    await writeFile(kh, `${s.knownHostsLine}\n`);
    await execFileP('ssh-keygen', ['-H', '-f', kh]);
    const text = await readFile(kh, 'utf8');
    assert.match(text, /^\|1\|/);
    const t = await SshTransport.connect(await targetFor(s, { knownHosts: kh }));
    assert.equal((await t.run(['true'])).exitCode, 0);
    await t.close();
  });

  it('treats a recorded key of another type as unknown, and matches among several entries', async () => {
    const s = fleet[0];
    const rsa = path.join(scratch, `rsa-${randomBytes(4).toString('hex')}`);
    await execFileP('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const rsaPub = (await readFile(`${rsa}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    const kh = path.join(scratch, 'kh-multi');
    await writeFile(kh, `[${s.address}]:${s.port} ${rsaPub}\n`);
    await assert.rejects(SshTransport.connect(await targetFor(s, { knownHosts: kh })), /not in .*recorded key types: ssh-rsa/);
    // Several entries: other hosts, a negated pattern, the RSA one, then ours in a pattern list.
    await writeFile(
      kh,
      [
        `otherhost ${s.hostKey}`,
        `[127.0.0.*]:*,![${s.address}]:${s.port} ${rsaPub}`,
        `[${s.address}]:${s.port} ${rsaPub}`,
        `somewhere,[${s.address.replace(/\d+$/, '*')}]:${s.port} ${s.hostKey}`,
      ].join('\n') + '\n',
    );
    const t = await SshTransport.connect(await targetFor(s, { knownHosts: kh }));
    await t.close();
  });
});

describe('ssh: connection errors', () => {
  it('connection refused names the host', async () => {
    // A port on 127.0.0.250 where nothing listens.
    const target = await targetFor(fleet[0], { name: 'refused-host', address: '127.0.0.250', port: fleet[0].port });
    await assert.rejects(SshTransport.connect(target), isTransportError('refused-host', /connection refused/));
  });

  it('a server that never answers the handshake times out with a clear message', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((c) => sockets.push(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.250', () => r()));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const target = await targetFor(fleet[0], { name: 'silent-host', address: '127.0.0.250', port, connectTimeoutMs: 300 });
      await assert.rejects(SshTransport.connect(target), isTransportError('silent-host', /timed out after 300 ms/));
    } finally {
      sockets.forEach((c) => c.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  it('authentication failure names the host and the methods tried', async () => {
    const wrong = await generateKeyPair(scratch, `wrong-${randomBytes(4).toString('hex')}`);
    const target = await targetFor(fleet[0], { name: 'auth-host', identityFile: wrong.privatePath });
    await assert.rejects(SshTransport.connect(target), isTransportError('auth-host', /authentication failed for user .*publickey/));
  });

  it('takes secrets only from the named environment variables and never shows them', async () => {
    const secret = `S3cret-${randomBytes(6).toString('hex')}`;
    const wrongSecret = `Wr0ng-${randomBytes(6).toString('hex')}`;
    const key = await generateKeyPair(scratch, `enc-${randomBytes(4).toString('hex')}`, secret);
    const target = await targetFor(fleet[0], { name: 'secret-host', identityFile: key.privatePath, passphraseEnv: 'UNILAT_TEST_PASSPHRASE' });
    delete process.env.UNILAT_TEST_PASSPHRASE;
    await assert.rejects(SshTransport.connect(target), isTransportError('secret-host', /UNILAT_TEST_PASSPHRASE.*not set/));
    process.env.UNILAT_TEST_PASSPHRASE = wrongSecret;
    await assert.rejects(SshTransport.connect(target), (e: Error) => {
      assert.ok(e instanceof TransportError, String(e));
      assert.ok(!e.message.includes(wrongSecret) && !String(e.stack).includes(wrongSecret), e.message);
      return true;
    });
    // Right passphrase, key not authorized on the server, and a password the server refuses.
    process.env.UNILAT_TEST_PASSPHRASE = secret;
    process.env.UNILAT_TEST_PASSWORD = wrongSecret;
    await assert.rejects(SshTransport.connect({ ...target, passwordEnv: 'UNILAT_TEST_PASSWORD' }), (e: Error) => {
      isTransportError('secret-host', /authentication failed/)(e);
      assert.ok(!e.message.includes(secret) && !e.message.includes(wrongSecret), e.message);
      return true;
    });
    delete process.env.UNILAT_TEST_PASSPHRASE;
    delete process.env.UNILAT_TEST_PASSWORD;
  });
});

describe('ssh: several hosts', () => {
  let ts: SshTransport[] = [];
  before(async () => {
    ts = await Promise.all(fleet.map(async (s, i) => SshTransport.connect(await targetFor(s, { name: `host${i}` }))));
  });
  after(async () => {
    await Promise.all(ts.map((t) => t.close()));
  });

  it('runs on three servers concurrently, each command on its own server', async () => {
    const rs = await Promise.all(
      ts.flatMap((t) => Array.from({ length: 4 }, () => t.run(['sh', '-c', 'echo "$SSH_CONNECTION"']))),
    );
    rs.forEach((r, i) => assert.equal(r.stdout.trim().split(' ')[2], fleet[Math.floor(i / 4)].address));
  });

  it('a connection dropped mid-command rejects that host only; the others complete', async () => {
    const flag = path.join(scratch, `flag-${randomBytes(4).toString('hex')}`);
    const started = ts.map(() => {
      let ok!: () => void;
      return { p: new Promise<void>((r) => (ok = r)), ok: () => ok() };
    });
    const outs = ts.map(() => '');
    const runs = ts.map((t, i) =>
      t
        .run({ script: 'echo started; while [ ! -e "$1" ]; do sleep 0.02; done; echo finished', args: [flag] }, {
          onStdout: (c) => {
            outs[i] += c.toString();
            if (outs[i].includes('started')) started[i].ok();
          },
        })
        .then(
          (r) => ({ ok: true as const, r }),
          (e: Error) => ({ ok: false as const, e }),
        ),
    );
    await Promise.all(started.map((s) => s.p));
    const killed = fleet[1].dropConnections();
    assert.ok(killed.length > 0);
    const dropped = await runs[1];
    assert.equal(dropped.ok, false);
    if (!dropped.ok) isTransportError('host1', /connection lost|closed/)(dropped.e);
    // Later calls on the dropped host fail the same way, at once.
    await assert.rejects(ts[1].run(['true']), isTransportError('host1', /connection/));
    await assert.rejects(ts[1].read('/etc/hostname'), isTransportError('host1', /connection/));
    await writeFile(flag, '');
    for (const i of [0, 2]) {
      const r = await runs[i];
      assert.ok(r.ok, `host${i} completed`);
      if (r.ok) assert.equal(r.r.exitCode, 0);
      assert.equal(outs[i], 'started\nfinished\n');
    }
  });
});

describe('ssh: jump host', () => {
  let jumped: SshTransport;
  let target: SshTarget;
  before(async () => {
    const jump = await targetFor(fleet[0], { name: 'jump' });
    target = await targetFor(fleet[1], { name: 'behind-jump', jump });
    jumped = await SshTransport.connect(target);
  });
  after(async () => {
    await jumped?.close();
  });

  it('reaches 127.0.0.3 through 127.0.0.2', async () => {
    const r = await jumped.run(['sh', '-c', 'echo "$SSH_CONNECTION"']);
    assert.equal(r.stdout.trim().split(' ')[2], fleet[1].address);
    // The jump server holds a connection (the tunnel) while we talk to 127.0.0.3.
    assert.ok(fleet[0].descendants().length > 0, 'the jump sshd has a connection');
    const f = path.join(scratch, `via-jump-${randomBytes(4).toString('hex')}`);
    await jumped.writeFile(f, 'through the jump');
    assert.equal((await jumped.read(f)).toString(), 'through the jump');
  });

  it('abort through the jump host kills the remote command', async () => {
    const ac = new AbortController();
    let pids: number[] = [];
    let text = '';
    const run = jumped.run({ script: 'sleep 300 & echo "$! $$"; wait' }, {
      signal: ac.signal,
      onStdout: (c) => {
        text += c.toString();
        const m = /^(\d+) (\d+)\n/.exec(text);
        if (m && pids.length === 0) {
          pids = [Number(m[1]), Number(m[2])];
          ac.abort();
        }
      },
    });
    await assert.rejects(run, { name: 'AbortError' });
    for (const pid of pids) await waitFor(() => !alive(pid), `process ${pid} to die`);
  });

  it('an unreachable target behind the jump is reported as such', async () => {
    const t2 = { ...target, name: 'nothing-there', address: '127.0.0.250' };
    await assert.rejects(SshTransport.connect(t2), isTransportError('nothing-there', /jump host jump could not connect to 127\.0\.0\.250/));
  });

  it('losing the jump host rejects the command behind it', async () => {
    const t = await SshTransport.connect(target);
    let started!: () => void;
    const s = new Promise<void>((r) => (started = r));
    let pid = 0;
    const run = t.run({ script: 'echo "$$"; exec sleep 300' }, {
      onStdout: (c) => {
        pid = Number(c.toString().trim());
        started();
      },
    });
    await s;
    fleet[0].dropConnections();
    await assert.rejects(run, isTransportError('behind-jump', /connection/));
    // Like ssh(1) without a pty, a lost connection does not stop the remote command: clean up.
    process.kill(pid, 'SIGKILL');
    await t.close();
    // The jump server kept listening; the first transport is gone too, so reconnect for later tests.
    await jumped.close();
    jumped = await SshTransport.connect(target);
    assert.equal((await jumped.run(['echo', 'back'])).stdout, 'back\n');
  });
});

describe('ssh: close', () => {
  it('close() kills commands still running', async () => {
    const t = await SshTransport.connect(await targetFor(fleet[2]));
    let got!: (p: number[]) => void;
    const pidsP = new Promise<number[]>((r) => (got = r));
    let text = '';
    const run = t
      .run({ script: 'sleep 300 & echo "$! $$"; wait' }, {
        onStdout: (c) => {
          text += c.toString();
          const m = /^(\d+) (\d+)\n/.exec(text);
          if (m) got([Number(m[1]), Number(m[2])]);
        },
      })
      .catch((e: Error) => e);
    const pids = await pidsP;
    await t.close();
    assert.ok((await run) instanceof TransportError);
    for (const pid of pids) await waitFor(() => !alive(pid), `process ${pid} to die`);
    await assert.rejects(t.run(['true']), TransportError);
  });
});
