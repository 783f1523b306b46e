/**
 * The tables of traced spikes (trace: on a cyclic benchmark): one per spike, what ran on the late
 * CPU between the planned and the actual wake-up; and per deployment the culprits summed over
 * its traced spikes. Built once as Tables, rendered by each reporter.
 */
import { isLatencyResult, type AttributionEntry, type CompletedLatencyResult, type RunRecord, type TracedSpike } from '../results/types.js';
import { figure, missing, text, type Cell, type Table } from './table.js';
import { repLabel } from './sections.js';

export interface TracedSpikeTable {
  result: CompletedLatencyResult;
  spike: TracedSpike;
  table: Table;
}

function traced(record: RunRecord): CompletedLatencyResult[] {
  return record.results.filter(isLatencyResult).filter((r) => r.tracing?.spikes.length);
}

/** Who: the culprit as a reader names it (IRQ 36 virtio1-req.0, thread comm/pid (rt 95), ...). */
export function culprit(e: AttributionEntry): string {
  switch (e.kind) {
    case 'irq':
      return `IRQ ${e.irq ?? '?'} ${e.name}`;
    case 'vector':
      return `${e.name} vector${e.vector !== undefined ? ` ${e.vector}` : ''}`;
    case 'softirq':
      return `softirq ${e.name}`;
    case 'idle':
      return 'CPU idle';
    case 'self':
      return `the late thread itself (${e.name}${e.pid !== undefined ? `/${e.pid}` : ''}), switching in`;
    case 'thread':
      return `${e.name}${e.pid !== undefined ? `/${e.pid}` : ''}${e.policy ? ` (${e.policy}${e.priority !== undefined ? ` ${e.priority}` : ''})` : ''}`;
  }
}

const COLUMNS = [
  { id: 'who', title: 'what ran' },
  { id: 'kind', title: 'kind' },
  { id: 'time', title: 'time (µs)', align: 'right' as const },
  { id: 'share', title: 'share of the delay', align: 'right' as const },
  { id: 'count', title: 'began in window', align: 'right' as const },
];

function rowsOf(entries: AttributionEntry[], windowNs: number): Cell[][] {
  return entries.map((e) => [text(culprit(e)), text(e.kind), figure(e.ns, 'us'), windowNs > 0 ? text(`${((100 * e.ns) / windowNs).toFixed(1)}%`) : missing(), figure(e.count, 'count')]);
}

/** One table a traced spike. */
export function tracedSpikeTables(record: RunRecord): TracedSpikeTable[] {
  return traced(record).flatMap((r) =>
    r.tracing!.spikes.map((spike) => {
      const a = spike.attribution;
      const notes = [
        `Thread ${spike.thread} (tid ${spike.tid}) on CPU ${spike.cpu} woke ${(spike.latencyNs / 1000).toFixed(1)} µs late.`,
        ...(a
          ? [
              a.wokenAfterNs !== null ? `The kernel woke it ${(a.wokenAfterNs / 1000).toFixed(1)} µs after the planned time (the timer's part)${a.switchedInAfterNs !== null ? ` and switched it in after ${(a.switchedInAfterNs / 1000).toFixed(1)} µs` : ''}.` : 'Its wake-up is not in the trace.',
              ...(a.coveredNs < a.windowNs ? [`The trace covers ${(a.coveredNs / 1000).toFixed(1)} of the ${(a.windowNs / 1000).toFixed(1)} µs.`] : []),
            ]
          : [`No attribution: ${spike.error ?? 'unknown'}.`]),
        ...(spike.file ? [`Raw trace window: ${spike.file}.`] : []),
      ];
      const table: Table = {
        id: `trace-${r.deployment}-${r.benchmark}-${r.repetition}-${spike.trace}`,
        title: `${r.deployment} / ${r.benchmark} / rep ${repLabel(r)} on ${r.host}: traced spike ${spike.trace + 1}`,
        columns: COLUMNS,
        rows: a ? rowsOf(a.entries, a.windowNs) : [],
        notes,
      };
      return { result: r, spike, table };
    }),
  );
}

/** Per deployment and benchmark: the culprits over all its traced spikes, ranked by time. */
export function traceCulpritsTables(record: RunRecord): Table[] {
  const groups = new Map<string, { r: CompletedLatencyResult; spikes: TracedSpike[] }>();
  for (const r of traced(record)) {
    const k = `${r.deployment}\0${r.benchmark}`;
    const g = groups.get(k) ?? { r, spikes: [] };
    g.spikes.push(...r.tracing!.spikes);
    groups.set(k, g);
  }
  return [...groups.values()].map(({ r, spikes }) => {
    const sums = new Map<string, AttributionEntry>();
    let window = 0;
    for (const s of spikes) {
      if (!s.attribution) continue;
      window += s.attribution.windowNs;
      for (const e of s.attribution.entries) {
        // Threads by comm (pids differ between repetitions), the rest by what they are.
        const k = `${e.kind}:${e.kind === 'thread' || e.kind === 'self' ? '' : (e.irq ?? e.vector ?? '')}:${e.name}`;
        const have = sums.get(k);
        if (have) {
          have.ns += e.ns;
          have.count += e.count;
        } else sums.set(k, e.kind === 'thread' || e.kind === 'self' ? { ...e, pid: undefined } : { ...e });
      }
    }
    const entries = [...sums.values()].sort((a, b) => b.ns - a.ns).slice(0, 10);
    return {
      id: `culprits-${r.deployment}-${r.benchmark}`,
      title: `${r.deployment} / ${r.benchmark}: top culprits over ${spikes.length} traced spike(s)`,
      columns: COLUMNS,
      rows: rowsOf(entries, window),
      notes: ['Kernel tracing was on for these measurements; it adds a little to every traced event.'],
    };
  });
}
