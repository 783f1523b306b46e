/**
 * The one interface through which the harness touches a machine (DESIGN.md "Transport").
 * Local and SSH implementations pass the same test suite. Commands are argument vectors;
 * only quote.ts turns them into a shell string, so no value from a file is ever pasted
 * into a remote shell unquoted.
 */
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
  run(cmd: Command, opts?: RunOptions): Promise<RunResult>;
  upload(localPath: string, remotePath: string, mode?: number): Promise<void>;
  /** Write bytes to a remote file (creating or replacing it). */
  writeFile(remotePath: string, data: string | Buffer, mode?: number): Promise<void>;
  read(remotePath: string): Promise<Buffer>;
  close(): Promise<void>;
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
