/** Small helpers shared by the benchmarks: machine facts, peak memory, summary statistics. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  memGiB: number;
  hypervisor: string | null;
}

export function machine(): Machine {
  let hypervisor: string | null = null;
  try {
    hypervisor = /Hypervisor vendor:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1].trim() ?? null;
  } catch {
    /* lscpu missing: leave it unknown */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    kernel: `${os.release()} ${os.version()}`,
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    hypervisor,
  };
}

/** Peak resident set of this process so far (VmHWM), KiB. */
export function vmHwmKiB(pid: number | 'self' = 'self'): number {
  const m = /VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** Coefficient of variation (sd / mean). */
export function cv(xs: readonly number[]): number {
  return sd(xs) / mean(xs);
}

// Two-sided 95% Student t critical values for df 1..30 (beyond: normal).
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean with a 95% t interval across repetitions: the spread a reader should expect on a rerun. */
export function meanCi(xs: readonly number[]): { mean: number; low: number; high: number; n: number } {
  const n = xs.length;
  const m = mean(xs);
  if (n < 2) return { mean: m, low: m, high: m, n };
  const h = (T95[n - 2] ?? 1.96) * (sd(xs) / Math.sqrt(n));
  return { mean: m, low: m - h, high: m + h, n };
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(digits)} G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(digits)} M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(digits)} k`;
  return x.toFixed(digits);
}

/** Arguments of the form --key=value or --flag. */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) out[m[1]] = m[2] ?? 'true';
  }
  return out;
}
