/**
 * A minimal QMP client. Locally it speaks to the unix socket with node:net; on a remote host
 * each call is one short connection made on the target through the Transport (perl, which every
 * Debian system has in perl-base, else python3, else socat), sending the capabilities handshake
 * and the command together and reading until every reply arrived.
 */
import { connect, type Socket } from 'node:net';
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

/** Local QMP over node:net; retries the connect until the socket is there (QEMU creates it at start). */
export async function connectLocalQmp(socketPath: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Qmp> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let sock: Socket;
  for (;;) {
    try {
      sock = await new Promise<Socket>((res, rej) => {
        const s = connect(socketPath);
        s.once('connect', () => res(s));
        s.once('error', rej);
      });
      break;
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (Date.now() > deadline) throw new Error(`QMP socket ${socketPath}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let buf = '';
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  let greeted: (() => void) | null = null;
  let failed: Error | null = null;
  const greeting = new Promise<void>((r) => (greeted = r));
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Reply;
      if (msg.QMP) greeted?.();
      else if (msg.event) continue;
      else waiting.shift()?.resolve(msg);
    }
  });
  const fail = (e: Error) => {
    failed = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
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
      sock.destroy();
    },
  };
}

/**
 * Sends the lines on stdin to the socket $1 and prints what comes back until $2 replies (greeting
 * included) arrived, or 10 s passed. Fixed text: the socket path travels as an argument.
 */
const REMOTE_CLIENT = `
sock=$1; n=$2
if command -v perl >/dev/null 2>&1; then
  exec perl -MIO::Socket::UNIX -e '
    my ($p, $n) = @ARGV; my $s = IO::Socket::UNIX->new(Peer => $p) or die "connect $p: $!\\n";
    local $/; my $in = <STDIN>; print $s $in; $s->flush; local $/ = "\\n"; my $got = 0;
    local $SIG{ALRM} = sub { exit 1 }; alarm 10;
    while (defined(my $l = <$s>)) { print $l; $got++ unless $l =~ /"event"/; last if $got >= $n }' "$sock" "$n"
fi
if command -v python3 >/dev/null 2>&1; then
  exec python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); n = int(sys.argv[2])
s.sendall(sys.stdin.buffer.read()); f = s.makefile("rb"); got = 0
for l in f:
    sys.stdout.buffer.write(l); sys.stdout.flush()
    if b"\\"event\\"" not in l: got += 1
    if got >= n: break' "$sock" "$n"
fi
if command -v socat >/dev/null 2>&1; then exec socat -t 3 - "UNIX-CONNECT:$sock"; fi
echo "no perl, python3 or socat on this host for QMP" >&2; exit 127
`;

/** QMP through a Transport: each execute() is one connection on the target. */
export function transportQmp(t: Transport, socketPath: string, signal?: AbortSignal): Qmp {
  return {
    async execute<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
      const lines = [{ execute: 'qmp_capabilities' }, args ? { execute: cmd, arguments: args } : { execute: cmd }];
      const r = await t.run(
        { script: REMOTE_CLIENT, args: [socketPath, String(lines.length + 1)] },
        { stdin: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', timeoutMs: 20_000, signal },
      );
      const replies = r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Reply)
        .filter((m) => !m.event && !m.QMP);
      const last = replies[lines.length - 1];
      if (r.exitCode !== 0 && !last) throw new QmpError(`${cmd}: QMP client on ${t.name} failed (${r.exitCode}): ${r.stderr.trim()}`, cmd);
      if (!last) throw new QmpError(`${cmd}: no reply over QMP`, cmd);
      if (last.error) throw new QmpError(`${cmd}: ${last.error.desc}`, cmd);
      return last.return as T;
    },
    close() {},
  };
}

/** Waits until QEMU made its QMP socket on the target (transport path). */
export async function waitForSocket(t: Transport, socketPath: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // One remote command polls, so a slow link costs one round trip, not one per try.
  const r = await t.run(
    { script: 'i=0; while [ ! -S "$1" ]; do i=$((i+1)); [ $i -gt "$2" ] && exit 1; sleep 0.1; done', args: [socketPath, String(Math.ceil(timeoutMs / 100))] },
    { timeoutMs: timeoutMs + 10_000, signal },
  );
  if (r.exitCode !== 0 || Date.now() > deadline + 10_000) throw new Error(`QEMU made no QMP socket ${socketPath} within ${timeoutMs} ms`);
}
