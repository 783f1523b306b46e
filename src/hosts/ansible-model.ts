/**
 * What the three Ansible inventory parsers (INI, YAML, `ansible-inventory --list` JSON)
 * produce, before variables are merged: groups with their direct hosts, children and vars,
 * and per-host vars. Every value keeps where it was written, for `FILE:LINE` messages.
 */

/** A value and where it was written (`FILE:LINE`, or `FILE:LINE:COL` for YAML). */
export interface Located<T = unknown> {
  value: T;
  at: string;
}

export type VarMap = Map<string, Located>;

export interface AnsibleGroup {
  name: string;
  /** Where the group was first named. */
  at: string;
  /** Direct hosts, in order of appearance. */
  hosts: string[];
  /** Direct child groups. */
  children: string[];
  vars: VarMap;
}

export interface AnsibleModel {
  file: string;
  /** Every group named anywhere, in order of appearance. */
  groups: Map<string, AnsibleGroup>;
  /** Every host, in order of appearance, with its own vars (later definitions win). */
  hosts: Map<string, { at: string; vars: VarMap }>;
  /** Problems found while parsing (all are reported together). */
  problems: string[];
}

export function emptyModel(file: string): AnsibleModel {
  return { file, groups: new Map(), hosts: new Map(), problems: [] };
}

/** The group `name`, created at `at` if it is new. */
export function groupOf(m: AnsibleModel, name: string, at: string): AnsibleGroup {
  let g = m.groups.get(name);
  if (!g) {
    g = { name, at, hosts: [], children: [], vars: new Map() };
    m.groups.set(name, g);
  }
  return g;
}

/** Adds a host to a group (once) and merges its vars. */
export function addHost(m: AnsibleModel, group: AnsibleGroup, host: string, at: string, vars: VarMap = new Map()): void {
  if (!group.hosts.includes(host)) group.hosts.push(host);
  let h = m.hosts.get(host);
  if (!h) {
    h = { at, vars: new Map() };
    m.hosts.set(host, h);
  }
  for (const [k, v] of vars) h.vars.set(k, v);
}

export function addChild(group: AnsibleGroup, child: string): void {
  if (!group.children.includes(child)) group.children.push(child);
}

/** Group names as Ansible accepts them (it warns about "-"; so do we not, many labs use it). */
export const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A plain mapping (YAML map or JSON object). */
export function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** How a wrong value is named in messages. */
export function kind(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'nothing' : `a ${typeof v}`;
}
