/** Opens the transport for a resolved host: local for "local", SSH for inventory hosts. */
import type { ResolvedHost } from '../hosts/inventory.js';
import { LocalTransport } from '../transport/local.js';
import type { Transport } from '../transport/transport.js';

export interface ConnectOptions {
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
}

export async function connectHost(h: ResolvedHost, _o: ConnectOptions): Promise<Transport> {
  if (h.kind === 'local') return new LocalTransport();
  throw new Error(`SSH hosts are not available yet (${h.name})`);
}
