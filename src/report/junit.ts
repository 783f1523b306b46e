/**
 * JUnit XML (pure) for CI dashboards: one testcase per gated comparison row or gate outcome,
 * a <failure> for each regression or failed gate, <skipped> for a gate not evaluated (a skip
 * is not a pass).
 */
import type { Comparison } from '../stats/compare.js';
import type { GateOutcome } from '../stats/gates.js';
import { escapeMarkup as esc } from './escape.js';

export interface JunitCase {
  classname: string;
  name: string;
  /** Failure message; absent when the case passed. */
  failure?: string;
  /** Why the case was not evaluated; absent when it was. */
  skipped?: string;
  /** Text shown with the case either way. */
  output?: string;
}

/** A JUnit document with one test suite per entry. */
export function renderJunit(suites: ReadonlyArray<{ name: string; cases: readonly JunitCase[] }>): string {
  const tests = suites.reduce((a, s) => a + s.cases.length, 0);
  const count = (cases: readonly JunitCase[], k: 'failure' | 'skipped') => cases.filter((c) => c[k] !== undefined).length;
  const failures = suites.reduce((a, s) => a + count(s.cases, 'failure'), 0);
  const skipped = suites.reduce((a, s) => a + count(s.cases, 'skipped'), 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="unilat" tests="${tests}" failures="${failures}" skipped="${skipped}">`];
  for (const s of suites) {
    out.push(`  <testsuite name="${esc(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, 'failure')}" errors="0" skipped="${count(s.cases, 'skipped')}">`);
    for (const c of s.cases) {
      out.push(`    <testcase classname="${esc(c.classname)}" name="${esc(c.name)}">`);
      if (c.failure !== undefined) out.push(`      <failure message="${esc(c.failure)}">${esc(c.failure)}</failure>`);
      else if (c.skipped !== undefined) out.push(`      <skipped message="${esc(c.skipped)}"/>`);
      if (c.output) out.push(`      <system-out>${esc(c.output)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** Test cases of a comparison: the gated rows; a row that got worse fails, one that cannot be judged (too few samples) is skipped. */
export function comparisonCases(c: Comparison): JunitCase[] {
  return c.rows
    .filter((r) => r.gated)
    .map((r) => {
      const iv = r.ratioLow === null ? '' : ` [${r.ratioLow.toFixed(3)}, ${r.ratioHigh!.toFixed(3)}]`;
      const text = `${r.metric}: ${r.baseline} -> ${r.candidate} ns, ratio ${r.ratio.toFixed(3)}${iv}, p=${r.p ?? '-'}, ${r.verdict}${r.note ? ` (${r.note})` : ''}`;
      return {
        classname: r.key,
        name: r.metric,
        output: text,
        failure: r.verdict === 'worse' ? `regression beyond +${+(r.threshold * 100).toFixed(2)}%: ${text}` : undefined,
        skipped: r.withheld,
      };
    });
}

/** Test cases of gate outcomes; a failed gate fails. */
export function gateCases(outcomes: readonly GateOutcome[]): JunitCase[] {
  return outcomes.map((o) => ({
    classname: o.key,
    name: o.gate,
    output: o.detail,
    failure: o.pass || o.skipped ? undefined : o.detail,
    skipped: o.skipped ? o.detail : undefined,
  }));
}

/** JUnit XML of one comparison. */
export function renderComparisonJunit(c: Comparison): string {
  return renderJunit([{ name: `compare ${c.candidateId ?? 'candidate'} vs ${c.baselineId ?? 'baseline'}`, cases: comparisonCases(c) }]);
}

/** JUnit XML of gate outcomes. */
export function renderGatesJunit(outcomes: readonly GateOutcome[], name = 'gates'): string {
  return renderJunit([{ name, cases: gateCases(outcomes) }]);
}
