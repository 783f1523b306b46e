/** `unilat plan` itself, imported by its command definition only when the command runs. */
import { InputError } from '../errors.js';
import { buildPlan, unknownOnly } from '../run/plan.js';
import { formatNs } from '../scenario/units.js';
import { loadInventory, loadScenarios } from './load.js';
import { parseDurationArg } from './args.js';
import type { Args } from './plan.js';
import { unknownOnlyMessage } from './suggest.js';

export async function handler(a: Args): Promise<void> {
  const [l] = await loadScenarios([a.scenario], await loadInventory(a.hosts));
  const only = a.only ?? [];
  const bad = unknownOnly(l.scenario, only);
  if (bad.length) throw new InputError(unknownOnlyMessage(`${l.file}: `, bad, l.scenario));
  const plan = buildPlan(l.scenario, l.hosts, { durationNs: parseDurationArg(a.duration), only });
  if (a.json) {
    process.stdout.write(`${JSON.stringify(plan.steps.map((s) => ({ ...s, deployment: s.deployment.name, benchmark: s.benchmark.name })), null, 2)}\n`);
    return;
  }
  const rows = plan.steps.map((s) => [
    String(s.order + 1),
    s.host,
    `${s.deployment.name} (${s.deployment.kind})`,
    `${s.benchmark.name} (${s.benchmark.kind})`,
    s.warmup ? 'warm-up' : String(s.repetition),
    s.benchmark.kind === 'syscall' ? `${s.benchmark.batches} x ${s.benchmark.batch}` : s.benchmark.loops !== undefined ? `${s.benchmark.loops} loops` : formatNs(s.durationNs),
    s.boot ? `${s.boot.index + 1} of ${s.boot.size}` : '–',
  ]);
  process.stdout.write(table(['#', 'host', 'deployment', 'benchmark', 'repetition', 'length', 'in boot'], rows));
  process.stdout.write(`${plan.steps.length} steps on ${plan.hosts.length} host(s); hosts run concurrently, steps on one host in this order.\n`);
}


export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n') + '\n';
}
