/**
 * The one place that turns a figure into text for a report: µs from ns, ns per operation,
 * ratios, p-values, percentages, durations. Every formatter gives '–' for a figure that is
 * absent or not finite, never 0 or another figure. Escaping is not done here: each format
 * escapes the text these return itself.
 */

/** What stands for an absent figure in Markdown and HTML (LaTeX writes its en dash as `--`). */
export const DASH = '–';

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** ns to µs with a sensible number of digits, for tables. */
export function us(ns: number | null | undefined): string {
  if (!finite(ns)) return DASH;
  const v = ns / 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** ns to µs with two decimals (report.md's per-result tables). */
export function us2(ns: number | null | undefined): string {
  return finite(ns) ? (ns / 1000).toFixed(2) : DASH;
}

/** ns/op with a sensible number of digits. */
export function nsop(ns: number | null | undefined): string {
  if (!finite(ns)) return DASH;
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

/** ns with one decimal, two below 10 (report.md's per-result op tables). */
export function ns1(ns: number | null | undefined): string {
  return finite(ns) ? ns.toFixed(ns < 10 ? 2 : 1) : DASH;
}

/** A duration in ms as seconds with two decimals. */
export function msAsS(ms: number | null | undefined): string {
  return finite(ms) ? (ms / 1000).toFixed(2) : DASH;
}

/** A figure of unknown scale: integers as they are, others to 5 significant digits. */
export function sig5(v: number | null | undefined): string {
  if (!finite(v)) return DASH;
  return String(Number.isInteger(v) ? v : +v.toPrecision(5));
}

/** A ratio with `digits` decimals, without its × sign (each format writes the sign its own way). */
export function ratioDigits(v: number | null | undefined, digits: number): string {
  return finite(v) ? v.toFixed(digits) : DASH;
}

/** A ratio to 3 decimals (comparisons). */
export function ratio3(v: number | null | undefined): string {
  return ratioDigits(v, 3);
}

/** A p-value: 4 decimals, exponent below 1e-4, '< 1e-300' where it underflowed. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return DASH;
  if (p === 0) return '< 1e-300';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** A fraction as a percentage with at most 2 decimals ("5%", "2.5%"). */
export function percent(fraction: number): string {
  return `${+(fraction * 100).toFixed(2)}%`;
}

/** "v [low, high]" with each figure formatted by `f`, '?' for an unknown bound ("176 [170, 206]"). */
export function withInterval(v: number, low: number | null, high: number | null, f: (x: number) => string): string {
  return `${f(v)} [${low === null ? '?' : f(low)}, ${high === null ? '?' : f(high)}]`;
}
