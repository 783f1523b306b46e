/**
 * One unit per kind of figure, in every output (reports, JUnit, the terminal): latencies in
 * µs, costs per operation in ns, boot times in ms. A comparison row's metric says which it is.
 */
import { nsUnit, usUnit } from './format.js';

/** Whether a comparison metric is a cost per operation (`syscall.<op>`), not a latency. */
export function isOpMetric(metric: string): boolean {
  return metric.startsWith('syscall.');
}

/** A comparison row's figure (ns) with its unit: "46.2 ns" for an operation, "3.71 µs" for a latency. */
export function metricFigure(metric: string, ns: number | null | undefined): string {
  return isOpMetric(metric) ? nsUnit(ns) : usUnit(ns);
}
