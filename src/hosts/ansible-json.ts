/**
 * The JSON `ansible-inventory --list` prints, into the shared model (ansible-model.ts):
 *   {"_meta": {"hostvars": {HOST: {VAR: value}}}, "all": {"children": [GROUP...]},
 *    GROUP: {"hosts": [HOST...], "children": [GROUP...], "vars": {...}}}
 * Hosts are already expanded there (no ranges). Read through the YAML loader (JSON is YAML),
 * which gives every problem its line.
 */
import type { LoadedYaml } from '../scenario/yaml.js';
import { addChild, addHost, emptyModel, groupOf, GROUP_NAME, isMap, kind, type AnsibleModel } from './ansible-model.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function parseAnsibleJson(y: LoadedYaml): AnsibleModel {
  const m = emptyModel(y.file);
  const problem = (path: readonly PropertyKey[], what: string, key?: string) =>
    m.problems.push(`${y.locate(path, key)}: ${[...path, ...(key !== undefined ? [key] : [])].map(String).join('.')}: ${what}`);
  const data = y.data as Record<string, unknown>;
  const names = (path: PropertyKey[], v: unknown): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      problem(path, `expected a list of names, found ${Array.isArray(v) ? 'a list with a non-string' : kind(v)}`);
      return [];
    }
    return v as string[];
  };

  for (const [name, v] of Object.entries(data)) {
    if (name === '_meta') continue;
    if (!GROUP_NAME.test(name)) {
      problem([name], `bad group name "${name}" (letters, digits, "_", "." and "-")`);
      continue;
    }
    const g = groupOf(m, name, y.locate([name]));
    if (!isMap(v)) {
      problem([name], `expected a group (an object with hosts, children or vars), found ${kind(v)}`);
      continue;
    }
    for (const k of Object.keys(v)) if (!GROUP_KEYS.includes(k)) problem([name], `unknown key (allowed: ${GROUP_KEYS.join(', ')})`, k);
    names([name, 'hosts'], v.hosts).forEach((h, i) => addHost(m, g, h, y.locate([name, 'hosts', i])));
    for (const c of names([name, 'children'], v.children)) {
      groupOf(m, c, y.locate([name, 'children']));
      addChild(g, c);
    }
    if (v.vars !== undefined) {
      if (!isMap(v.vars)) problem([name, 'vars'], `expected an object of variables, found ${kind(v.vars)}`);
      else for (const [k, val] of Object.entries(v.vars)) g.vars.set(k, { value: val, at: y.locate([name, 'vars', k]) });
    }
  }

  const meta = data._meta;
  if (meta !== undefined) {
    const hostvars = isMap(meta) ? meta.hostvars : undefined;
    if (!isMap(meta)) problem(['_meta'], `expected an object with hostvars, found ${kind(meta)}`);
    else if (hostvars !== undefined && !isMap(hostvars)) problem(['_meta', 'hostvars'], `expected an object of hosts, found ${kind(hostvars)}`);
    else
      for (const [h, hv] of Object.entries(hostvars ?? {})) {
        const host = m.hosts.get(h);
        if (!host) {
          problem(['_meta', 'hostvars'], `host "${h}" is in no group`, h);
          continue;
        }
        if (!isMap(hv)) {
          problem(['_meta', 'hostvars', h], `expected an object of variables, found ${kind(hv)}`);
          continue;
        }
        for (const [k, val] of Object.entries(hv)) host.vars.set(k, { value: val, at: y.locate(['_meta', 'hostvars', h, k]) });
      }
  }
  return m;
}
