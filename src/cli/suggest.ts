import { quoteWithSuggestion } from '../suggest.js';

export { closest, quoteWithSuggestion } from '../suggest.js';

/** Splits repeated and comma-separated values (`--only a,b --only c`) into one list. */
export function commaList(v: unknown): string[] {
  return [v]
    .flat(Infinity)
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `--only`'s problem line: the unknown names (with a suggestion) and every valid name. */
export function unknownOnlyMessage(where: string, bad: string[], scenario: { deployments: { name: string }[]; benchmarks: { name: string }[] }): string {
  const d = scenario.deployments.map((x) => x.name);
  const b = scenario.benchmarks.map((x) => x.name);
  return `--only: ${where}no deployment or benchmark named ${bad.map((n) => quoteWithSuggestion(n, [...d, ...b])).join(', ')} (deployments: ${d.join(', ')}; benchmarks: ${b.join(', ')})`;
}
