/** Comparisons and gate outcomes as the run record keeps them (computed by stats/compare.ts and stats/gates.ts). */

export type Verdict = 'better' | 'worse' | 'no significant change';

export interface GroupKey {
  deployment: string;
  benchmark: string;
  host: string;
}

export interface ComparisonRow {
  /** Display key of the group, e.g. "cyclic/bare@local" or "cyclic@local: vm vs bare". */
  key: string;
  baselineGroup: GroupKey;
  candidateGroup: GroupKey;
  /** p50 p90 p99 p99.9 p99.99 max mean, or syscall.<op> (ns/op). */
  metric: string;
  baseline: number;
  candidate: number;
  ratio: number;
  /** 95% interval of the ratio; null for max (judged by the exceedance test instead). */
  ratioLow: number | null;
  ratioHigh: number | null;
  /** Rank-sum two-sided p-value (candidate vs baseline distributions; per-batch samples for ops). */
  p: number | null;
  /** Common-language effect size P(candidate > baseline); 0.5 means no tendency. */
  effect: number | null;
  verdict: Verdict;
  /** Noise threshold used for this row (a relative gate's allowance when gated by one). */
  threshold: number;
  /** Whether a regression of this row fails the comparison. */
  gated?: boolean;
  /** Samples behind each side (latency samples, or per-batch op samples). */
  samples: { baseline: number; candidate: number };
  /** Repetitions behind each side. */
  repetitions: { baseline: number; candidate: number };
  /** What decided the verdict, and why a verdict was withheld. */
  note?: string;
  /** Why this row cannot be judged at all (too few samples for its tail): a gate on it is skipped, not passed. */
  withheld?: string;
  /**
   * Holm's correction (stats/holm.ts): the family is the rows of this group pair (its gated
   * rows, or its reported rows), `level` the significance the verdict was judged at last.
   */
  holm?: { family: number; level: number };
  /** Minimum detectable effect for the repetitions this row had (stats/mde.ts). */
  mde?: Mde;
}

/** Minimum detectable effect of one row (computed by stats/mde.ts). */
export interface Mde {
  /** Repetitions behind each side. */
  repetitions: { baseline: number; candidate: number };
  /** Pooled standard deviation of the per-repetition log values; null with fewer than 2 repetitions on a side. */
  logSpread: number | null;
  /** Two-sided significance level the figures are for (the strictest level of its Holm family). */
  alpha: number;
  power: number;
  /** Smallest relative change detectable with these repetitions (0.12 = ±12%); null when the spread is unknown. */
  relative: number | null;
  /** Repetitions per side that would detect ±target; null when the spread is unknown. */
  repetitionsForTarget: number | null;
  target: number;
}

export interface Comparison {
  baselineId: string | null;
  candidateId: string | null;
  threshold: number;
  alpha: number;
  /** Multiple-comparison correction of the verdicts: Holm's, per group pair (absent in older records: none). */
  correction?: 'holm';
  level: number;
  resamples: number;
  seed: number;
  rows: ComparisonRow[];
  /** Gated rows whose verdict is worse. */
  regressions: ComparisonRow[];
  /** Groups present on one side only (not compared). */
  unmatched: { baseline: string[]; candidate: string[] };
}

export interface GateOutcome {
  /** The gate as written. */
  gate: string;
  /** What it was checked on: a result ("cyclic/bare@local#1"), a group, or the filter that matched nothing. */
  key: string;
  /** Measured value (ns for absolute gates, ratio candidate/baseline for relative ones); null when none. */
  value: number | null;
  /** Limit in ns (absolute) or as a ratio, 1 + allowance (relative). */
  limit: number;
  /** False when the gate failed; true when it passed or was skipped. */
  pass: boolean;
  /** Not evaluated (a relative gate without a baseline): the detail says why. Neither a pass nor a failure. */
  skipped?: boolean;
  detail: string;
}
