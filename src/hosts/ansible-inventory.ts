/**
 * A parsed Ansible inventory (ansible-model.ts) -> unilat's Inventory: groups get their hosts
 * through `children`, and each host's variables are merged as Ansible does (group `all`
 * first, then groups by depth and name, the host's own last) before ansible-vars.ts reads them.
 */
import { InputError } from '../errors.js';
import type { AnsibleGroup, AnsibleModel, VarMap } from './ansible-model.js';
import { hostFromVars } from './ansible-vars.js';
import type { Inventory, InventoryHost } from './inventory.js';

export function inventoryFromAnsible(m: AnsibleModel): Inventory {
  const problems = [...m.problems];
  const all: AnsibleGroup = m.groups.get('all') ?? { name: 'all', at: `${m.file}:1`, hosts: [], children: [], vars: new Map() };
  m.groups.set('all', all);
  const parented = new Set([...m.groups.values()].flatMap((g) => g.children));
  for (const g of m.groups.values()) if (g !== all && !parented.has(g.name) && !all.children.includes(g.name)) all.children.push(g.name);

  const depth = new Map<string, number>();
  const members = new Map<string, string[]>();
  // Depth-first from `all`: a group's depth is its longest path from `all`; a loop is an error.
  const visit = (g: AnsibleGroup, d: number, path: string[]): string[] => {
    if (path.includes(g.name)) {
      problems.push(`${g.at}: group "${g.name}" contains itself through children (${[...path.slice(path.indexOf(g.name)), g.name].join(' -> ')})`);
      return [];
    }
    depth.set(g.name, Math.max(depth.get(g.name) ?? 0, d));
    const hosts = new Set(g.hosts);
    for (const c of g.children) for (const h of visit(m.groups.get(c)!, d + 1, [...path, g.name])) hosts.add(h);
    members.set(g.name, [...hosts]);
    return [...hosts];
  };
  visit(all, 0, []);
  // Groups only reachable from each other (a loop) are not under `all`: visit them to report it.
  for (const g of m.groups.values()) if (!depth.has(g.name)) visit(g, 1, []);
  const allHosts = [...m.hosts.keys()];
  members.set('all', allHosts);
  const grouped = new Set([...members].filter(([g]) => g !== 'all' && g !== 'ungrouped').flatMap(([, hs]) => hs));
  const ungrouped = m.groups.get('ungrouped');
  if (ungrouped) members.set('ungrouped', allHosts.filter((h) => !grouped.has(h)));

  const order = [...m.groups.values()].sort((a, b) => (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hosts: Record<string, InventoryHost> = {};
  const notSsh: NonNullable<Inventory['notSsh']> = {};
  for (const [name, h] of m.hosts) {
    if (name === 'local') {
      problems.push(`${h.at}: host "local" is built in (this machine) and cannot be redefined`);
      continue;
    }
    const vars: VarMap = new Map();
    for (const g of order) if (members.get(g.name)?.includes(name)) for (const [k, v] of g.vars) vars.set(k, v);
    for (const [k, v] of h.vars) vars.set(k, v);
    const r = hostFromVars(name, vars, problems);
    if (r.kind === 'ssh') hosts[name] = r.host;
    else if (r.kind === 'not-ssh') notSsh[name] = { connection: r.connection, at: r.at, groups: [...members].filter(([, hs]) => hs.includes(name)).map(([g]) => g) };
  }
  for (const [name, e] of Object.entries(hosts)) {
    // `-J bastion` naming a host of the inventory goes through that host's settings.
    // A group's `-J gw` also reaches gw itself: gw is then connected to directly.
    const hop = e.proxyJump?.length === 1 ? e.proxyJump[0] : undefined;
    if (hop && !hop.user && hop.port === undefined && Object.hasOwn(hosts, hop.host)) {
      if (hop.host !== name) e.jump = hop.host;
      delete e.proxyJump;
    }
  }

  const groups: Record<string, string[]> = {};
  for (const g of m.groups.values()) {
    const hs = (members.get(g.name) ?? []).filter((h) => Object.hasOwn(hosts, h));
    if (m.hosts.has(g.name) || g.name === 'local')
      problems.push(`${g.at}: group "${g.name}" has the name of a host`);
    else if (hs.length) groups[g.name] = hs;
  }
  if (problems.length) throw new InputError(problems);
  return { file: m.file, hosts, groups, notSsh };
}
