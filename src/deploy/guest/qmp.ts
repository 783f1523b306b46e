/**
 * A minimal QMP client over the Transport's UNIX-socket stream: one connection for a guest's
 * life, the same code for a local and a remote QEMU.
 */
import type { Duplex } from 'node:stream';
import type { Transport } from '../../transport/transport.js';

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

export interface Qmp {
  execute<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  close(): void;
}

export class QmpError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

/** One vCPU as query-cpus-fast reports it. */
export interface VcpuThread {
  vcpu: number;
  threadId: number;
}

export async function queryVcpuThreads(q: Qmp): Promise<VcpuThread[]> {
  const cpus = await q.execute<{ 'cpu-index': number; 'thread-id': number }[]>('query-cpus-fast');
  return cpus.map((c) => ({ vcpu: c['cpu-index'], threadId: c['thread-id'] })).sort((a, b) => a.vcpu - b.vcpu);
}

type Reply = { return?: unknown; error?: { class: string; desc: string }; event?: string; QMP?: unknown };

/**
 * QMP over the transport's UNIX-socket stream (local socket, or OpenSSH stream-local forwarding),
 * retrying the connect until QEMU has made the socket, the deadline passes or `signal` aborts.
 */
export async function connectQmp(t: Transport, socketPath: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Qmp> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let sock: Duplex;
  for (;;) {
    try {
      sock = await t.connectUnix(socketPath);
      break;
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (Date.now() > deadline) throw new Error(`QMP socket ${socketPath}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (opts.signal?.aborted) {
    sock.destroy();
    throw new Error('aborted');
  }
  const onAbort = () => sock.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let buf = '';
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  let greeted: (() => void) | null = null;
  let failed: Error | null = null;
  const fail = (e: Error) => {
    failed = e;
    for (const w of waiting.splice(0)) w.reject(e);
    greetFailed?.(e);
  };
  let greetFailed: ((e: Error) => void) | null = null;
  const greeting = new Promise<void>((res, rej) => {
    greeted = res;
    greetFailed = rej;
  });
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let msg: Reply;
      try {
        msg = JSON.parse(line) as Reply;
      } catch {
        fail(new Error(`QMP sent a line that is not JSON: ${line.slice(0, 100)}`));
        return;
      }
      if (msg.QMP) greeted?.();
      else if (msg.event) continue;
      else waiting.shift()?.resolve(msg);
    }
  });
  sock.on('error', fail);
  sock.on('close', () => fail(new Error('QMP connection closed')));
  await greeting;
  const send = (c: QmpCommand) =>
    new Promise<Reply>((resolve, reject) => {
      if (failed) return reject(failed);
      waiting.push({ resolve, reject });
      sock.write(JSON.stringify(c) + '\n');
    });
  const hs = await send({ execute: 'qmp_capabilities' });
  if (hs.error) throw new QmpError(hs.error.desc, 'qmp_capabilities');
  return {
    async execute<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
      const r = await send(args ? { execute: cmd, arguments: args } : { execute: cmd });
      if (r.error) throw new QmpError(`${cmd}: ${r.error.desc}`, cmd);
      return r.return as T;
    },
    close() {
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
    },
  };
}
