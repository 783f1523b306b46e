/** Opens the transport for a resolved host: local for "local", SSH for inventory hosts. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedHost } from '../hosts/inventory.js';
import { LocalTransport } from '../transport/local.js';
import { lookupSshConfig, readSshConfig, expandPath, type SshConfigBlock } from '../transport/ssh-config.js';
import { connectSsh, type SshTarget } from '../transport/ssh.js';
import type { Transport } from '../transport/transport.js';

export interface ConnectOptions {
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
  /** ~/.ssh/config by default (tests point elsewhere). */
  sshConfigFile?: string;
}

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
    blocks ??= await readSshConfig(o.sshConfigFile);
    fromConfig = lookupSshConfig(blocks, e.address, {}, o.sshConfigFile ?? '~/.ssh/config');
  }
  let jump: SshTarget | undefined;
  if (h.jump && h.jump.kind === 'ssh') jump = await sshTarget(h.jump, o, blocks);
  else if (fromConfig.proxyJump?.length) {
    // ProxyJump from ssh config: hops in order; each reaches the next.
    for (const hop of fromConfig.proxyJump)
      jump = {
        name: hop.host,
        address: hop.host,
        port: hop.port ?? 22,
        user: hop.user ?? e.user ?? 'root',
        identityFile: e.identityFile ? expand(e.identityFile) : fromConfig.identityFiles[0],
        useAgent: e.agent,
        knownHosts: e.knownHosts ? expand(e.knownHosts) : join(home, '.ssh', 'known_hosts'),
        acceptNewHostKeys: o.acceptNewHostKeys,
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
    knownHosts: e.knownHosts ? expand(e.knownHosts) : join(home, '.ssh', 'known_hosts'),
    acceptNewHostKeys: o.acceptNewHostKeys,
    jump,
  };
}
