/**
 * A guest booted on a "remote" host: a real sshd on 127.0.0.x and the SSH transport, so the
 * kernel and image are uploaded, QMP runs on the target and the results port is tailed over SSH.
 * The SSH pieces are loaded at run time, so this file builds even where they are not there yet
 * (the test is skipped then).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, describe, it } from 'node:test';
import { createGuestRunner } from '../../src/deploy/guest/runner.js';
import type { VcpuMapping } from '../../src/deploy/guest/qemu.js';
import { assembleCyclic, parseStream, singleRun } from '../../src/probe/protocol.js';
import { summarizeLatency } from '../../src/stats/summary.js';
import type { Transport } from '../../src/transport/transport.js';
import { assertNoQemu, guestContext, guestDeployment } from '../helpers/qemu.js';

process.env.UNILAT_FORCE_TCG = '1';

const here = path.dirname(fileURLToPath(import.meta.url));
const sshdHelper = path.join(here, '../helpers/sshd.js');
const sshTransport = path.join(here, '../../src/transport/ssh.js');
const available = existsSync(sshdHelper) && existsSync(sshTransport);

const runDir = mkdtempSync(path.join(tmpdir(), 'unilat-guest-ssh-'));
let stopAll: (() => Promise<void>) | null = null;
let transport: Transport | null = null;

afterEach(assertNoQemu);
after(async () => {
  await transport?.close();
  await stopAll?.();
  rmSync(runDir, { recursive: true, force: true });
});

describe('guest on a host reached over SSH', { skip: available ? false : 'SSH transport or sshd helper not present', timeout: 300_000 }, () => {
  it('boots the unikernel over SSH and cleans up the target', async () => {
    const sshd = await import(sshdHelper);
    const ssh = await import(sshTransport);
    stopAll = sshd.stopAllSshd;
    const server = await sshd.startSshd({ address: '127.0.0.9' });
    transport = (await ssh.connectSsh(await sshd.targetFor(server))) as Transport;
    const before = readdirSync('/tmp').filter((d) => d.startsWith('unilat-guest.'));
    const ctx = guestContext({ runDir, stepLabel: 'ssh-cyclic', transport });
    const inv = { mode: 'cyclic' as const, args: ['--duration-ms', '1000', '--progress-ms', '0'], expectedMs: 1000 };
    const info = await createGuestRunner(guestDeployment({ kind: 'unikernel', pin: [1] })).runProbes([inv], ctx);
    const { messages, noise } = parseStream(ctx.text());
    const run = singleRun(messages, noise);
    assert.equal(run.hello.realtime, 1);
    assert.ok(summarizeLatency(assembleCyclic(run, noise).latency).count > 500);
    assert.ok((info.context.bootMs as number) > 0);
    assert.equal((info.context.vcpus as VcpuMapping[])[0].hostCpu, 1);
    assert.deepEqual(readdirSync('/tmp').filter((d) => d.startsWith('unilat-guest.')), before, 'the target temp dir is removed');
    console.log(`# over SSH: bootMs ${info.context.bootMs}, guest uptime at probe ${info.context.guestUptimeAtProbeS} s`);
  });
});
