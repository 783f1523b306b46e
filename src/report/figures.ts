/**
 * Standalone figures for papers: one SVG per plot, and next to it the Vega-Lite spec
 * (`<name>.vl.json`, data inline) so a figure can be restyled and rendered again elsewhere.
 */
import type { RunRecord } from '../results/types.js';
import { plotsFor, renderSvg, type FigureSize } from './plots.js';

export interface FigureFile {
  file: string;
  content: string;
}

/**
 * `latency-histogram-<bench>.svg`, `exceedance-<bench>.svg`, `timeline-<bench>.svg`,
 * `syscall-<bench>.svg` and `boot-time.svg` (those the record has data for), each with its
 * `.vl.json` spec. Pure: the caller writes the files.
 */
export function renderFigures(record: RunRecord, size?: FigureSize): FigureFile[] {
  return plotsFor(record, size).flatMap((p) => [
    { file: `${p.name}.svg`, content: `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvg(p.spec)}\n` },
    { file: `${p.name}.vl.json`, content: `${JSON.stringify(p.spec, null, 2)}\n` },
  ]);
}
