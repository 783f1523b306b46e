/**
 * Host locks shared by the sessions of one run: hosts of a run may be one machine (local and an
 * SSH alias of it, or several loopback addresses), and they must not lock each other out. The
 * first session to reach a machine takes its lock; later ones join it. The lock's holder lives on
 * the first session's connection, so that connection is closed only when the last session on
 * the machine has ended and the lock is released.
 */
import type { HostHome } from '../prepare/home.js';
import { lockHost, type HostLock, type LockOptions } from '../prepare/lock.js';
import type { Transport } from '../transport/transport.js';

interface Shared {
  lock: Promise<HostLock>;
  owner: Transport;
  refs: number;
  ownerEnded: boolean;
}

export interface Lease {
  readonly lock: HostLock;
  /** Ends this session's use of the machine and closes its transport (or leaves that to the last session). */
  end(): Promise<void>;
}

export class MachineLocks {
  private readonly byMachine = new Map<string, Shared>();

  /** `machine` names one machine and home: its boot id and the home's path. */
  async acquire(t: Transport, home: HostHome, machine: string, o: LockOptions): Promise<Lease> {
    let s = this.byMachine.get(machine);
    if (!s) {
      s = { lock: lockHost(t, home, o), owner: t, refs: 0, ownerEnded: false };
      this.byMachine.set(machine, s);
      s.lock.catch(() => this.byMachine.delete(machine));
    }
    s.refs++;
    let lock: HostLock;
    try {
      lock = await s.lock;
    } catch (e) {
      s.refs--;
      throw e;
    }
    const shared = s;
    let ended = false;
    return {
      lock,
      end: async () => {
        if (ended) return;
        ended = true;
        const last = --shared.refs === 0;
        if (t === shared.owner) shared.ownerEnded = true;
        else await t.close().catch(() => {});
        if (!last) return;
        this.byMachine.delete(machine);
        await lock.release().catch(() => {});
        if (shared.ownerEnded) await shared.owner.close().catch(() => {});
      },
    };
  }
}
