import { visible } from '../text.js';
/**
 * Live progress on stderr (stdout is kept for the run folder path): a bar per host in a
 * terminal, plain lines otherwise (CI logs).
 */
export interface Progress {
  step(host: string, label: string, index: number, total: number): void;
  fraction(host: string, f: number): void;
  log(host: string, message: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { step() {}, fraction() {}, log() {}, done() {} };
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream);
}

class LineProgress implements Progress {
  private lastTenth = new Map<string, number>();
  constructor(private out: NodeJS.WritableStream) {}
  step(host: string, label: string, index: number, total: number) {
    this.lastTenth.set(host, 0);
    this.out.write(`[${host}] step ${index + 1}/${total}: ${label}\n`);
  }
  fraction(host: string, f: number) {
    // One line per 25% keeps CI logs readable.
    const q = Math.floor(f * 4);
    if (q > (this.lastTenth.get(host) ?? 0) && q < 4) {
      this.lastTenth.set(host, q);
      this.out.write(`[${host}]   ${q * 25}%\n`);
    }
  }
  log(host: string, message: string) {
    this.out.write(`[${host}] ${visible(message, false)}\n`);
  }
  done() {}
}

class TtyProgress implements Progress {
  private rows = new Map<string, { label: string; index: number; total: number; f: number }>();
  private drawn = 0;
  constructor(private out: NodeJS.WriteStream) {}
  step(host: string, label: string, index: number, total: number) {
    this.rows.set(host, { label, index, total, f: 0 });
    this.draw();
  }
  fraction(host: string, f: number) {
    const r = this.rows.get(host);
    if (r) {
      r.f = Math.min(1, f);
      this.draw();
    }
  }
  log(host: string, message: string) {
    this.clear();
    this.out.write(`[${host}] ${visible(message, false)}\n`);
    this.draw();
  }
  done() {
    this.clear();
  }
  private clear() {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
  private draw() {
    this.clear();
    const width = Math.max(10, Math.min(30, (this.out.columns || 80) - 60));
    for (const [host, r] of this.rows) {
      const filled = Math.round(r.f * width);
      const line = `${host.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${r.index + 1}/${r.total} ${r.label}`;
      this.out.write(`${line.slice(0, (this.out.columns || 80) - 1)}\n`);
    }
    this.drawn = this.rows.size;
  }
}
