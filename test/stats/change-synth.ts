/**
 * Synthetic run histories with planted change points and stated noise, for the change-point
 * tests and the precision/recall table of BENCHMARKS.md: deterministic (seeded).
 */
import { changePoints, type ChangePointOptions } from '../../src/stats/change-points.js';
import { makeRng, normalDraw, type Rng } from '../../src/stats/dist.js';

export interface PlantedSeries {
  values: number[];
  /** Indices of the first run after each planted change. */
  changes: number[];
}

/**
 * A series of `length` runs around `level` with Gaussian noise of coefficient of variation `cv`,
 * the mean multiplied by (1 + shift) from each planted index on (shifts alternate in sign when `alternate`).
 */
export function plantedSeries(rng: Rng, length: number, cv: number, plants: Array<{ at: number; shift: number }>, level = 10_000): PlantedSeries {
  const values: number[] = [];
  let mean = level;
  const at = new Map(plants.map((p) => [p.at, p.shift]));
  for (let i = 0; i < length; i++) {
    if (at.has(i)) mean *= 1 + at.get(i)!;
    values.push(Math.max(1, mean + cv * mean * normalDraw(rng)));
  }
  return { values, changes: plants.map((p) => p.at).sort((a, b) => a - b) };
}

export interface Score {
  series: number;
  planted: number;
  found: number;
  /** Planted changes with a reported change point within ±tolerance runs. */
  truePositives: number;
  /** Reported change points with no planted change within ±tolerance runs. */
  falsePositives: number;
  /** Series of no planted change with any change point reported. */
  aaSeriesFlagged: number;
}

/** Scores the detector on series: a planted change counts once, matched to the nearest report within ±tolerance. */
export function score(series: readonly PlantedSeries[], opts: ChangePointOptions = {}, tolerance = 1): Score {
  const s: Score = { series: series.length, planted: 0, found: 0, truePositives: 0, falsePositives: 0, aaSeriesFlagged: 0 };
  for (const p of series) {
    const found = changePoints(p.values, opts).map((c) => c.index);
    s.planted += p.changes.length;
    s.found += found.length;
    const used = new Set<number>();
    for (const c of p.changes) {
      const hit = found.find((f) => !used.has(f) && Math.abs(f - c) <= tolerance);
      if (hit !== undefined) {
        used.add(hit);
        s.truePositives++;
      }
    }
    s.falsePositives += found.filter((f) => !used.has(f) && !p.changes.some((c) => Math.abs(f - c) <= tolerance)).length;
    if (!p.changes.length && found.length) s.aaSeriesFlagged++;
  }
  return s;
}

/** `count` series of `length` runs, each with one change of ±`shift` (sign alternating) planted between a quarter and three quarters in. */
export function oneChangeSeries(seed: number, count: number, length: number, cv: number, shift: number): PlantedSeries[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const at = Math.floor(length / 4 + rng() * (length / 2));
    return plantedSeries(rng, length, cv, [{ at, shift: i % 2 ? -shift / (1 + shift) : shift }]);
  });
}

/** `count` A/A series: the same noise, no change. */
export function aaSeries(seed: number, count: number, length: number, cv: number): PlantedSeries[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, () => plantedSeries(rng, length, cv, []));
}
