import { visible } from '../text.js';
/**
 * Live progress on stderr (stdout is kept for the run folder path): a bar per host in a
 * terminal, plain lines otherwise (CI logs, no carriage returns or cursor moves). Each host
 * goes through phases (connecting, checking the host, building the probe, booting a guest,
 * measuring, restoring) step by step, and its progress reaches 100% when its last step ends;
 * the run's own row ('unilat') says when the reports are written. A phase that lasts says so
 * as it goes: the bar counts its seconds, the plain lines repeat it every HEARTBEAT_MS.
 */
export interface Progress {
  /** A host starts step `index` (0-based) of `total`, and the `size` - 1 after it that run with it (one guest boot's). */
  step(host: string, label: string, index: number, total: number, size?: number): void;
  /** What a host (or 'unilat', the run itself) is doing now, within its step if it has one. */
  phase(host: string, phase: string): void;
  /** How far the host's current step is (0..1). */
  fraction(host: string, f: number): void;
  /** The host's current step ended (its progress moves to the step's end: 100% after the last). */
  stepDone(host: string): void;
  log(host: string, message: string): void;
  done(): void;
}

/** The phases a run goes through, as the progress names them. */
export const PHASES = {
  connecting: 'connecting',
  checking: 'checking the host',
  waiting: 'waiting for the host lock',
  tuning: 'applying tuning',
  probe: 'building the probe',
  guestProbe: 'building the guest probe',
  booting: 'booting the guest',
  measuring: 'measuring',
  restoring: 'restoring the host',
  /** A host's part of the run has ended. */
  done: 'done',
  reports: 'writing reports',
  written: 'reports written',
} as const;

/** Phases that end a row: not repeated, and no seconds counted. */
const FINAL = new Set<string>([PHASES.done, PHASES.written]);

/** How often a plain-lines progress repeats a phase that has printed nothing else meanwhile. */
export const HEARTBEAT_MS = 10_000;

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { step() {}, phase() {}, fraction() {}, stepDone() {}, log() {}, done() {} };
  return stream.isTTY ? new TtyProgress(stream) : new LineProgress(stream);
}

/** A host's place: its step, the step's fraction, its phase and since when. */
interface Row {
  label: string;
  index: number;
  /** Steps the current one stands for (a guest boot's). */
  size: number;
  total: number;
  f: number;
  phase: string;
  since: number;
}

/** Whole percent of a host's run so far (its steps before this one, and this one's fraction). */
function percent(r: Row): number {
  return r.total ? Math.floor((100 * (r.index + r.size * Math.min(1, r.f))) / r.total) : 0;
}

/** "2/6", or "2-4/6" for the steps of one guest boot. */
function stepRange(r: Row): string {
  return `${r.index + 1}${r.size > 1 ? `-${r.index + r.size}` : ''}/${r.total}`;
}

class Rows {
  readonly rows = new Map<string, Row>();
  get(host: string): Row {
    let r = this.rows.get(host);
    if (!r) this.rows.set(host, (r = { label: '', index: 0, size: 1, total: 0, f: 0, phase: '', since: Date.now() }));
    return r;
  }
}

class LineProgress implements Progress {
  private rows = new Rows();
  /** Quarters of the current step already printed, per host. */
  private quarter = new Map<string, number>();
  private last = new Map<string, number>();
  private timer: NodeJS.Timeout;
  constructor(private out: NodeJS.WritableStream) {
    this.timer = setInterval(() => this.heartbeat(), 1000).unref();
  }
  private line(host: string, text: string) {
    this.last.set(host, Date.now());
    this.out.write(`[${visible(host, false)}] ${text}\n`);
  }
  step(host: string, label: string, index: number, total: number, size = 1) {
    // Each step names its phases again.
    Object.assign(this.rows.get(host), { label, index, size, total, f: 0, phase: '' });
    this.quarter.set(host, 0);
    this.line(host, `step ${stepRange(this.rows.get(host))}: ${visible(label, false)}`);
  }
  phase(host: string, phase: string) {
    const r = this.rows.get(host);
    if (r.phase === phase) return;
    Object.assign(r, { phase, since: Date.now() });
    this.line(host, `${r.total ? '  ' : ''}${phase}`);
  }
  fraction(host: string, f: number) {
    // One line per 25% keeps CI logs readable; 100% is the step's end (stepDone).
    const q = Math.floor(Math.min(1, f) * 4);
    this.rows.get(host).f = Math.min(1, f);
    if (q > (this.quarter.get(host) ?? 0) && q < 4) {
      this.quarter.set(host, q);
      this.line(host, `  ${q * 25}%`);
    }
  }
  stepDone(host: string) {
    const r = this.rows.get(host);
    r.f = 1;
    this.quarter.set(host, 4);
    this.line(host, `  100%${r.total > 1 ? ` (${percent(r)}% of ${host}'s steps)` : ''}`);
  }
  log(host: string, message: string) {
    this.line(host, visible(message, false));
  }
  done() {
    clearInterval(this.timer);
  }
  private heartbeat() {
    const now = Date.now();
    for (const [host, r] of this.rows.rows)
      if (r.phase && !FINAL.has(r.phase) && now - (this.last.get(host) ?? 0) >= HEARTBEAT_MS) this.line(host, `${r.total ? '  ' : ''}still ${r.phase} (${Math.round((now - r.since) / 1000)} s)`);
  }
}

class TtyProgress implements Progress {
  private rows = new Rows();
  private drawn = 0;
  private timer: NodeJS.Timeout;
  constructor(private out: NodeJS.WriteStream) {
    // Redrawn every second, so a long phase (a guest's boot) counts its seconds.
    this.timer = setInterval(() => this.draw(), 1000).unref();
  }
  step(host: string, label: string, index: number, total: number, size = 1) {
    Object.assign(this.rows.get(host), { label, index, size, total, f: 0 });
    this.draw();
  }
  phase(host: string, phase: string) {
    const r = this.rows.get(host);
    if (r.phase !== phase) Object.assign(r, { phase, since: Date.now() });
    this.draw();
  }
  fraction(host: string, f: number) {
    this.rows.get(host).f = Math.min(1, f);
    this.draw();
  }
  stepDone(host: string) {
    this.rows.get(host).f = 1;
    this.draw();
  }
  log(host: string, message: string) {
    this.clear();
    this.out.write(`[${visible(host, false)}] ${visible(message, false)}\n`);
    this.draw();
  }
  done() {
    clearInterval(this.timer);
    this.draw();
    // The last state stays on screen (every bar at its end), not erased.
    this.drawn = 0;
  }
  private clear() {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
  private draw() {
    this.clear();
    const cols = this.out.columns || 80;
    const width = Math.max(10, Math.min(30, cols - 60));
    const now = Date.now();
    for (const [host, r] of this.rows.rows) {
      const secs = Math.round((now - r.since) / 1000);
      const doing = r.phase ? `${r.phase}${secs >= 2 && !FINAL.has(r.phase) ? ` ${secs} s` : ''}` : '';
      let line: string;
      if (r.total) {
        const p = percent(r);
        const filled = Math.round((p / 100) * width);
        line = `${visible(host, false).padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p).padStart(3)}% ${stepRange(r)} ${visible(r.label, false)}${doing ? `: ${doing}` : ''}`;
      } else line = `${visible(host, false).padEnd(12)} ${doing}`;
      this.out.write(`${[...line].slice(0, cols - 1).join('')}\n`);
    }
    this.drawn = this.rows.rows.size;
  }
}
