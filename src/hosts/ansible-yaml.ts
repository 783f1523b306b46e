/**
 * Ansible's YAML inventory form, into the shared model (ansible-model.ts):
 *   GROUP: {hosts: {PATTERN: {VAR: value} | null}, vars: {...}, children: {GROUP: {...} | null}}
 * Positions come from the YAML loader, so messages read `FILE:LINE:COL: path: what is wrong`.
 */
import type { LoadedYaml } from '../scenario/yaml.js';
import { addChild, addHost, emptyModel, groupOf, GROUP_NAME, isMap, kind, type AnsibleModel, type VarMap } from './ansible-model.js';
import { parseHostPattern } from './ansible-ranges.js';

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function parseAnsibleYaml(y: LoadedYaml): AnsibleModel {
  const m = emptyModel(y.file);
  const problem = (path: readonly PropertyKey[], what: string, key?: string) => m.problems.push(`${y.locate(path, key)}: ${[...path, ...(key ? [key] : [])].join('.')}: ${what}`);

  const varsAt = (path: PropertyKey[], v: unknown): VarMap => {
    const out: VarMap = new Map();
    if (v === null || v === undefined) return out;
    if (!isMap(v)) {
      problem(path, `expected a mapping of variables, found ${kind(v)}`);
      return out;
    }
    for (const [k, val] of Object.entries(v)) out.set(k, { value: val, at: y.locate([...path, k]) });
    return out;
  };

  const group = (name: string, v: unknown, path: PropertyKey[]): void => {
    if (!GROUP_NAME.test(name)) return void problem(path, `bad group name "${name}" (letters, digits, "_", "." and "-")`);
    const g = groupOf(m, name, y.locate(path));
    if (v === null) return;
    if (!isMap(v)) return void problem(path, `expected a group (a mapping with hosts, vars or children), found ${kind(v)}`);
    for (const k of Object.keys(v)) if (!GROUP_KEYS.includes(k)) problem(path, `unknown key (allowed: ${GROUP_KEYS.join(', ')})`, k);
    for (const [k, val] of varsAt([...path, 'vars'], v.vars)) g.vars.set(k, val);
    if (v.hosts !== undefined && v.hosts !== null) {
      if (!isMap(v.hosts)) problem([...path, 'hosts'], `expected a mapping of host names, found ${kind(v.hosts)}`);
      else
        for (const [pattern, hv] of Object.entries(v.hosts)) {
          const hp = [...path, 'hosts', pattern];
          // The host's key, not its (often empty) value, is where it is written.
          const at = y.locate([...path, 'hosts'], pattern);
          let parsed: ReturnType<typeof parseHostPattern>;
          try {
            parsed = parseHostPattern(pattern);
          } catch (e) {
            problem([...path, 'hosts'], (e as Error).message, pattern);
            continue;
          }
          const own = varsAt(hp, hv);
          if (parsed.port !== undefined) own.set('ansible_port', own.get('ansible_port') ?? { value: parsed.port, at });
          for (const h of parsed.names) addHost(m, g, h, at, own);
        }
    }
    if (v.children !== undefined && v.children !== null) {
      if (!isMap(v.children)) problem([...path, 'children'], `expected a mapping of group names, found ${kind(v.children)}`);
      else
        for (const [child, cv] of Object.entries(v.children)) {
          group(child, cv, [...path, 'children', child]);
          addChild(g, child);
        }
    }
  };

  for (const [name, v] of Object.entries(y.data as Record<string, unknown>)) group(name, v, [name]);
  return m;
}
