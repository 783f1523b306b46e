/** `unilat history` itself, imported by its command definition only when the command runs. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GateFailedError, InputError } from '../errors.js';
import { listRuns, metricNames, openHistory, trend, type History } from '../results/history.js';
import { writeAtomic } from '../results/store.js';
import { quoteWithSuggestion } from '../suggest.js';
import { DEFAULT_LIMIT, type Args } from './history.js';
import { findChanges, newestRegressions, renderChanges, renderChangesJunit } from './history-changes.js';
import { historyFile, historyNextTo } from './history-db.js';
import { writeTrendSite } from './history-html.js';
import { renderView, RUNS_HEAD, runsView, trendHead, trendView, type HistoryFormat } from './history-output.js';

/** The options only --changes reads: given without it, they would silently do nothing. */
const CHANGE_ONLY = [
  ['--fail-on-regression', (a: Args) => a.failOnRegression],
  ['--junit', (a: Args) => a.junit !== undefined],
  ['--alpha', (a: Args) => a.alpha !== undefined],
  ['--min-change', (a: Args) => a.minChange !== undefined],
] as const;

function checkArgs(a: Args): void {
  if (a.json && a.csv) throw new InputError('--json and --csv: give one of them');
  if (a.limit !== undefined && !(Number.isInteger(a.limit) && a.limit >= 1)) throw new InputError(`--limit ${a.limit}: give a whole number >= 1`);
  if (a.html !== undefined && (a.changes || a.json || a.csv)) throw new InputError('--html: give it without --changes, --json and --csv (the site shows the change points itself)');
  if (!a.changes) {
    // The site finds change points as --changes does, with the same thresholds.
    const given = CHANGE_ONLY.filter(([f, on]) => on(a) && !(a.html !== undefined && (f === '--alpha' || f === '--min-change'))).map(([f]) => f);
    if (given.length) throw new InputError(`${given.join(', ')}: only with --changes${given.every((f) => f === '--alpha' || f === '--min-change') ? ' or --html' : ''}`);
    if (a.html === undefined) return;
  }
  if (a.alpha !== undefined && !(a.alpha > 0 && a.alpha < 1)) throw new InputError(`--alpha ${a.alpha}: give a level between 0 and 1, like 0.001`);
  if (a.minChange !== undefined && !(a.minChange >= 0 && a.minChange < 10)) throw new InputError(`--min-change ${a.minChange}: give a fraction like 0.05`);
  // Checked before any work, as compare's --junit.
  if (a.junit !== undefined) {
    const folder = dirname(a.junit);
    if (!(existsSync(folder) && statSync(folder).isDirectory())) throw new InputError(`--junit: ${folder} is not a folder (create it first)`);
  }
}

/** The metrics with figures, for an --metric that has none. */
function unknownMetric(db: History, file: string, a: Args): InputError {
  const known = metricNames(db, { scenario: a.scenario, host: a.host });
  const scope = [a.scenario && `scenario ${a.scenario}`, a.host && `host ${a.host}`].filter(Boolean).join(', ');
  // An op is named syscall.<op>; a bare op name is the usual slip.
  const asOp = `syscall.${a.metric}`;
  const named = known.includes(asOp) ? `"${a.metric}" (did you mean "${asOp}"?)` : quoteWithSuggestion(a.metric!, known);
  return new InputError(`--metric ${named}: no figures recorded in ${file}${scope ? ` for ${scope}` : ''}; ${known.length ? `metrics with figures: ${known.join(', ')}` : 'no metric has figures there'}`);
}

async function changes(db: History, file: string, a: Args, format: HistoryFormat): Promise<void> {
  const { series, rows } = findChanges(db, { scenario: a.scenario, host: a.host, metric: a.metric, limit: a.limit, alpha: a.alpha, minMagnitude: a.minChange });
  if (a.metric && !series.length) throw unknownMetric(db, file, a);
  if (!rows.length && format === 'table') process.stdout.write(`no change points in ${series.length} series\n`);
  else process.stdout.write(renderChanges(rows, format));
  if (a.junit !== undefined) await writeAtomic(a.junit, renderChangesJunit(series, rows));
  const bad = newestRegressions(rows);
  if (a.failOnRegression && bad.length)
    throw new GateFailedError(`${bad.length} series regressed at the newest run: ${bad.map((r) => `${r.benchmark}/${r.deployment}@${r.host} ${r.metric} ${r.change >= 0 ? '+' : ''}${(100 * r.change).toFixed(1)}% (${r.runId})`).join('; ')}`);
}

export async function handler(a: Args): Promise<void> {
  checkArgs(a);
  const format: HistoryFormat = a.json ? 'json' : a.csv ? 'csv' : 'table';
  if (a.folder !== undefined && a.db === undefined && !historyNextTo(a.folder))
    throw new InputError(`${a.folder}: no history.db there (give an --out folder of runs, a run folder in one, or --db FILE)`);
  const file = historyFile(a.db, a.folder ? [a.folder] : []);
  const db = openHistory(file, 'read');
  try {
    if (a.html !== undefined) {
      // Before anything is written: an empty site would replace a good one.
      if (a.metric && !metricNames(db, { scenario: a.scenario, host: a.host }).includes(a.metric)) throw unknownMetric(db, file, a);
      const n = await writeTrendSite(db, file, a.html, { scenario: a.scenario, host: a.host, metric: a.metric, limit: a.limit, alpha: a.alpha, minMagnitude: a.minChange });
      process.stdout.write(`${join(a.html, 'index.html')} (${n} series)\n`);
    } else if (a.changes) await changes(db, file, a, format);
    else if (a.metric) {
      // Oldest first, as the run list: the newest `limit` runs' figures.
      const points = trend(db, { metric: a.metric, scenario: a.scenario, host: a.host, limit: a.limit ?? DEFAULT_LIMIT });
      if (!points.length) throw unknownMetric(db, file, a);
      process.stdout.write(renderView(trendView(a.metric, points), format, trendHead(a.metric)));
    } else {
      const runs = listRuns(db, { scenario: a.scenario, host: a.host, limit: a.limit ?? DEFAULT_LIMIT }).reverse();
      if (!runs.length && format === 'table') process.stdout.write('no runs recorded\n');
      else process.stdout.write(renderView(runsView(runs), format, RUNS_HEAD));
    }
  } finally {
    db.close();
  }
}
