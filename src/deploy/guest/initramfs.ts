/**
 * Guest initramfs images: a newc ("070701") cpio writer over an in-memory file list, gzip
 * compressed with node:zlib (no external cpio), and the two guest profiles built on it:
 * `unikernel` (the static probe is /init, PID 1, nothing else runs) and `vm` (BusyBox user
 * space, a shell /init that runs the probe and powers off).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

export type InitramfsEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char' | 'block'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/**
 * The uncompressed newc archive. Paths are stored without a leading "/" (as the kernel expects);
 * parent directories are not invented: list them yourself (the kernel's unpacker needs them
 * before their children). mtime is 0 so equal inputs give equal bytes (content-hash caching).
 */
export function writeCpio(entries: readonly InitramfsEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Buffer, rdevMajor = 0, rdevMinor = 0, nlink = 1) => {
    const nameBuf = Buffer.from(name + '\0', 'utf8');
    const header =
      '070701' +
      [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBuf.length, 0].map(hex8).join('');
    parts.push(Buffer.from(header, 'ascii'), nameBuf, Buffer.alloc(pad4(110 + nameBuf.length)));
    if (data.length) parts.push(data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (!name) throw new Error(`initramfs: empty path`);
    switch (e.type) {
      case 'dir':
        push(name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), 0, 0, 2);
        break;
      case 'file':
        push(name, S_IFREG | (e.mode ?? 0o644), typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data);
        break;
      case 'symlink':
        push(name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'));
        break;
      case 'char':
      case 'block':
        push(name, (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode ?? 0o600), Buffer.alloc(0), e.major, e.minor);
        break;
    }
  }
  ino = 0;
  push('TRAILER!!!', 0, Buffer.alloc(0), 0, 0, 1);
  return Buffer.concat(parts);
}

/** The gzip-compressed archive, as QEMU's -initrd takes it. */
export function writeInitramfs(entries: readonly InitramfsEntry[]): Buffer {
  return gzipSync(writeCpio(entries), { level: 6 });
}

// ---- guest profiles ----

export type GuestProfile = 'vm' | 'unikernel';

/** Where the probe writes its protocol inside the guest. */
export interface GuestImageOptions {
  profile: GuestProfile;
  /** The static probe binary (bytes). */
  probe: Buffer;
  /**
   * Script lines for `unilat-probe script` (one invocation per line), or, for a snapshot
   * guest, the device the probe reads its script from once restored (`script --wait DEV`).
   */
  script: string[] | { wait: string };
  /** Protocol output device in the guest, e.g. /dev/ttyS1 (or /dev/ttyS0 on microvm). */
  out: string;
  /** vm profile: BusyBox binary (bytes); default read from busyboxPath(). */
  busybox?: Buffer;
}

export interface GuestImage {
  initramfs: Buffer;
  /** Kernel command line words the image needs (rdinit=, init arguments after "--"). */
  cmdline: string[];
  /** sha256 of the image bytes, hex. */
  hash: string;
}

/** The node every early init needs before devtmpfs is mounted (the kernel opens it for PID 1). */
export const baseDirs: InitramfsEntry[] = [
  { type: 'dir', path: 'dev' },
  { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
  { type: 'dir', path: 'proc', mode: 0o555 },
  { type: 'dir', path: 'sys', mode: 0o555 },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'dir', path: 'unilat' },
];

/** Applets the vm profile's /init uses, plus a few that make the guest look like a small Linux. */
export const BUSYBOX_APPLETS = ['sh', 'mount', 'umount', 'mkdir', 'cat', 'echo', 'poweroff', 'sync', 'sleep', 'uname', 'ls', 'syslogd', 'klogd', 'dmesg', 'ps', 'kill'];

/** Debian's busybox-static installs a static binary as /bin/busybox. */
export function busyboxPath(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p)) return p;
  throw new Error('BusyBox not found (/bin/busybox); install busybox-static (apt-get install busybox-static)');
}

/**
 * The vm profile's /init: mounts the pseudo file systems, starts syslogd (a resident daemon,
 * as a conventional small guest has), runs the probe script, then powers off. `poweroff -f`
 * because no init daemon is there to hand the request to.
 */
function vmInit(out: string, source: string): string {
  return [
    '#!/bin/sh',
    'export PATH=/bin:/sbin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'mkdir -p /dev/pts /var/log',
    'syslogd -O /var/log/messages',
    `/unilat/probe script ${source} --out ${out}`,
    'echo "unilat: probe exited with $?"',
    'sync',
    'poweroff -f',
    '',
  ].join('\n');
}

/** Builds a guest image for one probe script. */
export async function buildGuestImage(o: GuestImageOptions): Promise<GuestImage> {
  const wait = Array.isArray(o.script) ? null : o.script.wait;
  const scriptFile: InitramfsEntry[] = Array.isArray(o.script) ? [{ type: 'file', path: 'unilat/script', data: o.script.join('\n') + '\n' }] : [];
  const source = wait ? ['--wait', wait] : ['/unilat/script'];
  const entries: InitramfsEntry[] = [...baseDirs];
  let cmdline: string[];
  if (o.profile === 'unikernel') {
    // The probe is PID 1 and alone: the kernel passes everything after "--" to init as argv.
    entries.push({ type: 'file', path: 'init', data: o.probe, mode: 0o755 }, ...scriptFile);
    cmdline = ['rdinit=/init', '--', 'script', ...source, '--pid1', '--out', o.out];
  } else {
    const bb = o.busybox ?? (await readFile(busyboxPath()));
    entries.push(
      { type: 'dir', path: 'bin' },
      { type: 'dir', path: 'sbin' },
      { type: 'dir', path: 'var' },
      { type: 'dir', path: 'etc' },
      { type: 'file', path: 'bin/busybox', data: bb, mode: 0o755 },
      ...BUSYBOX_APPLETS.map((a): InitramfsEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
      { type: 'file', path: 'init', data: vmInit(o.out, source.join(' ')), mode: 0o755 },
      { type: 'file', path: 'unilat/probe', data: o.probe, mode: 0o755 },
      ...scriptFile,
    );
    cmdline = ['rdinit=/init'];
  }
  const initramfs = writeInitramfs(entries);
  return { initramfs, cmdline, hash: createHash('sha256').update(initramfs).digest('hex') };
}
