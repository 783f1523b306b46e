/**
 * Numbers read from a tool's output (cyclictest's files, the probe's stream) are checked like user
 * input: a figure is right or absent. These checks say what is wrong with a number, as the end of
 * "FILE:LINE: field: what is wrong", or null; each caller adds the place and throws its own error.
 */

/** A count (samples, cycles, a bin's count) is a whole number that a double still holds exactly. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** The longest plausible latency: a day. Longer is a corrupt figure, not a measurement. */
export const MAX_LATENCY_NS = 24 * 3600 * 1e9;

/**
 * count: a whole number of things (samples, cycles, a bin's count, a thread or CPU number);
 * latency: a whole number of the tool's unit (a sample, a min, a max, a bin's value);
 * mean: a latency that need not be whole (an average, ns per op);
 * total: any finite amount >= 0 (a sum, a sum of squares, TSC ticks per op).
 */
export type FigureKind = 'count' | 'latency' | 'mean' | 'total';

/**
 * What is wrong with `v` as a figure of `kind` in the tool's unit (`unitNs`: 1 for ns, 1000 for us), or null. `text` is the
 * number as the file wrote it (a 400-digit number is shown shortened, not as Infinity).
 */
export function figureProblem(v: unknown, kind: FigureKind, unitNs = 1, text?: string): string | null {
  if (v === undefined) return 'missing';
  if (typeof v !== 'number') return `${JSON.stringify(v)} is not a number`;
  const shown = text === undefined ? String(v) : shortNumber(text);
  if (!Number.isFinite(v)) return `${shown} is ${text === undefined ? 'not a finite number' : 'too large for a number'}`;
  if (v < 0) return `${shown} is negative`;
  if ((kind === 'count' || kind === 'latency') && !Number.isInteger(v)) return `${shown} is not a whole number`;
  if (kind === 'count' && v > MAX_COUNT) return `${shown} is above 2^53 - 1, more than a count can be`;
  if ((kind === 'latency' || kind === 'mean') && v * unitNs > MAX_LATENCY_NS)
    return `${shown} ${unitNs === 1 ? 'ns' : 'us'} is longer than a day, not a latency`;
  return null;
}

/** Whether `v` is a latency figure figureProblem accepts: the fast test for long lists (raw samples). */
export function isLatency(v: unknown, unitNs = 1): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) * unitNs <= MAX_LATENCY_NS;
}

/**
 * min <= mean <= max (the mean where there is one): what is wrong and with which of them, or null.
 */
export function orderProblem(min: number, max: number, mean?: number): { field: 'min' | 'mean'; what: string } | null {
  if (min > max) return { field: 'min', what: `${min} is above the max, ${max}` };
  if (mean !== undefined && !(mean >= min && mean <= max)) return { field: 'mean', what: `${mean} is not between the min, ${min}, and the max, ${max}` };
  return null;
}

/** A long number as written, shortened for a message: "123456789012… (400 digits)". */
export function shortNumber(text: string): string {
  return text.length > 24 ? `${text.slice(0, 12)}… (${text.length} digits)` : text;
}
