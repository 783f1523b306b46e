/**
 * `unilat selftest HOST` over SSH against a real OpenSSH server on 127.0.0.x (test/helpers/sshd.ts),
 * the host from a hosts file as for `unilat run`: the same self-test as on local.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startSshd, stopAllSshd, type SshdServer } from '../helpers/sshd.js';
import { assertSelftest, selftestFolder } from '../bench/lib/selftest.js';

const dir = mkdtempSync(join(tmpdir(), 'unilat-selftest-ssh-'));
let server: SshdServer;

before(async () => {
  server = await startSshd();
});
after(async () => {
  await stopAllSshd();
  rmSync(dir, { recursive: true, force: true });
});

test('selftest over SSH: the host from the hosts file, its figures measured there', async () => {
  const kh = join(dir, 'known_hosts');
  writeFileSync(kh, `${server.knownHostsLine}\n`);
  const hosts = join(dir, 'hosts.yaml');
  writeFileSync(hosts, `hosts:\n  box:\n    address: ${server.address}\n    port: ${server.port}\n    user: ${server.user}\n    identityFile: ${server.clientKeyPath}\n    knownHosts: ${kh}\n`);
  const r = await runCli(['selftest', 'box', '--hosts', hosts, '--repetitions', '1', '--duration', '1s', '--out', dir, '--quiet', '--wait-lock', '10m']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\| box \| fifo \| p50 \| /m);
  const { record, selftest } = selftestFolder(r.stdout);
  assertSelftest(selftest, 'box', 1);
  assert.deepEqual(Object.keys(record.facts), ['box']);
  // One repetition: only the histograms' bootstrap can put an interval on a figure.
  for (const f of selftest.figures.filter((x) => ['max', 'mean', 'cpu time', 'peak RSS'].includes(x.figure))) assert.equal(f.verdict, 'too noisy to tell with 1 repetition');
});
