/**
 * The one interface through which the harness touches a machine (DESIGN.md "Transport").
 * Local and SSH implementations pass the same test suite. Commands are argument vectors;
 * only quote.ts turns them into a shell string, so no value from a file is ever pasted
 * into a remote shell unquoted.
 */
import type { Duplex } from 'node:stream';

export interface RunOptions {
  /** Bytes or text written to the command's stdin, then closed. */
  stdin?: string | Buffer;
  /** Kill the command (and fail) after this long. */
  timeoutMs?: number;
  /** Abort: the command is killed and run() rejects with an AbortError-like error. */
  signal?: AbortSignal;
  /** Streamed output chunks; when given, the chunks are not also collected in the result. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
}

export interface RunResult {
  /** Exit status; null when killed by a signal. */
  exitCode: number | null;
  signal?: string | null;
  /** Collected output, when no streaming callback took it. */
  stdout: string;
  stderr: string;
}

/** A command: an argument vector (preferred), or a script given to `sh -c` as one literal argument. */
export type Command = string[] | { script: string; args?: string[] };

export interface Transport {
  /** Host name as the user knows it ("local", or a hosts-file name). */
  readonly name: string;
  /** What the home script (host-home.ts) printed last for `given` while connecting, if it ran then (saves running it again). */
  readonly checkedHome?: { given: string; line: string };
  run(cmd: Command, opts?: RunOptions): Promise<RunResult>;
  upload(localPath: string, remotePath: string, mode?: number): Promise<void>;
  /** Write bytes to a remote file (creating or replacing it). */
  writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void>;
  read(remotePath: string): Promise<Buffer>;
  /** A new private folder (mode 0700) on the target, named `unilat-PREFIX.XXXXXX` in its temp folder; remove it with removeDir. */
  tempDir(prefix: string): Promise<string>;
  /** A byte stream to a UNIX socket on the target (over SSH: OpenSSH stream-local forwarding). */
  connectUnix(socketPath: string): Promise<Duplex>;
  close(): Promise<void>;
}

/** Removes a folder made by tempDir (and what is in it); a folder already gone is no error. */
export async function removeDir(t: Transport, dir: string): Promise<void> {
  if (!/\/unilat-[a-z0-9-]+\.[A-Za-z0-9]{6}$/.test(dir)) throw new Error(`internal: ${JSON.stringify(dir)} is no unilat temp folder`);
  const r = await t.run(['rm', '-rf', '--', dir]);
  if (r.exitCode !== 0) throw new Error(`${t.name}: cannot remove ${dir}: ${r.stderr.trim()}`);
}

/** The error a run() rejects with when its signal aborted it. */
export function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/** The transport failed to reach or keep the host (not a command's non-zero exit). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly host: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
