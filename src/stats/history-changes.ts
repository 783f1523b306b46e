/**
 * Change points of a run history: stats/change-points.ts on every series the history holds
 * (scenario, host, deployment, benchmark, metric), with each scenario's noise threshold as the
 * smallest shift that counts. Pure: the series come from results/history.ts historySeries.
 */
import type { HistorySeries, SeriesKey } from '../results/history.js';
import { CHANGE_DEFAULTS, changePoints, type ChangePoint, type Segment } from './change-points.js';

/** The figures analysed (GLOB patterns of metric names): latency percentiles, max, mean and every syscall op; all lower-is-better. */
export const CHANGE_METRICS = ['p50', 'p99', 'p99.9', 'max', 'mean', 'syscall.*'] as const;

export interface SeriesChange extends SeriesKey {
  /** The first run after the change, and the run before it. */
  runId: string;
  startedAt: string;
  previousRunId: string;
  before: Segment;
  after: Segment;
  change: number;
  pValue: number;
  direction: ChangePoint['direction'];
  /** The change begins at the scenario's newest run. */
  newest: boolean;
}

export interface SeriesChanges extends SeriesKey {
  runs: number;
  /** Smallest relative shift counted. */
  minMagnitude: number;
  changes: SeriesChange[];
}

export interface HistoryChangeOptions {
  alpha?: number;
  /** Smallest relative shift, for every series; else the scenario's threshold, else CHANGE_DEFAULTS. */
  minMagnitude?: number;
  /** Per scenario: its noiseThreshold (results/history.ts noiseThresholds). */
  thresholds?: ReadonlyMap<string, number>;
}

/** Every series' change points, series in a stable order (scenario, benchmark, deployment, host, metric). */
export function historyChanges(series: readonly HistorySeries[], o: HistoryChangeOptions = {}): SeriesChanges[] {
  // The newest run of each scenario: a series that lacks it (a host that failed that night) does not begin a change there.
  const newest = new Map<string, string>();
  for (const s of series) {
    const last = s.startedAt.length - 1;
    const cur = newest.get(s.scenario);
    if (last >= 0 && (cur === undefined || s.startedAt[last] > cur)) newest.set(s.scenario, s.startedAt[last]);
  }
  const out = series.map((s): SeriesChanges => {
    const minMagnitude = o.minMagnitude ?? o.thresholds?.get(s.scenario) ?? CHANGE_DEFAULTS.minMagnitude;
    const key: SeriesKey = { scenario: s.scenario, host: s.host, deployment: s.deployment, benchmark: s.benchmark, metric: s.metric };
    const changes = changePoints(s.values, { alpha: o.alpha, minMagnitude, lowerIsBetter: true }).map((c) => ({
      ...key,
      runId: s.runIds[c.index],
      startedAt: s.startedAt[c.index],
      previousRunId: s.runIds[c.index - 1],
      before: c.before,
      after: c.after,
      change: c.change,
      pValue: c.pValue,
      direction: c.direction,
      newest: c.index === s.values.length - 1 && s.startedAt[c.index] === newest.get(s.scenario),
    }));
    return { ...key, runs: s.values.length, minMagnitude, changes };
  });
  const order = (s: SeriesKey) => [s.scenario, s.benchmark, s.deployment, s.host, s.metric];
  return out.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  });
}
