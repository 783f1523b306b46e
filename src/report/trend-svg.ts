/**
 * The trend site's plots, drawn as inline SVG by hand (a few hundred elements per plot, no
 * Vega runtime needed): per run a point with its repetitions' spread as a whisker, each
 * segment between change points as its mean with the mean's 95% interval as a band, and each
 * change point as a vertical line (red for a regression, green for an improvement). Every
 * text from the history goes through the `html` tag (escaped).
 */
import { html, joinHtml, type Html } from './escape.js';
import type { Segment } from '../stats/change-points.js';

export interface PlotPoint {
  /** Where on the x axis: the run's position (trend) or its start time in ms (long-term view). */
  x: number;
  value: number;
  low?: number;
  high?: number;
  /** Tooltip text (run id, date, value). */
  label: string;
}

export interface PlotChange {
  /** x of the first point after the change. */
  x: number;
  /** x of the point before it. */
  xBefore: number;
  direction: 'regression' | 'improvement';
  label: string;
}

export interface PlotSegment extends Pick<Segment, 'mean' | 'ciLow' | 'ciHigh'> {
  x0: number;
  x1: number;
}

export interface PlotSpec {
  width: number;
  height: number;
  points: readonly PlotPoint[];
  changes?: readonly PlotChange[];
  segments?: readonly PlotSegment[];
  /** Axis labels: how a value and an x read. */
  formatValue: (v: number) => string;
  formatX: (x: number) => string;
  /** Accessible name of the plot. */
  title: string;
  /** Small plots (the index) have no axis text. */
  axes: boolean;
}

const f1 = (v: number) => v.toFixed(1);

/** Most points a small plot draws as dots. */
const SMALL_DOTS = 60;

/** A log scale where the values span more than a factor of 20 (a spike must not flatten the rest), else linear. */
const logScale = (lo: number, hi: number) => lo > 0 && hi / lo > 20;

function yScale(lo: number, hi: number, top: number, bottom: number): (v: number) => number {
  if (logScale(lo, hi)) {
    const a = Math.log(lo);
    const b = Math.log(hi);
    return (v) => bottom - ((Math.log(Math.max(v, lo)) - a) / (b - a)) * (bottom - top);
  }
  const pad = hi === lo ? Math.abs(hi) * 0.1 || 1 : (hi - lo) * 0.08;
  // Latency is never negative: the axis stops at 0 rather than below it.
  const a = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  const b = hi + pad;
  return (v) => bottom - ((v - a) / (b - a)) * (bottom - top);
}

export function trendSvg(p: PlotSpec): Html {
  const m = p.axes ? { l: 64, r: 12, t: 10, b: 28 } : { l: 4, r: 4, t: 4, b: 4 };
  const ys = p.points.flatMap((q) => [q.value, q.low ?? q.value, q.high ?? q.value]);
  for (const s of p.segments ?? []) ys.push(s.mean, s.ciLow ?? s.mean, s.ciHigh ?? s.mean);
  const xs = p.points.map((q) => q.x);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const X = (x: number) => (x1 === x0 ? (m.l + p.width - m.r) / 2 : m.l + ((x - x0) / (x1 - x0)) * (p.width - m.l - m.r));
  const Y = yScale(lo, hi, m.t, p.height - m.b);
  const r = p.axes ? 3 : 2;
  const bands = (p.segments ?? []).map((s) => {
    const a = X(s.x0) - r;
    const w = Math.max(X(s.x1) - X(s.x0) + 2 * r, 1);
    const band = s.ciLow !== null && s.ciHigh !== null ? html`<rect class="band" x="${f1(a)}" y="${f1(Y(s.ciHigh))}" width="${f1(w)}" height="${f1(Math.max(Y(s.ciLow) - Y(s.ciHigh), 0.5))}"/>` : html``;
    return html`${band}<line class="mean" x1="${f1(a)}" x2="${f1(a + w)}" y1="${f1(Y(s.mean))}" y2="${f1(Y(s.mean))}"/>`;
  });
  const changes = (p.changes ?? []).map((c) => {
    const x = (X(c.x) + X(c.xBefore)) / 2;
    return html`<line class="cp ${c.direction}" data-change="${c.direction}" x1="${f1(x)}" x2="${f1(x)}" y1="${m.t}" y2="${p.height - m.b}"><title>${c.label}</title></line>`;
  });
  // A small plot of a long history is a line: hundreds of dots would be a smudge.
  const dotted = p.axes || p.points.length <= SMALL_DOTS;
  const whiskers = p.points.flatMap((q) =>
    dotted && q.low !== undefined && q.high !== undefined ? [html`<line class="whisker" x1="${f1(X(q.x))}" x2="${f1(X(q.x))}" y1="${f1(Y(q.high))}" y2="${f1(Y(q.low))}"/>`] : [],
  );
  const path = p.points.map((q, i) => `${i ? 'L' : 'M'}${f1(X(q.x))},${f1(Y(q.value))}`).join('');
  const dots = (dotted ? p.points : []).map((q) => html`<circle class="pt" cx="${f1(X(q.x))}" cy="${f1(Y(q.value))}" r="${r}"><title>${q.label}</title></circle>`);
  const axes = p.axes
    ? html`<g class="axis"><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${p.height - m.b}"/><line x1="${m.l}" x2="${p.width - m.r}" y1="${p.height - m.b}" y2="${p.height - m.b}"/>${[lo, hi].map(
        (v) => html`<text x="${m.l - 4}" y="${f1(Y(v) + 4)}" text-anchor="end">${p.formatValue(v)}</text>`,
      )}${logScale(lo, hi) ? html`<text x="${m.l + 4}" y="${m.t + 10}">log scale</text>` : html``}<text x="${m.l}" y="${p.height - 8}">${p.formatX(x0)}</text><text x="${p.width - m.r}" y="${p.height - 8}" text-anchor="end">${p.formatX(x1)}</text></g>`
    : html``;
  return html`<svg class="trend" xmlns="http://www.w3.org/2000/svg" role="img" width="${p.width}" height="${p.height}" viewBox="0 0 ${p.width} ${p.height}"><title>${p.title}</title>${axes}${bands}${changes}${whiskers}<path class="line" d="${path}"/>${joinHtml(dots, '')}</svg>`;
}
