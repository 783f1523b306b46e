import { InputError } from '../errors.js';
import type { HostEntry, HostsFile } from '../scenario/schema.js';
import type { JumpSpec } from '../transport/ssh-config.js';

/** OpenSSH's StrictHostKeyChecking values the SSH transport honours. */
export type HostKeyChecking = 'yes' | 'accept-new' | 'no';

/**
 * A host of the inventory: a hosts-file entry, plus what only an Ansible inventory can say
 * (through ansible_ssh_common_args / ansible_ssh_extra_args).
 */
export interface InventoryHost extends HostEntry {
  /** StrictHostKeyChecking and where it was set (for the warning `no` gets). Unset: strict. */
  hostKeyChecking?: { value: HostKeyChecking; at: string };
  /** ProxyJump hops that are not hosts of the inventory (those become `jump`). */
  proxyJump?: JumpSpec[];
}

/** A host the plan will run on: the built-in local machine or an SSH host from the inventory. */
export type ResolvedHost =
  | { name: 'local'; kind: 'local'; cpus?: number[] }
  | { name: string; kind: 'ssh'; entry: InventoryHost; jump?: ResolvedHost; cpus?: number[] };

export interface Inventory {
  file: string | null;
  hosts: Record<string, InventoryHost>;
  groups: Record<string, string[]>;
  /**
   * Ansible hosts whose `ansible_connection` is not SSH (local, docker, winrm...): unilat cannot
   * reach them, so they are no hosts here, but a scenario naming one (or a group holding one)
   * is told why instead of finding it unknown or silently fewer.
   */
  notSsh?: Record<string, { connection: string; at: string; groups: string[] }>;
}

export const EMPTY_INVENTORY: Inventory = { file: null, hosts: {}, groups: {} };

export function inventoryFrom(f: (HostsFile & { file: string }) | null): Inventory {
  return f ? { file: f.file, hosts: f.hosts, groups: f.groups } : EMPTY_INVENTORY;
}

/**
 * Expands host and group names into hosts, in order, without duplicates.
 * `where(i)` locates the i-th name in its file for error messages.
 */
export function resolveHosts(names: readonly string[], inv: Inventory, where: (i: number) => string, warn: (message: string) => void = () => {}): ResolvedHost[] {
  const out = new Map<string, ResolvedHost>();
  const problems: string[] = [];
  const notSsh = inv.notSsh ?? {};
  names.forEach((n, i) => {
    if (Object.hasOwn(notSsh, n)) {
      problems.push(`${where(i)}: hosts[${i}]: ${notSshWhy(n, notSsh[n])}`);
      return;
    }
    const left = Object.hasOwn(inv.hosts, n) ? [] : Object.entries(notSsh).filter(([, h]) => h.groups.includes(n));
    if (left.length) {
      const which = left.map(([h, v]) => `"${h}" (ansible_connection=${v.connection}, ${v.at})`).join(', ');
      if (!Object.hasOwn(inv.groups, n)) {
        problems.push(`${where(i)}: hosts[${i}]: group "${n}" has no host unilat can reach: ${which}; unilat connects over SSH only`);
        return;
      }
      warn(`${where(i)}: hosts[${i}]: group "${n}" leaves out ${which}: unilat connects over SSH only`);
    }
    // Own properties only: a name like toString or __proto__ is no group or host of the file.
    const members = Object.hasOwn(inv.groups, n) ? inv.groups[n] : [n];
    for (const m of members) {
      if (out.has(m)) continue;
      const h = resolveOne(m, inv);
      if (h) out.set(m, h);
      else
        problems.push(
          `${where(i)}: hosts[${i}]: unknown host "${n}" (${inv.file ? `not in ${inv.file}` : 'no --hosts file given'}; known: ${['local', ...Object.keys(inv.hosts), ...Object.keys(inv.groups)].join(', ')})`,
        );
    }
  });
  if (problems.length) throw new InputError(problems);
  return [...out.values()];
}

function notSshWhy(name: string, h: { connection: string; at: string }): string {
  const local = h.connection === 'local' ? '; for this machine, name the built-in host "local"' : '';
  return `"${name}" has ansible_connection=${h.connection} (${h.at}): unilat connects over SSH only${local}`;
}

function resolveOne(name: string, inv: Inventory, seen = new Set<string>()): ResolvedHost | null {
  if (name === 'local') return { name: 'local', kind: 'local' };
  const entry = Object.hasOwn(inv.hosts, name) ? inv.hosts[name] : undefined;
  if (!entry) return null;
  if (seen.has(name)) throw new InputError(`${inv.file}: hosts.${name}.jump: jump hosts form a loop (${[...seen, name].join(' -> ')})`);
  seen.add(name);
  const jump = entry.jump ? (resolveOne(entry.jump, inv, seen) ?? undefined) : undefined;
  return { name, kind: 'ssh', entry, jump, cpus: entry.cpus };
}
