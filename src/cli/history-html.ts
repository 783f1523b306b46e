/**
 * `unilat history --html DIR`: gathers every series of the history with its change points
 * (as `--changes` finds them), its runs' repetition spreads and report folders, and writes the
 * trend site (report/trend-site.ts) into DIR. A DIR that is a file or cannot be written is an
 * InputError before anything is written.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { renderTrendSite, type SiteRun, type TrendRun, type TrendSeries } from '../report/trend-site.js';
import { historySeries, listRuns, noiseThresholds, repetitionRanges, type History, type HistorySeries, type SeriesKey } from '../results/history.js';
import { writeAtomic } from '../results/store.js';
import { CHANGE_METRICS, historyChanges } from '../stats/history-changes.js';
import type { ChangesQuery } from './history-changes.js';

/** What the site shows: the series and thresholds of `--changes`. */
export type SiteQuery = ChangesQuery;

/** Runs the index lists without --limit (every series page lists all of its own). */
const INDEX_RUNS = 100;

/** DIR made (with its parents) and writable, else one line saying why. */
export function checkSiteDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`--html ${dir}: is a file, not a folder`);
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`--html ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const groupKey = (s: Omit<SeriesKey, 'metric'>) => JSON.stringify([s.scenario, s.host, s.deployment, s.benchmark]);

/** The report a run folder holds (report.html, else run.json), where the folder is still there. */
function reportOf(dir: string | null): string | undefined {
  if (!dir) return undefined;
  return ['report.html', 'run.json'].map((f) => join(dir, f)).find((f) => existsSync(f));
}

export function siteSeries(db: History, q: SiteQuery, reports: ReadonlyMap<string, string | undefined>): TrendSeries[] {
  const metrics = q.metric ? [q.metric.replace(/[*?[]/g, '[$&]')] : [...CHANGE_METRICS];
  // `max` too: each group's long-term view.
  const wanted = [...new Set([...metrics, 'max'])];
  const all = historySeries(db, { metrics: wanted, scenario: q.scenario, host: q.host, limit: q.limit });
  const shown = q.metric ? all.filter((s) => s.metric === q.metric) : all;
  const changes = historyChanges(shown, { alpha: q.alpha, minMagnitude: q.minMagnitude, thresholds: noiseThresholds(db) });
  // Run ids are unique across scenarios: a run and its group name a figure.
  const figure = (runId: string, s: Omit<SeriesKey, 'scenario'>) => JSON.stringify([runId, s.host, s.deployment, s.benchmark, s.metric]);
  const ranges = new Map(repetitionRanges(db, wanted).map((r) => [figure(r.runId, r), r]));
  const maxOf = new Map(all.filter((s) => s.metric === 'max').map((s) => [groupKey(s), s]));
  const runsOf = (s: HistorySeries): TrendRun[] =>
    s.runIds.map((runId, i) => {
      const range = ranges.get(figure(runId, s));
      const report = reports.get(runId);
      return { runId, startedAt: s.startedAt[i], value: s.values[i], ...(range ? { low: range.low, high: range.high, repetitions: range.repetitions } : {}), ...(report ? { report } : {}) };
    });
  const byKey = new Map(shown.map((s) => [JSON.stringify([groupKey(s), s.metric]), s]));
  return changes.map((c) => {
    const s = byKey.get(JSON.stringify([groupKey(c), c.metric]))!;
    const max = maxOf.get(groupKey(c)) ?? s;
    return { scenario: c.scenario, host: c.host, deployment: c.deployment, benchmark: c.benchmark, metric: c.metric, runs: runsOf(s), changes: c.changes, minMagnitude: c.minMagnitude, longTerm: { metric: max.metric, runs: runsOf(max) } };
  });
}

/** Writes the site; returns the number of series pages. */
export async function writeTrendSite(db: History, dbFile: string, dir: string, q: SiteQuery): Promise<number> {
  checkSiteDir(dir);
  const all = listRuns(db, { scenario: q.scenario, host: q.host }).map((r): SiteRun => {
    const report = reportOf(r.dir);
    return { runId: r.id, scenario: r.scenario, startedAt: r.startedAt, status: r.incomplete ? 'incomplete' : r.status, gatesPassed: r.gatesPassed, ...(report ? { report } : {}) };
  });
  const series = siteSeries(db, q, new Map(all.map((r) => [r.runId, r.report])));
  const runs = all.slice(0, q.limit ?? INDEX_RUNS);
  const abs = resolve(dir);
  for (const f of renderTrendSite({ source: dbFile, generatedAt: new Date().toISOString(), series, runs }, abs)) await writeAtomic(join(abs, f.file), f.content);
  return series.length;
}
