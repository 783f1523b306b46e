/**
 * The executor: the only place with side effects on hosts. Hosts run concurrently (bounded by
 * `parallel`), steps on one host sequentially in plan order. Every result is saved to run.json
 * as soon as it exists; a host that fails is reported and the others go on.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { fileSafe } from '../names.js';
import type { ResolvedHost } from '../hosts/inventory.js';
import type { Plan, PlanStep } from './plan.js';
import { saveRunRecord } from '../results/store.js';
import type { Result, RunRecord } from '../results/types.js';
import { gatherFacts } from '../prepare/facts.js';
import { checkReadiness } from '../prepare/readiness.js';
import { BOOT_ID, HostJournal, activeJournals } from '../prepare/journal.js';
import { recoverLeftoverJournals } from '../prepare/recovery.js';
import { openHome } from '../prepare/home.js';
import { MachineLocks, type Lease } from './machine-locks.js';
import type { Transport } from '../transport/transport.js';
import { PHASES, type Progress } from './progress.js';
import { failed, runSteps, stepLabel, type HostSession } from './step.js';

export interface ExecuteOptions {
  plan: Plan;
  runDir: string;
  record: RunRecord;
  parallel: number;
  signal: AbortSignal;
  progress: Progress;
  connect: (host: ResolvedHost, signal: AbortSignal) => Promise<Transport>;
  /** How long to wait for another run to finish with a host (0: fail at once, naming it). */
  waitLockMs: number;
}

export async function execute(o: ExecuteOptions): Promise<void> {
  // Saves are serialised so concurrent hosts never interleave writes of run.json, and coalesced:
  // a save that has not begun yet writes the record as it is when it begins, so callers that
  // come meanwhile share it (with many hosts, one save per change would write the record
  // O(hosts^2) times).
  let saving = Promise.resolve();
  let queued: Promise<void> | null = null;
  const save = () =>
    (queued ??= saving = saving.then(() => {
      queued = null;
      return saveRunRecord(o.runDir, o.record);
    }));
  const addResult = async (r: Result) => {
    o.record.results.push(r);
    await save();
  };
  const locks = new MachineLocks();
  const queue = [...o.plan.hosts];
  // Every host's connect and commands wait on the one run signal at once: many listeners are expected.
  setMaxListeners(Math.max(10, 8 * Math.min(o.parallel, queue.length)), o.signal);
  const workers = Array.from({ length: Math.max(1, Math.min(o.parallel, queue.length)) }, async () => {
    for (let h = queue.shift(); h; h = queue.shift()) await runHost(h, o, locks, addResult, save);
  });
  await Promise.all(workers);
  await saving;
}

async function runHost(host: ResolvedHost, o: ExecuteOptions, locks: MachineLocks, addResult: (r: Result) => Promise<void>, save: () => Promise<void>): Promise<void> {
  const steps = o.plan.steps.filter((s) => s.host === host.name);
  let t: Transport | undefined;
  let journal: HostJournal | undefined;
  let lease: Lease | undefined;
  /** Index of the first step that has no result yet. */
  let next = 0;
  try {
    o.progress.phase(host.name, PHASES.connecting);
    t = await o.connect(host, o.signal);
    o.progress.phase(host.name, PHASES.checking);
    const facts = await gatherFacts(t);
    o.record.facts[host.name] = facts;
    const checks = checkReadiness(facts);
    o.record.readiness[host.name] = checks;
    const count = (st: string) => checks.filter((c) => c.status === st).length;
    o.progress.log(host.name, `readiness: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail${checks.filter((c) => c.status === 'fail').map((c) => `; FAIL ${c.title}: ${c.fix}`).join('')}`);
    const home = await openHome(t);
    const boot = await t.run(['cat', BOOT_ID], { timeoutMs: 15_000 });
    const bootId = boot.exitCode === 0 ? boot.stdout.trim() || null : null;
    // One controller at a time on a machine; the hosts of this run that are that machine share it.
    lease = await locks.acquire(t, home, `${boot.stdout.trim()}|${home.path}`, {
      runId: o.record.id,
      waitMs: o.waitLockMs,
      onWait: (holder) => {
        o.progress.log(host.name, `waiting for ${holder} to finish with this host`);
        o.progress.phase(host.name, PHASES.waiting);
      },
    });
    // With the lock held, every journal in the home that is not this run's was left by a run that is gone.
    for (const r of await recoverLeftoverJournals(t, { dir: home.journals, exclude: activeJournals().map((j) => j.id) })) {
      const what =
        r.outcome === 'unreadable' ? `left in place, nothing of it undone: ${r.errors.join('; ')}` : `what an interrupted run changed was ${r.outcome} (${r.changes.length} tuning values)${r.errors.length ? `: ${r.errors.join('; ')}` : ''}`;
      o.record.warnings.push({ code: 'leftover-tuning', message: `${host.name}: ${r.file}: ${what}` });
      o.progress.log(host.name, `restored what an interrupted run left (${r.file}: ${r.outcome})`);
    }
    await save();
    journal = new HostJournal(t, { dir: home.journals, id: `${o.record.id}-${fileSafe(host.name, 32)}-${randomBytes(2).toString('hex')}`, bootId });
    const session: HostSession = { host, transport: t, home, runDir: o.runDir, record: o.record, progress: o.progress, signal: o.signal, save, journal };
    for (; next < steps.length && !o.signal.aborted; ) {
      const group = bootGroup(steps, next);
      o.progress.step(host.name, group.map(stepLabel).join(' + '), next, steps.length, group.length);
      const { results, fatal } = await runSteps(group, session);
      for (const r of results) await addResult(r);
      next += group.length;
      o.progress.stepDone(host.name);
      if (fatal) throw new Error(fatal);
    }
    for (; next < steps.length; next++) await addResult(failed(steps[next], 'aborted', 'not run: the run was interrupted'));
  } catch (e) {
    const msg = (e as Error).message;
    o.record.hostErrors[host.name] = msg;
    o.progress.log(host.name, `failed: ${msg.split('\n')[0]}`);
    for (; next < steps.length; next++)
      await addResult(failed(steps[next], o.signal.aborted ? 'aborted' : 'failed', `not run: host failed (${msg.split('\n')[0]})`));
    await save();
  } finally {
    // What the steps left (a snapshot folder; anything a failure skipped) goes now, newest first.
    if (journal) {
      o.progress.phase(host.name, PHASES.restoring);
      const rep = await journal.restore().catch((e: Error) => ({ errors: [e.message] }));
      for (const e of rep.errors) o.record.warnings.push({ code: 'not-restored', message: e });
      if (rep.errors.length) await save();
    }
    if (lease && !lease.lock.held) o.record.warnings.push({ code: 'lock-lost', message: `${host.name}: the host lock's holder ended during the run: another controller could have used the host meanwhile` });
    if (lease) await lease.end();
    else await t?.close().catch(() => {});
    o.progress.phase(host.name, PHASES.done);
  }
}


/** The steps from `i` on that share steps[i]'s guest boot (consecutive in plan order), else steps[i] alone. */
function bootGroup(steps: PlanStep[], i: number): PlanStep[] {
  const id = steps[i].boot?.id;
  let j = i + 1;
  while (id && j < steps.length && steps[j].boot?.id === id) j++;
  return steps.slice(i, j);
}
