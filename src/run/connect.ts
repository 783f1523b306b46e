/** Opens the transport for a resolved host: local for "local", SSH for inventory hosts. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { InventoryHost, ResolvedHost } from '../hosts/inventory.js';
import { LocalTransport } from '../transport/local.js';
import { expandPath, lookupSshConfig, readSshConfig, type SshConfigBlock } from '../transport/ssh-config.js';
import { connectSsh, type SshTarget } from '../transport/ssh.js';
import type { Transport } from '../transport/transport.js';

export interface ConnectOptions {
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
  /** ~/.ssh/config by default (UNILAT_SSH_CONFIG points elsewhere). */
  sshConfigFile?: string;
  /** Where the warning for StrictHostKeyChecking=no goes (stderr by default, even with --quiet). */
  warn?: (message: string) => void;
}

/** Hosts warned about in this process: once per host, not once per connection. */
const warned = new Set<string>();

export async function connectHost(h: ResolvedHost, o: ConnectOptions): Promise<Transport> {
  if (h.kind === 'local') return new LocalTransport();
  return connectSsh(await sshTarget(h, o), { signal: o.signal });
}

/** The hosts-file entry, completed from ~/.ssh/config where asked, with OpenSSH's defaults. */
export async function sshTarget(h: Extract<ResolvedHost, { kind: 'ssh' }>, o: ConnectOptions, blocks?: SshConfigBlock[]): Promise<SshTarget> {
  const e = h.entry;
  const home = homedir();
  const expand = (p: string) => expandPath(p, { alias: h.name, hostName: e.address, user: e.user, home, localUser: process.env.USER ?? 'root' });
  let fromConfig: ReturnType<typeof lookupSshConfig> = { identityFiles: [] };
  if (e.sshConfig) {
    const file = o.sshConfigFile ?? process.env.UNILAT_SSH_CONFIG;
    blocks ??= await readSshConfig(file);
    fromConfig = lookupSshConfig(blocks, e.address, { user: e.user }, file ?? '~/.ssh/config');
  }
  const hostKeys = hostKeyPolicy(h, e.hostKeyChecking ?? fromConfig.strictHostKeyChecking, o);
  let jump: SshTarget | undefined;
  const hops = e.proxyJump ?? fromConfig.proxyJump;
  if (h.jump && h.jump.kind === 'ssh') jump = await sshTarget(h.jump, o, blocks);
  else if (hops?.length) {
    // ProxyJump from the inventory or ssh config: hops in order; each reaches the next.
    for (const hop of hops)
      jump = {
        name: hop.host,
        address: hop.host,
        port: hop.port ?? 22,
        user: hop.user ?? e.user ?? 'root',
        identityFile: e.identityFile ? expand(e.identityFile) : fromConfig.identityFiles[0],
        useAgent: e.agent,
        knownHosts: e.knownHosts ? expand(e.knownHosts) : join(home, '.ssh', 'known_hosts'),
        ...hostKeys,
        jump,
      };
  }
  return {
    name: h.name,
    address: fromConfig.hostName ?? e.address,
    port: e.port ?? fromConfig.port ?? 22,
    user: e.user ?? fromConfig.user ?? 'root',
    identityFile: e.identityFile ? expand(e.identityFile) : fromConfig.identityFiles[0],
    passphraseEnv: e.passphraseEnv,
    passwordEnv: e.passwordEnv,
    useAgent: e.agent,
    knownHosts: expand(e.knownHosts ?? fromConfig.userKnownHostsFile ?? '~/.ssh/known_hosts'),
    ...hostKeys,
    jump,
  };
}

/**
 * StrictHostKeyChecking from an Ansible inventory (or else ~/.ssh/config): `yes` refuses unknown keys even with
 * --accept-new-host-keys, `accept-new` records them, `no` also accepts a changed key (and
 * says so, loudly). A revoked key is refused whatever is set.
 */
function hostKeyPolicy(h: Extract<ResolvedHost, { kind: 'ssh' }>, c: InventoryHost['hostKeyChecking'], o: ConnectOptions): Pick<SshTarget, 'acceptNewHostKeys' | 'acceptChangedHostKeys'> {
  if (!c) return { acceptNewHostKeys: o.acceptNewHostKeys };
  if (c.value === 'no' && !warned.has(h.name)) {
    warned.add(h.name);
    (o.warn ?? ((m) => process.stderr.write(`${m}\n`)))(
      `warning: ${h.name}: StrictHostKeyChecking=no (${c.at}): its host key is not verified, so anyone on the network path can pose as ${h.entry.address}`,
    );
  }
  return { acceptNewHostKeys: c.value !== 'yes', acceptChangedHostKeys: c.value === 'no' };
}
