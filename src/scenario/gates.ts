import { parseTimeNs } from './units.js';

/**
 * Gate grammar (scenario `gates:`):
 *   absolute:  "<metric> < <time>"      e.g. "p99 < 50us", "max <= 150us", "syscall.getppid < 200ns"
 *   relative:  "<metric> may not regress more than <n>%"  (or "<metric> regress < <n>%")
 * Latency metrics: min mean p50 p90 p99 p99.9 p99.99 max. Op metrics: syscall.<op> (ns/op).
 */
export type GateMetric = string;

export interface AbsoluteGate {
  type: 'absolute';
  text: string;
  metric: GateMetric;
  inclusive: boolean;
  limitNs: number;
  benchmark?: string;
  deployment?: string;
}

export interface RelativeGate {
  type: 'relative';
  text: string;
  metric: GateMetric;
  /** Allowed regression as a fraction (0.1 = 10%). */
  maxRegression: number;
  benchmark?: string;
  deployment?: string;
}

export type Gate = AbsoluteGate | RelativeGate;

export const LATENCY_METRICS = ['min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max'] as const;

function checkMetric(metric: string): string | null {
  if ((LATENCY_METRICS as readonly string[]).includes(metric)) return null;
  if (/^syscall\.[a-z_]+$/.test(metric)) return null;
  return `unknown metric "${metric}" (allowed: ${LATENCY_METRICS.join(', ')}, syscall.<op>)`;
}

/** Parses one gate; returns an error message instead of throwing. */
export function parseGate(text: string): Gate | string {
  const t = text.trim();
  let m = /^([a-z0-9_.]+)\s*(<=|<)\s*(\S+)$/.exec(t);
  if (m) {
    const bad = checkMetric(m[1]);
    if (bad) return bad;
    const limitNs = parseTimeNs(m[3], 'ns');
    if (limitNs === null || limitNs <= 0) return `"${m[3]}" is not a positive time (like 50us, 200ns)`;
    return { type: 'absolute', text: t, metric: m[1], inclusive: m[2] === '<=', limitNs };
  }
  m = /^([a-z0-9_.]+)\s+(?:may not regress (?:by )?more than|regress(?:ion)?\s*<=?)\s*(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (m) {
    const bad = checkMetric(m[1]);
    if (bad) return bad;
    return { type: 'relative', text: t, metric: m[1], maxRegression: Number(m[2]) / 100 };
  }
  return `cannot read gate "${t}" (expected like "p99 < 50us" or "p99.9 may not regress more than 10%")`;
}
