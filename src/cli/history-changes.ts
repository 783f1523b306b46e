/**
 * `unilat history --changes`: the change points of every series in the history, what else
 * changed at each (the provenance diff between the run before and the first run after), as a
 * table, JSON, CSV or JUnit (one test case per series, failed when the newest run begins a
 * regression).
 */
import { renderJunit, type JunitCase } from '../report/junit.js';
import { historySeries, noiseThresholds, provenanceOf, type History } from '../results/history.js';
import { provenanceDiff } from '../results/provenance.js';
import type { Segment } from '../stats/change-points.js';
import { CHANGE_METRICS, historyChanges, type SeriesChange, type SeriesChanges } from '../stats/history-changes.js';
import { fmtNs, renderView, type HistoryFormat } from './history-output.js';

/** A change point as `--json` prints it: figures in ns, the relative change as a fraction. */
export interface ChangeRow extends Omit<SeriesChange, 'before' | 'after'> {
  before: SegmentOut;
  after: SegmentOut;
  /** What else differs between the run before and this one (kernel, cmdline, tuning, labels...). */
  provenance: string[];
}

interface SegmentOut {
  runs: number;
  mean: number;
  ciLow: number | null;
  ciHigh: number | null;
  stddev: number;
}

const segmentOut = (s: Segment): SegmentOut => ({ runs: s.n, mean: s.mean, ciLow: s.ciLow, ciHigh: s.ciHigh, stddev: s.stddev });

export interface ChangesQuery {
  scenario?: string;
  host?: string;
  metric?: string;
  limit?: number;
  alpha?: number;
  minMagnitude?: number;
}

/** Every series' change points with the provenance diff at each. */
export function findChanges(db: History, q: ChangesQuery): { series: SeriesChanges[]; rows: ChangeRow[] } {
  const metrics = q.metric ? [q.metric.replace(/[*?[]/g, '[$&]')] : [...CHANGE_METRICS];
  const series = historyChanges(historySeries(db, { metrics, scenario: q.scenario, host: q.host, limit: q.limit }), {
    alpha: q.alpha,
    minMagnitude: q.minMagnitude,
    thresholds: noiseThresholds(db),
  });
  const changes = series.flatMap((s) => s.changes);
  const prov = provenanceOf(db, changes.flatMap((c) => [c.runId, c.previousRunId]));
  const rows = changes.map((c): ChangeRow => {
    const a = prov.get(c.previousRunId);
    const b = prov.get(c.runId);
    return { ...c, before: segmentOut(c.before), after: segmentOut(c.after), provenance: a && b ? provenanceDiff(a, b) : ['(provenance not recorded)'] };
  });
  return { series, rows };
}

const interval = (s: SegmentOut, metric: string) => `${fmtNs(s.mean, metric)}${s.ciLow === null || s.ciHigh === null ? '' : ` [${fmtNs(s.ciLow, metric)}, ${fmtNs(s.ciHigh, metric)}]`} (${s.runs} run${s.runs === 1 ? '' : 's'})`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
const pText = (p: number) => (p < 1e-12 ? '<1e-12' : p.toPrecision(2));

const COLUMNS = ['startedAt', 'runId', 'scenario', 'benchmark', 'deployment', 'host', 'metric', 'direction', 'change', 'pValue', 'beforeMean', 'beforeCiLow', 'beforeCiHigh', 'beforeRuns', 'afterMean', 'afterCiLow', 'afterCiHigh', 'afterRuns', 'newest', 'previousRunId', 'provenance'];
export const CHANGES_HEAD = ['first run after', 'scenario', 'group', 'metric', 'change', 'p', 'before', 'after', 'what else changed'];

/** The change points in a format (JSON: an array of ChangeRow). */
export function renderChanges(rows: readonly ChangeRow[], format: HistoryFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 1)}\n`;
  return renderView(
    {
      columns: COLUMNS,
      values: rows.map((r) => ({
        startedAt: r.startedAt,
        runId: r.runId,
        scenario: r.scenario,
        benchmark: r.benchmark,
        deployment: r.deployment,
        host: r.host,
        metric: r.metric,
        direction: r.direction,
        change: r.change,
        pValue: r.pValue,
        beforeMean: r.before.mean,
        beforeCiLow: r.before.ciLow,
        beforeCiHigh: r.before.ciHigh,
        beforeRuns: r.before.runs,
        afterMean: r.after.mean,
        afterCiLow: r.after.ciLow,
        afterCiHigh: r.after.ciHigh,
        afterRuns: r.after.runs,
        newest: r.newest,
        previousRunId: r.previousRunId,
        provenance: r.provenance.join('; '),
      })),
      cells: rows.map((r) => [
        `${r.runId}${r.newest ? ' (newest)' : ''}`,
        r.scenario,
        `${r.benchmark}/${r.deployment}@${r.host}`,
        r.metric,
        `${r.direction === 'regression' ? 'REGRESSION' : 'improvement'} ${pct(r.change)}`,
        pText(r.pValue),
        interval(r.before, r.metric),
        interval(r.after, r.metric),
        r.provenance.length ? r.provenance.join('; ') : 'nothing else',
      ]),
    },
    format,
    CHANGES_HEAD,
  );
}

const seriesName = (s: SeriesChanges) => `${s.benchmark}/${s.deployment}@${s.host}`;
const changeLine = (c: ChangeRow) =>
  `${c.runId}: ${c.direction} ${pct(c.change)} (p ${pText(c.pValue)}), mean ${interval(c.before, c.metric)} -> ${interval(c.after, c.metric)}${c.provenance.length ? `; also changed: ${c.provenance.join('; ')}` : ''}`;

/** The series that regress at their scenario's newest run. */
export function newestRegressions(rows: readonly ChangeRow[]): ChangeRow[] {
  return rows.filter((r) => r.newest && r.direction === 'regression');
}

/** JUnit: a suite per scenario, a case per series; a case fails when the newest run begins a regression there. */
export function renderChangesJunit(series: readonly SeriesChanges[], rows: readonly ChangeRow[]): string {
  const bySeries = new Map<SeriesChanges, ChangeRow[]>(series.map((s) => [s, []]));
  for (const s of series) for (const r of rows) if (r.scenario === s.scenario && r.host === s.host && r.deployment === s.deployment && r.benchmark === s.benchmark && r.metric === s.metric) bySeries.get(s)!.push(r);
  const suites = new Map<string, JunitCase[]>();
  for (const [s, list] of bySeries) {
    const bad = newestRegressions(list)[0];
    const c: JunitCase = {
      classname: `${s.scenario}.${seriesName(s)}`,
      name: s.metric,
      ...(bad ? { failure: `regression at the newest run ${changeLine(bad)}` } : {}),
      output: `${s.runs} runs, changes of ${(100 * s.minMagnitude).toFixed(1)}% or more counted; ${list.length ? list.map(changeLine).join('\n') : 'no change point'}`,
    };
    suites.set(s.scenario, [...(suites.get(s.scenario) ?? []), c]);
  }
  return renderJunit([...suites].map(([name, cases]) => ({ name: `history changes: ${name}`, cases })));
}
