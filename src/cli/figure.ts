/** --figure-width and --figure-height of `run` and `report`: the plot area of every figure. */
import { InputError } from '../errors.js';
import { DEFAULT_FIGURE, FIGURE_LIMITS, type FigureSize } from '../report/plots.js';

export interface FigureArgs {
  figureWidth?: number;
  figureHeight?: number;
}

export const figureOptions = {
  'figure-width': { type: 'number', requiresArg: true, describe: `plot area width of the figures in px (default ${DEFAULT_FIGURE.width})` },
  'figure-height': { type: 'number', requiresArg: true, describe: `plot area height of the figures in px (default ${DEFAULT_FIGURE.height})` },
} as const;

/** The figure size the options ask for; a size that is not a whole number in range is bad input. */
export function figureSize(a: FigureArgs): FigureSize {
  const one = (v: number | undefined, flag: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < FIGURE_LIMITS.min || v > FIGURE_LIMITS.max)
      throw new InputError(`--${flag}: must be a whole number of px from ${FIGURE_LIMITS.min} to ${FIGURE_LIMITS.max}, got ${v}`);
    return v;
  };
  return { width: one(a.figureWidth, 'figure-width', DEFAULT_FIGURE.width), height: one(a.figureHeight, 'figure-height', DEFAULT_FIGURE.height) };
}
