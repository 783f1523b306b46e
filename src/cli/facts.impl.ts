/** `unilat facts` itself, imported by its command definition only when the command runs. */
import { InputError, RunFailedError } from '../errors.js';
import { resolveHosts } from '../hosts/inventory.js';
import { connectHost } from '../run/connect.js';
import { gatherFacts } from '../prepare/facts.js';
import { checkReadiness, formatChecklist } from '../prepare/readiness.js';
import { loadInventory, warnStderr } from './load.js';
import { factLines } from './facts-output.js';
import { visible } from '../text.js';
import type { Args } from './facts.js';

export async function handler(a: Args): Promise<void> {
  const inv = await loadInventory(a.hosts);
  const names = a.host?.length ? a.host : a.hosts ? Object.keys(inv.hosts) : ['local'];
  if (!names.length) throw new InputError(`${a.hosts}: no hosts defined`);
  const hosts = resolveHosts(names, inv, () => 'command line', warnStderr);
  const ac = new AbortController();
  const out = await Promise.all(
    hosts.map(async (h) => {
      try {
        const t = await connectHost(h, { acceptNewHostKeys: a.acceptNewHostKeys, signal: ac.signal });
        try {
          const facts = await gatherFacts(t);
          return { host: h.name, facts, checklist: checkReadiness(facts) };
        } finally {
          await t.close();
        }
      } catch (e) {
        return { host: h.name, error: (e as Error).message };
      }
    }),
  );
  if (a.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else
    for (const o of out) {
      if ('error' in o) process.stdout.write(`== ${o.host}: unreachable: ${o.error}\n\n`);
      else {
        process.stdout.write(`== ${o.host}: Linux ${visible(o.facts.kernel.release, false)}${o.facts.kernel.preemptRt ? ' (PREEMPT_RT)' : ''}\n${factLines(o.facts).join('\n')}\n\n${formatChecklist(o.checklist, { host: o.host })}\n\n`);
      }
    }
  const failed = out.filter((o) => 'error' in o);
  if (failed.length) throw new RunFailedError(`${failed.length} host(s) could not be reached: ${failed.map((f) => f.host).join(', ')}`);
}

