/**
 * What ran on a CPU between a thread's planned and actual wake-up, from that CPU's events: every
 * stretch between two events belongs to what was on top then (an IRQ handler, a vector, a softirq,
 * else the current task: idle for pid 0, the late thread itself once switched in), clipped to the
 * window, summed per culprit and ranked by time.
 */
import type { Attribution, AttributionEntry } from '../../results/types.js';
import type { FtraceEvent, TaskRef } from './ftrace.js';

type Ctx = { kind: 'irq'; irq: number; name: string } | { kind: 'vector'; vector: number; name: string } | { kind: 'softirq'; vec: number; name: string };

export interface Window {
  cpu: number;
  /** The late thread's pid (tid). */
  tid: number;
  fromNs: number;
  toNs: number;
}

export function attribute(events: readonly FtraceEvent[], w: Window): Attribution {
  const onCpu = events.filter((e) => e.cpu === w.cpu);
  const prios = new Map<number, number>();
  for (const e of onCpu) {
    if (e.kind === 'switch') prios.set(e.prev.pid, e.prev.prio).set(e.next.pid, e.next.prio);
    else if (e.kind === 'wakeup') prios.set(e.task.pid, e.task.prio);
  }
  const sums = new Map<string, AttributionEntry>();
  const stack: Ctx[] = [];
  let task: Pick<TaskRef, 'comm' | 'pid'> | null = null;
  let at: number | null = null;
  let covered = 0;
  let wokenAt: number | null = null;
  let switchedAt: number | null = null;

  const entryOf = (): AttributionEntry | null => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'irq') return { kind: 'irq', name: top.name, irq: top.irq, ns: 0, count: 0 };
    if (top?.kind === 'vector') return { kind: 'vector', name: top.name, vector: top.vector, ns: 0, count: 0 };
    if (top?.kind === 'softirq') return { kind: 'softirq', name: top.name, ns: 0, count: 0 };
    if (!task) return null;
    if (task.pid === 0) return { kind: 'idle', name: 'idle', ns: 0, count: 0 };
    const prio = prios.get(task.pid);
    return { kind: task.pid === w.tid ? 'self' : 'thread', name: task.comm, pid: task.pid, ns: 0, count: 0, ...(prio !== undefined ? policyOf(prio) : {}) };
  };
  const keyOf = (e: AttributionEntry) => `${e.kind}:${e.irq ?? e.vector ?? e.pid ?? ''}:${e.name}`;
  const slot = (): AttributionEntry | null => {
    const e = entryOf();
    if (!e) return null;
    const k = keyOf(e);
    const have = sums.get(k);
    if (have) return have;
    sums.set(k, e);
    return e;
  };
  const account = (until: number) => {
    if (at === null) return;
    const lo = Math.max(at, w.fromNs);
    const hi = Math.min(until, w.toNs);
    if (hi > lo) {
      const s = slot();
      if (s) {
        s.ns += hi - lo;
        covered += hi - lo;
      }
    }
  };
  const began = () => {
    if (at !== null && at >= w.fromNs && at <= w.toNs) {
      const s = slot();
      if (s) s.count++;
    }
  };

  for (const e of onCpu) {
    if (at !== null && e.ns < at) continue; // never backwards
    account(e.ns);
    at = e.ns;
    if (e.ns > w.toNs) break;
    // The line's own task column says who is current (for a switch: the task leaving).
    if (!stack.length && e.kind !== 'marker') task = { comm: e.comm === '<idle>' ? 'idle' : e.comm, pid: e.pid };
    if (e.ns >= w.fromNs && e.kind === 'wakeup' && e.task.pid === w.tid) wokenAt ??= e.ns;
    if (e.ns >= w.fromNs && e.kind === 'switch' && e.next.pid === w.tid) switchedAt ??= e.ns;
    switch (e.kind) {
      case 'switch':
        task = { comm: e.next.comm, pid: e.next.pid };
        stack.length = 0;
        began();
        break;
      case 'irq-entry':
        stack.push({ kind: 'irq', irq: e.irq, name: e.name });
        began();
        break;
      case 'vector-entry':
        stack.push({ kind: 'vector', vector: e.vector, name: e.name });
        began();
        break;
      case 'softirq-entry':
        stack.push({ kind: 'softirq', vec: e.vec, name: e.name });
        began();
        break;
      case 'irq-exit':
        popTo(stack, (c) => c.kind === 'irq' && c.irq === e.irq);
        break;
      case 'vector-exit':
        popTo(stack, (c) => c.kind === 'vector' && c.name === e.name);
        break;
      case 'softirq-exit':
        popTo(stack, (c) => c.kind === 'softirq' && c.vec === e.vec);
        break;
      default:
        break;
    }
  }
  // The last event before the window's end: what was on top then ran to its end.
  if (at !== null && at < w.toNs) account(w.toNs);
  const entries = [...sums.values()].filter((e) => e.ns > 0).sort((a, b) => b.ns - a.ns || a.name.localeCompare(b.name));
  const since = (t: number | null) => (t === null ? null : Math.max(0, t - w.fromNs));
  return { windowNs: Math.max(0, w.toNs - w.fromNs), coveredNs: covered, wokenAfterNs: since(wokenAt), switchedInAfterNs: since(switchedAt), entries };
}

/** Pops the innermost context the exit closes (and whatever was left open above it); an exit without its entry changes nothing. */
function popTo(stack: Ctx[], match: (c: Ctx) => boolean): void {
  for (let i = stack.length - 1; i >= 0; i--)
    if (match(stack[i])) {
      stack.length = i;
      return;
    }
}

function policyOf(prio: number): Pick<AttributionEntry, 'policy' | 'priority'> {
  if (prio < 0) return { policy: 'deadline' };
  if (prio < 100) return { policy: 'rt', priority: 99 - prio };
  return { policy: 'other', priority: prio - 120 };
}
