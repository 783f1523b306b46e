/** `unilat validate` itself, imported by its command definition only when the command runs. */
import { checkPlanSize } from '../scenario/limits.js';
import { loadInventory, loadScenarios } from './load.js';
import type { Args } from './validate.js';

export async function handler(a: Args): Promise<void> {
  const inv = await loadInventory(a.hosts);
  const loaded = await loadScenarios(a.scenario, inv);
  for (const l of loaded) checkPlanSize(`${l.file}: `, l.scenario, l.hosts.length, l.scenario.deployments.length, l.scenario.benchmarks.length);
  for (const l of loaded)
    process.stdout.write(
      `${l.file}: ok (${l.scenario.deployments.length} deployments, ${l.scenario.benchmarks.length} benchmarks, hosts: ${l.hosts.map((h) => h.name).join(', ')})\n`,
    );
}

