/**
 * The cpio writer checked against GNU cpio (an independent reader), the guest profiles' layout,
 * and the pure QEMU argument and command line builders.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { buildGuestImage, writeCpio, writeInitramfs, type InitramfsEntry } from '../../src/deploy/guest/initramfs.js';
import { ConsoleClock, kernelCmdline, kernelInitMs, qemuArgs } from '../../src/deploy/guest/qemu.js';
import { cpuModel, kvmCheckArgs, kvmCheckBios } from '../../src/deploy/guest/accel.js';
import { describeExit, stderrTail } from '../../src/deploy/guest/qemu-exit.js';
import { resolveKernel } from '../../src/deploy/guest/kernel.js';
import { guestDeployment } from '../helpers/qemu.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function listing(archive: Buffer): string[] {
  return execFileSync('cpio', ['-itv', '--quiet'], { input: archive, encoding: 'utf8' }).trim().split('\n');
}

describe('cpio newc writer', () => {
  const entries: InitramfsEntry[] = [
    { type: 'dir', path: '/dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    { type: 'block', path: 'dev/vda', major: 254, minor: 0 },
    { type: 'dir', path: 'bin', mode: 0o700 },
    { type: 'file', path: 'bin/tool', data: Buffer.from([0, 1, 2, 3, 4]), mode: 0o755 },
    { type: 'file', path: 'odd-name.txt', data: 'abc' },
    { type: 'file', path: 'empty', data: '' },
    { type: 'symlink', path: 'bin/link', target: 'tool' },
  ];

  it('is read back by GNU cpio with the same names, modes, sizes, devices and links', () => {
    const archive = writeCpio(entries);
    const ls = listing(archive);
    assert.equal(ls.length, entries.length);
    assert.match(ls[0], /^drwxr-xr-x .* dev$/);
    assert.match(ls[1], /^crw------- .* 5,\s+1 .* dev\/console$/);
    assert.match(ls[2], /^brw------- .* 254,\s+0 .* dev\/vda$/);
    assert.match(ls[3], /^drwx------ .* bin$/);
    assert.match(ls[4], /^-rwxr-xr-x .* 5 .* bin\/tool$/);
    assert.match(ls[7], /^lrwxrwxrwx .* bin\/link -> tool$/);

    const dir = mkdtempSync(path.join(tmpdir(), 'unilat-cpio-'));
    dirs.push(dir);
    // Without device nodes: extracting them would need mknod rights the test need not have.
    execFileSync('cpio', ['-id', '--quiet', '-D', dir], { input: writeCpio(entries.filter((e) => e.type !== 'char' && e.type !== 'block')) });
    assert.deepEqual(readFileSync(path.join(dir, 'bin/tool')), Buffer.from([0, 1, 2, 3, 4]));
    assert.equal(statSync(path.join(dir, 'bin/tool')).mode & 0o777, 0o755);
    assert.equal(readFileSync(path.join(dir, 'odd-name.txt'), 'utf8'), 'abc');
    assert.equal(statSync(path.join(dir, 'empty')).size, 0);
    assert.equal(readlinkSync(path.join(dir, 'bin/link')), 'tool');
  });

  it('pads every header+name and every body to 4 bytes and ends with the trailer', () => {
    const a = writeCpio(entries);
    assert.equal(a.length % 4, 0);
    assert.equal(a.subarray(0, 6).toString(), '070701');
    assert.ok(a.toString('latin1').includes('TRAILER!!!\0'));
  });

  it('is deterministic and gzip-compressed', () => {
    const a = writeInitramfs(entries);
    assert.deepEqual(a, writeInitramfs(entries));
    assert.deepEqual(gunzipSync(a), writeCpio(entries));
  });
});

describe('guest profiles', () => {
  const probe = Buffer.from('\x7fELF fake probe bytes');

  it('unikernel: the probe is /init, alone, with its script; init arguments after "--"', async () => {
    const img = await buildGuestImage({ profile: 'unikernel', probe, script: ['cyclic --duration-ms 100'], out: '/dev/ttyS1' });
    const ls = listing(gunzipSync(img.initramfs));
    assert.ok(ls.some((l) => /^crw------- .* 5,\s+1 .* dev\/console$/.test(l)));
    assert.ok(ls.some((l) => /^-rwxr-xr-x .* init$/.test(l)));
    assert.ok(ls.some((l) => / unilat\/script$/.test(l)));
    assert.ok(!ls.some((l) => /busybox|bin\/sh/.test(l)), 'no shell in a unikernel image');
    assert.deepEqual(img.cmdline, ['rdinit=/init', '--', 'script', '/unilat/script', '--pid1', '--out', '/dev/ttyS1']);
  });

  it('vm: BusyBox with applet links and a shell /init that runs the probe and powers off', async () => {
    const img = await buildGuestImage({ profile: 'vm', probe, script: ['syscall'], out: '/dev/ttyS1' });
    const ls = listing(gunzipSync(img.initramfs));
    assert.ok(ls.some((l) => / bin\/busybox$/.test(l)));
    assert.ok(ls.some((l) => / bin\/sh -> busybox$/.test(l)));
    assert.ok(ls.some((l) => / bin\/poweroff -> busybox$/.test(l)));
    const dir = mkdtempSync(path.join(tmpdir(), 'unilat-cpio-'));
    dirs.push(dir);
    execFileSync('cpio', ['-id', '--quiet', '-D', dir, 'init', 'unilat/script'], { input: gunzipSync(img.initramfs) });
    const init = readFileSync(path.join(dir, 'init'), 'utf8');
    assert.match(init, /^#!\/bin\/sh\n/);
    assert.match(init, /\/unilat\/probe script \/unilat\/script --out \/dev\/ttyS1/);
    assert.match(init, /poweroff -f/);
    assert.equal(readFileSync(path.join(dir, 'unilat/script'), 'utf8'), 'syscall\n');
    assert.deepEqual(img.cmdline, ['rdinit=/init']);
  });
});

describe('QEMU command line', () => {
  it('puts the deployment cmdline after the defaults (it can override them) and init arguments last', () => {
    const c = kernelCmdline({ machine: 'pc', cmdline: ' isolcpus=1  panic=0 ' }, ['rdinit=/init', '--', 'script', '/unilat/script']);
    assert.equal(c, 'console=ttyS0 panic=-1 rdinit=/init isolcpus=1 panic=0 -- script /unilat/script');
    assert.equal(kernelCmdline({ machine: 'microvm', cmdline: 'a=1' }, ['rdinit=/init'], ['tsc_early_khz=2596087']), 'console=ttyS0 panic=-1 tsc_early_khz=2596087 rdinit=/init a=1', "the harness's words come before the deployment's, which can override them");
  });

  it('maps the deployment knobs to QEMU options', () => {
    const d = guestDeployment({ vcpus: 2, memory: 512, memLock: true, hugepages: true, machine: 'q35' });
    const a = qemuArgs({ settings: d, accel: 'tcg', cpuModel: 'max', kernel: 'K', initrd: 'I', append: 'A', consoleFile: 'C', resultsFile: 'R', qmpSocket: 'Q', name: 'unilat-qemu:t:0' });
    const after = (opt: string) => a[a.indexOf(opt) + 1];
    assert.equal(after('-machine'), 'q35');
    assert.equal(after('-accel'), 'tcg');
    assert.equal(after('-cpu'), 'max');
    assert.equal(after('-smp'), '2');
    assert.equal(after('-m'), '512');
    assert.equal(after('-overcommit'), 'mem-lock=on');
    assert.equal(after('-mem-path'), '/dev/hugepages');
    assert.ok(a.includes('-mem-prealloc') && a.includes('-no-reboot') && a.includes('-S') && a.includes('-nodefaults'));
    assert.deepEqual(a.filter((_, i) => a[i - 1] === '-serial'), ['file:C']);
    assert.deepEqual(a.filter((_, i) => a[i - 1] === '-device'), ['isa-serial,chardev=results,iobase=0x2f8,irq=3']);
    assert.equal(after('-qmp'), 'unix:Q,server=on,wait=off');
    // Every machine gets the same ports: microvm ignores a second -serial but takes isa-serial devices.
    const micro = qemuArgs({ settings: guestDeployment({ machine: 'microvm' }), accel: 'kvm', cpuModel: 'host', kernel: 'K', initrd: 'I', append: 'A', consoleFile: 'C', resultsFile: 'R', qmpSocket: 'Q', name: 'unilat-qemu:t:0', goPipe: '/t/go', incoming: '/t/state' });
    assert.deepEqual(micro.filter((_, i) => micro[i - 1] === '-device'), ['isa-serial,chardev=results,iobase=0x2f8,irq=3', 'isa-serial,chardev=go,iobase=0x3e8,irq=5']);
    assert.ok(micro.includes('pipe,id=go,path=/t/go'));
    assert.equal(micro[micro.indexOf('-incoming') + 1], 'exec:cat /t/state');
    assert.equal(micro[micro.indexOf('-cpu') + 1], 'host');
    assert.throws(() => qemuArgs({ settings: d, accel: 'tcg', cpuModel: 'max', kernel: 'K', initrd: 'I', append: 'A', consoleFile: 'C', resultsFile: 'R', qmpSocket: 'Q', name: 'unilat-qemu:t:0', incoming: '/t/x; rm -rf /' }), /not safe/, 'nothing reaches exec: unchecked');
  });

  it('the CPU model: the deployment\'s, else host under KVM and max under TCG; TCG never gets host', () => {
    assert.equal(cpuModel(undefined, 'kvm'), 'host');
    assert.equal(cpuModel(undefined, 'tcg'), 'max');
    assert.equal(cpuModel('host', 'tcg'), 'max');
    assert.equal(cpuModel('EPYC-v4', 'tcg'), 'EPYC-v4');
    assert.equal(cpuModel('qemu64', 'kvm'), 'qemu64');
  });

  it('the KVM check launches the same machine and CPU model as the guest', () => {
    const a = kvmCheckArgs('microvm', 'host,-arch-capabilities', '/t/bios');
    const after = (opt: string) => a[a.indexOf(opt) + 1];
    assert.equal(after('-machine'), 'microvm');
    assert.equal(after('-cpu'), 'host,-arch-capabilities');
    assert.equal(after('-accel'), 'kvm');
    assert.equal(after('-bios'), '/t/bios');
  });

  it('says how QEMU ended: status, or the signal behind timeout\'s 128+N', () => {
    assert.equal(describeExit(1), 'QEMU exited with status 1');
    assert.equal(describeExit(134), 'QEMU was killed by SIGABRT (exit 134)');
    assert.equal(describeExit(null, 'SIGKILL'), 'QEMU was killed by SIGKILL');
    assert.deepEqual(stderrTail('a\r\n\nb\nc\n d \n', 3), ['b', 'c', 'd']);
  });

  it('finds the kernel\'s printk time of starting init', () => {
    assert.equal(kernelInitMs('[    0.000000] Linux version 6.1\n[    1.234567] Run /init as init process\n'), 1235);
    assert.equal(kernelInitMs('[    0.9] Run /sbin/init as init process'), 900);
    assert.equal(kernelInitMs('Run /init as init process\n'), null, 'no printk time, no figure');
  });

  it('times the console: first byte, and the arrival of the init line even when split across chunks', () => {
    const c = new ConsoleClock();
    c.push(Buffer.from('SeaBIOS\r\n[    0.000000] Linux'), 100);
    c.push(Buffer.from(' version\n[    1.500000] Run /in'), 900);
    assert.equal(c.initLineMs, null, 'not before the line is complete');
    c.push(Buffer.from('it as init process\r\n'), 2400);
    c.push(Buffer.from('[    1.600000] Run /init as init process\n'), 3000);
    assert.equal(c.firstByteMs, 100);
    assert.equal(c.initLineMs, 2400);
  });

  it('the KVM check BIOS has its exit code at the reset vector', () => {
    const b = kvmCheckBios();
    assert.equal(b.length, 65536);
    assert.deepEqual([...b.subarray(0xfff0, 0xfff4)], [0xb0, 0x01, 0xe6, 0xf4]);
  });
});

describe('kernel resolution', () => {
  it('a path must exist', async () => {
    await assert.rejects(resolveKernel('/nonexistent/vmlinuz'), /no such file/);
  });

  it('a missing Debian image whose fetch fails names the script', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'unilat-kcache-'));
    dirs.push(cache);
    const saved = { cache: process.env.UNILAT_KERNEL_CACHE, path: process.env.PATH };
    process.env.UNILAT_KERNEL_CACHE = cache;
    // No apt-cache on this PATH, so the script cannot resolve the package.
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(resolveKernel('debian'), (e: Error) => /fetch-kernels\.sh failed/.test(e.message));
    } finally {
      process.env.UNILAT_KERNEL_CACHE = saved.cache;
      process.env.PATH = saved.path;
      if (saved.cache === undefined) delete process.env.UNILAT_KERNEL_CACHE;
    }
  });
});
