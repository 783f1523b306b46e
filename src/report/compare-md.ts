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

function holmText(c: Comparison): string {
  if (c.correction !== 'holm') return 'Verdicts are not corrected for multiplicity (a comparison recorded by an older unilat).';
  return (
    `Verdicts are Holm-corrected: per group pair, across the metrics it judges (its gated metrics as one family, the reported ones as another), ` +
    `so a comparison calls any change where there is none at most ${mdText(String(c.alpha))} of the time, not ${mdText(String(c.alpha))} per metric. ` +
    'A row significant alone but not after the correction says so in its note.'
  );
}

const MDE_METHOD =
  'From the spread of each metric between repetitions (pooled standard deviation s of the per-repetition log values): ' +
  'MDE = exp((z(1-a/2) + z(0.8)) · s · sqrt(1/n_b + 1/n_c)) - 1 at 80% power, with a = alpha / (the Holm family size), the strictest level the family is judged at; ' +
  'normal quantiles, so with few repetitions these are the optimistic side. A verdict also needs the change beyond the noise threshold.';

function pct1(f: number): string {
  return `${+(f * 100).toFixed(1)}%`;
}

/**
 * One sentence per group pair and metric (p99, every gated metric, and the ops of a pair
 * without either): the smallest change the comparison could detect with the repetitions it had,
 * and how many repetitions would detect the target (±5%). Plain text.
 */
export function mdeLines(c: Comparison): string[] {
  const byKey = new Map<string, ComparisonRow[]>();
  for (const r of c.rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const out: string[] = [];
  for (const [key, rows] of byKey) {
    const plain = !rows.some((r) => r.metric === 'p99' || r.gated);
    for (const r of rows.filter((x) => x.mde && (x.metric === 'p99' || x.gated || (plain && x.metric.startsWith('syscall.'))))) {
      const m = r.mde!;
      const reps = m.repetitions.baseline === m.repetitions.candidate ? `${m.repetitions.baseline} repetition${m.repetitions.baseline === 1 ? '' : 's'} per side` : `${m.repetitions.baseline} / ${m.repetitions.candidate} repetitions (baseline / candidate)`;
      out.push(
        m.relative === null || m.repetitionsForTarget === null
          ? `${key}: with ${reps} the run-to-run spread of ${r.metric} cannot be measured, so the smallest detectable change is unknown; use 2 or more repetitions per side (3 or more interleaved)`
          : `${key}: with ${reps} this host can detect a ${r.metric} change of ±${pct1(m.relative)}; ${m.repetitionsForTarget} repetitions per side would detect ±${pct1(m.target)} (alpha ${fmtP(m.alpha)}, power ${pct1(m.power)})`,
      );
    }
  }
  return out;
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
    holmText(c),
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
        `| ${mdText(r.key)} | ${mdText(r.metric)} | ${mdText(formatNs(r.baseline, r.metric))} | ${mdText(formatNs(r.candidate, r.metric))} | ${fmtRatio(r.ratio)} | ${iv} | ${fmtP(r.p)} | ${
          r.effect === null ? '–' : r.effect.toFixed(3)
        } | ${verdictCell(r)} | ${mdText(r.note ?? '')} |`,
      );
    }
    out.push('');
  }
  if (c.regressions.length) {
    out.push(`## Regressions (${c.regressions.length})`, '');
    for (const r of c.regressions)
      out.push(`- ${mdLine(r.key)} ${mdText(r.metric)}: ${mdText(formatNs(r.baseline, r.metric))} -> ${mdText(formatNs(r.candidate, r.metric))} (x${fmtRatio(r.ratio)}, allowed +${percent(r.threshold)})`);
    out.push('');
  } else if (c.rows.some((r) => r.gated)) out.push('No gated regression.', '');
  else
    out.push(
      "Nothing is gated here: the verdicts are reported, and none fails the comparison. Only the metrics of the scenario's relative gates (`gates:`) are gated; two deployments compared inside one run never are.",
      '',
    );
  const mde = mdeLines(c);
  if (mde.length) out.push('## Minimum detectable effect', '', ...mde.map((l) => `- ${mdLine(l)}`), '', MDE_METHOD, '');
  if (c.unmatched.baseline.length || c.unmatched.candidate.length) {
    out.push('## Not compared', '');
    for (const k of c.unmatched.baseline) out.push(`- ${mdLine(k)}: only in the baseline`);
    for (const k of c.unmatched.candidate) out.push(`- ${mdLine(k)}: only in the candidate`);
    out.push('');
  }
  return out.join('\n');
}
