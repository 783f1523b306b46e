/** Markdown of a comparison (pure): the table a reviewer reads, with what the verdicts mean. */
import type { Comparison, ComparisonRow } from '../stats/compare.js';
import { formatNs } from '../stats/gates.js';
import { percent, pValue as fmtP, ratio3 as fmtRatio } from './format.js';
import { mdLine, mdText } from './md.js';

function verdictCell(row: ComparisonRow): string {
  if (row.verdict === 'worse') return row.gated ? '**worse** (gated)' : 'worse';
  if (row.verdict === 'better') return 'better';
  return 'no significant change';
}

/** The comparison as Markdown: header, table (one row per group and metric), regressions, unmatched groups. */
export function renderComparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  out.push(`# Comparison: ${mdText(c.candidateId ?? 'candidate')} vs ${mdText(c.baselineId ?? 'baseline')}`, '');
  out.push(
    `Ratio = candidate / baseline with a ${Math.round(c.level * 100)}% bootstrap interval (${mdText(String(c.resamples))} resamples, seed ${mdText(String(c.seed))}). ` +
      `A verdict needs the whole interval beyond the noise threshold (${percent(c.threshold)} unless a gate sets another) ` +
      `and, for p50, mean and ns/op, a rank-sum p below ${mdText(String(c.alpha))}; max is judged by an exceedance test (over per-second maxima when the run has a series). ` +
      `Samples of a run are autocorrelated, so each side's interval is widened by its batch-means design effect (variance of per-second means vs independent samples, ` +
      `with Student-t on the seconds' degrees of freedom) and the rank-sum p is corrected by it (see each row's note); results without a per-second series keep the independent-samples interval. ` +
      `Within-run batches cannot see host changes between runs: with one repetition per side, treat a verdict on a shared host with care; repetitions widen the interval by run-to-run noise. ` +
      `P(c>b) is the chance a candidate sample exceeds a baseline sample (0.5 = no tendency).`,
    '',
  );
  if (c.rows.some((r) => r.repetitions.baseline < 2 || r.repetitions.candidate < 2))
    out.push(
      '**Note:** some groups have a single repetition on a side. Their intervals cover the noise inside one run, not how much the machine changes between runs; ' +
        'use `repetitions: 3` or more (interleaved) for verdicts that survive that, and `npm run calibrate` to measure how often a machine cries wolf.',
      '',
    );
  if (!c.rows.length) out.push('No results to compare (no group present in both runs).', '');
  else {
    out.push('| Group | Metric | Baseline | Candidate | Ratio | Interval | p | P(c>b) | Verdict | Note |');
    out.push('|---|---|---:|---:|---:|---|---:|---:|---|---|');
    for (const r of c.rows) {
      const iv = r.ratioLow === null ? '–' : `[${fmtRatio(r.ratioLow)}, ${fmtRatio(r.ratioHigh)}]`;
      out.push(
        `| ${mdText(r.key)} | ${mdText(r.metric)} | ${mdText(formatNs(r.baseline))} | ${mdText(formatNs(r.candidate))} | ${fmtRatio(r.ratio)} | ${iv} | ${fmtP(r.p)} | ${
          r.effect === null ? '–' : r.effect.toFixed(3)
        } | ${verdictCell(r)} | ${mdText(r.note ?? '')} |`,
      );
    }
    out.push('');
  }
  if (c.regressions.length) {
    out.push(`## Regressions (${c.regressions.length})`, '');
    for (const r of c.regressions)
      out.push(`- ${mdLine(r.key)} ${mdText(r.metric)}: ${mdText(formatNs(r.baseline))} -> ${mdText(formatNs(r.candidate))} (x${fmtRatio(r.ratio)}, allowed +${percent(r.threshold)})`);
    out.push('');
  } else out.push('No gated regression.', '');
  if (c.unmatched.baseline.length || c.unmatched.candidate.length) {
    out.push('## Not compared', '');
    for (const k of c.unmatched.baseline) out.push(`- ${mdLine(k)}: only in the baseline`);
    for (const k of c.unmatched.candidate) out.push(`- ${mdLine(k)}: only in the candidate`);
    out.push('');
  }
  return out.join('\n');
}
