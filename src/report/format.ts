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

/** Below this a p-value is written as a bound: no model behind it is that exact. */
export const P_FLOOR = 1e-10;

/** A p-value: 2 significant digits, an exponent below 0.001 ("3.4e-5"), `< 1e-10` below that. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return DASH;
  if (p < P_FLOOR) return '< 1e-10';
  return p < 1e-3 ? p.toExponential(1) : String(+p.toPrecision(2));
}

/**
 * A figure of any scale to about 3 significant digits, never in exponent form: whole above
 * 100 ("4123"), one decimal above 10, two above 1, 3 significant digits below ("0.0123").
 */
export function sig3(v: number | null | undefined): string {
  if (!finite(v)) return DASH;
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return String(+v.toPrecision(3));
}

/** A latency in ns as µs with its unit ("3.71 µs", "4123 µs"). */
export function usUnit(ns: number | null | undefined): string {
  return finite(ns) ? `${sig3(ns / 1000)} µs` : DASH;
}

/** ns per operation with its unit ("46.2 ns"). */
export function nsUnit(ns: number | null | undefined): string {
  return finite(ns) ? `${sig3(ns)} ns` : DASH;
}

/** A duration in ms with its unit ("812 ms", "1534 ms"). */
export function msUnit(ms: number | null | undefined): string {
  return finite(ms) ? `${sig3(ms)} ms` : DASH;
}

/** A ratio to 3 significant digits with its sign ("×1.23", "×0.985", "×12.4"). */
export function times(v: number | null | undefined): string {
  return finite(v) ? `×${sig3(v)}` : DASH;
}

/** A ratio's bound: sig3, in powers of ten beyond 1e4 either way ("5e7"), where digits mean nothing. */
function bound(v: number): string {
  return v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3) ? v.toExponential(0).replace('+', '') : sig3(v);
}

/** A ratio interval "[1.10, 1.40]" to 3 significant digits; '–' when unknown. */
export function ratioInterval(low: number | null | undefined, high: number | null | undefined): string {
  return finite(low) && finite(high) ? `[${bound(low)}, ${bound(high)}]` : DASH;
}

/** A fraction as a percentage with at most 2 decimals ("5%", "2.5%"). */
export function percent(fraction: number): string {
  return `${+(fraction * 100).toFixed(2)}%`;
}

/** "v [low, high]" with each figure formatted by `f`, '?' for an unknown bound ("176 [170, 206]"). */
export function withInterval(v: number, low: number | null, high: number | null, f: (x: number) => string): string {
  return `${f(v)} [${low === null ? '?' : f(low)}, ${high === null ? '?' : f(high)}]`;
}
