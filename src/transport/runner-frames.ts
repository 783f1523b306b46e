/**
 * The frames the controller and the remote command runner (runner.c) exchange over one SSH exec
 * channel: u32 length (big endian) of what follows, u8 type, u32 command id, payload. The
 * payload layouts are described in runner.c, which must agree with this file.
 */

/** Frame types, controller -> runner. */
export const SPAWN = 'S';
export const STDIN = 'I';
export const KILL = 'K';
export const WRITE_FILE = 'W';
export const READ_FILE = 'R';
/** Frame types, runner -> controller. */
export const STARTED = 'P';
export const FAILED = 'F';
export const STDOUT = 'O';
export const STDERR = 'E';
export const EXITED = 'X';

/** The line the runner prints before its first frame. */
export const READY_LINE = '@@unilat-runner:ready';

/** Larger frames are a broken stream, not data (the runner refuses them too). */
export const MAX_FRAME = 64 << 20;

export interface Frame {
  type: string;
  id: number;
  payload: Buffer;
}

export function encodeFrame(type: string, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32BE(5 + payload.length, 0);
  head.write(type, 4, 'latin1');
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

function strings(list: readonly string[]): Buffer[] {
  return list.flatMap((s) => {
    if (s.includes('\0')) throw new Error(`an argument or environment value holds a NUL byte: ${JSON.stringify(s)}`);
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, b];
  });
}

/** A spawn request: the argument vector and NAME=VALUE environment entries, all literal. */
export function encodeSpawn(id: number, argv: readonly string[], env: readonly string[]): Buffer {
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(argv.length, 0);
  counts.writeUInt32BE(env.length, 4);
  return encodeFrame(SPAWN, id, Buffer.concat([counts, ...strings(argv), ...strings(env)]));
}

export function encodeKill(id: number, signal: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(signal);
  return encodeFrame(KILL, id, b);
}

/** No mode for WRITE_FILE: an existing file keeps its own. */
const KEEP_MODE = 0xffffffff;

/** Opens a file write: the bytes follow as STDIN frames of the same id, the empty one ends it. */
export function encodeWriteFile(id: number, path: string, mode?: number): Buffer {
  if (path.includes('\0') || path === '') throw new Error(`bad remote path ${JSON.stringify(path)}`);
  const m = Buffer.alloc(4);
  m.writeUInt32BE(mode === undefined ? KEEP_MODE : mode & 0o7777);
  return encodeFrame(WRITE_FILE, id, Buffer.concat([m, Buffer.from(path, 'utf8')]));
}

export function encodeReadFile(id: number, path: string): Buffer {
  if (path.includes('\0') || path === '') throw new Error(`bad remote path ${JSON.stringify(path)}`);
  return encodeFrame(READ_FILE, id, Buffer.from(path, 'utf8'));
}

/** How a command ended, from an EXITED payload. */
export function decodeExit(p: Buffer): { code: number | null; signal: number | null } {
  if (p.length !== 5) throw new Error(`bad exit frame (${p.length} bytes)`);
  const v = p.readUInt32BE(1);
  return p[0] === 1 ? { code: null, signal: v } : { code: v, signal: null };
}

/** A FAILED payload: the errno number and the runner's message. */
export function decodeFailed(p: Buffer): { errno: number; message: string } {
  if (p.length < 4) throw new Error('bad failure frame');
  return { errno: p.readUInt32BE(0), message: p.subarray(4).toString('utf8') };
}

/** Splits a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len < 5 || len > MAX_FRAME) throw new Error(`bad frame length ${len}`);
      if (this.buf.length - off - 4 < len) break;
      out.push({ type: String.fromCharCode(this.buf[off + 4]), id: this.buf.readUInt32BE(off + 5), payload: this.buf.subarray(off + 9, off + 4 + len) });
      off += 4 + len;
    }
    this.buf = this.buf.subarray(off);
    return out;
  }

  /** Bytes of an unfinished frame still waiting for the rest. */
  get pending(): number {
    return this.buf.length;
  }
}
