/**
 * A cyclic benchmark's `trace:` around one probe run on bare metal: ftrace instances started
 * before it (prepare/tracing.ts), the probe told where they are, and afterwards each stopped
 * instance's window kept in the run folder and attributed (bench/trace/).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attribute } from '../bench/trace/attribution.js';
import { parseFtraceLine, parseSpikeMarker, type FtraceEvent } from '../bench/trace/ftrace.js';
import { readInstance, startTracing, stopTracing, TracingUnavailable, type ActiveTracing } from '../prepare/tracing.js';
import type { TracedSpike, Tracing, Warning } from '../results/types.js';
import type { PlanStep } from './plan.js';
import type { MeasureContext } from './measure.js';

/** How much of the CPU's trace before the planned wake-up is kept with the window (context for a reader). */
const KEEP_BEFORE_NS = 5_000_000;

export interface StepTracing {
  /** Options for the probe's cyclic mode; none when tracing did not start. */
  args: string[];
  /** Reads what the instances caught and ends the tracing; call once, after the probe run. */
  finish(): Promise<{ tracing?: Tracing; warnings: Warning[] }>;
}

const NONE: StepTracing = { args: [], finish: async () => ({ warnings: [] }) };

/** Starts tracing for a step that asks for it; a host where it cannot start measures without it and says why. */
export async function traceStep(steps: PlanStep[], c: MeasureContext): Promise<StepTracing> {
  const st = steps[0];
  const b = st.benchmark;
  if (b.kind !== 'cyclic' || !b.trace) return NONE;
  const cfg = b.trace;
  if (st.deployment.kind !== 'bare-metal')
    return warnOnly({ code: 'no-trace', message: `trace: tracing a ${st.deployment.kind} deployment is not supported yet (the probe runs under the guest's kernel); measured without tracing` });
  // The probe's own clock: deadline threads read CLOCK_MONOTONIC_RAW.
  const clock = b.policy === 'deadline' ? 'mono_raw' : 'mono';
  let active: ActiveTracing;
  try {
    active = await startTracing(c.transport, c.journal, { count: cfg.maxTraces, bufferKb: cfg.bufferKb, clock });
  } catch (e) {
    if (!(e instanceof TracingUnavailable)) throw e;
    return warnOnly({ code: 'no-trace', message: `trace: ${e.message}; measured without tracing` });
  }
  const base: Omit<Tracing, 'spikes'> = { thresholdNs: cfg.threshold, maxTraces: cfg.maxTraces, bufferKb: cfg.bufferKb, clock, events: active.events, missing: active.missing };
  return {
    args: ['--trace-prefix', active.prefix, '--max-traces', String(cfg.maxTraces), '--trace-threshold', String(cfg.threshold)],
    async finish() {
      const warnings: Warning[] = [];
      const spikes: TracedSpike[] = [];
      try {
        for (const [k, instance] of active.instances.entries()) {
          const got = await readInstance(c.transport, instance);
          if (got.state === 'not-triggered') break; // instances stop in order: no later one did
          if (got.state === 'no-marker') {
            warnings.push({ code: 'trace-lost', message: `trace ${k}: stopped, but its marker is not in the buffer (the ring buffer of ${cfg.bufferKb} KiB per CPU overwrote it?)` });
            continue;
          }
          spikes.push(await spikeOf(k, got.text, got.cpu, `trace-${c.stepLabel}-${k}.txt`, c.runDir));
        }
      } finally {
        for (const e of await stopTracing(c.journal, active)) warnings.push({ code: 'not-restored', message: e });
      }
      warnings.push({ code: 'traced', message: `kernel tracing was on during this measurement (${active.events.length} events into ${cfg.maxTraces} ring buffer(s)): every traced event costs time, so these figures are not those of an untraced run` });
      if (active.missing.length) warnings.push({ code: 'trace-events-missing', message: `trace: this kernel lacks ${active.missing.join(', ')}; what they would show is not attributed` });
      return { tracing: { ...base, spikes }, warnings };
    },
  };
}

function warnOnly(w: Warning): StepTracing {
  return { args: [], finish: async () => ({ warnings: [w] }) };
}

/** One stopped instance: its window kept, its marker read, the time between planned and actual wake-up attributed. */
async function spikeOf(k: number, text: string, cpu: number, file: string, runDir: string): Promise<TracedSpike> {
  // Parsed once: the events for the attribution, their lines for the kept window.
  const lines = text.split('\n').flatMap((raw) => {
    const e = parseFtraceLine(raw);
    return e ? [{ raw, e }] : [];
  });
  const events = lines.map((l) => l.e);
  const markerAt = events.findIndex((e) => e.kind === 'marker' && parseSpikeMarker(e.text)?.trace === k);
  const marker = markerAt >= 0 ? parseSpikeMarker((events[markerAt] as Extract<FtraceEvent, { kind: 'marker' }>).text) : null;
  if (!marker) return { trace: k, thread: -1, tid: -1, cpu, plannedNs: 0, actualNs: 0, latencyNs: 0, file: null, attribution: null, error: `no marker of trace ${k} on CPU ${cpu}` };
  const keep = lines.filter(({ e }) => e.ns >= marker.plannedNs - KEEP_BEFORE_NS && e.ns <= events[markerAt].ns).map((l) => l.raw);
  await writeFile(join(runDir, file), `# unilat: CPU ${cpu}, trace ${k}: ${marker.latencyNs} ns late (planned ${marker.plannedNs}, actual ${marker.actualNs} ns)\n${keep.join('\n')}\n`);
  const attribution = attribute(events.slice(0, markerAt + 1), { cpu, tid: marker.tid, fromNs: marker.plannedNs, toNs: marker.actualNs });
  return { ...marker, file, attribution };
}
