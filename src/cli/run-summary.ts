/**
 * What `unilat run` says at the end of each scenario, on stderr (stdout ends with the run
 * folder): how it ended, the headline table in a terminal's form, the warnings counted by
 * code, and where the report is.
 */
import { join } from 'node:path';
import { compactHeadline } from '../report/headline.js';
import { warningsTable, failuresTable } from '../report/sections.js';
import { cellText } from '../report/table.js';
import type { RunOutcome } from '../run/lifecycle.js';
import { visible } from '../text.js';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "4 warnings (2 overruns, 1 tuning-note, 1 load-died)", or "no warnings". */
export function warningCount(outcome: RunOutcome): string {
  const rows = warningsTable(outcome.record).rows;
  if (!rows.length) return 'no warnings';
  const byCode = new Map<string, number>();
  for (const r of rows) byCode.set(cellText(r[0]), (byCode.get(cellText(r[0])) ?? 0) + 1);
  return `${plural(rows.length, 'warning')} (${[...byCode].map(([c, n]) => `${n} ${c}`).join(', ')}): see the report's Warnings section`;
}

function seconds(record: RunOutcome['record']): string {
  const ms = Date.parse(record.endedAt ?? '') - Date.parse(record.startedAt);
  return Number.isFinite(ms) ? ` in ${ms < 60_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`}` : '';
}

/** The summary's lines, for a terminal `width` columns wide. */
export function runSummaryLines(outcome: RunOutcome, width = 100): string[] {
  const r = outcome.record;
  const steps = r.results.length;
  const failed = failuresTable(r).rows.length;
  const name = r.scenario?.name ?? r.id;
  const out = [`${name}: ${outcome.summary}, ${plural(steps, 'step')}${seconds(r)}${failed && outcome.summary === 'completed' ? `, ${failed} failed` : ''}`];
  const headline = compactHeadline(r, width);
  out.push(...(headline ? ['', ...headline, ''] : ['no completed result to show']));
  out.push(warningCount(outcome), `report: ${join(outcome.dir, 'report.html')} (also report.md, report.tex, summary.csv and the figures)`);
  return out.map((l) => visible(l, false));
}
