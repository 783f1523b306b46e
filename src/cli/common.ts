import { InputError } from '../errors.js';
import { EMPTY_INVENTORY, inventoryFrom, resolveHosts, type Inventory, type ResolvedHost } from '../hosts/inventory.js';
import { loadHostsFile, loadScenario, type LoadedScenario } from '../scenario/load.js';

export interface HostsArg {
  hosts?: string;
}

export const hostsOption = {
  hosts: { type: 'string', describe: 'hosts inventory file (YAML); not needed for the built-in host "local"' },
} as const;

export async function loadInventory(file: string | undefined): Promise<Inventory> {
  return file ? inventoryFrom(await loadHostsFile(file)) : EMPTY_INVENTORY;
}

export interface LoadedWithHosts extends LoadedScenario {
  hosts: ResolvedHost[];
}

/** Loads scenarios and resolves their hosts; all problems of all files are reported together. */
export async function loadScenarios(files: string[], inv: Inventory): Promise<LoadedWithHosts[]> {
  const problems: string[] = [];
  const out: LoadedWithHosts[] = [];
  for (const f of files) {
    try {
      const s = await loadScenario(f);
      out.push({ ...s, hosts: resolveHosts(s.scenario.hosts, inv, (i) => s.locate(['hosts', i])) });
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

export const EXIT_HELP = `Exit codes:
  0  success
  1  a gate or comparison failed
  2  bad input (usage, scenario file, hosts file, a tool's output)
  3  the run itself failed (host unreachable, probe or build error)`;
