/**
 * ftrace's text format (the `trace` and `per_cpu/cpuN/trace` files), the events of
 * prepare/tracing.ts's set read into typed records. Lines it does not know are skipped.
 */
import type { TracedSpike } from '../../results/types.js';

/** One event line: the task that was current, the CPU, the time (ns on the trace clock) and the event. */
export interface FtraceLine {
  comm: string;
  pid: number;
  cpu: number;
  ns: number;
  event: string;
  /** The rest of the line, after `event: `. */
  body: string;
}

export type FtraceEvent =
  | (FtraceLine & { kind: 'switch'; prev: TaskRef; next: TaskRef })
  | (FtraceLine & { kind: 'wakeup'; task: TaskRef })
  | (FtraceLine & { kind: 'irq-entry'; irq: number; name: string })
  | (FtraceLine & { kind: 'irq-exit'; irq: number })
  | (FtraceLine & { kind: 'softirq-entry' | 'softirq-exit'; vec: number; name: string })
  | (FtraceLine & { kind: 'vector-entry' | 'vector-exit'; vector: number; name: string })
  | (FtraceLine & { kind: 'marker'; text: string })
  | (FtraceLine & { kind: 'other' });

export interface TaskRef {
  comm: string;
  pid: number;
  /** The kernel's prio: below 0 deadline, below 100 real-time (99 - rt priority), else 120 + nice. */
  prio: number;
}

// comm may hold spaces and dashes: the pid is the last "-digits" before the CPU column.
const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+\S+\s+(\d+)\.(\d+):\s+(\w+):\s?(.*)$/;
const SWITCH = /^prev_comm=(.*) prev_pid=(\d+) prev_prio=(-?\d+) prev_state=\S+ ==> next_comm=(.*) next_pid=(\d+) next_prio=(-?\d+)/;
const WAKEUP = /^comm=(.*) pid=(\d+) prio=(-?\d+)/;
const IRQ_ENTRY = /^irq=(\d+) name=(.*)$/;
const IRQ_EXIT = /^irq=(\d+)/;
const SOFTIRQ = /^vec=(\d+) \[action=(\w+)\]/;
const VECTOR = /^vector=(\d+)/;

export function parseFtraceLine(line: string): FtraceEvent | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const base: FtraceLine = { comm: m[1], pid: Number(m[2]), cpu: Number(m[3]), ns: Number(m[4]) * 1e9 + Number(m[5].padEnd(9, '0').slice(0, 9)), event: m[6], body: m[7] };
  const b = base.body;
  let x: RegExpExecArray | null;
  switch (base.event) {
    case 'sched_switch':
      if ((x = SWITCH.exec(b))) return { ...base, kind: 'switch', prev: { comm: x[1], pid: Number(x[2]), prio: Number(x[3]) }, next: { comm: x[4], pid: Number(x[5]), prio: Number(x[6]) } };
      break;
    case 'sched_wakeup':
      if ((x = WAKEUP.exec(b))) return { ...base, kind: 'wakeup', task: { comm: x[1], pid: Number(x[2]), prio: Number(x[3]) } };
      break;
    case 'irq_handler_entry':
      if ((x = IRQ_ENTRY.exec(b))) return { ...base, kind: 'irq-entry', irq: Number(x[1]), name: x[2] };
      break;
    case 'irq_handler_exit':
      if ((x = IRQ_EXIT.exec(b))) return { ...base, kind: 'irq-exit', irq: Number(x[1]) };
      break;
    case 'softirq_entry':
    case 'softirq_exit':
      if ((x = SOFTIRQ.exec(b))) return { ...base, kind: base.event === 'softirq_entry' ? 'softirq-entry' : 'softirq-exit', vec: Number(x[1]), name: x[2] };
      break;
    case 'tracing_mark_write':
      return { ...base, kind: 'marker', text: b };
    default: {
      const v = /^(\w+)_(entry|exit)$/.exec(base.event);
      if (v && (x = VECTOR.exec(b))) return { ...base, kind: v[2] === 'entry' ? 'vector-entry' : 'vector-exit', vector: Number(x[1]), name: v[1] };
    }
  }
  return { ...base, kind: 'other' };
}

export function parseFtrace(text: string): FtraceEvent[] {
  const out: FtraceEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const e = parseFtraceLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** The probe's marker: `unilat-spike trace=K thread=T tid=P cpu=C planned=NS actual=NS latency=NS`. */
export type SpikeMarker = Pick<TracedSpike, 'trace' | 'thread' | 'tid' | 'cpu' | 'plannedNs' | 'actualNs' | 'latencyNs'>;

const MARKER = /unilat-spike trace=(\d+) thread=(\d+) tid=(\d+) cpu=(\d+) planned=(-?\d+) actual=(-?\d+) latency=(\d+)/;

export function parseSpikeMarker(text: string): SpikeMarker | null {
  const m = MARKER.exec(text);
  if (!m) return null;
  const [trace, thread, tid, cpu, plannedNs, actualNs, latencyNs] = m.slice(1).map(Number);
  return { trace, thread, tid, cpu, plannedNs, actualNs, latencyNs };
}
