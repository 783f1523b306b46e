/** Loading hosts and scenarios for the commands that take them (imported only when such a command runs). */
import { InputError } from '../errors.js';
import { loadHostsInventory } from '../hosts/hosts-file.js';
import { EMPTY_INVENTORY, resolveHosts, type Inventory, type ResolvedHost } from '../hosts/inventory.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { readSshConfig } from '../transport/ssh-config.js';

/**
 * The hosts file (unilat's or an Ansible inventory, see hosts/hosts-file.ts), plus every host that ~/.ssh/config names by a plain `Host` alias (no
 * wildcards): like `ssh NAME`, such a name works in a scenario without a hosts-file entry.
 * Hosts-file entries win. UNILAT_SSH_CONFIG points elsewhere (tests).
 */
export async function loadInventory(file: string | undefined): Promise<Inventory> {
  const inv = file ? await loadHostsInventory(file) : EMPTY_INVENTORY;
  const configFile = process.env.UNILAT_SSH_CONFIG;
  let blocks: Awaited<ReturnType<typeof readSshConfig>> = [];
  try {
    blocks = await readSshConfig(configFile);
  } catch (e) {
    // A broken ~/.ssh/config must not stop local runs; one named on purpose must be right.
    if (configFile) throw new InputError(`${configFile}: ${(e as Error).message}`);
  }
  const aliases = blocks.flatMap((b) => b.patterns ?? []).filter((p) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(p) && p !== 'local');
  const fromConfig = Object.fromEntries(aliases.filter((a) => !Object.hasOwn(inv.hosts, a) && !Object.hasOwn(inv.groups, a)).map((a) => [a, { address: a, sshConfig: true, agent: Boolean(process.env.SSH_AUTH_SOCK) }]));
  return Object.keys(fromConfig).length ? { ...inv, hosts: { ...fromConfig, ...inv.hosts } } : inv;
}

export interface LoadedWithHosts extends LoadedScenario {
  hosts: ResolvedHost[];
}

/** Where what the inventory leaves out of a group is said: stderr, even with --quiet (it changes what runs). */
export const warnStderr = (message: string): void => void process.stderr.write(`warning: ${message}\n`);

/** Loads scenarios and resolves their hosts; all problems of all files are reported together. */
export async function loadScenarios(files: string[], inv: Inventory, warn = warnStderr): Promise<LoadedWithHosts[]> {
  const problems: string[] = [];
  const out: LoadedWithHosts[] = [];
  for (const f of files) {
    try {
      const s = await loadScenario(f);
      out.push({ ...s, hosts: resolveHosts(s.scenario.hosts, inv, (i) => s.locate(['hosts', i]), warn) });
    } catch (e) {
      if (e instanceof InputError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new InputError(problems);
  return out;
}

