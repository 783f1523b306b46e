/**
 * A comparison for a terminal (`unilat compare`): one line of what was compared and how, the
 * verdict table (a row per group and metric, figures in their unit), the regressions, and where
 * the whole account is (compare.md: what decided each verdict, minimum detectable effects).
 */
import type { Comparison, ComparisonRow } from '../stats/compare.js';
import { percent, ratioInterval, times } from './format.js';
import { plainTable } from './plain.js';
import { metricFigure } from './units.js';

function verdictText(r: ComparisonRow): string {
  if (r.withheld) return 'not judged (too few samples)';
  if (r.verdict === 'worse') return r.gated ? 'worse (gated)' : 'worse';
  return r.verdict;
}

/** The row's minimum detectable effect, "±4.2%" ('–' where the repetitions cannot tell). */
function mde(r: ComparisonRow): string {
  const rel = r.mde?.relative;
  return typeof rel === 'number' && Number.isFinite(rel) ? `±${+(rel * 100).toFixed(1)}%` : '–';
}

/** The comparison's lines (no file names: the caller says where compare.md is). */
export function comparisonPlainLines(c: Comparison): string[] {
  const out = [
    `Comparison: ${c.candidateId ?? 'candidate'} vs ${c.baselineId ?? 'baseline'}`,
    `ratio = candidate / baseline, ${Math.round(c.level * 100)}% bootstrap interval; a verdict needs it beyond the noise threshold (${percent(c.threshold)} unless a gate sets another)${c.correction === 'holm' ? '; Holm-corrected per group pair' : ''}`,
    '',
  ];
  if (!c.rows.length) out.push('No results to compare (no group present in both runs).');
  else
    out.push(
      ...plainTable(
        ['group', 'metric', 'baseline', 'candidate', 'ratio', 'interval', 'MDE', 'verdict'],
        c.rows.map((r) => [r.key, r.metric, metricFigure(r.metric, r.baseline), metricFigure(r.metric, r.candidate), times(r.ratio), r.ratioLow === null ? '–' : ratioInterval(r.ratioLow, r.ratioHigh), mde(r), verdictText(r)]),
        ['left', 'left', 'right', 'right', 'right', 'left', 'right', 'left'],
      ),
    );
  if (c.rows.some((r) => mde(r) !== '–')) out.push('MDE: the smallest change the repetitions could detect (80% power); – where one repetition a side cannot tell.');
  out.push('');
  if (c.regressions.length)
    out.push(
      `${c.regressions.length} gated regression(s):`,
      ...c.regressions.map((r) => `  ${r.key} ${r.metric}: ${metricFigure(r.metric, r.baseline)} -> ${metricFigure(r.metric, r.candidate)} (${times(r.ratio)}, allowed +${percent(r.threshold)})`),
    );
  else if (c.rows.some((r) => r.gated)) out.push('No gated regression.');
  else out.push("Nothing is gated here: the verdicts are reported and none fails the comparison (only the metrics of the scenario's relative gates are gated).");
  if (c.rows.some((r) => r.repetitions.baseline < 2 || r.repetitions.candidate < 2)) out.push('Some groups have one repetition on a side: their intervals cannot see how much the machine varies between runs.');
  const un = [...c.unmatched.baseline.map((k) => `${k} (only in the baseline)`), ...c.unmatched.candidate.map((k) => `${k} (only in the candidate)`)];
  if (un.length) out.push(`Not compared: ${un.join(', ')}.`);
  return out;
}
