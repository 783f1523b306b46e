/**
 * Holm's step-down correction for a family of tests that only answer "rejected at level a?"
 * (interval verdicts have no single p-value, but each can be re-judged at any level).
 * With r hypotheses not yet rejected, every one that rejects at alpha / r is rejected and r
 * shrinks; the first step where none rejects ends it. That is Holm's procedure on the sorted
 * p-values (p(i) <= alpha / (m - i + 1) in turn), so the chance of any false rejection in the
 * family stays at most alpha, whatever the dependence between the tests.
 */

export interface HolmStep<T> {
  item: T;
  /** Whether the item was rejected (a verdict called). */
  rejected: boolean;
  /** The level it was judged at last: alpha / r at the step it was rejected, or where the procedure stopped. */
  level: number;
}

/**
 * Runs Holm's procedure over `items`. `rejects(item, level)` must be monotone in level (a test
 * that rejects at some level rejects at every larger one).
 */
export function holm<T>(items: readonly T[], alpha: number, rejects: (item: T, level: number) => boolean): HolmStep<T>[] {
  const out = new Map<T, HolmStep<T>>();
  let left = [...items];
  while (left.length) {
    const level = alpha / left.length;
    const now = left.filter((it) => rejects(it, level));
    for (const it of left) out.set(it, { item: it, rejected: now.includes(it), level });
    if (!now.length) break;
    left = left.filter((it) => !now.includes(it));
  }
  return items.map((it) => out.get(it)!);
}
