/**
 * cyclictest's figures checked like user input (the number rules are in results/plausible.ts):
 * each parser reads its numbers through `figure`, then `checkThread` holds a thread's figures
 * against each other and against its histogram. A problem throws ImpossibleFigureError, an
 * InputError "FILE:LINE: field: what is wrong" (the line where the parser knows it).
 */
import { InputError } from '../../errors.js';
import { figureProblem, orderProblem, type FigureKind } from '../../results/plausible.js';
import { located } from './common.js';
import type { CyclictestThread } from './result.js';

/** Where a figure stands: its line (null when not known) and its name (a JSON path, or the text's label). */
export interface Place {
  line: number | null;
  field: string;
}

/** A figure cyclictest cannot have written. A run of cyclictest fails on it (unreadable text only warns). */
export class ImpossibleFigureError extends InputError {
  constructor(problem: string) {
    super(problem);
    this.name = 'ImpossibleFigureError';
  }
}

export function refuse(file: string, at: Place, what: string): never {
  throw new ImpossibleFigureError(located(file, at.line, `${at.field}: ${what}`));
}

/** `v` when it is a plausible figure of `kind` in the file's unit; else ImpossibleFigureError at `where()`. */
export function figure(file: string, where: () => Place, v: unknown, kind: FigureKind, unitNs: number, text?: string): number {
  const problem = figureProblem(v, kind, unitNs, text);
  if (problem) refuse(file, where(), problem);
  return v as number;
}

/** The fields of a thread checkThread may name; each parser says where they stand in its file. */
export type ThreadField = 'cycles' | 'min' | 'max' | 'avg' | { bin: number };

/**
 * One thread's figures against each other (each already a plausible number): no more samples in
 * the bins than cycles; then, with samples, min <= avg <= max, every bin within [min, max] and
 * below the histogram range, and max where the overflows put it: at or above the range when
 * samples overflowed it, else the highest bin. (The lowest bin may lie above min: cyclictest
 * starts min at 1000000, and it stays there when every sample is larger.)
 */
export function checkThread(file: string, t: CyclictestThread, unitNs: number, where: (f: ThreadField) => Place): void {
  const u = unitNs === 1 ? 'ns' : 'us';
  const inRange = t.bins.reduce((s, [, c]) => s + c, 0);
  if (inRange > t.cycles) refuse(file, where('cycles'), `${t.cycles}, but the histogram holds ${inRange} samples`);
  if (t.cycles === 0) return;
  const order = orderProblem(t.min, t.max, 'exact' in t.mean ? t.mean.exact : t.mean.floor);
  if (order) refuse(file, where(order.field === 'mean' ? 'avg' : 'min'), order.what);
  for (const [v, c] of t.bins) {
    if (v < t.min) refuse(file, where({ bin: v }), `${c} samples at ${v} ${u}, below the min (${t.min} ${u})`);
    if (v > t.max) refuse(file, where({ bin: v }), `${c} samples at ${v} ${u}, above the max (${t.max} ${u})`);
    if (t.range !== null && v >= t.range) refuse(file, where({ bin: v }), `a bin at ${v} ${u}, at or above the histogram range (${t.range} ${u})`);
  }
  if (t.range === null) return;
  const overflow = t.cycles - inRange;
  const hi = t.bins.length ? t.bins[t.bins.length - 1][0] : null;
  if (overflow === 0 && hi !== null && t.max !== hi)
    refuse(file, where('max'), `${t.max} ${u}, but no sample overflowed the histogram and its highest bin is ${hi} ${u}`);
  if (overflow > 0 && t.max < t.range)
    refuse(file, where('max'), `${t.max} ${u}, below the histogram range (${t.range} ${u}) that ${overflow} samples overflowed`);
  if (overflow === t.cycles && t.min < t.range)
    refuse(file, where('min'), `${t.min} ${u}, below the histogram range (${t.range} ${u}), yet all ${t.cycles} samples overflowed it`);
}
