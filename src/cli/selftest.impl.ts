/** `unilat selftest` itself, imported by its command definition only when the command runs. */
import { join } from 'node:path';
import { InputError, RunFailedError } from '../errors.js';
import { resolveHosts } from '../hosts/inventory.js';
import { outcomeLines } from '../run/lifecycle.js';
import { runSelftest } from '../run/selftest.js';
import { parseDurationArg } from './args.js';
import { loadInventory, warnStderr } from './load.js';
import type { Args } from './selftest.js';

export async function handler(a: Args): Promise<void> {
  const durationNs = parseDurationArg(a.duration)!;
  const waitLockNs = parseDurationArg(a.waitLock, '--wait-lock');
  if (!Number.isInteger(a.repetitions) || a.repetitions < 1 || a.repetitions > 10_000) throw new InputError(`--repetitions: a whole number from 1 to 10000, got ${a.repetitions}`);
  if (!(a.tolerance > 0 && a.tolerance < 1)) throw new InputError(`--tolerance: a fraction between 0 and 1 (0.1 for ±10%), got ${a.tolerance}`);
  const inv = await loadInventory(a.hosts);
  const hosts = resolveHosts(a.host, inv, () => 'selftest', warnStderr);
  const { outcome, markdown } = await runSelftest(hosts, {
    out: a.out,
    db: a.db ?? join(a.out, 'history.db'),
    parallel: 1,
    acceptNewHostKeys: a.acceptNewHostKeys,
    waitLockMs: (waitLockNs ?? 0) / 1e6,
    quiet: a.quiet,
    log: process.stderr,
    repetitions: a.repetitions,
    durationNs,
    tolerance: a.tolerance,
  });
  for (const line of outcomeLines(outcome)) process.stderr.write(`${line}\n`);
  process.stdout.write(`${markdown}\n${outcome.dir}\n`);
  if (outcome.record.status !== 'completed') throw new RunFailedError(`selftest: ${outcome.summary}`);
}
