/**
 * A tool of the controller's (a dynamically linked program such as rtla) run inside a `vm`
 * guest instead of the probe: the image carries BusyBox, the program and the shared libraries
 * ldd names for it, and a shell script whose output goes to the results port. The script speaks
 * just enough of the probe protocol for the guest's life (qemu.ts) to work unchanged: a first
 * marker line (the run has started), a `section` marker before each part of its output, and
 * `end`. The caller reads the sections back.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { MARKER } from '../../probe/protocol.js';
import type { Warning } from '../../results/types.js';
import type { GuestDeployment } from '../../scenario/schema.js';
import type { HostJournal } from '../../prepare/journal.js';
import type { Transport } from '../../transport/transport.js';
import { runGuestWithAccel } from './accel.js';
import { baseDirs, BUSYBOX_APPLETS, busyboxPath, writeInitramfs, type InitramfsEntry } from './initramfs.js';
import { resolveKernel } from './kernel.js';
import { RESULTS_DEVICE } from './qemu.js';
import { cachedImage, guestRunContext } from './runner.js';
import { hostTscKhz } from './tsc.js';

/** Applets a tool script may use besides the vm profile's. */
const TOOL_APPLETS = ['grep', 'head', 'tail', 'tr', 'sed', 'wc', 'true', 'false', 'test', '['];

/** Slack on top of the tool's own run time: a TCG guest is slow to boot, start it and power off. */
const TOOL_MARGIN_MS = 120_000;

export interface GuestTool {
  /** Programs on the controller to carry, each at the same path in the guest, with their shared libraries. */
  programs: string[];
  /** The shell script (sh); `section NAME` starts a part of the output the caller reads back. */
  script: string;
  /** How long the script should take (ms), for the run timeout. */
  expectedMs: number;
}

export interface GuestToolContext {
  transport: Transport;
  journal: HostJournal;
  staticProbe: () => Promise<string>;
  runDir: string;
  stepLabel: string;
  signal: AbortSignal;
}

export interface GuestToolRun {
  /** The script's output by section name, in order; text before the first section is under "". */
  sections: Map<string, string>;
  /** The deployment's part of the result's context (boot, guest kernel, vCPUs...). */
  context: Record<string, unknown>;
  warnings: Warning[];
}

/** The files ldd names for `program` (its libraries and loader), as absolute paths on the controller. */
export async function sharedLibraries(program: string): Promise<string[]> {
  let out: string;
  try {
    out = (await promisify(execFile)('ldd', [program], { encoding: 'utf8' })).stdout;
  } catch (e) {
    // ldd exits 1 for a static program ("not a dynamic executable"): nothing to carry.
    const said = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(said)) return [];
    throw new Error(`ldd ${program} failed: ${said.trim() || (e as Error).message}`);
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    if (/=>\s*not found/.test(line)) throw new Error(`${program} needs ${line.trim().split(/\s/)[0]}, which this machine does not have (ldd)`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]);
  }
  return [...new Set(libs)];
}

/** Folders, parents first, for files at these paths (the kernel's unpacker needs them before their children). */
function foldersFor(paths: string[], have: Set<string>): InitramfsEntry[] {
  const out: InitramfsEntry[] = [];
  for (const p of paths) {
    const parts = dirname(p).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (have.has(d)) continue;
      have.add(d);
      out.push({ type: 'dir', path: d });
    }
  }
  return out;
}

/** The tool image's /init: the vm profile's mounts, then the script with its output on the results port, then power off. */
function toolInit(out: string): string {
  return [
    '#!/bin/sh',
    'export PATH=/bin:/sbin:/usr/bin:/usr/sbin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    `/bin/sh /unilat/tool.sh > ${out} 2>&1`,
    'echo "unilat: tool script exited with $?"',
    'sync',
    'poweroff -f',
    '',
  ].join('\n');
}

/** The script as the guest runs it: the marker helpers first, `end` last whatever the script did. */
export function toolScript(script: string): string {
  return [
    `section() { echo "${MARKER}{\\"type\\":\\"section\\",\\"name\\":\\"$1\\"}"; }`,
    `echo '${MARKER}{"type":"tool"}'`,
    `( ${script}\n)`,
    `echo '${MARKER}{"type":"end","steps":1,"failed":0}'`,
    '',
  ].join('\n');
}

/** Builds (or finds in the cache) the image for a tool; returns its path on the controller. */
export async function toolImage(tool: Pick<GuestTool, 'programs' | 'script'>): Promise<{ path: string; cmdline: string[]; hash: string }> {
  const files = new Map<string, Buffer>();
  for (const p of tool.programs) {
    files.set(p, await readFile(p));
    for (const lib of await sharedLibraries(p)) files.set(lib, await readFile(lib));
  }
  const busybox = await readFile(busyboxPath());
  const script = toolScript(tool.script);
  const paths = [...files.keys()].sort();
  const inputs: Array<string | Buffer> = [JSON.stringify({ v: 1, paths, script, out: RESULTS_DEVICE }), busybox, ...paths.map((p) => files.get(p)!)];
  return cachedImage('tool', inputs, async () => {
    const applets = [...new Set([...BUSYBOX_APPLETS, ...TOOL_APPLETS])];
    const have = new Set(['dev', 'proc', 'sys', 'tmp', 'unilat', 'bin']);
    const entries: InitramfsEntry[] = [
      ...baseDirs,
      { type: 'dir', path: 'bin' },
      { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
      ...applets.map((a): InitramfsEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
      ...foldersFor(['sbin/x', 'var/x', 'etc/x', ...paths], have),
      ...paths.map((p): InitramfsEntry => ({ type: 'file', path: p, data: files.get(p)!, mode: 0o755 })),
      { type: 'file', path: 'unilat/tool.sh', data: script, mode: 0o755 },
      { type: 'file', path: 'init', data: toolInit(RESULTS_DEVICE), mode: 0o755 },
    ];
    return { initramfs: writeInitramfs(entries), cmdline: ['rdinit=/init'] };
  });
}

/** The results port's text split at the section markers. */
export function toolSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  let lines: string[] = [];
  const flush = () => out.set(name, (out.has(name) ? out.get(name)! : '') + lines.join('\n') + (lines.length ? '\n' : ''));
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const at = raw.indexOf(MARKER);
    if (at < 0) {
      lines.push(raw);
      continue;
    }
    if (at > 0) lines.push(raw.slice(0, at));
    let body: { type?: unknown; name?: unknown } = {};
    try {
      body = JSON.parse(raw.slice(at + MARKER.length));
    } catch {
      /* not ours: kept out of every section */
    }
    if (body.type !== 'section' || typeof body.name !== 'string') continue;
    flush();
    name = body.name;
    lines = [];
  }
  if (lines.length && lines.at(-1) === '') lines.pop();
  flush();
  return out;
}

/** Boots a `vm` guest that runs the tool's script and powers off; always removes what it left on the target. */
export async function runGuestTool(d: GuestDeployment, tool: GuestTool, ctx: GuestToolContext): Promise<GuestToolRun> {
  if (d.kind !== 'vm') throw new Error(`a ${d.kind} guest runs only the probe (it has no shell for a tool): use kind: vm`);
  if (d.boot === 'snapshot') throw new Error('boot: snapshot restores a guest waiting for a probe script, which a tool does not run: use boot: cold');
  const kernel = await resolveKernel(d.kernel);
  const image = await toolImage(tool);
  await mkdir(ctx.runDir, { recursive: true });
  const chunks: Buffer[] = [];
  const g = await runGuestWithAccel({
    transport: ctx.transport,
    journal: ctx.journal,
    settings: d,
    kernelPath: kernel.path,
    initrdPath: image.path,
    imageCmdline: image.cmdline,
    bootTimeoutMs: d.bootTimeout / 1e6,
    runTimeoutMs: tool.expectedMs * 2 + TOOL_MARGIN_MS,
    consoleLogPath: join(ctx.runDir, `${ctx.stepLabel}.console.log`),
    signal: ctx.signal,
    onResults: (c) => chunks.push(c),
    tscKhz: () => hostTscKhz(ctx.transport, ctx.staticProbe),
  });
  const sections = toolSections(Buffer.concat(chunks).toString('utf8'));
  return { sections, context: guestRunContext(d, kernel, g, image.hash), warnings: g.warnings };
}
