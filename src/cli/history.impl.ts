/** `unilat history` itself, imported by its command definition only when the command runs. */
import { InputError } from '../errors.js';
import { listRuns, metricNames, openHistory, trend } from '../results/history.js';
import { quoteWithSuggestion } from '../suggest.js';
import type { Args } from './history.js';
import { historyFile, historyNextTo } from './history-db.js';
import { renderView, RUNS_HEAD, runsView, trendHead, trendView, type HistoryFormat } from './history-output.js';

export async function handler(a: Args): Promise<void> {
  if (a.json && a.csv) throw new InputError('--json and --csv: give one of them');
  const format: HistoryFormat = a.json ? 'json' : a.csv ? 'csv' : 'table';
  if (a.folder !== undefined && a.db === undefined && !historyNextTo(a.folder))
    throw new InputError(`${a.folder}: no history.db there (give an --out folder of runs, a run folder in one, or --db FILE)`);
  const file = historyFile(a.db, a.folder ? [a.folder] : []);
  const db = openHistory(file, 'read');
  try {
    if (a.metric) {
      // Oldest first, as the run list: the newest `limit` runs' figures.
      const points = trend(db, { metric: a.metric, scenario: a.scenario, host: a.host, limit: a.limit });
      if (!points.length) {
        const known = metricNames(db, { scenario: a.scenario, host: a.host });
        const scope = [a.scenario && `scenario ${a.scenario}`, a.host && `host ${a.host}`].filter(Boolean).join(', ');
        // An op is named syscall.<op>; a bare op name is the usual slip.
        const asOp = `syscall.${a.metric}`;
        const named = known.includes(asOp) ? `"${a.metric}" (did you mean "${asOp}"?)` : quoteWithSuggestion(a.metric, known);
        throw new InputError(
          `--metric ${named}: no figures recorded in ${file}${scope ? ` for ${scope}` : ''}; ${
            known.length ? `metrics with figures: ${known.join(', ')}` : 'no metric has figures there'
          }`,
        );
      }
      process.stdout.write(renderView(trendView(a.metric, points), format, trendHead(a.metric)));
    } else {
      const runs = listRuns(db, { scenario: a.scenario, host: a.host, limit: a.limit }).reverse();
      if (!runs.length && format === 'table') process.stdout.write('no runs recorded\n');
      else process.stdout.write(renderView(runsView(runs), format, RUNS_HEAD));
    }
  } finally {
    db.close();
  }
}
