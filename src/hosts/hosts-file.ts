/**
 * `--hosts FILE`: a unilat hosts file, or an Ansible inventory (INI, YAML, or the JSON of
 * `ansible-inventory --list`), told apart by content, not by file name:
 *  - INI: the first line that is not blank or a comment is a `[section]` or a host line
 *    (no `key:` at its start);
 *  - JSON: `_meta`, or groups whose `hosts` / `children` are lists;
 *  - unilat: top-level `hosts:` / `groups:` and no `all:`;
 *  - otherwise Ansible YAML (top-level groups, usually `all:`).
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { loadHostsFile } from '../scenario/load.js';
import { MAX_YAML_BYTES, parseYaml } from '../scenario/yaml.js';
import { isMap } from './ansible-model.js';
import { parseAnsibleIni } from './ansible-ini.js';
import { inventoryFromAnsible } from './ansible-inventory.js';
import { parseAnsibleJson } from './ansible-json.js';
import { parseAnsibleYaml } from './ansible-yaml.js';
import { inventoryFrom, type Inventory } from './inventory.js';

export type HostsFormat = 'unilat' | 'ansible-ini' | 'ansible-yaml' | 'ansible-json';

export async function loadHostsInventory(file: string): Promise<Inventory> {
  const text = await readText(file);
  const format = detectHostsFormat(text);
  if (format === 'unilat') return inventoryFrom(await loadHostsFile(file));
  if (format === 'ansible-ini') return inventoryFromAnsible(parseAnsibleIni(file, text));
  const y = parseYaml(file, text);
  return inventoryFromAnsible(format === 'ansible-json' ? parseAnsibleJson(y) : parseAnsibleYaml(y));
}

export function detectHostsFormat(text: string): HostsFormat {
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  if (first === undefined) return 'unilat';
  const structured = /^(---|%|\{|- |-$)/.test(first) || /^("[^"]*"|'[^']*'|[^\s:'"[][^\s:]*)\s*:(\s|$)/.test(first);
  if (!structured) return 'ansible-ini';
  let data: unknown;
  try {
    data = parseYaml('', text).data;
  } catch {
    // Broken YAML: the unilat loader reports it with positions.
    return 'unilat';
  }
  if (!isMap(data)) return 'unilat';
  const groups = Object.values(data).filter(isMap);
  if ('_meta' in data || groups.some((g) => Array.isArray(g.hosts) || Array.isArray(g.children))) return 'ansible-json';
  if (!('all' in data) && ('hosts' in data || 'groups' in data)) return 'unilat';
  return 'ansible-yaml';
}

/** The file's text, with the size limit and messages of the YAML loader. */
async function readText(file: string): Promise<string> {
  try {
    const st = await stat(file);
    if (st.isFile() && st.size > MAX_YAML_BYTES) throw new InputError(`${file}: ${(st.size / 2 ** 20).toFixed(1)} MiB, more than a hosts file can be (${MAX_YAML_BYTES / 2 ** 20} MiB)`);
    return await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))})`);
  }
}
