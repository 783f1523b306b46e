/**
 * Ansible's INI inventory form, into the shared model (ansible-model.ts):
 *   host [key=value ...]        hosts, before any section in group "ungrouped"
 *   [group]                     hosts of a group
 *   [group:vars]  key=value     group vars
 *   [group:children]  name      child groups
 * Full-line comments start with `#` or `;`; host lines are split like a shell (shlex).
 */
import { addChild, addHost, emptyModel, groupOf, GROUP_NAME, type AnsibleGroup, type AnsibleModel, type VarMap } from './ansible-model.js';
import { parseHostPattern } from './ansible-ranges.js';
import { shellWords } from './shell-words.js';

export function parseAnsibleIni(file: string, text: string): AnsibleModel {
  const m = emptyModel(file);
  let section: { kind: 'hosts' | 'vars' | 'children'; group: AnsibleGroup } = { kind: 'hosts', group: groupOf(m, 'ungrouped', `${file}:1`) };
  text.split(/\r?\n/).forEach((raw, i) => {
    const at = `${file}:${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const h = /^\[([^\]:]*)(?::([^\]]*))?\]\s*(?:[#;].*)?$/.exec(line);
      if (!h) return m.problems.push(`${at}: cannot parse section header "${line}" (expected [group], [group:vars] or [group:children])`);
      const [, name, kind] = h;
      if (!GROUP_NAME.test(name)) return m.problems.push(`${at}: bad group name "${name}" (letters, digits, "_", "." and "-")`);
      if (kind !== undefined && kind !== 'vars' && kind !== 'children')
        return m.problems.push(`${at}: unknown section type "[${name}:${kind}]" (allowed: [${name}], [${name}:vars], [${name}:children])`);
      section = { kind: kind ?? 'hosts', group: groupOf(m, name, at) };
      return;
    }
    if (section.kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) return m.problems.push(`${at}: expected key=value in [${section.group.name}:vars]`);
      const key = line.slice(0, eq).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return m.problems.push(`${at}: bad variable name "${key}"`);
      section.group.vars.set(key, { value: unquote(line.slice(eq + 1).trim()), at });
      return;
    }
    if (section.kind === 'children') {
      const child = line.replace(/\s+[#;].*$/, '');
      if (!GROUP_NAME.test(child)) return m.problems.push(`${at}: expected one group name per line in [${section.group.name}:children], found "${child}"`);
      groupOf(m, child, at);
      addChild(section.group, child);
      return;
    }
    hostLine(m, section.group, line, at);
  });
  return m;
}

function hostLine(m: AnsibleModel, group: AnsibleGroup, line: string, at: string): void {
  let words: string[];
  try {
    words = shellWords(line, true);
  } catch (e) {
    m.problems.push(`${at}: ${(e as Error).message}`);
    return;
  }
  const [pattern, ...assignments] = words;
  const vars: VarMap = new Map();
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : '';
    // The word itself is not echoed: it may be a password written without "=".
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return void m.problems.push(`${at}: host ${pattern}: expected key=value after the host name, found a word without "=" or with a bad name`);
    vars.set(key, { value: a.slice(eq + 1), at });
  }
  let parsed: ReturnType<typeof parseHostPattern>;
  try {
    parsed = parseHostPattern(pattern);
  } catch (e) {
    m.problems.push(`${at}: ${(e as Error).message}`);
    return;
  }
  const own: VarMap = parsed.port !== undefined ? new Map([['ansible_port', { value: parsed.port, at }], ...vars]) : vars;
  for (const name of parsed.names) addHost(m, group, name, at, own);
}

/**
 * A group var's value: one quoted string loses its quotes, as Ansible's literal evaluation
 * does; `'-o A=1' '-o B=2'` is no single string and stays as written (for shell splitting).
 */
function unquote(v: string): string {
  const q = /^'([^']*)'$|^"([^"]*)"$/.exec(v);
  return q ? (q[1] ?? q[2]) : v;
}
