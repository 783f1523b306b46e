/** `unilat run` itself, imported by its command definition only when the command runs. */
import { join } from 'node:path';
import { GateFailedError, InputError, RunFailedError } from '../errors.js';
import { ciFromEnv, parseLabels } from '../results/provenance.js';
import { outcomeLines, runScenario } from '../run/lifecycle.js';
import { unknownOnly } from '../run/plan.js';
import { visible } from '../text.js';
import { parseDurationArg } from './args.js';
import { loadInventory, loadScenarios } from './load.js';
import type { Args } from './run.js';
import { figureSize } from './figure.js';
import { runSummaryLines } from './run-summary.js';
import { unknownOnlyMessage } from './suggest.js';

export async function handler(a: Args): Promise<void> {
  const durationNs = parseDurationArg(a.duration);
  const waitLockNs = parseDurationArg(a.waitLock, '--wait-lock');
  const figure = figureSize(a);
  const labels = parseLabels(a.label ?? []);
  if (!Number.isInteger(a.parallel) || a.parallel < 1) throw new InputError(`--parallel: must be a whole number >= 1, got ${a.parallel}`);
  const inv = await loadInventory(a.hosts);
  const loaded = await loadScenarios(a.scenario, inv);
  for (const l of loaded) {
    const bad = unknownOnly(l.scenario, a.only ?? []);
    if (bad.length) throw new InputError(unknownOnlyMessage(`${l.file}: `, bad, l.scenario));
  }
  const failures: string[] = [];
  const gateFailures: string[] = [];
  for (const l of loaded) {
    const o = await runScenario(l.scenario, l.file, l.hosts, {
      out: a.out,
      db: a.db ?? join(a.out, 'history.db'),
      durationNs,
      only: a.only,
      parallel: a.parallel,
      acceptNewHostKeys: a.acceptNewHostKeys,
      waitLockMs: (waitLockNs ?? 0) / 1e6,
      quiet: a.quiet,
      log: process.stderr,
      report: { figure },
      labels,
      ci: ciFromEnv(process.env),
    });
    for (const line of outcomeLines(o)) process.stderr.write(`${visible(line, false)}\n`);
    if (!a.quiet) process.stderr.write(`\n${runSummaryLines(o, process.stderr.isTTY ? process.stderr.columns || 100 : 100).join('\n')}\n`);
    if (o.record.status !== 'completed') failures.push(`${l.file}: ${o.summary}`);
    const gatesFailed = o.gates.filter((g) => !g.pass).length;
    if (gatesFailed) gateFailures.push(`${l.file}: ${gatesFailed} gate(s) failed`);
    process.stdout.write(`${o.dir}\n`);
  }
  // A failed run outranks a failed gate: its figures are incomplete.
  if (failures.length) throw new RunFailedError(failures.join('\n'));
  if (gateFailures.length) throw new GateFailedError(gateFailures.join('\n'));
}
