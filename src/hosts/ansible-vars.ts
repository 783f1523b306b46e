/**
 * One host's merged Ansible variables -> the connection settings unilat uses. Only the
 * connection variables are read; others (ansible_python_interpreter, the lab's own) are
 * left alone. A password is accepted only as a reference to an environment variable and
 * its value never appears in a message.
 */
import { parseProxyJump } from '../transport/ssh-config.js';
import type { HostKeyChecking, InventoryHost } from './inventory.js';
import type { Located, VarMap } from './ansible-model.js';
import { shellWords } from './shell-words.js';

/** Aliases in Ansible's order of preference: the first one set wins. */
const ADDRESS = ['ansible_host', 'ansible_ssh_host'];
const PORT = ['ansible_port', 'ansible_ssh_port'];
const USER = ['ansible_user', 'ansible_ssh_user'];
const KEY = ['ansible_ssh_private_key_file', 'ansible_private_key_file'];
const PASSWORD = ['ansible_ssh_pass', 'ansible_password'];
const SSH_ARGS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args'];

const ENV_LOOKUP = /^\{\{\s*lookup\(\s*(['"])(?:ansible\.builtin\.)?env\1\s*,\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\2\s*\)\s*\}\}$/;

/** Connections other than these do not go over SSH; such hosts are left out. */
const SSH_CONNECTIONS = ['ssh', 'smart', 'paramiko', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh', 'paramiko_ssh'];

/** ssh(1) flags that take an argument (besides -o and -J, which are read). */
const FLAGS_WITH_ARG = 'bBcDEeFIiLlmOpQRSWw';

/** `-o` options that would change where or as whom ssh connects: refused, with the variable to use. */
const DESTINATION_OPTIONS: Record<string, string> = {
  hostname: 'ansible_host',
  port: 'ansible_port',
  user: 'ansible_user',
  identityfile: 'ansible_ssh_private_key_file',
  proxycommand: '-o ProxyJump=... or -J',
};

export type HostFromVars = { kind: 'ssh'; host: InventoryHost } | { kind: 'not-ssh'; connection: string; at: string } | { kind: 'bad' };

export function hostFromVars(name: string, vars: VarMap, problems: string[]): HostFromVars {
  const before = problems.length;
  const first = (keys: string[]) => keys.map((k) => [k, vars.get(k)] as const).find(([, v]) => v !== undefined && v.value !== null) as [string, Located] | undefined;
  const problem = (v: Located, key: string, what: string) => problems.push(`${v.at}: ${name}: ${key}: ${what}`);
  const text = (found: [string, Located] | undefined): string | undefined => {
    if (!found) return undefined;
    const [key, v] = found;
    if (typeof v.value !== 'string' && typeof v.value !== 'number') return void problem(v, key, `expected a string, found ${Array.isArray(v.value) ? 'a list' : `a ${typeof v.value}`}`);
    const s = String(v.value);
    if (/\{\{|\{%/.test(s)) return void problem(v, key, 'templates ({{ ... }}) are not evaluated by unilat; write the value itself');
    if (s === '') return void problem(v, key, 'empty');
    return s;
  };

  const connection = first(['ansible_connection']);
  if (connection && !SSH_CONNECTIONS.includes(String(connection[1].value))) return { kind: 'not-ssh', connection: String(connection[1].value), at: connection[1].at };

  const host: InventoryHost = { address: text(first(ADDRESS)) ?? name, agent: false, sshConfig: false };
  const port = first(PORT);
  const portText = text(port);
  if (port && portText !== undefined) {
    const n = Number(portText);
    if (!/^\d+$/.test(portText) || n < 1 || n > 65535) problem(port[1], port[0], `"${portText}" is not a port (1-65535)`);
    else host.port = n;
  }
  host.user = text(first(USER));
  host.identityFile = text(first(KEY));

  const password = first(PASSWORD);
  if (password) {
    const [key, v] = password;
    const ref = typeof v.value === 'string' ? ENV_LOOKUP.exec(v.value.trim()) : null;
    if (ref) host.passwordEnv = ref[3];
    else problem(v, key, `a literal password is refused (unilat never stores passwords); write "{{ lookup('env', 'NAME') }}" and set NAME in the environment`);
  }
  // Like ssh: without a key or password, the agent's keys (if there is an agent).
  host.agent = !host.identityFile && !host.passwordEnv && Boolean(process.env.SSH_AUTH_SOCK);

  for (const key of SSH_ARGS) {
    const v = vars.get(key);
    const s = text(v ? [key, v] : undefined);
    if (v && s !== undefined) sshArgs(s, host, v.at, (what) => problem(v, key, what));
  }
  for (const k of Object.keys(host) as (keyof InventoryHost)[]) if (host[k] === undefined) delete host[k];
  return problems.length > before ? { kind: 'bad' } : { kind: 'ssh', host };
}

/** Reads the ssh(1) options unilat honours; the first value of an option wins, as in ssh. */
function sshArgs(line: string, host: InventoryHost, at: string, problem: (what: string) => void): void {
  let words: string[];
  try {
    words = shellWords(line);
  } catch (e) {
    return problem((e as Error).message);
  }
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const flag = /^-([A-Za-z0-9])(.*)$/.exec(w);
    if (!flag) return problem(`"${w}" is not an ssh option (expected -o Key=Value or -J host)`);
    const [, letter, attached] = flag;
    let arg = attached;
    if ((letter === 'o' || letter === 'J' || FLAGS_WITH_ARG.includes(letter)) && arg === '') {
      if (i + 1 >= words.length) return problem(`-${letter} needs a value`);
      arg = words[++i];
    }
    if (letter === 'J') {
      option('proxyjump', arg);
    } else if (letter === 'o') {
      const kv = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(arg.trim());
      if (!kv) return problem(`-o ${arg}: expected Key=Value`);
      option(kv[1].toLowerCase(), kv[2].trim(), kv[1]);
    } else if (FLAGS_WITH_ARG.includes(letter)) {
      return problem(`-${letter} is not understood by unilat (of the ssh options, only -o UserKnownHostsFile, StrictHostKeyChecking, ProxyJump and -J are)`);
    }
    // Flags without a value (-q, -C, -v, -4 ...) do not change where or how unilat connects.
  }

  function option(key: string, value: string, written = key): void {
    if (seen.has(key)) return;
    seen.add(key);
    if (Object.hasOwn(DESTINATION_OPTIONS, key)) {
      if (key === 'proxycommand' && value.toLowerCase() === 'none') return;
      return problem(`-o ${written} is not supported here; use ${DESTINATION_OPTIONS[key]}`);
    }
    if (key === 'userknownhostsfile') {
      const file = value.split(/\s+/)[0];
      if (!file) return problem('UserKnownHostsFile needs a file');
      host.knownHosts = file;
    } else if (key === 'stricthostkeychecking') {
      const v = hostKeyChecking(value);
      if (!v) return problem(`StrictHostKeyChecking=${value} is not allowed (allowed: yes, accept-new, no)`);
      host.hostKeyChecking = { value: v, at };
    } else if (key === 'proxyjump') {
      try {
        host.proxyJump = parseProxyJump(value);
      } catch (e) {
        problem((e as Error).message);
      }
    }
    // Other options (ServerAliveInterval, ControlMaster ...) tune a session unilat does not share.
  }
}

function hostKeyChecking(v: string): HostKeyChecking | undefined {
  const s = v.toLowerCase();
  if (s === 'yes' || s === 'ask') return 'yes';
  if (s === 'no' || s === 'off') return 'no';
  if (s === 'accept-new') return 'accept-new';
  return undefined;
}
